"""The channel webhooks. For now they only authenticate; handling comes with the channels."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from connectors import messages
from connectors.errors import error_response
from connectors.settings import Settings
from connectors.webhook_auth import Verdict, verify_secret_token, verify_zalo_oa

logger = logging.getLogger(__name__)

TELEGRAM_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ZALO_OA_HEADER = "X-ZEvent-Signature"
ZALO_BOT_HEADER = "X-Bot-Api-Secret-Token"


def _answer(channel: str, verdict: Verdict) -> JSONResponse:
    if verdict is Verdict.NOT_CONFIGURED:
        return error_response(503, messages.CHANNEL_NOT_CONFIGURED)
    if verdict is Verdict.MISSING:
        logger.warning("webhook %s: request without secret refused", channel)
        return error_response(401, messages.SECRET_MISSING)
    if verdict is Verdict.WRONG:
        logger.warning("webhook %s: request with a wrong secret refused", channel)
        return error_response(403, messages.SECRET_WRONG)
    # Authenticated. Parsing, dedupe and replying arrive with connectors/channels/.
    logger.info("webhook %s: authenticated update acknowledged (not processed yet)", channel)
    return JSONResponse({"ok": True})


def router(settings: Settings) -> APIRouter:
    routes = APIRouter()

    @routes.post("/webhooks/telegram")
    async def telegram(request: Request) -> JSONResponse:
        secret = settings.telegram_webhook_secret if settings.telegram_configured else ""
        verdict = verify_secret_token(secret, request.headers.get(TELEGRAM_HEADER))
        return _answer("telegram", verdict)

    @routes.post("/webhooks/zalo")
    async def zalo(request: Request) -> JSONResponse:
        supplied = request.headers.get(ZALO_OA_HEADER)
        body = await request.body() if settings.zalo_oa_configured and supplied else b""
        verdict = verify_zalo_oa(settings.zalo_app_id, settings.zalo_oa_secret_key, body, supplied)
        return _answer("zalo", verdict)

    @routes.post("/webhooks/zalo-bot")
    async def zalo_bot(request: Request) -> JSONResponse:
        verdict = verify_secret_token(
            settings.zalo_bot_secret_token, request.headers.get(ZALO_BOT_HEADER)
        )
        return _answer("zalo-bot", verdict)

    return routes
