"""Word segmentation with exact character offsets into the text as the citizen typed it.

Syllables are found on the raw text, normalized one by one (so offsets never move), expanded
through the teencode dictionary, then grouped into words by underthesea. A word's `key` is its
accent-insensitive form with syllables joined by "_" (khai_sinh), which keeps a compound one
feature for bag-of-words models.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from tthc.text.normalize import normalize_word, strip_accents
from tthc.text.teencode import expand

# A syllable: letters/digits plus any combining marks a decomposed input may carry.
_SYLLABLE = re.compile(r"[^\W_][\w\u0300-\u036f]*")
MAX_TOKENS = 256  # a 10,000-character message is cut here: intent lives in the first words


@dataclass(frozen=True)
class WordToken:
    text: str  # the raw substring, as typed
    start: int
    end: int
    norm: str  # normalized, accents kept, teencode expanded ("không", "như thế nào")
    key: str  # accent-insensitive, syllables joined by "_" ("khong", "nhu_the_nao")


@dataclass(frozen=True)
class _Syllable:
    raw_index: int
    text: str


def _segment(syllables: list[str]) -> list[list[str]]:
    """Group syllables into words with underthesea; plain syllables if it is unavailable."""
    if not syllables:
        return []
    words = _underthesea_words(" ".join(syllables))
    grouped = [w.split() for w in words]
    if sum(len(g) for g in grouped) != len(syllables):  # never trust a segmentation we cannot align
        return [[s] for s in syllables]
    return grouped


@lru_cache(maxsize=4096)
def _underthesea_words(sentence: str) -> tuple[str, ...]:
    from underthesea import word_tokenize  # imported lazily: loading takes about a second

    return tuple(word_tokenize(sentence))


def tokenize(text: str) -> list[WordToken]:
    raw = [m for m in _SYLLABLE.finditer(text)][:MAX_TOKENS]
    syllables: list[_Syllable] = []
    for index, match in enumerate(raw):
        expanded = expand(normalize_word(match.group()))
        syllables.extend(_Syllable(index, part) for part in expanded.split())
    words = _segment([s.text for s in syllables])

    # Map each word back to the raw syllables it covers; a word that starts inside the raw
    # syllable where the previous word ended (a split teencode expansion) is merged into it.
    groups: list[tuple[int, int, list[str]]] = []
    cursor = 0
    for word in words:
        parts = syllables[cursor : cursor + len(word)]
        cursor += len(word)
        first, last = parts[0].raw_index, parts[-1].raw_index
        if groups and groups[-1][1] >= first:
            start, _, merged = groups[-1]
            groups[-1] = (start, max(last, groups[-1][1]), merged + [p.text for p in parts])
        else:
            groups.append((first, last, [p.text for p in parts]))

    tokens = []
    for first, last, texts in groups:
        start, end = raw[first].start(), raw[last].end()
        norm = " ".join(texts)
        tokens.append(WordToken(text[start:end], start, end, norm, strip_accents(norm).replace(" ", "_")))
    return tokens


def keys(text: str) -> list[str]:
    """Accent-insensitive word keys of a text: 'Làm GKS ntn?' -> ['lam', 'giay_khai_sinh', ...]."""
    return [t.key for t in tokenize(text)]


def syllables(text: str) -> list[str]:
    """Normalized syllables, accents kept, teencode expanded, no segmentation (fast, model-free)."""
    out: list[str] = []
    for match in _SYLLABLE.finditer(text):
        out.extend(expand(normalize_word(match.group())).split())
    return out[: MAX_TOKENS * 3]


def syllable_keys(text: str) -> list[str]:
    """Accent-insensitive syllables, teencode expanded: 'Làm GKS' -> ['lam', 'giay', 'khai', 'sinh']."""
    return [strip_accents(s) for s in syllables(text)]
