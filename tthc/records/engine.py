"""SQLAlchemy engines for the project's stores (records, the gateway's channel state).

SQLite (the embedded default) in WAL mode, so the gateway and the action server read while one
writes; a database server (PostgreSQL when scaled) with pooled connections tested before use,
since it may restart under us.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def make_engine(
    url: str,
    sqlite_pool: type[sa.pool.Pool] = sa.pool.QueuePool,
    connect_timeout_s: int = 5,
    future: bool = True,  # False for Rasa's tracker store, written for SQLAlchemy's 1.x API
    **server_options: Any,
) -> sa.engine.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url, future=future, poolclass=sqlite_pool, connect_args={"check_same_thread": False, "timeout": 15}
        )
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
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    # In WAL mode NORMAL stays consistent and loses nothing on a process crash; only a power
    # cut may drop the last commits. It spares an fsync per write.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
