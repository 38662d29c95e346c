"""Fixtures: real fake servers on 127.0.0.1 and the real gateway served by uvicorn."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # run from anywhere, with or without `python -m`
    sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gateway_fakes import FakeActions, FakeRasa, ServerThread  # noqa: E402

from connectors.app import create_app  # noqa: E402
from connectors.settings import Settings  # noqa: E402

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


@pytest.fixture(scope="session")
def content_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A content directory of our own, so that officers' edits cannot break these tests."""
    root = tmp_path_factory.mktemp("content")
    (root / "localities").mkdir()
    (root / "localities" / f"{TEST_LOCALITY}.yml").write_text(LOCALITY_YAML, encoding="utf-8")
    return root


@dataclass
class Served:
    server: ServerThread
    fake: Any

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture
def servers() -> Iterator[list[ServerThread]]:
    started: list[ServerThread] = []
    yield started
    for server in reversed(started):
        server.stop()


@pytest.fixture
def rasa(servers: list[ServerThread]) -> Served:
    fake = FakeRasa()
    server = ServerThread(fake.app()).start()
    servers.append(server)
    return Served(server, fake)


@pytest.fixture
def actions(servers: list[ServerThread]) -> Served:
    fake = FakeActions()
    server = ServerThread(fake.app()).start()
    servers.append(server)
    return Served(server, fake)


@dataclass
class Gateway:
    server: ServerThread
    app: Any
    client: httpx.Client

    def chat(self, text: str, sender_id: str = "u1", channel: str = "web") -> httpx.Response:
        body = {"sender_id": sender_id, "text": text, "channel": channel}
        return self.client.post("/api/chat", json=body)


MakeGateway = Callable[..., Gateway]


@pytest.fixture
def make_gateway(
    servers: list[ServerThread], content_dir: Path
) -> Iterator[Callable[..., Gateway]]:
    clients: list[httpx.Client] = []

    def make(rasa_url: str, actions_url: str = "http://127.0.0.1:9", **overrides: Any) -> Gateway:
        settings = Settings(
            rasa_url=rasa_url,
            actions_url=actions_url,
            content_dir=content_dir,
            locality=TEST_LOCALITY,
            rasa_timeout_s=overrides.pop("rasa_timeout_s", 3.0),
            **overrides,
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
