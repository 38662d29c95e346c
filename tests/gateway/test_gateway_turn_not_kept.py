"""Issue 15, the gateway's side: the message id goes to Rasa with every message, and a turn Rasa
could not keep (503 "turn not kept": its tracker or lock store blinked, nothing of the turn was
saved) is sent again instead of being lost or answered without its context."""

from __future__ import annotations

import pytest
from conftest import TELEGRAM_SECRET, Gateway, MakeGateway, Served, telegram_settings, wait_ready
from gateway_fakes import ScriptedTurn

from connectors import messages

HOTLINE = messages.BOT_UNAVAILABLE.split("{")[0][:20]  # the apology's first words


def fee_turn(rasa: Served) -> None:
    rasa.fake.script["lệ phí bao nhiêu"] = ScriptedTurn([{"text": "Lệ phí căn cước: 50.000 đồng."}], "ask_fee")


def test_the_client_message_id_reaches_rasa_as_the_message_id(gateway: Gateway, rasa: Served) -> None:
    body = {"sender_id": "u1", "text": "xin chào", "channel": "web", "client_message_id": "4f1c2e9a-77"}
    assert gateway.client.post("/api/chat", json=body).status_code == 200
    assert gateway.chat("không có id").status_code == 200  # an older client: no id, as before
    first, second = rasa.fake.received
    assert first["metadata"] == {"channel": "web", "locality": "tinh-thu", "message_id": "4f1c2e9a-77"}
    assert "message_id" not in second["metadata"]
    too_long = {**body, "client_message_id": "x" * 129}
    assert gateway.client.post("/api/chat", json=too_long).status_code == 422


def test_a_turn_rasa_could_not_keep_is_asked_again_and_answered(gateway: Gateway, rasa: Served) -> None:
    fee_turn(rasa)
    rasa.fake.not_kept = 2  # the tracker store is down for two tries
    body = {"sender_id": "u1", "text": "lệ phí bao nhiêu", "channel": "web", "client_message_id": "m-1"}
    response = gateway.client.post("/api/chat", json=body)
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["replies"]] == ["Lệ phí căn cước: 50.000 đồng."]
    assert response.json()["intent"] == "ask_fee"
    # The same message three times, with the same id: what was made the first time is found again.
    tries = [(body["message"], body["metadata"]["message_id"]) for body in rasa.fake.received]
    assert tries == [("lệ phí bao nhiêu", "m-1")] * 3


def test_past_the_retry_window_the_citizen_gets_the_hotline(
    make_gateway: MakeGateway, rasa: Served, actions: Served
) -> None:
    gateway = make_gateway(rasa.url, actions.url, chat_retry_s=0.5)
    fee_turn(rasa)
    rasa.fake.not_kept = 1000
    response = gateway.chat("lệ phí bao nhiêu")
    assert response.status_code == 200 and HOTLINE in response.json()["replies"][0]["text"]
    assert 2 <= len(rasa.fake.received) <= 4  # 0.25 s, then 0.5 s would pass the window
    rasa.fake.not_kept = 0
    assert gateway.chat("lệ phí bao nhiêu").json()["intent"] == "ask_fee"  # back at once


def test_any_other_rasa_error_is_not_sent_again(gateway: Gateway, rasa: Served) -> None:
    """A plain 5xx (a proxy's, a crash) may come after Rasa handled the message: not retried."""
    rasa.fake.rest_status = 503
    response = gateway.chat("lệ phí bao nhiêu")
    assert response.status_code == 200 and HOTLINE in response.json()["replies"][0]["text"]
    assert len(rasa.fake.received) == 1


@pytest.fixture
def tg(make_gateway: MakeGateway, rasa: Served, actions: Served, telegram_api: Served) -> Gateway:
    gateway = make_gateway(rasa.url, actions.url, **telegram_settings(telegram_api))
    wait_ready(gateway, "telegram")
    return gateway


def test_a_channel_message_is_kept_and_sent_again_until_rasa_keeps_the_turn(
    tg: Gateway, rasa: Served, telegram_api: Served
) -> None:
    fee_turn(rasa)
    rasa.fake.not_kept = 3
    update = {
        "update_id": 41,
        "message": {
            "message_id": 7,
            "date": 1718000000,
            "chat": {"id": 777, "type": "private"},
            "from": {"id": 777, "is_bot": False, "first_name": "Lan"},
            "text": "lệ phí bao nhiêu",
        },
    }
    response = tg.post("/webhooks/telegram", update, {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})
    assert response.status_code == 200
    # The inbox's usual outage path: the "busy, we will answer" notice, then the answer, once.
    notice, answer = telegram_api.fake.wait_count(2, "sendMessage")
    assert HOTLINE in notice.params["text"] and answer.params["text"] == "Lệ phí căn cước: 50.000 đồng."
    ids = {body["metadata"]["message_id"] for body in rasa.fake.received}
    assert len(rasa.fake.received) == 4 and ids == {"41"}  # one id for every try of the message
