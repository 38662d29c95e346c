"""The FastAPI application: routes of CONTRACT.md section 6, wired to the modules."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from connectors import admin, chat, console, errors, health, history, records, request_context, webhooks
from connectors.access_log import RequestContextMiddleware
from connectors.bodylimit import BodyLimitMiddleware
from connectors.channels import startup as channels
from connectors.conversation import Conversation
from connectors.delivery import Delivery, web_replies
from connectors.locality import HotlineSource, LiveHotline
from connectors.officers import Officers
from connectors.outbound import outbound_health
from connectors.rasa_client import KnownCodes, RasaClient, RasaTurn, split_urls
from connectors.ratelimit import ClientLimits
from connectors.replies import render
from connectors.settings import TELEGRAM, Settings
from connectors.shared_limits import counted_by
from connectors.shutdown import Deadline

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
PLATFORM_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
# The chat page loads nothing from elsewhere; images may be data: URIs or https URLs.
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data: https: http:; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def create_app(settings: Settings) -> FastAPI:
    """Build the gateway. Reads the locality's hotline now; opens HTTP clients on start-up."""
    hotline = LiveHotline.open(settings.content_dir, settings.locality)
    rasa_urls = split_urls(settings.rasa_url)
    actions_url = settings.actions_url.rstrip("/")

    app = FastAPI(
        title="Trợ lý ảo thủ tục hành chính",
        lifespan=_lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    # What the lifespan and the routes below read, instead of closing over create_app's locals.
    app.state.settings = settings
    app.state.hotline = hotline
    app.state.rasa_urls = rasa_urls
    app.state.actions_url = actions_url
    app.state.known_codes = KnownCodes()  # procedure -> official codes, from turn summaries
    app.state.records = None
    app.state.delivery = None
    app.state.history = None  # the web chat's history, opened with the channels' state
    app.state.shutdown = Deadline()  # started by the signal handler (connectors.shutdown)
    errors.install(app, fallback=_chat_fallback(hotline))
    app.add_middleware(BodyLimitMiddleware)  # 413 beyond 64 KiB on /api/chat, 1 MiB elsewhere
    # Counted in the database replicas share, when there is one (connectors.shared_limits).
    app.state.chat_limits = ClientLimits(
        settings.rate_chat_ip,
        settings.rate_chat_sender,
        settings.rate_exempt_loopback,
        counted_by=counted_by(settings.state_db_url, "chat"),
    )
    app.state.webhook_limits = ClientLimits(
        settings.rate_webhook_ip,
        None,
        settings.rate_exempt_loopback,
        counted_by=counted_by(settings.state_db_url, "webhook"),
    )
    problem = settings.admin_problem()
    if problem:
        logger.error("Admin API not started: %s", problem)
    elif not settings.admin_token:
        logger.info("Admin API off: TROLYAO_ADMIN_TOKEN is not set.")

    app.add_api_route("/", page, methods=["GET"], include_in_schema=False)
    app.add_api_route("/health", get_health, methods=["GET"])
    app.add_api_route("/api/chat", post_chat, methods=["POST"], response_model=None)
    app.add_api_route("/api/inbox", get_inbox, methods=["GET"])
    app.state.channels = {}
    app.include_router(webhooks.router())
    app.include_router(history.router())  # GET/DELETE /api/history
    admin.install(app)
    console.install(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Last, so outermost: every answer has X-Request-ID and every log line of a request its id.
    app.add_middleware(RequestContextMiddleware)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    # One client for Rasa and the action server, both internal: no proxy from the env;
    # one for the platforms' APIs (Zalo), which may need the environment's proxy.
    async with (
        # Calls made for a request carry its X-Request-ID (connectors.request_context).
        httpx.AsyncClient(trust_env=False, event_hooks=request_context.httpx_hooks()) as http,
        httpx.AsyncClient(timeout=PLATFORM_TIMEOUT) as platform_http,
    ):
        app.state.http = http
        app.state.rasa = RasaClient(
            http, app.state.rasa_urls, settings.rasa_timeout_s, known_codes=app.state.known_codes
        )
        store = app.state.records = records.open_records(settings)
        officers = Officers(settings.officers_telegram_chat_id, lambda: app.state.channels.get(TELEGRAM))

        async def send_to_rasa(sender: str, text: str, metadata: dict[str, Any]) -> RasaTurn:
            return await app.state.rasa.send(sender, text, metadata)

        conversation = app.state.conversation = Conversation(
            send_to_rasa, store, officers, settings.handoff_timeout, parse=app.state.rasa.parse
        )
        # Channel messages take the same way as /api/chat: ratings, handoffs, the log.
        ask_rasa = conversation.ask

        async def actions_healthy() -> bool:
            return await health.probe(http, f"{app.state.actions_url}/health")

        runtime = await channels.start(settings, app.state.hotline, ask_rasa, actions_healthy, platform_http)
        app.state.channels = runtime.channels
        app.state.store = runtime.store
        app.state.outbound = runtime.outbound
        app.state.inbox = runtime.inbox
        app.state.history = history.open_history(settings, runtime.store)
        if officers.configured and TELEGRAM not in runtime.channels:
            logger.warning(
                "OFFICERS_TELEGRAM_CHAT_ID is set but the Telegram channel does not run: "
                "officers see handoffs through /admin/api/handoffs only."
            )
        if store is not None and runtime.channels:
            app.state.delivery = Delivery(
                store, runtime.channels, officers, settings.handoff_timeout, outbound=runtime.outbound
            )
            app.state.delivery.start()
        try:
            yield
        finally:
            # What is left of GATEWAY_SHUTDOWN_TIMEOUT_S after uvicorn's wait for requests.
            budget = app.state.shutdown.remaining
            if app.state.delivery is not None:
                await app.state.delivery.stop()
            # Answers in progress are sent while the channels still run; the rest of the
            # accepted messages stay in the outbox for the next start.
            await runtime.drain(budget(settings.shutdown_timeout_s))
            await conversation.close(min(5.0, budget(settings.shutdown_timeout_s)))
            await runtime.stop()
            app.state.history.close()
            if store is not None:
                store.engine.dispose()


# --- routes of the gateway itself (channels: connectors.webhooks; officers: admin, console) ---


async def page() -> FileResponse:
    return FileResponse(
        STATIC_DIR / "index.html",
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-cache"},
    )


async def get_health(request: Request) -> JSONResponse:
    state = request.app.state
    healthy, body = await health.check(state.http, state.rasa_urls, state.actions_url)
    # Informative only: a channel still starting does not make the gateway unhealthy.
    running = state.channels
    if running:
        body["channels"] = {name: "ok" if c.ready else "starting" for name, c in running.items()}
        body["outbound"] = outbound_health(getattr(state, "outbound", None))
    return JSONResponse(body, status_code=200 if healthy else 503)


async def post_chat(body: chat.ChatRequest, request: Request) -> dict[str, Any] | JSONResponse:
    state = request.app.state
    client = request.client.host if request.client else None
    wait = state.chat_limits.wait(client, chat.scoped_sender(body.channel, body.sender_id))
    if wait:
        logger.info("chat: rate limit reached, answered 429 (retry in %.0f s)", wait)
        return chat.too_fast(state.hotline, body.channel, wait)
    refused = chat.too_long(body)
    if refused is not None:
        return refused
    ask = state.conversation.ask
    return await chat.answer(
        body,
        ask,
        state.hotline,
        state.settings.locality,
        _pending(request),
        state.known_codes.of,
        history=state.history,
        retry_for_s=state.settings.chat_retry_s,
    )


async def get_inbox(
    request: Request,
    sender_id: str = Query(min_length=1, max_length=128),
) -> dict[str, Any]:
    return await chat.inbox(sender_id, _pending(request), request.app.state.history)


def _pending(request: Request) -> chat.Pending:
    """The officers' messages waiting for a web citizen, from the records store."""
    return partial(web_replies, request.app.state.records)


def _chat_fallback(hotline: HotlineSource) -> errors.FallbackFactory:
    """On an unexpected error in /api/chat, still answer 200 with the hotline."""

    def fallback(scope: Scope) -> JSONResponse | None:
        if scope.get("path") != "/api/chat":
            return None
        replies = render(chat.fallback_replies(hotline), "web")
        return JSONResponse(chat.chat_body(replies, None, None))

    return fallback
