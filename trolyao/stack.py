"""Start Rasa, the action server and the gateway; wait until all answer; stop them together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from trolyao import paths
from trolyao.environment import process_env


class StackError(SystemExit):
    """A start-up problem, said in one sentence (SystemExit: no traceback for the citizen's admin)."""


@dataclass(frozen=True)
class Ports:
    rasa: int = 5005
    actions: int = 5055
    gateway: int = 8000

    @classmethod
    def from_env(cls) -> Ports:
        return cls(
            int(os.environ.get("RASA_PORT", 5005)),
            int(os.environ.get("ACTIONS_PORT", 5055)),
            int(os.environ.get("GATEWAY_PORT", 8000)),
        )


@dataclass
class Stack:
    model: Path
    ports: Ports = field(default_factory=Ports.from_env)
    var: Path = paths.VAR
    extra_env: dict[str, str] = field(default_factory=dict)  # e.g. TROLYAO_CONTENT_DIR for tests
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.gateway}"

    def _env(self) -> dict[str, str]:
        tracker_db = self.var / "tracker.db"
        return process_env(
            {
                "ACTION_ENDPOINT_URL": os.environ.get("ACTION_ENDPOINT_URL", f"http://127.0.0.1:{self.ports.actions}/webhook"),
                "TRACKER_DIALECT": os.environ.get("TRACKER_DIALECT", "sqlite"),
                "TRACKER_STORE_URL": os.environ.get("TRACKER_STORE_URL", f"sqlite:///{tracker_db}"),
                "RASA_URL": f"http://127.0.0.1:{self.ports.rasa}",
                "ACTIONS_URL": f"http://127.0.0.1:{self.ports.actions}",
                "GATEWAY_HOST": "127.0.0.1",
                "GATEWAY_PORT": str(self.ports.gateway),
                "TROLYAO_VAR_DIR": str(self.var),
                **self.extra_env,
            }
        )

    def commands(self) -> dict[str, list[str]]:
        python = sys.executable
        return {
            "actions": [python, "-m", "rasa_sdk", "--actions", "actions", "--port", str(self.ports.actions)],
            "rasa": [
                python, "-m", "rasa", "run",
                "--model", str(self.model),
                "--enable-api",
                "--interface", "127.0.0.1",
                "--port", str(self.ports.rasa),
                "--endpoints", str(paths.BOT / "endpoints.yml"),
                "--credentials", str(paths.BOT / "credentials.yml"),
            ],
            "gateway": [str(paths.GATEWAY_PYTHON), "-m", "connectors"],
        }  # fmt: skip

    def check_ports(self) -> None:
        for name, port in (("Rasa", self.ports.rasa), ("action server", self.ports.actions), ("gateway", self.ports.gateway)):
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
        log_dir = log_dir or self.var / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        env = self._env()
        for name, command in self.commands().items():
            log = open(log_dir / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the process
            self.processes[name] = subprocess.Popen(
                command, cwd=paths.REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_ready(self, timeout: float = 180.0) -> None:
        checks = {
            "actions": f"http://127.0.0.1:{self.ports.actions}/health",
            "rasa": f"http://127.0.0.1:{self.ports.rasa}/status",
            "gateway": f"{self.gateway_url}/health",
        }
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
        for proc in self.processes.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.processes.clear()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except Exception:
        return False


def run_forever(stack: Stack) -> None:
    """`trolyao run`: start, print the address, and stop everything cleanly on Ctrl-C."""
    print("Đang khởi động Rasa, máy chủ action và gateway...", flush=True)
    stack.start()
    stopping = False

    def _stop(signum, frame):  # noqa: ANN001 - signal handler signature
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    try:
        stack.wait_ready()
        print(f"\nTrợ lý ảo đang chạy. Mở khung chat tại: {stack.gateway_url}/\nNhấn Ctrl-C để dừng.", flush=True)
        while not stopping:
            for name, proc in stack.processes.items():
                if proc.poll() is not None:
                    print(f"Tiến trình {name} đã dừng (mã {proc.returncode}); xem var/logs/{name}.log.", flush=True)
                    stopping = True
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        print("\nĐang dừng...", flush=True)
        stack.stop()
        print("Đã dừng cả ba tiến trình.")
