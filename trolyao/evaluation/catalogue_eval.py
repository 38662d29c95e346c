"""Score the catalogue search (tthc.search) alone on a contract NLU file, in process, without Rasa.

    python -m trolyao.evaluation.catalogue_eval FILE [FILE...] [--strip-accents] [--json] [--failures]
    python -m trolyao.evaluation.catalogue_eval calibrate [FILE...]   # thresholds, on calibration sets

The metrics follow contract section 3 with the search standing in for the whole NLU: an item's
procedure is right when the first-ranked procedure is its slug or carries one of its codes; what is
answered is what the action server answers (tthc.understanding.understand with the curated
retriever tthc.retrieval, for a procedure question without conversation context);
answer_rate counts confident answers over items with a procedure; wrong_answer_rate counts confident
answers that are not right (any answer where the item names none) over all items; oos_recall counts
items labelled out_of_scope or `codes: []` that got no answer. Intents are not predicted here, so
an item that Rasa would route away from procedures (greet, hotline...) counts as if it reached the
search: the figures are a floor for those.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from tthc.paths import CONTENT, REPO
from tthc.retrieval import ProcedureIndex
from tthc.search import CatalogueSearch, Thresholds, build_documents, curated_view, read_records
from tthc.search.decision import THRESHOLDS, Verdict, decide
from tthc.text.normalize import strip_accents
from tthc.understanding import understand

SHARED = REPO.parent / "shared"  # the project's shared folder beside the checkout (--records to change)
RECORDS = SHARED / "catalogue" / "records"
CALIBRATION = REPO / "tests" / "fixtures" / "search_calibration.yml"


@dataclass(frozen=True)
class Item:
    text: str
    intent: str | None
    procedure: str | None
    codes: tuple[str, ...] | None  # None: not labelled with codes; (): labelled "none in the catalogue"

    @property
    def has_target(self) -> bool:
        return bool(self.procedure or self.codes)

    @property
    def out_of_scope(self) -> bool:
        return self.intent == "out_of_scope" or self.codes == ()


def read_items(path: Path | str, strip: bool = False) -> list[Item]:
    out = []
    for row in yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []:
        text = str(row["text"])
        codes = row.get("codes")
        out.append(
            Item(
                strip_accents(text) if strip else text,
                row.get("intent"),
                row.get("procedure"),
                tuple(str(c) for c in codes) if codes is not None else None,
            )
        )
    return out


def is_right(hit: Any, item: Item) -> bool:
    if hit is None:
        return False
    if item.procedure and hit.key == item.procedure:
        return True
    return bool(item.codes and set(hit.codes) & set(item.codes))


def load_search(
    records: Path | str = RECORDS, content: Path | str | None = CONTENT, build_dir: Path | str | None = None
) -> CatalogueSearch:
    """The search over the records and the curated content, loaded from var/build/ when built before."""
    curated = []
    if content:
        from tthc.content.model import load_content

        curated = [curated_view(p) for p in load_content(content).procedures.values()]
    docs = build_documents(read_records(records), curated)
    if build_dir is None:
        return CatalogueSearch.load_or_build(docs)
    return CatalogueSearch.load_or_build(docs, build_dir)


def load_curated(content: Path | str | None = CONTENT) -> ProcedureIndex | None:
    """The curated retriever the action server consults beside the catalogue search."""
    if not content:
        return None
    from tthc.content.model import load_content

    return ProcedureIndex.from_content(load_content(content, with_catalogue=False).procedures.values())


def served(verdict: Verdict, curated: ProcedureIndex | None, text: str, ranking: Any = None) -> Verdict:
    """The verdict as the action server acts on it: understand() for a procedure question without
    conversation context, with the curated retriever's ranking (``ranking``, when already known)."""
    if ranking is None:
        ranking = curated.search(text) if curated else ()
    result = understand("ask_procedure", verdict, None, ranking)
    by_key = {hit.key: hit for hit in verdict.ranked}
    if result.procedure:
        hit = by_key.get(result.procedure)
        if hit is None:  # not ranked: cannot be scored by codes, count it by key alone
            return replace(verdict, action="answer", hits=(), reason="curated")
        reason = verdict.reason if verdict.answer is not None else "curated"
        return replace(verdict, action="answer", hits=(hit,), reason=reason)
    if result.clarify:
        return replace(verdict, action="clarify", hits=tuple(by_key[k] for k in result.clarify if k in by_key))
    return replace(verdict, action="decline", hits=())


def run(
    search: CatalogueSearch, items: list[Item], curated: ProcedureIndex | None = None
) -> tuple[list[Verdict], list[float]]:
    verdicts, times = [], []
    for item in items:
        started = time.perf_counter()
        verdicts.append(served(search.decide(item.text), curated, item.text))
        times.append((time.perf_counter() - started) * 1000)
    return verdicts, times


def score(items: list[Item], verdicts: list[Verdict], times: list[float] | None = None) -> dict[str, Any]:
    def ratio(hits: int, total: int) -> float:
        return round(hits / total, 4) if total else 0.0

    targets = [(i, v) for i, v in zip(items, verdicts) if i.has_target]
    oos = [(i, v) for i, v in zip(items, verdicts) if i.out_of_scope]
    wrong = sum(1 for i, v in zip(items, verdicts) if v.answer is not None and not is_right(v.answer, i))
    out = {
        "n": len(items),
        "procedure_top1": ratio(sum(is_right(v.ranked[0] if v.ranked else None, i) for i, v in targets), len(targets)),
        "procedure_top3": ratio(sum(any(is_right(h, i) for h in v.ranked[:3]) for i, v in targets), len(targets)),
        "answer_rate": ratio(sum(v.action == "answer" for _, v in targets), len(targets)),
        "right_answer_rate": ratio(sum(is_right(v.answer, i) for i, v in targets), len(targets)),
        "clarify_rate": ratio(sum(v.action == "clarify" for _, v in targets), len(targets)),
        "clarify_holds_right": ratio(
            sum(any(is_right(h, i) for h in v.hits) for i, v in targets if v.action == "clarify"),
            sum(v.action == "clarify" for _, v in targets),
        ),
        "wrong_answer_rate": ratio(wrong, len(items)),
        "oos_recall": ratio(sum(v.answer is None for _, v in oos), len(oos)),
    }
    if times:
        ordered = sorted(times)
        out["p50_ms"] = round(statistics.median(ordered), 2)
        out["p95_ms"] = round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2)
    return out


def failures(items: list[Item], verdicts: list[Verdict]) -> list[str]:
    lines = []
    for item, v in zip(items, verdicts):
        top = v.ranked[0] if v.ranked else None
        bad = (item.has_target and (not is_right(top, item) or v.action != "answer")) or (
            not item.has_target and v.answer is not None
        )
        if not bad:
            continue
        want = item.procedure or ",".join(item.codes or ()) or "-"
        got = " | ".join(
            f"{h.key}{'*' if is_right(h, item) else ''} {h.score:.1f} c{h.coverage:.2f}" for h in v.ranked[:3]
        )
        lines.append(f"[{v.action}/{v.reason}] {item.text}\n    want {want}; got {got}")
    return lines


# ------------------------------------------------------------------ calibration
GRID = {
    "min_coverage": [0.2, 0.3, 0.4, 0.5],
    "answer_score": [10.0, 20.0, 30.0, 40.0],
    "answer_margin": [1.1, 1.2, 1.3, 1.4, 1.5, 1.7],
    "answer_coverage": [0.5, 0.7, 0.9],
    "outside_override": [0.7, 0.8, 0.9, 1.01],
    "outside_rest_share": [0.4, 0.5, 0.6],
}


def calibrate(
    search: CatalogueSearch, items: list[Item], max_wrong: float = 0.02, curated: ProcedureIndex | None = None
) -> tuple[Thresholds, dict]:
    """The thresholds that answer most right while keeping wrong answers and missed declines low,
    scored on what the citizen gets (the decision as served, with the curated retriever)."""
    index = search.index
    prepared = []
    for item in items:
        query = index.analyze(item.text)
        ranking = curated.search(item.text) if curated else ()
        prepared.append((item, query, index.search(item.text, k=10, query=query), ranking))
    best: tuple[float, Thresholds, dict] | None = None
    keys = list(GRID)
    for values in itertools.product(*(GRID[k] for k in keys)):
        t = replace(THRESHOLDS, **dict(zip(keys, values)))
        verdicts = [
            served(decide(index, hits, query, t), curated, item.text, ranking)
            for item, query, hits, ranking in prepared
        ]
        m = score([p[0] for p in prepared], verdicts)
        if m["wrong_answer_rate"] > max_wrong or m["oos_recall"] < 0.95:
            continue
        objective = m["right_answer_rate"] + 0.2 * m["clarify_holds_right"] * m["clarify_rate"]
        if best is None or objective > best[0]:
            best = (objective, t, m)
    if best is None:
        raise SystemExit("no thresholds meet the limits on this set")
    return best[1], best[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="catalogue_eval", description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--strip-accents", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--failures", action="store_true")
    parser.add_argument("--records", type=Path, default=RECORDS)
    parser.add_argument("--content", type=Path, default=CONTENT)
    args = parser.parse_args(argv)
    files = args.files or [CALIBRATION]
    started = time.perf_counter()
    search = load_search(args.records, args.content)
    curated = load_curated(args.content)
    load_s = round(time.perf_counter() - started, 2)
    if files[0].name == "calibrate":
        sets = files[1:] or [CALIBRATION]
        items = [item for path in sets for strip in (False, True) for item in read_items(path, strip=strip)]
        t, m = calibrate(search, items, curated=curated)
        print(json.dumps({"thresholds": t.__dict__, "metrics": m}, ensure_ascii=False, indent=2))
        return 0
    report: dict[str, Any] = {"load_s": load_s, "procedures": len(search.index.docs)}
    for path in files:
        for strip in [False, True] if args.strip_accents else [False]:
            items = read_items(path, strip=strip)
            verdicts, times = run(search, items, curated)
            report[f"{path.name}{' (stripped)' if strip else ''}"] = score(items, verdicts, times)
            if args.failures:
                print(f"== {path.name}{' (stripped)' if strip else ''}", file=sys.stderr)
                for line in failures(items, verdicts):
                    print(line, file=sys.stderr)
    print(json.dumps(report, ensure_ascii=False, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
