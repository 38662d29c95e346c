"""Rasa or the action server down or slow: the citizen gets the hotline message at once and
the real answer when the service is back; nothing accepted is lost, even across a restart of
the gateway. Issue #6."""

from __future__ import annotations

from conftest import (
    TELEGRAM_SECRET,
    TEST_HOTLINE_NAME,
    Gateway,
    MakeGateway,
    Served,
    telegram_settings,
    wait_ready,
)
from gateway_fakes import ScriptedTurn
from test_gateway_telegram import text_update

from connectors import messages

HEADER = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
NOTICE = messages.BOT_DELAYED.format(name=TEST_HOTLINE_NAME, number="0236.1022") + "\n\nGọi 0236.1022"


def start(make_gateway: MakeGateway, rasa: Served, actions: Served, telegram_api: Served, **extra: object) -> Gateway:
    gateway = make_gateway(rasa.url, actions.url, **telegram_settings(telegram_api), **extra)
    wait_ready(gateway, "telegram")
    return gateway


def test_rasa_down_hotline_now_answer_when_back(
    make_gateway: MakeGateway, rasa: Served, actions: Served, telegram_api: Served
) -> None:
    # The "Rasa is slow" notice an hour away: a notice now can only come from the failed call.
    gateway = start(make_gateway, rasa, actions, telegram_api, notice_after_s=3600.0)
    rasa.stop()
    gateway.post("/webhooks/telegram", text_update(1, "lệ phí khai sinh"), HEADER)
    [notice] = telegram_api.fake.wait_count(1, "sendMessage")  # at once, while Rasa is down
    assert notice.params["text"] == NOTICE
    # Rasa back but still loading its model (HTTP 503): three more tries fail, seen at the fake,
    # and none of them sends a second notice (each notice is sent before the next try).
    rasa.fake.rest_status = 503
    rasa.restart()
    rasa.fake.wait_received(3)
    assert len(telegram_api.fake.named("sendMessage")) == 1
    rasa.fake.rest_status = 200
    telegram_api.fake.wait_count(2, "sendMessage")
    assert telegram_api.fake.texts()[1] == "Bạn hỏi: lệ phí khai sinh"
    assert set(rasa.fake.texts()) == {"lệ phí khai sinh"}


def test_burst_during_outage_one_notice_then_answers_in_order(
    make_gateway: MakeGateway, rasa: Served, actions: Served, telegram_api: Served
) -> None:
    gateway = start(make_gateway, rasa, actions, telegram_api)
    rasa.stop()
    for i in range(3):
        gateway.post("/webhooks/telegram", text_update(10 + i, f"câu {i}"), HEADER)
    telegram_api.fake.wait_count(1, "sendMessage")
    # Still failing (loading, 503) for two more tries of the first message; then back.
    rasa.fake.rest_status = 503
    rasa.restart()
    rasa.fake.wait_received(2)
    rasa.fake.rest_status = 200
    telegram_api.fake.wait_count(4, "sendMessage")
    # A marker from the same chat: answered after everything before it, so nothing else came.
    gateway.post("/webhooks/telegram", text_update(20, "hết"), HEADER)
    telegram_api.fake.wait_count(5, "sendMessage")
    assert telegram_api.fake.texts() == [
        NOTICE,
        "Bạn hỏi: câu 0",
        "Bạn hỏi: câu 1",
        "Bạn hỏi: câu 2",
        "Bạn hỏi: hết",
    ]


def test_slow_rasa_gets_a_notice_then_the_answer_without_asking_twice(
    make_gateway: MakeGateway, rasa: Served, actions: Served, telegram_api: Served
) -> None:
    gateway = start(make_gateway, rasa, actions, telegram_api, notice_after_s=0.3)
    gate = rasa.fake.hold("chậm")  # slower than notice_after_s, however loaded the machine
    gateway.post("/webhooks/telegram", text_update(1, "chậm"), HEADER)
    telegram_api.fake.wait_count(1, "sendMessage")  # the notice, while Rasa holds the message
    gate.set()
    telegram_api.fake.wait_count(2, "sendMessage")
    assert telegram_api.fake.texts() == [NOTICE, "Bạn hỏi: chậm"]
    assert len(rasa.fake.received) == 1


def test_action_server_down_is_retried_until_it_answers(
    make_gateway: MakeGateway, rasa: Served, actions: Served, telegram_api: Served
) -> None:
    gateway = start(make_gateway, rasa, actions, telegram_api)
    actions.fake.healthy = False
    rasa.fake.script["hồ sơ khai sinh"] = ScriptedTurn([], "ask_documents")  # actions failing
    gateway.post("/webhooks/telegram", text_update(1, "hồ sơ khai sinh"), HEADER)
    [notice] = telegram_api.fake.wait_count(1, "sendMessage")
    assert notice.params["text"] == NOTICE
    rasa.fake.script["hồ sơ khai sinh"] = ScriptedTurn([{"text": "Cần tờ khai."}], "ask_documents")
    actions.fake.healthy = True
    telegram_api.fake.wait_count(2, "sendMessage")
    assert telegram_api.fake.texts()[1] == "Cần tờ khai."


def test_empty_answer_with_healthy_actions_is_not_retried(
    make_gateway: MakeGateway, rasa: Served, actions: Served, telegram_api: Served
) -> None:
    gateway = start(make_gateway, rasa, actions, telegram_api)
    rasa.fake.script["im lặng"] = ScriptedTurn([], "out_of_scope")
    gateway.post("/webhooks/telegram", text_update(1, "im lặng"), HEADER)
    [reply] = telegram_api.fake.wait_count(1, "sendMessage")
    assert reply.params["text"].startswith(messages.BOT_UNAVAILABLE.format(name=TEST_HOTLINE_NAME, number="0236.1022"))
    gateway.post("/webhooks/telegram", text_update(2, "hết"), HEADER)  # a marker, same chat
    telegram_api.fake.wait_count(2, "sendMessage")
    assert rasa.fake.texts() == ["im lặng", "hết"]  # not asked again before the marker


def test_nothing_is_lost_across_a_gateway_restart(
    make_gateway: MakeGateway, rasa: Served, actions: Served, telegram_api: Served
) -> None:
    first = start(make_gateway, rasa, actions, telegram_api)
    rasa.stop()
    update = text_update(77, "thủ tục kết hôn")
    first.post("/webhooks/telegram", update, HEADER)
    telegram_api.fake.wait_count(1, "sendMessage")
    first.stop()  # the message is still in the outbox
    rasa.restart()
    second = start(make_gateway, rasa, actions, telegram_api)
    telegram_api.fake.wait_count(2, "sendMessage")
    assert telegram_api.fake.texts() == [NOTICE, "Bạn hỏi: thủ tục kết hôn"]
    # Telegram redelivers the same update to the new process: it is not answered again.
    assert second.post("/webhooks/telegram", update, HEADER).status_code == 200
    second.post("/webhooks/telegram", text_update(78, "hết"), HEADER)  # a marker, same chat
    telegram_api.fake.wait_count(3, "sendMessage")
    assert telegram_api.fake.texts() == [NOTICE, "Bạn hỏi: thủ tục kết hôn", "Bạn hỏi: hết"]
    assert rasa.fake.texts() == ["thủ tục kết hôn", "hết"]
