"""Telegram, with python-telegram-bot inside the gateway.

Webhook mode (TELEGRAM_PUBLIC_URL set): the application has no updater; /webhooks/telegram
checks the secret header and puts the update on the application's queue; setWebhook is
called at start. Polling mode (no public URL): the library's updater polls, for a local run.
Either way the same handler turns an update into an ``Incoming`` for the inbox. An update
the library cannot read (a field it requires is missing, as in some real sticker updates) is
read from its JSON for the chat and the text, so a citizen's words are never dropped.

Sending raises ``SendError`` saying what Telegram's answer proves: 429 with its
``retry_after``, 5xx and unreachable are not delivered (retried by ``connectors.outbound``),
a timeout after the request went out is of unknown outcome, "message is too long" asks for
a split, a blocked bot or an unknown chat is final.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import AIORateLimiter, Application, ContextTypes, TypeHandler

from connectors import messages
from connectors.channels.base import Incoming, Kind, SendError, Submit, transport_error
from connectors.media import decode_data_uri, is_data_uri
from connectors.replies import Button, Reply
from connectors.settings import TELEGRAM, Settings
from connectors.state import ChannelState
from connectors.webhook_auth import Verdict, verify_secret_token
from tthc import deeplinks

logger = logging.getLogger(__name__)

HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/webhooks/telegram"
ALLOWED_UPDATES = ["message", "callback_query"]
MAX_CALLBACK_BYTES = 64
SHORT_ID_PREFIX = "c:"
# /start and /help open a conversation: the bot greets.
COMMANDS = {"/start": "/greet", "/help": "/greet"}
START_RETRY_MAX_S = 60.0
# Bad Request descriptions that mean the chat itself cannot be written to.
_CHAT_GONE = ("chat not found", "user not found", "peer_id_invalid", "user is deactivated", "have no rights")


# --- pure functions ------------------------------------------------------------------------


def callback_data(payload: str) -> tuple[str, bool]:
    """(callback_data, whether it is a short id to keep server-side) for a button payload."""
    if len(payload.encode("utf-8")) <= MAX_CALLBACK_BYTES and not payload.startswith(SHORT_ID_PREFIX):
        return payload, False
    digest = hashlib.sha256(payload.encode("utf-8")).digest()[:12]
    return SHORT_ID_PREFIX + base64.urlsafe_b64encode(digest).decode("ascii"), True


def keyboard(buttons: list[Button], remember: Callable[[str, str], None]) -> InlineKeyboardMarkup | None:
    """One button per row: links open, payload buttons send a callback (short id if long)."""
    rows = []
    for button in buttons:
        if button.url:
            rows.append([InlineKeyboardButton(button.title, url=button.url)])
        elif button.payload:
            data, short = callback_data(button.payload)
            if short:
                remember(data, button.payload)
            rows.append([InlineKeyboardButton(button.title, callback_data=data)])
    return InlineKeyboardMarkup(rows) if rows else None


def incoming_from_update(update: Update, lookup: Callable[[str], str | None]) -> Incoming | None:
    """The citizen's message in an update (private chats only), or None to ignore it."""
    message_id = str(update.update_id)
    query = update.callback_query
    if query is not None:
        message = query.message
        if message is None or message.chat.type != "private":
            return None
        data = query.data if isinstance(query.data, str) else ""  # the library checks no types
        payload = lookup(data) if data.startswith(SHORT_ID_PREFIX) else data
        chat_id = str(message.chat.id)
        if not payload:
            return Incoming(TELEGRAM, chat_id, message_id, kind="expired")
        return Incoming(TELEGRAM, chat_id, message_id, text=payload)
    message = update.message
    if message is None or message.chat.type != "private":
        return None
    chat_id = str(message.chat.id)
    if isinstance(message.text, str):
        return _text_message(chat_id, message_id, message.text)
    if isinstance(message.caption, str) and message.caption.strip():  # a photo's words
        return _text_message(chat_id, message_id, message.caption)
    return Incoming(TELEGRAM, chat_id, message_id, kind=_kind(message))


def incoming_from_json(data: dict[str, Any], lookup: Callable[[str], str | None]) -> Incoming | None:
    """The citizen's message read from an update's JSON, for updates the library cannot parse:
    the private chat and the text (or a caption); None if there is no chat to answer."""
    update_id = data.get("update_id")
    query = data.get("callback_query")
    message = query.get("message") if isinstance(query, dict) else data.get("message")
    if not isinstance(message, dict):
        return None
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    chat_id = chat.get("id")
    if not _is_id(chat_id) or chat.get("type", "private") != "private":
        return None
    if isinstance(query, dict):
        data_field = query.get("data") if isinstance(query.get("data"), str) else ""
        payload = lookup(data_field) if data_field.startswith(SHORT_ID_PREFIX) else data_field
        message_id = f"{update_id}" if _is_id(update_id) else f"cb:{query.get('id')}"
        if not payload:
            return Incoming(TELEGRAM, str(chat_id), message_id, kind="expired")
        return Incoming(TELEGRAM, str(chat_id), message_id, text=payload)
    message_id = str(update_id) if _is_id(update_id) else f"raw:{chat_id}:{message.get('message_id')}"
    for field_name in ("text", "caption"):
        text = message.get(field_name)
        if isinstance(text, str) and text.strip():
            return _text_message(str(chat_id), message_id, text)
    return Incoming(TELEGRAM, str(chat_id), message_id, kind=_kind(message))


def _text_message(chat_id: str, message_id: str, text: str) -> Incoming:
    command = text.split(maxsplit=1)[0].split("@")[0].lower() if text.startswith("/") else ""
    if command in COMMANDS:
        text = _start(text) if command == "/start" else COMMANDS[command]
    return Incoming(TELEGRAM, chat_id, message_id, text=text)


def _start(text: str) -> str:
    """``/start khai-sinh`` (a QR code at the counter, t.me/<bot>?start=khai-sinh) asks for that
    procedure's overview; a bare /start greets."""
    words = text.split(maxsplit=1)
    slug = deeplinks.procedure_from_start(words[1]) if len(words) > 1 else None
    return deeplinks.overview_message(slug) if slug else COMMANDS["/start"]


def _is_id(value: Any) -> bool:
    return bool(value) and isinstance(value, (str, int)) and not isinstance(value, bool)


def _kind(message: object) -> Kind:
    def has(name: str) -> bool:
        value = message.get(name) if isinstance(message, dict) else getattr(message, name, None)
        return bool(value)

    if has("photo"):
        return "image"
    if has("sticker"):
        return "sticker"
    if has("location") or has("venue"):
        return "location"
    if has("document"):
        return "file"
    return "other"


def send_error(exc: TelegramError) -> SendError:
    """What a Telegram error proves about the message (see ``SendError``)."""
    if isinstance(exc, RetryAfter):
        return SendError(f"Telegram rate limit: {exc}", retryable=True, retry_after=_seconds(exc.retry_after))
    if isinstance(exc, TimedOut):
        if isinstance(exc.__cause__, httpx.HTTPError):
            return transport_error("Telegram", exc.__cause__)
        return SendError(f"Telegram gave no answer: {exc}", unknown=True)
    description = str(exc)
    if isinstance(exc, BadRequest):
        lowered = description.lower()
        if "too long" in lowered:
            return SendError(f"Telegram refused: {description}", too_long=True)
        if any(words in lowered for words in _CHAT_GONE):
            return SendError(f"Telegram refused: {description}", gone=True)
        return SendError(f"Telegram refused: {description}")
    if isinstance(exc, (Forbidden, ChatMigrated)):  # blocked by the user, or a group that moved
        return SendError(f"Telegram refused: {description}", gone=True)
    if isinstance(exc, NetworkError) and isinstance(exc.__cause__, httpx.HTTPError):
        return transport_error("Telegram", exc.__cause__)
    if isinstance(exc, (NetworkError, InvalidToken)):  # 5xx, 409, 401: not taken, try again later
        return SendError(f"Telegram did not take it: {description}", retryable=True)
    return SendError(f"Telegram gave no usable answer: {description}", unknown=True)


def _seconds(value: int | float | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class _RetriedByTheQueue(logging.Filter):
    """The rate limiter logs every 429 it passes on with a traceback; the outbound queue
    retries it and says so in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Rate limit hit after maximum")


_RATE_LIMITER_LOG = logging.getLogger("telegram.ext.AIORateLimiter")


def webhook_url(public_url: str) -> str:
    base = public_url.rstrip("/")
    return base if base.endswith(WEBHOOK_PATH) else base + WEBHOOK_PATH


# --- the adapter ---------------------------------------------------------------------------


class TelegramChannel:
    name = TELEGRAM
    prefix = "tg"
    render_as = "telegram"

    def __init__(self, settings: Settings, store: ChannelState, submit: Submit) -> None:
        self._settings = settings
        self._store = store
        self._submit = submit
        self._polling = settings.telegram_polling
        api = settings.telegram_api_base.rstrip("/")
        builder = (
            Application.builder()
            .token(settings.telegram_bot_token)
            .base_url(f"{api}/bot")
            .base_file_url(f"{api}/file/bot")
            # Paces sends; a 429 is not retried here but by the outbound queue, which keeps
            # the answer (and its retry_after) across restarts.
            .rate_limiter(AIORateLimiter(max_retries=0))
        )
        if not self._polling:
            builder = builder.updater(None)
        if not any(isinstance(f, _RetriedByTheQueue) for f in _RATE_LIMITER_LOG.filters):
            _RATE_LIMITER_LOG.addFilter(_RetriedByTheQueue())
        self.app = builder.build()
        self.app.add_handler(TypeHandler(Update, self._on_update))
        self.app.add_error_handler(self._on_error)
        self.ready = False
        self._starter: asyncio.Task[None] | None = None

    # verify / receive ---------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes) -> Verdict:
        secret = self._settings.telegram_webhook_secret
        return verify_secret_token(secret, headers.get(HEADER))

    async def receive(self, body: bytes) -> None:
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            logger.warning("telegram: update that is not JSON ignored")
            return
        if not isinstance(data, dict):
            logger.warning("telegram: update that is not a JSON object ignored")
            return
        try:
            update = Update.de_json(data, self.app.bot)
        except Exception as exc:  # any odd or missing field: the library raises many kinds
            await self._receive_raw(data, type(exc).__name__)
            return
        if update is None:
            return
        # Handled now rather than queued: the message is in the outbox before Telegram gets its
        # 200 (a crash cannot lose it), and its log lines carry the webhook's request id.
        await self.app.process_update(update)

    async def _receive_raw(self, data: dict[str, Any], problem: str) -> None:
        """An update the library could not read: the chat and the text from its JSON."""
        try:
            incoming = incoming_from_json(data, self._store.get_callback)
        except RecursionError:
            incoming = None
        if incoming is None:
            logger.warning("telegram: update without a private chat ignored (unreadable: %s)", problem)
            return
        logger.warning("telegram: update read from its JSON (the library could not: %s)", problem)
        query = data.get("callback_query")
        if isinstance(query, dict) and isinstance(query.get("id"), str):
            self.app.create_task(self._answer_callback_id(query["id"]))
        await self._submit(incoming)

    async def _answer_callback_id(self, query_id: str) -> None:
        try:
            await self.app.bot.answer_callback_query(query_id)
        except TelegramError as exc:
            logger.warning("telegram: could not answer a callback query: %s", exc)

    async def _on_update(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not isinstance(update, Update):
            return
        if update.callback_query is not None:
            # Stops the button's spinner; in the background so the next update is not held up.
            self.app.create_task(self._answer_callback(update.callback_query), update=update)
        incoming = incoming_from_update(update, self._store.get_callback)
        if incoming is not None:
            await self._submit(incoming)

    @staticmethod
    async def _answer_callback(query: CallbackQuery) -> None:
        try:
            await query.answer()
        except TelegramError as exc:
            logger.warning("telegram: could not answer a callback query: %s", exc)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        logger.error("telegram: error while handling an update: %r", context.error)

    # send ---------------------------------------------------------------------------------

    async def send(self, user_id: str, reply: Reply) -> None:
        bot = self.app.bot
        markup = keyboard(reply.buttons, self._store.put_callback)
        try:
            if reply.image:
                photo: str | bytes = reply.image
                if is_data_uri(reply.image):
                    image = decode_data_uri(reply.image)
                    if image is None:
                        raise SendError("unusable data: image")
                    photo = image.data
                await bot.send_photo(user_id, photo=photo, caption=reply.text, reply_markup=markup)
            else:
                await bot.send_message(user_id, text=reply.text or messages.CHOOSE, reply_markup=markup)
        except TelegramError as exc:
            raise send_error(exc) from exc

    # lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start in the background: Telegram being unreachable must not stop the gateway."""
        self._starter = asyncio.create_task(self._start_until_ready(), name="telegram:start")

    async def _start_until_ready(self) -> None:
        delay = 1.0
        while True:
            try:
                await self._start_once()
                return
            except InvalidToken:
                logger.error("Telegram channel not started: Telegram refused TELEGRAM_BOT_TOKEN.")
                return
            except TelegramError as exc:
                logger.warning("telegram: start failed (%s), retrying in %.0f s", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, START_RETRY_MAX_S)

    async def _start_once(self) -> None:
        await self.app.initialize()  # does nothing the second time
        if self._polling:
            assert self.app.updater is not None
            await self.app.updater.start_polling(allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
        else:
            await self.app.bot.set_webhook(
                url=webhook_url(self._settings.telegram_public_url),
                secret_token=self._settings.telegram_webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        await self.app.start()
        self.ready = True
        mode = "polling" if self._polling else "webhook"
        logger.info("Telegram channel started (%s mode)", mode)

    async def stop(self) -> None:
        if self._starter is not None and not self._starter.done():
            self._starter.cancel()
            await asyncio.gather(self._starter, return_exceptions=True)
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        self.ready = False
        try:
            await self.app.shutdown()  # does nothing if never initialized
        except TelegramError as exc:
            logger.warning("telegram: shutdown: %s", exc)
