"""Fixtures: real fake servers on 127.0.0.1 and the real gateway served by uvicorn."""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # run from anywhere, with or without `python -m`
    sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gateway_fakes import FakeActions, FakeRasa, ServerThread  # noqa: E402
from platform_fakes import FakeTelegram, FakeZaloBot, FakeZaloOA  # noqa: E402

from connectors.app import create_app  # noqa: E402
from connectors.settings import Settings  # noqa: E402
from tthc.records import RecordStore  # noqa: E402

TEST_LOCALITY = "tinh-thu"
TEST_HOTLINE_NAME = "Tổng đài dịch vụ công tỉnh Thử (gọi từ di động)"
TEST_HOTLINE_NUMBER = "0236.1022"
LOCALITY_YAML = f"""\
id: {TEST_LOCALITY}
name: Tỉnh Thử
hotlines:
  - name: {TEST_HOTLINE_NAME}
    number: "{TEST_HOTLINE_NUMBER}"
  - name: Số dự phòng
    number: "0236.383.1022"
"""


@pytest.fixture(autouse=True)
def records_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test's own records store (conversation log, ratings, tickets, handoffs, outbox)."""
    url = f"sqlite:///{tmp_path / 'records.sqlite3'}"
    monkeypatch.setenv("TROLYAO_DB_URL", url)
    return url


@pytest.fixture
def records(records_db: str) -> RecordStore:
    """The records store the test's gateway uses, to arrange and inspect."""
    return RecordStore(records_db)


@pytest.fixture(scope="session")
def content_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the content with a test locality of our own, so that officers' edits of the
    real hotlines cannot break these tests (the gateway reads the same live content as the
    action server)."""
    root = tmp_path_factory.mktemp("content") / "content"
    shutil.copytree(REPO_ROOT / "content", root)
    base = yaml.safe_load((root / "localities" / "da-nang.yml").read_text(encoding="utf-8"))
    base.update(yaml.safe_load(LOCALITY_YAML))
    (root / "localities" / f"{TEST_LOCALITY}.yml").write_text(
        yaml.safe_dump(base, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return root


# Nothing in these tests may reach a real platform: unless a test points a channel at a fake,
# its API base is a closed local port.
DEAD_URL = "http://127.0.0.1:9"


@dataclass
class Served:
    server: ServerThread
    fake: Any
    started: list[ServerThread] | None = None

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> None:
        self.server.stop()

    def restart(self) -> None:
        """Serve the same fake again at the same address (after ``stop``)."""
        self.server = ServerThread(self.fake.app(), port=self.server.port).start()
        if self.started is not None:
            self.started.append(self.server)


@pytest.fixture
def servers() -> Iterator[list[ServerThread]]:
    started: list[ServerThread] = []
    yield started
    for server in reversed(started):  # all at once: each takes a tick of uvicorn's loop
        server.signal_exit()
    for server in reversed(started):
        server.stop()


@pytest.fixture
def rasa(servers: list[ServerThread]) -> Iterator[Served]:
    fake = FakeRasa()
    server = ServerThread(fake.app()).start()
    servers.append(server)
    yield Served(server, fake, servers)
    fake.release_all()  # a message a test held at Rasa must not keep its server from stopping


@pytest.fixture
def actions(servers: list[ServerThread]) -> Served:
    fake = FakeActions()
    server = ServerThread(fake.app()).start()
    servers.append(server)
    return Served(server, fake, servers)


def _serve(servers: list[ServerThread], fake: Any) -> Served:
    server = ServerThread(fake.app()).start()
    servers.append(server)
    return Served(server, fake, servers)


@pytest.fixture
def telegram_api(servers: list[ServerThread]) -> Served:
    return _serve(servers, FakeTelegram())


@pytest.fixture
def zalo_api(servers: list[ServerThread]) -> Served:
    return _serve(servers, FakeZaloOA())


@pytest.fixture
def zalo_bot_api(servers: list[ServerThread]) -> Served:
    return _serve(servers, FakeZaloBot())


@dataclass
class Gateway:
    server: ServerThread
    app: Any
    client: httpx.Client

    @property
    def settings(self) -> Settings:
        return self.app.state.settings

    def stop(self) -> None:
        self.server.stop()

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        return self.client.post(path, content=raw, headers={"Content-Type": "application/json", **(headers or {})})

    def chat(self, text: str, sender_id: str = "u1", channel: str = "web") -> httpx.Response:
        body = {"sender_id": sender_id, "text": text, "channel": channel}
        return self.client.post("/api/chat", json=body)

    def inbox(self, sender_id: str = "u1") -> list[dict[str, Any]]:
        response = self.client.get("/api/inbox", params={"sender_id": sender_id})
        assert response.status_code == 200, response.text
        return response.json()["replies"]

    def admin(
        self,
        method: str,
        path: str,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """A call to /admin/api with the test token (or another one, or none with "")."""
        token = self.settings.admin_token if token is None else token
        auth = {"Authorization": f"Bearer {token}"} if token else {}
        return self.client.request(method, "/admin/api" + path, headers={**auth, **(headers or {})}, **kwargs)


MakeGateway = Callable[..., Gateway]


# Channel timings for tests: fast retries; the "slow Rasa" notice after 5 s unless a test
# sets it (no test waits for it by accident).
TEST_TIMINGS: dict[str, Any] = {
    "rasa_timeout_s": 3.0,
    "retry_first_s": 0.1,
    "retry_max_s": 0.4,
    "send_retry_first_s": 0.1,
    "send_retry_max_s": 0.4,
    "telegram_api_base": DEAD_URL,
    "zalo_oa_api_base": DEAD_URL,
    "zalo_oauth_base": DEAD_URL,
    "zalo_bot_api_base": DEAD_URL,
}


@pytest.fixture
def make_gateway(
    servers: list[ServerThread], content_dir: Path, tmp_path: Path, records_db: str
) -> Iterator[Callable[..., Gateway]]:
    clients: list[httpx.Client] = []

    def make(rasa_url: str, actions_url: str = DEAD_URL, **overrides: Any) -> Gateway:
        settings = Settings(
            rasa_url=rasa_url,
            actions_url=actions_url,
            **{
                "content_dir": content_dir,
                "locality": TEST_LOCALITY,
                "state_db": tmp_path / "state.sqlite3",
                "records_db_url": records_db,
                **TEST_TIMINGS,
                **overrides,
            },
        )
        app = create_app(settings)
        server = ServerThread(app).start()
        servers.append(server)
        client = httpx.Client(base_url=server.url, timeout=20, trust_env=False)
        clients.append(client)
        return Gateway(server, app, client)

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def gateway(make_gateway: Callable[..., Gateway], rasa: Served, actions: Served) -> Gateway:
    return make_gateway(rasa.url, actions.url)


# --- channels --------------------------------------------------------------------------------

TELEGRAM_SECRET = "tg-Secret_123"
ZALO_APP = "1234567890"
ZALO_KEY = "zalo-oa-secret-key"
ZALO_BOT_SECRET = "zalo-bot-secret"
PUBLIC_URL = "https://tro-ly.example.gov.vn"


def telegram_settings(api: Served, polling: bool = False) -> dict[str, Any]:
    return {
        "telegram_bot_token": api.fake.token,
        "telegram_webhook_secret": TELEGRAM_SECRET,
        "telegram_public_url": "" if polling else PUBLIC_URL,
        "telegram_api_base": api.url,
    }


def zalo_settings(api: Served, access_token: str = "access-0") -> dict[str, Any]:
    return {
        "zalo_app_id": ZALO_APP,
        "zalo_oa_secret_key": ZALO_KEY,
        "zalo_app_secret": api.fake.app_secret,
        "zalo_oa_access_token": access_token,
        "zalo_oa_refresh_token": "refresh-0",
        "zalo_oa_api_base": api.url,
        "zalo_oauth_base": api.url,
    }


def zalo_bot_settings(api: Served, polling: bool = False) -> dict[str, Any]:
    return {
        "zalo_bot_token": api.fake.token,
        "zalo_bot_secret_token": ZALO_BOT_SECRET,
        "zalo_bot_public_url": "" if polling else PUBLIC_URL,
        "zalo_bot_api_base": api.url,
    }


ADMIN_TOKEN = "admin-Token_for-tests-0123456789"
OFFICERS_CHAT_ID = "-1001234567890"


def officer_settings(token: str = ADMIN_TOKEN) -> dict[str, Any]:
    return {"admin_token": token, "officers_telegram_chat_id": OFFICERS_CHAT_ID}


def wait_ready(gateway: Gateway, *channels: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    running = gateway.app.state.channels
    while not all(name in running and running[name].ready for name in channels):
        if time.monotonic() > deadline:
            raise AssertionError(f"channels not ready: {channels}, running: {list(running)}")
        time.sleep(0.02)


def outbox_size(gateway: Gateway) -> int:
    """Channel messages accepted and not answered yet (the outbox of the state database).

    A message a channel accepts is in the outbox before its webhook answers 200 and leaves it
    only once answered (after Rasa had it): so "outbox empty and Rasa saw only these" proves
    that nothing else was accepted, with no waiting."""
    with contextlib.closing(sqlite3.connect(gateway.settings.state_db)) as db:
        return int(db.execute("SELECT count(*) FROM outbox").fetchone()[0])


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or 'a condition'}")
        time.sleep(0.02)
