"""Recording fakes of the Rasa server and the action server, served for real on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp

KEEP = object()  # a scripted turn that leaves the procedure slot as it was


class ServerThread:
    """Serve an ASGI app with uvicorn in a background thread, on a free port."""

    def __init__(self, app: ASGIApp, port: int = 0) -> None:
        """``port`` 0 picks a free one; a given port restarts a stopped fake at its address."""
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", port))
        self.port: int = self._sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="on", log_config=None)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        return self

    def signal_exit(self) -> None:
        """Ask the server to stop without waiting (``stop`` waits)."""
        self._server.should_exit = True

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.should_exit = True
            self._thread.join(timeout=15)
        self._sock.close()


@dataclass
class ScriptedTurn:
    replies: list[dict[str, Any]]
    intent: str | None
    procedure: Any = KEEP
    slots: dict[str, Any] = field(default_factory=dict)  # other slots the turn sets (outcome)
    # What the action server does besides answering (opening a handoff), given the sender.
    side_effect: Callable[[str], None] | None = None


@dataclass
class FakeRasa:
    """Answers the REST channel from a script and keeps a tracker per sender.

    ``received`` holds every REST body, ``tracker_requests`` every (sender, query) read.
    ``wait_received`` waits (generously) until the bodies received so far satisfy a condition:
    each request wakes it, no test sleeps for a fixed time. ``hold(text)`` closes a gate: a
    message with that text is recorded, then not answered until the gate is opened (``set()``)
    or ``release_all()`` runs (the ``rasa`` fixture does at teardown).
    """

    script: dict[str, ScriptedTurn] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    received_headers: list[dict[str, str]] = field(default_factory=list)  # same order
    tracker_requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    rest_status: int = 200
    tracker_status: int = 200
    delay_s: float = 0.0
    delays: dict[str, float] = field(default_factory=dict)  # per message text
    slots: dict[str, dict[str, Any]] = field(default_factory=dict)
    latest_intent: dict[str, str | None] = field(default_factory=dict)
    gates: dict[str, threading.Event] = field(default_factory=dict)  # message text -> gate
    # The next this many REST messages fail as Rasa's nlu.rest_channel fails a turn whose tracker
    # or lock store is down: 503 "turn not kept" (nothing of the turn kept).
    not_kept: int = 0
    # What /model/parse (the NLU alone) says of a text: (intent, confidence); others: no intent.
    parses: dict[str, tuple[str, float]] = field(default_factory=dict)
    parsed: list[str] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition, repr=False, compare=False)

    def texts(self) -> list[str]:
        """The message of every REST body received, in order."""
        with self._changed:
            return [body["message"] for body in self.received]

    def wait_received(
        self, predicate: Callable[[list[dict[str, Any]]], bool] | int = 1, timeout: float = 10.0, what: str = ""
    ) -> list[dict[str, Any]]:
        """Wait until ``predicate(received)`` holds (an int: that many bodies); a copy of them."""
        if isinstance(predicate, int):
            count = predicate
            predicate, what = (lambda bodies: len(bodies) >= count), what or f"{count} message(s) at Rasa"
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self.received):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting for {what or 'Rasa'}; got {self.texts()}")
                self._changed.wait(remaining)
            return list(self.received)

    def hold(self, text: str) -> threading.Event:
        """Hold every message with this text at Rasa until the returned gate is set."""
        gate = self.gates[text] = threading.Event()
        return gate

    def release_all(self) -> None:
        for gate in self.gates.values():
            gate.set()

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/")
        async def hello() -> PlainTextResponse:
            return PlainTextResponse("Hello from Rasa: 3.6.21")

        @app.post("/webhooks/rest/webhook")
        async def rest(request: Request) -> Response:
            body = await request.json()
            with self._changed:
                self.received_headers.append(dict(request.headers))
                self.received.append(body)
                self._changed.notify_all()
            gate = self.gates.get(body.get("message"))
            while gate is not None and not gate.is_set():
                await asyncio.sleep(0.01)  # held by the test: answered once it opens the gate
            delay = self.delays.get(body.get("message"), self.delay_s)
            if delay:
                await asyncio.sleep(delay)
            with self._changed:
                refuse, self.not_kept = self.not_kept > 0, max(0, self.not_kept - 1)
            if refuse:
                body = {"error": "turn_not_kept", "reason": "TrackerStoreUnavailable"}
                headers = {"X-Trolyao-Turn": "not-kept", "Retry-After": "1"}
                return JSONResponse(body, status_code=503, headers=headers)
            if self.rest_status != 200:
                return PlainTextResponse("error", status_code=self.rest_status)
            sender, text = body["sender"], body["message"]
            turn = self.script.get(text, ScriptedTurn([{"text": f"Bạn hỏi: {text}"}], "out_of_scope"))
            slots = self.slots.setdefault(sender, {"procedure": None})
            if turn.procedure is not KEEP:
                slots["procedure"] = turn.procedure
            slots.update(turn.slots)
            if turn.side_effect is not None:
                turn.side_effect(sender)
            self.latest_intent[sender] = turn.intent
            return JSONResponse([{"recipient_id": sender, **reply} for reply in turn.replies])

        @app.post("/model/parse")
        async def parse(request: Request) -> Response:
            text = (await request.json()).get("text", "")
            self.parsed.append(text)
            name, confidence = self.parses.get(text, (None, 0.0))
            return JSONResponse({"text": text, "intent": {"name": name, "confidence": confidence} if name else {}})

        @app.get("/conversations/{sender:path}/tracker")
        async def tracker(sender: str, request: Request) -> Response:
            self.tracker_requests.append((sender, dict(request.query_params)))
            if self.tracker_status != 200:
                return PlainTextResponse("error", status_code=self.tracker_status)
            intent = self.latest_intent.get(sender)
            return JSONResponse(
                {
                    "sender_id": sender,
                    "slots": self.slots.get(sender, {"procedure": None}),
                    "latest_message": {
                        "intent": {"name": intent, "confidence": 0.97} if intent else {},
                        "entities": [],
                        "text": "",
                    },
                    "latest_event_time": 1700000000.0,
                    "followup_action": None,
                    "paused": False,
                    "events": None,
                    "latest_input_channel": "rest",
                    "active_loop": {},
                    "latest_action_name": "action_listen",
                }
            )

        return app


@dataclass
class FakeActions:
    """The action server's health endpoint."""

    healthy: bool = True
    health_requests: int = 0

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/health")
        async def health() -> Response:
            self.health_requests += 1
            if not self.healthy:
                return PlainTextResponse("error", status_code=500)
            return JSONResponse({"status": "ok"})

        return app
