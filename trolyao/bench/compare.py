"""`trolyao bench`: the embedded default and a stock Rasa 3.6 REST server under the same load.

One run starts, in turn, (1) our stack (Rasa processes, action server, gateway) with its trained
model and (2) a stock `rasa run` with Rasa's default configuration (trolyao/bench/stock_rasa.yml)
trained on the same domain and data, default endpoints but for our action server; waits until
each answers (start-up time), replays the same multi-turn conversations at each concurrency,
samples every process's RSS, and writes JSON, a Markdown table and a chart.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trolyao.bench import webhooks
from trolyao.bench.load import rss_mb
from trolyao.bench.load import run as run_load
from trolyao.environment import process_env
from trolyao.evaluation.baselines import reference_target, train_reference
from trolyao.settings import StackSettings
from trolyao.stack import Ports, Stack
from trolyao.training import model_path, write_unaccented_copies
from tthc import paths

STOCK_CONFIG = Path(__file__).with_name("stock_rasa.yml")
# How our stack is loaded (`trolyao bench --through`): /api/chat, the signed channel webhooks.
THROUGH = ("chat", *webhooks.PLATFORMS)
THROUGH_GROUPS = {"all": THROUGH, "webhooks": tuple(webhooks.PLATFORMS)}


def expand_through(values: list[str]) -> tuple[str, ...]:
    """--through values (chat, telegram, zalo-bot, webhooks, all) as ordered path names."""
    wanted = {name for value in values for name in THROUGH_GROUPS.get(value, (value,))}
    return tuple(name for name in THROUGH if name in wanted)


@dataclass
class Target:
    """A system under load: where to send, which target format, which processes to watch."""

    name: str
    url: str
    target: str  # "chat" (gateway) or "rasa" (REST channel)
    pids: dict[str, int]
    ready_s: float
    fake: webhooks.FakeBotApi | None = None  # webhook targets: the platform API the gateway answers to


def _load(target: Target, users: int, concurrency: int, max_seconds: float, seed: int = 7) -> Any:
    if target.fake is not None:
        return asyncio.run(webhooks.run(target.fake, target.url, users, concurrency, max_seconds, seed=seed))
    return asyncio.run(run_load(target.url, users, concurrency, max_seconds, seed=seed, target=target.target))


@dataclass
class RssSampler:
    """Peak RSS per process, sampled in a thread while the load runs."""

    pids: dict[str, int]
    peak: dict[str, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _loop(self) -> None:
        while not self._stop.is_set():
            current = rss_mb(list(self.pids.values()))
            for name, pid in self.pids.items():
                if pid in current:
                    self.peak[name] = max(self.peak.get(name, 0.0), current[pid])
            self._stop.wait(0.5)

    @contextmanager
    def running(self) -> Iterator[RssSampler]:
        thread = threading.Thread(target=self._loop, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()


def measure(target: Target, concurrency: int, users: int, max_seconds: float) -> dict[str, Any]:
    _load(target, users=4, concurrency=2, max_seconds=20, seed=1)  # warm-up
    with RssSampler(target.pids).running() as sampler:
        result = _load(target, users, concurrency, max_seconds)
    return {
        "system": target.name,
        "concurrency": concurrency,
        **result.summary(),
        "rss_mb": sampler.peak,
        "ready_s": round(target.ready_s, 1),
    }


def stock_server_model(log: Callable[[str], None] = print) -> Path:
    """Train (once per config and data version) the stock reference model: NLU and dialogue."""
    target = reference_target(STOCK_CONFIG, "stock-server")
    if target.exists():
        return target
    log("Đang huấn luyện mô hình Rasa mặc định để so sánh (DIET + TED); mất khoảng 10 phút...")
    command = [
        sys.executable, "-m", "rasa", "train",
        "--config", str(STOCK_CONFIG),
        "--domain", str(paths.BOT / "domain.yml"),
        "--data", str(paths.BOT / "data"), str(write_unaccented_copies()),
        "--out", str(target.parent),
        "--fixed-model-name", target.name.removesuffix(".tar.gz"),
    ]  # fmt: skip
    return train_reference(command, target, "stock-server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_answer(url: str, body: dict[str, Any], deadline: float) -> None:
    data = json.dumps(body).encode()
    while time.monotonic() < deadline:
        request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                if response.status == 200 and json.loads(response.read() or b"null"):
                    return
        except Exception:
            pass
        time.sleep(0.25)
    raise SystemExit(f"{url} không trả lời trong thời hạn.")


@contextmanager
def ours(work: Path, through: tuple[str, ...] = ("chat",)) -> Iterator[list[Target]]:
    """The embedded default, as `trolyao run` starts it, on free ports with its own var dir; one
    target per way in: /api/chat, and each channel's webhook against a fake of its platform's
    API started first (every other channel off)."""
    more = StackSettings.from_env().rasa_processes - 1
    ports = Ports(free_port(), free_port(), free_port(), tuple(free_port() for _ in range(more)))
    with contextlib.ExitStack() as fakes:
        apis = [fakes.enter_context(webhooks.FakeBotApi(webhooks.PLATFORMS[name]))
                for name in through if name in webhooks.PLATFORMS]  # fmt: skip
        gateway_url = f"http://127.0.0.1:{ports.gateway}"
        env = webhooks.gateway_env(apis, gateway_url, work / "ours" / "gateway-state.sqlite3")
        stack = Stack(model=model_path(), ports=ports, var=work / "ours", extra_env=env)
        started = time.monotonic()
        stack.start(log_dir=work / "ours" / "logs")
        try:
            stack.wait_ready(timeout=300)
            url = stack.gateway_url + "/api/chat"
            _wait_answer(url, {"sender_id": "bench-ready", "text": "xin chào"}, started + 300)
            ready = time.monotonic() - started
            channels_ready = {}
            for fake in apis:
                asyncio.run(webhooks.probe(fake, stack.gateway_url, started + 300))
                channels_ready[fake.platform.name] = time.monotonic() - started
            stack.wait_more_rasa(timeout=300)  # full capacity before measuring
            pids = {name: proc.pid for name, proc in stack.processes.items()}
            targets = []
            if "chat" in through:
                targets.append(Target("trolyao (mặc định nhúng)", stack.gateway_url, "chat", pids, ready))
            targets += [
                Target(f"trolyao — {fake.platform.label} webhook", stack.gateway_url, fake.platform.name, pids,
                       channels_ready[fake.platform.name], fake)
                for fake in apis
            ]  # fmt: skip
            yield targets
        finally:
            stack.stop()


# What pip installs with `rasa==3.6.21` alone (the newest versions Rasa allows) where our
# requirements pin another allowed version for speed: jsonschema 4.x re-checks the action
# response schema against its metaschema on every action call (30 ms here), 3.2 does it in 4 ms.
STOCK_RESOLVED = {"jsonschema": "4.17.3"}


def stock_site() -> Path:
    """A directory put first on the stock server's PYTHONPATH with the STOCK_RESOLVED versions."""
    site = paths.VAR / "bench" / "stock-site"
    marker = site / ".installed"
    wanted = " ".join(f"{name}=={version}" for name, version in sorted(STOCK_RESOLVED.items()))
    if not marker.exists() or marker.read_text() != wanted:
        shutil.rmtree(site, ignore_errors=True)
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                   "--no-deps", "--target", str(site), *wanted.split()]  # fmt: skip
        subprocess.run(command, check=True, stdout=sys.stderr)
        marker.write_text(wanted)
    return site


@contextmanager
def stock(work: Path, model: Path, site: Path | None) -> Iterator[Target]:
    """One stock `rasa run` (in-memory tracker and lock store) and our action server; with
    ``site``, Rasa runs with the versions pip resolves for Rasa alone (STOCK_RESOLVED)."""
    rasa_port, actions_port = free_port(), free_port()
    endpoints = work / "stock-endpoints.yml"
    endpoints.write_text(f"action_endpoint:\n  url: http://127.0.0.1:{actions_port}/webhook\n", encoding="utf-8")
    env = process_env({"TROLYAO_VAR_DIR": str(work / "stock"), "SANIC_HOST": "127.0.0.1"})
    rasa_env = dict(env, PYTHONPATH=os.pathsep.join([str(site), env["PYTHONPATH"]])) if site else env
    logs = work / "stock"
    logs.mkdir(parents=True, exist_ok=True)
    commands = {
        "actions": [sys.executable, "-m", "actions", "--port", str(actions_port)],
        "rasa": [sys.executable, "-m", "rasa", "run", "--model", str(model), "--enable-api",
                 "--interface", "127.0.0.1", "--port", str(rasa_port), "--endpoints", str(endpoints)],
    }  # fmt: skip
    processes: dict[str, subprocess.Popen] = {}
    started = time.monotonic()
    try:
        for name, command in commands.items():
            with open(logs / f"{name}.log", "ab") as log:
                processes[name] = subprocess.Popen(
                    command, cwd=paths.REPO, env=rasa_env if name == "rasa" else env, stdout=log,
                    stderr=subprocess.STDOUT, start_new_session=True,
                )  # fmt: skip
        url = f"http://127.0.0.1:{rasa_port}"
        _wait_answer(url + "/webhooks/rest/webhook", {"sender": "bench-ready", "message": "xin chào"}, started + 400)
        ready = time.monotonic() - started
        name = "Rasa 3.6 mặc định (REST)" if site else "Rasa 3.6 mặc định + jsonschema 3.2 (REST)"
        yield Target(name, url, "rasa", {n: p.pid for n, p in processes.items()}, ready)
    finally:
        for proc in processes.values():
            proc.terminate()
        for proc in processes.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextmanager
def _one(context: contextlib.AbstractContextManager[Target]) -> Iterator[list[Target]]:
    with context as target:
        yield [target]


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| System | Senders | Requests | Errors | req/s | p50 ms | p95 ms | p99 ms | Ready s | Peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        rss = ", ".join(f"{name} {mb:.0f}" for name, mb in sorted(row["rss_mb"].items()))
        lines.append(
            f"| {row['system']} | {row['concurrency']} | {row['requests']} | {row['errors']} | "
            f"{row['throughput_rps']} | {row['p50_ms']} | {row['p95_ms']} | {row['p99_ms']} | "
            f"{row['ready_s']} | {rss} |"
        )
    return "\n".join(lines)


def chart(rows: list[dict[str, Any]], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    systems = list(dict.fromkeys(row["system"] for row in rows))
    levels = sorted({row["concurrency"] for row in rows})
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6), dpi=120)
    width = 0.8 / max(len(systems), 1)
    for metric, ax, title in (
        ("throughput_rps", axes[0], "Thông lượng (yêu cầu/giây)"),
        ("p95_ms", axes[1], "Độ trễ p95 (ms)"),
    ):
        for i, system in enumerate(systems):
            values = [
                next((r[metric] for r in rows if r["system"] == system and r["concurrency"] == c), 0) for c in levels
            ]
            bars = ax.bar([x + i * width for x in range(len(levels))], values, width, label=system)
            ax.bar_label(bars, fontsize=7, padding=2)
        ax.set_xticks([x + width * (len(systems) - 1) / 2 for x in range(len(levels))])
        ax.set_xticklabels([f"{c} người gửi đồng thời" for c in levels], fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        ax.margins(y=0.12)  # room for the bars' labels
    axes[1].axhline(300, color="grey", linestyle="--", linewidth=0.8)
    # one legend under both charts: inside one, it hid the tallest bar
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def run_benchmark(concurrency: list[int], users: int, max_seconds: float, with_stock: bool,
                  json_out: Path | None, chart_out: Path | None,
                  through: tuple[str, ...] = THROUGH) -> list[dict[str, Any]]:  # fmt: skip
    rows: list[dict[str, Any]] = []
    work = Path(tempfile.mkdtemp(prefix="trolyao-bench-"))
    try:
        stock_model = stock_server_model(lambda text: print(text, file=sys.stderr, flush=True)) if with_stock else None
        systems = [lambda: ours(work, through)]
        if stock_model is not None:
            site = stock_site()
            systems.append(lambda: _one(stock(work, stock_model, site)))  # as pip installs Rasa
            systems.append(lambda: _one(stock(work, stock_model, None)))  # with our version pins
        for start in systems:
            with start() as targets:
                for target in targets:
                    print(f"== {target.name}: sẵn sàng sau {target.ready_s:.1f} s", file=sys.stderr, flush=True)
                    for level in concurrency:
                        row = measure(target, level, users, max_seconds)
                        print(f"   {level} người gửi: {row['throughput_rps']} req/s, p95 {row['p95_ms']} ms, "
                              f"lỗi {row['errors']}", file=sys.stderr, flush=True)  # fmt: skip
                        rows.append(row)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    if chart_out:
        chart(rows, chart_out)
    return rows
