"""Console pages on content: unanswered questions (promote to an FAQ), procedures and their FAQs
(edit an answer), and a preview of what retrieval picks for a typed question right now."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from connectors.console.auth import ConsoleRefusal, current, posted, store_of
from connectors.console.html import Markup, csrf_field, date_range_form, e, errors, join, link, notice, page, table
from connectors.console.live import index, procedures, zone
from connectors.console.views import period
from connectors.records import call
from tthc.content.faq_edit import add_faq, add_question, set_answer
from tthc.reports.figures import OUTCOME_NAMES, unanswered_turns
from tthc.reports.unanswered import group_messages

logger = logging.getLogger(__name__)
audit = logging.getLogger("connectors.admin.audit")
MAX_GROUPS = 100


def procedure_options(procs: dict[str, Any], selected: str | None = None) -> str:
    """The procedures to choose from; none chosen unless ``selected`` (the officer must pick)."""
    first = f'<option value=""{"" if selected else " selected"}>— Chọn thủ tục —</option>'
    return first + "".join(
        f'<option value="{e(slug)}"{" selected" if slug == selected else ""}>{e(p.name)} ({e(slug)})</option>'
        for slug, p in sorted(procs.items(), key=lambda kv: kv[1].name)
    )


def suggestion(request: Request, question: str, procs: dict[str, Any]) -> tuple[str | None, str]:
    """The procedure to pre-select for a group (only when retrieval is confident, as the
    assistant itself would answer) and a hint naming the likely ones otherwise."""
    candidates = index(request).search(question, k=3)
    if _confident(candidates):
        return candidates[0].slug, ""
    likely = [procs[c.slug].name for c in candidates if c.slug in procs]
    if not likely:
        return None, "Trợ lý ảo chưa nhận ra thủ tục nào: hãy chọn thủ tục phù hợp."
    return None, "Chưa chắc chắn; có thể là: " + "; ".join(likely) + ". Hãy chọn thủ tục phù hợp."


def _confident(candidates: list[Any]) -> bool:
    """The assistant's own rule for answering (tthc.understanding.is_confident); if that module
    cannot be loaded here, nothing is pre-selected (the officer always chooses)."""
    try:
        from tthc.understanding import is_confident
    except ImportError:
        logger.warning("console: tthc.understanding not importable; no procedure pre-selected", exc_info=True)
        return False
    return is_confident(candidates)


async def unanswered(
    request: Request,
    day_from: str | None = Query(None, alias="from"),
    day_to: str | None = Query(None, alias="to"),
    done: str | None = None,
) -> HTMLResponse:
    session = await current(request)
    start, end = period(day_from, day_to, zone(request))
    rows = await call(partial(unanswered_turns, zone=zone(request)), store_of(request).engine, start, end)
    groups = await call(lambda: group_messages(rows)[:MAX_GROUPS])
    procs = procedures(request) if session.officer.can_edit else {}
    items = []
    for number, group in enumerate(groups):
        outcomes = ", ".join(f"{OUTCOME_NAMES.get(o, o)}: {n}" for o, n in group.outcomes.items())
        examples = "".join(f"<li>{e(x)}</li>" for x in group.examples)
        form = _promote_form(request, session.csrf, group, number, procs, (start, end)) if procs else ""
        items.append(
            f'<li class="card group"><p><strong>{group.count}</strong> tin nhắn · {e(outcomes)}</p>'
            f'<ul class="examples">{examples}</ul>{form}</li>'
        )
    body = join([
        notice(f"Đã thêm vào nội dung ({done}); trợ lý ảo dùng ngay trong vài giây.") if done else "",
        date_range_form("/admin/unanswered", start, end),
        f'<p class="muted">{len(rows)} tin nhắn không hiểu, hỏi lại hoặc ngoài phạm vi, gộp thành {len(groups)} nhóm '
        "câu hỏi giống nhau (nhiều nhất trước).</p>",
        f'<ol class="groups">{"".join(items)}</ol>' if items else '<p class="empty">Không có câu hỏi nào.</p>',
    ])  # fmt: skip
    return page("Câu hỏi chưa trả lời được", body, session.officer, session.csrf)


def _promote_form(request: Request, csrf: str, group: Any, number: int, procs: dict[str, Any], days: tuple) -> str:
    """An editor's form to add a group's question to an FAQ (or a new FAQ)."""
    selected, hint = suggestion(request, group.question, procs)
    return (
        f'<form method="post" action="/admin/unanswered/promote" class="promote">{csrf_field(csrf)}'
        f'<label>Câu hỏi <input name="question" value="{e(group.question)}" maxlength="500" required></label>'
        f'<label>Thủ tục <select name="slug" required>{procedure_options(procs, selected)}</select></label>'
        + (f'<p class="hint">{e(hint)}</p>' if hint else "")
        + '<label>Thêm vào câu hỏi thường gặp số <input name="faq" type="number" min="1" value="1"></label>'
        "<label>hoặc câu trả lời cho một câu hỏi thường gặp mới "
        '<textarea name="answer" rows="3" maxlength="4000"></textarea></label>'
        f'<input type="hidden" name="from" value="{days[0]}"><input type="hidden" name="to" value="{days[1]}">'
        f'<button type="submit" name="group" value="{number}">Thêm vào nội dung</button></form>'
    )


async def promote(request: Request) -> Response:
    session, form = await posted(request, editor=True)
    slug, question, answer = form.get("slug"), form.get("question"), form.get("answer").strip()
    if not slug:
        raise ConsoleRefusal(422, "Hãy chọn thủ tục cho câu hỏi này.")
    content_dir = request.app.state.settings.content_dir
    if answer:
        result = await call(add_faq, content_dir, slug, question, answer)
        what = f"câu hỏi thường gặp mới của {slug}"
    else:
        try:
            faq = int(form.get("faq") or "1") - 1
        except ValueError:
            raise ConsoleRefusal(422, "Số thứ tự câu hỏi thường gặp phải là một số.") from None
        result = await call(add_question, content_dir, slug, faq, question)
        what = f"câu hỏi thường gặp số {faq + 1} của {slug}"
    if not result.ok:
        body = join([errors(result.errors), link("/admin/unanswered", "Quay lại danh sách")])
        return page("Chưa thêm được", body, session.officer, session.csrf, status_code=422)
    audit.info("console: %r added %r to %s", session.officer.name, question[:200], what)
    return RedirectResponse(
        f"/admin/unanswered?from={form.get('from')}&to={form.get('to')}&done={slug}", status_code=303
    )


async def content_list(request: Request) -> HTMLResponse:
    session = await current(request)
    procs = procedures(request)
    rows = [[link(f"/admin/content/{slug}", p.name), slug, len(p.faqs), p.last_reviewed.strftime("%d/%m/%Y")]
            for slug, p in sorted(procs.items(), key=lambda kv: kv[1].name)]  # fmt: skip
    preview = (
        '<form method="get" action="/admin/preview" class="filters">'
        '<label>Thử một câu hỏi <input name="q" required maxlength="500"></label>'
        '<button type="submit">Xem trợ lý ảo chọn gì</button></form>'
    )
    body = join([preview, table(["Thủ tục", "Mã", "Số câu hỏi thường gặp", "Rà soát"], rows)])
    return page("Nội dung", body, session.officer, session.csrf)


async def content_one(slug: str, request: Request, saved: str | None = None) -> HTMLResponse:
    session = await current(request)
    proc = procedures(request).get(slug)
    if proc is None:
        raise ConsoleRefusal(404, f"Không có thủ tục '{slug[:80]}'.")
    items = []
    for number, faq in enumerate(proc.faqs, start=1):
        questions = "".join(f"<li>{e(q)}</li>" for q in faq["questions"])
        if session.officer.can_edit:
            answer = (
                f'<form method="post" action="/admin/content/{e(slug)}/faq/{number}">{csrf_field(session.csrf)}'
                '<label>Câu trả lời <textarea name="answer" rows="4" maxlength="4000">'
                f"{e(faq['answer'])}</textarea></label>"
                '<button type="submit">Lưu câu trả lời</button></form>'
            )
        else:
            answer = f"<p>{e(faq['answer'])}</p>"
        items.append(f'<li class="card faq" id="faq-{number}"><ul class="questions">{questions}</ul>{answer}</li>')
    body = join([
        notice("Đã lưu; trợ lý ảo dùng nội dung mới trong vài giây.") if saved else "",
        f'<p class="muted">Mã {e(slug)} · {e(proc.official_codes)} · rà soát {proc.last_reviewed:%d/%m/%Y}</p>',
        f"<p>{e(proc.summary)}</p>", f'<ol class="faqs">{"".join(items)}</ol>',
    ])  # fmt: skip
    return page(proc.name, body, session.officer, session.csrf)


async def edit_answer(slug: str, number: int, request: Request) -> Response:
    session, form = await posted(request, editor=True)
    result = await call(set_answer, request.app.state.settings.content_dir, slug, number - 1, form.get("answer"))
    if not result.ok:
        body = join([errors(result.errors), link(f"/admin/content/{slug}", "Quay lại")])
        return page("Chưa lưu được", body, session.officer, session.csrf, status_code=422)
    audit.info("console: %r changed the answer of %s FAQ %d", session.officer.name, slug, number)
    return RedirectResponse(f"/admin/content/{slug}?saved=1#faq-{number}", status_code=303)


async def preview(request: Request, q: str = "") -> HTMLResponse:
    session = await current(request)
    procs = procedures(request)
    text = q.strip()[:500]
    out: list[str] = [
        '<form method="get" action="/admin/preview" class="filters">'
        f'<label>Câu hỏi <input name="q" value="{e(text)}" required maxlength="500"></label>'
        '<button type="submit">Xem</button></form>'
    ]
    if text:
        retrieval = index(request)
        candidates = retrieval.search(text, k=3)
        rows = [[procs[c.slug].name if c.slug in procs else c.slug, c.slug, f"{c.score:.2f}"] for c in candidates]
        out.append(str(table(["Thủ tục", "Mã", "Điểm"], rows, empty="Không tìm thấy thủ tục nào.")))
        if candidates:
            best = retrieval.best_faq(candidates[0].slug, text)
            if best:
                question, answer, score = best
                out.append(
                    f'<div class="card" id="best-faq"><h2>Câu hỏi thường gặp gần nhất ({score:.0%})</h2>'
                    f"<p><strong>{e(question)}</strong></p><p>{e(answer)}</p></div>"
                )
    return page("Thử câu hỏi", Markup("".join(out)), session.officer, session.csrf)


def router() -> APIRouter:
    """The content pages, each a module-level handler."""
    routes = APIRouter(prefix="/admin", include_in_schema=False)
    routes.add_api_route("/unanswered", unanswered, methods=["GET"])
    routes.add_api_route("/unanswered/promote", promote, methods=["POST"])
    routes.add_api_route("/content", content_list, methods=["GET"])
    routes.add_api_route("/content/{slug}", content_one, methods=["GET"])
    routes.add_api_route("/content/{slug}/faq/{number}", edit_answer, methods=["POST"])
    routes.add_api_route("/preview", preview, methods=["GET"])
    return routes
