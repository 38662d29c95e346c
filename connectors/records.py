"""The bot's records (``tthc.records``: conversation log, ratings, tickets, bookings, handoffs,
messages for citizens), shared with the action server, used from the gateway's event loop.

The store is synchronous (SQLAlchemy) and may wait on a lock the action server holds, so every
call runs in a worker thread. ``safely`` is for calls whose failure must not break an answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from tthc.records import RecordStore
from tthc.settings import CommonSettings

logger = logging.getLogger(__name__)

T = TypeVar("T")


def open_records(settings: CommonSettings) -> RecordStore | None:
    """The deployment's records (TROLYAO_DB_URL, else SQLite under TROLYAO_VAR_DIR or var/);
    None if they cannot be opened: the gateway still answers, without logging or officers."""
    try:
        return RecordStore.for_settings(settings)
    except Exception as exc:
        logger.error("records store not opened, conversations are not logged: %s", exc)
        return None


async def call(function: Callable[..., T], *args: Any) -> T:
    """Run one store call off the event loop."""
    return await asyncio.to_thread(function, *args)


async def safely(function: Callable[..., T], *args: Any, default: Any = None) -> T | Any:
    """Run one store call; on any error log it and return ``default``."""
    try:
        return await asyncio.to_thread(function, *args)
    except Exception:
        logger.exception("records: %s failed", getattr(function, "__name__", "call"))
        return default
