"""Telegram end to end: real webhook requests to the real gateway, python-telegram-bot talking
to a recording fake Telegram Bot API, Rasa faked. Issue #6."""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from conftest import (
    PUBLIC_URL,
    TELEGRAM_SECRET,
    Gateway,
    MakeGateway,
    Served,
    telegram_settings,
    wait_ready,
    wait_until,
)
from gateway_fakes import ScriptedTurn

from connectors import messages

HEADER = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
QR = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQ"
    "DwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
LONG_PAYLOAD = '/ask_fee{"procedure": "dang-ky-khai-sinh-co-yeu-to-nuoc-ngoai-tai-ubnd-cap-tinh"}'


def text_update(update_id: int, text: str, chat_id: int = 777, chat_type: str = "private") -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1718000000,
            "chat": {"id": chat_id, "type": chat_type},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Lan"},
            "text": text,
        },
    }


def callback_update(update_id: int, data: str, chat_id: int = 777) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cb{update_id}",
            "chat_instance": "ci",
            "from": {"id": chat_id, "is_bot": False, "first_name": "Lan"},
            "data": data,
            "message": {
                "message_id": 5,
                "date": 1718000000,
                "chat": {"id": chat_id, "type": "private"},
                "text": "Chọn:",
            },
        },
    }


@pytest.fixture
def tg(make_gateway: MakeGateway, rasa: Served, actions: Served, telegram_api: Served) -> Gateway:
    gateway = make_gateway(rasa.url, actions.url, **telegram_settings(telegram_api))
    wait_ready(gateway, "telegram")
    return gateway


def test_set_webhook_with_the_secret_at_start(tg: Gateway, telegram_api: Served) -> None:
    [call] = telegram_api.fake.named("setWebhook")
    assert call.params["url"] == PUBLIC_URL + "/webhooks/telegram"
    assert call.params["secret_token"] == TELEGRAM_SECRET
    assert json.loads(call.params["allowed_updates"]) == ["message", "callback_query"]
    assert telegram_api.fake.named("getUpdates") == []  # webhook mode: no polling


def test_text_is_answered_through_rasa(tg: Gateway, rasa: Served, telegram_api: Served) -> None:
    rasa.fake.script["lệ phí khai sinh"] = ScriptedTurn([{"text": "Miễn lệ phí."}], "ask_fee")
    response = tg.post("/webhooks/telegram", text_update(1, "lệ phí khai sinh"), HEADER)
    assert (response.status_code, response.json()) == (200, {"ok": True})
    [call] = telegram_api.fake.wait_count(1, "sendMessage")
    assert call.params["chat_id"] == "777" and call.params["text"] == "Miễn lệ phí."
    assert rasa.fake.received == [
        {
            "sender": "tg:777",
            "message": "lệ phí khai sinh",
            "metadata": {"channel": "telegram", "locality": "tinh-thu", "message_id": "1"},
        }
    ]


def test_acknowledges_before_rasa_answers(tg: Gateway, rasa: Served, telegram_api: Served) -> None:
    gate = rasa.fake.hold("chậm")  # Rasa answers only when the test says so
    response = tg.post("/webhooks/telegram", text_update(1, "chậm"), HEADER)
    assert (response.status_code, response.json()) == (200, {"ok": True})  # acknowledged...
    rasa.fake.wait_received(1)  # ...while the message waits at Rasa
    assert telegram_api.fake.named("sendMessage") == []
    gate.set()
    [answer] = telegram_api.fake.wait_count(1, "sendMessage")
    assert answer.params["text"] == "Bạn hỏi: chậm"


def test_unsigned_and_wrong_secret_are_refused(tg: Gateway, rasa: Served, telegram_api: Served) -> None:
    assert tg.post("/webhooks/telegram", text_update(1, "a")).status_code == 401
    wrong = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET + "x"}
    assert tg.post("/webhooks/telegram", text_update(2, "a"), wrong).status_code == 403
    assert tg.post("/webhooks/telegram", text_update(3, "b"), HEADER).status_code == 200
    telegram_api.fake.wait_count(1, "sendMessage")
    # One chat's messages are answered in order: had a refused update been queued, Rasa would
    # have seen it before "b".
    assert rasa.fake.texts() == ["b"]


def test_buttons_become_an_inline_keyboard_with_short_ids(tg: Gateway, rasa: Served, telegram_api: Served) -> None:
    rasa.fake.script["khai sinh"] = ScriptedTurn(
        [
            {
                "text": "Bạn muốn hỏi gì về đăng ký khai sinh?",
                "buttons": [
                    {"title": "Lệ phí", "payload": "/ask_fee"},
                    {"title": "Lệ phí (nước ngoài)", "payload": LONG_PAYLOAD},
                    {"title": "Trang thủ tục", "payload": "https://dichvucong.gov.vn/p/1"},
                    {"title": "Gọi tổng đài", "payload": "tel:0236.1022"},
                ],
            }
        ],
        "ask_procedure",
    )
    tg.post("/webhooks/telegram", text_update(1, "khai sinh"), HEADER)
    [call] = telegram_api.fake.wait_count(1, "sendMessage")
    # Telegram has no tap-to-call button: the number goes into the text.
    assert call.params["text"] == "Bạn muốn hỏi gì về đăng ký khai sinh?\n\nLựa chọn khác:\nGọi tổng đài: 02361022"
    rows = json.loads(call.params["reply_markup"])["inline_keyboard"]
    assert [row[0]["text"] for row in rows] == ["Lệ phí", "Lệ phí (nước ngoài)", "Trang thủ tục"]
    assert rows[0][0]["callback_data"] == "/ask_fee"
    short = rows[1][0]["callback_data"]
    assert len(LONG_PAYLOAD.encode()) > 64 and len(short.encode()) <= 64
    assert rows[2][0]["url"] == "https://dichvucong.gov.vn/p/1"

    # Pressing the long one: Rasa gets the whole payload back, the spinner is stopped.
    tg.post("/webhooks/telegram", callback_update(2, short), HEADER)
    telegram_api.fake.wait_count(2, "sendMessage")
    assert rasa.fake.received[-1]["message"] == LONG_PAYLOAD
    [answered] = telegram_api.fake.wait_count(1, "answerCallbackQuery")
    assert answered.params["callback_query_id"] == "cb2"


def test_unknown_short_id_says_the_button_expired(tg: Gateway, rasa: Served, telegram_api: Served) -> None:
    tg.post("/webhooks/telegram", callback_update(1, "c:AAAAAAAAAAAAAAAA"), HEADER)
    [call] = telegram_api.fake.wait_count(1, "sendMessage")
    assert call.params["text"] == messages.BUTTON_EXPIRED
    assert rasa.fake.received == []


def test_qr_image_is_uploaded_as_a_photo(tg: Gateway, rasa: Served, telegram_api: Served) -> None:
    rasa.fake.script["khảo sát"] = ScriptedTurn(
        [
            {
                "text": "Mời bạn đánh giá.",
                "buttons": [{"title": "Mở khảo sát", "payload": "https://ks.vn/1"}],
            },
            {"text": "Hoặc quét mã QR:", "image": QR},
        ],
        "ask_survey",
    )
    tg.post("/webhooks/telegram", text_update(1, "khảo sát"), HEADER)
    [photo] = telegram_api.fake.wait_count(1, "sendPhoto")
    assert photo.params["caption"] == "Hoặc quét mã QR:"
    assert photo.files["photo"].data == base64.b64decode(QR.split(",", 1)[1])
    [text] = telegram_api.fake.named("sendMessage")
    assert text.params["text"] == "Mời bạn đánh giá."


def test_long_text_is_split_under_4096(tg: Gateway, rasa: Served, telegram_api: Served) -> None:
    paragraphs = [f"Đoạn {i}: " + ("giấy tờ cần nộp " * 60).strip() for i in range(10)]
    rasa.fake.script["dài"] = ScriptedTurn([{"text": "\n\n".join(paragraphs)}], "ask_documents")
    tg.post("/webhooks/telegram", text_update(1, "dài"), HEADER)
    # A marker from the same chat after it: every part of the long answer is sent before its answer.
    tg.post("/webhooks/telegram", text_update(2, "hết"), HEADER)
    telegram_api.fake.wait_for(lambda f: "Bạn hỏi: hết" in f.texts(), what="the marker's answer")
    *texts, marker = telegram_api.fake.texts()
    assert marker == "Bạn hỏi: hết" and len(texts) >= 3
    assert all(len(text) < 4096 for text in texts)
    assert "\n\n".join(texts) == "\n\n".join(paragraphs)


def test_redelivered_update_is_answered_once(tg: Gateway, rasa: Served, telegram_api: Served) -> None:
    update = text_update(41, "xin chào")
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda _: tg.post("/webhooks/telegram", update, HEADER).status_code, range(4)))
    assert statuses == [200] * 4
    telegram_api.fake.wait_count(1, "sendMessage")
    tg.post("/webhooks/telegram", update, HEADER)
    tg.post("/webhooks/telegram", text_update(42, "hết"), HEADER)  # a marker from the same chat
    telegram_api.fake.wait_count(2, "sendMessage")
    assert rasa.fake.texts() == ["xin chào", "hết"]  # the marker came next: no second "xin chào"
    assert telegram_api.fake.texts() == ["Bạn hỏi: xin chào", "Bạn hỏi: hết"]


def test_burst_from_one_user_keeps_order(tg: Gateway, rasa: Served, telegram_api: Served) -> None:
    # The first message is held at Rasa until all five are in: answers must still come in order.
    texts = [f"câu {i}" for i in range(5)]
    gate = rasa.fake.hold(texts[0])
    for i, text in enumerate(texts):
        tg.post("/webhooks/telegram", text_update(100 + i, text), HEADER)
    rasa.fake.wait_received(1)
    gate.set()
    telegram_api.fake.wait_count(5, "sendMessage")
    assert telegram_api.fake.texts() == [f"Bạn hỏi: {text}" for text in texts]


def test_one_slow_citizen_does_not_hold_up_another(tg: Gateway, rasa: Served, telegram_api: Served) -> None:
    gate = rasa.fake.hold("chậm")  # held at Rasa until the other citizen has had an answer
    tg.post("/webhooks/telegram", text_update(1, "chậm", chat_id=1), HEADER)
    tg.post("/webhooks/telegram", text_update(2, "nhanh", chat_id=2), HEADER)
    telegram_api.fake.wait_count(1, "sendMessage")
    gate.set()
    telegram_api.fake.wait_count(2, "sendMessage")
    assert [c.params["chat_id"] for c in telegram_api.fake.named("sendMessage")] == ["2", "1"]


def test_photo_sticker_and_start(tg: Gateway, rasa: Served, telegram_api: Served) -> None:
    photo = text_update(1, "")
    del photo["message"]["text"]
    photo["message"]["photo"] = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
    tg.post("/webhooks/telegram", photo, HEADER)
    telegram_api.fake.wait_count(1, "sendMessage")
    tg.post("/webhooks/telegram", text_update(2, "/start"), HEADER)
    telegram_api.fake.wait_count(2, "sendMessage")
    assert telegram_api.fake.texts()[0] == messages.UNSUPPORTED_IMAGE
    assert [body["message"] for body in rasa.fake.received] == ["/greet"]


def test_group_chats_are_ignored(tg: Gateway, rasa: Served, telegram_api: Served) -> None:
    # The group update carries the same chat id as the private one after it: had it been
    # queued, this chat's answers come in order, so Rasa would have seen it first.
    for chat_type in ("group", "supergroup"):
        tg.post("/webhooks/telegram", text_update(len(chat_type), "xin chào", chat_id=5, chat_type=chat_type), HEADER)
    tg.post("/webhooks/telegram", text_update(20, "riêng", chat_id=5), HEADER)
    telegram_api.fake.wait_count(1, "sendMessage")
    assert [(body["sender"], body["message"]) for body in rasa.fake.received] == [("tg:5", "riêng")]


def test_polling_mode_without_public_url(make_gateway: MakeGateway, rasa: Served, telegram_api: Served) -> None:
    telegram_api.fake.pending_updates.append(text_update(500, "hỏi qua polling", chat_id=9))
    gateway = make_gateway(rasa.url, **telegram_settings(telegram_api, polling=True))
    wait_ready(gateway, "telegram")
    [call] = telegram_api.fake.wait_count(1, "sendMessage")
    assert call.params == {"chat_id": "9", "text": "Bạn hỏi: hỏi qua polling"}
    assert telegram_api.fake.named("setWebhook") == []
    assert telegram_api.fake.named("deleteWebhook")  # the updater clears a webhook first
    # The update is confirmed: a later poll asks for the ones after it.
    wait_until(
        lambda: any(int(c.params.get("offset") or 0) == 501 for c in telegram_api.fake.named("getUpdates")),
        what="getUpdates with offset 501",
    )
