"""A bare topic ("chứng thực", "giấy phép", "đăng ký"): a short question back, with the curated
procedures about it as buttons, instead of a guess, a goodbye or a booking."""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from actions import process
from tthc.citizen_words import is_keyword_only, key
from tthc.content import ContentBase, Procedure

MAX_CHOICES = 5


def _rank(words: str, procedure: Procedure) -> int | None:
    """0: the name starts with the words; 1: the name holds them; 2: an alias does; None."""
    name = f" {key(procedure.name)} "
    if name.startswith(f" {words} "):
        return 0
    if f" {words} " in name:
        return 1
    if any(f" {words} " in f" {key(alias)} " for alias in procedure.aliases):
        return 2
    return None


def choices(base: ContentBase, text: str) -> list[Procedure]:
    """The curated procedures whose name or aliases hold a bare topic, those the retrieval fits
    best first (at most MAX_CHOICES)."""
    words = key(text)
    scores = {c.slug: c.score for c in process.index(base).search(text, k=len(base.procedures))}
    ranked = []
    for procedure in base.procedures.values():
        rank = _rank(words, procedure)
        if rank is not None:
            ranked.append((-scores.get(procedure.slug, 0.0), rank, procedure.name, procedure))
    return [item[-1] for item in sorted(ranked, key=lambda item: item[:3])[:MAX_CHOICES]]


def _example(words: str, procedure: Procedure) -> str:
    alias = next((a for a in procedure.aliases if f" {words} " in f" {key(a)} "), None)
    if alias is None:
        alias = procedure.aliases[0] if procedure.aliases else procedure.name.lower()
    return f"{alias} cần giấy tờ gì"


def offer(dispatcher: CollectingDispatcher, base: ContentBase, text: str) -> list[dict[str, Any]] | None:
    """Ask which procedure a bare topic means; None when the message is not one, or no curated
    procedure is about it (the search's own candidates are offered then)."""
    if not is_keyword_only(text):
        return None
    found = choices(base, text)
    if not found:
        return None
    buttons = [{"title": p.name[:120], "payload": f'/ask_procedure{{"procedure":"{p.slug}"}}'} for p in found]
    topic = " ".join(text.split())
    dispatcher.utter_message(
        response="utter_clarify_keyword", keyword=topic, example=_example(key(text), found[0]), buttons=buttons
    )
    return []
