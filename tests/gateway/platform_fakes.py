"""Recording fakes of the Telegram Bot API, the Zalo OA API (and its OAuth) and the Zalo Bot
API, served for real on 127.0.0.1 by ``gateway_fakes.ServerThread``.

Each records every call (method, parameters, uploaded files, headers) and answers like the
platform does, errors included: Zalo OA's HTTP 200 with a negative ``error``, the Zalo Bot's
HTTP 200 with ``error_code`` 408 for an empty long poll.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


@dataclass
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, Upload]
    headers: dict[str, str]
    ok: bool = True  # False: the fake answered with an error


async def read_params(request: Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    """JSON, url-encoded or multipart bodies, without python-multipart."""
    body = await request.body()
    ctype = request.headers.get("content-type", "")
    params: dict[str, Any] = dict(request.query_params)
    files: dict[str, Upload] = {}
    if not body:
        return params, files
    if ctype.startswith("application/json"):
        data = json.loads(body)
        if isinstance(data, dict):
            params.update(data)
    elif ctype.startswith("application/x-www-form-urlencoded"):
        params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    elif ctype.startswith("multipart/form-data"):
        head = f"Content-Type: {ctype}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            payload = part.get_payload(decode=True) or b""
            if filename:
                files[name] = Upload(filename, part.get_content_type(), payload)
            else:
                params[name] = payload.decode("utf-8")
    return params, files


class Recorder:
    """Calls received, readable from the test thread while the server runs in another.

    ``wait_for`` is woken by every recorded call (and looks again every 50 ms, for conditions
    on something else, such as a channel's counters) until its generous timeout."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._changed = threading.Condition()  # its lock is reentrant: predicates may call named()

    def record(self, call: Call) -> None:
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def named(self, *methods: str) -> list[Call]:
        with self._changed:
            return [call for call in self.calls if call.method in methods]

    def wait_for(
        self, predicate: Callable[[Recorder], bool], timeout: float = 10.0, what: str = ""
    ) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    methods = [call.method for call in self.calls]
                    raise AssertionError(f"timed out waiting for {what or 'a call'}; got {methods}")
                self._changed.wait(min(remaining, 0.05))

    def wait_count(self, count: int, *methods: str, timeout: float = 10.0) -> list[Call]:
        self.wait_for(lambda r: len(r.named(*methods)) >= count, timeout, f"{count} x {methods}")
        return self.named(*methods)


# --- Telegram --------------------------------------------------------------------------------


@dataclass
class FakeTelegram(Recorder):
    token: str = "123456:TEST-token"
    pending_updates: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        Recorder.__init__(self)
        self._ids = itertools.count(1000)

    def texts(self) -> list[str]:
        return [call.params.get("text", "") for call in self.named("sendMessage")]

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/bot{token}/{method}")
        @app.get("/bot{token}/{method}")
        async def method(token: str, method: str, request: Request) -> JSONResponse:
            params, files = await read_params(request)
            self.record(Call(method, params, files, dict(request.headers)))
            if token != self.token:
                return JSONResponse(
                    {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
                )
            return JSONResponse({"ok": True, "result": await self._answer(method, params)})

        return app

    async def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {
                "id": 4242,
                "is_bot": True,
                "first_name": "Trợ lý",
                "username": "trolyao_test_bot",
                "can_join_groups": False,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            deadline = time.monotonic() + min(float(params.get("timeout") or 0), 0.3)
            while True:
                updates = [u for u in self.pending_updates if u["update_id"] >= offset]
                if updates or time.monotonic() > deadline:
                    return updates
                await asyncio.sleep(0.02)
        if method in ("sendMessage", "sendPhoto"):
            message: dict[str, Any] = {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
            }
            if method == "sendMessage":
                message["text"] = params.get("text", "")
            else:
                message["photo"] = [
                    {"file_id": "f1", "file_unique_id": "u1", "width": 10, "height": 10}
                ]
                if params.get("caption"):
                    message["caption"] = params["caption"]
            return message
        return True


# --- Zalo Official Account -------------------------------------------------------------------


@dataclass
class FakeZaloOA(Recorder):
    """OA API v3 and its OAuth endpoint on one server."""

    app_secret: str = "zalo-app-secret"
    valid_access: set[str] = field(default_factory=lambda: {"access-0"})
    valid_refresh: set[str] = field(default_factory=lambda: {"refresh-0"})
    outside_window: set[str] = field(default_factory=set)
    issue_valid_tokens: bool = True  # False: refreshed tokens are rejected too

    def __post_init__(self) -> None:
        Recorder.__init__(self)
        self._ids = itertools.count(1)
        self._attachments = itertools.count(1)

    def messages(self) -> list[dict[str, Any]]:
        """Messages the fake accepted (delivered to the citizen)."""
        return [call.params["message"] for call in self.named("cs") if call.ok]

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v3.0/oa/message/cs")
        async def cs(request: Request) -> JSONResponse:
            params, files = await read_params(request)
            call = Call("cs", params, files, dict(request.headers), ok=False)
            self.record(call)
            if request.headers.get("access_token") not in self.valid_access:
                return JSONResponse({"error": -216, "message": "Access token is invalid"})
            user_id = params["recipient"]["user_id"]
            if user_id in self.outside_window:
                return JSONResponse(
                    {"error": -230, "message": "User has not interacted with the OA in 7 days"}
                )
            call.ok = True
            return JSONResponse(
                {
                    "error": 0,
                    "message": "Success",
                    "data": {"message_id": f"m{next(self._ids)}", "user_id": user_id},
                }
            )

        @app.post("/v2.0/oa/upload/image")
        async def upload(request: Request) -> JSONResponse:
            params, files = await read_params(request)
            self.record(Call("upload", params, files, dict(request.headers)))
            if request.headers.get("access_token") not in self.valid_access:
                return JSONResponse({"error": -216, "message": "Access token is invalid"})
            return JSONResponse(
                {
                    "error": 0,
                    "message": "Success",
                    "data": {"attachment_id": f"att-{next(self._attachments)}"},
                }
            )

        @app.post("/v4/oa/access_token")
        async def oauth(request: Request) -> JSONResponse:
            params, files = await read_params(request)
            self.record(Call("oauth", params, files, dict(request.headers)))
            token = params.get("refresh_token")
            if request.headers.get("secret_key") != self.app_secret:
                return JSONResponse({"error": -14002, "error_name": "Invalid secret key"})
            if params.get("grant_type") != "refresh_token" or token not in self.valid_refresh:
                return JSONResponse({"error": -14014, "error_name": "Invalid refresh token"})
            self.valid_refresh.discard(token)  # single use
            n = next(self._ids)
            access, refresh = f"access-{n}", f"refresh-{n}"
            if self.issue_valid_tokens:
                self.valid_access.add(access)
            self.valid_refresh.add(refresh)
            return JSONResponse(
                {"access_token": access, "refresh_token": refresh, "expires_in": "90000"}
            )

        return app


# --- Zalo Bot platform -----------------------------------------------------------------------


@dataclass
class FakeZaloBot(Recorder):
    token: str = "1234567890:zalo-bot-token"
    pending_updates: list[dict[str, Any]] = field(default_factory=list)
    hold_s: float = 0.05  # how long an empty long poll waits before its 408

    def __post_init__(self) -> None:
        Recorder.__init__(self)
        self._ids = itertools.count(1)

    def texts(self) -> list[str]:
        return [call.params.get("text", "") for call in self.named("sendMessage")]

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/bot{token}/{method}")
        async def method(token: str, method: str, request: Request) -> JSONResponse:
            params, files = await read_params(request)
            self.record(Call(method, params, files, dict(request.headers)))
            if token != self.token:
                return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"})
            if method == "getUpdates":
                deadline = time.monotonic() + self.hold_s
                while not self.pending_updates and time.monotonic() < deadline:
                    await asyncio.sleep(0.01)
                if not self.pending_updates:
                    return JSONResponse(
                        {"ok": False, "error_code": 408, "description": "Request timeout"}
                    )
                return JSONResponse({"ok": True, "result": self.pending_updates.pop(0)})
            if method in ("sendMessage", "sendPhoto"):
                return JSONResponse(
                    {
                        "ok": True,
                        "result": {
                            "message_id": f"b{next(self._ids)}",
                            "date": int(time.time() * 1000),
                        },
                    }
                )
            return JSONResponse({"ok": True, "result": True})

        return app
