"""The console's HTML: one page layout, forms with their CSRF field, tables. Everything shown is
escaped here; views pass plain strings, or ``Markup`` for HTML they built with these helpers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from html import escape
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse

# No script at all; styles and images from this server only (charts are inline SVG).
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
NAV = [
    ("/admin/dashboard", "Tổng quan"),
    ("/admin/unanswered", "Câu hỏi chưa trả lời được"),
    ("/admin/tickets", "Phản ánh"),
    ("/admin/bookings", "Lịch hẹn"),
    ("/admin/handoffs", "Gặp cán bộ"),
    ("/admin/content", "Nội dung"),
    ("/admin/catalogue", "Danh mục thủ tục"),
    ("/admin/quality", "Câu trả lời cần xem lại"),
    ("/admin/qr", "Mã QR tại quầy"),
]


class Markup(str):
    """HTML that is already safe."""


def e(value: Any) -> str:
    if isinstance(value, Markup):
        return value
    return escape("" if value is None else str(value))


def join(parts: Iterable[str]) -> Markup:
    return Markup("".join(parts))


def page(
    title: str, body: str, officer: Any = None, csrf: str = "", status_code: int = 200, refresh: int = 0
) -> HTMLResponse:
    """The layout; ``refresh`` seconds makes a list page reload itself (no script needed)."""
    nav = ""
    if officer is not None:
        links = "".join(f'<a href="{href}">{e(label)}</a>' for href, label in NAV)
        nav = (
            f'<nav class="top"><span class="brand">Trợ lý ảo · Cán bộ</span>{links}'
            f'<form method="post" action="/admin/logout" class="logout">{csrf_field(csrf)}'
            f'<span class="who">{e(officer.name)} ({e(role_name(officer.role))})</span>'
            f'<button type="submit">Đăng xuất</button></form></nav>'
        )
    text = (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        + (f'<meta http-equiv="refresh" content="{int(refresh)}">' if refresh > 0 else "")
        + f"<title>{e(title)} · Trợ lý ảo</title>"
        '<link rel="stylesheet" href="/static/admin.css"></head>'
        f"<body>{nav}<main><h1>{e(title)}</h1>{body}</main></body></html>"
    )
    return HTMLResponse(text, status_code=status_code, headers=headers())


def headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": CSP,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }


def role_name(role: str) -> str:
    return {"editor": "biên tập", "viewer": "xem"}.get(role, role)


def csrf_field(token: str) -> str:
    return f'<input type="hidden" name="csrf" value="{e(token)}">'


def cell_text(value: Any) -> str:
    """A table cell as text: times dd/mm/yyyy HH:MM, days dd/mm/yyyy, nothing for None."""
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else str(value)


def table(columns: list[str], rows: Iterable[Iterable[Any]], empty: str = "Không có dữ liệu.") -> Markup:
    """A table; on a phone each row becomes a card of "column: value" lines (admin.css), so no
    column is squeezed to a letter's width. Cells are escaped; ``Markup`` cells (links) kept."""
    labels = [e(c) for c in columns]

    def label(i: int) -> str:
        return labels[i] if i < len(labels) else ""

    body = "".join(
        "<tr>" + "".join(f'<td data-label="{label(i)}">{_cell(cell)}</td>' for i, cell in enumerate(row)) + "</tr>"
        for row in rows
    )
    if not body:
        return Markup(f'<p class="empty">{e(empty)}</p>')
    head = "".join(f"<th>{label}</th>" for label in labels)
    return Markup(
        f'<div class="scroll"><table class="stack"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
    )


def _cell(value: Any) -> str:
    return value if isinstance(value, Markup) else e(cell_text(value))


def link(href: str, text: str, **params: Any) -> Markup:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return Markup(f'<a href="{e(href + ("?" + query if query else ""))}">{e(text)}</a>')


def notice(text: str, kind: str = "ok") -> Markup:
    return Markup(f'<p class="notice {kind}" role="status">{e(text)}</p>')


def errors(lines: list[str]) -> Markup:
    if not lines:
        return Markup("")
    items = "".join(f"<li><code>{e(line)}</code></li>" for line in lines)
    return Markup(
        f'<div class="notice error" role="alert"><p>Nội dung chưa hợp lệ, chưa lưu:</p><ul>{items}</ul></div>'
    )


def date_range_form(action: str, day_from: Any, day_to: Any, extra: str = "") -> Markup:
    return Markup(
        f'<form method="get" action="{e(action)}" class="filters">'
        f'<label>Từ ngày <input type="date" name="from" value="{e(day_from)}"></label>'
        f'<label>Đến ngày <input type="date" name="to" value="{e(day_to)}"></label>{extra}'
        '<button type="submit">Xem</button></form>'
    )
