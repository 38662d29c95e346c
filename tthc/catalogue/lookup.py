"""Officers' search of the catalogue by name or code: plain, accent-insensitive word matching.

    CatalogueLookup(catalogue).find(query, limit=50) -> list[CatalogueProcedure]

This is the console's search box, not the assistant's retrieval (tthc.search): an officer types
words of an official name ("cap lai giay chung nhan", "khai sinh") or a code ("1.0127"), and gets
the records whose names hold those words, best first. No numpy, so the gateway can use it.

Ranking: the share of the query's words found in the name (a word of three letters or more also
counts half when it begins a word of the name), then the whole query found as a phrase in the
name (with its accents, then without), else how closely the name holds it (rapidfuzz's partial
ratio: a misspelt word), then the shorter name. A query none of whose words is in
any name falls back to a fuzzy match of the whole name (rapidfuzz), for typing errors.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from tthc.catalogue.model import CatalogueProcedure
from tthc.text.normalize import accent_key, normalize_text

MIN_SHARE = 0.5  # of the query's words, for a name to be listed
FUZZY_CUTOFF = 80  # rapidfuzz WRatio, 0-100, for the fallback
_WORD = re.compile(r"[^\W_]+")
_CODE = re.compile(r"^\d+(?:\.[0-9A-Za-z]*)*$")


def words(text: str) -> list[str]:
    """Accent-free words: 'Cấp lại Giấy chứng nhận' -> ['cap', 'lai', 'giay', 'chung', 'nhan']."""
    return _WORD.findall(accent_key(text))


@dataclass(frozen=True)
class _Entry:
    procedure: CatalogueProcedure
    words: frozenset[str]
    key: str  # accent-free name, one space between words
    text: str  # normalized name, accents kept


class CatalogueLookup:
    """Every catalogue name, split once into words; build it again when the catalogue changes."""

    def __init__(self, catalogue: Mapping[str, CatalogueProcedure]) -> None:
        self._entries: list[_Entry] = []
        for code in sorted(catalogue):
            procedure = catalogue[code]
            name_words = words(procedure.name)
            text = " ".join(_WORD.findall(normalize_text(procedure.name)))
            self._entries.append(_Entry(procedure, frozenset(name_words), " ".join(name_words), text))

    def __len__(self) -> int:
        return len(self._entries)

    def find(self, query: str, limit: int = 50) -> list[CatalogueProcedure]:
        """The records whose code begins with the query, or whose names hold its words, best first."""
        text = query.strip()[:200]
        if not text:
            return []
        if _CODE.match(text):
            return [e.procedure for e in self._entries if e.procedure.code.startswith(text)][:limit]
        wanted = list(dict.fromkeys(words(text)))
        if not wanted:
            return []
        ranked = self._by_words(wanted, text)
        if not ranked:
            return self._fuzzy(" ".join(wanted), limit)
        return [entry.procedure for _, entry in sorted(ranked, key=lambda pair: pair[0])[:limit]]

    def _by_words(self, wanted: list[str], text: str) -> list[tuple[tuple[float, int, int, int, str], _Entry]]:
        phrase_key = " ".join(wanted)
        phrase = " ".join(_WORD.findall(normalize_text(text)))
        ranked = []
        for entry in self._entries:
            share = sum(_found(word, entry.words) for word in wanted) / len(wanted)
            if share < MIN_SHARE:
                continue
            together = 2 if phrase in entry.text else 1 if phrase_key in entry.key else 0
            close = 0 if together else round(fuzz.partial_ratio(phrase_key, entry.key))
            ranked.append(((-share, -together, -close, len(entry.key), entry.procedure.code), entry))
        return ranked

    def _fuzzy(self, key: str, limit: int) -> list[CatalogueProcedure]:
        keys = [entry.key for entry in self._entries]
        found = process.extract(key, keys, scorer=fuzz.WRatio, score_cutoff=FUZZY_CUTOFF, limit=limit)
        return [self._entries[index].procedure for _, _, index in found]


def _found(word: str, name_words: frozenset[str]) -> float:
    if word in name_words:
        return 1.0
    if len(word) >= 3 and any(other.startswith(word) for other in name_words):
        return 0.5
    return 0.0
