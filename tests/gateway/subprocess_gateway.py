"""The gateway as a real process (`python -m connectors`), for what only a process shows: its
memory, that it stays up, uvicorn's proxy settings. The fakes it talks to are served by the
test process (see gateway_fakes.py and platform_fakes.py)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
# What the child inherits from the test's environment: no channel secret or proxy of the
# developer's shell may leak into it.
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class GatewayProcess:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def _status_kb(self, field: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise AssertionError(f"{field} not in /proc/{self.pid}/status")

    def rss_kb(self) -> int:
        """Resident memory now."""
        return self._status_kb("VmRSS")

    def peak_kb(self) -> int:
        """The most resident memory the process ever had (high-water mark)."""
        return self._status_kb("VmHWM")

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_gateway(
    env: dict[str, str], workdir: Path, channels: tuple[str, ...] = (), timeout: float = 40.0
) -> GatewayProcess:
    """Start `python -m connectors` on a free port with ``env`` and wait until /health is ok
    and the given channels report "ok"."""
    port = free_port()
    full_env = {name: os.environ[name] for name in INHERITED if name in os.environ}
    full_env.update(
        {
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_PORT": str(port),
            "GATEWAY_STATE_DB": str(workdir / "state.sqlite3"),
            "TROLYAO_DB_URL": f"sqlite:///{workdir / 'records.sqlite3'}",
            "TROLYAO_VAR_DIR": str(workdir / "var"),
            "TROLYAO_LOG_FORMAT": "text",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
    )
    log = workdir / f"gateway-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "connectors"],
            cwd=REPO_ROOT,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    gateway = GatewayProcess(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=gateway.url, timeout=5, trust_env=False) as client:
        while True:
            if not gateway.alive():
                raise AssertionError(f"the gateway exited at start:\n{gateway.log_tail()}")
            if _ready(client, channels):
                return gateway
            if time.monotonic() > deadline:
                gateway.stop()
                raise AssertionError(f"the gateway did not get ready:\n{gateway.log_tail()}")
            time.sleep(0.1)


def _ready(client: httpx.Client, channels: tuple[str, ...]) -> bool:
    try:
        response = client.get("/health")
    except httpx.TransportError:
        return False
    if response.status_code != 200:
        return False
    running: dict[str, Any] = response.json().get("channels", {})
    return all(running.get(name) == "ok" for name in channels)
