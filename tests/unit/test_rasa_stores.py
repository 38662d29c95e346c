"""Issue 15, Rasa's side: a tracker-store or lock-store outage fails the turn (503 "turn not
kept" to the gateway) instead of Rasa going on with an empty in-memory conversation.

The whole path with a real model, PostgreSQL and Redis is tests/scaled; here each piece: the
endpoints files load the strict stores, the patch keeps Rasa's fail-safe wrapper off them (and
only them), their errors reach the turn, and the REST channel answers 503 for those errors only.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sqlite3
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.core.lock_store import InMemoryLockStore, LockError
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore, TrackerStore
from rasa.core.utils import AvailableEndpoints
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from nlu.lock_store import LockStoreUnavailable, StrictRedisLockStore
from nlu.rest_channel import NOT_KEPT, NOT_KEPT_HEADER, RestInput
from nlu.tracker_store import StrictSQLTrackerStore, TrackerStoreUnavailable, _strict_stores_unwrapped
from tthc import paths

DEPLOY = paths.REPO / "deploy"


def sqlite_store(path: Path, strict: bool = True) -> SQLTrackerStore:
    kind = StrictSQLTrackerStore if strict else SQLTrackerStore
    return kind(domain=Domain.empty(), dialect="sqlite", db=str(path))


def a_tracker(sender: str = "tg:1") -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, [])
    tracker.update(UserUttered("làm căn cước cần gì", {"name": "ask_documents", "confidence": 0.9}))
    return tracker


def break_database(path: Path) -> None:
    """The database loses its table under Rasa (as good as the server being gone)."""
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE events")


# --- the endpoints files ---------------------------------------------------------------------


def test_the_endpoints_files_and_credentials_name_the_strict_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scaled = yaml.safe_load((DEPLOY / "endpoints.scaled.yml").read_text(encoding="utf-8"))
    assert scaled["tracker_store"]["type"] == "nlu.tracker_store.StrictSQLTrackerStore"
    assert scaled["lock_store"]["type"] == "nlu.lock_store.StrictRedisLockStore"
    credentials = yaml.safe_load((paths.BOT / "credentials.yml").read_text(encoding="utf-8"))
    assert list(credentials) == ["nlu.rest_channel.RestInput"] and RestInput.name() == "rest"  # same URL
    # Rasa reads bot/endpoints.yml (SQLite by default) into a strict store, not wrapped by the Agent.
    monkeypatch.setenv("ACTION_ENDPOINT_URL", "http://127.0.0.1:9/webhook")
    monkeypatch.setenv("TRACKER_DIALECT", "sqlite")
    monkeypatch.setenv("TRACKER_STORE_URL", "")
    endpoints = AvailableEndpoints.read_endpoints(str(paths.BOT / "endpoints.yml"))
    endpoints.tracker_store.kwargs["db"] = str(tmp_path / "rasa.db")
    store = TrackerStore.create(endpoints.tracker_store, Domain.empty())
    assert type(store) is StrictSQLTrackerStore  # an unknown type would silently be in-memory
    assert Agent(tracker_store=store).tracker_store is store
    # The Redis lock store of the scaled file is ours (no connection is made until a lock is taken).
    scaled_lock = scaled["lock_store"]
    from rasa.core.lock_store import LockStore
    from rasa.utils.endpoints import EndpointConfig

    kwargs = {k: v for k, v in scaled_lock.items() if k not in ("type", "url")}
    config = EndpointConfig(url="127.0.0.1", type=scaled_lock["type"], **{**kwargs, "port": 6379})
    assert type(LockStore.create(config)) is StrictRedisLockStore


# --- the tracker store -----------------------------------------------------------------------


def test_rasa_wraps_other_stores_in_its_fail_safe_and_silently_forgets(tmp_path: Path) -> None:
    """What issue 15 is about: the stock store behind Rasa's wrapper, database gone."""
    path = tmp_path / "stock.db"
    agent = Agent(tracker_store=sqlite_store(path, strict=False))
    assert isinstance(agent.tracker_store, FailSafeTrackerStore)
    asyncio.run(agent.tracker_store.save(a_tracker()))
    break_database(path)
    assert asyncio.run(agent.tracker_store.retrieve("tg:1")) is None  # the conversation is "new"
    asyncio.run(agent.tracker_store.save(a_tracker()))  # "saved": in this process's memory only


def test_a_strict_store_error_reaches_the_turn(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "rasa.db"
    agent = Agent(tracker_store=sqlite_store(path))
    store = agent.tracker_store
    assert isinstance(store, StrictSQLTrackerStore)
    asyncio.run(store.save(a_tracker()))
    kept = asyncio.run(store.retrieve("tg:1"))
    assert kept is not None and kept.latest_message.text == "làm căn cước cần gì"
    break_database(path)
    caplog.set_level(logging.WARNING, "nlu.tracker_store")
    for call in (store.retrieve("tg:1"), store.save(a_tracker()), store.retrieve_full_tracker("tg:1"), store.keys()):
        with pytest.raises(TrackerStoreUnavailable):
            asyncio.run(call)
    with pytest.raises(TrackerStoreUnavailable):  # what the processor calls first in a turn
        asyncio.run(store.get_or_create_tracker("tg:2"))
    assert "tracker store: could not read 'tg:1'" in caplog.text


def test_the_patch_is_applied_once_and_only_to_strict_stores(tmp_path: Path) -> None:
    _strict_stores_unwrapped()  # importing nlu.tracker_store applied it already: a no-op
    strict = sqlite_store(tmp_path / "a.db")
    assert Agent(tracker_store=strict).tracker_store is strict
    assert isinstance(Agent().tracker_store, FailSafeTrackerStore)  # in-memory default, as before
    stock = sqlite_store(tmp_path / "b.db", strict=False)
    assert isinstance(Agent(tracker_store=stock).tracker_store, FailSafeTrackerStore)


# --- the REST channel ------------------------------------------------------------------------


def post(channel: RestInput, handler: Any, body: dict[str, Any] | None = None) -> tuple[int, dict[str, str], Any]:
    import json

    body = body or {"sender": "tg:1", "message": "lệ phí bao nhiêu", "metadata": {"message_id": "41"}}
    request = SimpleNamespace(json=body, args={})
    answer = asyncio.run(channel.handle_request(handler, request))
    return answer.status, dict(answer.headers), json.loads(answer.body)


@pytest.mark.parametrize(
    "error", [TrackerStoreUnavailable("save"), LockStoreUnavailable("redis down"), LockError("lock expired")]
)
def test_the_rest_channel_answers_503_when_the_turn_could_not_be_kept(error: Exception) -> None:
    async def fails(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, "một nửa câu trả lời")
        raise error

    status, headers, body = post(RestInput(), fails)
    assert status == 503 and headers[NOT_KEPT_HEADER] == NOT_KEPT and headers["Retry-After"] == "1"
    assert body["error"] == "turn_not_kept"  # and no half answer: the turn is done again later


def test_the_rest_channel_keeps_rasas_answers_otherwise() -> None:
    seen: list[UserMessage] = []

    async def answers(message: UserMessage) -> None:
        seen.append(message)
        await message.output_channel.send_text_message(message.sender_id, "Lệ phí: 50.000 đồng.")

    status, _, body = post(RestInput(), answers)
    assert status == 200 and body == [{"recipient_id": "tg:1", "text": "Lệ phí: 50.000 đồng."}]
    assert seen[0].metadata == {"message_id": "41"} and seen[0].input_channel == "rest"

    async def bug(message: UserMessage) -> None:
        raise ValueError("a bug, not an outage")

    assert post(RestInput(), bug)[:1] == (200,)  # as Rasa does: retrying would not help


# --- the lock store --------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def one_turn(store: Any, conversation: str = "tg:1") -> str:
    async with store.lock(conversation):
        return "handled"


def test_redis_down_fails_the_turn_before_it_starts() -> None:
    store = StrictRedisLockStore(host="127.0.0.1", port=closed_port(), socket_timeout=1)
    with pytest.raises(LockStoreUnavailable):
        asyncio.run(one_turn(store))


class FlakyRedis:
    """A dict with Redis's three calls; ``down`` makes every call fail as a refused connection."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.down = False

    def _check(self) -> None:
        if self.down:
            import redis

            raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    def get(self, key: str) -> bytes | None:
        self._check()
        return self.data.get(key)

    def set(self, key: str, value: str) -> None:
        self._check()
        self.data[key] = value.encode() if isinstance(value, str) else value

    def delete(self, key: str) -> int:
        self._check()
        return int(self.data.pop(key, None) is not None)


def test_redis_lost_after_the_turn_does_not_fail_it(caplog: pytest.LogCaptureFixture) -> None:
    """The turn was handled and saved: failing it now would have the gateway send it twice."""
    store = StrictRedisLockStore(host="127.0.0.1", port=closed_port())
    store.red = FlakyRedis()  # type: ignore[assignment]
    assert asyncio.run(one_turn(store)) == "handled" and store.red.data == {}  # taken and given back

    async def redis_dies_during_the_turn() -> str:
        async with store.lock("tg:1"):
            store.red.down = True
            return "handled"

    caplog.set_level(logging.WARNING, "nlu.lock_store")
    assert asyncio.run(redis_dies_during_the_turn()) == "handled"
    assert "lock of 'tg:1' not released" in caplog.text


def test_redis_lost_while_waiting_for_the_turn_before_fails_it() -> None:
    store = StrictRedisLockStore(host="127.0.0.1", port=closed_port())
    store.red = FlakyRedis()  # type: ignore[assignment]
    store.issue_ticket("tg:1", 60)  # an earlier message of the conversation holds the lock

    async def second_message() -> None:
        waiting = asyncio.ensure_future(one_turn(store))
        await asyncio.sleep(0.05)
        store.red.down = True  # Redis dies while the second message waits its turn
        await waiting

    with pytest.raises(LockStoreUnavailable):
        asyncio.run(second_message())
    assert issubclass(LockStoreUnavailable, LockError)  # Rasa's own error type for lock failures
    assert not isinstance(InMemoryLockStore(), StrictRedisLockStore)


def test_the_sqlite_store_keeps_its_connection_in_wal_without_a_full_fsync(tmp_path: Path) -> None:
    """Rasa's defaults open a connection per turn and fsync every commit (synchronous=FULL)."""
    store = sqlite_store(tmp_path / "rasa.db")
    asyncio.run(store.save(a_tracker()))
    asyncio.run(store.save(a_tracker("tg:2")))
    with store.engine.connect() as db:
        assert db.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert db.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    assert store.engine.pool.checkedin() == 1  # one connection, kept between turns
    kept = asyncio.run(sqlite_store(tmp_path / "rasa.db").retrieve("tg:2"))
    assert kept is not None and kept.latest_message.text == "làm căn cước cần gì"


def test_the_strict_store_reads_and_writes_what_rasas_own_does(tmp_path: Path) -> None:
    """Its SQL queries (written once instead of built per turn) against Rasa's ORM queries, on the
    same database: the latest session, all sessions, and events appended by either."""
    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet

    path = tmp_path / "rasa.db"
    ours, stock = sqlite_store(path), sqlite_store(path, strict=False)
    tracker = DialogueStateTracker("tg:7", [])
    for event in (
        ActionExecuted("action_session_start", timestamp=1.0),
        SessionStarted(timestamp=1.0),
        UserUttered("làm căn cước cần gì", {"name": "ask_documents", "confidence": 0.9}, timestamp=2.0),
        SlotSet("procedure", "can-cuoc", timestamp=3.0),
    ):
        tracker.update(event)
    asyncio.run(ours.save(tracker))
    first_session = [e.as_dict() for e in tracker.events]
    # as Rasa does: each turn reads the latest session, adds its events and saves
    tracker = asyncio.run(stock.retrieve("tg:7"))
    assert tracker is not None and [e.as_dict() for e in tracker.events] == first_session
    tracker.update(SessionStarted(timestamp=10.0))
    tracker.update(UserUttered("lệ phí bao nhiêu", {"name": "ask_fee", "confidence": 0.9}, timestamp=11.0))
    asyncio.run(stock.save(tracker))  # Rasa's own save appends after ours
    tracker = asyncio.run(ours.retrieve("tg:7"))
    assert tracker is not None
    tracker.update(ActionExecuted("action_listen", timestamp=12.0))
    asyncio.run(ours.save(tracker))
    asyncio.run(ours.save(tracker))  # nothing new: nothing written twice
    second_session = [e.as_dict() for e in tracker.events]

    def events(store: SQLTrackerStore, full: bool = False) -> list[dict]:
        read = store.retrieve_full_tracker if full else store.retrieve
        kept = asyncio.run(read("tg:7"))
        assert kept is not None
        return [e.as_dict() for e in kept.events]

    assert events(ours) == events(stock) == second_session and len(second_session) == 3
    assert events(ours, full=True) == events(stock, full=True) == first_session + second_session
    assert asyncio.run(ours.retrieve("nobody")) is None
