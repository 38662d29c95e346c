"""Checking that a webhook call really comes from the channel's platform."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from enum import Enum


class Verdict(Enum):
    OK = "ok"
    NOT_CONFIGURED = "not_configured"
    MISSING = "missing"
    WRONG = "wrong"
    STALE = "stale"  # authentic, but dated outside the accepted window: a replay or a late retry


@dataclass(frozen=True)
class Window:
    """How far a signed timestamp may lie in the past and in the future, in seconds."""

    max_age_s: float
    max_ahead_s: float


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
    signed = app_id.encode("utf-8") + raw_body + timestamp.encode("utf-8") + secret_key.encode("utf-8")
    return hashlib.sha256(signed).hexdigest()


def verify_zalo_oa(
    app_id: str,
    secret_key: str,
    raw_body: bytes,
    supplied: str | None,
    window: Window | None = None,
    now_s: float | None = None,
) -> Verdict:
    """X-ZEvent-Signature ("mac=<hex>" or "<hex>"), with the timestamp taken from the body.

    With a ``window``, an authentic event whose timestamp (ms, signed) lies outside it is
    STALE: the MAC alone would let a captured event be replayed forever."""
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
    if not same:
        return Verdict.WRONG
    if window is not None:
        now_s = time.time() if now_s is None else now_s
        if not within(timestamp, window, now_s):
            return Verdict.STALE
    return Verdict.OK


def within(timestamp_ms: str, window: Window, now_s: float) -> bool:
    """Whether a millisecond timestamp lies in [now - max_age, now + max_ahead]."""
    digits = timestamp_ms.strip()
    # At most 16 digits: a longer number is no date and would overflow a float.
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 16):
        return False
    age_s = now_s - int(digits) / 1000.0
    return -window.max_ahead_s <= age_s <= window.max_age_s


def _body_timestamp(raw_body: bytes) -> str | None:
    try:
        event = json.loads(raw_body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    timestamp = event.get("timestamp") if isinstance(event, dict) else None
    if isinstance(timestamp, bool) or not isinstance(timestamp, (str, int)):
        return None
    return str(timestamp)
