"""`trolyao eval nlu`: score intent and procedure understanding on a contract NLU file, in process."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tthc.text.normalize import strip_accents
from tthc.understanding import NO_PROCEDURE_INTENTS, decide


@dataclass(frozen=True)
class Item:
    text: str
    intent: str
    procedure: str | None


@dataclass(frozen=True)
class Prediction:
    intent: str
    ranked: list[str]
    answered: str | None  # the procedure the bot would answer about confidently
    ms: float


def read_items(path: Path, strip: bool = False) -> list[Item]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    items = []
    for row in data:
        text = str(row["text"])
        items.append(Item(strip_accents(text) if strip else text, row["intent"], row.get("procedure")))
    return items


def score(items: list[Item], predictions: list[Prediction]) -> dict[str, Any]:
    with_proc = [(i, p) for i, p in zip(items, predictions) if i.procedure]
    oos = [(i, p) for i, p in zip(items, predictions) if i.intent == "out_of_scope"]
    times = sorted(p.ms for p in predictions)

    def ratio(hits: int, total: int) -> float:
        return round(hits / total, 4) if total else 0.0

    wrong = sum(1 for i, p in zip(items, predictions) if p.answered is not None and p.answered != i.procedure)
    return {
        "n": len(items),
        "intent_accuracy": ratio(sum(i.intent == p.intent for i, p in zip(items, predictions)), len(items)),
        "procedure_top1": ratio(sum(p.ranked[:1] == [i.procedure] for i, p in with_proc), len(with_proc)),
        "procedure_top3": ratio(sum(i.procedure in p.ranked[:3] for i, p in with_proc), len(with_proc)),
        "oos_recall": ratio(sum(p.answered is None for _, p in oos), len(oos)),
        "wrong_answer_rate": ratio(wrong, len(items)),
        "p50_ms": round(statistics.median(times), 2) if times else 0.0,
        "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 2) if times else 0.0,
    }


def table(rows: dict[str, dict[str, Any]]) -> str:
    """Metrics side by side: ours and each baseline."""
    keys = ["intent_accuracy", "procedure_top1", "procedure_top3", "oos_recall", "wrong_answer_rate", "p50_ms", "p95_ms"]
    lines = [f"{'':<10}" + "".join(f"{k:>18}" for k in keys)]
    for name, metrics in rows.items():
        lines.append(f"{name:<10}" + "".join(f"{metrics[k]:>18}" for k in keys))
    return "\n".join(lines)


def confusion_summary(items: list[Item], predictions: list[Prediction]) -> str:
    per_intent: dict[str, Counter[str]] = defaultdict(Counter)
    for item, pred in zip(items, predictions):
        per_intent[item.intent][pred.intent] += 1
    lines = [f"{'intent':<22}{'n':>4}{'đúng':>6}  nhầm sang"]
    for intent in sorted(per_intent):
        counts = per_intent[intent]
        total, right = sum(counts.values()), counts[intent]
        wrong = ", ".join(f"{k}×{v}" for k, v in counts.most_common() if k != intent)
        lines.append(f"{intent:<22}{total:>4}{right:>6}  {wrong}")
    return "\n".join(lines)


def _our_answer(intent: str, candidates: list[Any]) -> str | None:
    return decide(intent, candidates).procedure


def predict_all(
    items: list[Item],
    parse: Callable[[str], str],
    search: Callable[[str], list[Any]],
    answer: Callable[[str, list[Any]], str | None] = _our_answer,
) -> list[Prediction]:
    """Run every item through intent classification and retrieval, timing both together."""
    out = []
    for item in items:
        started = time.perf_counter()
        intent = parse(item.text)
        candidates = search(item.text)
        chosen = answer(intent, candidates)
        ms = (time.perf_counter() - started) * 1000
        answered = chosen if intent not in NO_PROCEDURE_INTENTS else None
        out.append(Prediction(intent, [c.slug for c in candidates], answered, ms))
    return out


class RasaParser:
    """The trained Rasa model in this process; nlu_fallback reads as out_of_scope."""

    def __init__(self, model: Path) -> None:
        from trolyao.environment import quiet_this_process

        quiet_this_process()
        import logging

        logging.disable(logging.WARNING)
        from rasa.core.agent import Agent
        from rasa.utils.log_utils import configure_structlog

        configure_structlog(logging.WARNING)  # otherwise every parse is logged

        self.loop = asyncio.new_event_loop()
        self.agent = Agent.load(str(model))

    def __call__(self, text: str) -> str:
        result = self.loop.run_until_complete(self.agent.parse_message(text))
        name = (result.get("intent") or {}).get("name") or "out_of_scope"
        return "out_of_scope" if name == "nlu_fallback" else name
