"""Times shown to officers, in the deployment's time zone (``CommonSettings.timezone``,
Asia/Ho_Chi_Minh by default), whatever zone the server runs in.

The records store keeps naive times: the wall clock of the machine that wrote them
(``datetime.now()``), which is often UTC on a server. These helpers turn such a stored time
into the deployment's wall clock, and a day of the deployment's calendar into the stored
times that bound it, so that "1 July" means 00:00-24:00 in Viet Nam in every figure.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from tthc.settings import DEFAULT_TIMEZONE


@lru_cache(maxsize=8)
def zone(name: str | None = None) -> ZoneInfo:
    return ZoneInfo(name or DEFAULT_TIMEZONE)


def local(value: dt.datetime | None, name: str | None = None) -> dt.datetime | None:
    """A stored time (naive, the machine's wall clock) as the deployment's wall clock, naive."""
    if value is None:
        return None
    aware = value if value.tzinfo else value.astimezone()  # naive: the machine's own zone
    return aware.astimezone(zone(name)).replace(tzinfo=None)


def stored(value: dt.datetime, name: str | None = None) -> dt.datetime:
    """The deployment's wall clock (naive) as the store keeps it (the machine's wall clock)."""
    return value.replace(tzinfo=zone(name)).astimezone().replace(tzinfo=None)


def today(name: str | None = None) -> dt.date:
    """Today in the deployment's zone (a server on UTC is still on yesterday until 07:00)."""
    return dt.datetime.now(zone(name)).date()


def now(name: str | None = None) -> dt.datetime:
    """Now on the deployment's wall clock, naive."""
    return dt.datetime.now(zone(name)).replace(tzinfo=None, microsecond=0)


def offset_minutes(name: str | None = None, at: dt.datetime | None = None) -> int:
    """Minutes to add to a stored time to read it on the deployment's wall clock (7 * 60 for
    Viet Nam on a UTC server, 0 on a server set to Viet Nam)."""
    moment = at or dt.datetime.now()
    return round((local(moment, name) - moment).total_seconds() / 60)  # type: ignore[operator]


def shown(value: dt.datetime | None, name: str | None = None) -> str:
    """'dd/mm/yyyy HH:MM' on the deployment's wall clock; '' for no time."""
    when = local(value, name)
    return when.strftime("%d/%m/%Y %H:%M") if when else ""
