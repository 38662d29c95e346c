"""The three webhook routes refuse unauthenticated calls (channels themselves come later)."""

from __future__ import annotations

import hashlib
import json
import time

import pytest
from conftest import (
    TELEGRAM_SECRET,
    ZALO_APP,
    ZALO_BOT_SECRET,
    ZALO_KEY,
    Gateway,
    MakeGateway,
    Served,
    telegram_settings,
    wait_ready,
    zalo_bot_settings,
    zalo_settings,
)

from connectors import messages
from connectors.webhook_auth import Verdict, Window, verify_secret_token, verify_zalo_oa, zalo_oa_signature

UPDATE = {"update_id": 1, "message": {"message_id": 1, "text": "xin chào"}}


@pytest.fixture
def configured(
    make_gateway: MakeGateway,
    rasa: Served,
    telegram_api: Served,
    zalo_api: Served,
    zalo_bot_api: Served,
) -> Gateway:
    gateway = make_gateway(
        rasa.url,
        **telegram_settings(telegram_api),
        **zalo_settings(zalo_api),
        **zalo_bot_settings(zalo_bot_api),
    )
    wait_ready(gateway, "telegram", "zalo", "zalo-bot")
    return gateway


def zalo_event() -> bytes:
    event = {
        "app_id": ZALO_APP,
        "event_name": "user_send_text",
        "timestamp": str(int(time.time() * 1000)),  # inside the replay window
        "sender": {"id": "u1"},
        "message": {"text": "xin chào", "msg_id": "m1"},
    }
    return json.dumps(event, ensure_ascii=False).encode("utf-8")


def zalo_mac(body: bytes) -> str:
    timestamp = json.loads(body)["timestamp"].encode()
    data = ZALO_APP.encode() + body + timestamp + ZALO_KEY.encode()
    return "mac=" + hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("path", "header", "good"),
    [
        ("/webhooks/telegram", "X-Telegram-Bot-Api-Secret-Token", TELEGRAM_SECRET),
        ("/webhooks/zalo-bot", "X-Bot-Api-Secret-Token", ZALO_BOT_SECRET),
    ],
)
def test_secret_token_webhooks(configured: Gateway, path: str, header: str, good: str) -> None:
    missing = configured.client.post(path, json=UPDATE)
    assert (missing.status_code, missing.json()) == (401, {"error": messages.SECRET_MISSING})
    wrong = configured.client.post(path, json=UPDATE, headers={header: good + "x"})
    assert (wrong.status_code, wrong.json()) == (403, {"error": messages.SECRET_WRONG})
    empty = configured.client.post(path, json=UPDATE, headers={header: ""})
    assert empty.status_code == 401
    ok = configured.client.post(path, json=UPDATE, headers={header: good})
    assert (ok.status_code, ok.json()) == (200, {"ok": True})


def test_zalo_oa_signature(configured: Gateway) -> None:
    body = zalo_event()
    headers = {"Content-Type": "application/json"}
    missing = configured.client.post("/webhooks/zalo", content=body, headers=headers)
    assert missing.status_code == 401
    wrong = configured.client.post(
        "/webhooks/zalo", content=body, headers={**headers, "X-ZEvent-Signature": "mac=" + "0" * 64}
    )
    assert (wrong.status_code, wrong.json()) == (403, {"error": messages.SECRET_WRONG})
    tampered = configured.client.post(
        "/webhooks/zalo",
        content=body.replace(b"u1", b"u2"),
        headers={**headers, "X-ZEvent-Signature": zalo_mac(body)},
    )
    assert tampered.status_code == 403
    ok = configured.client.post(
        "/webhooks/zalo", content=body, headers={**headers, "X-ZEvent-Signature": zalo_mac(body)}
    )
    assert (ok.status_code, ok.json()) == (200, {"ok": True})


# A frozen known-answer vector for the Zalo OA event signature, computed once outside this code
# base (the tests above recompute the formula; a wrong formula would pass them):
#   printf '%s' '1234567890<KAT_BODY>1767225600000zalo-oa-secret-key' | sha256sum
# i.e. sha256(app_id + raw body + timestamp + OA secret key), sent as "X-ZEvent-Signature: mac=<hex>".
KAT_TIMESTAMP = "1767225600000"  # 2026-01-01 00:00:00 UTC, in ms
KAT_BODY = (
    '{"app_id":"1234567890","event_name":"user_send_text","timestamp":"1767225600000",'
    '"sender":{"id":"246813579"},"recipient":{"id":"oa-1"},'
    '"message":{"msg_id":"kat-1","text":"l\u1ec7 ph\u00ed khai sinh"}}'
).encode("utf-8")
KAT_MAC = "c1a4707112b14f51358b8b1a150ab44e37d11b93cbb72cd180c34f5fcbd686ad"


def test_zalo_oa_signature_matches_a_frozen_known_answer() -> None:
    assert (ZALO_APP, ZALO_KEY, len(KAT_BODY)) == ("1234567890", "zalo-oa-secret-key", 193)  # what was hashed
    assert zalo_oa_signature(ZALO_APP, KAT_BODY, KAT_TIMESTAMP, ZALO_KEY) == KAT_MAC
    assert verify_zalo_oa(ZALO_APP, ZALO_KEY, KAT_BODY, f"mac={KAT_MAC}") is Verdict.OK
    assert verify_zalo_oa(ZALO_APP, ZALO_KEY, KAT_BODY, KAT_MAC) is Verdict.OK  # the bare hex too
    at_the_time = int(KAT_TIMESTAMP) / 1000 + 5
    assert verify_zalo_oa(ZALO_APP, ZALO_KEY, KAT_BODY, f"mac={KAT_MAC}", Window(300, 60), at_the_time) is Verdict.OK
    flipped = KAT_MAC[:-1] + ("0" if KAT_MAC[-1] != "0" else "1")
    assert verify_zalo_oa(ZALO_APP, ZALO_KEY, KAT_BODY, f"mac={flipped}") is Verdict.WRONG
    assert verify_zalo_oa(ZALO_APP, ZALO_KEY + "x", KAT_BODY, f"mac={KAT_MAC}") is Verdict.WRONG


def test_the_known_answer_event_is_accepted_by_the_webhook(
    make_gateway: MakeGateway, rasa: Served, zalo_api: Served
) -> None:
    # A window wide enough for the frozen date: only the signature decides.
    gateway = make_gateway(rasa.url, **zalo_settings(zalo_api),
                           zalo_oa_event_max_age_s=1e10, zalo_oa_event_max_ahead_s=1e10)  # fmt: skip
    wait_ready(gateway, "zalo")
    forged = gateway.post("/webhooks/zalo", KAT_BODY, {"X-ZEvent-Signature": "mac=" + "0" * 64})
    assert forged.status_code == 403
    ok = gateway.post("/webhooks/zalo", KAT_BODY, {"X-ZEvent-Signature": f"mac={KAT_MAC}"})
    assert (ok.status_code, ok.json()) == (200, {"ok": True})
    [body] = rasa.fake.wait_received(1)
    assert (body["sender"], body["message"]) == ("zalo:246813579", "lệ phí khai sinh")


@pytest.mark.parametrize("path", ["/webhooks/telegram", "/webhooks/zalo", "/webhooks/zalo-bot"])
def test_unconfigured_channels_answer_503(gateway: Gateway, path: str) -> None:
    response = gateway.client.post(
        path,
        json=UPDATE,
        headers={
            "X-Telegram-Bot-Api-Secret-Token": "x",
            "X-ZEvent-Signature": "mac=00",
            "X-Bot-Api-Secret-Token": "x",
        },
    )
    assert response.status_code == 503
    assert response.json() == {"error": "Kênh chưa được cấu hình."}


def test_telegram_needs_both_token_and_secret(make_gateway: MakeGateway, rasa: Served) -> None:
    gateway = make_gateway(rasa.url, telegram_webhook_secret=TELEGRAM_SECRET)
    response = gateway.client.post(
        "/webhooks/telegram",
        json=UPDATE,
        headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
    )
    assert response.status_code == 503
    # A webhook (public URL) without its secret: off as well.
    gateway = make_gateway(rasa.url, telegram_bot_token="1:a", telegram_public_url="https://x.vn")
    response = gateway.client.post(
        "/webhooks/telegram",
        json=UPDATE,
        headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
    )
    assert response.status_code == 503


def test_verdicts() -> None:
    assert verify_secret_token("", "anything") is Verdict.NOT_CONFIGURED
    assert verify_secret_token("s3cret", None) is Verdict.MISSING
    assert verify_secret_token("s3cret", "s3cre") is Verdict.WRONG
    assert verify_secret_token("s3cret", "ş3cret") is Verdict.WRONG  # non-ASCII, no TypeError
    assert verify_secret_token("s3cret", "s3cret") is Verdict.OK
    body = zalo_event()
    assert verify_zalo_oa(ZALO_APP, ZALO_KEY, body, zalo_mac(body)) is Verdict.OK
    assert verify_zalo_oa(ZALO_APP, ZALO_KEY, body, zalo_mac(body)[4:].upper()) is Verdict.OK
    assert verify_zalo_oa(ZALO_APP, ZALO_KEY, b"not json", zalo_mac(body)) is Verdict.WRONG
    assert verify_zalo_oa(ZALO_APP, "other-key", body, zalo_mac(body)) is Verdict.WRONG
    assert verify_zalo_oa("", ZALO_KEY, body, zalo_mac(body)) is Verdict.NOT_CONFIGURED
