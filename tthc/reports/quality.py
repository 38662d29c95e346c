"""Answers that may be wrong, for officers to check: those citizens rated 👎, and those given on
a weak understanding of the message (the intent classifier's confidence under LOW_CONFIDENCE).
The unanswered page shows what the assistant could not answer; this shows what it answered,
perhaps badly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from tthc.records.schema import ratings, turns
from tthc.reports.figures import bounds

# The classifier falls back under 0.25 (config.yml); an answer under this was a near guess.
LOW_CONFIDENCE = 0.5


def rated_down(
    engine: sa.engine.Engine, day_from: dt.date, day_to: dt.date, zone: str | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """👎 ratings of the period, newest first, each with the message it rated (when known):
    at (of the rating), channel, procedure, text, intent, confidence, asked_at."""
    start, end = bounds(day_from, day_to, zone)
    rated = turns.alias("rated")
    query = (
        sa.select(
            ratings.c.at, ratings.c.channel,
            sa.func.coalesce(rated.c.procedure, ratings.c.procedure).label("procedure"),
            rated.c.text, rated.c.intent, rated.c.confidence, rated.c.at.label("asked_at"),
        )
        .select_from(ratings.outerjoin(rated, rated.c.id == ratings.c.turn_id))
        .where(ratings.c.useful.is_(False), ratings.c.at >= start, ratings.c.at < end)
        .order_by(ratings.c.at.desc()).limit(limit)
    )  # fmt: skip
    with engine.connect() as db:
        return [dict(r) for r in db.execute(query).mappings()]


def low_confidence(
    engine: sa.engine.Engine,
    day_from: dt.date,
    day_to: dt.date,
    zone: str | None = None,
    below: float = LOW_CONFIDENCE,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """Answered messages whose intent confidence was under ``below``, least confident first:
    at, channel, text, intent, confidence, procedure."""
    start, end = bounds(day_from, day_to, zone)
    query = (
        sa.select(turns.c.at, turns.c.channel, turns.c.text, turns.c.intent, turns.c.confidence, turns.c.procedure)
        .where(turns.c.at >= start, turns.c.at < end, turns.c.outcome == "answered", turns.c.confidence < below)
        .order_by(turns.c.confidence, turns.c.at.desc()).limit(limit)
    )  # fmt: skip
    with engine.connect() as db:
        return [dict(r) for r in db.execute(query).mappings()]
