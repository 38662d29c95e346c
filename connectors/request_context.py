"""The id of the request being served, for logs and for the calls made on its behalf.

A context variable: set by ``connectors.access_log`` for each HTTP request (from a sane
incoming ``X-Request-ID`` or a new one), by the inbox for each channel message it answers in
the background, read by the log formatters and by the httpx hook that passes the id on to
Rasa.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpx

from tthc.privacy import scrub

HEADER = "X-Request-ID"
MAX_LENGTH = 64
_SANE = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._:-]{{0,{MAX_LENGTH - 1}}}")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current() -> str | None:
    """The id of the request (or background job) this code runs for, if any."""
    return _request_id.get()


def new_id() -> str:
    return uuid.uuid4().hex


def accept(header: str | None) -> str:
    """The caller's id if it is a short token of safe characters, else a new one.

    An id that our log masking would alter (a phone or ID number) is not kept either: the id
    in the logs must be the one in the response.
    """
    if header and _SANE.fullmatch(header) and scrub(header) == header:
        return header
    return new_id()


@contextmanager
def bound(request_id: str | None) -> Iterator[None]:
    """Run a block as part of ``request_id``."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


async def _pass_on(request: httpx.Request) -> None:
    request_id = current()
    if request_id and HEADER not in request.headers:
        request.headers[HEADER] = request_id


def httpx_hooks() -> dict[str, list[Any]]:
    """``event_hooks`` for an internal AsyncClient: each call carries the current id."""
    return {"request": [_pass_on]}
