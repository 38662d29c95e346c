"""Answer, ask back, or say "not in the catalogue": the decision over the ranked procedures.

Thresholds are chosen on tests/fixtures/search_calibration.yml (`trolyao.evaluation.catalogue_eval
calibrate`), never on the evaluation files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tthc.search.analysis import Query
from tthc.search.index import CatalogueIndex, Hit


@dataclass(frozen=True)
class Thresholds:
    """Chosen by `python -m trolyao.evaluation.catalogue_eval calibrate` on the calibration set
    (the most right answers with at most 2 % wrong answers and 95 % of out-of-catalogue declined)."""

    min_score: float = 8.0  # below: nothing in the catalogue is close
    min_coverage: float = 0.2  # the best procedure holds less than this share of the question: decline
    answer_score: float = 10.0  # answer only at or above this score ...
    answer_margin: float = 1.4  # ... at least this many times the runner-up's ...
    answer_coverage: float = 0.5  # ... and holding this share of the question
    outside_override: float = 0.9  # a word of another ministry is overruled only when the rest of the
    # question is this well held by the best procedure's names ...
    outside_rest_share: float = 0.4  # ... and carries at least this share of the question's ideas
    clarify_fraction: float = 0.6  # candidates offered: those within this fraction of the best
    clarify_max: int = 3


THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Verdict:
    action: str  # "answer" | "clarify" | "decline"
    hits: tuple[Hit, ...] = ()  # answer: the procedure; clarify: the candidates; decline: none
    reason: str = ""  # confident | ambiguous | weak | outside | no_match
    ministry: str | None = None  # for "outside": the ministry that handles such procedures
    ranked: tuple[Hit, ...] = field(default=(), repr=False)  # the whole ranking, for evaluation

    @property
    def answer(self) -> Hit | None:
        return self.hits[0] if self.action == "answer" and self.hits else None


def decide(index: CatalogueIndex, hits: Sequence[Hit], query: Query, t: Thresholds = THRESHOLDS) -> Verdict:
    ranked = tuple(hits)
    if not hits or hits[0].score < t.min_score:
        return Verdict("decline", reason="no_match", ranked=ranked)
    top = hits[0]
    for phrase, ministry, span in query.outside:
        if index.holds_phrase(top.key, phrase):
            continue
        # the other ministry's word is only context when the rest of the question carries most of
        # what it says and names this procedure well
        _, rest = index.coverage(top.key, query, skip=span)
        rest_share = index.idea_mass(query, skip=span) / max(index.idea_mass(query), 1e-9)
        if rest < t.outside_override or rest_share < t.outside_rest_share:
            return Verdict("decline", reason="outside", ministry=ministry, ranked=ranked)
    if top.coverage < t.min_coverage:
        return Verdict("decline", reason="weak", ranked=ranked)
    runner = hits[1].score if len(hits) > 1 else 0.0
    if top.score >= t.answer_score and top.score >= t.answer_margin * runner and top.coverage >= t.answer_coverage:
        return Verdict("answer", (top,), reason="confident", ranked=ranked)
    offered = tuple(h for h in hits[: t.clarify_max] if h.score >= t.clarify_fraction * top.score)
    return Verdict("clarify", offered, reason="ambiguous", ranked=ranked)
