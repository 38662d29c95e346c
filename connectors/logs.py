"""The gateway's log output: one JSON object per line (default) or text for developers.

Every logger goes through the root handler set here: ours, uvicorn's (``log_config=None``),
httpx's, python-telegram-bot's. Each line is masked (``tthc.privacy.scrub``) and carries
the request id when it is written on behalf of a request.

Environment: ``TROLYAO_LOG_FORMAT`` = ``json`` (default) or ``text``; ``TROLYAO_LOG_LEVEL`` =
``INFO`` (default), ``DEBUG``, ``WARNING``...
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import threading
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from connectors import request_context
from tthc.privacy import PiiMaskingFormatter, scrub
from tthc.settings import LogSettings

FORMATS = ("json", "text")
# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
# uvicorn adds an ANSI-coloured copy of some messages.
_IGNORED = {"color_message"}


class JsonFormatter(logging.Formatter):
    """time (ISO 8601, with zone), level, logger, message, request_id, extra fields, exc."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None) or request_context.current()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in _IGNORED and key not in entry:
                entry[key] = _plain(value)
        if record.exc_info:
            entry["exc"] = scrub(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exc"] = scrub(record.exc_text)
        if record.stack_info:
            entry["stack"] = scrub(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(PiiMaskingFormatter):
    """``time LEVEL logger [request id]: message``, masked."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not getattr(record, "request_id", None):
            record.request_id = request_context.current() or "-"
        return super().format(record)


def _plain(value: Any) -> Any:
    """A JSON value for an extra field; text is masked like the message."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return scrub(value if isinstance(value, str) else str(value))


def configure(fmt: str = "json", level: int | str = logging.INFO) -> None:
    """Send every log record to stderr through the chosen formatter (called by the CLI only)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(TextFormatter() if fmt == "text" else JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    numeric = root.getEffectiveLevel()
    # httpx logs every request URL at INFO (platform URLs carry bot tokens; noise otherwise).
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))
    # Warnings and crashes are log lines too, not raw text on stderr.
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_thread_crash


def configure_from_env(environ: Mapping[str, str] | None = None) -> None:
    """``configure`` from TROLYAO_LOG_FORMAT and TROLYAO_LOG_LEVEL; a bad value is logged and
    the default used (logging must work before anything else is checked)."""
    wanted = LogSettings.from_env(environ, formats=tuple(FORMATS))
    configure(wanted.format, wanted.level)
    for problem in wanted.problems:
        logging.getLogger("connectors").warning("%s", problem)


def _log_uncaught(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
    logging.getLogger("connectors").critical("uncaught exception", exc_info=(kind, error, tb))


def _log_thread_crash(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    error = args.exc_value if args.exc_value is not None else args.exc_type()
    logging.getLogger("connectors").critical(
        "uncaught exception in a thread", exc_info=(args.exc_type, error, args.exc_traceback)
    )
