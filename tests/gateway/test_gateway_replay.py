"""The Zalo OA replay window: an authentic event dated outside it is acknowledged (200, so the
platform does not redeliver) and never answered. Telegram and Zalo Bot sign no timestamp:
their defence is the secret token and the message-id dedupe, tested here too."""

from __future__ import annotations

import hashlib
import json
import time

import pytest
from conftest import (
    TELEGRAM_SECRET,
    ZALO_APP,
    ZALO_KEY,
    Gateway,
    MakeGateway,
    Served,
    telegram_settings,
    wait_ready,
    zalo_settings,
)

from connectors import messages
from connectors.settings import Settings, SettingsError
from connectors.webhook_auth import Verdict, Window, verify_zalo_oa, within

WINDOW = Window(max_age_s=300, max_ahead_s=60)
IGNORED = {"ok": True, "ignored": messages.EVENT_STALE}


def event(msg_id: str, offset_s: float, text: str = "lệ phí khai sinh", timestamp: str | None = None) -> bytes:
    stamp = timestamp if timestamp is not None else str(int((time.time() + offset_s) * 1000))
    body = {
        "app_id": ZALO_APP,
        "event_name": "user_send_text",
        "timestamp": stamp,
        "sender": {"id": "u-7"},
        "recipient": {"id": "oa-1"},
        "message": {"msg_id": msg_id, "text": text},
    }
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def signed(body: bytes) -> dict[str, str]:
    stamp = json.loads(body)["timestamp"]
    mac = hashlib.sha256(ZALO_APP.encode() + body + stamp.encode() + ZALO_KEY.encode()).hexdigest()
    return {"X-ZEvent-Signature": f"mac={mac}"}


@pytest.fixture
def oa(make_gateway: MakeGateway, rasa: Served, actions: Served, zalo_api: Served) -> Gateway:
    gateway = make_gateway(rasa.url, actions.url, **zalo_settings(zalo_api))
    wait_ready(gateway, "zalo")
    return gateway


def test_window_boundaries() -> None:
    now = 1_800_000_000.0
    ms = lambda seconds: str(int((now + seconds) * 1000))  # noqa: E731
    assert within(ms(0), WINDOW, now)
    assert within(ms(-300), WINDOW, now) and not within(ms(-301), WINDOW, now)
    assert within(ms(60), WINDOW, now) and not within(ms(61), WINDOW, now)
    for garbage in ("", "abc", "-5", "1.5e12", "١٢٣", "9" * 40, " 12 34 "):
        assert not within(garbage, WINDOW, now)
    body = event("m1", 0, timestamp=ms(-3600))
    mac = signed(body)["X-ZEvent-Signature"]
    # Without a window (a pure signature check) the old event is authentic; with it, stale.
    assert verify_zalo_oa(ZALO_APP, ZALO_KEY, body, mac) is Verdict.OK
    assert verify_zalo_oa(ZALO_APP, ZALO_KEY, body, mac, WINDOW, now) is Verdict.STALE
    assert verify_zalo_oa(ZALO_APP, ZALO_KEY, body, mac, WINDOW, now - 3600) is Verdict.OK
    # The window is checked only for an authentic event: a forged one stays WRONG.
    assert verify_zalo_oa(ZALO_APP, "other", body, mac, WINDOW, now) is Verdict.WRONG


def test_settings_from_the_environment() -> None:
    assert (Settings().zalo_oa_event_max_age_s, Settings().zalo_oa_event_max_ahead_s) == (300.0, 60.0)
    custom = Settings.from_env({"ZALO_OA_EVENT_MAX_AGE_S": "900", "ZALO_OA_EVENT_MAX_AHEAD_S": "5"})
    assert (custom.zalo_oa_event_max_age_s, custom.zalo_oa_event_max_ahead_s) == (900.0, 5.0)
    with pytest.raises(SettingsError, match="ZALO_OA_EVENT_MAX_AGE_S"):
        Settings.from_env({"ZALO_OA_EVENT_MAX_AGE_S": "-1"})


def test_old_and_future_events_are_acknowledged_and_never_answered(oa: Gateway, rasa: Served, zalo_api: Served) -> None:
    for msg_id, offset in (("old", -301 - 5), ("much-older", -86_400 * 30), ("future", 61 + 5)):
        body = event(msg_id, offset)
        response = oa.post("/webhooks/zalo", body, signed(body))
        assert (response.status_code, response.json()) == (200, IGNORED)
    for odd in ("yesterday", "", "-1"):  # signed, but no date at all
        body = event("odd-" + odd, 0, timestamp=odd)
        assert oa.post("/webhooks/zalo", body, signed(body)).json() == IGNORED
    # A fresh one, and one a little ahead (clocks differ), are answered: the channel works.
    # All from one citizen, whose messages are answered in order: had an ignored event been
    # queued, Rasa would have seen it before these two.
    for msg_id, offset in (("fresh", -2), ("ahead", 30)):
        body = event(msg_id, offset, text=msg_id)
        assert oa.post("/webhooks/zalo", body, signed(body)).json() == {"ok": True}
    zalo_api.fake.wait_count(2, "cs")
    assert rasa.fake.texts() == ["fresh", "ahead"]
    assert zalo_api.fake.messages() == [{"text": "Bạn hỏi: fresh"}, {"text": "Bạn hỏi: ahead"}]


def test_a_replay_inside_the_window_is_answered_once(oa: Gateway, rasa: Served, zalo_api: Served) -> None:
    body = event("same", -10)
    assert [oa.post("/webhooks/zalo", body, signed(body)).status_code for _ in range(3)] == [200] * 3
    marker = event("marker", 0, text="hết")  # the same citizen, after the replays
    assert oa.post("/webhooks/zalo", marker, signed(marker)).json() == {"ok": True}
    zalo_api.fake.wait_count(2, "cs")
    assert rasa.fake.texts() == ["lệ phí khai sinh", "hết"]  # the marker came next
    assert len(zalo_api.fake.named("cs")) == 2


def test_the_window_is_configurable(make_gateway: MakeGateway, rasa: Served, actions: Served, zalo_api: Served) -> None:
    gateway = make_gateway(rasa.url, actions.url, zalo_oa_event_max_age_s=3600.0, **zalo_settings(zalo_api))
    wait_ready(gateway, "zalo")
    body = event("ten-minutes", -600)
    assert gateway.post("/webhooks/zalo", body, signed(body)).json() == {"ok": True}
    zalo_api.fake.wait_count(1, "cs")


def test_telegram_replays_are_stopped_by_the_secret_and_the_update_id(
    make_gateway: MakeGateway, rasa: Served, actions: Served, telegram_api: Served
) -> None:
    gateway = make_gateway(rasa.url, actions.url, **telegram_settings(telegram_api))
    wait_ready(gateway, "telegram")
    old = {
        "update_id": 5,
        "message": {"message_id": 5, "date": 1_000_000_000, "text": "chào",
                    "chat": {"id": 9, "type": "private"}, "from": {"id": 9, "is_bot": False, "first_name": "A"}},
    }  # fmt: skip
    header = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    assert gateway.post("/webhooks/telegram", old, {}).status_code == 401  # no secret: refused
    # With the secret, the same update three times: answered once (the id is remembered).
    assert [gateway.post("/webhooks/telegram", old, header).status_code for _ in range(3)] == [200] * 3
    marker = {**old, "update_id": 6, "message": {**old["message"], "message_id": 6, "text": "hết"}}
    assert gateway.post("/webhooks/telegram", marker, header).status_code == 200  # same chat, after
    telegram_api.fake.wait_count(2, "sendMessage")
    assert rasa.fake.texts() == ["chào", "hết"]  # the marker came next
