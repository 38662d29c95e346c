"""Telling officers about handoffs, in their Telegram group (OFFICERS_TELEGRAM_CHAT_ID).

Messages go through the Telegram channel's bot, so the group works only when the Telegram
channel runs. Citizens appear as a short non-reversible tag; message texts come from the
conversation log, where personal data is already masked, or are masked here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from connectors import messages
from connectors.channels.base import Channel, log_tag
from connectors.replies import Reply, render
from tthc import channels
from tthc.privacy import mask_pii

logger = logging.getLogger(__name__)

RECENT_MESSAGES = 8
MAX_LINE_CHARS = 300


def channel_label(channel: str) -> str:
    return channels.label(channel)


def sender_tag(sender: str) -> str:
    """How officers see a citizen: a short tag, stable for the conversation."""
    return log_tag(sender)


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_LINE_CHARS else text[: MAX_LINE_CHARS - 1] + "…"


def announcement(handoff: dict[str, Any], turns: Iterable[dict[str, Any]]) -> str:
    """The new-handoff message: channel, tag and the citizen's last messages."""
    lines = [f"• {_shorten(mask_pii(turn['text']))}" for turn in list(turns)[-RECENT_MESSAGES:]]
    return messages.OFFICERS_NEW_HANDOFF.format(
        id=handoff["id"],
        channel=channel_label(handoff["channel"]),
        tag=sender_tag(handoff["sender"]),
        recent="\n".join(lines) or messages.OFFICERS_NO_MESSAGES,
    )


def relay(handoff: dict[str, Any], text: str) -> str:
    """A citizen's message during a handoff, for the officers' group."""
    return messages.OFFICERS_RELAY.format(
        id=handoff["id"],
        channel=channel_label(handoff["channel"]),
        tag=sender_tag(handoff["sender"]),
        text=mask_pii(text),
    )


def citizen_ended(handoff: dict[str, Any]) -> str:
    """The citizen ended the handoff ("kết thúc"): the officers' group is told."""
    return messages.OFFICERS_CITIZEN_ENDED.format(
        id=handoff["id"], channel=channel_label(handoff["channel"]), tag=sender_tag(handoff["sender"])
    )


class Officers:
    """Sends to the officers' group through the Telegram channel, when both are set up."""

    def __init__(self, chat_id: str, telegram: Callable[[], Channel | None]) -> None:
        self._chat_id = chat_id
        self._telegram = telegram

    @property
    def configured(self) -> bool:
        return bool(self._chat_id)

    @property
    def reachable(self) -> bool:
        """The group is configured and the Telegram channel runs: a new handoff reaches officers
        now. (Officers answering from the console are known to the action server by the store.)"""
        if not self._chat_id:
            return False
        channel = self._telegram()
        return channel is not None and channel.ready

    async def announce(self, handoff: dict[str, Any], turns: Iterable[dict[str, Any]]) -> bool:
        return await self._send(announcement(handoff, turns), f"handoff #{handoff['id']} announced")

    async def relay(self, handoff: dict[str, Any], text: str) -> bool:
        return await self._send(relay(handoff, text), f"handoff #{handoff['id']} message relayed")

    async def citizen_ended(self, handoff: dict[str, Any]) -> bool:
        return await self._send(citizen_ended(handoff), f"handoff #{handoff['id']} ended by the citizen")

    async def _send(self, text: str, what: str) -> bool:
        """True once the group has the message; False (logged) if it could not be sent."""
        if not self._chat_id:
            return False
        channel = self._telegram()
        if channel is None or not channel.ready:
            logger.warning("officers: %s not sent: the Telegram channel is not running", what)
            return False
        try:
            for part in render([Reply(text=text)], channel.render_as):
                await channel.send(self._chat_id, part)
        except Exception as exc:  # SendError, or the library failing in another way
            logger.warning("officers: %s not sent: %s", what, exc)
            return False
        logger.info("officers: %s", what)
        return True
