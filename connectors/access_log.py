"""One access-log line per HTTP request, and the request id around everything it does.

Installed last in ``create_app`` so that it wraps every other middleware: their log lines
carry the id too, and every answer (errors and fallbacks included) has ``X-Request-ID``.
Only the path is logged, never the query string (``/api/inbox?sender_id=...``).
"""

from __future__ import annotations

import logging
import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connectors import request_context

logger = logging.getLogger("connectors.access")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, request_context.HEADER.lower().encode("latin-1"))
        request_id = request_context.accept(incoming)
        status: int | None = None
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[request_context.HEADER] = request_id
            await send(message)

        with request_context.bound(request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                duration_ms = round((time.perf_counter() - started) * 1000, 1)
                method, path = scope.get("method", ""), scope.get("path", "")
                logger.info(
                    "%s %s %s %.1f ms",
                    method,
                    path,
                    status if status is not None else "-",
                    duration_ms,
                    extra={
                        "method": method,
                        "path": path,
                        "status": status,
                        "duration_ms": duration_ms,
                    },
                )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None
