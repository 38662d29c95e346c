"""Unanswered messages grouped by similarity (rapidfuzz token_set_ratio on accent-stripped
text), so that officers see "what citizens ask that we cannot answer yet", most asked first."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from tthc.text.normalize import accent_key

THRESHOLD = 80


@dataclass
class Group:
    key: str  # the accent-free text of its first (most recent) message
    question: str  # that message as typed (masked)
    count: int = 0
    examples: list[str] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    procedures: dict[str, int] = field(default_factory=dict)

    @property
    def procedure(self) -> str | None:
        """The procedure most of its messages were about, if any (a clarification's guess)."""
        return max(self.procedures, key=self.procedures.get) if self.procedures else None  # type: ignore[arg-type]


def group_messages(rows: list[dict[str, Any]], threshold: int = THRESHOLD, max_examples: int = 5) -> list[Group]:
    """Greedy single pass: each message joins the first group it is similar enough to."""
    groups: list[Group] = []
    for row in rows:
        text = str(row["text"]).strip()
        key = accent_key(text)
        if not key:
            continue
        home = next((g for g in groups if fuzz.token_set_ratio(g.key, key) >= threshold), None)
        if home is None:
            home = Group(key, text)
            groups.append(home)
        home.count += 1
        if text not in home.examples and len(home.examples) < max_examples:
            home.examples.append(text)
        home.outcomes[row["outcome"]] = home.outcomes.get(row["outcome"], 0) + 1
        if row.get("procedure"):
            home.procedures[row["procedure"]] = home.procedures.get(row["procedure"], 0) + 1
    return sorted(groups, key=lambda g: -g.count)
