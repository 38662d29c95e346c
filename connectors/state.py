"""The channels' small durable state, in one SQLite file under var/.

- ``seen``: platform message ids already accepted (platforms redeliver), with an expiry;
- ``outbox``: accepted messages not answered yet (Rasa down or slow); removed once answered;
- ``kv``: small values (the Zalo OA tokens, numbered options offered to a sender);
- ``callbacks``: Telegram button payloads too long for callback_data, by short id;
- ``media``: images from data: URIs served at /media/<id> for platforms that need a URL.

Every call is a few milliseconds of local I/O, made from the event loop.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (
    channel TEXT NOT NULL, message_id TEXT NOT NULL, expires REAL NOT NULL,
    PRIMARY KEY (channel, message_id)
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL, user_id TEXT NOT NULL, message_id TEXT NOT NULL,
    kind TEXT NOT NULL, text TEXT NOT NULL, created REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, notified INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS callbacks (
    id TEXT PRIMARY KEY, payload TEXT NOT NULL, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS media (
    id TEXT PRIMARY KEY, mime TEXT NOT NULL, data BLOB NOT NULL, created REAL NOT NULL
);
"""

MEDIA_TTL_S = 30 * 86_400.0
CALLBACK_TTL_S = 90 * 86_400.0


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


class Store:
    """A thin wrapper over one SQLite connection (WAL, autocommit)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

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
        """Remember the message id and queue the message; None if the id was seen already."""
        now = time.time() if now is None else now
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "DELETE FROM seen WHERE channel = ? AND message_id = ? AND expires < ?",
                    (channel, message_id, now),
                )
                cursor = self._db.execute(
                    "INSERT OR IGNORE INTO seen (channel, message_id, expires) VALUES (?, ?, ?)",
                    (channel, message_id, now + ttl_s),
                )
                if cursor.rowcount == 0:
                    self._db.execute("COMMIT")
                    return None
                cursor = self._db.execute(
                    "INSERT INTO outbox (channel, user_id, message_id, kind, text, created)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (channel, user_id, message_id, kind, text, now),
                )
                job_id = cursor.lastrowid
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        assert job_id is not None
        return Job(job_id, channel, user_id, message_id, kind, text, now)

    def pending(self, channels: set[str] | None = None) -> list[Job]:
        """Unanswered messages, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, channel, user_id, message_id, kind, text, created, attempts, notified"
                " FROM outbox ORDER BY id"
            ).fetchall()
        jobs = [Job(*row[:8], notified=bool(row[8])) for row in rows]
        return [job for job in jobs if channels is None or job.channel in channels]

    def update(self, job: Job) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE outbox SET attempts = ?, notified = ? WHERE id = ?",
                (job.attempts, int(job.notified), job.id),
            )

    def done(self, job: Job) -> None:
        """The message is answered (or given up): its text leaves the disk."""
        with self._lock:
            self._db.execute("DELETE FROM outbox WHERE id = ?", (job.id,))

    def prune(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._lock:
            self._db.execute("DELETE FROM seen WHERE expires < ?", (now,))
            self._db.execute("DELETE FROM media WHERE created < ?", (now - MEDIA_TTL_S,))
            self._db.execute("DELETE FROM callbacks WHERE created < ?", (now - CALLBACK_TTL_S,))

    # --- small values ----------------------------------------------------------------------

    def get(self, key: str) -> Any:
        with self._lock:
            row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO kv (key, value, updated) VALUES (?, ?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated = excluded.updated",
                (key, json.dumps(value, ensure_ascii=False), time.time()),
            )

    def delete(self, key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM kv WHERE key = ?", (key,))

    # --- Telegram callback ids and served images ---------------------------------------------

    def put_callback(self, callback_id: str, payload: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO callbacks (id, payload, created) VALUES (?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET created = excluded.created",
                (callback_id, payload, time.time()),
            )

    def get_callback(self, callback_id: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT payload FROM callbacks WHERE id = ?", (callback_id,)
            ).fetchone()
        return row[0] if row else None

    def put_media(self, media_id: str, mime: str, data: bytes) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO media (id, mime, data, created) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET created = excluded.created",
                (media_id, mime, data, time.time()),
            )

    def get_media(self, media_id: str) -> tuple[str, bytes] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT mime, data FROM media WHERE id = ?", (media_id,)
            ).fetchone()
        return (row[0], bytes(row[1])) if row else None
