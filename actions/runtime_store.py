"""The store of the bot's records for the action server, opened on first use."""

from __future__ import annotations

from functools import lru_cache

from tthc.records import Store


@lru_cache(maxsize=1)
def store() -> Store:
    return Store.from_env()


def channel_of(sender_id: str) -> str:
    """Senders are scoped by the gateway: "api:…", "tg:…", "zalo:…", "zalobot:…"."""
    return sender_id.split(":", 1)[0] if ":" in sender_id else "rest"
