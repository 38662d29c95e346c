"""Zalo Official Account end to end: signed events to the real gateway, replies recorded by a
fake OA API v3 (with its OAuth endpoint). Issue #6."""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
from typing import Any

import pytest
from conftest import (
    ZALO_APP,
    ZALO_KEY,
    Gateway,
    MakeGateway,
    Served,
    wait_ready,
    zalo_settings,
)
from gateway_fakes import ScriptedTurn

from connectors import messages

QR = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQ"
    "DwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def event(name: str, msg_id: str, user: str = "u-100", **message: Any) -> bytes:
    body = {
        "app_id": ZALO_APP,
        "user_id_by_app": "app-" + user,
        "event_name": name,
        # Now: events outside the replay window are ignored (test_gateway_replay.py).
        "timestamp": str(int(time.time() * 1000) + len(msg_id)),
        "sender": {"id": user},
        "recipient": {"id": "oa-1"},
        "message": {"msg_id": msg_id, **message},
    }
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def signed(body: bytes) -> dict[str, str]:
    timestamp = json.loads(body)["timestamp"]
    mac = hashlib.sha256(ZALO_APP.encode() + body + timestamp.encode() + ZALO_KEY.encode()).hexdigest()
    return {"X-ZEvent-Signature": f"mac={mac}"}


def send(gateway: Gateway, body: bytes) -> int:
    return gateway.post("/webhooks/zalo", body, signed(body)).status_code


@pytest.fixture
def oa(make_gateway: MakeGateway, rasa: Served, actions: Served, zalo_api: Served) -> Gateway:
    gateway = make_gateway(rasa.url, actions.url, **zalo_settings(zalo_api))
    wait_ready(gateway, "zalo")
    return gateway


def test_text_event_is_answered(oa: Gateway, rasa: Served, zalo_api: Served) -> None:
    rasa.fake.script["lệ phí khai sinh"] = ScriptedTurn([{"text": "Miễn lệ phí."}], "ask_fee")
    assert send(oa, event("user_send_text", "m1", text="lệ phí khai sinh")) == 200
    [call] = zalo_api.fake.wait_count(1, "cs")
    assert call.headers["access_token"] == "access-0"
    assert call.params == {"recipient": {"user_id": "u-100"}, "message": {"text": "Miễn lệ phí."}}
    assert rasa.fake.received[0]["sender"] == "zalo:u-100"
    assert rasa.fake.received[0]["metadata"]["channel"] == "zalo"


def test_signature_is_checked_on_the_raw_body(oa: Gateway, rasa: Served, zalo_api: Served) -> None:
    body = event("user_send_text", "m1", text="xin chào")
    assert oa.post("/webhooks/zalo", body).status_code == 401
    # Same JSON, re-serialized with other spacing: the MAC no longer matches.
    respaced = json.dumps(json.loads(body), ensure_ascii=True).encode()
    assert respaced != body
    assert oa.post("/webhooks/zalo", respaced, signed(body)).status_code == 403
    # HMAC-SHA256 with the key is not what Zalo sends: refused too.
    import hmac

    timestamp = json.loads(body)["timestamp"].encode()
    wrong = hmac.new(ZALO_KEY.encode(), ZALO_APP.encode() + body + timestamp, hashlib.sha256).hexdigest()
    assert oa.post("/webhooks/zalo", body, {"X-ZEvent-Signature": f"mac={wrong}"}).status_code == 403
    # A rightly signed marker from the same citizen: answered in order, so it is the first
    # message Rasa sees and the first answer sent, unless a refused event had been queued.
    assert send(oa, event("user_send_text", "m-marker", text="hết")) == 200
    zalo_api.fake.wait_count(1, "cs")
    assert rasa.fake.texts() == ["hết"]
    assert zalo_api.fake.messages() == [{"text": "Bạn hỏi: hết"}]


def test_buttons_and_qr_image(oa: Gateway, rasa: Served, zalo_api: Served) -> None:
    rasa.fake.script["khảo sát"] = ScriptedTurn(
        [
            {
                "text": "Mời bạn đánh giá dịch vụ.",
                "buttons": [
                    {"title": "Mở khảo sát", "payload": "https://ks.vn/1"},
                    {"title": "Lệ phí", "payload": "/ask_fee"},
                    {"title": "Gọi tổng đài", "payload": "tel:0236.1022"},
                ],
            },
            {"text": "Quét mã QR:", "image": QR},
        ],
        "ask_survey",
    )
    send(oa, event("user_send_text", "m1", text="khảo sát"))
    zalo_api.fake.wait_count(2, "cs")
    [upload] = zalo_api.fake.named("upload")
    assert upload.files["file"].content_type == "image/png"
    assert upload.files["file"].data.startswith(b"\x89PNG")
    first, second = zalo_api.fake.messages()
    assert first == {
        "text": "Mời bạn đánh giá dịch vụ.",
        "attachment": {
            "type": "template",
            "payload": {
                "buttons": [
                    {
                        "title": "Mở khảo sát",
                        "type": "oa.open.url",
                        "payload": {"url": "https://ks.vn/1"},
                    },
                    {"title": "Lệ phí", "type": "oa.query.show", "payload": "/ask_fee"},
                    {
                        "title": "Gọi tổng đài",
                        "type": "oa.open.phone",
                        "payload": {"phone_code": "842361022"},
                    },
                ]
            },
        },
    }
    assert second["text"] == "Quét mã QR:"
    [element] = second["attachment"]["payload"]["elements"]
    assert second["attachment"]["payload"]["template_type"] == "media"
    assert element == {"media_type": "image", "attachment_id": "att-1"}


@pytest.mark.parametrize(
    ("name", "extra", "expected"),
    [
        (
            "user_send_image",
            {"attachments": [{"type": "image", "payload": {"url": "https://x/1.jpg"}}]},
            messages.UNSUPPORTED_IMAGE,
        ),
        ("user_send_sticker", {"attachments": [{"type": "sticker"}]}, messages.UNSUPPORTED_STICKER),
        (
            "user_send_location",
            {"attachments": [{"type": "location", "payload": {"coordinates": {}}}]},
            messages.UNSUPPORTED_LOCATION,
        ),
        ("user_send_file", {"attachments": [{"type": "file"}]}, messages.UNSUPPORTED_FILE),
        ("user_send_audio", {"attachments": [{"type": "audio"}]}, messages.UNSUPPORTED_OTHER),
    ],
)
def test_other_events_get_a_vietnamese_answer(
    oa: Gateway, rasa: Served, zalo_api: Served, name: str, extra: dict[str, Any], expected: str
) -> None:
    assert send(oa, event(name, "m-" + name, **extra)) == 200
    zalo_api.fake.wait_count(1, "cs")
    assert zalo_api.fake.messages() == [{"text": expected}]
    assert rasa.fake.received == []


def test_oa_events_and_follows_are_not_answered(oa: Gateway, rasa: Served, zalo_api: Served) -> None:
    assert send(oa, event("oa_send_text", "o1", text="tin của OA")) == 200
    assert send(oa, event("follow", "f1")) == 200
    assert send(oa, event("user_send_text", "m2", text="sau đó")) == 200
    zalo_api.fake.wait_count(1, "cs")
    assert [body["message"] for body in rasa.fake.received] == ["sau đó"]


def test_duplicate_msg_id_is_answered_once(oa: Gateway, rasa: Served, zalo_api: Served) -> None:
    body = event("user_send_text", "same-id", text="xin chào")
    assert [send(oa, body) for _ in range(3)] == [200, 200, 200]
    assert send(oa, event("user_send_text", "m-marker", text="hết")) == 200  # same citizen, after
    zalo_api.fake.wait_count(2, "cs")
    assert rasa.fake.texts() == ["xin chào", "hết"]  # the marker came next
    assert zalo_api.fake.messages() == [{"text": "Bạn hỏi: xin chào"}, {"text": "Bạn hỏi: hết"}]


def test_extra_buttons_become_numbered_lines_and_a_number_picks_one(
    oa: Gateway, rasa: Served, zalo_api: Served
) -> None:
    buttons = [{"title": f"Thủ tục {i}", "payload": f'/ask_procedure{{"procedure": "p{i}"}}'} for i in range(1, 8)]
    rasa.fake.script["thủ tục"] = ScriptedTurn([{"text": "Chọn thủ tục:", "buttons": buttons}], "ask_procedure")
    send(oa, event("user_send_text", "m1", text="thủ tục"))
    zalo_api.fake.wait_count(1, "cs")
    [message] = zalo_api.fake.messages()
    assert message["text"] == "Chọn thủ tục:\n\nLựa chọn khác:\n1. Thủ tục 6\n2. Thủ tục 7"
    assert len(message["attachment"]["payload"]["buttons"]) == 5
    send(oa, event("user_send_text", "m2", text="2"))
    zalo_api.fake.wait_count(2, "cs")
    assert rasa.fake.received[-1]["message"] == '/ask_procedure{"procedure": "p7"}'


def test_expired_token_is_refreshed_once_and_persisted(
    make_gateway: MakeGateway, rasa: Served, actions: Served, zalo_api: Served, tmp_path: Any
) -> None:
    fake = zalo_api.fake
    fake.valid_access.clear()  # the configured access token has expired
    gateway = make_gateway(rasa.url, actions.url, **zalo_settings(zalo_api, access_token="old"))
    wait_ready(gateway, "zalo")
    send(gateway, event("user_send_text", "m1", text="xin chào"))
    fake.wait_count(2, "cs")
    first, second = fake.named("cs")
    [oauth] = fake.named("oauth")
    assert first.headers["access_token"] == "old"
    assert oauth.headers["secret_key"] == fake.app_secret
    assert oauth.params == {
        "refresh_token": "refresh-0",
        "app_id": ZALO_APP,
        "grant_type": "refresh_token",
    }
    assert second.headers["access_token"] == "access-1"
    assert fake.messages() == [{"text": "Bạn hỏi: xin chào"}]

    # The new single-use refresh token is on disk...
    with sqlite3.connect(gateway.settings.state_db) as db:
        [(stored,)] = db.execute("SELECT value FROM kv WHERE key = 'zalo_oa.tokens'").fetchall()
    assert json.loads(stored)["refresh_token"] == "refresh-1"
    # ...and used after a restart, although the environment still says refresh-0.
    gateway.stop()
    fake.valid_access.clear()
    again = make_gateway(rasa.url, actions.url, **zalo_settings(zalo_api, access_token="old"))
    wait_ready(again, "zalo")
    send(again, event("user_send_text", "m2", text="lần hai"))
    fake.wait_count(2, "oauth")
    assert fake.named("oauth")[1].params["refresh_token"] == "refresh-1"
    fake.wait_for(lambda f: len(f.messages()) == 2, what="the second answer")


def test_a_refused_fresh_token_is_not_refreshed_again_and_the_answer_waits(
    make_gateway: MakeGateway, rasa: Served, actions: Served, zalo_api: Served
) -> None:
    fake = zalo_api.fake
    fake.valid_access.clear()
    fake.issue_valid_tokens = False  # even the refreshed token is refused, for now
    gateway = make_gateway(rasa.url, actions.url, **zalo_settings(zalo_api, access_token="old"))
    wait_ready(gateway, "zalo")
    send(gateway, event("user_send_text", "m1", text="xin chào"))
    send(gateway, event("user_send_text", "m-marker", text="hết"))
    fake.wait_count(4, "cs")  # old, access-1, then access-1 again: kept and tried again (issue 15)
    assert [c.headers["access_token"] for c in fake.named("cs")][:3] == ["old", "access-1", "access-1"]
    fake.valid_access.add("access-1")  # Zalo takes the token again
    fake.wait_for(lambda f: len(f.messages()) == 2, what="both answers")
    assert fake.messages() == [{"text": "Bạn hỏi: xin chào"}, {"text": "Bạn hỏi: hết"}]  # in order, once
    assert len(fake.named("oauth")) == 1  # a refused fresh token is not refreshed again at once
    assert {c.params["message"]["text"] for c in fake.named("cs") if not c.ok} == {"Bạn hỏi: xin chào"}


def test_outside_interaction_window_is_logged_not_retried(
    oa: Gateway, rasa: Served, zalo_api: Served, caplog: pytest.LogCaptureFixture
) -> None:
    zalo_api.fake.outside_window.add("u-100")
    with caplog.at_level(logging.WARNING):
        send(oa, event("user_send_text", "m1", text="xin chào"))
        send(oa, event("user_send_text", "m-marker", text="hết"))  # same citizen, after
        zalo_api.fake.wait_count(2, "cs")
    # The marker's send came next: the refused one was not tried again (nor a token refreshed).
    assert [c.params["message"]["text"] for c in zalo_api.fake.named("cs")] == ["Bạn hỏi: xin chào", "Bạn hỏi: hết"]
    assert zalo_api.fake.named("oauth") == []
    assert any("-230" in record.getMessage() for record in caplog.records)


def test_no_way_to_send_refuses_the_channel(
    make_gateway: MakeGateway, rasa: Served, zalo_api: Served, caplog: pytest.LogCaptureFixture
) -> None:
    settings = zalo_settings(zalo_api)
    settings.update(zalo_oa_access_token="", zalo_oa_refresh_token="")
    with caplog.at_level(logging.ERROR):
        gateway = make_gateway(rasa.url, **settings)
    assert "zalo" not in gateway.app.state.channels
    body = event("user_send_text", "m1", text="xin chào")
    assert send(gateway, body) == 503
    assert any("Zalo OA channel not started" in r.getMessage() for r in caplog.records)
