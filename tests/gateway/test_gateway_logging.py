"""Structured logs: the real gateway process writes one masked JSON object per line, with the
request id of the request (or of the webhook that accepted a channel message) it works for,
and passes that id on to Rasa."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import DEAD_URL, PUBLIC_URL, TELEGRAM_SECRET, TEST_LOCALITY, Served
from gateway_process import Launcher, telegram_env
from test_gateway_telegram import text_update

from connectors import request_context
from connectors.logs import JsonFormatter, TextFormatter, configure_from_env

PHONE = "0912345678"
CCCD = "001203012345"
EMAIL = "nguyenvana@example.com"
CITIZEN_TEXT = f"Số điện thoại của tôi là {PHONE}, CCCD {CCCD}, thư {EMAIL}"
HEX_ID = re.compile(r"[0-9a-f]{32}")
SENDER_TAG = re.compile(r"[0-9a-f]{10}")


@pytest.fixture
def launch(tmp_path: Path, content_dir: Path) -> Iterator[Launcher]:
    launcher = Launcher(tmp_path, content_dir, TEST_LOCALITY, DEAD_URL)
    yield launcher
    launcher.close()


def by(records: list[dict[str, Any]], **wanted: Any) -> list[dict[str, Any]]:
    return [r for r in records if all(r.get(key) == value for key, value in wanted.items())]


def test_every_line_is_masked_json_with_the_request_id(
    launch: Launcher, rasa: Served, actions: Served, telegram_api: Served
) -> None:
    fake_tg = telegram_api.fake
    gateway = launch(
        rasa.url,
        actions.url,
        channels=("telegram",),
        TROLYAO_LOG_LEVEL="DEBUG",  # the citizen's text is logged (masked) at DEBUG only
        **telegram_env(telegram_api.url, fake_tg.token, TELEGRAM_SECRET, PUBLIC_URL),
    )
    with httpx.Client(base_url=gateway.url, trust_env=False, timeout=10) as client:
        chat = client.post(
            "/api/chat",
            json={"sender_id": "u1", "text": CITIZEN_TEXT},
            headers={"X-Request-ID": "req-chat-0001"},
        )
        assert chat.status_code == 200
        assert chat.headers["X-Request-ID"] == "req-chat-0001"
        assert rasa.fake.received_headers[-1]["x-request-id"] == "req-chat-0001"

        # No id, an unsafe one, a phone number as id: a new id each time.
        plain = client.get("/health")
        unsafe = client.get("/health", headers={"X-Request-ID": "a b;<script>"})
        too_long = client.get("/health", headers={"X-Request-ID": "x" * 65})
        phone_id = client.get("/api/inbox", params={"sender_id": PHONE}, headers={"X-Request-ID": PHONE})
        generated = [r.headers["X-Request-ID"] for r in (plain, unsafe, too_long, phone_id)]
        assert all(HEX_ID.fullmatch(value) for value in generated), generated
        assert len(set(generated)) == 4

        # A channel message: answered in the background, under the webhook request's id.
        webhook = client.post(
            "/webhooks/telegram",
            json=text_update(5, CITIZEN_TEXT),
            headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET, "X-Request-ID": "req-tg-0001"},
        )
        assert webhook.status_code == 200 and webhook.headers["X-Request-ID"] == "req-tg-0001"
        fake_tg.wait_count(1, "sendMessage")
        assert rasa.fake.received_headers[-1]["x-request-id"] == "req-tg-0001"
    assert gateway.stop() == 0

    output = gateway.output()
    records = gateway.records()  # fails on any line that is not JSON
    for raw in (PHONE, CCCD, EMAIL, "nguyenvana", TELEGRAM_SECRET, fake_tg.token):
        assert raw not in output
    for record in records:
        assert {"time", "level", "logger", "message"} <= record.keys(), record
        assert dt.datetime.fromisoformat(record["time"]).tzinfo is not None
    assert by(records, logger="uvicorn.error"), "uvicorn's own lines go through the same handler"

    [access] = by(records, logger="connectors.access", request_id="req-chat-0001")
    assert access["method"] == "POST" and access["path"] == "/api/chat" and access["status"] == 200
    assert isinstance(access["duration_ms"], float) and access["duration_ms"] >= 0
    [inbox] = by(records, logger="connectors.access", request_id=generated[3])
    assert inbox["path"] == "/api/inbox" and "sender_id" not in inbox["message"]

    chat_lines = [r["message"] for r in by(records, request_id="req-chat-0001", logger="connectors.chat")]
    assert any("*******678" in m and "*********345" in m and "n***@***.com" in m for m in chat_lines)
    [summary] = [r for r in by(records, logger="connectors.chat", channel="web") if "replies=" in r["message"]]
    assert SENDER_TAG.fullmatch(summary["sender"]) and summary["request_id"] == "req-chat-0001"

    background = by(records, request_id="req-tg-0001", logger="connectors.inbox")
    assert any("accepted" in r["message"] for r in background)
    [answered] = [r for r in background if "answered" in r["message"]]
    assert answered["channel"] == "telegram" and isinstance(answered["job"], int)
    assert SENDER_TAG.fullmatch(answered["sender"])  # the chat id is hashed, not shown


def test_json_formatter_masks_extras_and_tracebacks() -> None:
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed for %s", (PHONE,), None)
    record.note = f"mail {EMAIL}"
    try:
        raise ValueError(f"cccd {CCCD}")
    except ValueError as exc:
        record.exc_info = (ValueError, exc, exc.__traceback__)
    with request_context.bound("req-1"):
        line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["message"] == "failed for *******678"
    assert entry["note"] == "mail n***@***.com"
    assert entry["request_id"] == "req-1"
    assert "ValueError: cccd *********345" in entry["exc"]
    assert CCCD not in line and PHONE not in line and EMAIL not in line


def test_text_format_for_developers(monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    # configure() also takes over these process-wide hooks: give them back afterwards.
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    for name in ("httpx", "httpcore"):
        monkeypatch.setattr(logging.getLogger(name), "level", logging.getLogger(name).level)
    try:
        configure_from_env({"TROLYAO_LOG_FORMAT": "text", "TROLYAO_LOG_LEVEL": "info"})
        [handler] = root.handlers
        assert isinstance(handler.formatter, TextFormatter)
        stream = io.StringIO()
        monkeypatch.setattr(handler, "stream", stream)
        with request_context.bound("req-2"):
            logging.getLogger("tests.text").info("gọi %s", PHONE)
        logging.getLogger("tests.text").info("ngoài yêu cầu")
        first, second = stream.getvalue().splitlines()
        assert first.endswith("INFO tests.text [req-2]: gọi *******678")
        assert second.endswith("INFO tests.text [-]: ngoài yêu cầu")

        configure_from_env({"TROLYAO_LOG_FORMAT": "yaml", "TROLYAO_LOG_LEVEL": "loud"})
        [handler] = root.handlers
        assert isinstance(handler.formatter, JsonFormatter) and root.level == logging.INFO
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logging.captureWarnings(False)
