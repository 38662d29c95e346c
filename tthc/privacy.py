"""Masking of personal data (phone, ID numbers, e-mail addresses) before anything is logged."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

# Vietnamese phone numbers: 0 or (+)84, then 9 digits (mobile) or 10 (landline),
# optionally grouped with spaces, dots or dashes.
_PHONE = re.compile(r"(?<![\w+])(?:\+84|84|0)(?:[ .\-]?\d){9,10}(?!\d)")
# ID numbers: 12 digits (căn cước / CCCD) or 9 digits (old CMND), plain or in groups of 3.
_ID_NUMBER = re.compile(r"(?<![\w.,])(?:\d{12}|\d{3}(?: \d{3}){3}|\d{9}|\d{3}(?: \d{3}){2})(?![\w]|[.,]\d)")
_KEEP_LAST = 3
# Bot tokens travel in Telegram's and the Zalo Bot platform's URLs (".../bot<id>:<secret>/...").
_BOT_TOKEN = re.compile(r"(/bot)\d+:[A-Za-z0-9_-]+")
# Secret-named fields in logged parameters, e.g. python-telegram-bot's DEBUG line
# "... `setWebhook` with parameters `{'secret_token': '...'}`", or "access_token=..." in a query.
_SECRET_FIELD = re.compile(
    r"""(?i)(["']?\b(?:secret_token|secret_key|secret|app_secret|client_secret|access_token|"""
    r"""refresh_token|token|password|authorization)["']?\s*[:=]\s*["']?)(?:bearer\s+)?[^"'\s,&;}\]]+"""
)
# E-mail addresses: the first character of the mailbox and the top-level domain stay.
_EMAIL = re.compile(
    r"(?<![\w.%+-])([A-Za-z0-9])[A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.([A-Za-z]{2,24})\b"
)


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


def mask_pii(text: str, keep: Callable[[str], bool] | None = None) -> str:
    """Mask phone numbers and 9/12-digit ID numbers in ``text``; with ``keep``, a number for
    which ``keep(number)`` is true stays as written (e.g. a number the citizen never typed)."""
    if keep is None:
        return _ID_NUMBER.sub(_mask, _PHONE.sub(_mask, text))

    def mask_unless_kept(match: re.Match[str]) -> str:
        return match.group(0) if keep(match.group(0)) else mask_digits(match.group(0))

    return _ID_NUMBER.sub(mask_unless_kept, _PHONE.sub(mask_unless_kept, text))


def pii_numbers(text: str) -> list[str]:
    """The phone and ID numbers in ``text`` as written (what ``mask_pii`` would mask)."""
    found: list[str] = []

    def note(number: str) -> bool:
        found.append(number)
        return True

    mask_pii(text, keep=note)
    return found


def redact_secrets(text: str) -> str:
    """Hide bot tokens in URLs and the values of secret-named fields."""
    return _SECRET_FIELD.sub(r"\1<secret>", _BOT_TOKEN.sub(r"\1<token>", text))


def mask_emails(text: str) -> str:
    """``nguyenvana@example.com`` becomes ``n***@***.com``."""
    return _EMAIL.sub(r"\1***@***.\2", text)


def scrub(text: str) -> str:
    """Everything a log line must not show: bot tokens, e-mails, phone and ID numbers."""
    return mask_pii(mask_emails(redact_secrets(text)))


class PiiMaskingFormatter(logging.Formatter):
    """A formatter whose whole output (message, arguments, traceback) is masked."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class _MaskingRecordFactory:
    """Wraps the log record factory: each record is masked as it is created."""

    def __init__(self, inner: Callable[..., logging.LogRecord]) -> None:
        self.inner = inner
        self._tracebacks = logging.Formatter()

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.inner(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: logging itself reports it on output
            return record
        record.msg, record.args = scrub(message), None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text rather than format the traceback again.
            record.exc_text = scrub(self._tracebacks.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return record


def mask_log_records() -> None:
    """Mask every log record when it is made, whatever handler prints it later.

    For processes whose logging is set up by a library (the rasa_sdk action server installs
    its own handlers); the gateway masks in its formatters instead (connectors.logs).
    """
    current = logging.getLogRecordFactory()
    if not isinstance(current, _MaskingRecordFactory):
        logging.setLogRecordFactory(_MaskingRecordFactory(current))
