"""Dates as citizens type them: "mai", "thứ 3 tuần sau", "25/11", "t6"."""

from __future__ import annotations

import datetime as dt
import re

from tthc.text.normalize import accent_key

_WEEKDAYS = {
    "hai": 0, "2": 0, "ba": 1, "3": 1, "tu": 2, "4": 2, "nam": 3, "5": 3, "sau": 4, "6": 4, "bay": 5, "7": 5,
}  # fmt: skip
_DAY_MONTH = re.compile(r"\b(\d{1,2})\s*[/\-.]\s*(\d{1,2})(?:\s*[/\-.]\s*(\d{2,4}))?\b")
_WEEKDAY = re.compile(r"\b(?:thu|t)\s*(hai|ba|tu|nam|sau|bay|[2-7])\b")


def parse_date(text: str, today: dt.date) -> dt.date | None:
    """The date a message names, or None. Weekdays mean the next such day (this week or later)."""
    key = accent_key(text)
    match = _DAY_MONTH.search(key)
    if match:
        day, month, year = int(match.group(1)), int(match.group(2)), match.group(3)
        full_year = (int(year) + 2000 if len(year) == 2 else int(year)) if year else today.year
        try:
            found = dt.date(full_year, month, day)
        except ValueError:
            return None
        if not year and found < today:
            found = found.replace(year=today.year + 1)
        return found
    if re.search(r"\bhom nay\b", key):
        return today
    if re.search(r"\b(ngay kia|mot)\b", key):
        return today + dt.timedelta(days=2)
    if re.search(r"\b(ngay mai|mai)\b", key):
        return today + dt.timedelta(days=1)
    next_week = bool(re.search(r"\btuan (sau|toi)\b", key))
    if re.search(r"\b(chu nhat|cn)\b", key):
        target = 6
    else:
        weekday = _WEEKDAY.search(key)
        if not weekday:
            return None
        target = _WEEKDAYS[weekday.group(1)]
    if next_week:
        monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=7)
        return monday + dt.timedelta(days=target)
    ahead = (target - today.weekday()) % 7 or 7
    return today + dt.timedelta(days=ahead)


def vn_weekday(day: dt.date) -> str:
    return ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"][day.weekday()]
