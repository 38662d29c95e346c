"""The gateway as a real process (`python -m connectors`), for what only a process shows: its
log output, how it takes SIGTERM, its exit code. Output (stdout and stderr, like
`trolyao run` keeps them) goes to a file the test reads."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
# Inherited settings that could point the process elsewhere than the test's fakes.
_SCRUBBED_PREFIXES = (
    "TELEGRAM_",
    "ZALO_",
    "OFFICERS_",
    "GATEWAY_",
    "CHANNEL_",
    "RASA_",
    "ACTIONS_",
    "TROLYAO_LOG",
    "TROLYAO_ADMIN",
)
_PROXIES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_env(overrides: dict[str, str]) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(_SCRUBBED_PREFIXES) and key.lower() not in _PROXIES
    }
    env.update(overrides)
    return env


@dataclass
class GatewayProcess:
    env: dict[str, str]
    output_path: Path
    port: int
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0, channels: tuple[str, ...] = ()) -> GatewayProcess:
        with self.output_path.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "connectors"],
                cwd=REPO_ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while not self._ready(channels):
            if self.proc.poll() is not None:
                raise AssertionError(f"gateway exited {self.proc.returncode}:\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"gateway not ready:\n{self.output()}")
            time.sleep(0.05)
        return self

    def _ready(self, channels: tuple[str, ...]) -> bool:
        try:
            body = httpx.get(self.url + "/health", timeout=1, trust_env=False).json()
        except (httpx.HTTPError, ValueError):
            return False
        running = body.get("channels", {})
        return all(running.get(name) == "ok" for name in channels)

    def signal(self, sig: int = signal.SIGTERM) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=timeout)

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, and the exit code."""
        self.signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self) -> None:
        """Clean-up after a failed test: this process only."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def output(self) -> str:
        return self.output_path.read_text(encoding="utf-8", errors="replace")

    def records(self) -> list[dict[str, Any]]:
        """Every output line as JSON (a line that is not JSON fails the test)."""
        lines = [line for line in self.output().splitlines() if line.strip()]
        records = []
        for line in lines:
            try:
                records.append(json.loads(line))
            except ValueError:
                raise AssertionError(f"not a JSON log line: {line!r}") from None
        return records


class Launcher:
    """Starts gateway processes for one test, all at one address (a restart keeps it), with
    the test's content and state files; ``close`` kills any still running."""

    def __init__(self, tmp_path: Path, content_dir: Path, locality: str, dead_url: str) -> None:
        self._tmp = tmp_path
        self._base = {
            "TROLYAO_CONTENT_DIR": str(content_dir),
            "TROLYAO_LOCALITY": locality,
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_STATE_DB": str(tmp_path / "state.sqlite3"),
            "RASA_TIMEOUT_S": "10",
            "CHANNEL_RETRY_FIRST_S": "0.1",
            "CHANNEL_RETRY_MAX_S": "0.4",
            "TELEGRAM_API_BASE": dead_url,
            "ZALO_OA_API_BASE": dead_url,
            "ZALO_OAUTH_BASE": dead_url,
            "ZALO_BOT_API_BASE": dead_url,
            "PYTHONUNBUFFERED": "1",
        }
        self.port = free_port()
        self.started: list[GatewayProcess] = []

    def __call__(self, rasa_url: str, actions_url: str, channels: tuple[str, ...] = (), **env: str) -> GatewayProcess:
        overrides = {
            **self._base,
            "RASA_URL": rasa_url,
            "ACTIONS_URL": actions_url,
            "GATEWAY_PORT": str(self.port),
            **env,
        }
        output = self._tmp / f"gateway-{len(self.started)}.log"
        gateway = GatewayProcess(process_env(overrides), output, self.port)
        self.started.append(gateway)
        return gateway.start(channels=channels)

    def close(self) -> None:
        for gateway in self.started:
            gateway.kill()


def telegram_env(api_url: str, token: str, secret: str, public_url: str) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_WEBHOOK_SECRET": secret,
        "TELEGRAM_PUBLIC_URL": public_url,
        "TELEGRAM_API_BASE": api_url,
    }
