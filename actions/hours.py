"""Opening hours: is a schedule open now, and when does it open next."""

from __future__ import annotations

import datetime as dt

DAY_KEYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAY_NAMES = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"]


def parse_schedule(text: str) -> dict[str, list[str]]:
    """'mon-fri 07:30-11:30,13:30-17:00; sat 07:30-11:30' -> {'mon': [...], ...}."""
    schedule: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        days, _, ranges = part.partition(" ")
        first, _, last = days.partition("-")
        start, end = DAY_KEYS.index(first), DAY_KEYS.index(last or first)
        for key in DAY_KEYS[start : end + 1]:
            schedule[key] = [r.strip() for r in ranges.split(",") if r.strip()]
    return schedule


def _ranges(schedule: dict[str, list[str]], day: dt.date) -> list[tuple[dt.time, dt.time]]:
    out = []
    for item in schedule.get(DAY_KEYS[day.weekday()], []):
        start, end = item.split("-")
        out.append((dt.time.fromisoformat(start), dt.time.fromisoformat(end)))
    return out


def is_open(schedule: dict[str, list[str]], now: dt.datetime) -> bool:
    return any(start <= now.time() < end for start, end in _ranges(schedule, now.date()))


def next_opening(schedule: dict[str, list[str]], now: dt.datetime) -> dt.datetime | None:
    for offset in range(8):
        day = now.date() + dt.timedelta(days=offset)
        for start, _ in _ranges(schedule, day):
            moment = dt.datetime.combine(day, start)
            if moment > now:
                return moment
    return None


def describe(moment: dt.datetime, now: dt.datetime) -> str:
    if moment.date() == now.date():
        when = "hôm nay"
    elif moment.date() == now.date() + dt.timedelta(days=1):
        when = "sáng mai" if moment.hour < 12 else "chiều mai"
    else:
        when = DAY_NAMES[moment.weekday()] + " " + moment.strftime("%d/%m")
    return f"{moment.strftime('%H:%M')} {when}"
