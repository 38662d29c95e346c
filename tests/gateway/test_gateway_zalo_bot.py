"""Zalo Bot platform end to end: flat and wrapped webhook bodies, the long poll and its 408,
replies recorded by a fake Zalo Bot API. Issue #6."""

from __future__ import annotations

import base64
import logging
from typing import Any

import pytest
from conftest import (
    PUBLIC_URL,
    ZALO_BOT_SECRET,
    Gateway,
    MakeGateway,
    Served,
    wait_ready,
    zalo_bot_settings,
)
from gateway_fakes import ScriptedTurn

from connectors import messages

HEADER = {"X-Bot-Api-Secret-Token": ZALO_BOT_SECRET}
QR_BYTES = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
QR = "data:image/png;base64," + base64.b64encode(QR_BYTES).decode()


def update(
    message_id: str,
    text: str | None = "xin chào",
    chat: str = "c-1",
    event: str = "message.text.received",
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "from": {"id": chat, "display_name": "Lan", "is_bot": False},
        "chat": {"id": chat, "chat_type": "PRIVATE"},
        "message_id": message_id,
        "date": 1750316131602,
    }
    if text is not None:
        message["text"] = text
    return {"event_name": event, "message": message}


@pytest.fixture
def bot(make_gateway: MakeGateway, rasa: Served, actions: Served, zalo_bot_api: Served) -> Gateway:
    gateway = make_gateway(rasa.url, actions.url, **zalo_bot_settings(zalo_bot_api))
    wait_ready(gateway, "zalo-bot")
    return gateway


def test_set_webhook_with_the_secret_at_start(bot: Gateway, zalo_bot_api: Served) -> None:
    [call] = zalo_bot_api.fake.wait_count(1, "setWebhook")
    assert call.params == {
        "url": PUBLIC_URL + "/webhooks/zalo-bot",
        "secret_token": ZALO_BOT_SECRET,
    }


def test_flat_and_wrapped_bodies(bot: Gateway, rasa: Served, zalo_bot_api: Served) -> None:
    assert bot.post("/webhooks/zalo-bot", update("m1", "phẳng"), HEADER).json() == {"ok": True}
    wrapped = {"ok": True, "result": update("m2", "bọc")}
    assert bot.post("/webhooks/zalo-bot", wrapped, HEADER).json() == {"ok": True}
    zalo_bot_api.fake.wait_count(2, "sendMessage")
    assert [c.params for c in zalo_bot_api.fake.named("sendMessage")] == [
        {"chat_id": "c-1", "text": "Bạn hỏi: phẳng"},
        {"chat_id": "c-1", "text": "Bạn hỏi: bọc"},
    ]
    assert [b["sender"] for b in rasa.fake.received] == ["zalobot:c-1", "zalobot:c-1"]
    assert rasa.fake.received[0]["metadata"]["channel"] == "zalo-bot"


def test_secret_header_is_required(bot: Gateway, rasa: Served, zalo_bot_api: Served) -> None:
    assert bot.post("/webhooks/zalo-bot", update("m1")).status_code == 401
    assert bot.post("/webhooks/zalo-bot", update("m1"), {"X-Bot-Api-Secret-Token": "nope"}).status_code == 403
    # A marker from the same chat, with the secret: one chat's messages are answered in order,
    # so it is the first message Rasa sees unless a refused one had been queued.
    assert bot.post("/webhooks/zalo-bot", update("m2", "hết"), HEADER).status_code == 200
    zalo_bot_api.fake.wait_count(1, "sendMessage")
    assert rasa.fake.texts() == ["hết"]


def test_duplicates_are_answered_once(bot: Gateway, rasa: Served, zalo_bot_api: Served) -> None:
    for _ in range(3):
        bot.post("/webhooks/zalo-bot", update("same"), HEADER)
    bot.post("/webhooks/zalo-bot", update("marker", "hết"), HEADER)  # same chat, after them
    zalo_bot_api.fake.wait_count(2, "sendMessage")
    assert rasa.fake.texts() == ["xin chào", "hết"]  # the marker came next
    assert zalo_bot_api.fake.texts() == ["Bạn hỏi: xin chào", "Bạn hỏi: hết"]


def test_long_text_is_split_within_2000(bot: Gateway, rasa: Served, zalo_bot_api: Served) -> None:
    paragraphs = [f"Bước {i}: " + ("nộp hồ sơ tại bộ phận một cửa " * 20).strip() for i in range(8)]
    rasa.fake.script["dài"] = ScriptedTurn([{"text": "\n\n".join(paragraphs)}], "ask_documents")
    bot.post("/webhooks/zalo-bot", update("m1", "dài"), HEADER)
    # A marker from the same chat after it: every part of the long answer is sent before its answer.
    bot.post("/webhooks/zalo-bot", update("m2", "hết"), HEADER)
    zalo_bot_api.fake.wait_for(lambda f: "Bạn hỏi: hết" in f.texts(), what="the marker's answer")
    *texts, marker = zalo_bot_api.fake.texts()
    assert marker == "Bạn hỏi: hết" and len(texts) >= 3
    assert all(len(text) <= 2000 for text in texts)
    assert "\n\n".join(texts) == "\n\n".join(paragraphs)


def test_buttons_become_numbered_lines_and_a_number_picks_one(bot: Gateway, rasa: Served, zalo_bot_api: Served) -> None:
    rasa.fake.script["khai sinh"] = ScriptedTurn(
        [
            {
                "text": "Bạn muốn hỏi gì?",
                "buttons": [
                    {"title": "Lệ phí", "payload": "/ask_fee"},
                    {"title": "Hồ sơ", "payload": "/ask_documents"},
                    {"title": "Gọi tổng đài", "payload": "tel:0236.1022"},
                ],
            }
        ],
        "ask_procedure",
    )
    bot.post("/webhooks/zalo-bot", update("m1", "khai sinh"), HEADER)
    zalo_bot_api.fake.wait_count(1, "sendMessage")
    assert zalo_bot_api.fake.texts() == ["Bạn muốn hỏi gì?\n\n1. Lệ phí\n2. Hồ sơ\n3. Gọi tổng đài: 02361022"]
    bot.post("/webhooks/zalo-bot", update("m2", "2"), HEADER)
    zalo_bot_api.fake.wait_count(2, "sendMessage")
    bot.post("/webhooks/zalo-bot", update("m3", "khai sinh"), HEADER)
    zalo_bot_api.fake.wait_count(3, "sendMessage")
    bot.post("/webhooks/zalo-bot", update("m4", " lệ  PHÍ "), HEADER)  # a line's title works too
    zalo_bot_api.fake.wait_count(4, "sendMessage")
    bot.post("/webhooks/zalo-bot", update("m5", "1"), HEADER)  # no options shown any more
    zalo_bot_api.fake.wait_count(5, "sendMessage")
    assert [b["message"] for b in rasa.fake.received] == [
        "khai sinh",
        "/ask_documents",
        "khai sinh",
        "/ask_fee",
        "1",
    ]


def test_qr_image_is_sent_by_a_gateway_url(bot: Gateway, rasa: Served, zalo_bot_api: Served) -> None:
    rasa.fake.script["khảo sát"] = ScriptedTurn([{"text": "Quét mã QR để đánh giá:", "image": QR}], "ask_survey")
    bot.post("/webhooks/zalo-bot", update("m1", "khảo sát"), HEADER)
    [call] = zalo_bot_api.fake.wait_count(1, "sendPhoto")
    assert call.params["chat_id"] == "c-1" and call.params["caption"] == "Quét mã QR để đánh giá:"
    url = call.params["photo"]
    assert url.startswith(PUBLIC_URL + "/media/") and url.endswith(".png")
    served = bot.client.get(url.removeprefix(PUBLIC_URL))
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert served.content == QR_BYTES
    assert bot.client.get("/media/" + "0" * 32 + ".png").status_code == 404


def test_image_and_sticker_get_a_vietnamese_answer(bot: Gateway, rasa: Served, zalo_bot_api: Served) -> None:
    bot.post("/webhooks/zalo-bot", update("m1", None, event="message.image.received"), HEADER)
    bot.post("/webhooks/zalo-bot", update("m2", None, event="message.sticker.received"), HEADER)
    zalo_bot_api.fake.wait_count(2, "sendMessage")
    assert zalo_bot_api.fake.texts() == [messages.UNSUPPORTED_IMAGE, messages.UNSUPPORTED_STICKER]
    assert rasa.fake.received == []


def test_long_poll_408_is_an_empty_poll(
    make_gateway: MakeGateway,
    rasa: Served,
    zalo_bot_api: Served,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = zalo_bot_api.fake
    with caplog.at_level(logging.WARNING, logger="connectors"):
        gateway = make_gateway(rasa.url, **zalo_bot_settings(zalo_bot_api, polling=True))
        wait_ready(gateway, "zalo-bot")
        channel = gateway.app.state.channels["zalo-bot"]
        # An empty poll is followed by the next one at once, not by an error back-off (1, 2, 4,
        # 8, 16 s, each logged): twelve empty polls of 50 ms come well within the generous
        # timeout, which backed-off polls would need more than 30 s to reach.
        fake.wait_for(lambda f: channel.empty_polls >= 12, timeout=20, what="twelve empty polls")
        fake.pending_updates.append({"ok": True, "result": update("p1", "qua polling", chat="c-9")})
        [call] = fake.wait_count(1, "sendMessage")
    assert call.params == {"chat_id": "c-9", "text": "Bạn hỏi: qua polling"}
    assert fake.named("setWebhook") == [] and fake.named("deleteWebhook")
    assert fake.named("getUpdates")[0].params == {"timeout": 30}
    assert not [r for r in caplog.records if "getUpdates" in r.getMessage()]
