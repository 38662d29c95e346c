"""The console's handoff pages ("Gặp cán bộ"): officers answer citizens who asked for a person.

    GET  /admin/handoffs                 open (or closed) handoffs; who answers chats now
    POST /admin/handoffs/duty            "I answer chats now" / "I stop" (editors)
    GET  /admin/handoffs/{id}            the conversation, a reply box and a close button
    POST /admin/handoffs/{id}/reply      the citizen gets "Cán bộ trả lời: ..." on their channel
    POST /admin/handoffs/{id}/close      the citizen is told the assistant answers again

An officer on duty here is an officer channel: while one is (until they stop, log out or their
session ends), the assistant promises citizens a person during staffed hours; with nobody on
duty and no Telegram group, it offers the hotline and a ticket instead. POSTs carry the
session's CSRF token like every console form; replies and closing reuse the admin API's
logic (connectors/handoffs.py).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from connectors import handoffs as officers_handoffs
from connectors import messages
from connectors.console.auth import ConsoleRefusal, current, posted, store_of
from connectors.console.html import Markup, csrf_field, e, join, link, notice, page, table
from connectors.console.live import zone
from connectors.console.views import _time, download, exports
from connectors.officers import channel_label, sender_tag
from connectors.records import call
from tthc import clock

logger = logging.getLogger(__name__)
audit = logging.getLogger("connectors.admin.audit")

REFRESH_S = 30  # the open list reloads itself: a new handoff shows within this many seconds
MAX_REPLY = 4000
COLUMNS = ["Số", "Kênh", "Người dân", "Bắt đầu", "Hoạt động cuối", "Kết thúc", "Người kết thúc"]
CLOSED_BY = {"citizen": "Người dân", "timeout": "Hết thời gian chờ"}


def _settings(request: Request) -> Any:
    return request.app.state.settings


def _wake(request: Request) -> None:
    delivery = getattr(request.app.state, "delivery", None)
    if delivery is not None:
        delivery.wake()


def _refused(exc: officers_handoffs.HandoffRefused) -> ConsoleRefusal:
    return ConsoleRefusal(exc.status_code, exc.message)


def _closed_handoffs(store: Any, limit: int = 500) -> list[dict[str, Any]]:
    import sqlalchemy as sa

    from tthc.records.schema import handoffs

    query = (
        sa.select(handoffs).where(handoffs.c.closed_at.is_not(None)).order_by(handoffs.c.closed_at.desc()).limit(limit)
    )
    with store.engine.connect() as db:
        return [dict(r) for r in db.execute(query).mappings()]


def _duty_form(csrf: str, officer: str, on_duty: list[str], can_edit: bool) -> Markup:
    """Who answers chats from the console now, and the button to start or stop."""
    mine = officer in on_duty
    who = ", ".join(on_duty) if on_duty else "chưa có ai"
    status = f"<p>Cán bộ đang trực trả lời người dân tại đây: <strong>{e(who)}</strong>.</p>"
    if not on_duty:
        status += ('<p class="muted">Khi không có cán bộ trực (và không có nhóm Telegram của cán bộ), trợ lý ảo '
                   "không hứa có cán bộ trả lời: người dân được mời gọi tổng đài hoặc để lại câu hỏi.</p>")  # fmt: skip
    if not can_edit:
        return Markup(f'<section class="card" id="duty">{status}</section>')
    label = "Ngừng trực" if mine else "Tôi trực trả lời người dân"
    button = (
        f'<form method="post" action="/admin/handoffs/duty" class="inline">{csrf_field(csrf)}'
        f'<input type="hidden" name="on" value="{"0" if mine else "1"}">'
        f'<button type="submit">{e(label)}</button></form>'
    )
    return Markup(f'<section class="card" id="duty">{status}{button}</section>')


def _row(handoff: dict[str, Any], tz: str) -> list[Any]:
    closed_by = handoff.get("closed_by") or ""
    return [handoff["id"], channel_label(handoff["channel"]), sender_tag(handoff["sender"]),
            _time(handoff["opened_at"], tz), _time(handoff["last_activity"], tz), _time(handoff.get("closed_at"), tz),
            CLOSED_BY.get(closed_by, closed_by)]  # fmt: skip


async def handoff_list(
    request: Request, state: str = "open", format: str | None = None, closed: str | None = None
) -> Response:
    session = await current(request)
    store = store_of(request)
    if state not in ("open", "closed"):
        raise ConsoleRefusal(422, "Trạng thái phải là open hoặc closed.")
    if state == "open":
        found = await call(store.open_handoffs, _settings(request).handoff_timeout)
    else:
        found = await call(_closed_handoffs, store)
    tz = zone(request)
    rows = [_row(h, tz) for h in found]
    if format:
        return download(rows, COLUMNS, f"gap-can-bo-{state}", format)
    tabs = " · ".join(
        str(link("/admin/handoffs", label, state=key)) if key != state else f"<strong>{label}</strong>"
        for key, label in (("open", "Đang mở"), ("closed", "Đã kết thúc"))
    )
    shown = [[link(f"/admin/handoffs/{r[0]}", f"#{r[0]}"), *r[1:]] for r in rows]
    on_duty = await call(store.on_duty)
    body = join([
        notice(f"Đã kết thúc hội thoại #{closed}; trợ lý ảo trả lời người dân tiếp.") if closed else "",
        _duty_form(session.csrf, session.officer.name, on_duty, session.officer.can_edit),
        f'<p class="filters">{tabs} · {link("/admin/handoffs", "Tải lại", state=state)}</p>',
        exports("/admin/handoffs", state=state), table(COLUMNS, shown, empty="Không có hội thoại nào."),
    ])  # fmt: skip
    return page("Gặp cán bộ", body, session.officer, session.csrf, refresh=REFRESH_S if state == "open" else 0)


async def duty(request: Request) -> Response:
    session, form = await posted(request, editor=True)
    store = store_of(request)
    if form.get("on") == "1":
        await call(store.start_duty, session.officer.name, session.expires_at)
        audit.info("console: %r answers chats from the console", session.officer.name)
    else:
        await call(store.end_duty, session.officer.name)
        audit.info("console: %r stopped answering chats", session.officer.name)
    return RedirectResponse("/admin/handoffs", status_code=303)


def _without_prefix(text: str) -> str:
    """An officer's reply as the officer wrote it (the citizen reads it after "Cán bộ trả lời: ")."""
    prefix = messages.OFFICER_REPLY.split("{", 1)[0]
    return text[len(prefix) :] if text.startswith(prefix) else text


def _said(turns: list[dict[str, Any]], replies: list[dict[str, Any]], tz: str) -> Markup:
    """The citizen's last messages (masked in the log) and the officers' replies, in order."""
    said = [(t["at"], 0, "Người dân", t["text"]) for t in turns]
    said += [(r["at"], 1, "Cán bộ", _without_prefix(r["text"])) for r in replies]
    items = "".join(
        f'<li class="{"officer" if who == "Cán bộ" else "citizen"}">'
        f'<span class="muted">{e(clock.shown(at, tz))}</span> <strong>{e(who)}:</strong> {e(text)}</li>'
        for at, _, who, text in sorted(said, key=lambda item: (item[0], item[1]))
    )
    return Markup(f'<ol class="messages">{items}</ol>' if items else '<p class="empty">Chưa có tin nhắn.</p>')


def _forms(handoff_id: int, csrf: str) -> Markup:
    return Markup(
        f'<form method="post" action="/admin/handoffs/{handoff_id}/reply" class="card">{csrf_field(csrf)}'
        f'<label>Trả lời người dân <textarea name="text" rows="4" maxlength="{MAX_REPLY}" required></textarea></label>'
        '<button type="submit">Gửi trả lời</button></form>'
        f'<form method="post" action="/admin/handoffs/{handoff_id}/close" class="card">{csrf_field(csrf)}'
        '<p class="muted">Kết thúc: người dân được báo và trợ lý ảo trả lời tiếp.</p>'
        '<button type="submit">Kết thúc hội thoại</button></form>'
    )


async def handoff_page(handoff_id: int, request: Request, sent: str | None = None) -> HTMLResponse:
    session = await current(request)
    store = store_of(request)
    timeout = _settings(request).handoff_timeout
    try:
        handoff = await officers_handoffs.find(store, handoff_id)
    except officers_handoffs.HandoffRefused as exc:
        raise _refused(exc) from None
    is_open = await call(store.active_handoff, handoff["sender"], timeout) == handoff_id
    handoff = await call(store.handoff, handoff_id) or handoff  # closed just now if it timed out
    turns = await call(store.recent_turns, handoff["sender"], officers_handoffs.RECENT_TURNS)
    replies = await call(store.messages_to, handoff["sender"], handoff["opened_at"])
    tz = zone(request)
    state = "Đang mở" if is_open else "Đã kết thúc"
    facts = (
        f'<p class="muted">{e(channel_label(handoff["channel"]))} · người dân {e(sender_tag(handoff["sender"]))} · '
        f"bắt đầu {e(clock.shown(handoff['opened_at'], tz))} · hoạt động cuối "
        f"{e(clock.shown(handoff['last_activity'], tz))} · <strong>{state}</strong></p>"
    )
    actions = _forms(handoff_id, session.csrf) if is_open and session.officer.can_edit else ""
    body = join([
        notice("Đã gửi; người dân nhận trên kênh họ đang dùng.") if sent else "",
        f'<p>{link("/admin/handoffs", "← Danh sách")} · {link(f"/admin/handoffs/{handoff_id}", "Tải lại")}</p>',
        facts, _said(turns, replies, tz), actions,
    ])  # fmt: skip
    return page(f"Gặp cán bộ — hội thoại #{handoff_id}", body, session.officer, session.csrf)


async def reply(handoff_id: int, request: Request) -> Response:
    session, form = await posted(request, editor=True)
    text = form.get("text").strip()[:MAX_REPLY]
    if not text:
        raise ConsoleRefusal(422, "Hãy nhập nội dung trả lời.")
    try:
        await officers_handoffs.reply(store_of(request), _settings(request).handoff_timeout, handoff_id, text)
    except officers_handoffs.HandoffRefused as exc:
        raise _refused(exc) from None
    audit.info("console: handoff #%s replied by %r", handoff_id, session.officer.name)
    _wake(request)
    return RedirectResponse(f"/admin/handoffs/{handoff_id}?sent=1", status_code=303)


async def close(handoff_id: int, request: Request) -> Response:
    session, _ = await posted(request, editor=True)
    try:
        await officers_handoffs.close(
            store_of(request), _settings(request).handoff_timeout, handoff_id, session.officer.name
        )
    except officers_handoffs.HandoffRefused as exc:
        raise _refused(exc) from None
    audit.info("console: handoff #%s closed by %r", handoff_id, session.officer.name)
    _wake(request)
    return RedirectResponse(f"/admin/handoffs?closed={handoff_id}", status_code=303)


def router() -> APIRouter:
    routes = APIRouter(prefix="/admin", include_in_schema=False)
    routes.add_api_route("/handoffs", handoff_list, methods=["GET"])
    routes.add_api_route("/handoffs/duty", duty, methods=["POST"])
    routes.add_api_route("/handoffs/{handoff_id}", handoff_page, methods=["GET"])
    routes.add_api_route("/handoffs/{handoff_id}/reply", reply, methods=["POST"])
    routes.add_api_route("/handoffs/{handoff_id}/close", close, methods=["POST"])
    return routes
