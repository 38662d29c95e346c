"""The page of answers to check: those citizens rated 👎 and those given on a weak understanding
of the question, so that officers see wrong answers, not only missing ones."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from connectors.console.auth import current, store_of
from connectors.console.html import Markup, date_range_form, join, link, page, table
from connectors.console.live import procedure_names, zone
from connectors.console.views import period
from connectors.officers import channel_label
from connectors.records import call
from tthc import clock
from tthc.reports.figures import intent_name, percent, procedure_name
from tthc.reports.quality import LOW_CONFIDENCE, low_confidence, rated_down

COLUMNS = ["Thời gian", "Kênh", "Câu hỏi của người dân", "Thủ tục đã trả lời", "Người dân muốn"]


def _question(text: str | None) -> Markup | str:
    """The question, linked to what the assistant would answer to it now."""
    if not text:
        return "(không rõ câu hỏi)"
    return link("/admin/preview", text, q=text[:500])


def _procedure(slug: str | None, names: dict[str, str]) -> Markup | str:
    """A curated procedure links to its content page; a catalogue one (an official code) to its record."""
    if not slug:
        return "—"
    if slug not in names:
        return slug
    page = "catalogue" if "." in slug else "content"  # slugs have no dot, codes do (1.012786)
    return link(f"/admin/{page}/{slug}", procedure_name(slug, names))


def _rows(found: list[dict[str, Any]], names: dict[str, str], time_zone: str, confidence: bool) -> list[list[Any]]:
    rows = []
    for item in found:
        row = [clock.local(item["at"], time_zone), channel_label(item["channel"]), _question(item.get("text")),
               _procedure(item.get("procedure"), names), intent_name(item.get("intent")) or "—"]  # fmt: skip
        if confidence:
            row.append(percent(item.get("confidence")))
        rows.append(row)
    return rows


async def quality(
    request: Request, day_from: str | None = Query(None, alias="from"), day_to: str | None = Query(None, alias="to")
) -> HTMLResponse:
    session = await current(request)
    tz = zone(request)
    start, end = period(day_from, day_to, tz)
    engine = store_of(request).engine
    down = await call(partial(rated_down, zone=tz), engine, start, end)
    weak = await call(partial(low_confidence, zone=tz), engine, start, end)
    names = procedure_names(request)
    body = join([
        date_range_form("/admin/quality", start, end),
        '<p class="muted">Trang <a href="/admin/unanswered">Câu hỏi chưa trả lời được</a> cho biết câu nào trợ lý ảo '
        "chưa trả lời; trang này cho biết câu trả lời nào có thể sai. Bấm vào câu hỏi để xem trợ lý ảo trả lời gì "
        "bây giờ, bấm vào thủ tục để sửa nội dung.</p>",
        f'<section class="card" id="rated-down"><h2>Người dân đánh giá chưa hữu ích ({len(down)})</h2>',
        table(COLUMNS, _rows(down, names, tz, False), empty="Không có đánh giá chưa hữu ích nào trong kỳ."),
        "</section>",
        f'<section class="card" id="low-confidence"><h2>Trả lời khi chưa chắc hiểu câu hỏi ({len(weak)})</h2>',
        f'<p class="muted">Độ tin cậy nhận biết ý định dưới {percent(LOW_CONFIDENCE)}; thấp nhất trước.</p>',
        table([*COLUMNS, "Độ tin cậy"], _rows(weak, names, tz, True), empty="Không có câu trả lời nào như vậy."),
        "</section>",
    ])  # fmt: skip
    return page("Câu trả lời cần xem lại", body, session.officer, session.csrf)


def router() -> APIRouter:
    routes = APIRouter(prefix="/admin", include_in_schema=False)
    routes.add_api_route("/quality", quality, methods=["GET"])
    return routes
