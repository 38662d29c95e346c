"""Recording fakes of the Telegram Bot API, the Zalo OA API (and its OAuth) and the Zalo Bot
API, served for real on 127.0.0.1 by ``gateway_fakes.ServerThread``.

Each records every call (method, parameters, uploaded files, headers) and answers like the
platform does, errors included: Zalo OA's HTTP 200 with a negative ``error``, the Zalo Bot's
HTTP 200 with ``error_code`` 408 for an empty long poll.

A test makes a platform fail the way the real one does (issue 15): ``fail_next`` answers the
next calls of a method with the platform's real error bodies (``TELEGRAM_429``, ``ZALO_OA_32``
...), ``fail_until`` keeps answering one until the test sets the returned event, ``stall_next``
keeps the next calls waiting without an answer (the gateway's read timeout ends them), and
``Served.stop``/``restart`` refuse connections until the test lets the platform come back.
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
from typing import Any, NamedTuple
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
    at: float = field(default_factory=time.monotonic)  # when the call came in


class Fault(NamedTuple):
    """An error answer of a platform: HTTP status and JSON body."""

    status: int
    body: dict[str, Any]


# The platforms' real error answers.
TELEGRAM_429 = Fault(429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                           "parameters": {"retry_after": 1}})  # fmt: skip
TELEGRAM_TOO_LONG = Fault(400, {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"})
TELEGRAM_BLOCKED = Fault(403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"})
TELEGRAM_CHAT_NOT_FOUND = Fault(400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})
TELEGRAM_502 = Fault(502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
ZALO_OA_216 = Fault(200, {"error": -216, "message": "Access token is invalid"})
ZALO_OA_220 = Fault(200, {"error": -220, "message": "access_token is expired or removed"})
ZALO_OA_32 = Fault(200, {"error": -32, "message": "Exceed rate limit"})
ZALO_BOT_429 = Fault(429, {"ok": False, "error_code": 429, "description": "Too Many Requests",
                           "parameters": {"retry_after": 1}})  # fmt: skip
ZALO_BOT_503 = Fault(503, {"ok": False, "error_code": 503, "description": "Service Unavailable"})
ZALO_BOT_BLOCKED = Fault(200, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"})


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
        self._faults: dict[str, list[Fault]] = {}
        self._outages: dict[str, tuple[Fault, threading.Event, list[int]]] = {}
        self._stalls: dict[str, int] = {}
        self.stall_s = 5.0  # how long a stalled call waits before its (normal) answer

    # --- failing like the platform ------------------------------------------------------------

    def fail_next(self, method: str, *faults: Fault) -> None:
        """Answer the next calls of ``method`` with these errors, one each."""
        with self._changed:
            self._faults.setdefault(method, []).extend(faults)

    def fail_until(self, method: str, fault: Fault, after: int = 0) -> threading.Event:
        """Answer every call of ``method`` (but the next ``after``) with ``fault`` until the
        returned event is set."""
        ended = threading.Event()
        with self._changed:
            self._outages[method] = (fault, ended, [after])
        return ended

    def stall_next(self, method: str, count: int = 1) -> None:
        """Keep the next ``count`` calls of ``method`` waiting (``stall_s``) before answering."""
        with self._changed:
            self._stalls[method] = self._stalls.get(method, 0) + count

    def fault_for(self, method: str) -> Fault | None:
        """The error the next call of ``method`` gets, if any (taken)."""
        with self._changed:
            outage = self._outages.get(method)
            if outage is not None and not outage[1].is_set():
                fault, _, passing = outage
                if passing[0] <= 0:
                    return fault
                passing[0] -= 1
            queued = self._faults.get(method)
            return queued.pop(0) if queued else None

    async def stall(self, method: str) -> None:
        with self._changed:
            left = self._stalls.get(method, 0)
            if left:
                self._stalls[method] = left - 1
        if left:
            await asyncio.sleep(self.stall_s)

    def accepted(self, *methods: str) -> list[Call]:
        """Calls the fake answered with success (what reached the citizen)."""
        return [call for call in self.named(*methods) if call.ok]

    def record(self, call: Call) -> None:
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def named(self, *methods: str) -> list[Call]:
        with self._changed:
            return [call for call in self.calls if call.method in methods]

    def wait_for(self, predicate: Callable[[Recorder], bool], timeout: float = 10.0, what: str = "") -> None:
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
    max_text: int | None = None  # set: longer texts get "Bad Request: message is too long"

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
            fault = self.fault_for(method)
            text = params.get("text")
            if fault is None and self.max_text and isinstance(text, str) and len(text) > self.max_text:
                fault = TELEGRAM_TOO_LONG
            self.record(Call(method, params, files, dict(request.headers), ok=fault is None))
            if token != self.token:
                return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
            if fault is not None:
                return JSONResponse(fault.body, fault.status)
            await self.stall(method)
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
                message["photo"] = [{"file_id": "f1", "file_unique_id": "u1", "width": 10, "height": 10}]
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
    token_error: Fault = ZALO_OA_216  # what a token not (or no longer) valid gets: -216 or -220

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
            fault = self.fault_for("cs")
            self.record(call)
            if fault is not None:
                return JSONResponse(fault.body, fault.status)
            if request.headers.get("access_token") not in self.valid_access:
                return JSONResponse(self.token_error.body)
            await self.stall("cs")
            user_id = params["recipient"]["user_id"]
            if user_id in self.outside_window:
                return JSONResponse({"error": -230, "message": "User has not interacted with the OA in 7 days"})
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
            return JSONResponse({"access_token": access, "refresh_token": refresh, "expires_in": "90000"})

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
            fault = self.fault_for(method)
            self.record(Call(method, params, files, dict(request.headers), ok=fault is None))
            if token != self.token:
                return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"})
            if fault is not None:
                return JSONResponse(fault.body, fault.status)
            await self.stall(method)
            if method == "getUpdates":
                deadline = time.monotonic() + self.hold_s
                while not self.pending_updates and time.monotonic() < deadline:
                    await asyncio.sleep(0.01)
                if not self.pending_updates:
                    return JSONResponse({"ok": False, "error_code": 408, "description": "Request timeout"})
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
