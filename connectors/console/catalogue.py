"""Console pages on the official catalogue: search it, read a record, promote a record into a
draft curated file in one step; and the dashboard's two catalogue sections (the catalogue
procedures citizens ask about most, the questions that got "not in the catalogue", grouped).

The search is a plain word search over names and codes (tthc.catalogue.lookup), not the
assistant's retrieval: the gateway has no numpy. A draft goes to content/drafts/<slug>.yml
(tthc.content.catalogue_draft), which the assistant never reads.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from connectors.console.auth import ConsoleRefusal, current, posted, store_of
from connectors.console.html import Markup, csrf_field, e, join, link, notice, page, table
from connectors.console.live import base, live, lookup, zone
from connectors.records import call
from tthc import clock
from tthc.catalogue.model import CatalogueProcedure
from tthc.content import ContentBase
from tthc.content.catalogue_draft import DRAFTS, PromoteError, curated_codes, default_slug, drafts_of, promote
from tthc.content.schema import PATTERNS
from tthc.records.accounts import Session
from tthc.reports.figures import DECLINED_OUTCOMES, count_text, procedure_demand, unanswered_turns
from tthc.reports.unanswered import group_messages

logger = logging.getLogger(__name__)
audit = logging.getLogger("connectors.admin.audit")
MAX_RESULTS = 50
TOP_CANDIDATES = 10
TOP_DECLINED = 10
EXAMPLES = 3


# --- search --------------------------------------------------------------------------------
async def search(request: Request, q: str = "") -> HTMLResponse:
    session = await current(request)
    content = base(request)
    text = q.strip()[:200]
    form = (
        '<form method="get" action="/admin/catalogue" class="filters" id="catalogue-search">'
        f'<label>Tên hoặc mã thủ tục <input name="q" value="{e(text)}" maxlength="200" required></label>'
        '<button type="submit">Tìm</button></form>'
    )
    if not text:
        size = count_text(len(content.catalogue))
        intro = (
            f'<p class="muted">Danh mục có {size} thủ tục theo bản ghi của Cổng Dịch vụ công quốc gia; trợ lý ảo '
            "trả lời mọi thủ tục trong đó. Gõ vài chữ trong tên (có dấu hoặc không dấu, ví dụ <em>cap lai giay "
            "chung nhan</em>) hoặc mã (ví dụ <em>1.012786</em>).</p>"
        )
        return page("Danh mục thủ tục", join([form, intro]), session.officer, session.csrf)
    found = await call(lookup(request).find, text, MAX_RESULTS + 1)
    cited = curated_codes(content.procedures.values())
    rows = [[link(f"/admin/catalogue/{p.code}", p.name), p.code, p.level or "—", p.field or "—", p.ministry_name,
             _curated(cited, p.code)] for p in found[:MAX_RESULTS]]  # fmt: skip
    shown = f"{MAX_RESULTS} thủ tục đầu" if len(found) > MAX_RESULTS else f"{len(found)} thủ tục"
    body = join([
        form, f'<p class="muted" id="found">Tìm thấy {shown} có các chữ đã gõ trong tên, gần nhất trước.</p>',
        table(["Thủ tục", "Mã", "Cấp thực hiện", "Lĩnh vực", "Bộ, ngành", "Tệp nội dung riêng"], rows,
              empty="Không có thủ tục nào có các chữ này trong tên. Hãy thử ít chữ hơn hoặc gõ mã thủ tục."),
    ])  # fmt: skip
    return page("Danh mục thủ tục", body, session.officer, session.csrf)


def _curated(cited: dict[str, str], code: str) -> Markup | str:
    slug = cited.get(code)
    return link(f"/admin/content/{slug}", f"Có ({slug})") if slug else "Chưa có"


# --- one record ----------------------------------------------------------------------------
async def record(code: str, request: Request, drafted: str | None = None) -> HTMLResponse:
    session = await current(request)
    content = base(request)
    procedure = _procedure(content, code)
    content_dir = Path(request.app.state.settings.content_dir)
    slug = curated_codes(content.procedures.values()).get(procedure.code)
    body = join([
        _drafted(content_dir, drafted),
        f'<p class="muted">Mã {e(procedure.code)} · {e(procedure.level or "chưa rõ cấp")} · '
        f'{e(procedure.field or "chưa rõ lĩnh vực")} · {e(procedure.ministry_name)} · '
        f'{link(procedure.detail_url, "Trang chính thức")}'
        + (f" · nhập ngày {procedure.imported:%d/%m/%Y}" if procedure.imported else "") + "</p>",
        notice(f"Thủ tục này đã có tệp nội dung riêng: {slug}. Trợ lý ảo trả lời theo tệp đó.") if slug else "",
        link(f"/admin/content/{slug}", "Xem tệp nội dung") if slug else "",
        _promote_form(session, procedure, content_dir) if not slug else "",
        _facts(procedure),
    ])  # fmt: skip
    return page(procedure.name, body, session.officer, session.csrf)


def _procedure(content: ContentBase, code: str) -> CatalogueProcedure:
    procedure = content.catalogue.get(code[:40])
    if procedure is None:
        raise ConsoleRefusal(404, f"Danh mục không có thủ tục mã '{code[:40]}'.")
    return procedure


def _drafted(content_dir: Path, slug: str | None) -> str:
    """After a promotion: what was written, and the draft itself to read."""
    if not slug or not PATTERNS["slug"].match(slug):
        return ""
    path = content_dir / DRAFTS / f"{slug}.yml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    return (
        f'<div class="notice" role="status" id="drafted"><p>Đã tạo bản nháp <code>{DRAFTS}/{e(slug)}.yml</code>. '
        "Bản nháp chưa được trợ lý ảo dùng: hãy đọc mục notes, đối chiếu với trang chính thức, viết ít nhất 5 câu "
        "hỏi thường gặp, rồi chuyển tệp vào content/procedures/ và chạy lệnh trolyao content check.</p>"
        f'<details class="draft"><summary>Xem bản nháp</summary><pre>{e(text)}</pre></details></div>'
    )


def _promote_form(session: Session, procedure: CatalogueProcedure, content_dir: Path) -> str:
    drafts = drafts_of(content_dir, procedure.code)
    if drafts:
        names = ", ".join(f"{DRAFTS}/{p.name}" for p in drafts)
        return str(notice(f"Đã có bản nháp cho thủ tục này: {names}. Hãy hoàn thiện bản nháp đó."))
    if not session.officer.can_edit:
        return '<p class="muted">Cần quyền biên tập để tạo tệp nội dung riêng cho thủ tục này.</p>'
    return (
        f'<form method="post" action="/admin/catalogue/{e(procedure.code)}/promote" class="card promote" '
        f'id="promote">{csrf_field(session.csrf)}<h2>Soạn tệp nội dung riêng</h2>'
        '<p class="muted">Tạo bản nháp từ bản ghi này (hồ sơ, thời hạn, lệ phí, căn cứ pháp lý, kết quả). Bản nháp '
        "chưa được trợ lý ảo dùng cho tới khi cán bộ rà soát, viết câu hỏi thường gặp và chuyển vào nội dung.</p>"
        '<label>Tên tệp (chữ thường không dấu, gạch ngang) <input name="slug" '
        f'value="{e(default_slug(procedure))}" pattern="[a-z0-9]+(-[a-z0-9]+)*" maxlength="80" required></label>'
        '<button type="submit">Tạo bản nháp</button></form>'
    )


def _facts(procedure: CatalogueProcedure) -> Markup:
    none = "Bản ghi không ghi"
    legal = "; ".join(f"{d.title} ({d.number})" if d.number and d.number not in d.title else d.title
                      for d in procedure.legal_basis)  # fmt: skip
    facts = table(["", ""], [  # label and value, as a ticket's facts: on a phone, the value under its label
        [_label("Cơ quan thực hiện"), procedure.agency or none],
        [_label("Cơ quan có thẩm quyền"), procedure.authority or none],
        [_label("Nơi tiếp nhận hồ sơ"), procedure.address or none],
        [_label("Đối tượng thực hiện"), ", ".join(procedure.applicants) or none],
        [_label("Kết quả"), procedure.result or none], [_label("Căn cứ pháp lý"), legal or none],
    ])  # fmt: skip
    ways = table(["Hình thức nộp", "Thời hạn giải quyết", "Phí, lệ phí"],
                 [[w.channel, w.time or none, w.fee_text or none] for w in procedure.ways],
                 empty="Bản ghi không ghi cách thức thực hiện.")  # fmt: skip
    documents = table(["Giấy tờ", "Số lượng", "Mẫu đơn, tờ khai"],
                      [[d.name, d.quantity or none, ", ".join(d.forms) or "—"] for d in procedure.documents],
                      empty="Bản ghi không ghi thành phần hồ sơ.")  # fmt: skip
    return join([
        '<section class="card" id="record-facts"><h2>Bản ghi</h2>', facts, "</section>",
        '<section class="card" id="record-ways"><h2>Cách thức thực hiện</h2>', ways, "</section>",
        '<section class="card" id="record-documents"><h2>Thành phần hồ sơ</h2>', documents, "</section>",
    ])  # fmt: skip


def _label(text: str) -> Markup:
    return Markup(f"<strong>{e(text)}</strong>")


# --- promote -------------------------------------------------------------------------------
async def promote_record(code: str, request: Request) -> Response:
    session, form = await posted(request, editor=True)
    content = base(request)
    procedure = _procedure(content, code)
    content_dir = request.app.state.settings.content_dir
    cited = curated_codes(content.procedures.values())
    slug = form.get("slug").strip()[:80] or None
    try:
        path = await call(partial(promote, procedure, content_dir, slug=slug, today=_today(request), cited=cited))
    except PromoteError as exc:
        body = join([notice(str(exc), "error"), link(f"/admin/catalogue/{procedure.code}", "Quay lại thủ tục")])
        return page("Chưa tạo được bản nháp", body, session.officer, session.csrf, status_code=409)
    audit.info("console: %r promoted catalogue procedure %s into %s", session.officer.name, procedure.code, path)
    return RedirectResponse(f"/admin/catalogue/{procedure.code}?drafted={path.stem}#drafted", status_code=303)


def _today(request: Request) -> dt.date:
    return clock.today(zone(request))


# --- the dashboard's catalogue sections ----------------------------------------------------
async def dashboard_sections(request: Request, session: Session, start: dt.date, end: dt.date) -> Markup:
    """The catalogue procedures citizens ask about most (candidates for a curated file), and the
    questions answered "not in the catalogue", grouped; nothing when the content cannot be read."""
    try:
        content = live(request).get()
    except Exception:
        logger.warning("console: content unreadable, dashboard without its catalogue sections", exc_info=True)
        return Markup("")
    engine, tz = store_of(request).engine, zone(request)
    demand = await call(partial(procedure_demand, zone=tz), engine, start, end)
    declined = await call(partial(unanswered_turns, zone=tz, outcomes=DECLINED_OUTCOMES), engine, start, end)
    groups = await call(lambda: group_messages(declined, max_examples=EXAMPLES)[:TOP_DECLINED])
    content_dir = Path(request.app.state.settings.content_dir)
    return join([_candidates(session, content, demand, content_dir), _declined(len(declined), groups)])


def _candidates(session: Session, content: ContentBase, demand: list[dict[str, Any]], content_dir: Path) -> str:
    cited = curated_codes(content.procedures.values())
    found = [d for d in demand if d["procedure"] in content.catalogue and d["procedure"] not in cited]
    rows = []
    for item in found[:TOP_CANDIDATES]:
        procedure = content.catalogue[item["procedure"]]
        rows.append([link(f"/admin/catalogue/{procedure.code}", procedure.name), procedure.code,
                     procedure.level or "—", item["questions"], item["citizens"],
                     _candidate_action(session, procedure, content_dir)])  # fmt: skip
    columns = ["Thủ tục trong danh mục", "Mã", "Cấp thực hiện", "Câu hỏi đã trả lời", "Người dân", "Tệp riêng"]
    return (
        '<section class="card" id="catalogue-candidates"><h2>Thủ tục trong danh mục được hỏi nhiều nhất</h2>'
        '<p class="muted">Trợ lý ảo trả lời các thủ tục này từ bản ghi của danh mục vì chưa có tệp nội dung riêng. '
        "Những thủ tục đầu danh sách nên có tệp riêng (lời dễ hiểu, câu hỏi thường gặp): bấm "
        "<strong>Tạo bản nháp</strong> để tạo tệp nháp từ bản ghi.</p>"
        + table(columns, rows, empty="Chưa có câu hỏi nào được trả lời từ bản ghi của danh mục trong kỳ này.")
        + "</section>"
    )


def _candidate_action(session: Session, procedure: CatalogueProcedure, content_dir: Path) -> Markup | str:
    drafts = drafts_of(content_dir, procedure.code)
    if drafts:
        return f"Đã có bản nháp {DRAFTS}/{drafts[0].name}"
    if not session.officer.can_edit:
        return "Chưa có"
    return Markup(
        f'<form method="post" action="/admin/catalogue/{e(procedure.code)}/promote" class="inline">'
        f'{csrf_field(session.csrf)}<button type="submit">Tạo bản nháp</button></form>'
    )


def _declined(total: int, groups: list[Any]) -> str:
    items = "".join(
        f'<li class="card group"><p><strong>{group.count}</strong> tin nhắn</p><ul class="examples">'
        + "".join(f"<li>{e(example)}</li>" for example in group.examples)
        + f"</ul><p>{link('/admin/catalogue', 'Tìm trong danh mục', q=group.question[:200])}</p></li>"
        for group in groups
    )
    return (
        f'<section class="card" id="declined"><h2>Hỏi thủ tục không có trong danh mục ({count_text(total)} tin nhắn)'
        '</h2><p class="muted">Trợ lý ảo đã trả lời rằng thủ tục không có trong danh mục, kèm trang tìm kiếm của Cổng '
        "Dịch vụ công quốc gia và số tổng đài. Câu hỏi giống nhau được gộp thành nhóm, nhiều nhất trước; bấm "
        "<strong>Tìm trong danh mục</strong> để xem danh mục có thủ tục đó không.</p>"
        + (f'<ol class="groups">{items}</ol>' if items else '<p class="empty">Không có câu hỏi nào như vậy.</p>')
        + "</section>"
    )


def router() -> APIRouter:
    routes = APIRouter(prefix="/admin", include_in_schema=False)
    routes.add_api_route("/catalogue", search, methods=["GET"])
    routes.add_api_route("/catalogue/{code}", record, methods=["GET"])
    routes.add_api_route("/catalogue/{code}/promote", promote_record, methods=["POST"])
    return routes
