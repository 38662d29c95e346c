"""The team's dictionary of teencode, abbreviations and misspellings (tthc/text/data/teencode.tsv)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from tthc.text.normalize import normalize_word, strip_accents

_DICTIONARY = Path(__file__).parent / "data" / "teencode.tsv"


@lru_cache(maxsize=1)
def _load() -> tuple[dict[str, str], dict[str, str]]:
    exact: dict[str, str] = {}
    unaccented: dict[str, str] = {}
    for raw in _DICTIONARY.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        form, expansion = raw.split("\t", 1)
        form = normalize_word(form.strip())
        exact[form] = expansion.strip()
        if strip_accents(form) == form:
            unaccented[form] = expansion.strip()
    return exact, unaccented


def expand(word: str) -> str:
    """Expansion of one normalized word, or the word itself: 'ko' -> 'không', 'ntn' -> 'như thế nào'."""
    exact, unaccented = _load()
    found = exact.get(word)
    if found is not None:
        return found
    if len(word) > 2:  # short accented words (à, ê) must not turn into 'anh', 'em'
        return unaccented.get(strip_accents(word), word)
    return word
