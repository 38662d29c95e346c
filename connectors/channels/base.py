"""The one small interface every messaging channel implements: verify, parse, send.

A channel module turns its platform's webhook body into ``Incoming`` messages (pure
functions, tested on their own) and sends one rendered ``Reply`` back through the
platform's API. Dedupe, order, Rasa, retries and the hotline live in ``connectors.inbox``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

import httpx

from connectors.replies import Reply
from connectors.webhook_auth import Verdict

Kind = Literal["text", "image", "sticker", "location", "file", "other", "expired"]
_SAFE_ID = re.compile(r"[A-Za-z0-9_.-]{1,128}")


@dataclass(frozen=True)
class Incoming:
    """One message from a citizen, as every channel reports it."""

    channel: str  # "telegram", "zalo" or "zalo-bot"
    user_id: str  # whom to answer: Telegram chat id, Zalo user id, Zalo Bot chat id
    message_id: str  # the platform's id of this delivery: duplicates share it
    kind: Kind = "text"
    text: str = ""


Submit = Callable[[Incoming], Awaitable[bool]]


class SendError(Exception):
    """A platform refused or failed to take a reply, and what that proves.

    - ``retryable``: it was not delivered (unreachable, 5xx, rate limit, token expired): try
      again later, not before ``retry_after`` seconds (the platform's own wait, honoured) or
      ``min_wait_s`` (a wait that a new message from the citizen may cut short);
    - ``unknown``: the request went out and no answer came back (a read timeout): it may
      have been delivered;
    - ``too_long``: the platform calls the message too long: split it and send the pieces;
    - ``gone``: the citizen cannot be reached at all (blocked the bot, chat not found);
    - ``window_closed``: the platform lets the bot write only for a while after the citizen's
      last message (Zalo OA); it opens again when they write;
    - none of these: this one message is refused for good (an invalid request).
    """

    def __init__(
        self,
        message: str,
        retryable: bool = False,
        *,
        retry_after: float | None = None,
        min_wait_s: float | None = None,
        unknown: bool = False,
        too_long: bool = False,
        gone: bool = False,
        window_closed: bool = False,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.min_wait_s = min_wait_s
        self.unknown = unknown
        self.too_long = too_long
        self.gone = gone
        self.window_closed = window_closed


def transport_error(platform: str, exc: httpx.HTTPError) -> SendError:
    """A request that got no HTTP answer: not sent if the connection never carried it
    (refused, connect or pool timeout), of unknown outcome if it went out (read timeout,
    connection dropped before the answer)."""
    name = type(exc).__name__
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)):
        return SendError(f"{platform} unreachable: {name}", retryable=True)
    if isinstance(exc, (httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError, httpx.ReadError)):
        return SendError(f"{platform} gave no answer: {name}", unknown=True)
    return SendError(f"{platform} unreachable: {name}", retryable=True)


class ChannelRefused(Exception):
    """A channel cannot run with its settings; the message is one sentence for the log."""


class Channel(Protocol):
    name: str  # route and Rasa metadata name
    prefix: str  # sender id scope at Rasa: "tg", "zalo", "zalobot"
    render_as: str  # key of connectors.replies.LIMITS
    ready: bool  # started: its webhook route takes updates

    def verify(self, headers: Mapping[str, str], body: bytes) -> Verdict:
        """Whether a webhook call really comes from the platform (constant time)."""
        ...

    async def receive(self, body: bytes) -> None:
        """Take a verified webhook body: parse it and hand the messages on; returns at once."""
        ...

    async def send(self, user_id: str, reply: Reply) -> None:
        """Send one rendered reply; raise SendError."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def rasa_sender(prefix: str, user_id: str) -> str:
    """The conversation id at Rasa: scoped per channel; unsafe ids are hashed (Rasa does not
    URL-decode conversation ids in its HTTP API)."""
    if not _SAFE_ID.fullmatch(user_id):
        user_id = "h" + hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:24]
    return f"{prefix}:{user_id}"


def log_tag(value: str) -> str:
    """A short, stable, non-reversible tag for a user in logs."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:10]
