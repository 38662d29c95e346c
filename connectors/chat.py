"""POST /api/chat: clean the text, ask the conversation layer (Rasa behind it), fall back to
the hotline, add officers' messages waiting for the citizen, render per channel; for the web
page, refuse a text over the limit and keep what was shown (connectors.history).
GET /api/inbox: officers' messages waiting for a web citizen."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import re
import time
import unicodedata
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from connectors import messages
from connectors.locality import HotlineSource
from connectors.rasa_client import RasaError, RasaTurn, RasaTurnNotKept
from connectors.replies import Button, Channel, Reply, from_rasa, render
from tthc.privacy import mask_pii
from tthc.procedure_codes import codes_of
from tthc.records.idempotency import METADATA_KEY

if TYPE_CHECKING:
    from connectors.history import WebHistory

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 2000
# C0/C1 control characters other than tab and newline, and zero-width/bidi format marks.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2060\ufeff]")


Ask = Callable[[str, str, dict[str, Any]], Awaitable[RasaTurn]]
Pending = Callable[[str], Awaitable[list[Reply]]]
# The official codes of a procedure id, for a turn whose codes no turn summary gave
# (connectors.rasa_client.KnownCodes.of; by default what the id alone says).
CodesOf = Callable[[str | None], list[str]]
# Labels of CONTRACT.md section 2 only: Rasa's pseudo-intent for an unsure message is reported
# as out_of_scope (the action behind it still suggests procedures and the hotline).
REPORTED_AS = {"nlu_fallback": "out_of_scope"}


async def _nothing_pending(_: str) -> list[Reply]:
    return []


def reported_intent(intent: str | None) -> str | None:
    return REPORTED_AS.get(intent, intent) if intent else None


class ChatRequest(BaseModel):
    sender_id: str = Field(min_length=1, max_length=128)
    text: str
    channel: Channel = "web"
    # One id per message, the same when the client sends it again (the web page does): a ticket
    # or booking made for the message is found again instead of made twice.
    client_message_id: str | None = Field(default=None, min_length=1, max_length=128)


def _clean(text: str) -> str:
    text = text.encode("utf-8", "ignore").decode("utf-8")  # drops lone surrogates
    return _INVISIBLE.sub("", unicodedata.normalize("NFC", text)).strip()


def prepare_text(text: str) -> str:
    """NFC, without invisible characters, stripped, at most MAX_TEXT_CHARS characters."""
    text = _clean(text)
    if len(text) <= MAX_TEXT_CHARS:
        return text
    cut = text[:MAX_TEXT_CHARS]
    space = cut.rfind(" ", MAX_TEXT_CHARS - 100)
    return (cut[:space] if space > 0 else cut).rstrip()


_SAFE_ID = re.compile(r"[A-Za-z0-9_.-]{1,128}")


def scoped_sender(channel: str, sender_id: str) -> str:
    """Conversation id at Rasa for /api/chat. `channel` here only picks the rendering, so every
    /api/chat sender lives under "api:" and can never reach a real Telegram or Zalo user's
    conversation (those are scoped by the webhooks). Ids outside a safe alphabet are hashed,
    because Rasa does not URL-decode the conversation id in its HTTP API."""
    if not _SAFE_ID.fullmatch(sender_id):
        sender_id = "h" + hashlib.sha256(sender_id.encode("utf-8")).hexdigest()[:24]
    return f"api:{sender_id}"


def fallback_replies(hotline: HotlineSource) -> list[Reply]:
    """The apology with the locality's hotline and a tap-to-call button."""
    text = messages.BOT_UNAVAILABLE.format(name=hotline.name, number=hotline.number)
    button = Button(messages.CALL_BUTTON.format(number=hotline.number), phone=hotline.dial)
    return [Reply(text=text, buttons=[button])]


def chat_body(
    replies: list[Reply], intent: str | None, procedure: str | None, codes: list[str] | None = None
) -> dict[str, Any]:
    """The /api/chat answer (CONTRACT.md section 6): ``codes`` are the official codes of
    ``procedure``, in every answer, empty when there is none."""
    return {
        "replies": [reply.to_dict() for reply in replies],
        "intent": intent,
        "procedure": procedure,
        "codes": list(codes or []) if procedure else [],
    }


def turn_codes(turn: RasaTurn, known: CodesOf = codes_of) -> list[str]:
    """The turn summary's codes, or for a turn without one those ``known`` for its procedure."""
    return list(turn.codes) if turn.codes is not None else known(turn.procedure)


def too_long(request: ChatRequest) -> JSONResponse | None:
    """A sentence saying the limit (HTTP 200, like any answer, so that a client replaying a
    conversation reads it), for a web page text over MAX_TEXT_CHARS (counted
    as the page counts: after NFC, without invisible characters and outer spaces). Other
    renderings keep cutting the text (the channels split long messages themselves)."""
    if request.channel != "web":
        return None
    length = len(_clean(request.text))
    if length <= MAX_TEXT_CHARS:
        return None
    text = messages.TEXT_TOO_LONG.format(length=_thousands(length), limit=_thousands(MAX_TEXT_CHARS))
    body = chat_body([Reply(text=text)], None, None)
    return JSONResponse({**body, "error": text, "max_chars": MAX_TEXT_CHARS})


def _thousands(number: int) -> str:
    """5000 -> "5.000", as Vietnamese writes numbers."""
    return f"{number:,}".replace(",", ".")


def too_fast(hotline: HotlineSource, channel: Channel, wait_s: float) -> JSONResponse:
    """429 for a sender (or an address) over its rate limit: the usual /api/chat body, so the
    page shows it like any answer, with the hotline, and Retry-After."""
    seconds = max(1, math.ceil(wait_s))
    text = messages.TOO_FAST_CHAT.format(seconds=seconds, name=hotline.name, number=hotline.number)
    button = Button(messages.CALL_BUTTON.format(number=hotline.number), phone=hotline.dial)
    body = chat_body(render([Reply(text=text, buttons=[button])], channel), None, None)
    return JSONResponse(body, status_code=429, headers={"Retry-After": str(seconds)})


async def answer(
    request: ChatRequest,
    ask: Ask,
    hotline: HotlineSource,
    locality: str,
    pending: Pending = _nothing_pending,
    known_codes: CodesOf = codes_of,
    history: WebHistory | None = None,
    retry_for_s: float = 0.0,
) -> dict[str, Any]:
    """The /api/chat JSON body for one message; never raises for a Rasa failure.

    ``ask`` is the conversation layer (or Rasa itself); ``pending`` gives the officers'
    messages still waiting for this citizen, shown before the answer (they are older);
    ``known_codes`` the codes of a procedure whose turn carried none; ``history`` keeps what
    the web page showed. A turn Rasa could not keep (its database blinked) is asked again for
    up to ``retry_for_s`` seconds before the hotline answer."""
    text = prepare_text(request.text)
    sender = scoped_sender(request.channel, request.sender_id)
    tag = hashlib.sha256(sender.encode("utf-8")).hexdigest()[:10]
    if not text:
        logger.info("chat sender=%s empty text, prompted", tag)
        return chat_body(render([Reply(text=messages.EMPTY_TEXT)], request.channel), None, None)

    logger.debug("chat sender=%s text=%r", tag, mask_pii(text), extra={"sender": tag})
    metadata = {"channel": request.channel, "locality": locality}
    if request.client_message_id:
        metadata[METADATA_KEY] = request.client_message_id
    try:
        turn = await ask_until_kept(ask, sender, text, metadata, retry_for_s)
    except RasaError as exc:
        logger.warning("chat sender=%s Rasa failed: %s", tag, exc)
        waiting = await pending(sender)
        await _remember(history, request, text, waiting, fallback_replies(hotline))
        return chat_body(render(waiting + fallback_replies(hotline), request.channel), None, None)

    replies = from_rasa(turn.messages)
    if not replies:
        logger.warning("chat sender=%s Rasa answered no message (action server down?)", tag)
        replies = fallback_replies(hotline)
    logger.info(
        "chat sender=%s channel=%s chars=%d intent=%s procedure=%s replies=%d",
        tag,
        request.channel,
        len(text),
        turn.intent,
        turn.procedure,
        len(replies),
        extra={"channel": request.channel, "sender": tag},
    )
    waiting = await pending(sender)
    await _remember(history, request, text, waiting, replies)
    intent = reported_intent(turn.intent)
    codes = turn_codes(turn, known_codes)
    return chat_body(render(waiting + replies, request.channel), intent, turn.procedure, codes)


async def ask_until_kept(ask: Ask, sender: str, text: str, metadata: dict[str, Any], retry_for_s: float) -> RasaTurn:
    """Rasa's turn; a turn Rasa said it could not keep (nothing of it saved) is asked again,
    waiting 0.25 s, then twice as long each time, while ``retry_for_s`` allows. Other failures
    are not retried here: Rasa may have handled the message."""
    deadline = time.monotonic() + retry_for_s
    wait = 0.25
    while True:
        try:
            return await ask(sender, text, metadata)
        except RasaTurnNotKept:
            if time.monotonic() + wait > deadline:
                raise
            await asyncio.sleep(wait)
            wait = min(wait * 2, 2.0)


async def _remember(
    history: WebHistory | None, request: ChatRequest, text: str, officer: list[Reply], bot: list[Reply]
) -> None:
    """Keep the web page's turn (its client message id, when the page sent one)."""
    if history is None or request.channel != "web":
        return
    await history.remember_turn(
        request.sender_id, text, request.client_message_id, render(officer, "web"), render(bot, "web")
    )


async def inbox(sender_id: str, pending: Pending, history: WebHistory | None = None) -> dict[str, Any]:
    """GET /api/inbox: the officers' messages waiting for this web citizen (then delivered)."""
    replies = render(await pending(scoped_sender("web", sender_id)), "web")
    if history is not None:
        await history.remember_officer(sender_id, replies)
    return {"replies": [reply.to_dict() for reply in replies]}
