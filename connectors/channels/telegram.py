"""Telegram, with python-telegram-bot inside the gateway.

Webhook mode (TELEGRAM_PUBLIC_URL set): the application has no updater; /webhooks/telegram
checks the secret header and puts the update on the application's queue; setWebhook is
called at start. Polling mode (no public URL): the library's updater polls, for a local run.
Either way the same handler turns an update into an ``Incoming`` for the inbox.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
from collections.abc import Callable, Mapping

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, TelegramError
from telegram.ext import AIORateLimiter, Application, ContextTypes, TypeHandler

from connectors import messages
from connectors.channels.base import Incoming, Kind, SendError, Submit
from connectors.media import decode_data_uri, is_data_uri
from connectors.replies import Button, Reply
from connectors.settings import TELEGRAM, Settings
from connectors.state import ChannelState
from connectors.webhook_auth import Verdict, verify_secret_token

logger = logging.getLogger(__name__)

HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/webhooks/telegram"
ALLOWED_UPDATES = ["message", "callback_query"]
MAX_CALLBACK_BYTES = 64
SHORT_ID_PREFIX = "c:"
# /start and /help open a conversation: the bot greets.
COMMANDS = {"/start": "/greet", "/help": "/greet"}
START_RETRY_MAX_S = 60.0


# --- pure functions ------------------------------------------------------------------------


def callback_data(payload: str) -> tuple[str, bool]:
    """(callback_data, whether it is a short id to keep server-side) for a button payload."""
    if len(payload.encode("utf-8")) <= MAX_CALLBACK_BYTES and not payload.startswith(
        SHORT_ID_PREFIX
    ):
        return payload, False
    digest = hashlib.sha256(payload.encode("utf-8")).digest()[:12]
    return SHORT_ID_PREFIX + base64.urlsafe_b64encode(digest).decode("ascii"), True


def keyboard(
    buttons: list[Button], remember: Callable[[str, str], None]
) -> InlineKeyboardMarkup | None:
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
        text = message.text
        command = text.split(maxsplit=1)[0].split("@")[0].lower() if text.startswith("/") else ""
        if command in COMMANDS:
            text = COMMANDS[command]
        return Incoming(TELEGRAM, chat_id, message_id, text=text)
    return Incoming(TELEGRAM, chat_id, message_id, kind=_kind(message))


def _kind(message: object) -> Kind:
    if getattr(message, "photo", None):
        return "image"
    if getattr(message, "sticker", None):
        return "sticker"
    if getattr(message, "location", None) or getattr(message, "venue", None):
        return "location"
    if getattr(message, "document", None):
        return "file"
    return "other"


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
            .rate_limiter(AIORateLimiter(max_retries=2))
        )
        if not self._polling:
            builder = builder.updater(None)
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
            if not isinstance(data, dict):
                raise TypeError("an update is a JSON object")
            update = Update.de_json(data, self.app.bot)
        except Exception as exc:  # any odd field type: the library raises many kinds; never a 5xx
            logger.warning("telegram: unreadable update ignored (%s)", type(exc).__name__)
            return
        if update is None:
            return
        # Handled now rather than queued: the message is in the outbox before Telegram gets its
        # 200 (a crash cannot lose it), and its log lines carry the webhook's request id.
        await self.app.process_update(update)

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
                await bot.send_message(
                    user_id, text=reply.text or messages.CHOOSE, reply_markup=markup
                )
        except (BadRequest, Forbidden, InvalidToken) as exc:
            raise SendError(f"Telegram refused: {exc}") from exc
        except NetworkError as exc:  # includes TimedOut
            raise SendError(f"Telegram unreachable: {exc}", retryable=True) from exc
        except TelegramError as exc:
            raise SendError(f"Telegram error: {exc}") from exc

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
            await self.app.updater.start_polling(
                allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False
            )
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
