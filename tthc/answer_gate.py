"""Whether a question the rules would ask back about is so plainly about the first procedure offered
that it should be answered: a boosted-tree model of how often that first one was right.

The rules of tthc.search.decision ask back whenever a margin or a share falls short; on the studied
question sets, the first procedure offered was still the right one seven times in ten.
The model weighs the same signals together (scores, shares of the question held, how much of the
first procedure's name and of its rival's the question speaks of, the curated retriever's
agreement, the intent), learnt on the studied question sets of tests/fixtures/ with
`make answer-gate` (never on shared/eval/ nor tests/fixtures/search_heldout_2.yml to _4.yml), and
answers only where, in cross-validation over those sets, at most one upgraded answer in ten was
wrong and the upgrades pushed at most one part in ten (parts of a test set's size, judged as the test
set they stand for, with issue 12's share of questions about procedures the catalogue does not hold)
over 3 % of wrong answers or under 95 % OOS recall (trolyao.evaluation.answer_gate). Pure Python:
the gateway's environment imports tthc.understanding without numpy.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tthc.retrieval import Candidate

if TYPE_CHECKING:
    from tthc.search.decision import Verdict
    from tthc.search.index import Hit

GATE_FILE = Path(__file__).parent / "search" / "data" / "answer_gate.json"
REACH = 6  # the ranking's first procedures the features look at
NEAR_SHARE = 0.6  # "near": scoring at least this share of the first offered
MAX_IDEAS = 15
# A long official name says more than most questions ask ("... đối với trường hợp ..."): how much
# of the first one's name the question speaks of, against its rivals' (the next-ranked one's
# above all), and how long it is, tell a question about that very procedure from one about its kin.
MAX_NAME_SYLLABLES = 60
NO_CURATED_LEAD = math.log(3.0)  # a single curated candidate: as if it led its (absent) runner-up 3:1
MAX_CURATED_LEAD = 2.0
MAX_LOG_ODDS = 700.0
# A message the classifier takes for small talk is answered only at the strict bar the gate had
# when one upgrade in fifty could be wrong: the studied sets ask about procedures, so how often
# the gate would answer small talk is not measured there.
DOUBTED_THRESHOLD = 0.965

FEATURES = (
    "log_score",
    "coverage",
    "name_coverage",
    "log_lead",
    "coverage_gap",
    "name_coverage_gap",
    "curated",
    "ideas",
    "out_of_scope",
    "curated_agrees",
    "curated_lead",
    "lacks_variant",
    "variant_match",
    "offered",
    "first_ranked",
    "overruled",
    "near",
    "log_lead_third",
    "curated_score",
    "name_share",
    "commune",
    "name_precision",
    "name_precision_gap",
    "name_length",
    "rival_name_precision",
    "contested",
    "distinct_held",
    "rival_distinct_held",
    "distinct_held_gap",
    "distinct_mass_gap",
    "distinct_mass",
    "rival_distinct_mass",
)


def features(
    intent: str | None, verdict: Verdict, offered: Sequence[str], curated: Sequence[Candidate]
) -> list[float] | None:
    """The signals of one asked-back question, in FEATURES order; None when the first procedure
    offered is not among the ranking's first REACH (nothing to weigh it by), or another ministry's
    word stands against it (verdict.doubted): the rules mean "ask, never answer" there, and the gate
    keeps to it. A neighbour that names the question's thing where the first (curated) procedure's
    names do not (verdict.contested) is one more signal: the question may still be plainly about
    the first one offered."""
    first = first_offered(verdict, offered)
    if first is None or verdict.doubted:
        return None
    ranked = verdict.ranked[:REACH]
    others = [h for h in ranked if h is not first]
    scores = sorted((h.score for h in ranked), reverse=True)
    third = scores[2] if len(scores) > 2 else 0.0
    return [
        math.log(first.score + 1),
        first.coverage,
        first.name_coverage,
        math.log((first.score + 1) / (max((h.score for h in others), default=0.0) + 1)),
        first.coverage - max((h.coverage for h in others[:3]), default=0.0),
        first.name_coverage - max((h.name_coverage for h in others[:3]), default=0.0),
        float(first.kind == "curated"),
        min(verdict.ideas, MAX_IDEAS) / MAX_IDEAS,
        float(intent == "out_of_scope"),
        float(bool(curated) and curated[0].slug == first.key),
        _curated_lead(curated),
        float(first.lacks_variant),
        float(first.variant_match),
        float(len(offered)),
        float(ranked[0] is first),
        float(bool(verdict.overruled)),
        float(sum(1 for s in scores if s >= NEAR_SHARE * first.score)),
        math.log((first.score + 1) / (third + 1)),
        (curated[0].score if curated else 0.0) / 100,
        first.name_score / max(first.score, 1e-6),
        float("xa" in first.levels),
        first.name_precision,
        first.name_precision - max((h.name_precision for h in others[:3]), default=0.0),
        float(min(len(first.name.split()), MAX_NAME_SYLLABLES)),
        others[0].name_precision if others else 0.0,
        float(verdict.contested),
        *_set_apart(verdict, ranked.index(first)),
    ]


def _set_apart(verdict: Verdict, at: int) -> list[float]:
    """The distinct_* features: what sets the ranking's ``at``-th procedure apart from its nearest
    rival (verdict.distinctions), and how much of it the question speaks of; zeros when unknown."""
    if at >= len(verdict.distinctions):
        return [0.0] * 6
    apart = verdict.distinctions[at]
    gap = apart.held * apart.mass - apart.rival_held * apart.rival_mass
    return [apart.held, apart.rival_held, apart.held - apart.rival_held, gap, apart.mass, apart.rival_mass]


def first_offered(verdict: Verdict, offered: Sequence[str]) -> Hit | None:
    """The first procedure offered, as ranked among the ranking's first REACH (None beyond them)."""
    return next((h for h in verdict.ranked[:REACH] if offered and h.key == offered[0]), None)


def _curated_lead(curated: Sequence[Candidate]) -> float:
    if not curated:
        return 0.0
    if len(curated) == 1:
        return NO_CURATED_LEAD
    return min(math.log(curated[0].score / max(curated[1].score, 1e-6) + 1e-6), MAX_CURATED_LEAD)


@dataclass(frozen=True)
class AnswerGate:
    """Boosted regression trees over FEATURES: the log-odds are ``base`` plus ``rate`` times the
    sum of one leaf value per tree; a tree is a list of nodes [feature, threshold, left, right,
    value] (feature -1: a leaf; x[feature] <= threshold goes left)."""

    base: float
    rate: float
    trees: tuple[tuple[tuple[int, float, int, int, float], ...], ...]
    threshold: float  # answer at or above this probability
    names: tuple[str, ...] = FEATURES

    @classmethod
    def never(cls) -> AnswerGate:
        """A gate that never answers: the rules alone (what the model is trained on)."""
        return cls(base=-math.inf, rate=0.0, trees=(), threshold=1.0)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AnswerGate:
        names = tuple(data["features"])
        if names != FEATURES:
            raise ValueError(f"{GATE_FILE.name}: trained on features {names}, the code computes {FEATURES}")
        trees = tuple(
            tuple((int(n[0]), float(n[1]), int(n[2]), int(n[3]), float(n[4])) for n in t) for t in data["trees"]
        )
        return cls(float(data["base"]), float(data["rate"]), trees, float(data["threshold"]), names)

    def probability(self, x: Sequence[float]) -> float:
        raw = self.base + self.rate * sum(_leaf(tree, x) for tree in self.trees)
        if raw < -MAX_LOG_ODDS:  # also the never-gate's -inf; exp() would overflow
            return 0.0
        return 1.0 / (1.0 + math.exp(-min(raw, MAX_LOG_ODDS)))

    def sure(
        self, intent: str | None, verdict: Verdict, offered: Sequence[str], curated: Sequence[Candidate]
    ) -> Hit | None:
        """The first procedure offered, when the model is sure enough of it to answer."""
        chance = self.chance(intent, verdict, offered, curated)
        if chance is None or chance < bar(self.threshold, doubted=intent == "out_of_scope"):
            return None
        return first_offered(verdict, offered)

    def doubts(
        self,
        intent: str | None,
        verdict: Verdict,
        offered: Sequence[str],
        curated: Sequence[Candidate],
        below: float,
    ) -> bool:
        """Whether the model gives the first procedure offered less than ``below`` (the caller then
        asks back where the rules would answer). Never for the rules-alone gate (no trees), which
        weighs nothing: what the gate is trained on stays the rules' own answers."""
        if not self.trees:
            return False
        chance = self.chance(intent, verdict, offered, curated)
        return chance is not None and chance < below

    def chance(
        self, intent: str | None, verdict: Verdict, offered: Sequence[str], curated: Sequence[Candidate]
    ) -> float | None:
        """How likely the first procedure offered is the right one; None when there is nothing to
        weigh it by (features)."""
        x = features(intent, verdict, offered, curated)
        return None if x is None else self.probability(x)


def bar(threshold: float, doubted: bool) -> float:
    """The probability an answer needs: ``threshold``, or DOUBTED_THRESHOLD for small talk."""
    return max(threshold, DOUBTED_THRESHOLD) if doubted else threshold


def _leaf(tree: Sequence[tuple[int, float, int, int, float]], x: Sequence[float]) -> float:
    node = tree[0]
    while node[0] >= 0:
        node = tree[node[2] if x[node[0]] <= node[1] else node[3]]
    return node[4]


@lru_cache(maxsize=1)
def shipped_gate() -> AnswerGate:
    """The gate trained for this code (tthc/search/data/answer_gate.json); read once, on first use."""
    return AnswerGate.from_json(json.loads(GATE_FILE.read_text(encoding="utf-8")))
