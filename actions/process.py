"""What the action-server process holds, created on first use: its settings, the live content
and its search index, the records store, and the clock in Vietnam's time zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from actions.settings import ActionSettings
from tthc.catalogue.model import CatalogueProcedure
from tthc.channels import channel_of_sender
from tthc.content import ContentBase, LiveContent, Locality
from tthc.procedure_codes import codes_of
from tthc.records import RecordStore
from tthc.records.idempotency import idempotency_key, message_id_of
from tthc.retrieval import ProcedureIndex, index_for
from tthc.search import CatalogueSearch, SearchDoc
from tthc.search.live import search_of


@lru_cache(maxsize=1)
def settings() -> ActionSettings:
    return ActionSettings.from_env()


@lru_cache(maxsize=1)
def live_content() -> LiveContent:
    return LiveContent(settings().content_dir, poll_seconds=settings().content_poll_s)


def content() -> ContentBase:
    return live_content().get()


def index(base: ContentBase) -> ProcedureIndex:
    """The search index of this content version (rebuilt when the content changes)."""
    return index_for(base)


@lru_cache(maxsize=1)
def store() -> RecordStore:
    return RecordStore.for_settings(settings())


def message_key(tracker: Any, kind: str) -> str | None:
    """The idempotency key of a ``kind`` of record ("ticket", "booking") made while answering
    the latest message: from the channel's message id the gateway put in its metadata, so the
    same message answered again (a retry after a crash or a failed turn) finds the first record.
    None when the message came without an id."""
    metadata = (tracker.latest_message or {}).get("metadata")
    return idempotency_key(kind, tracker.sender_id, message_id_of(metadata))


def channel_of(sender_id: str) -> str:
    """The channel name of a sender the gateway scoped ("tg:…" is "telegram")."""
    return channel_of_sender(sender_id)


def today() -> dt.date:
    """Today's date in Vietnam; TROLYAO_TODAY=YYYY-MM-DD pins it (tests of dated fees)."""
    return settings().today or now().date()


def now() -> dt.datetime:
    """Wall-clock time in Vietnam, naive; TROLYAO_NOW=YYYY-MM-DDTHH:MM pins it (tests of hours)."""
    pinned = settings().now
    return pinned or dt.datetime.now(ZoneInfo(settings().timezone)).replace(tzinfo=None)


def locality(base: ContentBase, named: str | None = None) -> Locality:
    """The locality the citizen named, if the content has it; else the deployment's."""
    if named and named in base.localities:
        return base.localities[named]
    return base.locality(settings().locality)


def hotline_text(loc: Locality) -> str:
    """The first hotline as a sentence can say it: "Tổng đài 1022 Đà Nẵng", or the name and
    the number when the name does not hold it ("Tổng đài dịch vụ công (0236.1022)")."""
    first = loc.hotlines[0]
    name, number = str(first["name"]).strip(), str(first["number"]).strip()
    digits = "".join(ch for ch in number if ch.isdigit())
    if digits and digits in "".join(ch for ch in name if ch.isdigit()):
        return name
    return f"{name} ({number})"


def search(base: ContentBase) -> CatalogueSearch:
    """The whole-catalogue search of this content version (loaded precomputed, synced on edits)."""
    return search_of(base, settings().var_dir / "build" / "search")


def level_group(base: ContentBase, code: str) -> list[CatalogueProcedure]:
    """The records of the same procedure at its other levels (one search document groups them)."""
    doc = search(base).index.doc(code)
    codes = doc.codes if doc is not None else (code,)
    return [base.catalogue[c] for c in codes if c in base.catalogue]


def farther_siblings(base: ContentBase, code: str) -> list[CatalogueProcedure]:
    """Records of the procedure's family at levels farther from the citizen (the answer names them)."""
    return _records(base, search(base).farther_siblings(code))


def channel_twins(base: ContentBase, code: str) -> list[CatalogueProcedure]:
    """Records of the same procedure submitted another way ("toàn trình" beside "một phần")."""
    return _records(base, search(base).channel_twins(code))


def _records(base: ContentBase, docs: Sequence[SearchDoc]) -> list[CatalogueProcedure]:
    return [base.catalogue[doc.code] for doc in docs if doc.code and doc.code in base.catalogue]


def codes_for(base: ContentBase, procedure: str | None) -> list[str]:
    """A procedure id's official codes: a curated file's, or a catalogue procedure's at every
    level the search groups (its own code first)."""
    catalogue = getattr(base, "catalogue", None) or {}
    if procedure and procedure not in base.procedures and procedure in catalogue:
        return [record.code for record in level_group(base, procedure)] or [procedure]
    return codes_of(procedure, base)
