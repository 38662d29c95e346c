"""SQLAlchemy engines for the project's stores (records, the gateway's channel state).

SQLite (the embedded default) in WAL mode, so the gateway and the action server read while one
writes; a database server (PostgreSQL when scaled) with pooled connections tested before use,
since it may restart under us.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

import sqlalchemy as sa

SQLITE_BUSY_TIMEOUT_S = 15


def make_engine(
    url: str,
    sqlite_pool: type[sa.pool.Pool] = sa.pool.QueuePool,
    connect_timeout_s: int = 5,
    future: bool = True,  # False for Rasa's tracker store, written for SQLAlchemy's 1.x API
    **server_options: Any,
) -> sa.engine.Engine:
    if url.startswith("sqlite"):
        connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S}
        engine = sa.create_engine(url, future=future, poolclass=sqlite_pool, connect_args=connect_args)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    options: dict[str, Any] = {"future": True, "pool_pre_ping": True, **server_options}
    if url.startswith("postgresql"):
        options["connect_args"] = {"connect_timeout": connect_timeout_s}
    return sa.create_engine(url, **options)


def create_all(db: sa.engine.Connection, metadata: sa.MetaData, lock_key: int) -> None:
    """Create missing tables; on PostgreSQL under an advisory lock, so that replicas starting
    together do not race on CREATE TABLE."""
    if db.dialect.name == "postgresql":
        db.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key})
    metadata.create_all(db)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    _use_wal(cursor)
    # In WAL mode NORMAL stays consistent and loses nothing on a process crash; only a power
    # cut may drop the last commits. It spares an fsync per write.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _use_wal(cursor: Any, wait_s: float = SQLITE_BUSY_TIMEOUT_S) -> None:
    """Switch to WAL, waiting for other connections doing the same. A new database file needs a
    moment alone to switch, and SQLite answers "locked" at once then, whatever the busy timeout:
    two replicas (or threads) opening a new file together would otherwise fail their first
    statement. Once switched, the mode is kept in the file and this returns at once."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)
