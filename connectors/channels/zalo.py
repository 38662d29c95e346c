"""Zalo Official Account: signed webhook events in, OA API v3 customer-service messages out.

- Events are signed with ``X-ZEvent-Signature: mac=<sha256(app_id + raw body + timestamp +
  OA secret key)>`` (plain SHA-256, the timestamp taken from the body).
- Replies go to ``POST {ZALO_OA_API_BASE}/v3.0/oa/message/cs`` with an ``access_token``
  header: text, buttons (oa.open.url, oa.query.show, oa.open.phone) and images (QR codes
  from data: URIs are uploaded first and sent by attachment id).
- Errors come back as HTTP 200 with a negative ``error``: -216 (invalid access token) and
  -220 (expired or removed) refresh the token with the single-use refresh token, persist the
  new one and retry once. One refresh serves every replica: it runs under a lease in the
  shared state store, and a replica whose token was refused first looks whether another one
  already stored a newer token. -32 (rate limit), a refused token and HTTP 5xx/429 are "not
  delivered" (``connectors.outbound`` tries again later); -230 (citizen outside the
  interaction window) drops an answer but keeps an officer's message until the citizen
  writes again; other errors refuse the message.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from typing import Any

import httpx

from connectors import messages
from connectors.channels.base import ChannelRefused, Incoming, Kind, SendError, Submit, transport_error
from connectors.media import decode_data_uri, is_data_uri
from connectors.replies import Button, Reply
from connectors.settings import ZALO_OA, Settings
from connectors.state import ChannelState
from connectors.webhook_auth import Verdict, Window, verify_zalo_oa

logger = logging.getLogger(__name__)

HEADER = "X-ZEvent-Signature"
SEND_PATH = "/v3.0/oa/message/cs"
UPLOAD_PATH = "/v2.0/oa/upload/image"
OAUTH_PATH = "/v4/oa/access_token"
TOKEN_INVALID = -216
TOKEN_EXPIRED = -220
TOKEN_ERRORS = (TOKEN_INVALID, TOKEN_EXPIRED)
RATE_LIMITED = -32
OUTSIDE_WINDOW = -230
NOT_FOLLOWING = -213  # the citizen does not follow the OA (any more)
TOKENS_KEY = "zalo_oa.tokens"
REFRESH_LEASE = "lock:zalo_oa.refresh"
REFRESH_LEASE_S = 30.0  # a replica that died while refreshing blocks the others this long
REFRESH_WAIT_S = 20.0  # how long a replica waits for another's refresh before giving up
REFRESH_COOLDOWN_S = 30.0  # a token refused this soon after its refresh is not refreshed again
WINDOW_WAIT_S = 2.0  # -230: first wait before trying again (or when the citizen writes)
ATTACHMENT_TTL_S = 86_400.0
MAX_BUTTON_TITLE = 100

EVENT_KINDS: dict[str, Kind] = {
    "user_send_text": "text",
    "user_send_image": "image",
    "user_send_gif": "image",
    "user_send_sticker": "sticker",
    "user_send_location": "location",
    "user_send_file": "file",
}


# --- pure functions ------------------------------------------------------------------------


def parse_event(body: bytes) -> Incoming | None:
    """A citizen's message in an OA event, or None for events that need no answer."""
    try:
        event = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    if not isinstance(event, dict):
        return None
    name = event.get("event_name")
    sender = event.get("sender")
    user_id = sender.get("id") if isinstance(sender, dict) else None
    if not isinstance(name, str) or not name.startswith("user_send_") or not _is_id(user_id):
        return None
    message = event.get("message") if isinstance(event.get("message"), dict) else {}
    message_id = message.get("msg_id")
    if not _is_id(message_id):
        message_id = f"{name}:{user_id}:{event.get('timestamp')}"
    kind = EVENT_KINDS.get(name, "other")
    text = message.get("text") if kind == "text" else ""
    # A text that is not a string (a signed but odd event) reads as an empty message.
    text = text if isinstance(text, str) else ""
    return Incoming(ZALO_OA, str(user_id), str(message_id), kind=kind, text=text)


def _is_id(value: Any) -> bool:
    """Platform ids are strings or numbers; anything else (lists, objects) is no id."""
    return bool(value) and isinstance(value, (str, int)) and not isinstance(value, bool)


def phone_code(dial: str) -> str:
    """'02361022' -> '842361022'; '+84...' -> '84...'; short numbers ('1022') unchanged."""
    if dial.startswith("+"):
        return dial[1:]
    if dial.startswith("0") and len(dial) > 5:
        return "84" + dial[1:]
    return dial


def zalo_button(button: Button) -> dict[str, Any] | None:
    title = button.title[:MAX_BUTTON_TITLE]
    if button.url:
        return {"title": title, "type": "oa.open.url", "payload": {"url": button.url}}
    if button.phone:
        return {
            "title": title,
            "type": "oa.open.phone",
            "payload": {"phone_code": phone_code(button.phone)},
        }
    if button.payload:
        return {"title": title, "type": "oa.query.show", "payload": button.payload}
    return None


def text_message(text: str, buttons: list[Button]) -> dict[str, Any]:
    message: dict[str, Any] = {"text": text}
    zalo_buttons = [b for b in map(zalo_button, buttons) if b]
    if zalo_buttons:
        message["attachment"] = {"type": "template", "payload": {"buttons": zalo_buttons}}
    return message


def image_message(element: dict[str, str], caption: str | None) -> dict[str, Any]:
    message: dict[str, Any] = {
        "attachment": {
            "type": "template",
            "payload": {"template_type": "media", "elements": [{"media_type": "image", **element}]},
        }
    }
    if caption:
        message["text"] = caption
    return message


def send_error(code: int, text: str) -> SendError:
    """What an OA API error code proves about the message (see ``SendError``)."""
    message = f"Zalo OA error {code}: {text}".rstrip(": ")
    if code == RATE_LIMITED or code in TOKEN_ERRORS:
        return SendError(message, retryable=True)
    if code == OUTSIDE_WINDOW:
        # The window opens again when the citizen writes (an officer's message waits for that).
        return SendError(message, window_closed=True, min_wait_s=WINDOW_WAIT_S)
    if code == NOT_FOLLOWING:
        return SendError(message, gone=True)
    return SendError(message)


def api_error(body: Any) -> tuple[int, str]:
    """(error code, message) of an OA API answer; (0, "") on success."""
    if not isinstance(body, dict):
        return -1, "not a JSON object"
    error = body.get("error", 0)
    try:
        code = int(error)
    except (TypeError, ValueError):
        code = -1
    return code, str(body.get("message") or body.get("error_description") or "")


# --- tokens --------------------------------------------------------------------------------


class Tokens:
    """The OA access token and its single-use refresh token, persisted in the state store.

    ``ZALO_OA_REFRESH_TOKEN`` seeds the chain; once refreshed, the stored token wins until the
    operator puts a different refresh token in the environment.
    """

    def __init__(self, settings: Settings, store: ChannelState, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._store = store
        self._http = http
        self._lock = asyncio.Lock()
        self._refused_at = -REFRESH_COOLDOWN_S  # when OAuth last refused the refresh token
        self._state: dict[str, Any] = self._stored() or {
            "access_token": settings.zalo_oa_access_token,
            "refresh_token": settings.zalo_oa_refresh_token,
            "expires_at": None,
            "seed": settings.zalo_oa_refresh_token,
        }

    def _stored(self) -> dict[str, Any] | None:
        """The tokens in the state store, if they descend from this environment's seed."""
        seed = self._settings.zalo_oa_refresh_token
        stored = self._store.get(TOKENS_KEY)
        if isinstance(stored, dict) and (not seed or stored.get("seed") == seed):
            return stored
        return None

    @property
    def usable(self) -> bool:
        return bool(self._state.get("access_token") or self.can_refresh)

    @property
    def can_refresh(self) -> bool:
        return bool(self._state.get("refresh_token") and self._settings.zalo_app_secret)

    async def access_token(self) -> str:
        token = self._state.get("access_token") or ""
        expires_at = self._state.get("expires_at")
        expired = expires_at is not None and time.time() > expires_at - 60
        if (not token or expired) and self.can_refresh:
            return await self.refresh(token)
        return token

    async def refresh(self, failed: str) -> str:
        """A fresh access token. Only one refresh at a time over all replicas; if another call
        or replica already replaced the token that failed, that new token is used (the refresh
        token is single-use)."""
        async with self._lock:
            newer = self._newer_than(failed)
            if newer:
                return newer
            if not self.can_refresh:
                raise SendError("Zalo OA access token invalid and no refresh token to renew it", retryable=True)
            refreshed_at = self._state.get("refreshed_at") or 0.0
            if time.monotonic() - self._refused_at < REFRESH_COOLDOWN_S:
                raise SendError("Zalo OA token refresh refused a moment ago", retryable=True)
            if not self._state.get("proven") and time.time() - refreshed_at < REFRESH_COOLDOWN_S:
                # A token just refreshed and never accepted: another refresh would not help now
                # (and each one spends a refresh token).
                raise SendError("Zalo OA refused a freshly refreshed access token", retryable=True)
            newer = await self._take_refresh_lease(failed)
            if newer:
                return newer
            try:
                return await self._refresh_now()
            finally:
                self._store.release(REFRESH_LEASE)

    def _newer_than(self, failed: str) -> str:
        """A token other than the one that failed, from memory or stored by another replica."""
        stored = self._stored()
        if stored is not None and stored.get("access_token") not in (None, "", failed):
            self._state = stored
        current = self._state.get("access_token") or ""
        return current if current != failed else ""

    async def _take_refresh_lease(self, failed: str) -> str:
        """Take the refresh lease; "" once held, or the token another replica refreshed meanwhile."""
        deadline = time.monotonic() + REFRESH_WAIT_S
        while not self._store.hold(REFRESH_LEASE, REFRESH_LEASE_S):
            if time.monotonic() > deadline:
                raise SendError("Zalo OA token refresh of another replica took too long", retryable=True)
            await asyncio.sleep(0.2)
            newer = self._newer_than(failed)
            if newer:
                return newer
        newer = self._newer_than(failed)  # refreshed between the first look and the lease
        if newer:
            self._store.release(REFRESH_LEASE)
        return newer

    def accepted(self, token: str) -> None:
        """The OA API took a message with ``token``: the refresh that gave it worked."""
        refreshed = self._state.get("refreshed_at")  # tokens from the environment are not stored
        if refreshed and token == self._state.get("access_token") and not self._state.get("proven"):
            self._state = {**self._state, "proven": True}
            self._store.put(TOKENS_KEY, self._state)

    async def _refresh_now(self) -> str:
        """Spend the refresh token (under the lease) and store the new pair at once."""
        refresh_token = self._state["refresh_token"]
        url = self._settings.zalo_oauth_base.rstrip("/") + OAUTH_PATH
        try:
            response = await self._http.post(
                url,
                headers={"secret_key": self._settings.zalo_app_secret},
                data={
                    "refresh_token": refresh_token,
                    "app_id": self._settings.zalo_app_id,
                    "grant_type": "refresh_token",
                },
            )
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            # Not even an unknown outcome matters here: nothing went to the citizen.
            raise SendError(f"Zalo OAuth unreachable: {type(exc).__name__}", retryable=True) from exc
        if not isinstance(body, dict) or not body.get("access_token") or not body.get("refresh_token"):
            code, text = api_error(body)
            logger.error(
                "zalo: token refresh refused (%s %s); set a new ZALO_OA_REFRESH_TOKEN",
                code,
                text,
            )
            self._refused_at = time.monotonic()
            raise SendError("Zalo OA token refresh refused", retryable=True)
        try:
            expires_in = float(body.get("expires_in") or 0)
        except (TypeError, ValueError):
            expires_in = 0.0
        self._state = {
            "access_token": body["access_token"],
            "refresh_token": body["refresh_token"],
            "expires_at": time.time() + expires_in if expires_in > 0 else None,
            "seed": self._state.get("seed", ""),
            "refreshed_at": time.time(),
        }
        # Persist before use: the old refresh token is already spent.
        self._store.put(TOKENS_KEY, self._state)
        logger.info("zalo: access token refreshed, new refresh token stored")
        return body["access_token"]


# --- the adapter ---------------------------------------------------------------------------


class ZaloOAChannel:
    name = ZALO_OA
    prefix = "zalo"
    render_as = "zalo"

    def __init__(self, settings: Settings, store: ChannelState, submit: Submit, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._store = store
        self._submit = submit
        self._http = http
        self._base = settings.zalo_oa_api_base.rstrip("/")
        self.tokens = Tokens(settings, store, http)
        self.ready = False

    def verify(self, headers: Mapping[str, str], body: bytes) -> Verdict:
        window = Window(self._settings.zalo_oa_event_max_age_s, self._settings.zalo_oa_event_max_ahead_s)
        return verify_zalo_oa(
            self._settings.zalo_app_id,
            self._settings.zalo_oa_secret_key,
            body,
            headers.get(HEADER),
            window,
        )

    async def receive(self, body: bytes) -> None:
        incoming = parse_event(body)
        if incoming is None:
            logger.debug("zalo: event without a citizen message ignored")
            return
        await self._submit(incoming)

    async def send(self, user_id: str, reply: Reply) -> None:
        recipient = {"user_id": user_id}
        if reply.image:
            element = await self._image_element(reply.image)
            await self._call(
                SEND_PATH,
                json={"recipient": recipient, "message": image_message(element, reply.text)},
            )
            if reply.buttons:
                message = text_message(messages.CHOOSE, reply.buttons)
                await self._call(SEND_PATH, json={"recipient": recipient, "message": message})
            return
        message = text_message(reply.text or messages.CHOOSE, reply.buttons)
        await self._call(SEND_PATH, json={"recipient": recipient, "message": message})

    async def _image_element(self, image_ref: str) -> dict[str, str]:
        if not is_data_uri(image_ref):
            return {"url": image_ref}
        image = decode_data_uri(image_ref)
        if image is None:
            raise SendError("unusable data: image")
        cache_key = f"zalo_oa.attachment:{image.media_id}"
        cached = self._store.get(cache_key)
        if isinstance(cached, dict) and time.time() - cached.get("at", 0) < ATTACHMENT_TTL_S:
            return {"attachment_id": cached["id"]}
        body = await self._call(UPLOAD_PATH, files={"file": (image.filename, image.data, image.mime)})
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        attachment_id = data.get("attachment_id")
        if not attachment_id:
            raise SendError("Zalo OA upload answered no attachment_id")
        self._store.put(cache_key, {"id": attachment_id, "at": time.time()})
        return {"attachment_id": str(attachment_id)}

    async def _call(self, path: str, **kwargs: Any) -> dict[str, Any]:
        token = await self.tokens.access_token()
        body = await self._post(path, token, **kwargs)
        code, text = api_error(body)
        if code in TOKEN_ERRORS:
            logger.info("zalo: access token rejected (%s), refreshing", code)
            token = await self.tokens.refresh(token)
            body = await self._post(path, token, **kwargs)
            code, text = api_error(body)
        if code == OUTSIDE_WINDOW:
            logger.warning("zalo: citizen outside the OA interaction window (-230)")
        if code != 0:
            raise send_error(code, text)
        self.tokens.accepted(token)
        return body

    async def _post(self, path: str, token: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self._http.post(self._base + path, headers={"access_token": token}, **kwargs)
        except httpx.HTTPError as exc:
            raise transport_error("Zalo OA", exc) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise SendError(f"Zalo OA answered HTTP {response.status_code}", retryable=True)
        try:
            body = response.json()
        except ValueError as exc:
            raise SendError(f"Zalo OA answered HTTP {response.status_code} without JSON") from exc
        return body if isinstance(body, dict) else {"error": -1, "message": "not an object"}

    async def start(self) -> None:
        if not self.tokens.usable:
            raise ChannelRefused(
                "Zalo OA channel not started: set ZALO_OA_ACCESS_TOKEN, or ZALO_OA_REFRESH_TOKEN "
                "with ZALO_APP_SECRET, so that replies can be sent."
            )
        self.ready = True
        logger.info("Zalo OA channel started")

    async def stop(self) -> None:
        self.ready = False
