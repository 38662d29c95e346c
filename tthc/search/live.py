"""The search over the content as it is now: precomputed at start, kept in step with edits.

    search_of(base) -> CatalogueSearch     the search of this content version

The first call loads the index from var/build/search/ (built and saved there if absent, e.g.
by `trolyao train` or the first start); later content versions sync that index, re-analysing
only the procedures whose text changed, so an officer's edit is searchable within a second.
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path

from tthc.catalogue.model import CatalogueProcedure
from tthc.content.model import ContentBase
from tthc.search import INDEX_DIR, CatalogueSearch, build_documents, curated_view
from tthc.search.documents import RecordView, SearchDoc

_lock = threading.Lock()
_latest: CatalogueSearch | None = None


def record_of(procedure: CatalogueProcedure) -> RecordView:
    """A catalogue procedure as the search reads it (flat text fields)."""
    return RecordView(
        code=procedure.code,
        name=procedure.name,
        level=procedure.level,
        field=procedure.field or "",
        agency=procedure.agency or "",
        result=procedure.result,
        applicants=", ".join(procedure.applicants),
        documents_text=procedure.documents_text,
        ministry=procedure.ministry,
        url=procedure.detail_url,
    )


def documents_of(base: ContentBase) -> list[SearchDoc]:
    """Every procedure of this content version once: curated ones, then the other records."""
    records = [record_of(p) for p in base.catalogue.values()]
    return build_documents(records, [curated_view(p) for p in base.procedures.values()])


def search_of(base: ContentBase, directory: Path | str = INDEX_DIR) -> CatalogueSearch:
    """The search of this content version, made once per version and shared by its readers."""
    return base.derived("search", lambda: _follow(base, directory))


def _follow(base: ContentBase, directory: Path | str) -> CatalogueSearch:
    global _latest
    docs = documents_of(base)
    with _lock:
        if _latest is None:
            _latest = CatalogueSearch.load_or_build(docs, directory)
            return _latest
        # A new index object per version: readers of the previous version keep theirs intact.
        synced = CatalogueSearch(copy.copy(_latest.index), _latest.thresholds)
        synced.index.sync(docs)
        _latest = synced
        return synced


def forget() -> None:
    """Drop the process's latest index (tests that build several catalogues)."""
    global _latest
    with _lock:
        _latest = None
