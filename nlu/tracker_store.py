"""Rasa's SQL tracker store, made to fail the turn when the database fails (issue 15).

Rasa 3.6 wraps every tracker store in ``FailSafeTrackerStore``: when the database cannot be
read, a conversation silently starts over, and when it cannot be written, the turn is kept in
a process-local ``InMemoryTrackerStore`` that the next turn (on another replica, or after the
database is back) never reads. During a PostgreSQL restart of a few seconds, follow-ups lost
their procedure ("thế lệ phí bao nhiêu" answered with "thủ tục nào?").

``StrictSQLTrackerStore`` (``type: nlu.tracker_store.StrictSQLTrackerStore`` in the endpoints
files) raises ``TrackerStoreUnavailable`` instead, and importing this module patches
``Agent._create_tracker_store`` so that Rasa does not wrap a strict store in its fail-safe
wrapper (every other store is wrapped as before). The turn then fails as a whole, before
anything of it is saved (the events of a turn are written in one transaction at its end), and
``nlu.rest_channel.RestInput`` answers the gateway 503 "turn not kept": the gateway keeps the
message and sends it again once the database is back. Actions that create something (tickets,
bookings) are idempotent per message id, so the second run of the turn creates nothing twice.

Connections the database closed while it restarted are tested before use (``pool_pre_ping``).

It reads and writes what Rasa's store does, more cheaply: Rasa's two queries (the latest
session's events and their count) are SQL written once instead of ORM queries built on every
read and save, and on SQLite the connection is kept, in WAL mode with ``synchronous=NORMAL``
(docs/benchmarks.md, "make bench with the whole catalogue loaded").
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from tthc.records.engine import make_engine

logger = logging.getLogger(__name__)


class TrackerStoreUnavailable(Exception):
    """The conversation could not be read or written: the turn must fail, not go on without it."""


@contextlib.contextmanager
def _failing_as_unavailable(what: str, sender_id: str | None = None) -> Iterator[None]:
    try:
        yield
    except TrackerStoreUnavailable:
        raise
    except Exception as exc:  # any failure of the database or its driver
        logger.warning("tracker store: could not %s%s: %s", what, f" {sender_id!r}" if sender_id else "", exc)
        raise TrackerStoreUnavailable(f"tracker store could not {what}: {type(exc).__name__}") from exc


# Rasa's own queries (SQLTrackerStore._event_query, save), written once as SQL: Rasa builds them
# with the ORM on every read and every save, a third of its CPU per turn under load. The latest
# session: the events from its SessionStarted on, or all of them when there is none.
_SESSION_START = "(SELECT MAX(timestamp) FROM events WHERE sender_id = :sender AND type_name = :started)"
_LATEST_SESSION = f"sender_id = :sender AND (timestamp >= {_SESSION_START} OR {_SESSION_START} IS NULL)"
LATEST_SESSION_EVENTS = sa.text(f"SELECT data FROM events WHERE {_LATEST_SESSION} ORDER BY id")
LATEST_SESSION_COUNT = sa.text(f"SELECT COUNT(*) FROM events WHERE {_LATEST_SESSION}")
ALL_EVENTS = sa.text("SELECT data FROM events WHERE sender_id = :sender ORDER BY id")


def _params(sender_id: str) -> dict[str, str]:
    return {"sender": sender_id, "started": SessionStarted.type_name}


def _row(sender_id: str, event: Event) -> dict[str, Any]:
    """An event as Rasa's SQLTrackerStore.save stores it."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


class StrictSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose errors reach the turn (``TrackerStoreUnavailable``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        if self.engine.dialect.name == "sqlite":
            # Rasa opens and closes a connection per turn and commits with a full fsync (its
            # SQLite defaults); the records' engine keeps its connections, in WAL mode with
            # synchronous=NORMAL, which loses nothing on a process crash. The two cost about a
            # seventh of Rasa's CPU per turn under load.
            self.engine = make_engine(str(url), future=False)
        else:
            # The same engine as Rasa's, with connections tested before use: after a database
            # restart the pool's old connections are replaced instead of failing one turn each.
            self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        logger.info("tracker store: %s, strict (an error fails the turn)", self.engine.dialect.name)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        with _failing_as_unavailable("read", sender_id):
            return await super().retrieve(sender_id)

    async def retrieve_full_tracker(self, conversation_id: str) -> DialogueStateTracker | None:
        with _failing_as_unavailable("read", conversation_id):
            return await super().retrieve_full_tracker(conversation_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        with _failing_as_unavailable("save", tracker.sender_id):
            await self.stream_events(tracker)
            with self.engine.begin() as db:  # one transaction: the count and the new events
                stored = db.execute(LATEST_SESSION_COUNT, _params(tracker.sender_id)).scalar_one()
                rows = [_row(tracker.sender_id, event) for event in itertools.islice(tracker.events, stored, None)]
                if rows:
                    db.execute(self.SQLEvent.__table__.insert(), rows)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        statement = ALL_EVENTS if fetch_events_from_all_sessions else LATEST_SESSION_EVENTS
        with self.engine.connect() as db:
            rows = db.execute(statement, _params(sender_id)).scalars().all()
        events = [json.loads(data) for data in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    async def keys(self) -> Iterable[str]:
        with _failing_as_unavailable("list conversations"):
            return await super().keys()


def _strict_stores_unwrapped() -> None:
    """Patch ``Agent._create_tracker_store``: a strict store is used as it is; any other store
    gets Rasa's ``FailSafeTrackerStore`` as before. Idempotent."""
    from rasa.core.agent import Agent

    original = Agent.__dict__["_create_tracker_store"].__func__
    if getattr(original, "_trolyao_strict", False):
        return

    def create_tracker_store(store: Any, domain: Any) -> Any:
        if isinstance(store, StrictSQLTrackerStore):
            store.domain = domain  # what Rasa does before wrapping
            return store
        return original(store, domain)

    create_tracker_store._trolyao_strict = True  # type: ignore[attr-defined]
    create_tracker_store.__doc__ = original.__doc__
    Agent._create_tracker_store = staticmethod(create_tracker_store)  # type: ignore[method-assign]


# Rasa imports this module (the endpoints file names the class) before it creates the Agent.
_strict_stores_unwrapped()
