"""The live content as the console reads it (officers see their own edit on the next page), the
procedures' Vietnamese names for charts and lists, and a retrieval index kept per content."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from connectors.console.auth import ConsoleRefusal
from tthc.content import LiveContent
from tthc.retrieval import ProcedureIndex


def live(request: Request) -> LiveContent:
    state = request.app.state
    if getattr(state, "console_content", None) is None:
        # poll 0: officers must see their own edit on the next page (a stat of ~40 files is cheap)
        state.console_content = LiveContent(state.settings.content_dir, poll_seconds=0)
    return state.console_content


def procedures(request: Request) -> dict[str, Any]:
    try:
        return live(request).get().procedures
    except Exception as exc:
        raise ConsoleRefusal(503, f"Nội dung chưa đọc được: {exc}") from None


def procedure_names(request: Request) -> dict[str, str]:
    """slug -> name of every procedure; empty when the content cannot be read (codes shown)."""
    try:
        return {slug: p.name for slug, p in live(request).get().procedures.items()}
    except Exception:
        return {}


def index(request: Request) -> ProcedureIndex:
    """Retrieval over the content as it is now, built again only when the content changed."""
    base = live(request).get()
    state = request.app.state
    cached = getattr(state, "console_index", None)
    if cached is None or cached[0] is not base:
        cached = state.console_index = (base, ProcedureIndex.from_content(base.procedures.values()))
    return cached[1]


def zone(request: Request) -> str:
    """The deployment's time zone (Asia/Ho_Chi_Minh by default): every time shown is in it."""
    return str(getattr(request.app.state.settings, "timezone", "") or "Asia/Ho_Chi_Minh")
