"""Train the answer gate (tthc.answer_gate) on studied question sets.

    .venv/bin/python -m trolyao.evaluation.answer_gate tests/fixtures/search_calibration_*.yml \\
        --out tthc/search/data/answer_gate.json

Every question the rules ask back about becomes one example: its signals (tthc.answer_gate.features)
and whether the first procedure offered was a correct one. Boosted trees are fitted on them; the
threshold is the lowest at which, in cross-validation that holds out whole sets (a set is one
writer's), at most MAX_WRONG_SHARE of the upgraded answers were wrong. Never train on shared/eval/
or tests/fixtures/search_heldout_2.yml: they measure the result.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tthc.answer_gate import FEATURES, AnswerGate, features, first_offered
from tthc.understanding import NO_PROCEDURE_INTENTS, SERVICE_INTENTS, understand

MAX_WRONG_SHARE = 1 / 50
MIN_JUDGED = 50
THRESHOLDS = tuple(round(0.90 + 0.005 * i, 3) for i in range(20))
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


def collect(
    paths: Sequence[Path], parse: Callable[[str], str], search: Callable[[str], Any], codes: Callable[[str], list[str]]
) -> list[Example]:
    """The asked-back questions of ``paths`` as examples, read as `trolyao eval nlu` reads them."""
    from trolyao.evaluation.nlu_eval import read_items

    never = AnswerGate.never()
    examples = []
    for number, path in enumerate(paths, 1):
        items = read_items(path)
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
            examples.append(Example(path.stem, x, right))
        print(f"[{number}/{len(paths)}] {path.name}: {len(items)} câu", file=sys.stderr, flush=True)
    return examples


def fit(examples: Sequence[Example]) -> Any:
    import numpy as np
    from sklearn.ensemble import GradientBoostingClassifier

    x = np.array([e.x for e in examples])
    y = np.array([e.right for e in examples])
    return GradientBoostingClassifier(**MODEL).fit(x, y)


def cross_validate(examples: Sequence[Example]) -> list[dict[str, float]]:
    """Per threshold: the upgrades and their wrong ones, each set scored by a model that never saw it."""
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
    for threshold in THRESHOLDS:
        chosen = [examples[i] for i, p in probability.items() if p >= threshold]
        wrong = sum(1 for e in chosen if not e.right)
        rows.append({"threshold": threshold, "answered": len(chosen), "wrong": wrong})
    return rows


def pick_threshold(rows: Sequence[dict[str, float]]) -> float:
    """The lowest threshold at which, and at every higher one that upgrades at least MIN_JUDGED
    answers (fewer are too few to judge a share by), the wrong share stays within bounds."""
    chosen = THRESHOLDS[-1]
    for row in sorted(rows, key=lambda r: -r["threshold"]):
        if row["answered"] >= MIN_JUDGED and row["wrong"] > MAX_WRONG_SHARE * row["answered"]:
            break
        chosen = row["threshold"]
    return chosen


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
    args = parser.parse_args(argv)
    refused = [f for f in args.files if any(mark in f.name for mark in NEVER_TRAIN_ON)]
    if refused:
        print(f"Không huấn luyện trên tập dùng để đo: {', '.join(map(str, refused))}", file=sys.stderr)
        return 2
    parse, search, codes = _pipeline()
    examples = collect(sorted(args.files), parse, search, codes)  # the same model whatever the order given
    rows = cross_validate(examples)
    threshold = pick_threshold(rows)
    data = export(fit(examples), threshold)
    data["trained_on"] = {
        "sets": sorted({e.group for e in examples}),
        "examples": len(examples),
        "right": sum(e.right for e in examples),
    }
    data["cross_validation"] = rows
    args.out.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    at = next(r for r in rows if r["threshold"] == threshold)
    print(
        f"{len(examples)} câu hỏi lại; ngưỡng {threshold}: kiểm chéo trả lời thêm {at['answered']}, sai {at['wrong']}",
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
