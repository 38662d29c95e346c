"""Masking of personal data (phone and ID numbers) before anything is logged."""

from __future__ import annotations

import logging
import re

# Vietnamese phone numbers: 0 or (+)84, then 9 digits (mobile) or 10 (landline),
# optionally grouped with spaces, dots or dashes.
_PHONE = re.compile(r"(?<![\w+])(?:\+84|84|0)(?:[ .\-]?\d){9,10}(?!\d)")
# ID numbers: 12 digits (căn cước / CCCD) or 9 digits (old CMND), plain or in groups of 3.
_ID_NUMBER = re.compile(
    r"(?<![\w.,])(?:\d{12}|\d{3}(?: \d{3}){3}|\d{9}|\d{3}(?: \d{3}){2})(?![\w]|[.,]\d)"
)
_KEEP_LAST = 3
# Bot tokens travel in Telegram's and the Zalo Bot platform's URLs (".../bot<id>:<secret>/...").
_BOT_TOKEN = re.compile(r"(/bot)\d+:[A-Za-z0-9_-]+")


def _mask(match: re.Match[str]) -> str:
    return mask_digits(match.group(0))


def mask_digits(value: str) -> str:
    """Replace every digit but the last three with '*', keeping separators."""
    to_hide = sum(ch.isdigit() for ch in value) - _KEEP_LAST
    out = []
    for ch in value:
        if ch.isdigit() and to_hide > 0:
            out.append("*")
            to_hide -= 1
        else:
            out.append(ch)
    return "".join(out)


def mask_pii(text: str) -> str:
    """Mask phone numbers and 9/12-digit ID numbers in ``text``."""
    return _ID_NUMBER.sub(_mask, _PHONE.sub(_mask, text))


def redact_secrets(text: str) -> str:
    """Hide bot tokens in URLs."""
    return _BOT_TOKEN.sub(r"\1<token>", text)


class PiiMaskingFormatter(logging.Formatter):
    """A formatter whose whole output (message, arguments, traceback) is masked."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_pii(redact_secrets(super().format(record)))


def configure_logging(level: int = logging.INFO) -> None:
    """Send all logs to stderr through the masking formatter (called by the CLI only)."""
    handler = logging.StreamHandler()
    handler.setFormatter(PiiMaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and platform URLs carry bot tokens.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
