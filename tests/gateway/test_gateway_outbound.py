"""The durable outbound queue (issue 15): answers and officers' messages survive a platform
that is unreachable, rate-limits, refuses tokens or calls a message too long, and a gateway
restart; every answer arrives once, in order per citizen, after the platform is back.

The platforms are the recording fakes of platform_fakes.py answering with the platforms' real
error bodies; outages are ended by the test when it is ready (nothing waits on a clock)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import (
    DEAD_URL,
    PUBLIC_URL,
    TELEGRAM_SECRET,
    TEST_LOCALITY,
    ZALO_BOT_SECRET,
    Gateway,
    MakeGateway,
    Served,
    officer_settings,
    telegram_settings,
    wait_ready,
    wait_until,
    zalo_bot_settings,
    zalo_settings,
)
from gateway_fakes import ScriptedTurn
from gateway_process import GatewayProcess, Launcher, telegram_env
from platform_fakes import (
    TELEGRAM_429,
    TELEGRAM_502,
    TELEGRAM_BLOCKED,
    ZALO_BOT_429,
    ZALO_BOT_503,
    ZALO_OA_32,
    ZALO_OA_220,
)
from test_console import login
from test_gateway_telegram import text_update
from test_gateway_zalo import event, signed
from test_gateway_zalo_bot import update

from connectors import messages
from connectors.state import ChannelState
from tthc.records import RecordStore
from tthc.records.accounts import Accounts

TELEGRAM_HEADER = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
ZALO_BOT_HEADER = {"X-Bot-Api-Secret-Token": ZALO_BOT_SECRET}


@dataclass
class Harness:
    """One channel as the tests drive it: its settings, a citizen's message, what arrived."""

    name: str
    fixture: str  # the fake platform's fixture
    settings: Callable[[Served], dict[str, Any]]
    post: Callable[[Gateway, str, int, str], None]  # (gateway, user, message number, text)
    arrived: Callable[[Any], list[tuple[str, str]]]  # (user, text) the platform took, in order
    users: tuple[str, str]


def _post_telegram(gateway: Gateway, user: str, number: int, text: str) -> None:
    body = text_update(number, text, chat_id=int(user))
    assert gateway.post("/webhooks/telegram", body, TELEGRAM_HEADER).status_code == 200


def _post_zalo(gateway: Gateway, user: str, number: int, text: str) -> None:
    body = event("user_send_text", f"m{number}", user=user, text=text)
    assert gateway.post("/webhooks/zalo", body, signed(body)).status_code == 200


def _post_zalo_bot(gateway: Gateway, user: str, number: int, text: str) -> None:
    body = update(f"m{number}", text, chat=user)
    assert gateway.post("/webhooks/zalo-bot", body, ZALO_BOT_HEADER).status_code == 200


HARNESSES = {
    "telegram": Harness(
        "telegram", "telegram_api", telegram_settings, _post_telegram,
        lambda fake: [(c.params["chat_id"], c.params["text"]) for c in fake.accepted("sendMessage")],
        ("701", "702"),
    ),
    "zalo": Harness(
        "zalo", "zalo_api", zalo_settings, _post_zalo,
        lambda fake: [(c.params["recipient"]["user_id"], c.params["message"]["text"]) for c in fake.accepted("cs")],
        ("u-701", "u-702"),
    ),
    "zalo-bot": Harness(
        "zalo-bot", "zalo_bot_api", zalo_bot_settings, _post_zalo_bot,
        lambda fake: [(c.params["chat_id"], c.params["text"]) for c in fake.accepted("sendMessage")],
        ("c-701", "c-702"),
    ),
}  # fmt: skip


def outbound(gateway: Gateway) -> dict[str, Any]:
    health = gateway.client.get("/health").json()
    return health["outbound"]


def tries(gateway: Gateway, channel: str, user: str) -> int:
    """How often the gateway tried the citizen's oldest queued message (0: nothing queued)."""
    send = gateway.app.state.store.next_send(channel, user)
    return send.attempts if send is not None else 0


def start(make_gateway: MakeGateway, rasa: Served, actions: Served, harness: Harness, api: Served,
          **extra: Any) -> Gateway:  # fmt: skip
    gateway = make_gateway(rasa.url, actions.url, **harness.settings(api), **extra)
    wait_ready(gateway, harness.name)
    return gateway


# --- every channel: an outage of the platform ---------------------------------------------------


@pytest.mark.parametrize("channel", sorted(HARNESSES))
def test_answers_wait_for_an_unreachable_platform_and_arrive_once_in_order(
    channel: str, make_gateway: MakeGateway, rasa: Served, actions: Served, request: pytest.FixtureRequest
) -> None:
    harness = HARNESSES[channel]
    api: Served = request.getfixturevalue(harness.fixture)
    gateway = start(make_gateway, rasa, actions, harness, api)
    api.stop()  # connection refused from now on
    expected = []
    for number in range(1, 4):
        for user in harness.users:
            text = f"câu {number} của {user}"
            harness.post(gateway, user, number * 10 + harness.users.index(user), text)
            expected.append((user, f"Bạn hỏi: {text}"))
    wait_until(lambda: outbound(gateway)["depth"] == 6, what="six answers queued")
    for user in harness.users:  # tried, refused, kept (the issue: dropped after 1.5 s)
        wait_until(lambda user=user: tries(gateway, channel, user) >= 3, what="several tries")
    assert outbound(gateway)["oldest_age_s"] > 0
    api.restart()
    wait_until(lambda: outbound(gateway)["depth"] == 0, what="the queue emptied")
    arrived = harness.arrived(api.fake)
    assert sorted(arrived) == sorted(expected)  # every answer, none twice
    for user in harness.users:  # in order per citizen
        assert [text for who, text in arrived if who == user] == [text for who, text in expected if who == user]


@pytest.mark.parametrize(
    ("channel", "fault", "method"),
    [("telegram", TELEGRAM_502, "sendMessage"), ("zalo-bot", ZALO_BOT_503, "sendMessage"),
     ("zalo", ZALO_OA_32, "cs")],
)  # fmt: skip
def test_server_errors_and_rate_limits_are_retried_until_the_platform_takes_the_answer(
    channel: str, fault: Any, method: str, make_gateway: MakeGateway, rasa: Served, actions: Served,
    request: pytest.FixtureRequest,
) -> None:  # fmt: skip
    harness = HARNESSES[channel]
    api: Served = request.getfixturevalue(harness.fixture)
    gateway = start(make_gateway, rasa, actions, harness, api)
    back = api.fake.fail_until(method, fault)
    user = harness.users[0]
    harness.post(gateway, user, 1, "lệ phí")
    harness.post(gateway, user, 2, "thời hạn")
    api.fake.wait_for(lambda f: len(f.named(method)) >= 3, what="three refused sends")
    assert harness.arrived(api.fake) == []
    back.set()
    wait_until(lambda: outbound(gateway)["depth"] == 0, what="the queue emptied")
    assert harness.arrived(api.fake) == [(user, "Bạn hỏi: lệ phí"), (user, "Bạn hỏi: thời hạn")]


# --- Telegram ---------------------------------------------------------------------------------


def test_telegram_429_waits_retry_after_each_time_and_the_answer_arrives(
    make_gateway: MakeGateway, rasa: Served, actions: Served, telegram_api: Served
) -> None:
    harness = HARNESSES["telegram"]
    gateway = start(make_gateway, rasa, actions, harness, telegram_api)
    fake = telegram_api.fake
    fake.fail_next("sendMessage", TELEGRAM_429, TELEGRAM_429, TELEGRAM_429)  # the issue: lost after three
    harness.post(gateway, "701", 1, "lệ phí")
    [*refused, taken] = fake.wait_count(4, "sendMessage", timeout=15)
    assert [call.ok for call in (*refused, taken)] == [False, False, False, True]
    calls = [*refused, taken]
    assert all(later.at - earlier.at >= 0.95 for earlier, later in zip(calls, calls[1:]))  # retry_after: 1
    assert taken.params["text"] == "Bạn hỏi: lệ phí"
    wait_until(lambda: outbound(gateway)["depth"] == 0, what="the queue emptied")
    assert len(fake.accepted("sendMessage")) == 1


def test_telegram_message_too_long_is_split_and_never_logged_answered_after_not_delivered(
    make_gateway: MakeGateway, rasa: Served, actions: Served, telegram_api: Served,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    fake = telegram_api.fake
    fake.max_text = 1000  # Telegram counts differently than the gateway: "message is too long"
    paragraphs = [f"Bước {i}: " + ("nộp hồ sơ tại bộ phận một cửa. " * 12).strip() for i in range(7)]
    long = "\n\n".join(paragraphs)  # about 2,700 characters: one message for the gateway
    rasa.fake.script["dài"] = ScriptedTurn([{"text": long}], "ask_documents")
    with caplog.at_level(logging.INFO, logger="connectors"):
        gateway = start(make_gateway, rasa, actions, HARNESSES["telegram"], telegram_api)
        _post_telegram(gateway, "701", 1, "dài")
        wait_until(lambda: fake.accepted("sendMessage") and outbound(gateway)["depth"] == 0, what="sent")
    texts = [call.params["text"] for call in fake.accepted("sendMessage")]
    assert len(texts) >= 3 and all(len(text) <= 1000 for text in texts)
    assert " ".join(" ".join(texts).split()) == " ".join(long.split())
    lines = [record.getMessage() for record in caplog.records]
    assert not any("not delivered" in line for line in lines)
    assert any("delivered (" in line for line in lines)


def test_a_citizen_who_blocked_the_bot_is_dropped_with_a_log_line_and_others_go_on(
    make_gateway: MakeGateway, rasa: Served, actions: Served, telegram_api: Served,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    fake = telegram_api.fake
    gateway = start(make_gateway, rasa, actions, HARNESSES["telegram"], telegram_api)
    fake.fail_next("sendMessage", TELEGRAM_BLOCKED)
    with caplog.at_level(logging.ERROR, logger="connectors.outbound"):
        _post_telegram(gateway, "701", 1, "chặn")
        _post_telegram(gateway, "702", 2, "người khác")
        fake.wait_for(lambda f: len(f.accepted("sendMessage")) == 1, what="the other citizen's answer")
        wait_until(lambda: outbound(gateway)["depth"] == 0, what="the queue emptied")
    assert [c.params["text"] for c in fake.named("sendMessage")].count("Bạn hỏi: chặn") == 1  # not retried
    assert any("refused for good" in r.getMessage() and "blocked" in r.getMessage() for r in caplog.records)


def test_a_late_answer_quotes_the_question(
    make_gateway: MakeGateway, rasa: Served, actions: Served, telegram_api: Served
) -> None:
    harness = HARNESSES["telegram"]
    gateway = start(make_gateway, rasa, actions, harness, telegram_api, late_answer_s=0.2)
    telegram_api.stop()
    _post_telegram(gateway, "701", 1, "lệ phí khai sinh")
    # Three tries take at least 0.08 + 0.16 s (the doubling wait): the answer is late by then.
    wait_until(lambda: tries(gateway, "telegram", "701") >= 3, what="three tries")
    telegram_api.restart()
    wait_until(lambda: outbound(gateway)["depth"] == 0, what="the queue emptied")
    [text] = [call.params["text"] for call in telegram_api.fake.accepted("sendMessage")]
    assert text == messages.LATE_ANSWER.format(question="lệ phí khai sinh") + "\n\nBạn hỏi: lệ phí khai sinh"


def test_an_answer_on_time_is_not_quoted(
    make_gateway: MakeGateway, rasa: Served, actions: Served, telegram_api: Served
) -> None:
    gateway = start(make_gateway, rasa, actions, HARNESSES["telegram"], telegram_api)
    _post_telegram(gateway, "701", 1, "lệ phí khai sinh")
    [call] = telegram_api.fake.wait_count(1, "sendMessage")
    assert call.params["text"] == "Bạn hỏi: lệ phí khai sinh"


# --- Zalo OA ------------------------------------------------------------------------------------


def test_zalo_oa_220_refreshes_the_token_like_216(
    make_gateway: MakeGateway, rasa: Served, actions: Served, zalo_api: Served
) -> None:
    fake = zalo_api.fake
    fake.valid_access.clear()
    fake.token_error = ZALO_OA_220  # {"error": -220, "message": "access_token is expired or removed"}
    gateway = start(make_gateway, rasa, actions, HARNESSES["zalo"], zalo_api)
    _post_zalo(gateway, "u-701", 1, "xin chào")
    fake.wait_for(lambda f: f.messages(), what="the answer")
    assert [c.headers["access_token"] for c in fake.named("cs")] == ["access-0", "access-1"]
    assert len(fake.named("oauth")) == 1
    assert fake.messages() == [{"text": "Bạn hỏi: xin chào"}]


def test_one_token_refresh_serves_every_replica(
    make_gateway: MakeGateway, rasa: Served, actions: Served, zalo_api: Served
) -> None:
    fake = zalo_api.fake
    harness = HARNESSES["zalo"]
    first = start(make_gateway, rasa, actions, harness, zalo_api, port=18001)
    second = start(make_gateway, rasa, actions, harness, zalo_api, port=18002)  # same state database
    assert first.app.state.store.owner != second.app.state.store.owner
    fake.valid_access.clear()  # the token every replica holds has expired
    fake.token_error = ZALO_OA_220
    _post_zalo(first, "u-701", 1, "một")
    _post_zalo(second, "u-702", 2, "hai")
    fake.wait_for(lambda f: len(f.messages()) == 2, what="both answers")
    assert len(fake.named("oauth")) == 1  # the single-use refresh token is spent once
    assert sorted(m["text"] for m in fake.messages()) == ["Bạn hỏi: hai", "Bạn hỏi: một"]


def test_a_send_without_an_answer_is_tried_once_more_and_counted(
    make_gateway: MakeGateway, rasa: Served, actions: Served, zalo_api: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("connectors.app.PLATFORM_TIMEOUT", httpx.Timeout(0.5))
    fake = zalo_api.fake
    fake.stall_s = 1.5  # longer than the gateway waits for an answer
    gateway = start(make_gateway, rasa, actions, HARNESSES["zalo"], zalo_api)
    fake.stall_next("cs", 2)
    _post_zalo(gateway, "u-701", 1, "không rõ")
    _post_zalo(gateway, "u-701", 2, "tiếp")
    fake.wait_for(lambda f: any(m["text"] == "Bạn hỏi: tiếp" for m in f.messages()), what="the next answer")
    texts = [call.params["message"]["text"] for call in fake.named("cs")]
    assert texts == ["Bạn hỏi: không rõ", "Bạn hỏi: không rõ", "Bạn hỏi: tiếp"]  # once more, not a third time
    wait_until(lambda: outbound(gateway)["depth"] == 0, what="the queue emptied")
    assert outbound(gateway)["unknown_outcomes"] == 2


def test_an_officer_message_waits_for_the_platform_and_is_marked_delivered_once(
    make_gateway: MakeGateway, rasa: Served, actions: Served, zalo_api: Served, records: RecordStore
) -> None:
    gateway = start(make_gateway, rasa, actions, HARNESSES["zalo"], zalo_api, **officer_settings())
    zalo_api.stop()
    ticket = records.create_ticket("zalo:u-701", "zalo", "UBND phường", "Nội dung", None)
    answer = gateway.admin("POST", f"/tickets/{ticket.code}/answer", json={"answer": "Đã xử lý.", "officer": "a"})
    assert answer.status_code == 200
    wait_until(lambda: tries(gateway, "zalo", "u-701") >= 2, what="tried while Zalo is down")
    assert len(records.undelivered()) == 1
    zalo_api.restart()
    wait_until(lambda: records.undelivered() == [], what="marked delivered")
    assert [m["text"] for m in zalo_api.fake.messages()] == [f"Trả lời phản ánh {ticket.code}: Đã xử lý."]
    assert outbound(gateway)["depth"] == 0


def test_the_console_dashboard_shows_the_queue(
    make_gateway: MakeGateway, rasa: Served, actions: Served, telegram_api: Served, records: RecordStore
) -> None:
    gateway = start(make_gateway, rasa, actions, HARNESSES["telegram"], telegram_api)
    Accounts(records).add("Lan", "viewer", "mật-khẩu-dài-123")
    assert messages.OUTBOUND_EMPTY in login(gateway, "Lan", "mật-khẩu-dài-123").text
    telegram_api.stop()
    _post_telegram(gateway, "701", 1, "lệ phí")
    wait_until(lambda: outbound(gateway)["depth"] == 1, what="the answer queued")
    page = gateway.client.get("/admin/dashboard").text
    assert messages.OUTBOUND_WAITING.format(depth=1, minutes=1) in page


# --- several replicas -----------------------------------------------------------------------------


def test_replicas_sharing_the_queue_send_one_citizens_answers_once_and_in_order(
    make_gateway: MakeGateway, rasa: Served, actions: Served, zalo_bot_api: Served
) -> None:
    harness = HARNESSES["zalo-bot"]
    first = start(make_gateway, rasa, actions, harness, zalo_bot_api, port=18001)
    second = start(make_gateway, rasa, actions, harness, zalo_bot_api, port=18002)
    zalo_bot_api.stop()
    for number, replica in enumerate([first, second, first, second], start=1):  # as a load balancer would
        harness.post(replica, "c-701", number, f"câu {number}")
        wait_until(lambda number=number: outbound(first)["depth"] == number, what=f"answer {number} queued")
    first.stop()  # one replica goes away (its citizens are left to the other)
    zalo_bot_api.restart()
    wait_until(lambda: outbound(second)["depth"] == 0, what="the queue emptied")
    assert harness.arrived(zalo_bot_api.fake) == [("c-701", f"Bạn hỏi: câu {n}") for n in range(1, 5)]


def test_a_replica_sends_nothing_for_a_citizen_another_live_replica_works_on(tmp_path: Any) -> None:
    path = tmp_path / "state.sqlite3"
    first, second = ChannelState(path, owner="a:1"), ChannelState(path, owner="b:2")
    first.queue_send("telegram", "7", "answer", [{"text": "một"}], 60)
    first.queue_send("telegram", "8", "answer", [{"text": "hai"}], 60)
    assert first.hold("telegram:7", 60)
    assert second.citizens_waiting({"telegram"}) == [("telegram", "8")]
    assert not second.hold("telegram:7", 60)
    first.release()
    assert sorted(second.citizens_waiting({"telegram"})) == [("telegram", "7"), ("telegram", "8")]
    assert second.hold("telegram:7", 60)
    first.close()
    second.close()


# --- Zalo Bot -------------------------------------------------------------------------------------


def test_zalo_bot_429_is_retried(
    make_gateway: MakeGateway, rasa: Served, actions: Served, zalo_bot_api: Served
) -> None:
    gateway = start(make_gateway, rasa, actions, HARNESSES["zalo-bot"], zalo_bot_api)
    zalo_bot_api.fake.fail_next("sendMessage", ZALO_BOT_429)
    _post_zalo_bot(gateway, "c-701", 1, "lệ phí")
    [refused, taken] = zalo_bot_api.fake.wait_count(2, "sendMessage", timeout=15)
    assert (refused.ok, taken.ok) == (False, True) and taken.at - refused.at >= 0.95
    assert taken.params["text"] == "Bạn hỏi: lệ phí"


# --- a gateway restart (real processes) -------------------------------------------------------

FAST_SENDS = {"CHANNEL_SEND_RETRY_FIRST_S": "0.1", "CHANNEL_SEND_RETRY_MAX_S": "0.4"}


@pytest.fixture
def launch(tmp_path: Path, content_dir: Path) -> Iterator[Launcher]:
    launcher = Launcher(tmp_path, content_dir, TEST_LOCALITY, DEAD_URL)
    yield launcher
    launcher.close()


def process_outbound(gateway: GatewayProcess) -> dict[str, Any]:
    return httpx.get(gateway.url + "/health", timeout=5, trust_env=False).json()["outbound"]


def post_process(gateway: GatewayProcess, update_id: int, text: str) -> None:
    body = text_update(update_id, text, chat_id=701)
    response = httpx.post(gateway.url + "/webhooks/telegram", json=body, headers=TELEGRAM_HEADER, trust_env=False)
    assert response.status_code == 200


def test_a_restart_sends_the_rest_of_a_half_sent_answer_and_the_queued_ones_once(
    launch: Launcher, rasa: Served, actions: Served, telegram_api: Served
) -> None:
    fake = telegram_api.fake
    button = [{"title": "Tiếp", "payload": "/tiep"}]  # keeps the three parts apart
    parts = [{"text": text, "buttons": button} for text in ("một", "hai", "ba")]
    rasa.fake.script["ba phần"] = ScriptedTurn(parts, "ask_fee")
    env = {**telegram_env(telegram_api.url, fake.token, TELEGRAM_SECRET, PUBLIC_URL), **FAST_SENDS}
    first = launch(rasa.url, actions.url, channels=("telegram",), **env)
    back = fake.fail_until("sendMessage", TELEGRAM_502, after=1)  # part one goes, then Bad Gateway
    post_process(first, 1, "ba phần")
    post_process(first, 2, "tiếp")
    fake.wait_for(lambda f: len(f.named("sendMessage")) >= 4, what="part one, then refused tries")
    wait_until(lambda: process_outbound(first)["depth"] == 2, what="both answers queued")
    assert first.stop() == 0  # SIGTERM while the platform still fails
    back.set()
    second = launch(rasa.url, actions.url, channels=("telegram",), **env)
    wait_until(lambda: process_outbound(second)["depth"] == 0, timeout=20, what="the queue emptied")
    assert [c.params["text"] for c in fake.accepted("sendMessage")] == ["một", "hai", "ba", "Bạn hỏi: tiếp"]
    assert rasa.fake.texts() == ["ba phần", "tiếp"]  # answered by Rasa once, before the restart


def test_answers_queued_when_the_gateway_is_killed_are_sent_once_after_it_starts_again(
    launch: Launcher, rasa: Served, actions: Served, telegram_api: Served
) -> None:
    fake = telegram_api.fake
    env = {**telegram_env(telegram_api.url, fake.token, TELEGRAM_SECRET, PUBLIC_URL), **FAST_SENDS}
    first = launch(rasa.url, actions.url, channels=("telegram",), **env)
    telegram_api.stop()
    post_process(first, 1, "một")
    post_process(first, 2, "hai")
    wait_until(lambda: process_outbound(first)["depth"] == 2, what="both answers queued")
    first.kill()  # kill -9: no shutdown, no lease given back
    telegram_api.restart()
    second = launch(rasa.url, actions.url, channels=("telegram",), **env)
    wait_until(lambda: process_outbound(second)["depth"] == 0, timeout=20, what="the queue emptied")
    assert [c.params["text"] for c in fake.accepted("sendMessage")] == ["Bạn hỏi: một", "Bạn hỏi: hai"]


# --- what an error proves, and reshaping a message ----------------------------------------------


def test_what_each_platform_error_proves() -> None:
    from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

    from connectors.channels import telegram, zalo
    from connectors.channels.base import transport_error
    from connectors.channels.zalo_bot import ApiError

    limited = telegram.send_error(RetryAfter(7))
    assert limited.retryable and limited.retry_after == 7.0
    assert telegram.send_error(BadRequest("Message is too long")).too_long
    assert telegram.send_error(BadRequest("Chat not found")).gone
    assert telegram.send_error(Forbidden("Forbidden: bot was blocked by the user")).gone
    refused = telegram.send_error(BadRequest("Bad Request: can't parse entities"))
    assert not (refused.retryable or refused.gone or refused.unknown or refused.too_long)
    assert telegram.send_error(NetworkError("Bad Gateway")).retryable
    read_timeout, connect_timeout = TimedOut(), TimedOut()
    read_timeout.__cause__ = httpx.ReadTimeout("no answer")
    connect_timeout.__cause__ = httpx.ConnectTimeout("no connection")
    assert telegram.send_error(read_timeout).unknown and not telegram.send_error(read_timeout).retryable
    assert telegram.send_error(connect_timeout).retryable
    assert transport_error("X", httpx.ConnectError("refused")).retryable
    assert transport_error("X", httpx.RemoteProtocolError("closed")).unknown
    assert zalo.send_error(-32, "Exceed rate limit").retryable
    assert zalo.send_error(-220, "access_token is expired or removed").retryable
    assert zalo.send_error(-230, "outside").window_closed
    assert not zalo.send_error(-201, "invalid").retryable
    too_many = ApiError("sendMessage", 429, {"error_code": 429, "parameters": {"retry_after": 3}})
    assert too_many.retryable and too_many.retry_after == 3.0
    assert ApiError("sendMessage", 200, {"error_code": 403, "description": "Forbidden"}).gone
    assert ApiError("sendMessage", 503, {}).retryable


def test_a_part_too_long_is_halved_and_a_late_answer_quoted() -> None:
    from connectors.outbound import halves, quoted

    text = "Một câu. " * 50
    pieces = halves({"text": text, "buttons": [{"title": "A", "payload": "/a"}]})
    assert len(pieces) == 2 and "buttons" not in pieces[0] and pieces[1]["buttons"] == [{"title": "A", "payload": "/a"}]
    assert " ".join(p["text"] for p in pieces).split() == text.split()
    assert halves({"image": "https://x.vn/qr.png", "text": "chú thích"}) == [
        {"image": "https://x.vn/qr.png"}, {"text": "chú thích"}]  # fmt: skip
    assert halves({"text": "a"}) == [{"text": "a"}]
    quote = messages.LATE_ANSWER.format(question="lệ phí")
    assert quoted([{"text": "Miễn."}], " lệ   phí ", 4095) == [{"text": f"{quote}\n\nMiễn."}]
    assert quoted([{"image": "https://x.vn/qr.png"}], "lệ phí", 4095) == [
        {"text": quote},
        {"image": "https://x.vn/qr.png"},
    ]
    long_question = quoted([{"text": "x"}], "hỏi " * 100, None)[0]["text"]
    assert "…”" in long_question and len(long_question) < 140


def test_the_queue_settings_have_defaults_and_read_the_environment() -> None:
    from connectors.settings import Settings

    default = Settings.from_env({})
    assert (default.send_retry_first_s, default.send_retry_max_s) == (1.0, 60.0)
    assert (default.send_retry_for_s, default.late_answer_s) == (86_400.0, 300.0)
    custom = Settings.from_env({"CHANNEL_SEND_RETRY_FOR_S": "3600", "CHANNEL_LATE_ANSWER_S": "120"})
    assert (custom.send_retry_for_s, custom.late_answer_s) == (3600.0, 120.0)
