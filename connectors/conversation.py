"""One citizen message, for /api/chat and the channel inbox alike: what must not reach Rasa,
what goes to an officer, and what is logged.

- ``#rating:up`` / ``#rating:down`` (the one-tap rating after an answer) are stored as a rating
  of the conversation's latest answer and last procedure, and thanked; a second rating of the
  same answer replaces the first (it counts once). Rasa never sees them.
- While the conversation is handed to an officer (an open handoff, not idle past the timeout),
  messages are logged, relayed to the officers' group and acknowledged; Rasa does not answer,
  except a clearly different question (Rasa's NLU is sure it asks about a procedure or a
  service), which the bot answers as well. "hủy", "thôi", "kết thúc" end the handoff at once
  (closed by the citizen, the officers told): the bot answers again.
- Rasa learns, in each message's metadata (``officers_online``), whether the officers' Telegram
  group can be reached now, so that the action server promises a person only when one is there.
- Anything else goes to Rasa, and the turn is logged with personal data masked. A turn that
  opened a handoff is announced to the officers once.

RecordStore failures are logged and never break an answer.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from typing import Any

from connectors import messages
from connectors.channels.base import log_tag
from connectors.handoffs import CLOSED_BY_CITIZEN
from connectors.officers import Officers
from connectors.rasa_client import RasaTurn
from connectors.records import safely
from tthc.citizen_words import ends_handoff, looks_like_question
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
# Rasa's NLU alone (no tracker change): the intent and confidence of a text, (None, None) if unknown.
Parse = Callable[[str], Awaitable[tuple[str | None, float | None]]]

OFFICERS_ONLINE = "officers_online"  # metadata key the action server reads (actions/services.py)
# During a handoff, what the bot answers as well: a sure question about a procedure or a service.
BOT_ANSWERS_DURING_HANDOFF = PROCEDURE_QUESTIONS | {"ask_hotline", "ask_working_hours", "ask_survey"}
SURE_DURING_HANDOFF = 0.85


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


def with_end_button(text: str) -> list[dict[str, Any]]:
    """The acknowledgement during a handoff, with the button that ends it."""
    button = {"title": messages.HANDOFF_END_BUTTON, "payload": messages.HANDOFF_END_PAYLOAD}
    return [{"text": text, "buttons": [button]}]


class Conversation:
    def __init__(
        self,
        rasa: SendToRasa,
        store: RecordStore | None,
        officers: Officers,
        timeout: dt.timedelta,
        parse: Parse | None = None,
    ) -> None:
        """``rasa`` sends one message to Rasa (``RasaClient.send``) and may raise RasaError;
        ``parse`` asks Rasa's NLU alone (``RasaClient.parse``), for questions during a handoff."""
        self._rasa = rasa
        self._store = store
        self._officers = officers
        self._timeout = timeout
        self._parse = parse
        self._tasks: set[asyncio.Task[Any]] = set()

    async def ask(self, sender: str, text: str, metadata: dict[str, Any]) -> RasaTurn:
        """The answer to one message (raises RasaError only when Rasa was asked and failed)."""
        channel = log_channel(sender, metadata)
        useful = RATINGS.get(text.strip())
        if useful is not None:
            return await self._rate(sender, channel, useful)
        if self._officers.reachable:
            metadata = {**metadata, OFFICERS_ONLINE: True}
        if self._store is None:  # no records: no log, no handoff
            return await self._rasa(sender, text, metadata)
        handoff = await safely(self._store.active_handoff, sender, self._timeout)
        if handoff is not None:
            return await self._hand_over(handoff, sender, channel, text, metadata)
        turn = await self._rasa(sender, text, metadata)
        outcome = outcome_of(turn.intent, turn.outcome)
        await self._log(sender, channel, text, turn.intent, turn.confidence, turn.procedure, outcome)
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

    async def _hand_over(
        self, handoff_id: int, sender: str, channel: str, text: str, metadata: dict[str, Any]
    ) -> RasaTurn:
        """A message while an officer has the conversation: to the officers, not to Rasa; an end
        word ends the handoff; a clearly different question is answered by the bot as well."""
        assert self._store is not None
        if ends_handoff(text):
            return await self._citizen_ends(handoff_id, sender, channel, text)
        procedure = await safely(self._store.last_procedure, sender)
        await safely(self._store.touch_handoff, handoff_id)
        handoff = await safely(self._store.handoff, handoff_id)
        if handoff is not None and self._officers.configured:
            self._background(self._officers.relay(handoff, text))
        logger.info("handoff #%s sender=%s message relayed", handoff_id, log_tag(sender))
        if await self._bot_answers(text):
            turn = await self._rasa(sender, text, metadata)
            await self._log(sender, channel, text, turn.intent, turn.confidence, turn.procedure, "handoff")
            return replace(turn, messages=[*said(messages.HANDOFF_BOT_ANSWERS), *turn.messages])
        await self._log(sender, channel, text, None, None, None, "handoff")
        return RasaTurn(with_end_button(messages.HANDOFF_FORWARDED), intent=None, procedure=procedure)

    async def _citizen_ends(self, handoff_id: int, sender: str, channel: str, text: str) -> RasaTurn:
        """ "kết thúc": the handoff closes now (its timeout is not pushed), the officers are told,
        and the citizen's next message goes to the bot."""
        assert self._store is not None
        await safely(self._store.close_handoff, handoff_id, CLOSED_BY_CITIZEN)
        await self._log(sender, channel, text, None, None, None, "handoff")
        handoff = await safely(self._store.handoff, handoff_id)
        if handoff is not None and self._officers.configured:
            self._background(self._officers.citizen_ended(handoff))
        logger.info("handoff #%s sender=%s ended by the citizen", handoff_id, log_tag(sender))
        procedure = await safely(self._store.last_procedure, sender)
        return RasaTurn(said(messages.HANDOFF_ENDED), intent=None, procedure=procedure)

    async def _bot_answers(self, text: str) -> bool:
        """Rasa's NLU is sure the message asks about a procedure or a service."""
        if self._parse is None or text.startswith("/"):
            return False
        try:
            intent, confidence = await self._parse(text)
        except Exception as exc:  # noqa: BLE001 - the message is relayed in any case
            logger.warning("handoff: the message could not be parsed: %s", exc)
            return False
        if intent not in BOT_ANSWERS_DURING_HANDOFF or (confidence or 0.0) < SURE_DURING_HANDOFF:
            return False
        return intent not in PROCEDURE_QUESTIONS or looks_like_question(text)

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
