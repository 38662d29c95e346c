"""The real stack (Rasa, action server, gateway) on 127.0.0.1, started once per test session.

It runs on free ports with a private copy of content/ and its own var/ directory, so it never
touches a stack a developer has running, and tests may edit content.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from trolyao.stack import Ports, Stack
from trolyao.training import model_path
from tthc import paths
from tthc.records import RecordStore
from tthc.settings import CommonSettings

ADMIN_TOKEN = "e2e-admin-token-0123456789"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Client:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def chat(self, text: str, sender_id: str = "e2e", channel: str = "web") -> dict[str, Any]:
        status, body = self.post("/api/chat", {"sender_id": sender_id, "text": text, "channel": channel})
        assert status == 200, body
        return body

    def post(self, path: str, payload: dict[str, Any], token: str | None = None) -> tuple[int, dict[str, Any]]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.base_url + path, data=json.dumps(payload).encode(), headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def get(self, path: str, token: str | None = None) -> tuple[int, str]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            with urllib.request.urlopen(
                urllib.request.Request(self.base_url + path, headers=headers), timeout=10
            ) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()


def reply_text(body: dict[str, Any]) -> str:
    return "\n".join(r.get("text") or "" for r in body["replies"])


@contextmanager
def officer_on_duty(stack: Stack, name: str = "e2e-truc") -> Iterator[None]:
    """An officer answers chats from the console meanwhile (as the console's "Tôi trực" button
    does): the stack has no Telegram group, so otherwise nobody is promised to citizens."""
    store = RecordStore(CommonSettings.from_env({"TROLYAO_VAR_DIR": str(stack.var)}).records_url)
    store.start_duty(name, dt.datetime.now() + dt.timedelta(hours=1))
    try:
        yield
    finally:
        store.end_duty(name)
        store.engine.dispose()


@pytest.fixture(scope="session")
def content_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("stack") / "content"
    shutil.copytree(paths.CONTENT, target)
    return target


@pytest.fixture(scope="session")
def stack(content_dir: Path) -> Iterator[Stack]:
    model = model_path()
    if not model.exists():
        pytest.fail("No trained model for the current data: run `make train` (make test does).")
    var = content_dir.parent / "var"
    prebuilt = paths.BUILD / "search"  # `trolyao train` builds the search index; the processes load it
    if prebuilt.is_dir():
        shutil.copytree(prebuilt, var / "build" / "search", dirs_exist_ok=True)
    stack = Stack(
        model=model,
        ports=Ports(_free_port(), _free_port(), _free_port(), more_rasa=(_free_port(),)),
        var=var,
        extra_env={
            "TROLYAO_CONTENT_DIR": str(content_dir),
            "TROLYAO_CONTENT_POLL_S": "0.5",
            "TROLYAO_ADMIN_TOKEN": ADMIN_TOKEN,
            "TROLYAO_HANDOFF_HOURS": "mon-sun 00:00-23:59",  # officers "on duty" whenever the test runs
        },
    )
    stack.start(log_dir=var / "logs")
    try:
        stack.wait_ready(timeout=240, all_rasa=True)
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def client(stack: Stack) -> Client:
    return Client(stack.gateway_url)
