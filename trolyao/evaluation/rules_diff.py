"""What a change to the search's rules does to their own answers, question by question, on the
studied question sets (the answer gate never consulted: what tthc.answer_gate is trained on).

    .venv/bin/python -m trolyao.evaluation.rules_diff dump before.json tests/fixtures/search_calibration_*.yml \\
        tests/fixtures/search_heldout.yml
    (change the rules)
    .venv/bin/python -m trolyao.evaluation.rules_diff dump after.json ...the same files...
    .venv/bin/python -m trolyao.evaluation.rules_diff compare before.json after.json

`compare` lists every question whose answer changed: FIX (a wrong answer gone), BAD (a new wrong
one), GAIN (a new right one), LOSE (a right one gone), CHG (another right one), then the totals.
A part of a test set's size where the rules alone answer three questions wrongly is off issue 12's
target whatever the gate does, so a rule is judged by both counts. Never run it on the measuring
sets (shared/eval/, search_heldout_2 to _4, small_talk_2): `dump` refuses them, as `make answer-gate` does.
`--intents FILE` keeps the classifier's intents between runs (the rules change, the model does
not): a dump then takes about two minutes instead of six.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

CHANGES = ("FIX", "BAD", "GAIN", "LOSE", "CHG")


@dataclass(frozen=True)
class Answer:
    """The rules' answer to one studied question."""

    set: str  # the studied file's stem
    at: int  # the question's position in it
    text: str
    answered: str | None  # the procedure answered confidently, None when asked back or declined
    right: bool  # answered with a correct procedure
    wrong: bool  # answered with one that is not (trolyao.evaluation.nlu_eval.answered_wrong)


def change(before: Answer, after: Answer) -> str | None:
    """How one question's answer changed (CHANGES), None when it did not."""
    if (before.answered, before.right, before.wrong) == (after.answered, after.right, after.wrong):
        return None
    if before.wrong and not after.wrong:
        return "FIX"
    if after.wrong and not before.wrong:
        return "BAD"
    if after.right and not before.right:
        return "GAIN"
    if before.right and not after.right:
        return "LOSE"
    return "CHG"


def compare(before: Sequence[Answer], after: Sequence[Answer]) -> tuple[list[tuple[str, Answer, Answer]], dict]:
    """The questions whose answer changed, and the wrong and right totals of both dumps."""
    keys = [(a.set, a.at, a.text) for a in before]
    if keys != [(a.set, a.at, a.text) for a in after]:
        raise ValueError("the two dumps are not of the same questions in the same order")
    changed = [(kind, b, a) for b, a in zip(before, after) if (kind := change(b, a)) is not None]
    totals = {
        "wrong": (sum(a.wrong for a in before), sum(a.wrong for a in after)),
        "right": (sum(a.right for a in before), sum(a.right for a in after)),
    }
    return changed, totals


def dump(
    paths: Sequence[Path],
    parse: Callable[[str], str],
    search: Callable[[str], Any],
    codes: Callable[[str], list[str]],
    progress: Callable[[str], None] = lambda _: None,
) -> list[Answer]:
    """The rules' answer to every question of ``paths``, read as `trolyao eval nlu` reads them."""
    from trolyao.evaluation.answer_gate import rules_answer, rules_service
    from trolyao.evaluation.nlu_eval import answered_wrong, predict_all, read_items

    out = []
    for path in paths:
        items = read_items(path)
        for at, (item, pred) in enumerate(
            zip(items, predict_all(items, parse, search, rules_answer, codes, rules_service))
        ):
            wrong = answered_wrong(item, pred)
            right = pred.answered is not None and not wrong and item.names_procedure
            out.append(Answer(path.stem, at, item.text, pred.answered, right, wrong))
        progress(f"{path.name}: {len(items)} câu")
    return out


def read(path: Path) -> list[Answer]:
    return [Answer(**row) for row in json.loads(path.read_text(encoding="utf-8"))]


def _cached(parse: Callable[[str], str], path: Path | None) -> tuple[Callable[[str], str], Callable[[], None]]:
    """``parse`` remembering its intents in ``path`` (JSON), and the function that saves them."""
    if path is None:
        return parse, lambda: None
    known: dict[str, str] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def cached(text: str) -> str:
        if text not in known:
            known[text] = parse(text)
        return known[text]

    return cached, lambda: path.write_text(json.dumps(known, ensure_ascii=False), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    dumping = commands.add_parser("dump", help="write the rules' answers to the studied files")
    dumping.add_argument("out", type=Path)
    dumping.add_argument("files", nargs="+", type=Path)
    dumping.add_argument("--intents", type=Path, help="a JSON file keeping the classifier's intents")
    comparing = commands.add_parser("compare", help="list what changed between two dumps")
    comparing.add_argument("before", type=Path)
    comparing.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.command == "compare":
        return _print_comparison(read(args.before), read(args.after))
    from trolyao.evaluation.answer_gate import NEVER_TRAIN_ON, pipeline

    refused = [f for f in args.files if any(mark in f.name for mark in NEVER_TRAIN_ON)]
    if refused:
        print(f"Không chạy trên tập dùng để đo: {', '.join(map(str, refused))}", file=sys.stderr)
        return 2
    parse, search, codes = pipeline()
    parse, save = _cached(parse, args.intents)
    answers = dump(sorted(args.files), parse, search, codes, lambda line: print(line, file=sys.stderr, flush=True))
    save()
    args.out.write_text(json.dumps([asdict(a) for a in answers], ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(answers)} câu: {sum(a.right for a in answers)} đúng, {sum(a.wrong for a in answers)} sai")
    return 0


def _print_comparison(before: list[Answer], after: list[Answer]) -> int:
    try:
        changed, totals = compare(before, after)
    except ValueError as error:
        print(f"Không so được: {error}", file=sys.stderr)
        return 2
    for kind, b, a in changed:
        print(f"{kind} {b.set} #{b.at} {b.text[:90]} | {b.answered} -> {a.answered}")
    (w0, w1), (r0, r1) = totals["wrong"], totals["right"]
    print(f"sai {w0} -> {w1}, đúng {r0} -> {r1}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
