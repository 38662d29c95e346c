"""What officers do with handoffs, for the admin API (connectors/admin.py) and the console
(connectors/console/handoffs.py) alike: list the open ones with their messages, reply to the
citizen, close one so the bot answers again; and who answers chats from the console now.

Replies and the closing message are queued for the citizen (``outbox``) and delivered on the
channel they used (connectors/delivery.py). A handoff idle past the timeout is closed before an
officer can reply to it, so nobody answers a conversation the bot has taken back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from connectors import messages
from connectors.officers import channel_label, sender_tag
from connectors.records import call
from tthc.records import RecordStore
from tthc.records.idempotency import idempotency_key

RECENT_TURNS = 10
CLOSED_BY_CITIZEN = "citizen"


class HandoffRefused(Exception):
    """404 (no such handoff) or 409 (closed, or timed out)."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def _time(value: dt.datetime | None) -> str | None:
    return value.isoformat(sep=" ") if value else None


def handoff_json(handoff: dict[str, Any], turns: list[dict[str, Any]], replies: list[dict[str, Any]]) -> dict[str, Any]:
    said = [(t["at"], 0, {"at": _time(t["at"]), "from": "citizen", "text": t["text"]}) for t in turns]
    said += [(r["at"], 1, {"at": _time(r["at"]), "from": "officer", "text": r["text"]}) for r in replies]
    return {
        "id": handoff["id"],
        "channel": channel_label(handoff["channel"]),
        "citizen": sender_tag(handoff["sender"]),
        "opened_at": _time(handoff["opened_at"]),
        "last_activity": _time(handoff["last_activity"]),
        "announced": handoff.get("announced_at") is not None,
        "messages": [item for _, _, item in sorted(said, key=lambda entry: (entry[0], entry[1]))],
    }


async def conversation(store: RecordStore, handoff: dict[str, Any]) -> dict[str, Any]:
    """A handoff with the citizen's last messages and the officers' replies since it opened."""
    turns = await call(store.recent_turns, handoff["sender"], RECENT_TURNS)
    replies = await call(store.messages_to, handoff["sender"], handoff["opened_at"])
    return handoff_json(handoff, turns, replies)


async def open_list(store: RecordStore, timeout: dt.timedelta) -> list[dict[str, Any]]:
    """The open handoffs (idle ones past the timeout are closed first), with their messages."""
    return [await conversation(store, handoff) for handoff in await call(store.open_handoffs, timeout)]


async def find(store: RecordStore, handoff_id: int) -> dict[str, Any]:
    handoff = await call(store.handoff, handoff_id)
    if handoff is None:
        raise HandoffRefused(404, messages.HANDOFF_NOT_FOUND.format(id=handoff_id))
    return handoff


async def still_open(store: RecordStore, timeout: dt.timedelta, handoff_id: int) -> dict[str, Any]:
    handoff = await find(store, handoff_id)
    # Closes it if it timed out, so that an officer cannot reply to a resumed bot.
    if await call(store.active_handoff, handoff["sender"], timeout) != handoff_id:
        raise HandoffRefused(409, messages.HANDOFF_ALREADY_CLOSED.format(id=handoff_id))
    return handoff


async def reply(
    store: RecordStore, timeout: dt.timedelta, handoff_id: int, text: str, key: str | None = None
) -> dict[str, Any]:
    """Queue an officer's reply for the citizen ("Cán bộ trả lời: ..."); it keeps the handoff alive."""
    handoff = await still_open(store, timeout, handoff_id)
    said = messages.OFFICER_REPLY.format(text=text.strip())
    await call(store.queue_for_citizen, handoff["sender"], handoff["channel"], said, key)
    await call(store.touch_handoff, handoff_id)
    return handoff


async def close(store: RecordStore, timeout: dt.timedelta, handoff_id: int, officer: str) -> dict[str, Any]:
    """Close it; the citizen is told (once, however often it is closed) that the bot answers again."""
    handoff = await still_open(store, timeout, handoff_id)
    await call(store.close_handoff, handoff_id, officer)
    closed_once = idempotency_key("handoff-closed", f"handoff:{handoff_id}", "closed")  # two closes at once
    await call(store.queue_for_citizen, handoff["sender"], handoff["channel"], messages.HANDOFF_CLOSED, closed_once)
    return handoff
