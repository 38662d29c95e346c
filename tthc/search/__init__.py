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
from tthc.search.decision import (
    THRESHOLDS,
    Thresholds,
    Verdict,
    channel_twin,
    decide,
    farther_sibling,
    likeness,
    name_core,
)
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
        self._cores: tuple[str, dict[str, frozenset[str]]] | None = None  # index hash, name cores

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

    def farther_siblings(self, key: str, limit: int = 2) -> list[SearchDoc]:
        """The records of ``key``'s family at levels farther from the citizen (`farther_sibling`),
        the closest in name first: what its answer names in one line."""
        doc = self.index.doc(key)
        if doc is None or doc.kind != "catalogue":
            return []
        cores = self._name_cores()
        family = [
            (likeness(cores[key], cores[other.key]), other.key, other)
            for other in self.index.docs
            if farther_sibling(self.index, doc, other, (cores[key], cores[other.key]))
        ]
        return [other for _, _, other in sorted(family, key=lambda f: (-f[0], f[1]))[:limit]]

    def channel_twins(self, key: str) -> list[SearchDoc]:
        """The records of ``key``'s procedure that differ from it only in the way of submitting it
        (`channel_twin`): what its answer names in one line."""
        doc = self.index.doc(key)
        if doc is None or doc.kind != "catalogue":
            return []
        cores = self._name_cores()
        return [
            other
            for other in self.index.docs
            if cores[key] & cores[other.key] and channel_twin(doc, other)  # most share no word: skipped
        ]

    def _name_cores(self) -> dict[str, frozenset[str]]:
        if self._cores is None or self._cores[0] != self.index.hash:
            self._cores = (self.index.hash, {d.key: name_core(d.name) for d in self.index.docs})
        return self._cores[1]
