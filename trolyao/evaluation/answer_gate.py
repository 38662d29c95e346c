"""Train the answer gate (tthc.answer_gate) on studied question sets.

    .venv/bin/python -m trolyao.evaluation.answer_gate tests/fixtures/search_calibration_*.yml \\
        --out tthc/search/data/answer_gate.json

Every question the rules ask back about becomes one example: its signals (tthc.answer_gate.features)
and whether the first procedure offered was a correct one. Boosted trees are fitted on them and
scored in cross-validation that holds out whole sets (a set is one writer's, as a test set is). The
threshold is the lowest at which, and at every higher one:
- at most MAX_SETS_OVER of the studied sets would miss one of issue 12's targets: answered
  wrongly more often than TARGET_WRONG (3 % of a set's questions: the rules' own wrong answers and
  the upgrades' wrong ones), or left by the upgrades with an OOS recall under TARGET_OOS (95 % of
  its questions labelled with no procedure left unanswered), so that a test set written by someone
  else meets them nine times in ten;
- at most MAX_WRONG_SHARE of the upgraded answers are wrong (each upgrade right nine times in ten:
  a citizen answered wrongly makes a wasted trip; one asked back taps once more).
Never train on shared/eval/ or tests/fixtures/search_heldout_2.yml: they measure the result.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from tthc.answer_gate import FEATURES, AnswerGate, bar, features, first_offered
from tthc.understanding import NO_PROCEDURE_INTENTS, SERVICE_INTENTS, service_procedure, understand

TARGET_WRONG = 0.03  # issue 12's wrong_answer_rate target, per test set
TARGET_OOS = 0.95  # and its oos_recall target
MAX_SETS_OVER = 0.1
MAX_WRONG_SHARE = 1 / 10
MIN_JUDGED = 50
THRESHOLDS = tuple(round(0.80 + 0.005 * i, 3) for i in range(40))
FOLDS = 5
MODEL = {
    "n_estimators": 200,
    "learning_rate": 0.05,
    "max_depth": 4,
    "min_samples_leaf": 20,
    "subsample": 0.8,
    "random_state": 0,
}
NEVER_TRAIN_ON = ("search_heldout_2", "dev-")


@dataclass(frozen=True)
class Example:
    group: str  # the set it comes from
    x: list[float]
    right: bool  # the first procedure offered is a correct one
    wants_none: bool = False  # labelled with no procedure (out of scope, or `codes: []`)


@dataclass(frozen=True)
class SetTally:
    questions: int  # all questions of the set: what its wrong-answer rate is a share of
    rules_wrong: int  # those the rules alone (no gate) answer with a procedure that is not a correct one
    none_wanted: int = 0  # those labelled with no procedure: what OOS recall is a share of
    rules_answered_none: int = 0  # those of them the rules alone answer


@dataclass(frozen=True)
class Studied:
    examples: list[Example]
    sets: dict[str, SetTally]


def collect(
    paths: Sequence[Path], parse: Callable[[str], str], search: Callable[[str], Any], codes: Callable[[str], list[str]]
) -> Studied:
    """The asked-back questions of ``paths`` as examples, and the rules' own wrong answers, read
    as `trolyao eval nlu` reads them."""
    from trolyao.evaluation.nlu_eval import answered_wrong, predict_all, read_items

    never = AnswerGate.never()
    parse, search = lru_cache(maxsize=None)(parse), lru_cache(maxsize=None)(search)  # both passes ask alike

    def rules_answer(intent: str, found: Any) -> str | None:
        return understand(intent, found.verdict, None, found.curated, gate=never).procedure

    def rules_service(intent: str, found: Any) -> str | None:
        return service_procedure(intent, found.verdict, found.curated, gate=never)

    examples, sets = [], {}
    for number, path in enumerate(paths, 1):
        items = read_items(path)
        predictions = predict_all(items, parse, search, rules_answer, codes, rules_service)
        rules_wrong = sum(answered_wrong(item, pred) for item, pred in zip(items, predictions))
        answered_none = sum(pred.answered is not None for item, pred in zip(items, predictions) if item.wants_none)
        sets[path.stem] = SetTally(len(items), rules_wrong, sum(item.wants_none for item in items), answered_none)
        for item in items:
            intent = parse(item.text)
            if intent in SERVICE_INTENTS or (intent in NO_PROCEDURE_INTENTS and intent != "out_of_scope"):
                continue
            found = search(item.text)
            offered = understand(intent, found.verdict, None, found.curated, gate=never).clarify
            first = first_offered(found.verdict, offered)
            x = features(intent, found.verdict, offered, found.curated)
            if first is None or x is None:  # nothing asked back, or nothing to weigh it by
                continue
            right = item.names_procedure and item.accepts(first.key, first.codes or tuple(codes(first.key)))
            examples.append(Example(path.stem, x, right, item.wants_none))
        print(f"[{number}/{len(paths)}] {path.name}: {len(items)} câu", file=sys.stderr, flush=True)
    return Studied(examples, sets)


def fit(examples: Sequence[Example]) -> Any:
    import numpy as np
    from sklearn.ensemble import GradientBoostingClassifier

    x = np.array([e.x for e in examples])
    y = np.array([e.right for e in examples])
    return GradientBoostingClassifier(**MODEL).fit(x, y)


def cross_validate(examples: Sequence[Example]) -> list[dict[str, Any]]:
    """Per threshold: the upgrades and their wrong ones (in all, and per set), each set scored by a
    model that never saw it."""
    import numpy as np

    groups = sorted({e.group for e in examples})
    probability = {}
    for fold in range(FOLDS):
        held = set(groups[fold::FOLDS])
        model = fit([e for e in examples if e.group not in held])
        tested = [i for i, e in enumerate(examples) if e.group in held]
        if tested:
            p = model.predict_proba(np.array([examples[i].x for i in tested]))[:, 1]
            probability.update(zip(tested, p))
    rows = []
    doubted = FEATURES.index("out_of_scope")
    for threshold in THRESHOLDS:  # small talk held to its own bar, as AnswerGate.sure holds it
        chosen = [examples[i] for i, p in probability.items() if p >= bar(threshold, bool(examples[i].x[doubted]))]
        wrong = Counter(e.group for e in chosen if not e.right)
        rows.append(
            {
                "threshold": threshold,
                "answered": len(chosen),
                "wrong": sum(wrong.values()),
                "wrong_by_set": wrong,
                "answered_none_by_set": Counter(e.group for e in chosen if e.wants_none),
            }
        )
    return rows


def pick_threshold(rows: Sequence[dict[str, Any]], sets: dict[str, SetTally]) -> float:
    """The lowest threshold at which, and at every higher one, at most MAX_SETS_OVER of ``sets``
    are off issue 12's targets (sets_off_target), and the upgrades' wrong share stays within
    MAX_WRONG_SHARE (judged from MIN_JUDGED upgrades on: fewer are too few to judge a share by)."""
    chosen = THRESHOLDS[-1]
    for row in sorted(rows, key=lambda r: -r["threshold"]):
        too_many_sets = sets_off_target(row, sets) > MAX_SETS_OVER * len(sets)
        too_often = row["answered"] >= MIN_JUDGED and row["wrong"] > MAX_WRONG_SHARE * row["answered"]
        if too_many_sets or too_often:
            break
        chosen = row["threshold"]
    return chosen


def sets_off_target(row: dict[str, Any], sets: dict[str, SetTally]) -> int:
    """How many sets the gate at ``row``'s threshold leaves answered wrongly more than TARGET_WRONG
    of the time (the rules' wrong answers and the upgrades'), or whose OOS recall its upgrades take
    under TARGET_OOS. (The rules alone leave a few sets under it, whatever the threshold; such a set
    counts as soon as an upgrade answers one more of its questions labelled with no procedure.)"""
    return sum(1 for name, tally in sets.items() if _off_target(tally, row, name))


def _off_target(tally: SetTally, row: dict[str, Any], name: str) -> bool:
    upgraded_none = row.get("answered_none_by_set", {}).get(name, 0)
    left = tally.none_wanted - tally.rules_answered_none - upgraded_none
    lowers_recall = upgraded_none > 0 and left < TARGET_OOS * tally.none_wanted
    return tally.rules_wrong + row["wrong_by_set"].get(name, 0) > TARGET_WRONG * tally.questions or lowers_recall


def export(model: Any, threshold: float) -> dict[str, Any]:
    """The fitted trees as AnswerGate.from_json reads them."""
    import numpy as np

    base = float(model._raw_predict_init(np.zeros((1, len(FEATURES))))[0, 0])
    trees = []
    for estimator in model.estimators_[:, 0]:
        t = estimator.tree_
        trees.append(
            [
                [
                    int(t.feature[n]) if t.children_left[n] >= 0 else -1,
                    round(float(t.threshold[n]), 6),
                    int(t.children_left[n]),
                    int(t.children_right[n]),
                    round(float(t.value[n, 0, 0]), 6),
                ]
                for n in range(t.node_count)
            ]
        )
    return {
        "features": list(FEATURES),
        "base": base,
        "rate": float(model.learning_rate),
        "trees": trees,
        "threshold": threshold,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--chart", type=Path, help="also draw the cross-validation by threshold (PNG)")
    args = parser.parse_args(argv)
    refused = [f for f in args.files if any(mark in f.name for mark in NEVER_TRAIN_ON)]
    if refused:
        print(f"Không huấn luyện trên tập dùng để đo: {', '.join(map(str, refused))}", file=sys.stderr)
        return 2
    parse, search, codes = _pipeline()
    studied = collect(sorted(args.files), parse, search, codes)  # the same model whatever the order given
    examples = studied.examples
    rows = cross_validate(examples)
    threshold = pick_threshold(rows, studied.sets)
    data = export(fit(examples), threshold)
    data["trained_on"] = {
        "sets": sorted({e.group for e in examples}),
        "examples": len(examples),
        "right": sum(e.right for e in examples),
        "questions": sum(t.questions for t in studied.sets.values()),
        "rules_wrong": sum(t.rules_wrong for t in studied.sets.values()),
    }
    data["cross_validation"] = [
        {
            "threshold": r["threshold"],
            "answered": r["answered"],
            "wrong": r["wrong"],
            "sets_off_target": sets_off_target(r, studied.sets),
        }
        for r in rows
    ]
    args.out.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    if args.chart:
        from trolyao.evaluation.charts import gate_chart

        gate_chart(data["cross_validation"], threshold, len(studied.sets), args.chart)
    at = next(r for r in data["cross_validation"] if r["threshold"] == threshold)
    print(
        f"{len(examples)} câu hỏi lại; ngưỡng {threshold}: kiểm chéo trả lời thêm {at['answered']}, sai {at['wrong']}; "
        f"{at['sets_off_target']}/{len(studied.sets)} tập lệch mục tiêu (sai > {TARGET_WRONG:.0%} "
        f"hoặc nhận ra câu ngoài danh mục < {TARGET_OOS:.0%})",
        file=sys.stderr,
    )
    return 0


def _pipeline() -> tuple[Callable[[str], str], Callable[[str], Any], Callable[[str], list[str]]]:
    """The trained model's intents, the live search and the curated retriever, as `trolyao eval nlu`."""
    from trolyao.evaluation.nlu_eval import RasaParser, our_search
    from trolyao.settings import StackSettings
    from trolyao.training import model_path
    from tthc import paths
    from tthc.content import load_content
    from tthc.procedure_codes import codes_of
    from tthc.retrieval import ProcedureIndex
    from tthc.search.live import search_of

    base = load_content(paths.CONTENT)
    var = StackSettings.from_env().var_dir
    search = our_search(
        search_of(base, var / "build" / "search"), ProcedureIndex.from_content(base.procedures.values())
    )
    return RasaParser(model_path()), search, lambda procedure_id: codes_of(procedure_id, base)


if __name__ == "__main__":
    raise SystemExit(main())
