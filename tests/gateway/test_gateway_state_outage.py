"""The channels' state database unreachable (a shared PostgreSQL restarting): a message that
arrives meanwhile is held, the citizen gets the hotline notice, and once the database is back the
message is answered once, even if the platform redelivered it in between."""

from __future__ import annotations

import threading
from typing import Any

from conftest import TELEGRAM_SECRET, MakeGateway, Served, telegram_settings, wait_ready
from test_gateway_telegram import text_update

from connectors import messages

HEADER = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}


class Down:
    """Makes some methods of the state store raise like a database that is not there; once it
    is back, records what ``accept`` returned (a job, or None for a message already seen)."""

    def __init__(self, store: Any, *names: str) -> None:
        self.down = True
        self.accepted: list[Any] = []
        self._changed = threading.Condition()
        for name in names:
            original = getattr(store, name)
            setattr(store, name, self._wrap(name, original))

    def _wrap(self, name: str, original: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            if self.down:
                raise ConnectionError("the database system is starting up")
            result = original(*args, **kwargs)
            if name == "accept":
                with self._changed:
                    self.accepted.append(result)
                    self._changed.notify_all()
            return result

        return call

    def wait_accepted(self, count: int, timeout: float = 10.0) -> list[Any]:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.accepted) >= count, timeout):
                raise AssertionError(f"timed out waiting for {count} accept calls; got {self.accepted}")
            return list(self.accepted)


def test_message_during_a_state_store_outage_is_held_then_answered_once(
    make_gateway: MakeGateway, rasa: Served, actions: Served, telegram_api: Served
) -> None:
    gateway = make_gateway(rasa.url, actions.url, **telegram_settings(telegram_api), notice_after_s=0.3)
    wait_ready(gateway, "telegram")
    outage = Down(gateway.app.state.store, "accept", "get")
    assert gateway.post("/webhooks/telegram", text_update(41, "lệ phí khai sinh"), HEADER).status_code == 200
    assert gateway.post("/webhooks/telegram", text_update(41, "lệ phí khai sinh"), HEADER).status_code == 200
    [notice] = telegram_api.fake.wait_count(1, "sendMessage")
    assert notice.params["text"].startswith(messages.BOT_DELAYED.split("{")[0])
    assert rasa.fake.received == []
    outage.down = False
    # Both held copies are accepted in turn once the database answers: the first becomes a job,
    # the redelivered copy is recognised by the dedupe (None) and dropped.
    first, second = outage.wait_accepted(2)
    assert first is not None and second is None
    telegram_api.fake.wait_count(2, "sendMessage")
    # A marker from the same chat: answered after everything accepted before it.
    assert gateway.post("/webhooks/telegram", text_update(42, "hết"), HEADER).status_code == 200
    telegram_api.fake.wait_count(3, "sendMessage")
    assert telegram_api.fake.texts()[1:] == ["Bạn hỏi: lệ phí khai sinh", "Bạn hỏi: hết"]
    assert rasa.fake.texts() == ["lệ phí khai sinh", "hết"]


OLD_SCHEMA = """
CREATE TABLE seen (channel TEXT NOT NULL, message_id TEXT NOT NULL, expires REAL NOT NULL,
    PRIMARY KEY (channel, message_id));
CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT NOT NULL, user_id TEXT NOT NULL,
    message_id TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL, created REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, notified INTEGER NOT NULL DEFAULT 0);
CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated REAL NOT NULL);
INSERT INTO outbox (channel, user_id, message_id, kind, text, created)
    VALUES ('telegram', '7', 'm1', 'text', 'chào', 1000);
INSERT INTO kv VALUES ('zalo_oa.tokens', '{"refresh_token": "r-1"}', 1000);
"""


def test_a_state_file_from_before_replicas_keeps_its_outbox_and_tokens(tmp_path: Any) -> None:
    import sqlite3

    from connectors.state import ChannelState

    path = tmp_path / "state.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
    store = ChannelState(path)
    [job] = store.pending({"telegram"})
    assert (job.user_id, job.text) == ("7", "chào")
    assert store.get("zalo_oa.tokens") == {"refresh_token": "r-1"}
    assert store.accept("telegram", "7", "m2", "text", "lần hai", ttl_s=10) is not None
    store.close()
