"""Rate limits per sender and per address: the buckets on an injected clock, then /api/chat
(429 in the usual body, Retry-After), the channels (200 to the platform, one notice to the
citizen, extra messages dropped), and uvicorn's trusted proxies in the real process."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import (
    TELEGRAM_SECRET,
    TEST_HOTLINE_NUMBER,
    TEST_LOCALITY,
    Gateway,
    MakeGateway,
    Served,
    outbox_size,
    telegram_settings,
    wait_ready,
    wait_until,
)
from subprocess_gateway import start_gateway

from connectors import messages
from connectors.ratelimit import (
    ClientLimits,
    Limiter,
    Rate,
    Throttle,
    ThrottleVerdict,
    is_loopback,
    parse_rate,
)
from connectors.settings import Settings, SettingsError

TG_HEADER = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- pure parts ----------------------------------------------------------------------------------


def test_parse_rate() -> None:
    assert parse_rate("20/60") == Rate(20, 60.0)
    assert parse_rate(" 5 / 0.5 ") == Rate(5, 0.5)
    assert parse_rate("30/60s") == Rate(30, 60.0)
    for off in ("off", "OFF", "0", "0/60", "none"):
        assert parse_rate(off) is None
    for bad in ("20", "abc", "-1/60", "20/0", "20/-5", "1e9/1", "20/60/2"):
        with pytest.raises(ValueError):
            parse_rate(bad)


def test_bucket_allows_a_burst_then_one_per_interval() -> None:
    clock = Clock()
    limiter = Limiter(Rate(3, 60.0), clock)
    assert [limiter.hit("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.hit("a") == pytest.approx(20.0)  # one token every 60/3 s
    assert limiter.hit("b") == 0.0  # keys are independent
    clock.now += 10
    assert limiter.hit("a") == pytest.approx(10.0)  # a refused hit takes nothing
    clock.now += 10
    assert limiter.hit("a") == 0.0
    assert limiter.hit("a") > 0
    clock.now += 3600  # a long pause refills to the burst, not beyond
    assert [limiter.hit("a") for _ in range(4)][-1] > 0


def test_bucket_memory_is_bounded() -> None:
    clock = Clock()
    limiter = Limiter(Rate(1, 60.0), clock, max_keys=100)
    for n in range(10_000):
        limiter.hit(f"sender-{n}")
    assert len(limiter) == 100
    # The most recent keys are the ones kept: sender-9999 is still limited.
    assert limiter.hit("sender-9999") > 0


def test_throttle_tells_once_per_burst() -> None:
    clock = Clock()
    throttle = Throttle(Rate(2, 60.0), clock)
    decisions = [throttle.check("tg:1") for _ in range(5)]
    assert decisions == [
        ThrottleVerdict.ALLOW,
        ThrottleVerdict.ALLOW,
        ThrottleVerdict.NOTIFY,
        ThrottleVerdict.DROP,
        ThrottleVerdict.DROP,
    ]
    assert throttle.check("tg:2") is ThrottleVerdict.ALLOW
    clock.now += 30  # one token back
    assert throttle.check("tg:1") is ThrottleVerdict.ALLOW
    assert throttle.check("tg:1") is ThrottleVerdict.NOTIFY  # a new burst: told again


def test_client_limits_address_first_and_loopback_exempt() -> None:
    clock = Clock()
    limits = ClientLimits(Rate(2, 60.0), Rate(5, 60.0), exempt_loopback=True, clock=clock)
    assert all(limits.wait("127.0.0.1", f"s{n}") == 0 for n in range(50))
    assert all(limits.wait("::1", f"s{n}") == 0 for n in range(50))
    assert limits.wait("198.51.100.7", "x") == 0 and limits.wait("198.51.100.7", "x") == 0
    assert limits.wait("198.51.100.7", "x") == pytest.approx(30.0)
    # The refused address spent none of x's tokens: x has 3 of 5 left elsewhere.
    assert [limits.wait("198.51.100.8", "x") for _ in range(2)] == [0.0, 0.0]
    assert limits.wait("198.51.100.9", "x") == 0.0
    assert limits.wait("198.51.100.9", "x") > 0  # now x is out (5 used)
    strict = ClientLimits(Rate(1, 60.0), None, exempt_loopback=False, clock=clock)
    assert strict.wait("127.0.0.1", "a") == 0 and strict.wait("127.0.0.1", "b") > 0
    assert is_loopback("127.0.0.2") and not is_loopback("10.0.0.1") and not is_loopback("?")


def test_settings_from_the_environment() -> None:
    defaults = Settings.from_env({})
    assert defaults.rate_chat_sender == Rate(20, 60.0)
    assert defaults.rate_chat_ip == Rate(600, 60.0)
    assert defaults.rate_webhook_user == Rate(20, 60.0)
    assert defaults.rate_webhook_ip is None
    assert defaults.rate_exempt_loopback is True
    assert defaults.trusted_proxies == "127.0.0.1"
    custom = Settings.from_env(
        {
            "TROLYAO_RATE_CHAT_SENDER": "5/10",
            "TROLYAO_RATE_CHAT_IP": "off",
            "TROLYAO_RATE_WEBHOOK_USER": "0",
            "TROLYAO_RATE_WEBHOOK_IP": "100/1",
            "TROLYAO_RATE_EXEMPT_LOOPBACK": "no",
            "TROLYAO_TRUSTED_PROXIES": " 10.0.0.0/8,192.168.1.5 ",
        }
    )
    assert custom.rate_chat_sender == Rate(5, 10.0) and custom.rate_chat_ip is None
    assert custom.rate_webhook_user is None and custom.rate_webhook_ip == Rate(100, 1.0)
    assert custom.rate_exempt_loopback is False
    assert custom.trusted_proxies == "10.0.0.0/8,192.168.1.5"
    assert Settings.from_env({"TROLYAO_TRUSTED_PROXIES": ""}).trusted_proxies == ""
    with pytest.raises(SettingsError, match="TROLYAO_RATE_CHAT_SENDER"):
        Settings.from_env({"TROLYAO_RATE_CHAT_SENDER": "twenty"})
    with pytest.raises(SettingsError, match="TROLYAO_RATE_EXEMPT_LOOPBACK"):
        Settings.from_env({"TROLYAO_RATE_EXEMPT_LOOPBACK": "maybe"})


# --- /api/chat -----------------------------------------------------------------------------------


def chat(gateway: Gateway, sender: str, ip: str | None = None, text: str = "xin chào") -> httpx.Response:
    headers = {"X-Forwarded-For": ip} if ip else {}
    body = {"sender_id": sender, "text": text, "channel": "web"}
    return gateway.client.post("/api/chat", json=body, headers=headers)


def test_a_fast_sender_gets_429_in_the_chat_shape(make_gateway: MakeGateway, rasa: Served) -> None:
    gateway = make_gateway(rasa.url, rate_chat_sender=Rate(3, 60.0))
    assert [chat(gateway, "nhanh").status_code for _ in range(3)] == [200, 200, 200]
    refused = chat(gateway, "nhanh")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "20"
    body = refused.json()
    assert set(body) == {"replies", "intent", "procedure", "codes"}
    assert body["intent"] is None and body["procedure"] is None and body["codes"] == []
    [reply] = body["replies"]
    assert reply["text"].startswith("Bạn đang gửi tin nhắn quá nhanh")
    assert "20 giây" in reply["text"] and TEST_HOTLINE_NUMBER in reply["text"]
    assert reply["buttons"] == [{"title": f"Gọi {TEST_HOTLINE_NUMBER}", "phone": "02361022"}]
    assert len(rasa.fake.received) == 3  # the refused message never reached Rasa
    assert chat(gateway, "cham").status_code == 200  # other citizens are not held up


def test_address_limit_believes_forwarded_for_from_a_trusted_proxy(make_gateway: MakeGateway, rasa: Served) -> None:
    # The test servers run uvicorn's defaults: the peer 127.0.0.1 is a trusted proxy.
    gateway = make_gateway(rasa.url, rate_chat_ip=Rate(2, 60.0))
    assert [chat(gateway, f"s{n}", "198.51.100.7").status_code for n in range(3)] == [200, 200, 429]
    assert chat(gateway, "s9", "198.51.100.8").status_code == 200
    # No header: the peer itself, loopback, exempt by default (local benchmarks, tests).
    assert all(chat(gateway, f"local{n}").status_code == 200 for n in range(6))


def test_loopback_is_limited_when_not_exempt(make_gateway: MakeGateway, rasa: Served) -> None:
    gateway = make_gateway(rasa.url, rate_chat_ip=Rate(2, 60.0), rate_exempt_loopback=False)
    assert [chat(gateway, f"s{n}").status_code for n in range(3)] == [200, 200, 429]


def test_defaults_do_not_throttle_the_load_benchmark(make_gateway: MakeGateway, rasa: Served) -> None:
    """trolyao.bench.load's shape: 8 concurrent senders from 127.0.0.1, a short conversation
    each, many senders in a row."""
    gateway = make_gateway(rasa.url)

    def user(n: int) -> list[int]:
        turns = ["khai sinh", "cần giấy tờ gì", "lệ phí", "nộp ở đâu", "cảm ơn"]
        return [chat(gateway, f"load-{n}", text=text).status_code for text in turns]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = [status for result in pool.map(user, range(24)) for status in result]
    assert statuses == [200] * 120


# --- channels ------------------------------------------------------------------------------------


def update(update_id: int, text: str, chat_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Lan"},
            "text": text,
        },
    }


def test_a_fast_citizen_on_a_channel_is_told_once_and_not_refused(
    make_gateway: MakeGateway, rasa: Served, actions: Served, telegram_api: Served
) -> None:
    gateway = make_gateway(rasa.url, actions.url, rate_webhook_user=Rate(2, 60.0), **telegram_settings(telegram_api))
    wait_ready(gateway, "telegram")
    # Five messages at once: the platform gets 200 for each (a 429 would make it retry).
    statuses = [
        gateway.post("/webhooks/telegram", update(n, f"câu {n}", 42), TG_HEADER).status_code for n in range(1, 6)
    ]
    assert statuses == [200] * 5
    assert gateway.post("/webhooks/telegram", update(9, "người khác", 43), TG_HEADER).status_code == 200
    telegram_api.fake.wait_count(4, "sendMessage")  # 2 answers + 1 notice to 42, 1 answer to 43
    # Nothing else was accepted: the outbox is empty once these are answered (a dropped message
    # never enters it; a queued one would stay until Rasa had it).
    wait_until(lambda: outbox_size(gateway) == 0, what="an empty outbox")
    sent = [(call.params["chat_id"], call.params["text"]) for call in telegram_api.fake.named("sendMessage")]
    notice = messages.TOO_FAST_CHANNEL.format(name=gateway.app.state.hotline.name, number=TEST_HOTLINE_NUMBER)
    assert sorted(sent) == sorted(
        [("42", "Bạn hỏi: câu 1"), ("42", "Bạn hỏi: câu 2"), ("42", notice), ("43", "Bạn hỏi: người khác")]
    )
    assert sorted(rasa.fake.texts()) == ["câu 1", "câu 2", "người khác"]
    # A redelivery of a dropped message stays dropped (its id is remembered): right after its
    # 200 it is neither in the outbox nor at Rasa, where an accepted message must be.
    assert gateway.post("/webhooks/telegram", update(4, "câu 4", 42), TG_HEADER).status_code == 200
    assert (outbox_size(gateway), sorted(rasa.fake.texts())) == (0, ["câu 1", "câu 2", "người khác"])


def test_webhook_address_limit_is_off_by_default_and_configurable(
    make_gateway: MakeGateway, rasa: Served, telegram_api: Served
) -> None:
    wrong = {"X-Telegram-Bot-Api-Secret-Token": "wrong", "X-Forwarded-For": "149.154.167.200"}
    default = make_gateway(rasa.url, **telegram_settings(telegram_api))
    wait_ready(default, "telegram")
    assert {default.post("/webhooks/telegram", {}, wrong).status_code for _ in range(40)} == {403}
    limited = make_gateway(rasa.url, rate_webhook_ip=Rate(2, 60.0), **telegram_settings(telegram_api))
    wait_ready(limited, "telegram")
    statuses = [limited.post("/webhooks/telegram", {}, wrong).status_code for _ in range(3)]
    assert statuses == [403, 403, 429]
    refused = limited.post("/webhooks/telegram", {}, wrong)
    assert refused.headers["Retry-After"] == "30"
    assert refused.json() == {"error": messages.TOO_MANY_REQUESTS}
    other = {**wrong, "X-Forwarded-For": "149.154.167.201"}
    assert limited.post("/webhooks/telegram", {}, other).status_code == 403


# --- the real process: which X-Forwarded-For is believed ------------------------------------------


@pytest.mark.parametrize(("trusted", "spoofable"), [("", False), ("127.0.0.1", True)])
def test_trusted_proxies_setting_reaches_uvicorn(
    trusted: str, spoofable: bool, rasa: Served, actions: Served, content_dir: Path, tmp_path: Path
) -> None:
    env = {
        "RASA_URL": rasa.url,
        "ACTIONS_URL": actions.url,
        "TROLYAO_CONTENT_DIR": str(content_dir),
        "TROLYAO_LOCALITY": TEST_LOCALITY,
        "TROLYAO_RATE_CHAT_IP": "2/60",
        "TROLYAO_RATE_EXEMPT_LOOPBACK": "0",
        "TROLYAO_TRUSTED_PROXIES": trusted,
    }
    gateway = start_gateway(env, tmp_path)
    try:
        with httpx.Client(base_url=gateway.url, timeout=20, trust_env=False) as client:
            statuses = [
                client.post(
                    "/api/chat",
                    json={"sender_id": f"s{n}", "text": "chào"},
                    headers={"X-Forwarded-For": f"198.51.100.{n}"},
                ).status_code
                for n in range(1, 4)
            ]
        # Believed: three addresses, none over its limit. Not believed: one peer, 127.0.0.1.
        assert statuses == ([200, 200, 200] if spoofable else [200, 200, 429])
    finally:
        gateway.stop()
