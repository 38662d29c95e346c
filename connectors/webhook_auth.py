"""Checking that a webhook call really comes from the channel's platform."""

from __future__ import annotations

import hashlib
import hmac
import json
from enum import Enum


class Verdict(Enum):
    OK = "ok"
    NOT_CONFIGURED = "not_configured"
    MISSING = "missing"
    WRONG = "wrong"


def verify_secret_token(expected: str, supplied: str | None) -> Verdict:
    """Telegram (X-Telegram-Bot-Api-Secret-Token) and Zalo Bot (X-Bot-Api-Secret-Token)."""
    if not expected:
        return Verdict.NOT_CONFIGURED
    if not supplied:
        return Verdict.MISSING
    same = hmac.compare_digest(supplied.encode("utf-8"), expected.encode("utf-8"))
    return Verdict.OK if same else Verdict.WRONG


def zalo_oa_signature(app_id: str, raw_body: bytes, timestamp: str, secret_key: str) -> str:
    """Zalo OA event MAC: sha256(app_id + raw body + timestamp + OA secret key), hex."""
    signed = (
        app_id.encode("utf-8") + raw_body + timestamp.encode("utf-8") + secret_key.encode("utf-8")
    )
    return hashlib.sha256(signed).hexdigest()


def verify_zalo_oa(app_id: str, secret_key: str, raw_body: bytes, supplied: str | None) -> Verdict:
    """X-ZEvent-Signature ("mac=<hex>" or "<hex>"), with the timestamp taken from the body."""
    if not (app_id and secret_key):
        return Verdict.NOT_CONFIGURED
    if not supplied:
        return Verdict.MISSING
    mac = supplied.strip()
    if mac.lower().startswith("mac="):
        mac = mac[4:].strip()
    timestamp = _body_timestamp(raw_body)
    if timestamp is None:
        return Verdict.WRONG
    expected = zalo_oa_signature(app_id, raw_body, timestamp, secret_key)
    same = hmac.compare_digest(mac.lower().encode("utf-8"), expected.encode("utf-8"))
    return Verdict.OK if same else Verdict.WRONG


def _body_timestamp(raw_body: bytes) -> str | None:
    try:
        event = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError):
        return None
    timestamp = event.get("timestamp") if isinstance(event, dict) else None
    if isinstance(timestamp, bool) or not isinstance(timestamp, (str, int)):
        return None
    return str(timestamp)
