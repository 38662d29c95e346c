"""Search over the whole official catalogue plus the curated procedures, and the decision to answer,
ask back or say that a procedure is not in the catalogue.

    docs = build_documents(read_records(DIR), [curated_view(p) for p in content.procedures.values()])
    search = CatalogueSearch.load_or_build(docs)          # var/build/search/search-<hash>.pkl
    search.rank("mat so do lam lai")                      # [Hit(key, kind, name, codes, levels, score, ...)]
    search.decide("xin giấy phép mở phòng khám tư")       # Verdict(action="decline", reason="outside", ...)
    search.index.update(doc)                              # one procedure changed: only it is re-analysed
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tthc.paths import BUILD
from tthc.search.analysis import Lexicon
from tthc.search.decision import THRESHOLDS, Thresholds, Verdict, decide
from tthc.search.documents import (
    CatalogueRecord,
    CuratedView,
    RecordView,
    SearchDoc,
    build_documents,
    curated_view,
    read_records,
    record_view,
)
from tthc.search.index import CatalogueIndex, Hit

INDEX_DIR = BUILD / "search"

__all__ = [
    "INDEX_DIR",
    "CatalogueIndex",
    "CatalogueRecord",
    "CatalogueSearch",
    "CuratedView",
    "Hit",
    "Lexicon",
    "RecordView",
    "SearchDoc",
    "Thresholds",
    "Verdict",
    "build_documents",
    "curated_view",
    "read_records",
    "record_view",
]


class CatalogueSearch:
    """The index and the decision together: what the action server and the evaluation call."""

    def __init__(self, index: CatalogueIndex, thresholds: Thresholds = THRESHOLDS) -> None:
        self.index = index
        self.thresholds = thresholds

    @classmethod
    def build(cls, docs: Sequence[SearchDoc], thresholds: Thresholds = THRESHOLDS) -> CatalogueSearch:
        return cls(CatalogueIndex.build(docs), thresholds)

    @classmethod
    def load_or_build(
        cls, docs: Sequence[SearchDoc], directory: Path | str = INDEX_DIR, thresholds: Thresholds = THRESHOLDS
    ) -> CatalogueSearch:
        return cls(CatalogueIndex.load_or_build(docs, directory), thresholds)

    def rank(self, text: str, k: int = 10) -> list[Hit]:
        return self.index.search(text, k=k)

    def decide(self, text: str, k: int = 10) -> Verdict:
        query = self.index.analyze(text)
        return decide(self.index, self.index.search(text, k=k, query=query), query, self.thresholds)
