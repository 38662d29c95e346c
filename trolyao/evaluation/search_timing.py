"""Times of the whole-catalogue search (issue 12): build, save/load, one-procedure update, per query.

    .venv/bin/python -m trolyao.evaluation.search_timing [--questions FILE.yml] [--scale N] [--json]
    .venv/bin/python -m trolyao.evaluation.search_timing --scales 1,2,5,10 [--json] [--chart FILE.png]

Content is content/ (curated files + the imported catalogue), as the action server reads it.
Per-query time is `CatalogueSearch.decide` (rank + answer/ask/decline), one query at a time, on
the questions of FILE (default ../shared/eval/dev-catalogue.yml), after one warm-up query.
--scale N (N > 1) also measures a synthetic catalogue N times larger: every real record again
N-1 times under a new code (9.CCIIIII: copy, record), its official name recombined from the start of
its own name and the end of another real record's name, cut before a connective ("của", "cho", "tại"...)
near the middle when there is one, else at the word boundary nearest the middle, never inside a compound
word (underthesea) or brackets; the levels of one procedure keep one name, every new name is unique,
other fields are kept, and the curated files are on top.
Memory: the index's own arrays (`memory_bytes`) and the process's peak RSS (ru_maxrss).

--scales measures several sizes as a serving process sees them: for each, the (synthetic) index is
built and saved in a temporary directory, then a fresh child process only loads it
(`CatalogueIndex.load`, as the action server does from var/build/search/) and runs the questions;
it reports its load time, query p50/p95/max and its RSS (VmRSS/VmHWM of /proc/self/status) after
its imports, after the load and after the queries. Progress goes to stderr; --chart draws latency
and memory against the number of procedures.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import gc
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from tthc.search import CatalogueSearch


def _decide_times(search: CatalogueSearch, questions: Sequence[str]) -> list[float]:
    """Seconds `decide` takes on each question, one at a time, after one warm-up question."""
    search.decide("xin chào")
    times = []
    for text in questions:
        started = time.perf_counter()
        search.decide(text)
        times.append(time.perf_counter() - started)
    return times


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
    times = _decide_times(search, questions)
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


# Words a Vietnamese procedure name turns on ("Cấp giấy phép ... | cho tổ chức ..."): a good place to join
# the start of one real name to the end of another.
CONNECTIVES = frozenset({"của", "cho", "tại", "thuộc", "đối", "trong", "theo", "do", "từ", "trên", "khi", "ở"})
MAX_SCALE = 99  # synthetic codes 9.CCIIIII hold two digits of copy number


def parse_scales(text: str) -> list[int]:
    """ "1,2,5,10" -> [1, 2, 5, 10]: distinct sizes, ascending, each 1..MAX_SCALE."""
    scales = set()
    for part in text.split(","):
        try:
            scale = int(part.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {part.strip()!r}") from None
        if not 1 <= scale <= MAX_SCALE:
            raise argparse.ArgumentTypeError(f"scale {scale} outside 1..{MAX_SCALE}")
        scales.add(scale)
    return sorted(scales)


@functools.cache
def _cut(name: str) -> int:
    """Where to cut a name, in words: before the connective nearest its middle (two words at least on
    each side), else at the word boundary nearest the middle; never inside a compound word ("hộ | chiếu")."""
    words = name.split()
    allowed = _boundaries(" ".join(words)) or list(range(1, len(words)))
    if not allowed:
        return len(words)  # one word: all of it
    joints = [k for k in allowed if words[k].lower() in CONNECTIVES and 2 <= k <= len(words) - 2]
    return min(joints or allowed, key=lambda k: (abs(k - len(words) / 2), k))


def _boundaries(name: str) -> list[int]:
    """The word positions k (between words k-1 and k) inside neither a compound word (by underthesea) nor
    brackets."""
    from underthesea import word_tokenize

    inside: set[int] = set()  # character positions of the spaces within a compound
    cursor = 0
    for token in word_tokenize(name):
        at = name.find(token, cursor)
        if at < 0:  # a token the segmenter rewrote: no boundary protected by it
            continue
        inside.update(i for i in range(at, at + len(token)) if name[i] == " ")
        cursor = at + len(token)
    spaces = [i for i, char in enumerate(name) if char == " "]
    return [
        k
        for k, at in enumerate(spaces, start=1)
        if at not in inside and name.count("(", 0, at) == name.count(")", 0, at)
    ]


def recombine(own: str, theirs: str) -> str:
    """The start of one real name and the end of another, cut where the names turn."""
    mine, other = own.split(), theirs.split()
    return " ".join(mine[: _cut(own)] + other[min(_cut(theirs), len(other) - 1) :])


def synthetic(records, scale: int):
    """Every real record again scale-1 times, new code, name recombined from two real names.

    The levels of one procedure (records with one procedure_name) get one new name, each record keeping
    its own level words; a new name is never a real name nor another new one."""
    from tthc.search.documents import procedure_key, procedure_name
    from tthc.text.normalize import accent_key

    if not 1 <= scale <= MAX_SCALE or len(records) >= 100_000:
        raise ValueError(f"scale {scale} of {len(records)} records: codes would not be unique")
    bases = [procedure_name(r.name) for r in records]
    keys = [procedure_key(r.name) for r in records]
    first = dict(zip(reversed(keys), reversed(bases)))  # one name per procedure, as the search groups them
    ordinal = {key: g for g, key in enumerate(dict.fromkeys(keys))}
    names = [first[key] for key in ordinal]
    used = {accent_key(name) for name in names}
    out = list(records)
    for copy in range(1, scale):
        renamed = [_unique_name(names, g, copy, used) for g in range(len(names))]
        for i, record in enumerate(records):
            base, new = bases[i], renamed[ordinal[keys[i]]]
            flat = " ".join(record.name.split())
            name = flat.replace(base, new, 1) if base in flat else new
            out.append(dataclasses.replace(record, code=f"9.{copy:02d}{i:05d}", name=name))
    return out


def _unique_name(names: Sequence[str], g: int, copy: int, used: set[str]) -> str:
    from tthc.text.normalize import accent_key

    first = (g * 7 + copy * 389) % len(names)
    for step in range(len(names)):
        name = recombine(names[g], names[(first + step) % len(names)])
        if accent_key(name) not in used:
            used.add(accent_key(name))
            return name
    raise ValueError(f"too few distinct names for a unique new name of {names[g]!r}")


# ------------------------------------------------------------------ latency and memory against size
def status_mb(text: str) -> dict[str, float]:
    """VmRSS and VmHWM (MB) of a /proc/<pid>/status text."""
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM") and value.split():
            out[key] = round(int(value.split()[0]) / 1024, 1)  # kB
    return out


def _memory() -> dict[str, float]:
    try:
        return status_mb(Path("/proc/self/status").read_text())
    except OSError:  # not Linux: the peak at least
        return {"VmRSS": _rss_mb(), "VmHWM": _rss_mb()}


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def serve(index_path: Path, questions: list[str]) -> dict:
    """A serving process's view: load the saved index, answer the questions one at a time."""
    from tthc.search import CatalogueSearch
    from tthc.search.index import CatalogueIndex

    imported = _memory()
    started = time.perf_counter()
    search = CatalogueSearch(CatalogueIndex.load(index_path))
    load_s = time.perf_counter() - started
    loaded = _memory()
    _say(f"  child: {len(search.index.docs):,} procedures loaded in {load_s:.1f} s, {len(questions)} questions")
    times = _decide_times(search, questions)
    after = _memory()
    return {
        "procedures": len(search.index.docs),
        "load_s": round(load_s, 2),
        "arrays_mb": round(search.index.memory_bytes() / 2**20, 1),
        "rss_import_mb": imported["VmRSS"],
        "rss_load_mb": loaded["VmRSS"],
        "peak_load_mb": loaded["VmHWM"],
        "rss_after_mb": after["VmRSS"],
        "peak_rss_mb": after["VmHWM"],
        "queries": len(times),
        "p50_ms": _ms(statistics.median(times)),
        "p95_ms": _ms(_percentile(times, 0.95)),
        "max_ms": _ms(max(times)),
    }


def _build_saved(records, curated, path: Path) -> dict:
    from tthc.search import build_documents
    from tthc.search.index import CatalogueIndex

    started = time.perf_counter()
    docs = build_documents(records, curated)
    documents_s = time.perf_counter() - started
    _say(f"  {len(records):,} records -> {len(docs):,} procedures in {documents_s:.1f} s; building the index")
    started = time.perf_counter()
    index = CatalogueIndex.build(docs)
    build_s = time.perf_counter() - started
    _say(f"  index built in {build_s:.1f} s; saving")
    started = time.perf_counter()
    index.save(path)
    save_s = time.perf_counter() - started
    file_mb = round(path.stat().st_size / 2**20, 1)
    _say(f"  saved {file_mb} MB in {save_s:.1f} s")
    return {"records": len(records), "documents_s": round(documents_s, 2), "build_s": round(build_s, 2),
            "save_s": round(save_s, 2), "file_mb": file_mb}  # fmt: skip


def _child(index_path: Path, questions_file: str) -> dict:
    from tthc import paths

    command = [sys.executable, "-m", "trolyao.evaluation.search_timing", "--serve", str(index_path),
               "--questions", questions_file]  # fmt: skip
    done = subprocess.run(command, cwd=paths.REPO, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(done.stdout)


def scaling(records, curated, questions_file: str, scales: Sequence[int], workdir: Path) -> list[dict]:
    """One row per size: built and saved here, measured in a fresh serving child."""
    rows = []
    for scale in scales:
        _say(f"x{scale}: making the catalogue")
        path = workdir / f"search-x{scale}.pkl"
        row = {"scale": scale, **_build_saved(synthetic(records, scale), curated, path)}
        gc.collect()  # the builder's objects are not the child's concern, but free them before it runs
        _say(f"x{scale}: serving child (load + questions)")
        row.update(_child(path, questions_file))
        path.unlink()
        _say(f"x{scale}: p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms, RSS after load {row['rss_load_mb']} MB")
        rows.append(row)
    return rows


TABLE = [("procedures", "procedures", "{:,}"), ("file_mb", "index file MB", "{}"),
         ("rss_import_mb", "RSS after imports MB", "{:,}"), ("rss_load_mb", "serving RSS after load MB", "{:,}"),
         ("peak_rss_mb", "peak RSS MB", "{:,}"), ("load_s", "load s", "{}"), ("p50_ms", "p50 ms", "{}"),
         ("p95_ms", "p95 ms", "{}"), ("max_ms", "max ms", "{}")]  # fmt: skip


def table(rows: Sequence[dict]) -> str:
    """The rows as a Markdown table (docs/benchmarks.md)."""
    lines = ["| catalogue | " + " | ".join(title for _, title, _ in TABLE) + " |",
             "|---|" + "---:|" * len(TABLE)]  # fmt: skip
    for row in rows:
        name = "real" if row["scale"] == 1 else f"synthetic ×{row['scale']}"
        lines.append(f"| {name} | " + " | ".join(form.format(row[key]) for key, _, form in TABLE) + " |")
    return "\n".join(lines)


def _questions(path: str) -> list[str]:
    return [str(item["text"]) for item in yaml.safe_load(Path(path).read_text(encoding="utf-8"))]


def main(argv: list[str] | None = None) -> int:
    from tthc import paths
    from tthc.content import load_content
    from tthc.search import curated_view
    from tthc.search.live import record_of

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", default=str(paths.REPO.parent / "shared" / "eval" / "dev-catalogue.yml"))
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--scales", type=parse_scales, help="sizes measured by a serving child, e.g. 1,2,5,10")
    parser.add_argument("--chart", type=Path, help="with --scales: latency and memory against size (PNG)")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)  # the child of --scales
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.chart and not args.scales:
        parser.error("--chart needs --scales")
    if args.serve:
        print(json.dumps(serve(args.serve, _questions(args.questions))))
        return 0

    questions = _questions(args.questions)
    started = time.perf_counter()
    base = load_content(paths.CONTENT)
    load_content_s = time.perf_counter() - started
    records = [record_of(p) for p in base.catalogue.values()]
    curated = [curated_view(p) for p in base.procedures.values()]
    result: dict = {"load_content_s": round(load_content_s, 2)}
    if args.scales:
        with tempfile.TemporaryDirectory(prefix="search-scaling-") as tmp:
            result["scales"] = scaling(records, curated, args.questions, args.scales, Path(tmp))
        print(table(result["scales"]), file=sys.stderr)
        if args.chart:
            from trolyao.evaluation.charts import scaling_chart

            _say(f"chart: {scaling_chart(result['scales'], args.chart)}")
    else:
        result["real"] = measure(records, curated, questions)
        if args.scale > 1:
            result[f"x{args.scale}"] = measure(synthetic(records, args.scale), curated, questions)
    print(json.dumps(result, ensure_ascii=False, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
