"""The channel webhooks: verify, hand the body to the channel, answer 200 at once.

The channel only parses and queues (the inbox answers in the background), so a platform
never waits for Rasa and never redelivers because of a slow answer.
"""

from __future__ import annotations

import logging
import math
import re

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from connectors import messages
from connectors.errors import error_response
from connectors.ratelimit import ClientLimits
from connectors.settings import TELEGRAM, ZALO_BOT, ZALO_OA
from connectors.webhook_auth import Verdict

logger = logging.getLogger(__name__)

_MEDIA_NAME = re.compile(r"^([0-9a-f]{32})\.[a-z]{2,4}$")


def _refusal(channel: str, verdict: Verdict) -> JSONResponse:
    if verdict is Verdict.NOT_CONFIGURED:
        return error_response(503, messages.CHANNEL_NOT_CONFIGURED)
    if verdict is Verdict.MISSING:
        logger.warning("webhook %s: request without secret refused", channel)
        return error_response(401, messages.SECRET_MISSING)
    logger.warning("webhook %s: request with a wrong secret refused", channel)
    return error_response(403, messages.SECRET_WRONG)


async def _handle(name: str, request: Request) -> JSONResponse:
    channel = getattr(request.app.state, "channels", {}).get(name)
    if channel is None or not channel.ready:
        return error_response(503, messages.CHANNEL_NOT_CONFIGURED)
    limits: ClientLimits | None = getattr(request.app.state, "webhook_limits", None)
    wait = limits.ip_wait(request.client.host if request.client else None) if limits else 0.0
    if wait:
        # Off by default: the platforms' own servers call these routes.
        logger.warning("webhook %s: too many requests from one address, refused", name)
        response = error_response(429, messages.TOO_MANY_REQUESTS)
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response
    body = await request.body()  # at most 1 MiB: connectors.bodylimit answers 413 beyond
    verdict = channel.verify(request.headers, body)
    if verdict is Verdict.STALE:
        # Authentic but outside the replay window: acknowledged so that the platform does not
        # redeliver it (a retry would be older still), and never answered.
        logger.warning("webhook %s: event outside the replay window ignored", name)
        return JSONResponse({"ok": True, "ignored": messages.EVENT_STALE})
    if verdict is not Verdict.OK:
        return _refusal(name, verdict)
    await channel.receive(body)
    return JSONResponse({"ok": True})


def router() -> APIRouter:
    routes = APIRouter()

    @routes.post("/webhooks/telegram")
    async def telegram(request: Request) -> JSONResponse:
        return await _handle(TELEGRAM, request)

    @routes.post("/webhooks/zalo")
    async def zalo(request: Request) -> JSONResponse:
        return await _handle(ZALO_OA, request)

    @routes.post("/webhooks/zalo-bot")
    async def zalo_bot(request: Request) -> JSONResponse:
        return await _handle(ZALO_BOT, request)

    @routes.get("/media/{name}", include_in_schema=False)
    async def media(name: str, request: Request) -> Response:
        """Images (QR codes) sent by URL to platforms that cannot take an upload."""
        store = getattr(request.app.state, "store", None)
        match = _MEDIA_NAME.match(name)
        found = store.get_media(match.group(1)) if store is not None and match else None
        if found is None:
            return error_response(404, messages.NOT_FOUND)
        mime, data = found
        return Response(data, media_type=mime, headers={"Cache-Control": "public, max-age=86400"})

    return routes
