"""The channels' pure parts (parsing, ids, images, state) and how channels start or refuse
to start. Issue #6."""

from __future__ import annotations

import base64
import io
import json
import logging
from pathlib import Path

import pytest
from conftest import (
    Gateway,
    MakeGateway,
    Served,
    telegram_settings,
    wait_ready,
    zalo_bot_settings,
    zalo_settings,
)

from connectors.channels import Incoming, rasa_sender
from connectors.channels.telegram import callback_data, webhook_url
from connectors.channels.zalo import api_error, parse_event, phone_code
from connectors.channels.zalo_bot import media_base, parse_updates
from connectors.media import decode_data_uri
from connectors.state import ChannelState
from tthc.privacy import PiiMaskingFormatter

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def test_callback_data_keeps_short_payloads_and_shortens_long_ones() -> None:
    assert callback_data("/ask_fee") == ("/ask_fee", False)
    long = '/ask_fee{"procedure": "' + "khai-sinh-" * 10 + '"}'
    data, short = callback_data(long)
    assert short and data.startswith("c:") and len(data.encode()) <= 64
    assert callback_data(long) == (data, True)  # stable: the same button, the same id
    # 64 bytes counts bytes, not characters: Vietnamese letters take 2-3 bytes.
    assert callback_data("/ask" + "đ" * 30)[1] is False  # 64 bytes: fits
    assert callback_data("/ask" + "đ" * 31)[1] is True  # 33 characters, 66 bytes
    assert callback_data("c:looks-like-an-id")[1] is True


def test_zalo_oa_event_parsing() -> None:
    def body(**event: object) -> bytes:
        return json.dumps(event).encode()

    text = body(
        event_name="user_send_text",
        timestamp="1",
        sender={"id": "u1"},
        message={"msg_id": "m1", "text": "chào"},
    )
    assert parse_event(text) == Incoming("zalo", "u1", "m1", "text", "chào")
    image = body(
        event_name="user_send_image",
        sender={"id": "u1"},
        message={"msg_id": "m2", "attachments": []},
    )
    assert parse_event(image) == Incoming("zalo", "u1", "m2", "image", "")
    link = body(event_name="user_send_link", sender={"id": "u1"}, message={"msg_id": "m3"})
    assert parse_event(link).kind == "other"  # type: ignore[union-attr]
    assert parse_event(body(event_name="oa_send_text", sender={"id": "oa"}, message={"msg_id": "x"})) is None
    assert parse_event(body(event_name="follow", follower={"id": "u1"})) is None
    assert parse_event(b"[1, 2]") is None and parse_event(b"not json") is None


def test_zalo_bot_bodies_flat_wrapped_and_lists() -> None:
    message = {"from": {"id": "u9"}, "chat": {"id": "c9"}, "message_id": "mm", "text": "hỏi"}
    flat = {"event_name": "message.text.received", "message": message}
    expected = [Incoming("zalo-bot", "c9", "mm", "text", "hỏi")]
    assert parse_updates(flat) == expected
    assert parse_updates({"ok": True, "result": flat}) == expected
    assert parse_updates({"ok": True, "result": [flat, flat]}) == expected * 2
    bot_echo = {
        "event_name": "message.text.received",
        "message": {**message, "from": {"id": "b", "is_bot": True}},
    }
    assert parse_updates(bot_echo) == []
    sticker = {"event_name": "message.sticker.received", "message": {**message, "text": None}}
    assert parse_updates(sticker)[0].kind == "sticker"
    assert parse_updates({"ok": True, "result": None}) == [] and parse_updates("x") == []


def test_phone_codes_and_api_errors() -> None:
    assert phone_code("02361022") == "842361022"
    assert phone_code("0912345678") == "84912345678"
    assert phone_code("+842361022") == "842361022"
    assert phone_code("1022") == "1022"
    assert api_error({"error": 0, "message": "Success"}) == (0, "Success")
    assert api_error({"error": -216, "message": "Access token is invalid"})[0] == -216
    assert api_error({"message": "no error field"})[0] == 0
    assert api_error([]) == (-1, "not a JSON object")


def test_urls() -> None:
    assert webhook_url("https://x.vn/") == "https://x.vn/webhooks/telegram"
    assert webhook_url("https://x.vn/webhooks/telegram") == "https://x.vn/webhooks/telegram"
    assert media_base("https://x.vn/webhooks/zalo-bot") == "https://x.vn/media"
    assert rasa_sender("tg", "-100123") == "tg:-100123"
    assert rasa_sender("zalo", "a/b").startswith("zalo:h") and "/" not in rasa_sender("zalo", "a/b")


def test_data_uris() -> None:
    image = decode_data_uri("data:image/png;base64," + base64.b64encode(PNG).decode())
    assert image is not None and image.data == PNG and image.mime == "image/png"
    assert image.filename.endswith(".png") and len(image.media_id) == 32
    assert decode_data_uri("data:image/png,notbase64") is None
    assert decode_data_uri("data:text/html;base64,PGI+") is None
    assert decode_data_uri("https://x.vn/a.png") is None


def test_store_dedupes_with_expiry_and_keeps_the_outbox(tmp_path: Path) -> None:
    store = ChannelState(tmp_path / "s.db")
    job = store.accept("telegram", "7", "u1", "text", "chào", ttl_s=10, now=1000)
    assert job is not None and job.text == "chào"
    assert store.accept("telegram", "7", "u1", "text", "chào", ttl_s=10, now=1005) is None
    assert store.accept("zalo", "7", "u1", "text", "chào", ttl_s=10, now=1005) is not None  # per channel
    job.attempts, job.notified = 2, True
    store.update(job)
    store.close()
    reopened = ChannelState(tmp_path / "s.db")  # a restart
    assert reopened.accept("telegram", "7", "u1", "text", "chào", ttl_s=10, now=1009) is None
    [pending, _] = reopened.pending()
    assert (pending.attempts, pending.notified, pending.text) == (2, True, "chào")
    reopened.done(pending)
    assert [j.channel for j in reopened.pending()] == ["zalo"]
    # After the expiry the id may be used again (platforms do not retry that long).
    assert reopened.accept("telegram", "7", "u1", "text", "chào", ttl_s=10, now=1011) is not None
    reopened.close()


def test_bot_tokens_never_reach_the_logs() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(PiiMaskingFormatter("%(message)s"))
    log = logging.getLogger("test.tokens")
    log.addHandler(handler)
    try:
        log.warning("POST https://api.telegram.org/bot123456:AAH-secret_x/sendMessage")
    finally:
        log.removeHandler(handler)
    assert stream.getvalue().strip() == "POST https://api.telegram.org/bot<token>/sendMessage"


def test_a_placeholder_secret_refuses_one_channel_the_others_run(
    make_gateway: MakeGateway,
    rasa: Served,
    telegram_api: Served,
    zalo_api: Served,
    zalo_bot_api: Served,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = {
        **telegram_settings(telegram_api),
        **zalo_settings(zalo_api),
        **zalo_bot_settings(zalo_bot_api),
    }
    settings["telegram_webhook_secret"] = "changeme"
    with caplog.at_level(logging.INFO, logger="connectors"):
        gateway = make_gateway(rasa.url, **settings)
        wait_ready(gateway, "zalo", "zalo-bot")
    assert set(gateway.app.state.channels) == {"zalo", "zalo-bot"}
    refused = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert refused == [
        "Telegram channel not started: TELEGRAM_WEBHOOK_SECRET looks like a placeholder: "
        "set the real value or leave it empty."
    ]
    assert "changeme" not in caplog.text
    headers = {"X-Telegram-Bot-Api-Secret-Token": "changeme"}
    assert gateway.post("/webhooks/telegram", {"update_id": 1}, headers).status_code == 503
    assert telegram_api.fake.calls == []  # never contacted
    health = gateway.client.get("/health").json()
    assert health["channels"] == {"zalo": "ok", "zalo-bot": "ok"}


def test_missing_secrets_leave_channels_off_quietly(gateway: Gateway, caplog: pytest.LogCaptureFixture) -> None:
    assert gateway.app.state.channels == {}
    assert gateway.app.state.store is None  # nothing written under var/ for the web chat alone
