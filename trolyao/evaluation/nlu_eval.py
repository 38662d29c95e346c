"""`trolyao eval nlu`: score intent and procedure understanding on a contract NLU file, in process.

An item names its correct procedures by `procedure` (a slug), `codes` (official codes) or both
(CONTRACT.md sections 1 and 3): a procedure is correct when it is that slug or carries one of
those codes. `codes: []` labels a real procedure the catalogue does not hold: the bot must
answer with none, whatever intent it reads.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tthc.procedure_codes import codes_of, is_correct
from tthc.text.normalize import strip_accents
from tthc.understanding import (
    NO_PROCEDURE_INTENTS,
    PROCEDURE_SERVICE_INTENTS,
    SERVICE_INTENTS,
    decide,
    service_procedure,
    understand,
    without_service_words,
)


@dataclass(frozen=True)
class Item:
    text: str
    intent: str
    procedure: str | None = None  # the slug of a correct procedure
    codes: tuple[str, ...] | None = None  # official codes of the correct ones; () = none exists

    @property
    def names_procedure(self) -> bool:
        """The label names a correct procedure (a slug or at least one code)."""
        return bool(self.procedure or self.codes)

    @property
    def wants_none(self) -> bool:
        """The bot must not answer with a procedure: out of scope, or `codes: []`."""
        return self.intent == "out_of_scope" or self.codes == ()

    def accepts(self, procedure_id: str | None, codes: Sequence[str] = ()) -> bool:
        """``procedure_id`` (with its official ``codes``) is a correct procedure for this item."""
        return is_correct(procedure_id, codes, self.procedure, self.codes or ())


@dataclass(frozen=True)
class Prediction:
    intent: str
    ranked: list[str]  # procedure ids (slugs or official codes), best first
    answered: str | None  # the procedure the bot would answer about confidently
    ms: float
    codes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # id -> its official codes

    def codes_of(self, procedure_id: str) -> tuple[str, ...]:
        return self.codes.get(procedure_id, ())


def read_items(path: Path, strip: bool = False) -> list[Item]:
    """The items of a contract NLU file; ValueError with one sentence naming the file (and the
    item) for a file that cannot be read or is not a list of items with `text` and `intent`."""
    data = _load_list(path)
    items = []
    for number, row in enumerate(data, start=1):
        if not isinstance(row, dict):
            raise ValueError(f"{path}: mục {number}: mỗi mục phải có dạng `text: ...` và `intent: ...`")
        for key in ("text", "intent"):
            if not isinstance(row.get(key), str) or not row[key].strip():
                raise ValueError(f'{path}: mục {number}: thiếu "{key}" (một chuỗi ký tự)')
        text = row["text"]
        codes = row.get("codes")
        if codes is not None and not (isinstance(codes, list) and all(isinstance(c, str) for c in codes)):
            # an unquoted 1.001190 would be read as the number 1.00119
            raise ValueError(f'{path}: mục {number}: "codes" phải là danh sách mã trong ngoặc kép, như ["1.001193"]')
        items.append(
            Item(
                strip_accents(text) if strip else text,
                row["intent"],
                row.get("procedure"),
                None if codes is None else tuple(str(code).strip() for code in codes),
            )
        )
    return items


def _load_list(path: Path) -> list[Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: không đọc được tệp ({exc.strerror or exc}).") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: tệp không phải văn bản UTF-8.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"dòng {mark.line + 1}: " if mark is not None else ""
        raise ValueError(f"{path}: {where}YAML không hợp lệ ({getattr(exc, 'problem', None) or exc}).") from None
    if not isinstance(data, list) or not data:
        raise ValueError(f"{path}: tệp phải là một danh sách mục không rỗng, mỗi mục có `text` và `intent`.")
    return data


def _ratio(hits: int, total: int) -> float:
    return round(hits / total, 4) if total else 0.0


def answered_wrong(item: Item, pred: Prediction) -> bool:
    """Answered confidently about a procedure that is not a correct one (any, for a label naming
    none; with `codes: []` whatever the intent)."""
    return pred.answered is not None and not item.accepts(pred.answered, pred.codes_of(pred.answered))


def score(items: list[Item], predictions: list[Prediction]) -> dict[str, Any]:
    """The keys of CONTRACT.md section 3."""
    pairs = list(zip(items, predictions))
    named = [(i, p) for i, p in pairs if i.names_procedure]
    none_wanted = [(i, p) for i, p in pairs if i.wants_none]
    times = sorted(p.ms for p in predictions)

    def top(item: Item, pred: Prediction, k: int) -> bool:
        return any(item.accepts(pid, pred.codes_of(pid)) for pid in pred.ranked[:k])

    return {
        "n": len(items),
        "intent_accuracy": _ratio(sum(i.intent == p.intent for i, p in pairs), len(items)),
        "procedure_top1": _ratio(sum(top(i, p, 1) for i, p in named), len(named)),
        "procedure_top3": _ratio(sum(top(i, p, 3) for i, p in named), len(named)),
        "oos_recall": _ratio(sum(p.answered is None for _, p in none_wanted), len(none_wanted)),
        "wrong_answer_rate": _ratio(sum(answered_wrong(i, p) for i, p in pairs), len(items)),
        "answer_rate": _ratio(sum(p.answered is not None for _, p in named), len(named)),
        "p50_ms": round(statistics.median(times), 2) if times else 0.0,
        "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 2) if times else 0.0,
    }


def table(rows: dict[str, dict[str, Any]]) -> str:
    """Metrics side by side: ours and each baseline."""
    keys = [
        "intent_accuracy",
        "procedure_top1",
        "procedure_top3",
        "oos_recall",
        "wrong_answer_rate",
        "answer_rate",
        "p50_ms",
        "p95_ms",
    ]
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


@dataclass(frozen=True)
class Found:
    """What the action server looks at for one message: the whole-catalogue verdict and the
    curated retriever's ranking (tthc.understanding.understand takes both)."""

    verdict: Any
    curated: list[Any]

    @property
    def ranked(self) -> Any:
        return self.verdict.ranked


def our_search(search: Any, curated: Any) -> Callable[[str], Found]:
    return lambda text: Found(search.decide(text), curated.search(text))


def _our_answer(intent: str, found: Any) -> str | None:
    """The procedure the action server would answer about (no conversation context): from what
    it looks at (Found), or from curated Candidates alone (the retriever of the 33)."""
    if isinstance(found, Found):
        return understand(intent, found.verdict, None, found.curated).procedure
    if hasattr(found, "ranked"):
        return understand(intent, found).procedure
    return decide(intent, found).procedure


def _our_service_answer(intent: str, found: Any) -> str | None:
    """The procedure a service request names, as the action server reads it (Found of the request
    without its service words); a baseline's service requests name none."""
    return service_procedure(intent, found.verdict, found.curated) if isinstance(found, Found) else None


def _ranked(found: Any, codes: Callable[[str], list[str]]) -> tuple[list[str], dict[str, tuple[str, ...]]]:
    """Procedure ids in rank order and their codes: from a whole-catalogue Verdict (its hits
    carry their codes, levels grouped) or from a list of curated Candidates (baselines)."""
    hits = getattr(found, "ranked", None)
    if hits is not None:
        return [h.key for h in hits], {h.key: tuple(h.codes) or tuple(codes(h.key)) for h in hits}
    ranked = [c.slug for c in found]
    return ranked, {pid: tuple(codes(pid)) for pid in ranked}


def predict_all(
    items: list[Item],
    parse: Callable[[str], str],
    search: Callable[[str], Any],
    answer: Callable[[str, Any], str | None] = _our_answer,
    codes: Callable[[str], list[str]] = codes_of,
    service: Callable[[str, Any], str | None] = _our_service_answer,
) -> list[Prediction]:
    """Run every item through intent classification and retrieval, timing both together.
    ``codes`` gives a procedure id's official codes (tthc.procedure_codes.codes_of with the
    content); it is looked up after the timing, as the answer's footer would."""
    out = []
    for item in items:
        started = time.perf_counter()
        intent = parse(item.text)
        found = search(item.text)
        if intent in PROCEDURE_SERVICE_INTENTS:  # as the action server: without the service's own words
            chosen = service(intent, search(without_service_words(item.text)))
        else:
            chosen = answer(intent, found)
        ms = (time.perf_counter() - started) * 1000
        # Our understanding weighs the intent itself (a confident match outweighs an out_of_scope
        # guess, as in the action server); the baselines answer only procedure-like intents.
        answered = chosen if intent not in NO_PROCEDURE_INTENTS or hasattr(found, "ranked") else None
        # Feedback, survey and handoff answer the same whatever the procedure; hours, the hotline and
        # a dossier lookup say where the procedure the message names is handled, and keep it.
        if intent in SERVICE_INTENTS and intent not in PROCEDURE_SERVICE_INTENTS:
            answered = None
        ranked, known = _ranked(found, codes)
        if answered and answered not in known:
            known[answered] = tuple(codes(answered))
        out.append(Prediction(intent, ranked, answered, ms, known))
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
