"""The FastAPI application: routes of CONTRACT.md section 6, wired to the modules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from connectors import chat, errors, health, webhooks
from connectors.channels import runtime as channels
from connectors.locality import Hotline, load_hotline
from connectors.rasa_client import RasaClient, RasaTurn
from connectors.replies import render
from connectors.settings import Settings

STATIC_DIR = Path(__file__).resolve().parent / "static"
PLATFORM_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
# The chat page loads nothing from elsewhere; images may be data: URIs or https URLs.
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data: https: http:; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def create_app(settings: Settings) -> FastAPI:
    """Build the gateway. Reads the locality's hotline now; opens HTTP clients on start-up."""
    hotline = load_hotline(settings.locality_file)
    rasa_url = settings.rasa_url.rstrip("/")
    actions_url = settings.actions_url.rstrip("/")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One client for Rasa and the action server, both internal: no proxy from the env;
        # one for the platforms' APIs (Zalo), which may need the environment's proxy.
        async with (
            httpx.AsyncClient(trust_env=False) as http,
            httpx.AsyncClient(timeout=PLATFORM_TIMEOUT) as platform_http,
        ):
            app.state.http = http
            app.state.rasa = RasaClient(http, rasa_url, settings.rasa_timeout_s)

            async def ask_rasa(sender: str, text: str, metadata: dict[str, Any]) -> RasaTurn:
                return await app.state.rasa.send(sender, text, metadata)

            async def actions_healthy() -> bool:
                return await health.probe(http, f"{actions_url}/health")

            runtime = await channels.start(
                settings, hotline, ask_rasa, actions_healthy, platform_http
            )
            app.state.channels = runtime.channels
            app.state.store = runtime.store
            app.state.inbox = runtime.inbox
            try:
                yield
            finally:
                await runtime.stop()

    app = FastAPI(
        title="Trợ lý ảo thủ tục hành chính",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.hotline = hotline
    errors.install(app, fallback=_chat_fallback(hotline))

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(
            STATIC_DIR / "index.html",
            media_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-cache"},
        )

    @app.get("/health")
    async def get_health(request: Request) -> JSONResponse:
        healthy, body = await health.check(request.app.state.http, rasa_url, actions_url)
        # Informative only: a channel still starting does not make the gateway unhealthy.
        running = request.app.state.channels
        if running:
            body["channels"] = {name: "ok" if c.ready else "starting" for name, c in running.items()}
        return JSONResponse(body, status_code=200 if healthy else 503)

    @app.post("/api/chat")
    async def post_chat(body: chat.ChatRequest, request: Request) -> dict[str, Any]:
        return await chat.answer(body, request.app.state.rasa, hotline, settings.locality)

    app.state.channels = {}
    app.include_router(webhooks.router())
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def _chat_fallback(hotline: Hotline) -> errors.FallbackFactory:
    """On an unexpected error in /api/chat, still answer 200 with the hotline."""

    def fallback(scope: Scope) -> JSONResponse | None:
        if scope.get("path") != "/api/chat":
            return None
        replies = render(chat.fallback_replies(hotline), "web")
        return JSONResponse(chat.chat_body(replies, None, None))

    return fallback
