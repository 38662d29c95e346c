"""The console's pages: login, dashboard, tickets, bookings, handoffs, the report download."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import logging
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from connectors import messages
from connectors.console import svg
from connectors.console.auth import (
    LOGIN_COOKIE,
    ConsoleRefusal,
    current,
    log_in,
    log_out,
    new_login_token,
    posted,
    read_form,
    set_cookie,
    store_of,
)
from connectors.console.catalogue import dashboard_sections
from connectors.console.html import Markup, cell_text, csrf_field, date_range_form, e, join, link, notice, page, table
from connectors.console.live import procedure_names, zone
from connectors.exports import XLSX_TYPE, mask_phone, safe_cell
from connectors.officers import channel_label, sender_tag
from connectors.outbound import outbound_note
from connectors.records import call
from tthc import clock
from tthc.privacy import mask_pii
from tthc.reports.figures import OUTCOME_NAMES, compute, default_period, percent, summary_rows, with_names
from tthc.settings import child_env

logger = logging.getLogger(__name__)
audit = logging.getLogger("connectors.admin.audit")

REPORT_TIMEOUT_S = 120


def period(day_from: str | None, day_to: str | None, time_zone: str | None = None) -> tuple[dt.date, dt.date]:
    """The days asked for; by default the last 30 days up to today (in the deployment's zone)."""
    start, end = default_period(zone=time_zone)
    try:
        start = dt.date.fromisoformat(day_from) if day_from else start
        end = dt.date.fromisoformat(day_to) if day_to else end
    except ValueError:
        raise ConsoleRefusal(422, "Ngày phải có dạng YYYY-MM-DD.") from None
    if end < start:
        raise ConsoleRefusal(422, "Ngày kết thúc phải sau ngày bắt đầu.")
    return start, end


def _time(value: dt.datetime | None, time_zone: str) -> dt.datetime | None:
    """A stored time as officers read it: in the deployment's zone (Asia/Ho_Chi_Minh); tables
    show it as dd/mm/yyyy HH:MM, spreadsheets keep it a date and time."""
    return clock.local(value, time_zone)


def download(rows: list[list[Any]], columns: list[str], name: str, kind: str) -> Response:
    """Rows as a CSV (UTF-8 with BOM, for Excel) or xlsx download; no cell runs as a formula.
    In xlsx, numbers stay numbers and times stay dates (shown dd/mm/yyyy); texts are texts."""
    if kind == "xlsx":
        body, media_type = _xlsx(rows, columns), XLSX_TYPE
    else:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows([[safe_cell(cell_text(v)) for v in row] for row in rows])
        body, media_type = out.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8"
    disposition = f'attachment; filename="{name}.{"xlsx" if kind == "xlsx" else "csv"}"'
    return Response(
        body, media_type=media_type, headers={"Content-Disposition": disposition, "Cache-Control": "no-store"}
    )


def _xlsx(rows: list[list[Any]], columns: list[str]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_xlsx_value(v) for v in row])
        for cell, value in zip(sheet[sheet.max_row], row):
            if isinstance(value, dt.datetime):
                cell.number_format = "dd/mm/yyyy hh:mm"
            elif isinstance(value, dt.date):
                cell.number_format = "dd/mm/yyyy"
    for letter, title in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", columns):
        sheet.column_dimensions[letter].width = max(12, min(len(title) + 4, 40))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (bool, int, float, dt.date)):  # datetime is a date
        return value
    return safe_cell(str(value))


def exports(path: str, **params: Any) -> Markup:
    return join(["<p class=\"exports\">Tải về: ", link(path, "CSV", format="csv", **params), " · ",
                 link(path, "Excel (xlsx)", format="xlsx", **params), "</p>"])  # fmt: skip


# --- login ---------------------------------------------------------------------------------
async def root() -> RedirectResponse:
    return RedirectResponse("/admin/dashboard", status_code=303)


def _login_page(request: Request, error: str = "", status_code: int = 200) -> HTMLResponse:
    token = new_login_token()
    body = (
        (notice(error, "error") if error else "")
        + '<form method="post" action="/admin/login" class="card login">'
        + csrf_field(token)
        + '<label>Tên đăng nhập <input name="name" autocomplete="username" required></label>'
        + '<label>Mật khẩu <input name="password" type="password" autocomplete="current-password" required></label>'
        + '<button type="submit">Đăng nhập</button></form>'
    )
    response = page("Đăng nhập", body, status_code=status_code)
    set_cookie(request, response, LOGIN_COOKIE, token, 3600)
    return response


async def login_form(request: Request) -> HTMLResponse:
    return _login_page(request)


async def login(request: Request) -> Response:
    result = await log_in(request, await read_form(request))
    if isinstance(result, str):
        return _login_page(request, result, status_code=401)
    return result


async def logout(request: Request) -> Response:
    return await log_out(request)


# --- dashboard -----------------------------------------------------------------------------
async def dashboard(
    request: Request, day_from: str | None = Query(None, alias="from"), day_to: str | None = Query(None, alias="to")
) -> HTMLResponse:
    session = await current(request)
    start, end = period(day_from, day_to, zone(request))
    f = await call(compute, store_of(request).engine, start, end, None, zone(request))
    with_names(f, procedure_names(request))
    cards = "".join(
        f'<div class="card stat"><div class="value">{e(value)}</div><div class="label">{e(label)}</div></div>'
        for label, value in summary_rows(f)
    )
    days = [d["day"].strftime("%d/%m") for d in f.per_day]
    chart = svg.bar_line_chart(
        days, [d["conversations"] for d in f.per_day], [d["messages"] for d in f.per_day],
        title="Hội thoại và tin nhắn theo ngày", bar_name="Hội thoại", line_name="Tin nhắn",
    )  # fmt: skip
    procedures = svg.hbar_chart([(p["name"], p["count"]) for p in f.top_procedures], "Thủ tục được hỏi nhiều nhất")
    intents = svg.hbar_chart([(i["name"], i["count"]) for i in f.top_intents], "Người dân muốn gì")
    channels = table(
        ["Kênh", "Hội thoại", "Tin nhắn"], [[c["label"], c["conversations"], c["messages"]] for c in f.per_channel]
    )
    outcomes = table(
        ["Kết quả", "Số tin nhắn"],
        [[OUTCOME_NAMES.get(o, o), n] for o, n in sorted(f.outcomes.items(), key=lambda kv: -kv[1])],
    )
    report_form = (
        '<form method="get" action="/admin/report" class="filters">'
        f'<input type="hidden" name="from" value="{start}"><input type="hidden" name="to" value="{end}">'
        '<label>Báo cáo <select name="format"><option value="xlsx">Excel (xlsx)</option>'
        '<option value="pdf">PDF</option><option value="md">Markdown</option></select></label>'
        '<button type="submit">Tải báo cáo kỳ này</button></form>'
    )
    body = join([
        date_range_form("/admin/dashboard", start, end), report_form,
        f'<p class="muted">Từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}. Tỷ lệ trả lời: {e(percent(f.answer_rate))}.</p>',
        f'<p class="muted" id="outbound">{e(outbound_note(getattr(request.app.state, "outbound", None)))}</p>',
        f'<section class="stats" id="stats">{cards}</section>',
        f'<section class="card">{chart}</section>',
        f'<section class="grid2"><div class="card">{procedures}</div><div class="card">{intents}</div></section>',
        '<section class="grid2"><div class="card"><h2>Theo kênh</h2>', channels,
        '</div><div class="card"><h2>Kết quả xử lý</h2>', outcomes, "</div></section>",
        await dashboard_sections(request, session, start, end),
    ])  # fmt: skip
    return page("Tổng quan", body, session.officer, session.csrf)


async def report(
    request: Request,
    day_from: str | None = Query(None, alias="from"),
    day_to: str | None = Query(None, alias="to"),
    format: str = "xlsx",
) -> Response:
    session = await current(request)
    if format not in ("xlsx", "pdf", "md"):
        raise ConsoleRefusal(422, messages.BAD_FORMAT)
    start, end = period(day_from, day_to, zone(request))
    body = await make_report(request, start, end, format)
    audit.info("console: report %s..%s (%s) downloaded by %r", start, end, format, session.officer.name)
    media = {"xlsx": XLSX_TYPE, "pdf": "application/pdf", "md": "text/markdown; charset=utf-8"}[format]
    name = f"bao-cao-tro-ly-ao-{start}-{end}.{format}"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"',
                                                     "Cache-Control": "no-store"})  # fmt: skip


# --- tickets -------------------------------------------------------------------------------
async def tickets(request: Request, status: str = "open", format: str | None = None) -> Response:
    session = await current(request)
    if status not in ("open", "answered", "all"):
        raise ConsoleRefusal(422, messages.BAD_STATUS)
    found = await call(store_of(request).tickets, None if status == "all" else status)
    columns = ["Mã", "Ngày gửi", "Kênh", "Người dân", "Nội dung", "Điện thoại", "Trạng thái"]
    tz = zone(request)
    rows = [[t.code, _time(t.created_at, tz), channel_label(t.channel), sender_tag(t.sender),
             mask_pii(f"{t.subject}: {t.content}"), mask_phone(t.phone) or "",
             "Đã trả lời" if t.status == "answered" else "Chờ trả lời"] for t in found]  # fmt: skip
    if format:
        return download(rows, columns, f"phan-anh-{status}", format)
    tabs = " · ".join(
        str(link("/admin/tickets", label, status=key)) if key != status else f"<strong>{label}</strong>"
        for key, label in (("open", "Chờ trả lời"), ("answered", "Đã trả lời"), ("all", "Tất cả"))
    )
    shown = [[link(f"/admin/tickets/{r[0]}", r[0]), *r[1:]] for r in rows]
    body = join([f'<p class="filters">{tabs}</p>', exports("/admin/tickets", status=status), table(columns, shown)])
    return page("Phản ánh, kiến nghị", body, session.officer, session.csrf)


async def ticket(code: str, request: Request, sent: str | None = None) -> HTMLResponse:
    session = await current(request)
    found = await call(store_of(request).ticket, code[:20])
    if found is None:
        raise ConsoleRefusal(404, messages.TICKET_NOT_FOUND.format(code=code[:20]))
    audit.info("console: ticket %s opened, unmasked, by %r from %s", found.code, session.officer.name,
               request.client.host if request.client else "?")  # fmt: skip
    tz = zone(request)
    facts = table(["", ""], [
        ["Mã", found.code], ["Ngày gửi", _time(found.created_at, tz)], ["Kênh", channel_label(found.channel)],
        ["Người dân", sender_tag(found.sender)], ["Điện thoại", found.phone or ""], ["Về", found.subject],
        ["Nội dung", found.content], ["Trạng thái", "Đã trả lời" if found.status == "answered" else "Chờ trả lời"],
        ["Trả lời", found.answer or ""], ["Trả lời lúc", _time(found.answered_at, tz)],
    ])  # fmt: skip
    form = ""
    if session.officer.can_edit:
        form = (
            f'<form method="post" action="/admin/tickets/{e(found.code)}/answer" class="card">'
            f"{csrf_field(session.csrf)}"
            '<label>Trả lời người dân <textarea name="answer" rows="5" maxlength="4000" required></textarea></label>'
            '<button type="submit">Gửi trả lời</button></form>'
        )
    body = join([notice("Đã gửi trả lời; người dân sẽ nhận trên kênh đã gửi phản ánh.") if sent else "",
                 facts, form])  # fmt: skip
    return page(f"Phản ánh {found.code}", body, session.officer, session.csrf)


async def answer(code: str, request: Request) -> Response:
    session, form = await posted(request, editor=True)
    text = form.get("answer").strip()[:4000]
    if not text:
        raise ConsoleRefusal(422, "Hãy nhập nội dung trả lời.")
    found = await call(store_of(request).answer_ticket, code[:20], text, session.officer.name)
    if found is None:
        raise ConsoleRefusal(404, messages.TICKET_NOT_FOUND.format(code=code[:20]))
    audit.info("console: ticket %s answered by %r", found.code, session.officer.name)
    delivery = getattr(request.app.state, "delivery", None)
    if delivery is not None:
        delivery.wake()
    return RedirectResponse(f"/admin/tickets/{found.code}?sent=1", status_code=303)


# --- bookings (handoffs: connectors/console/handoffs.py) ------------------------------------
async def bookings(
    request: Request,
    day_from: str | None = Query(None, alias="from"),
    day_to: str | None = Query(None, alias="to"),
    format: str | None = None,
) -> Response:
    session = await current(request)
    today = clock.today(zone(request))
    start, end = period(day_from or today.isoformat(), day_to or (today + dt.timedelta(days=30)).isoformat())
    found = await call(store_of(request).bookings, start, end)
    columns = ["Mã", "Ngày", "Giờ", "Nơi tiếp nhận", "Thủ tục", "Họ và tên", "Điện thoại", "Trạng thái", "Kênh"]
    rows = [[b.code, b.day, b.slot, b.centre, b.procedure, b.name, mask_phone(b.phone),
             "Đã đặt" if b.status == "booked" else "Đã hủy", channel_label(b.channel)] for b in found]  # fmt: skip
    if format:
        return download(rows, columns, f"lich-hen-{start}-{end}", format)
    body = join([date_range_form("/admin/bookings", start, end),
                 exports("/admin/bookings", **{"from": start, "to": end}), table(columns, rows)])  # fmt: skip
    return page("Lịch hẹn", body, session.officer, session.csrf)


def router() -> APIRouter:
    """The console pages, each a module-level handler."""
    routes = APIRouter(prefix="/admin", include_in_schema=False)
    routes.add_api_route("", root, methods=["GET"])
    routes.add_api_route("/login", login_form, methods=["GET"])
    routes.add_api_route("/login", login, methods=["POST"])
    routes.add_api_route("/logout", logout, methods=["POST"])
    routes.add_api_route("/dashboard", dashboard, methods=["GET"])
    routes.add_api_route("/report", report, methods=["GET"])
    routes.add_api_route("/tickets", tickets, methods=["GET"])
    routes.add_api_route("/tickets/{code}", ticket, methods=["GET"])
    routes.add_api_route("/tickets/{code}/answer", answer, methods=["POST"])
    routes.add_api_route("/bookings", bookings, methods=["GET"])
    return routes


async def make_report(request: Request, start: dt.date, end: dt.date, fmt: str) -> bytes:
    """Run `trolyao report` (Rasa venv) into a temp file, on the same store and locality."""
    store = store_of(request)
    settings = request.app.state.settings
    with tempfile.TemporaryDirectory(prefix="trolyao-report-") as folder:
        output = Path(folder) / f"report.{fmt}"
        env = child_env(TROLYAO_CONTENT_DIR=str(settings.content_dir), MPLCONFIGDIR=folder)
        process = await asyncio.create_subprocess_exec(
            *settings.report_command, "report", "--from", start.isoformat(), "--to", end.isoformat(), "--format", fmt,
            "--output", str(output), "--db", store.url, "--locality", settings.locality,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
        )  # fmt: skip
        try:
            _, err = await asyncio.wait_for(process.communicate(), REPORT_TIMEOUT_S)
        except asyncio.TimeoutError:
            process.kill()
            raise ConsoleRefusal(
                504, "Lập báo cáo quá lâu; hãy chọn kỳ ngắn hơn hoặc dùng lệnh trolyao report."
            ) from None
        if process.returncode != 0 or not output.exists():
            logger.error("console: report failed (%s): %s", process.returncode, err.decode(errors="replace")[-2000:])
            raise ConsoleRefusal(500, "Không lập được báo cáo; xem nhật ký máy chủ.")
        return output.read_bytes()
