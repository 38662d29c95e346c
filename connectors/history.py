"""The web chat's history: what the page showed a citizen (their messages, the bot's answers,
officers' messages, the rating given), kept per sender for a limited time
(``TROLYAO_WEB_HISTORY_HOURS``, 24 by default), so that a reload shows the conversation again,
ticket and booking codes included. ``GET /api/history`` gives it, ``DELETE /api/history``
clears it (a kiosk or a family phone is shared).

Phone and ID numbers are masked before anything is stored: in the citizen's messages all of
them; in the bot's and officers' messages those the citizen typed (remembered as keyed hashes
only), so that the hotlines and procedure codes of an answer stay readable.

The rows live in the gateway's channel state (``connectors.state``: its SQLite file, or the
database gateway replicas share). Only a sender id long enough not to be guessed (the page makes
a random one) has a history: an API client calling itself "u1" has none.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Query, Request

from connectors.chat import scoped_sender
from connectors.conversation import RATINGS
from connectors.replies import Reply
from connectors.settings import Settings
from connectors.state import ChannelState, open_channel_state
from tthc.privacy import mask_pii, pii_numbers

logger = logging.getLogger(__name__)

MIN_SENDER_CHARS = 16  # the page's ids are 32 hex digits or a UUID
MAX_ROWS = 400  # what a reload shows at most, newest kept
MAX_IMAGE_CHARS = 200_000  # a QR code as a data: URI is a few kB; bigger images are not kept
PRUNE_EVERY_S = 600.0
KEY_NAME = "web_history:key"  # the hash key of the citizens' numbers, shared by replicas

T = TypeVar("T")


def keeps_history(sender_id: str) -> bool:
    return len(sender_id) >= MIN_SENDER_CHARS


class WebHistory:
    """The histories of the web chat's senders. The methods taking a conversation id
    (``api:...``) are synchronous (a few ms of I/O); ``remember_*`` take the page's sender id,
    run off the event loop and never raise."""

    def __init__(self, store: ChannelState | None, keep_hours: float, owns_store: bool = False) -> None:
        self._store = store
        self.keep_hours = keep_hours if store is not None else 0.0
        self._owns_store = owns_store
        self._key: bytes | None = None
        self._pruned_at = 0.0

    @property
    def enabled(self) -> bool:
        return self.keep_hours > 0

    def close(self) -> None:
        if self._owns_store and self._store is not None:
            self._store.close()

    # --- writing ------------------------------------------------------------------------------

    def record_turn(
        self,
        sender: str,
        text: str,
        client_id: str | None,
        officer: list[Reply],
        bot: list[Reply],
        now: float | None = None,
    ) -> None:
        """One /api/chat message and what the page showed for it (officers' messages first,
        then the bot's answer). A rating is kept as the rating of the latest answer."""
        if not self.enabled:
            return
        assert self._store is not None
        now = time.time() if now is None else now
        earlier = self._store.history(sender, now - self._keep_s)
        if client_id and any(k == "user" and v.get("cid") == client_id for _, k, v in earlier):
            return  # the same message sent again (a retry whose first answer was lost)
        known = _number_keys(earlier)
        typed = {self._digest(number) for number in pii_numbers(text)} - known
        known |= typed
        rows: list[tuple[str, Any]] = [("numbers", sorted(typed))] if typed else []
        rows += [("officer", self._masked(reply, known)) for reply in officer]
        useful = RATINGS.get(text.strip())
        if useful is not None:
            rows.append(("rating", useful))
        else:
            shown = _button_title(earlier, text) or text
            rows.append(("user", {"text": mask_pii(shown), **({"cid": client_id} if client_id else {})}))
            rows += [("bot", self._masked(reply, known)) for reply in bot]
        self._store.add_history(sender, rows, now)
        self._prune(now)

    def record_officer(self, sender: str, replies: list[Reply], now: float | None = None) -> None:
        """Officers' messages the page fetched from /api/inbox."""
        if not (self.enabled and replies):
            return
        assert self._store is not None
        now = time.time() if now is None else now
        known = _number_keys(self._store.history(sender, now - self._keep_s))
        self._store.add_history(sender, [("officer", self._masked(r, known)) for r in replies], now)

    def clear(self, sender: str) -> None:
        if self._store is not None:
            self._store.clear_history(sender)

    # --- reading ------------------------------------------------------------------------------

    def messages(self, sender: str, now: float | None = None) -> list[dict[str, Any]]:
        """What the page shows again, oldest first: {"who": "user" | "bot" | "officer", "at",
        and the reply's keys}; an answer the citizen rated has "rated": "up" or "down"."""
        if not self.enabled:
            return []
        assert self._store is not None
        now = time.time() if now is None else now
        out: list[dict[str, Any]] = []
        for at, kind, value in self._store.history(sender, now - self._keep_s, MAX_ROWS):
            if kind in ("user", "bot", "officer"):
                shown = {key: item for key, item in value.items() if key != "cid"}
                out.append({"who": kind, "at": _iso(at), **shown})
            elif kind == "rating":
                rated = next((item for item in reversed(out) if _has_rating_buttons(item)), None)
                if rated is not None:
                    rated["rated"] = "up" if value else "down"
        return out

    # --- for /api/chat and /api/inbox, off the event loop ---------------------------------------

    async def remember_turn(
        self, sender_id: str, text: str, client_id: str | None, officer: list[Reply], bot: list[Reply]
    ) -> None:
        if self.enabled and keeps_history(sender_id):
            await _safely(self.record_turn, scoped_sender("web", sender_id), text, client_id, officer, bot)

    async def remember_officer(self, sender_id: str, replies: list[Reply]) -> None:
        if self.enabled and keeps_history(sender_id) and replies:
            await _safely(self.record_officer, scoped_sender("web", sender_id), replies)

    # --- helpers ------------------------------------------------------------------------------

    @property
    def _keep_s(self) -> float:
        return self.keep_hours * 3600.0

    def _digest(self, number: str) -> str:
        """A keyed hash of a phone or ID number (its last 9 digits: 0905... and +84905... agree)."""
        digits = re.sub(r"\D", "", number)[-9:]
        return hmac.new(self._secret(), digits.encode(), hashlib.sha256).hexdigest()[:24]

    def _secret(self) -> bytes:
        if self._key is None:
            assert self._store is not None
            stored = self._store.get(KEY_NAME)
            if not stored:
                self._store.put(KEY_NAME, secrets.token_hex(32))
                stored = self._store.get(KEY_NAME)  # another replica's, had it written first
            self._key = bytes.fromhex(str(stored))
        return self._key

    def _masked(self, reply: Reply, known: set[str]) -> dict[str, Any]:
        """A reply as stored: the citizen's own numbers masked in its text and button titles."""

        def keep(number: str) -> bool:
            return self._digest(number) not in known

        value = reply.to_dict()
        if "text" in value:
            value["text"] = mask_pii(value["text"], keep=keep)
        for button in value.get("buttons", []):
            button["title"] = mask_pii(button["title"], keep=keep)
        if len(value.get("image", "")) > MAX_IMAGE_CHARS:
            del value["image"]
        return value

    def _prune(self, now: float) -> None:
        if now - self._pruned_at >= PRUNE_EVERY_S:
            self._pruned_at = now
            assert self._store is not None
            self._store.prune_history(now - self._keep_s)


def _number_keys(rows: list[tuple[float, str, Any]]) -> set[str]:
    return {key for _, kind, value in rows if kind == "numbers" for key in value}


def _button_title(rows: list[tuple[float, str, Any]], text: str) -> str | None:
    """The title of the button whose payload ``text`` is, among the latest answer's buttons
    (the page shows a pressed button by its title)."""
    for _, kind, value in reversed(rows):
        if kind == "user":
            return None
        for button in value.get("buttons", []) if kind in ("bot", "officer") else []:
            if button.get("payload") == text:
                return str(button.get("title") or text)
    return None


def _has_rating_buttons(item: dict[str, Any]) -> bool:
    return any(str(b.get("payload", "")) in RATINGS for b in item.get("buttons", []))


def _iso(at: float) -> str:
    return dt.datetime.fromtimestamp(at, dt.timezone.utc).isoformat(timespec="seconds")


async def _safely(function: Callable[..., T], *args: Any) -> T | None:
    """The history must never break an answer: a failure is logged, the answer goes on."""
    try:
        return await asyncio.to_thread(function, *args)
    except Exception:
        logger.exception("web history: %s failed", getattr(function, "__name__", "call"))
        return None


def open_history(settings: Settings, store: ChannelState | None) -> WebHistory:
    """The history in the channels' state store, or in one opened for it when no channel runs;
    off (nothing kept) when TROLYAO_WEB_HISTORY_HOURS is 0 or the store cannot be opened."""
    if settings.web_history_hours <= 0:
        return WebHistory(None, 0)
    if store is not None:
        return WebHistory(store, settings.web_history_hours)
    try:
        own = open_channel_state(settings.state_db, settings.state_db_url, settings.port)
    except Exception as exc:
        logger.error("web chat history off: the state store could not be opened: %s", exc)
        return WebHistory(None, 0)
    return WebHistory(own, settings.web_history_hours, owns_store=True)


# --- routes -------------------------------------------------------------------------------------


def router() -> APIRouter:
    routes = APIRouter()
    routes.add_api_route("/api/history", get_history, methods=["GET"])
    routes.add_api_route("/api/history", delete_history, methods=["DELETE"])
    return routes


def _of(request: Request) -> WebHistory:
    history = getattr(request.app.state, "history", None)
    return history if history is not None else WebHistory(None, 0)


async def get_history(request: Request, sender_id: str = Query(min_length=1, max_length=128)) -> dict[str, Any]:
    """The page's conversation so far, to show again after a reload."""
    history = _of(request)
    shown: list[dict[str, Any]] = []
    if keeps_history(sender_id):
        shown = await asyncio.to_thread(history.messages, scoped_sender("web", sender_id))
    return {"messages": shown, "keep_hours": history.keep_hours}


async def delete_history(request: Request, sender_id: str = Query(min_length=1, max_length=128)) -> dict[str, Any]:
    """Forget this sender's history (the page then starts a new conversation id)."""
    await asyncio.to_thread(_of(request).clear, scoped_sender("web", sender_id))
    return {"cleared": True}
