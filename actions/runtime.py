"""State the actions share, created on first use: the live content and its search index."""

from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from tthc.retrieval import ProcedureIndex, index_for
from tthc.content import ContentBase, LiveContent, Locality

REPO = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=1)
def live_content() -> LiveContent:
    directory = os.environ.get("TROLYAO_CONTENT_DIR") or str(REPO / "content")
    return LiveContent(directory, poll_seconds=float(os.environ.get("TROLYAO_CONTENT_POLL_S", "1")))


def content() -> ContentBase:
    return live_content().get()


def index(base: ContentBase) -> ProcedureIndex:
    """The search index of this content version (rebuilt when the content changes)."""
    return index_for(base)


def _zone() -> ZoneInfo:
    return ZoneInfo(os.environ.get("TROLYAO_TZ", "Asia/Ho_Chi_Minh"))  # servers often run on UTC


def today() -> dt.date:
    """Today's date in Vietnam; TROLYAO_TODAY=YYYY-MM-DD pins it (tests of dated fees)."""
    pinned = os.environ.get("TROLYAO_TODAY")
    return dt.date.fromisoformat(pinned) if pinned else now().date()


def now() -> dt.datetime:
    """Wall-clock time in Vietnam, naive; TROLYAO_NOW=YYYY-MM-DDTHH:MM pins it (tests of hours)."""
    pinned = os.environ.get("TROLYAO_NOW")
    return dt.datetime.fromisoformat(pinned) if pinned else dt.datetime.now(_zone()).replace(tzinfo=None)


def locality(base: ContentBase, named: str | None = None) -> Locality:
    return base.locality(named or os.environ.get("TROLYAO_LOCALITY"))


def hotline_text(loc: Locality) -> str:
    first = loc.hotlines[0]
    return f"{first['name']}: {first['number']}"
