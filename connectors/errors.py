"""Error answers in Vietnamese JSON; no stack trace ever reaches a client."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connectors import messages

logger = logging.getLogger(__name__)


def error_response(status_code: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status_code)


def describe_validation_error(error: dict[str, Any]) -> dict[str, str]:
    """One pydantic error as {"field", "message"} in Vietnamese."""
    loc = [str(part) for part in error.get("loc", ()) if part != "body"]
    name = ".".join(loc) or "body"
    kind = error.get("type", "")
    if kind == "json_invalid":
        text = messages.INVALID_JSON
    elif name == "channel" and kind in ("literal_error", "string_type"):
        text = messages.UNKNOWN_CHANNEL
    elif kind == "missing":
        text = messages.FIELD_MISSING.format(field=name)
    elif kind == "string_type":
        text = messages.FIELD_NOT_STRING.format(field=name)
    elif kind == "string_too_short":
        text = messages.FIELD_EMPTY.format(field=name)
    elif kind == "string_too_long":
        text = messages.FIELD_TOO_LONG.format(field=name)
    elif kind == "model_attributes_type" or not loc:
        text = messages.INVALID_REQUEST
    else:
        text = messages.FIELD_INVALID.format(field=name)
    return {"field": name, "message": text}


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [describe_validation_error(error) for error in exc.errors()]
    return error_response(422, messages.INVALID_REQUEST, details=details)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    known = {
        404: messages.NOT_FOUND,
        405: messages.METHOD_NOT_ALLOWED,
        413: messages.BODY_TOO_LARGE,
    }
    text = known.get(exc.status_code, messages.INVALID_REQUEST)
    return error_response(exc.status_code, text)


FallbackFactory = Callable[[Scope], JSONResponse | None]


class CatchAllMiddleware:
    """Turns any unhandled exception into a logged, Vietnamese JSON answer.

    ``fallback`` may give a route-specific answer (the chat's hotline reply); otherwise
    the client gets 503 with a short message. Nothing is re-raised to the server.
    """

    def __init__(self, app: ASGIApp, fallback: FallbackFactory | None = None) -> None:
        self.app = app
        self.fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except asyncio.CancelledError:
            # uvicorn cancels requests still running when its shutdown timeout is over: the
            # client gets the same answer as on an error, not uvicorn's plain-text 500.
            if started:
                raise
            logger.warning("%s %s cut off by the shutdown", scope.get("method"), scope.get("path"))
            await self._answer_instead(scope, receive, send)
        except Exception:
            logger.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                return
            await self._answer_instead(scope, receive, send)

    async def _answer_instead(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = self.fallback(scope) if self.fallback else None
        if response is None:
            response = error_response(503, messages.INTERNAL_ERROR)
        await response(scope, receive, send)


def install(app: FastAPI, fallback: FallbackFactory | None = None) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_middleware(CatchAllMiddleware, fallback=fallback)
