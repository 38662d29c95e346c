"""A cap on request bodies, declared (Content-Length) or streamed (chunked).

Without it a client could make the gateway hold any amount in memory: Starlette reads a
whole body before a route sees it. A larger body is answered 413 in Vietnamese JSON.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connectors import messages
from connectors.errors import error_response

DEFAULT_MAX_BYTES = 1024 * 1024  # webhooks, admin API, console forms
CHAT_MAX_BYTES = 64 * 1024  # /api/chat: its text is cut to 2,000 characters anyway
PER_PATH = {"/api/chat": CHAT_MAX_BYTES}


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        default_max: int = DEFAULT_MAX_BYTES,
        per_path: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.default_max = default_max
        self.per_path = dict(PER_PATH if per_path is None else per_path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope.get("path", ""), self.default_max)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await error_response(413, messages.BODY_TOO_LARGE)(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Handled by the app's HTTPException handler: a 413 JSON answer.
                    raise HTTPException(413)
            return message

        await self.app(scope, limited_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() and len(text) < 20 else None
    return None
