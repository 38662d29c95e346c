"""Text normalization: NFC, case, tone-mark placement, repeated letters, accent-insensitive keys.

Every function here works on one word or one string and is pure, so offsets are kept by the
caller (see tthc.text.tokenize), never by re-slicing normalized text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Old style puts the tone on the last vowel of "oa/oe/uy" (hoà, thuý), new style on the first
# (hòa, thúy). Both are in use; we map both to one canonical form so they compare equal.
_TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook, dot below
_OLD_STYLE = re.compile(rf"^(.*?)([ou])([aey])([{_TONES}])$")

_REPEATS = re.compile(r"([^\W\d_])\1{2,}")
_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@lru_cache(maxsize=65536)
def strip_accents(text: str) -> str:
    """Remove every diacritic; đ becomes d. 'Đăng ký' -> 'Dang ky'."""
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return kept.replace("đ", "d").replace("Đ", "D")


def canonical_tone(word: str) -> str:
    """Move the tone of an open 'oa/oe/uy' syllable to its first vowel: hoà -> hòa, thuý -> thúy."""
    decomposed = unicodedata.normalize("NFD", word)
    match = _OLD_STYLE.match(decomposed)
    if not match:
        return nfc(word)
    head, first, second, tone = match.groups()
    if first == "u" and head.endswith("q"):  # "qu" is a consonant: quý keeps its tone on y
        return nfc(word)
    return nfc(head + first + tone + second)


def collapse_repeats(word: str) -> str:
    """'nhiuuuu' -> 'nhiu', 'alooo' -> 'alo', 'đẹeeep' -> 'đẹep'. Vietnamese never triples a
    letter; abbreviations can ('cccd'), so consonants are collapsed only at the end of a word, and
    a word without a vowel is an abbreviation left whole ('pccc': phòng cháy chữa cháy)."""
    if not any(letter in "aeiouy" for letter in strip_accents(word.lower())):
        return word

    def collapse(match: re.Match[str]) -> str:
        letter = match.group(1)
        at_end = match.end() == len(word)
        return letter if at_end or strip_accents(letter) in "aeiouy" else match.group(0)

    return _REPEATS.sub(collapse, word)


@lru_cache(maxsize=65536)
def normalize_word(word: str) -> str:
    """Canonical lower-case form of one word, accents kept."""
    return canonical_tone(collapse_repeats(nfc(word).lower()))


def normalize_text(text: str) -> str:
    """Canonical form of a whole message: NFC, lower case, one space, canonical tones."""
    words = _SPACES.split(nfc(text).strip())
    return " ".join(normalize_word(w) for w in words if w)


def accent_key(text: str) -> str:
    """Accent-insensitive key: normalized, accents stripped. 'Làm CCCD' -> 'lam cccd'."""
    return strip_accents(normalize_text(text))
