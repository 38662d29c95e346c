"""The Zalo Bot platform: a Telegram-like Bot API ({ZALO_BOT_API_BASE}/bot<token>/<method>).

- Webhook mode (ZALO_BOT_PUBLIC_URL set): setWebhook with the secret at start;
  /webhooks/zalo-bot checks ``X-Bot-Api-Secret-Token``. Bodies arrive flat
  (``{"event_name": ..., "message": ...}``) in real traffic and wrapped
  (``{"ok": true, "result": {...}}``) in the documentation: both are accepted.
- Polling mode (no public URL): getUpdates long polls; one that times out answers HTTP 200
  with ``error_code`` 408, which is an empty poll, not a failure.
- Replies: sendMessage (text ≤ 2,000 characters, split before) and sendPhoto (by URL; a QR
  code from a data: URI is served by the gateway at {ZALO_BOT_PUBLIC_URL}/media/<id>).
  The platform has no buttons: they arrive as numbered lines, and "1" picks the first.
- A failed send raises ``SendError`` saying what the answer proves (as for Telegram): 429
  (with ``parameters.retry_after`` when given) and 5xx are not delivered, 403 or an unknown
  chat is final, "too long" asks for a split, a timeout after sending is of unknown outcome.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any

import httpx

from connectors.channels.base import Incoming, Kind, SendError, Submit, transport_error
from connectors.media import decode_data_uri, is_data_uri
from connectors.replies import Reply
from connectors.settings import ZALO_BOT, Settings
from connectors.state import ChannelState
from connectors.webhook_auth import Verdict, verify_secret_token

logger = logging.getLogger(__name__)

HEADER = "X-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/webhooks/zalo-bot"
POLL_TIMEOUT_S = 30
EMPTY_POLL = 408
RETRY_MAX_S = 60.0


# --- pure functions ------------------------------------------------------------------------


def parse_updates(data: Any) -> list[Incoming]:
    """Citizens' messages in a webhook body or a getUpdates result, flat or wrapped."""
    if isinstance(data, dict) and "event_name" not in data and "result" in data:
        data = data["result"]
    items = data if isinstance(data, list) else [data]
    out = []
    for item in items:
        incoming = _parse_one(item)
        if incoming is not None:
            out.append(incoming)
    return out


def _parse_one(item: Any) -> Incoming | None:
    if not isinstance(item, dict):
        return None
    message = item.get("message")
    if not isinstance(message, dict):
        return None
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    if sender.get("is_bot"):
        return None
    chat_id = chat.get("id") or sender.get("id")
    message_id = message.get("message_id")
    if not (_is_id(chat_id) and _is_id(message_id)):
        return None
    kind = _kind(str(item.get("event_name") or ""), message)
    text = message.get("text") if kind == "text" else ""
    text = text if isinstance(text, str) else ""  # a number or an object is no text
    return Incoming(ZALO_BOT, str(chat_id), str(message_id), kind=kind, text=text)


def _is_id(value: Any) -> bool:
    """Platform ids are strings or numbers; anything else (lists, objects) is no id."""
    return bool(value) and isinstance(value, (str, int)) and not isinstance(value, bool)


def _kind(event_name: str, message: dict[str, Any]) -> Kind:
    if "text" in event_name or (not event_name and isinstance(message.get("text"), str)):
        return "text"
    if "image" in event_name or "photo" in event_name:
        return "image"
    if "sticker" in event_name:
        return "sticker"
    if "location" in event_name:
        return "location"
    if "file" in event_name or "document" in event_name:
        return "file"
    return "other"


def webhook_url(public_url: str) -> str:
    base = public_url.rstrip("/")
    return base if base.endswith(WEBHOOK_PATH) else base + WEBHOOK_PATH


def media_base(public_url: str) -> str:
    base = public_url.rstrip("/")
    if base.endswith(WEBHOOK_PATH):
        base = base[: -len(WEBHOOK_PATH)]
    return base + "/media"


# --- the adapter ---------------------------------------------------------------------------


class ZaloBotChannel:
    name = ZALO_BOT
    prefix = "zalobot"
    render_as = "zalo-bot"

    def __init__(self, settings: Settings, store: ChannelState, submit: Submit, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._store = store
        self._submit = submit
        self._http = http
        self._api = f"{settings.zalo_bot_api_base.rstrip('/')}/bot{settings.zalo_bot_token}"
        self._polling = settings.zalo_bot_polling
        self._task: asyncio.Task[None] | None = None
        self.ready = False
        self.empty_polls = 0

    def verify(self, headers: Mapping[str, str], body: bytes) -> Verdict:
        return verify_secret_token(self._settings.zalo_bot_secret_token, headers.get(HEADER))

    async def receive(self, body: bytes) -> None:
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            logger.warning("zalo-bot: unreadable update ignored")
            return
        for incoming in parse_updates(data):
            await self._submit(incoming)

    # send ---------------------------------------------------------------------------------

    async def send(self, user_id: str, reply: Reply) -> None:
        photo = self._photo_url(reply.image) if reply.image else None
        if photo:
            body: dict[str, Any] = {"chat_id": user_id, "photo": photo}
            if reply.text:
                body["caption"] = reply.text
            await self._call("sendPhoto", body)
        elif reply.text:
            await self._call("sendMessage", {"chat_id": user_id, "text": reply.text})

    def _photo_url(self, image_ref: str) -> str | None:
        if not is_data_uri(image_ref):
            return image_ref
        image = decode_data_uri(image_ref)
        public = self._settings.zalo_bot_public_url
        if image is None or not public:
            logger.warning("zalo-bot: image left out (a data: image needs ZALO_BOT_PUBLIC_URL)")
            return None
        self._store.put_media(image.media_id, image.mime, image.data)
        return f"{media_base(public)}/{image.filename}"

    async def _call(self, method: str, body: dict[str, Any], timeout: float = 15.0) -> Any:
        try:
            response = await self._http.post(f"{self._api}/{method}", json=body, timeout=timeout)
        except httpx.HTTPError as exc:
            raise transport_error("Zalo Bot API", exc) from exc
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if isinstance(answer, dict) and answer.get("ok"):
            return answer.get("result")
        if not isinstance(answer, dict):
            answer = {"error_code": response.status_code}
        raise ApiError(method, response.status_code, answer)

    # lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        target = self._poll_forever() if self._polling else self._set_webhook_until_done()
        self._task = asyncio.create_task(target, name="zalo-bot")
        if not self._polling:
            self.ready = True  # webhook updates are accepted while setWebhook is retried

    async def _set_webhook_until_done(self) -> None:
        delay = 1.0
        body = {
            "url": webhook_url(self._settings.zalo_bot_public_url),
            "secret_token": self._settings.zalo_bot_secret_token,
        }
        while True:
            try:
                await self._call("setWebhook", body)
                logger.info("Zalo Bot channel started (webhook mode)")
                return
            except SendError as exc:
                logger.warning("zalo-bot: setWebhook failed (%s), retrying in %.0f s", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)

    async def _poll_forever(self) -> None:
        try:
            await self._call("deleteWebhook", {})
        except SendError as exc:
            logger.info("zalo-bot: deleteWebhook before polling: %s", exc)
        self.ready = True
        logger.info("Zalo Bot channel started (polling mode)")
        delay = 1.0
        while True:
            try:
                result = await self._call("getUpdates", {"timeout": POLL_TIMEOUT_S}, timeout=POLL_TIMEOUT_S + 10)
            except ApiError as exc:
                if exc.code == EMPTY_POLL:
                    self.empty_polls += 1
                    delay = 1.0
                    continue
                logger.warning("zalo-bot: getUpdates failed (%s), retrying in %.0f s", exc, delay)
            except SendError as exc:
                logger.warning("zalo-bot: getUpdates failed (%s), retrying in %.0f s", exc, delay)
            else:
                delay = 1.0
                for incoming in parse_updates(result):
                    await self._submit(incoming)
                continue
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)

    async def stop(self) -> None:
        self.ready = False
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


class ApiError(SendError):
    """An error answer of the Bot API, classified like Telegram's (same shape of answer)."""

    def __init__(self, method: str, status: int, answer: dict[str, Any]) -> None:
        code = answer.get("error_code", status)
        description = str(answer.get("description") or "")
        parameters = answer.get("parameters") if isinstance(answer.get("parameters"), dict) else {}
        retry_after = parameters.get("retry_after")
        retry_after = float(retry_after) if isinstance(retry_after, (int, float)) and retry_after > 0 else None
        lowered = description.lower()
        super().__init__(
            f"Zalo Bot {method}: error {code} {description}".strip(),
            retryable=status >= 500 or code in (401, 429, 500, 502, 503, 504),
            retry_after=retry_after,
            too_long="too long" in lowered,
            gone=code == 403 or "chat not found" in lowered or "blocked" in lowered,
        )
        self.code = code
