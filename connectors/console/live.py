"""The live content as the console reads it (officers see their own edit on the next page), the
procedures' Vietnamese names for charts and lists, a retrieval index kept per content, and the
officers' search of the catalogue kept per catalogue."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from connectors.console.auth import ConsoleRefusal
from tthc.catalogue.lookup import CatalogueLookup
from tthc.content import ContentBase, LiveContent
from tthc.retrieval import ProcedureIndex


def live(request: Request) -> LiveContent:
    state = request.app.state
    if getattr(state, "console_content", None) is None:
        # poll 0: officers must see their own edit on the next page (a stat of ~40 files is cheap)
        state.console_content = LiveContent(state.settings.content_dir, poll_seconds=0)
    return state.console_content


def base(request: Request) -> ContentBase:
    """The content as it is now, the catalogue with it (503 page when it cannot be read)."""
    try:
        return live(request).get()
    except Exception as exc:
        raise ConsoleRefusal(503, f"Nội dung chưa đọc được: {exc}") from None


def procedures(request: Request) -> dict[str, Any]:
    return base(request).procedures


def procedure_names(request: Request) -> dict[str, str]:
    """slug -> name of every curated procedure, and official code -> name of every catalogue
    procedure; empty when the content cannot be read (codes shown)."""
    try:
        content = live(request).get()
    except Exception:
        return {}
    names = {code: p.name for code, p in content.catalogue.items()}
    names.update((slug, p.name) for slug, p in content.procedures.items())
    return names


def lookup(request: Request) -> CatalogueLookup:
    """The officers' search over the catalogue as it is now, built again only when it changed."""
    catalogue = base(request).catalogue
    state = request.app.state
    cached = getattr(state, "console_lookup", None)
    if cached is None or cached[0] is not catalogue:
        cached = state.console_lookup = (catalogue, CatalogueLookup(catalogue))
    return cached[1]


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
