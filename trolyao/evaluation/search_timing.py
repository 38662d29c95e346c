"""Times of the whole-catalogue search (issue 12): build, save/load, one-procedure update, per query.

    .venv/bin/python -m trolyao.evaluation.search_timing [--questions FILE.yml] [--scale N] [--json]

Content is content/ (curated files + the imported catalogue), as the action server reads it.
Per-query time is `CatalogueSearch.decide` (rank + answer/ask/decline), one query at a time, on
the questions of FILE (default ../shared/eval/dev-catalogue.yml), after one warm-up query.
--scale N (N > 1) also measures a synthetic catalogue N times larger: every real record again
N-1 times under a new code, its official name recombined from the first half of its own name and
the second half of another real record's name (other fields kept), with the curated files on top.
Memory: the index's own arrays (`memory_bytes`) and the process's peak RSS (ru_maxrss).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

import yaml


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(records, curated, questions: list[str]) -> dict:
    from tthc.search import CatalogueSearch, build_documents
    from tthc.search.index import CatalogueIndex

    started = time.perf_counter()
    docs = build_documents(records, curated)
    documents_s = time.perf_counter() - started
    started = time.perf_counter()
    index = CatalogueIndex.build(docs)
    build_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        path = index.save(Path(tmp) / "search.pkl")
        save_s = time.perf_counter() - started
        size_mb = round(Path(path).stat().st_size / 2**20, 1)
        started = time.perf_counter()
        index = CatalogueIndex.load(path)
        load_s = time.perf_counter() - started
    # One procedure edited (its name and context changed), as an officer's edit or a re-import does.
    victim = next(d for d in index.docs if d.kind == "catalogue")
    changed = dataclasses.replace(victim, names=(victim.names[0] + " (sửa đổi)",), fingerprint=victim.fingerprint + "x")
    started = time.perf_counter()
    index.update(changed)
    update_s = time.perf_counter() - started
    search = CatalogueSearch(index)
    search.decide("xin chào")
    times = []
    for text in questions:
        started = time.perf_counter()
        search.decide(text)
        times.append(time.perf_counter() - started)
    return {
        "procedures": len(index.docs),
        "documents_s": round(documents_s, 2),
        "build_s": round(build_s, 2),
        "save_s": round(save_s, 2),
        "file_mb": size_mb,
        "load_s": round(load_s, 2),
        "update_one_s": round(update_s, 3),
        "queries": len(times),
        "p50_ms": _ms(statistics.median(times)),
        "p95_ms": _ms(_percentile(times, 0.95)),
        "max_ms": _ms(max(times)),
        "index_mb": round(index.memory_bytes() / 2**20, 1),
        "peak_rss_mb": _rss_mb(),
    }


def synthetic(records, scale: int):
    """Every real record again scale-1 times, new code, name recombined from two real names."""
    out = list(records)
    n = len(records)
    for copy in range(1, scale):
        for i, record in enumerate(records):
            other = records[(i * 7 + copy * 389) % n]
            own, theirs = record.name.split(), other.name.split()
            name = " ".join(own[: max(1, len(own) // 2)] + theirs[len(theirs) // 2 :])
            out.append(dataclasses.replace(record, code=f"9.{copy:02d}{i:05d}", name=name))
    return out


def main(argv: list[str] | None = None) -> int:
    from tthc import paths
    from tthc.content import load_content
    from tthc.search import curated_view
    from tthc.search.live import record_of

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", default=str(paths.REPO.parent / "shared" / "eval" / "dev-catalogue.yml"))
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    questions = [str(item["text"]) for item in yaml.safe_load(Path(args.questions).read_text(encoding="utf-8"))]
    started = time.perf_counter()
    base = load_content(paths.CONTENT)
    load_content_s = time.perf_counter() - started
    records = [record_of(p) for p in base.catalogue.values()]
    curated = [curated_view(p) for p in base.procedures.values()]
    result = {"load_content_s": round(load_content_s, 2), "real": measure(records, curated, questions)}
    if args.scale > 1:
        result[f"x{args.scale}"] = measure(synthetic(records, args.scale), curated, questions)
    print(json.dumps(result, ensure_ascii=False, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
