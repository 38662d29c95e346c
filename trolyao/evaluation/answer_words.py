"""Words per aspect answer (issue 13): replay a conversation file through a running gateway and
count the words of every answer to an aspect question.

    .venv/bin/python -m trolyao.evaluation.answer_words FILE [--url URL] [--json]

Definitions (also in docs/benchmarks.md):

- An *aspect turn* is a turn whose expected intent in the file is one of ASPECT_INTENTS
  (ask_documents, ask_fee, ask_processing_time, ask_where, ask_online). Turns the file does not
  label with an intent are counted when the gateway's answer names an aspect intent.
- The *answer* of a turn is the text of every reply message of that turn except the source line
  (a message starting with "Nguồn:", which may carry the unverified-content warning) and the
  rating prompt (a message with a "#rating:" button). Button titles, images and links in buttons
  are not counted.
- A *word* is a whitespace-separated token holding at least one letter or digit (a Vietnamese
  syllable is a word, as in the issue's count; "•", "📋", "-" alone are not; "1.001193" and a
  raw URL are one word each).

Without --url the stack is started (as `trolyao eval conversations` does) and stopped after.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

import yaml

ASPECT_INTENTS = ("ask_documents", "ask_fee", "ask_processing_time", "ask_where", "ask_online")


def count_words(text: str) -> int:
    return sum(1 for token in text.split() if any(ch.isalnum() for ch in token))


def is_source_line(reply: dict[str, Any]) -> bool:
    return str(reply.get("text") or "").lstrip().startswith("Nguồn:")


def is_rating_prompt(reply: dict[str, Any]) -> bool:
    return any(str(b.get("payload") or "").startswith("#rating:") for b in reply.get("buttons") or [])


def answer_text(response: dict[str, Any]) -> str:
    """The answer message(s) of a turn: no source line, no rating prompt, no button titles."""
    replies = response.get("replies") or []
    return "\n".join(
        str(r.get("text") or "") for r in replies if r.get("text") and not is_source_line(r) and not is_rating_prompt(r)
    )


def all_text(response: dict[str, Any]) -> str:
    return "\n".join(str(r.get("text") or "") for r in response.get("replies") or [] if r.get("text"))


def expected_intents(path: Path) -> list[str | None]:
    """The expected intent of every turn, in the order `replay` plays them."""
    conversations = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [(turn.get("expect") or {}).get("intent") for conv in conversations for turn in conv.get("turns") or []]


def aspect_rows(path: Path, results: list[Any]) -> list[dict[str, Any]]:
    rows = []
    for expected, result in zip(expected_intents(path), results):
        got = result.response.get("intent")
        if expected in ASPECT_INTENTS or (expected is None and got in ASPECT_INTENTS):
            rows.append(
                {
                    "conversation": result.conversation,
                    "turn": result.turn,
                    "user": result.user,
                    "expected_intent": expected,
                    "intent": got,
                    "procedure": result.response.get("procedure"),
                    "passed": result.passed,
                    "answer_words": count_words(answer_text(result.response)),
                    "all_words": count_words(all_text(result.response)),
                    "messages": len(result.response.get("replies") or []),
                }
            )
    return rows


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    words = [r["answer_words"] for r in rows]
    total = [r["all_words"] for r in rows]
    by_intent = {
        intent: statistics.median(
            [
                r["answer_words"]
                for r in rows
                if r["expected_intent"] == intent or (r["expected_intent"] is None and r["intent"] == intent)
            ]
        )
        for intent in ASPECT_INTENTS
        if any(r["expected_intent"] == intent or (r["expected_intent"] is None and r["intent"] == intent) for r in rows)
    }
    return {
        "aspect_turns": len(rows),
        "median_answer_words": statistics.median(words) if words else None,
        "mean_answer_words": round(statistics.mean(words), 1) if words else None,
        "max_answer_words": max(words) if words else None,
        "within_45": sum(w <= 45 for w in words),
        "median_all_words": statistics.median(total) if total else None,
        "median_answer_words_by_intent": by_intent,
    }


def main(argv: list[str] | None = None) -> int:
    from trolyao.evaluation.conversations import replay_on_stack

    parser = argparse.ArgumentParser(
        prog="python -m trolyao.evaluation.answer_words", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("file")
    parser.add_argument("--url", help="a running gateway; the stack is started when absent")
    parser.add_argument(
        "--json", action="store_true", help="one JSON object: summary, conversations' pass figures, rows"
    )
    args = parser.parse_args(argv)

    summary, results = replay_on_stack(Path(args.file), args.url)
    rows = aspect_rows(Path(args.file), results)
    out = {
        "words": summarise(rows),
        "conversations": {k: summary[k] for k in ("conversations", "passed", "turns", "turns_passed")},
        "rows": rows,
    }
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(json.dumps(out["words"], ensure_ascii=False, indent=2))
        print(json.dumps(out["conversations"], ensure_ascii=False))
        for r in rows:
            print(f"{r['answer_words']:4d} {r['all_words']:4d}  {r['expected_intent'] or r['intent']:<20} {r['user']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
