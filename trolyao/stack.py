"""Start Rasa, the action server and the gateway; wait until all answer; stop them together."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from trolyao.environment import process_env
from trolyao.settings import StackSettings
from tthc import paths


class StackError(SystemExit):
    """A start-up problem, said in one sentence (SystemExit: no traceback for the citizen's admin)."""


@dataclass(frozen=True)
class Ports:
    rasa: int = 5005
    actions: int = 5055
    gateway: int = 8000
    # Further Rasa processes sharing the tracker store: one Rasa process is single-threaded
    # Python, and the gateway spreads senders over all of them (TROLYAO_RASA_PROCESSES).
    more_rasa: tuple[int, ...] = ()

    @classmethod
    def of(cls, settings: StackSettings) -> Ports:
        rasa = settings.rasa_port
        return cls(
            rasa,
            settings.actions_port,
            settings.gateway_port,
            tuple(rasa + index for index in range(1, settings.rasa_processes)),
        )

    @property
    def rasa_ports(self) -> tuple[int, ...]:
        return (self.rasa, *self.more_rasa)


def rasa_name(index: int) -> str:
    """Process names: "rasa", "rasa-2", "rasa-3"..."""
    return "rasa" if index == 0 else f"rasa-{index + 1}"


@dataclass
class Stack:
    model: Path
    settings: StackSettings = field(default_factory=StackSettings.from_env)
    ports: Ports = field(default_factory=lambda: Ports.of(StackSettings.from_env()))
    var: Path = field(default_factory=lambda: StackSettings.from_env().var_dir)
    log_dir: Path | None = None  # var/logs unless given
    extra_env: dict[str, str] = field(default_factory=dict)  # e.g. TROLYAO_CONTENT_DIR for tests
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.gateway}"

    def _env(self) -> dict[str, str]:
        tracker_db = self.var / "tracker.db"
        return process_env(
            {
                "ACTION_ENDPOINT_URL": self.settings.action_endpoint_url
                or f"http://127.0.0.1:{self.ports.actions}/webhook",
                "TRACKER_DIALECT": self.settings.tracker_dialect,
                "TRACKER_STORE_URL": self.settings.tracker_store_url or f"sqlite:///{tracker_db}",
                "RASA_URL": ",".join(f"http://127.0.0.1:{port}" for port in self.ports.rasa_ports),
                "ACTIONS_URL": f"http://127.0.0.1:{self.ports.actions}",
                "GATEWAY_HOST": "127.0.0.1",
                "GATEWAY_PORT": str(self.ports.gateway),
                "TROLYAO_VAR_DIR": str(self.var),
                **self.extra_env,
            }
        )

    def commands(self) -> dict[str, list[str]]:
        python = sys.executable
        rasa = {
            rasa_name(index): [
                python, "-m", "rasa", "run",
                "--model", str(self.model),
                "--enable-api",
                "--interface", "127.0.0.1",
                "--port", str(port),
                "--endpoints", str(paths.BOT / "endpoints.yml"),
                "--credentials", str(paths.BOT / "credentials.yml"),
            ]
            for index, port in enumerate(self.ports.rasa_ports)
        }  # fmt: skip
        return {
            "actions": [python, "-m", "actions", "--port", str(self.ports.actions)],
            **rasa,
            "gateway": [str(paths.GATEWAY_PYTHON), "-m", "connectors"],
        }  # fmt: skip

    @property
    def rasa_names(self) -> list[str]:
        return [rasa_name(index) for index in range(len(self.ports.rasa_ports))]

    @property
    def extra_rasa_names(self) -> list[str]:
        return self.rasa_names[1:]

    def check_ports(self) -> None:
        wanted = [("Rasa", port) for port in self.ports.rasa_ports]
        wanted += [("action server", self.ports.actions), ("gateway", self.ports.gateway)]
        for name, port in wanted:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    raise StackError(
                        f"Cổng {port} (cho {name}) đang bị chương trình khác dùng: hãy tắt chương trình đó "
                        f"hoặc chọn cổng khác (RASA_PORT, ACTIONS_PORT, GATEWAY_PORT)."
                    )

    def start(self, log_dir: Path | None = None) -> None:
        if not paths.GATEWAY_PYTHON.exists():
            raise StackError("Chưa có môi trường của gateway (.venv-gateway): hãy chạy `make run` hoặc `make setup`.")
        self.check_ports()
        self.log_dir = log_dir or self.log_dir or self.var / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        tracker_url = self._env()["TRACKER_STORE_URL"]
        if tracker_url.startswith("sqlite:///"):
            use_wal(Path(tracker_url.removeprefix("sqlite:///")))
        # The further Rasa processes start once the first answers (wait_ready): loading them all
        # at once on two cores would delay the first answer.
        for name in self.commands():
            if name not in self.extra_rasa_names:
                self.start_one(name)

    def start_one(self, name: str) -> None:
        log_dir = self.log_dir or self.var / "logs"
        log = open(log_dir / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the process
        self.processes[name] = subprocess.Popen(
            self.commands()[name], cwd=paths.REPO, env=self._env(), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 180.0, all_rasa: bool = False) -> None:
        """Wait until the action server, the first Rasa process and the gateway answer, then
        start the further Rasa processes (the gateway uses each once it answers); with
        ``all_rasa`` wait for those too."""
        checks = {
            "actions": f"http://127.0.0.1:{self.ports.actions}/health",
            "rasa": f"http://127.0.0.1:{self.ports.rasa}/status",
            "gateway": f"{self.gateway_url}/health",
        }
        self._wait(checks, timeout)
        for name in self.extra_rasa_names:
            if name not in self.processes:
                self.start_one(name)
        if all_rasa:
            self.wait_more_rasa(timeout)

    def wait_more_rasa(self, timeout: float = 180.0) -> None:
        """Wait until the further Rasa processes (started by wait_ready) answer too."""
        ports = dict(zip(self.rasa_names, self.ports.rasa_ports))
        self._wait({name: f"http://127.0.0.1:{ports[name]}/status" for name in self.extra_rasa_names}, timeout)

    def _wait(self, checks: dict[str, str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = dict(checks)
        started = time.monotonic()
        while pending:
            for name in list(pending):
                proc = self.processes.get(name)
                if proc is not None and proc.poll() is not None:
                    self.stop()
                    raise StackError(f"Tiến trình {name} dừng khi khởi động; xem var/logs/{name}.log.")
                if _answers(pending[name]):
                    print(f"  ✓ {name} sẵn sàng sau {time.monotonic() - started:.0f} giây", flush=True)
                    del pending[name]
            if time.monotonic() > deadline:
                self.stop()
                raise StackError(f"Quá {timeout:.0f} giây mà {', '.join(pending)} chưa sẵn sàng; xem var/logs/.")
            time.sleep(0.5)

    def kill(self, name: str) -> None:
        """Stop one process (tests of outages)."""
        proc = self.processes.get(name)
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)

    def stop(self) -> None:
        """The gateway first, so that answers in progress still reach Rasa and the action server;
        then the others. A process that does not stop in time is killed."""
        gateway = self.processes.get("gateway")
        if gateway is not None:
            # its own graceful shutdown (GATEWAY_SHUTDOWN_TIMEOUT_S, 8 s by default) plus a margin
            self._terminate([gateway], self.settings.gateway_shutdown_timeout_s + 5)
        self._terminate(list(self.processes.values()), 15)
        self.processes.clear()

    @staticmethod
    def _terminate(processes: list[subprocess.Popen], wait_s: float) -> None:
        for proc in processes:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + wait_s
        for proc in processes:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def use_wal(database: Path) -> None:
    """Put the SQLite tracker store in WAL mode (it stays so): the Rasa processes sharing it
    then read while one writes, instead of waiting for each other."""
    database.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
    connection.close()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except Exception:
        return False


@dataclass
class Restarts:
    """Restart a crashed process with exponential backoff; forget old crashes after a stable minute."""

    first_delay: float = 1.0
    max_delay: float = 30.0
    stable_after: float = 60.0
    failures: dict[str, int] = field(default_factory=dict)
    due: dict[str, float] = field(default_factory=dict)
    started: dict[str, float] = field(default_factory=dict)

    def crashed(self, name: str, now: float) -> float:
        if now - self.started.get(name, 0.0) > self.stable_after:
            self.failures[name] = 0
        self.failures[name] = self.failures.get(name, 0) + 1
        delay = min(self.max_delay, self.first_delay * 2 ** (self.failures[name] - 1))
        self.due[name] = now + delay
        return delay

    def ready(self, name: str, now: float) -> bool:
        return name in self.due and now >= self.due[name]

    def restarted(self, name: str, now: float) -> None:
        self.due.pop(name, None)
        self.started[name] = now


def supervise_once(stack: Stack, restarts: Restarts, now: float, log: Callable[[str, dict], None]) -> None:
    """One pass of the supervisor: notice crashed processes, restart those whose backoff is over."""
    for name, proc in list(stack.processes.items()):
        if proc.poll() is not None and name not in restarts.due:
            delay = restarts.crashed(name, now)
            log("process_exited", {"process": name, "code": proc.returncode, "restart_in_s": delay})
        if restarts.ready(name, now):
            stack.start_one(name)
            restarts.restarted(name, now)
            log("process_restarted", {"process": name, "attempt": restarts.failures.get(name, 0)})


def _json_logger(path: Path) -> Callable[[str, dict], None]:
    def log(event: str, fields: dict) -> None:
        line = json.dumps({"at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "event": event, **fields}, ensure_ascii=False)
        with path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")
        print(f"[{fields.get('process', '')}] {event} {fields}", flush=True)

    return log


def run_forever(stack: Stack) -> None:
    """`trolyao run`: start, print the address, restart what crashes, stop everything on Ctrl-C."""
    print("Đang khởi động Rasa, máy chủ action và gateway...", flush=True)
    stack.start()
    stopping = False

    def _stop(signum, frame):  # noqa: ANN001 - signal handler signature
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    log = _json_logger((stack.log_dir or stack.var / "logs") / "supervisor.log")
    restarts = Restarts()
    try:
        stack.wait_ready()
        now = time.monotonic()
        for name in stack.processes:
            restarts.restarted(name, now)
        print(f"\nTrợ lý ảo đang chạy. Mở khung chat tại: {stack.gateway_url}/\nNhấn Ctrl-C để dừng.", flush=True)
        while not stopping:
            supervise_once(stack, restarts, time.monotonic(), log)
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        print("\nĐang dừng...", flush=True)
        stack.stop()
        print("Đã dừng mọi tiến trình.")
