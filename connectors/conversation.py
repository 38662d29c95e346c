"""One citizen message, for /api/chat and the channel inbox alike: what must not reach Rasa,
what goes to an officer, and what is logged.

- ``#rating:up`` / ``#rating:down`` (the one-tap rating after an answer) are stored as a rating
  of the conversation's latest answer and last procedure, and thanked; a second rating of the
  same answer replaces the first (it counts once). Rasa never sees them.
- While the conversation is handed to an officer (an open handoff, not idle past the timeout),
  messages are logged, relayed to the officers' group and acknowledged; Rasa does not answer.
- Anything else goes to Rasa, and the turn is logged with personal data masked. A turn that
  opened a handoff is announced to the officers once.

RecordStore failures are logged and never break an answer.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from connectors import messages
from connectors.channels.base import log_tag
from connectors.officers import Officers
from connectors.rasa_client import RasaTurn
from connectors.records import safely
from tthc.privacy import mask_pii
from tthc.records import RecordStore

logger = logging.getLogger(__name__)

RATINGS = {"#rating:up": True, "#rating:down": False}
CHITCHAT = {"greet", "goodbye", "thank", "affirm", "deny", "bot_challenge"}
SERVICE = {
    "ask_hotline",
    "ask_working_hours",
    "ask_survey",
    "give_feedback",
    "check_dossier_status",
    "book_appointment",
    "human_handoff",
}
PROCEDURE_QUESTIONS = {
    "ask_procedure",
    "ask_documents",
    "ask_fee",
    "ask_processing_time",
    "ask_where",
    "ask_online",
}
PROCEDURE_OUTCOMES = {"answered", "clarified", "asked"}

SendToRasa = Callable[[str, str, dict[str, Any]], Awaitable[RasaTurn]]


def outcome_of(intent: str | None, slot: str | None) -> str:
    """How a turn went, for the conversation log."""
    if intent == "nlu_fallback":
        return "fallback"
    if intent in CHITCHAT:
        return "chitchat"
    if intent in SERVICE:
        return "service"
    if intent in PROCEDURE_QUESTIONS:
        return slot if slot in PROCEDURE_OUTCOMES else "answered"
    if intent is None:
        return "unknown"
    return "out_of_scope"


def log_channel(sender: str, metadata: dict[str, Any]) -> str:
    """/api/chat turns are "web" whatever rendering they asked for; channels give their name."""
    if sender.startswith("api:"):
        return "web"
    return str(metadata.get("channel") or sender.split(":", 1)[0])


def said(text: str) -> list[dict[str, Any]]:
    """One bot message in Rasa's REST form, so callers treat it like Rasa's own."""
    return [{"text": text}]


class Conversation:
    def __init__(
        self, rasa: SendToRasa, store: RecordStore | None, officers: Officers, timeout: dt.timedelta
    ) -> None:
        """``rasa`` sends one message to Rasa (``RasaClient.send``) and may raise RasaError."""
        self._rasa = rasa
        self._store = store
        self._officers = officers
        self._timeout = timeout
        self._tasks: set[asyncio.Task[Any]] = set()

    async def ask(self, sender: str, text: str, metadata: dict[str, Any]) -> RasaTurn:
        """The answer to one message (raises RasaError only when Rasa was asked and failed)."""
        channel = log_channel(sender, metadata)
        useful = RATINGS.get(text.strip())
        if useful is not None:
            return await self._rate(sender, channel, useful)
        if self._store is None:  # no records: no log, no handoff
            return await self._rasa(sender, text, metadata)
        handoff = await safely(self._store.active_handoff, sender, self._timeout)
        if handoff is not None:
            return await self._hand_over(handoff, sender, channel, text)
        turn = await self._rasa(sender, text, metadata)
        outcome = outcome_of(turn.intent, turn.outcome)
        await self._log(
            sender, channel, text, turn.intent, turn.confidence, turn.procedure, outcome
        )
        if turn.intent == "human_handoff":
            await self._announce_new_handoff(sender)
        return turn

    async def close(self, timeout_s: float = 5.0) -> None:
        """Wait briefly for officer notifications still being sent."""
        if self._tasks and timeout_s > 0:
            await asyncio.wait(set(self._tasks), timeout=timeout_s)

    # --- the three paths --------------------------------------------------------------------

    async def _rate(self, sender: str, channel: str, useful: bool) -> RasaTurn:
        procedure, changed = None, False
        if self._store is not None:
            procedure = await safely(self._store.last_procedure, sender)
            changed = await safely(self._store.add_rating, sender, channel, useful, procedure, default=False)
        logger.info("rating sender=%s useful=%s procedure=%s changed=%s", log_tag(sender), useful, procedure, changed)
        thanks = messages.RATING_CHANGED if changed else messages.RATING_THANKS
        return RasaTurn(said(thanks), intent=None, procedure=procedure)

    async def _hand_over(self, handoff_id: int, sender: str, channel: str, text: str) -> RasaTurn:
        """A message while an officer has the conversation: to the officers, not to Rasa."""
        assert self._store is not None
        procedure = await safely(self._store.last_procedure, sender)
        await self._log(sender, channel, text, None, None, None, "handoff")
        await safely(self._store.touch_handoff, handoff_id)
        handoff = await safely(self._store.handoff, handoff_id)
        if handoff is not None and self._officers.configured:
            self._background(self._officers.relay(handoff, text))
        logger.info("handoff #%s sender=%s message relayed", handoff_id, log_tag(sender))
        return RasaTurn(said(messages.HANDOFF_FORWARDED), intent=None, procedure=procedure)

    async def _log(
        self,
        sender: str,
        channel: str,
        text: str,
        intent: str | None,
        confidence: float | None,
        procedure: str | None,
        outcome: str,
    ) -> None:
        assert self._store is not None
        await safely(
            self._store.log_turn,
            sender,
            channel,
            mask_pii(text),
            intent,
            confidence,
            procedure,
            outcome,
        )

    async def _announce_new_handoff(self, sender: str) -> None:
        """The action server opened a handoff in this turn: tell the officers, once."""
        assert self._store is not None
        if not self._officers.configured:
            return
        handoff_id = await safely(self._store.active_handoff, sender, self._timeout)
        if handoff_id is None or not await safely(self._store.claim_announcement, handoff_id):
            return
        self._background(announce(self._store, self._officers, handoff_id))

    def _background(self, work: Coroutine[Any, Any, Any]) -> None:
        """Officers' messages do not hold up the citizen's answer."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def announce(store: RecordStore, officers: Officers, handoff_id: int) -> bool:
    """Send the announcement of a handoff already claimed; release the claim if it failed."""
    handoff = await safely(store.handoff, handoff_id)
    sent = False
    try:
        if handoff is not None:
            turns = await safely(store.recent_turns, handoff["sender"], default=[])
            sent = await officers.announce(handoff, turns)
    finally:
        if not sent:
            await safely(store.release_announcement, handoff_id)
    return sent
