"""The channels' small durable state: one SQLite file under var/ by default, or a database
server shared by several gateway replicas (``TROLYAO_STATE_DB_URL``, e.g. PostgreSQL).

- ``seen``: platform message ids already accepted (platforms redeliver), with an expiry;
- ``outbox``: accepted messages not answered yet (Rasa down or slow); removed once answered;
- ``kv``: small values (the Zalo OA tokens, numbered options offered to a sender);
- ``callbacks``: Telegram button payloads too long for callback_data, by short id;
- ``media``: images from data: URIs served at /media/<id> for platforms that need a URL;
- ``web_history``: what the web chat showed a sender, kept for a limited time
  (``connectors.history``), so that a reload shows the conversation again;
- ``sends``: the outbound queue, messages to citizens not yet taken by their platform
  (``connectors.outbound``), with the parts already sent, so none is sent twice;
- ``leases``: who works on what for now: a citizen's outbound queue (one replica at a time,
  so that answers leave in order) and the Zalo OA token refresh (one for all replicas).

Shared by replicas: a platform's retry of a message landing on the other replica is dropped
by the same unique key (``INSERT ... ON CONFLICT DO NOTHING`` in one transaction), and every
outbox message has an owner (the replica that accepted it) and a lease that the owner renews
on each attempt. A replica resumes its own messages when it starts and adopts the messages of
a replica whose lease ran out (it died), so an accepted message is answered once.

On its own SQLite file the tables keep their historic names; on a server database they are
prefixed ``gateway_`` so they can live beside the bot's records in the same database.

Every call is a few milliseconds of I/O (local disk or a database on the local network),
made from the event loop.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from tthc.records.engine import create_all, make_engine

MEDIA_TTL_S = 30 * 86_400.0
CALLBACK_TTL_S = 90 * 86_400.0
# An outbox message whose owner has not touched it for this long is adopted by another replica.
# The owner renews the lease on every attempt, and attempts are at most CHANNEL_RETRY_MAX_S
# (60 s by default) apart.
LEASE_S = 300.0
SERVER_PREFIX = "gateway_"


@dataclass
class Job:
    """One accepted message waiting in the outbox."""

    id: int
    channel: str
    user_id: str
    message_id: str
    kind: str
    text: str
    created: float
    attempts: int = 0
    notified: bool = False
    request_id: str | None = None  # the webhook request that accepted it (not stored)


@dataclass
class Send:
    """One message (in one or more parts) waiting in the outbound queue."""

    id: int
    channel: str
    user_id: str
    kind: str  # "answer", "notice" or "officer"
    parts: list[dict[str, Any]]  # rendered replies, as Reply.to_dict()
    sent: int  # parts the platform took already
    created: float
    expires: float  # given up after this
    attempts: int = 0
    next_at: float = 0.0  # not tried again before
    unknown: int = 0  # sends of the current part that ended with no answer
    question: str | None = None  # the citizen's question, quoted if the answer is late
    asked: float | None = None
    request_id: str | None = None
    ref: str | None = None  # the officer message it carries ("officer:<id>")


_SEND_COLUMNS = (
    "id", "channel", "user_id", "kind", "parts", "sent", "created", "expires", "attempts", "next_at",
    "unknown", "question", "asked", "request_id", "ref",
)  # fmt: skip


def _tables(prefix: str) -> tuple[sa.MetaData, dict[str, sa.Table]]:
    metadata = sa.MetaData()
    tables = {
        "seen": sa.Table(
            prefix + "seen", metadata,
            sa.Column("channel", sa.Text, primary_key=True),
            sa.Column("message_id", sa.Text, primary_key=True),
            sa.Column("expires", sa.Float, nullable=False),
        ),
        "outbox": sa.Table(
            prefix + "outbox", metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("channel", sa.Text, nullable=False),
            sa.Column("user_id", sa.Text, nullable=False),
            sa.Column("message_id", sa.Text, nullable=False),
            sa.Column("kind", sa.Text, nullable=False),
            sa.Column("text", sa.Text, nullable=False),
            sa.Column("created", sa.Float, nullable=False),
            sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
            sa.Column("notified", sa.Integer, nullable=False, server_default="0"),
            sa.Column("owner", sa.Text, nullable=True),
            sa.Column("lease", sa.Float, nullable=True),
            sqlite_autoincrement=True,
        ),
        "kv": sa.Table(
            prefix + "kv", metadata,
            sa.Column("key", sa.Text, primary_key=True),
            sa.Column("value", sa.Text, nullable=False),
            sa.Column("updated", sa.Float, nullable=False),
        ),
        "callbacks": sa.Table(
            prefix + "callbacks", metadata,
            sa.Column("id", sa.Text, primary_key=True),
            sa.Column("payload", sa.Text, nullable=False),
            sa.Column("created", sa.Float, nullable=False),
        ),
        "media": sa.Table(
            prefix + "media", metadata,
            sa.Column("id", sa.Text, primary_key=True),
            sa.Column("mime", sa.Text, nullable=False),
            sa.Column("data", sa.LargeBinary, nullable=False),
            sa.Column("created", sa.Float, nullable=False),
        ),
        "history": sa.Table(
            prefix + "web_history", metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("sender", sa.Text, nullable=False),
            sa.Column("at", sa.Float, nullable=False),
            sa.Column("kind", sa.Text, nullable=False),
            sa.Column("body", sa.Text, nullable=False),
            sa.Index(prefix + "web_history_sender", "sender", "id"),
            sqlite_autoincrement=True,
        ),
        "sends": sa.Table(
            prefix + "sends", metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("channel", sa.Text, nullable=False),
            sa.Column("user_id", sa.Text, nullable=False),
            sa.Column("kind", sa.Text, nullable=False),
            sa.Column("parts", sa.Text, nullable=False),
            sa.Column("sent", sa.Integer, nullable=False, server_default="0"),
            sa.Column("created", sa.Float, nullable=False),
            sa.Column("expires", sa.Float, nullable=False),
            sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
            sa.Column("next_at", sa.Float, nullable=False, server_default="0"),
            sa.Column("unknown", sa.Integer, nullable=False, server_default="0"),
            sa.Column("question", sa.Text, nullable=True),
            sa.Column("asked", sa.Float, nullable=True),
            sa.Column("request_id", sa.Text, nullable=True),
            sa.Column("ref", sa.Text, nullable=True),
            sa.Index(prefix + "sends_citizen", "channel", "user_id", "id"),
            sqlite_autoincrement=True,
        ),
        "leases": sa.Table(
            prefix + "leases", metadata,
            sa.Column("key", sa.Text, primary_key=True),
            sa.Column("owner", sa.Text, nullable=False),
            sa.Column("expires", sa.Float, nullable=False),
        ),
    }  # fmt: skip
    return metadata, tables


def default_owner(port: int | None = None) -> str:
    """This replica's name in the outbox: host name, and port when several share a host."""
    host = socket.gethostname() or "gateway"
    return f"{host}:{port}" if port else host


def open_channel_state(path: Path, url: str = "", port: int | None = None) -> ChannelState:
    """The deployment's channel state: the shared database at ``url`` if set, else the SQLite file."""
    return ChannelState(url or path, owner=default_owner(port))


class ChannelState:
    """The state tables over SQLAlchemy Core: one SQLite connection under a lock (WAL), or a
    small connection pool to a database server."""

    def __init__(self, where: Path | str, owner: str | None = None) -> None:
        self.owner = owner or default_owner()
        if isinstance(where, str) and "://" in where:
            self.path: Path | None = None
            self.url = where
        else:
            self.path = Path(where)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.url = f"sqlite:///{self.path}"
        self._sqlite = self.url.startswith("sqlite")
        # Its own SQLite file keeps the historic table names; a shared server gets a prefix.
        self._metadata, self._t = _tables("" if self._sqlite else SERVER_PREFIX)
        self._lock: threading.Lock | None = threading.Lock() if self._sqlite else None
        # SQLite: one connection, used under self._lock.
        self.engine = make_engine(self.url, sa.pool.StaticPool, connect_timeout_s=3, pool_size=4, max_overflow=4)
        self._create_schema()

    def _create_schema(self) -> None:
        with self._session() as db:
            create_all(db, self._metadata, _LOCK_KEY)
            outbox = self._t["outbox"]
            present = {c["name"] for c in sa.inspect(db).get_columns(outbox.name)}
            for column in ("owner", "lease"):
                if column not in present:  # a file from before replicas were possible
                    kind = "TEXT" if column == "owner" else "REAL"
                    db.execute(sa.text(f"ALTER TABLE {outbox.name} ADD COLUMN {column} {kind}"))

    @contextmanager
    def _session(self) -> Iterator[sa.engine.Connection]:
        """One transaction (under the lock for SQLite)."""
        if self._lock is None:
            with self.engine.begin() as db:
                yield db
            return
        with self._lock, self.engine.begin() as db:
            yield db

    def close(self) -> None:
        if self._lock is None:
            self.engine.dispose()
            return
        with self._lock:
            self.engine.dispose()

    def _insert(self, table: sa.Table) -> Any:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

    # --- dedupe and outbox -----------------------------------------------------------------

    def accept(
        self,
        channel: str,
        user_id: str,
        message_id: str,
        kind: str,
        text: str,
        ttl_s: float,
        now: float | None = None,
    ) -> Job | None:
        """Remember the message id and queue the message; None if the id was seen already
        (by this replica or any other sharing the database)."""
        now = time.time() if now is None else now
        seen, outbox = self._t["seen"], self._t["outbox"]
        with self._session() as db:
            db.execute(
                seen.delete().where(seen.c.channel == channel, seen.c.message_id == message_id, seen.c.expires < now)
            )
            inserted = db.execute(
                self._insert(seen)
                .values(channel=channel, message_id=message_id, expires=now + ttl_s)
                .on_conflict_do_nothing(index_elements=["channel", "message_id"])
            )
            if inserted.rowcount == 0:
                return None
            result = db.execute(
                outbox.insert().values(
                    channel=channel, user_id=user_id, message_id=message_id, kind=kind, text=text,
                    created=now, attempts=0, notified=0, owner=self.owner, lease=now + LEASE_S,
                )
            )  # fmt: skip
            job_id = result.inserted_primary_key[0]
        assert job_id is not None
        return Job(int(job_id), channel, user_id, message_id, kind, text, now)

    def pending(self, channels: set[str] | None = None, now: float | None = None) -> list[Job]:
        """Unanswered messages to resume at start, oldest first: this replica's own, and those
        no live replica holds (no owner, or a lease run out). They become this replica's."""
        return self._claim(channels, now, own=True)

    def adopt(self, channels: set[str] | None = None, now: float | None = None) -> list[Job]:
        """Unanswered messages of replicas that stopped renewing their lease (while running)."""
        return self._claim(channels, now, own=False)

    def _claim(self, channels: set[str] | None, now: float | None, own: bool) -> list[Job]:
        now = time.time() if now is None else now
        outbox = self._t["outbox"]
        free = sa.or_(outbox.c.owner.is_(None), outbox.c.lease.is_(None), outbox.c.lease < now)
        if own:
            claimable = sa.or_(outbox.c.owner == self.owner, free)
        else:
            claimable = sa.and_(sa.or_(outbox.c.owner.is_(None), outbox.c.owner != self.owner), free)
        if channels is not None:
            claimable = sa.and_(claimable, outbox.c.channel.in_(sorted(channels)))
        with self._session() as db:
            query = sa.select(outbox.c.id).where(claimable).order_by(outbox.c.id)
            if self.engine.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = list(db.execute(query).scalars())
            if not ids:
                return []
            db.execute(outbox.update().where(outbox.c.id.in_(ids)).values(owner=self.owner, lease=now + LEASE_S))
            rows = db.execute(
                sa.select(
                    outbox.c.id, outbox.c.channel, outbox.c.user_id, outbox.c.message_id, outbox.c.kind,
                    outbox.c.text, outbox.c.created, outbox.c.attempts, outbox.c.notified,
                ).where(outbox.c.id.in_(ids)).order_by(outbox.c.id)
            ).all()  # fmt: skip
        return [Job(*row[:8], notified=bool(row[8])) for row in rows]

    def update(self, job: Job) -> None:
        """Save the attempts of a message still being tried, and renew this replica's lease."""
        outbox = self._t["outbox"]
        with self._session() as db:
            db.execute(
                outbox.update()
                .where(outbox.c.id == job.id)
                .values(attempts=job.attempts, notified=int(job.notified), owner=self.owner,
                        lease=time.time() + LEASE_S)
            )  # fmt: skip

    def done(self, job: Job) -> None:
        """The message is answered (or given up): its text leaves the disk."""
        outbox = self._t["outbox"]
        with self._session() as db:
            db.execute(outbox.delete().where(outbox.c.id == job.id))

    def prune(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        seen, media, callbacks = self._t["seen"], self._t["media"], self._t["callbacks"]
        with self._session() as db:
            db.execute(seen.delete().where(seen.c.expires < now))
            db.execute(media.delete().where(media.c.created < now - MEDIA_TTL_S))
            db.execute(callbacks.delete().where(callbacks.c.created < now - CALLBACK_TTL_S))
            leases = self._t["leases"]  # of replicas that died holding them
            db.execute(leases.delete().where(leases.c.expires < now - 3600))

    # --- small values ----------------------------------------------------------------------

    def get(self, key: str) -> Any:
        kv = self._t["kv"]
        with self._session() as db:
            value = db.execute(sa.select(kv.c.value).where(kv.c.key == key)).scalar()
        return json.loads(value) if value is not None else None

    def put(self, key: str, value: Any) -> None:
        kv = self._t["kv"]
        statement = self._insert(kv).values(key=key, value=json.dumps(value, ensure_ascii=False), updated=time.time())
        statement = statement.on_conflict_do_update(
            index_elements=["key"],
            set_={"value": statement.excluded.value, "updated": statement.excluded.updated},
        )
        with self._session() as db:
            db.execute(statement)

    def delete(self, key: str) -> None:
        kv = self._t["kv"]
        with self._session() as db:
            db.execute(kv.delete().where(kv.c.key == key))

    # --- Telegram callback ids and served images ---------------------------------------------

    def put_callback(self, callback_id: str, payload: str) -> None:
        callbacks = self._t["callbacks"]
        statement = self._insert(callbacks).values(id=callback_id, payload=payload, created=time.time())
        statement = statement.on_conflict_do_update(index_elements=["id"], set_={"created": statement.excluded.created})
        with self._session() as db:
            db.execute(statement)

    def get_callback(self, callback_id: str) -> str | None:
        callbacks = self._t["callbacks"]
        with self._session() as db:
            return db.execute(sa.select(callbacks.c.payload).where(callbacks.c.id == callback_id)).scalar()

    def put_media(self, media_id: str, mime: str, data: bytes) -> None:
        media = self._t["media"]
        statement = self._insert(media).values(id=media_id, mime=mime, data=data, created=time.time())
        statement = statement.on_conflict_do_update(index_elements=["id"], set_={"created": statement.excluded.created})
        with self._session() as db:
            db.execute(statement)

    def get_media(self, media_id: str) -> tuple[str, bytes] | None:
        media = self._t["media"]
        with self._session() as db:
            row = db.execute(sa.select(media.c.mime, media.c.data).where(media.c.id == media_id)).first()
        return (row[0], bytes(row[1])) if row else None

    # --- the web chat's history (connectors.history) -------------------------------------------

    def add_history(self, sender: str, rows: list[tuple[str, Any]], now: float | None = None) -> None:
        """Append (kind, JSON value) rows to a sender's history, in order."""
        if not rows:
            return
        now = time.time() if now is None else now
        history = self._t["history"]
        values = [
            {"sender": sender, "at": now, "kind": kind, "body": json.dumps(body, ensure_ascii=False)}
            for kind, body in rows
        ]
        with self._session() as db:
            db.execute(history.insert(), values)

    def history(self, sender: str, since: float, limit: int = 500) -> list[tuple[float, str, Any]]:
        """A sender's (at, kind, value) rows since a time, oldest first; the latest ``limit``."""
        history = self._t["history"]
        query = (
            sa.select(history.c.at, history.c.kind, history.c.body)
            .where(history.c.sender == sender, history.c.at >= since)
            .order_by(history.c.id.desc())
            .limit(limit)
        )
        with self._session() as db:
            rows = db.execute(query).all()
        return [(at, kind, json.loads(body)) for at, kind, body in reversed(rows)]

    def clear_history(self, sender: str) -> int:
        history = self._t["history"]
        with self._session() as db:
            return db.execute(history.delete().where(history.c.sender == sender)).rowcount

    def prune_history(self, before: float) -> int:
        """Forget every sender's rows older than ``before``."""
        history = self._t["history"]
        with self._session() as db:
            return db.execute(history.delete().where(history.c.at < before)).rowcount

    # --- the outbound queue (connectors.outbound) ----------------------------------------------

    def queue_send(
        self,
        channel: str,
        user_id: str,
        kind: str,
        parts: list[dict[str, Any]],
        expires_in_s: float,
        *,
        question: str | None = None,
        asked: float | None = None,
        request_id: str | None = None,
        ref: str | None = None,
        ref_ttl_s: float = 259_200.0,
        answered: Job | None = None,
        now: float | None = None,
    ) -> int | None:
        """Queue one message for a citizen; its id, or None if ``ref`` was queued before.

        ``answered``: the accepted message this answers leaves the outbox in the same
        transaction, so that a crash neither loses the answer nor asks Rasa twice."""
        now = time.time() if now is None else now
        seen, sends, outbox = self._t["seen"], self._t["sends"], self._t["outbox"]
        with self._session() as db:
            if ref is not None:
                inserted = db.execute(
                    self._insert(seen)
                    .values(channel="outbound", message_id=ref, expires=now + ref_ttl_s)
                    .on_conflict_do_nothing(index_elements=["channel", "message_id"])
                )
                if inserted.rowcount == 0:
                    return None
            result = db.execute(
                sends.insert().values(
                    channel=channel, user_id=user_id, kind=kind, parts=json.dumps(parts, ensure_ascii=False),
                    sent=0, created=now, expires=now + expires_in_s, attempts=0, next_at=0.0, unknown=0,
                    question=question, asked=asked, request_id=request_id, ref=ref,
                )
            )  # fmt: skip
            if answered is not None:
                db.execute(outbox.delete().where(outbox.c.id == answered.id))
            send_id = result.inserted_primary_key[0]
        return int(send_id)

    def send_queued(self, ref: str) -> bool:
        """Whether the message queued under ``ref`` is still waiting to be sent."""
        sends = self._t["sends"]
        with self._session() as db:
            return db.execute(sa.select(sends.c.id).where(sends.c.ref == ref).limit(1)).first() is not None

    def next_send(self, channel: str, user_id: str) -> Send | None:
        """The citizen's oldest queued message."""
        sends = self._t["sends"]
        query = (
            sa.select(*(sends.c[name] for name in _SEND_COLUMNS))
            .where(sends.c.channel == channel, sends.c.user_id == user_id)
            .order_by(sends.c.id)
            .limit(1)
        )
        with self._session() as db:
            row = db.execute(query).first()
        if row is None:
            return None
        values = dict(zip(_SEND_COLUMNS, row, strict=True))
        values["parts"] = json.loads(values["parts"])
        return Send(**values)

    def save_send(self, send: Send) -> None:
        """Progress of a queued message: parts sent, tries, when to try again."""
        sends = self._t["sends"]
        with self._session() as db:
            db.execute(
                sends.update().where(sends.c.id == send.id).values(
                    parts=json.dumps(send.parts, ensure_ascii=False), sent=send.sent, attempts=send.attempts,
                    next_at=send.next_at, unknown=send.unknown, question=send.question,
                )
            )  # fmt: skip

    def drop_send(self, send_id: int) -> None:
        """Sent, or given up: the message leaves the queue."""
        sends = self._t["sends"]
        with self._session() as db:
            db.execute(sends.delete().where(sends.c.id == send_id))

    def citizens_waiting(self, channels: set[str], now: float | None = None) -> list[tuple[str, str]]:
        """(channel, user_id) of citizens with queued messages that no other live replica works on."""
        now = time.time() if now is None else now
        sends, leases = self._t["sends"], self._t["leases"]
        key = sends.c.channel + sa.literal(":") + sends.c.user_id
        query = (
            sa.select(sends.c.channel, sends.c.user_id)
            .select_from(sends.outerjoin(leases, leases.c.key == key))
            .where(
                sends.c.channel.in_(sorted(channels)),
                sa.or_(leases.c.key.is_(None), leases.c.owner == self.owner, leases.c.expires < now),
            )
            .distinct()
        )
        with self._session() as db:
            return [(row[0], row[1]) for row in db.execute(query).all()]

    def send_backlog(self, now: float | None = None) -> tuple[int, float | None]:
        """(messages queued, age in seconds of the oldest), over all replicas."""
        now = time.time() if now is None else now
        sends = self._t["sends"]
        with self._session() as db:
            count, oldest = db.execute(sa.select(sa.func.count(sends.c.id), sa.func.min(sends.c.created))).one()
        return int(count), (max(0.0, now - oldest) if oldest is not None else None)

    # --- leases: one replica at a time -------------------------------------------------------

    def hold(self, key: str, ttl_s: float, now: float | None = None) -> bool:
        """Take or renew the lease on ``key`` for ``ttl_s``; False while another replica holds it."""
        now = time.time() if now is None else now
        leases = self._t["leases"]
        statement = self._insert(leases).values(key=key, owner=self.owner, expires=now + ttl_s)
        statement = statement.on_conflict_do_update(
            index_elements=["key"],
            set_={"owner": statement.excluded.owner, "expires": statement.excluded.expires},
            where=sa.or_(leases.c.owner == statement.excluded.owner, leases.c.expires < now),
        )
        with self._session() as db:
            return bool(db.execute(statement).rowcount == 1)

    def release(self, key: str | None = None) -> None:
        """Give up this replica's lease on ``key`` (all of them when None, at shutdown)."""
        leases = self._t["leases"]
        condition = leases.c.owner == self.owner
        if key is not None:
            condition = sa.and_(condition, leases.c.key == key)
        with self._session() as db:
            db.execute(leases.delete().where(condition))


_LOCK_KEY = zlib.crc32(b"trolyao.connectors.state") & 0x7FFFFFFF
