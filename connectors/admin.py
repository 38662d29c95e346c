"""The officers' API under /admin/api: tickets, handoffs, bookings export, ratings.

Every route needs ``Authorization: Bearer <TROLYAO_ADMIN_TOKEN>`` (compared in constant time).
No token configured (or a placeholder): 503; a missing or wrong one: 401. Lists mask phone
numbers; opening one ticket shows it whole and is logged, as is an unmasked export. Officers'
answers and replies are queued for the citizen and delivered on the channel they used.

A ticket answer or a handoff reply sent with an ``Idempotency-Key`` header (any id the client
makes per message and reuses when it sends the request again) is queued once however often the
request comes; closing a handoff queues its closing message once.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from connectors import handoffs, messages
from connectors.errors import error_response
from connectors.exports import XLSX_TYPE, booking_row, mask_phone, to_csv, to_xlsx
from connectors.officers import channel_label, sender_tag
from connectors.records import call
from tthc.privacy import mask_pii
from tthc.records import RecordStore, Ticket
from tthc.records.idempotency import idempotency_key

logger = logging.getLogger(__name__)
audit = logging.getLogger("connectors.admin.audit")

PREFIX = "/admin/api"


class AdminRefusal(Exception):
    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


class AnswerBody(BaseModel):
    answer: str = Field(min_length=1, max_length=4000)
    officer: str = Field(min_length=1, max_length=80)


class ReplyBody(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
    officer: str = Field(min_length=1, max_length=80)


class CloseBody(BaseModel):
    officer: str = Field(default="officer", min_length=1, max_length=80)


# --- authentication ------------------------------------------------------------------------


def bearer_token(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def authorize(request: Request, response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"  # answers carry personal data
    settings = request.app.state.settings
    if not settings.admin_enabled:
        raise AdminRefusal(503, messages.ADMIN_NOT_CONFIGURED)
    token = bearer_token(request.headers.get("authorization"))
    client = request.client.host if request.client else "?"
    if token is None:
        logger.warning("admin: request without a token refused (%s %s)", client, request.url.path)
        raise AdminRefusal(401, messages.ADMIN_TOKEN_MISSING)
    if not hmac.compare_digest(token.encode("utf-8"), settings.admin_token.encode("utf-8")):
        logger.warning("admin: request with a wrong token refused (%s %s)", client, request.url.path)
        raise AdminRefusal(401, messages.ADMIN_TOKEN_WRONG)


async def _refused(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AdminRefusal)
    response = error_response(exc.status_code, exc.message)
    if exc.status_code == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _store(request: Request) -> RecordStore:
    store = getattr(request.app.state, "records", None)
    if store is None:
        raise AdminRefusal(503, messages.RECORDS_UNAVAILABLE)
    return store


def _who(request: Request) -> str:
    """For the audit log: the officer's name if the client sends one, and the address."""
    officer = (request.headers.get("x-officer") or "").strip()[:80] or "?"
    client = request.client.host if request.client else "?"
    return f"officer={officer!r} from={client}"


def _wake(request: Request) -> None:
    delivery = getattr(request.app.state, "delivery", None)
    if delivery is not None:
        delivery.wake()


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise AdminRefusal(422, messages.BAD_DATE.format(value=value[:20])) from None


def _time(value: dt.datetime | None) -> str | None:
    return value.isoformat(sep=" ") if value else None


# --- JSON forms ----------------------------------------------------------------------------


def ticket_json(ticket: Ticket, masked: bool) -> dict[str, Any]:
    def hide(text: str | None) -> str | None:
        return mask_pii(text) if masked and text else text

    return {
        "code": ticket.code,
        "created_at": _time(ticket.created_at),
        "channel": channel_label(ticket.channel),
        "citizen": sender_tag(ticket.sender),
        "subject": hide(ticket.subject),
        "content": hide(ticket.content),
        "phone": mask_phone(ticket.phone) if masked else ticket.phone,
        "status": ticket.status,
        "answer": ticket.answer,
        "answered_at": _time(ticket.answered_at),
    }


# --- routes --------------------------------------------------------------------------------


async def list_tickets(request: Request, status: str | None = None) -> dict[str, Any]:
    if status not in (None, "", "open", "answered"):
        raise AdminRefusal(422, messages.BAD_STATUS)
    tickets = await call(_store(request).tickets, status or None)
    return {"tickets": [ticket_json(ticket, masked=True) for ticket in tickets]}


async def open_ticket(code: str, request: Request) -> dict[str, Any]:
    ticket = await call(_store(request).ticket, code[:20])
    if ticket is None:
        raise AdminRefusal(404, messages.TICKET_NOT_FOUND.format(code=code[:20]))
    audit.info("admin: ticket %s opened, unmasked, by %s", ticket.code, _who(request))
    return {"ticket": ticket_json(ticket, masked=False)}


def _request_key(request: Request, kind: str, scope: str) -> str | None:
    """The idempotency key of an officer's request that sent an ``Idempotency-Key`` header."""
    return idempotency_key(kind, scope, request.headers.get("idempotency-key"))


async def answer_ticket(code: str, body: AnswerBody, request: Request) -> dict[str, Any]:
    key = _request_key(request, "ticket-answer", code[:20].upper())
    ticket = await call(_store(request).answer_ticket, code[:20], body.answer.strip(), body.officer, key)
    if ticket is None:
        raise AdminRefusal(404, messages.TICKET_NOT_FOUND.format(code=code[:20]))
    audit.info("admin: ticket %s answered by %r", ticket.code, body.officer)
    _wake(request)
    return {"ticket": ticket_json(ticket, masked=True), "queued": True}


async def list_handoffs(request: Request) -> dict[str, Any]:
    timeout = request.app.state.settings.handoff_timeout
    return {"handoffs": await handoffs.open_list(_store(request), timeout)}


async def reply(handoff_id: int, body: ReplyBody, request: Request) -> dict[str, Any]:
    key = _request_key(request, "officer-reply", f"handoff:{handoff_id}")
    timeout = request.app.state.settings.handoff_timeout
    try:
        await handoffs.reply(_store(request), timeout, handoff_id, body.text, key)
    except handoffs.HandoffRefused as exc:
        raise AdminRefusal(exc.status_code, exc.message) from None
    audit.info("admin: handoff #%s replied by %r", handoff_id, body.officer)
    _wake(request)
    return {"id": handoff_id, "queued": True}


async def close(handoff_id: int, request: Request, body: CloseBody | None = None) -> dict[str, Any]:
    officer = (body or CloseBody()).officer
    timeout = request.app.state.settings.handoff_timeout
    try:
        await handoffs.close(_store(request), timeout, handoff_id, officer)
    except handoffs.HandoffRefused as exc:
        raise AdminRefusal(exc.status_code, exc.message) from None
    audit.info("admin: handoff #%s closed by %r", handoff_id, officer)
    _wake(request)
    return {"id": handoff_id, "closed": True}


async def bookings(
    request: Request,
    day_from: str | None = Query(default=None, alias="from"),
    day_to: str | None = Query(default=None, alias="to"),
    format: str = "csv",
    unmasked: bool = False,
) -> Response:
    kind = format.lower()
    if kind not in ("csv", "xlsx", "json"):
        raise AdminRefusal(422, messages.BAD_FORMAT)
    start, end = _date(day_from), _date(day_to)
    found = await call(_store(request).bookings, start, end)
    rows = [booking_row(booking, unmasked=unmasked) for booking in found]
    if unmasked:
        audit.warning(
            "admin: %d bookings exported UNMASKED (%s to %s) by %s",
            len(rows),
            start,
            end,
            _who(request),
        )
    if kind == "json":
        return JSONResponse({"bookings": rows})
    name = "lich-hen" + "".join(f"-{day}" for day in (start, end) if day)
    if kind == "xlsx":
        body, media_type = to_xlsx(rows), XLSX_TYPE
    else:
        body, media_type = to_csv(rows), "text/csv; charset=utf-8"
    disposition = f'attachment; filename="{name}.{kind}"'
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


async def ratings_summary(
    request: Request,
    day_from: str | None = Query(default=None, alias="from"),
    day_to: str | None = Query(default=None, alias="to"),
) -> dict[str, Any]:
    return await call(_store(request).ratings_summary, _date(day_from), _date(day_to))


def router() -> APIRouter:
    """The officers' API, each route a module-level handler behind the Bearer check."""
    routes = APIRouter(prefix=PREFIX, dependencies=[Depends(authorize)])
    routes.add_api_route("/tickets", list_tickets, methods=["GET"])
    routes.add_api_route("/tickets/{code}", open_ticket, methods=["GET"])
    routes.add_api_route("/tickets/{code}/answer", answer_ticket, methods=["POST"])
    routes.add_api_route("/handoffs", list_handoffs, methods=["GET"])
    routes.add_api_route("/handoffs/{handoff_id}/reply", reply, methods=["POST"])
    routes.add_api_route("/handoffs/{handoff_id}/close", close, methods=["POST"])
    routes.add_api_route("/bookings", bookings, methods=["GET"])
    routes.add_api_route("/ratings/summary", ratings_summary, methods=["GET"])
    return routes


def install(app: FastAPI) -> None:
    app.add_exception_handler(AdminRefusal, _refused)
    app.include_router(router())
