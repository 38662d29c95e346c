"""Splitting long text into messages that fit a channel's length limit."""

from __future__ import annotations

import re

# From the coarsest boundary to the finest, with the string that joins pieces again.
_LEVELS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\n[ \t]*\n\s*"), "\n\n"),  # paragraphs
    (re.compile(r"\s*\n\s*"), "\n"),  # lines
    (re.compile(r"(?<=[.!?…])\s+"), " "),  # sentences
    (re.compile(r"\s+"), " "),  # words
)


def measure(text: str) -> int:
    """Length in UTF-16 code units, the unit messaging platforms count in (>= len(text))."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int) -> list[str]:
    """Split ``text`` into stripped chunks of at most ``limit`` UTF-16 units.

    Cuts between paragraphs first, then lines, then sentences, then words; only a
    single word longer than the limit is cut inside.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    text = text.strip()
    return _split(text, limit, 0) if text else []


def _split(text: str, limit: int, level: int) -> list[str]:
    if measure(text) <= limit:
        return [text]
    if level == len(_LEVELS):
        return _hard_cut(text, limit)
    pattern, joiner = _LEVELS[level]
    pieces = [piece for piece in (p.strip() for p in pattern.split(text)) if piece]
    if len(pieces) <= 1:
        return _split(text, limit, level + 1)
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        for part in _split(piece, limit, level + 1):
            candidate = f"{current}{joiner}{part}" if current else part
            if measure(candidate) <= limit:
                current = candidate
            else:
                if current:
                    chunks.append(current)
                current = part
    if current:
        chunks.append(current)
    return chunks


def _hard_cut(text: str, limit: int) -> list[str]:
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for char in text:
        width = 2 if ord(char) > 0xFFFF else 1
        if current and size + width > limit:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    if current:
        chunks.append("".join(current))
    return chunks
