"""Idempotency keys: a message replayed after a crash, a shutdown or a retry creates nothing twice.

The gateway sends Rasa each citizen message with the id the channel gave it (Telegram's
message id, Zalo's msg_id, or on /api/chat the ``client_message_id`` the web page generates and
reuses when it retries) as ``metadata["message_id"]``; Rasa hands the metadata to the actions in
``tracker.latest_message["metadata"]``. A ticket or booking made while answering a message
stores a key derived from that id, under a unique index, so the same message answered again
finds the first ticket or booking and repeats its code. Officers' messages to citizens get a key
from the request that made them (an ``Idempotency-Key`` header, or the handoff they close).

A key is the SHA-256 of what it is for, the conversation and the id: fixed length, and no
personal data in the column.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

METADATA_KEY = "message_id"  # where the gateway puts the channel's message id for Rasa
MAX_ID_CHARS = 128


def clean_id(value: Any) -> str | None:
    """A usable message id: a non-empty string or integer, at most MAX_ID_CHARS characters."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value).strip()
    return text if 0 < len(text) <= MAX_ID_CHARS else None


def idempotency_key(kind: str, scope: str, message_id: Any) -> str | None:
    """The key of a ``kind`` of record ("ticket", "booking", ...) made for one message of one
    conversation (``scope``, the sender id at Rasa); None without a usable message id."""
    cleaned = clean_id(message_id)
    if cleaned is None:
        return None
    return hashlib.sha256("\x1f".join((kind, scope, cleaned)).encode("utf-8")).hexdigest()


def message_id_of(metadata: Mapping[str, Any] | None) -> str | None:
    """The channel's message id in a message's metadata, if the gateway gave one."""
    if not isinstance(metadata, Mapping):
        return None
    return clean_id(metadata.get(METADATA_KEY))
