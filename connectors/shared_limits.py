"""Rate limits counted once for all gateway replicas, in the database they share.

With ``TROLYAO_STATE_DB_URL`` set (several gateways behind a proxy), a citizen's messages land on
any replica; counted per process, a limit of 20 a minute would let 20 through each replica. Here
each limit keeps one row per key in ``gateway_rate_limits`` of that database, updated by one
atomic statement (GCRA, the token bucket of ``connectors.ratelimit`` written as the time its
next token is due), so every replica sees the same count. Without the URL, limits stay in the
process (``connectors.ratelimit.Limiter``): one gateway is the whole count.

The database is never a reason to refuse or hold a citizen: if it cannot be reached, the
process's own counts take over (logged once), and the shared table is tried again after a few
seconds. A limit is then per replica until the database is back, as it was before.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from connectors.ratelimit import MAX_KEYS, Clock, Limiter, Rate, Throttle
from tthc.records.engine import create_all, make_engine

logger = logging.getLogger(__name__)

TABLE = "gateway_rate_limits"
RETRY_AFTER_ERROR_S = 5.0  # after a database error, the process counts alone this long
PRUNE_EVERY_S = 60.0
_LOCK_KEY = zlib.crc32(b"trolyao.connectors.shared_limits") & 0x7FFFFFFF


class SharedCounts:
    """The shared table and its connection pool; ``limiter(name, rate)`` gives one limit."""

    def __init__(self, url: str, clock: Clock = time.time, retry_after_error_s: float = RETRY_AFTER_ERROR_S) -> None:
        self.url = url
        self._clock = clock
        self._retry_after_error_s = retry_after_error_s
        self.engine = make_engine(url, connect_timeout_s=1, pool_size=2, max_overflow=4)
        self._metadata = sa.MetaData()
        self.table = sa.Table(
            TABLE,
            self._metadata,
            sa.Column("key", sa.Text, primary_key=True),  # "<limit>|<key>"
            sa.Column("tat", sa.Float, nullable=False),  # when the next token is due (epoch seconds)
            sa.Column("told", sa.Integer, nullable=False, server_default="0"),  # refused, and said so
        )
        self._ready = False
        self._down_until = 0.0
        self._down_logged = False
        self._pruned_at = 0.0
        self._lock = threading.Lock()

    def limiter(self, name: str, rate: Rate, local_clock: Clock = time.monotonic) -> SharedLimiter:
        return SharedLimiter(self, name, rate, local_clock)

    def close(self) -> None:
        self.engine.dispose()

    # --- one statement at a time, or None when the database is out of reach -----------------

    def run(self, work: Callable[[sa.engine.Connection], Any]) -> tuple[bool, Any]:
        """(True, what ``work`` returned in one transaction), or (False, None) when the table
        cannot be used now (an error, or a recent one)."""
        now = time.monotonic()
        if now < self._down_until:
            return False, None
        try:
            if not self._ready:
                self._create_table()
            with self.engine.begin() as db:
                result = work(db)
        except Exception as exc:  # unreachable, restarting, locked: never the citizen's problem
            self._down_until = now + self._retry_after_error_s
            if not self._down_logged:
                logger.warning("rate limits: shared counts unavailable, counting in this process: %s", exc)
                self._down_logged = True
            return False, None
        if self._down_logged:
            logger.info("rate limits: shared counts available again")
            self._down_logged = False
        self._prune()
        return True, result

    def _create_table(self) -> None:
        """Create the table if missing; another replica (or thread) may be creating it too."""
        try:
            with self.engine.begin() as db:
                create_all(db, self._metadata, _LOCK_KEY)
        except sa.exc.DBAPIError:
            if not sa.inspect(self.engine).has_table(TABLE):
                raise
        self._ready = True

    def insert(self) -> Any:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(self.table)

    def later_of(self, column: Any, value: float) -> Any:
        """max(column, value): GREATEST on PostgreSQL, the two-argument MAX on SQLite."""
        if self.engine.dialect.name == "postgresql":
            return sa.func.greatest(column, value)
        return sa.func.max(column, value)

    def now(self) -> float:
        return self._clock()

    def _prune(self) -> None:
        """Rows whose bucket is full again say nothing a missing row would not."""
        now = self._clock()
        with self._lock:
            if now - self._pruned_at < PRUNE_EVERY_S:
                return
            self._pruned_at = now
        try:
            with self.engine.begin() as db:
                db.execute(self.table.delete().where(self.table.c.tat < now))
        except Exception as exc:  # the next prune will do
            logger.debug("rate limits: prune failed: %s", exc)


class SharedLimiter:
    """One limit (``name``: "chat-sender", "webhook-user"...) with ``connectors.ratelimit.Limiter``'s
    answers: ``hit(key)`` is 0.0 if allowed, else the seconds until the next token; and
    ``tell_once(key)``, True only for the first refusal of a burst (``Throttle``)."""

    def __init__(self, counts: SharedCounts, name: str, rate: Rate, local_clock: Clock = time.monotonic) -> None:
        self.rate = rate
        self._counts = counts
        self._name = name
        self._interval = rate.per_s / rate.count  # one token per interval
        self._tolerance = rate.per_s - self._interval  # count - 1 tokens may be taken early
        self._local = Limiter(rate, local_clock)  # while the database is out of reach
        self._local_told: OrderedDict[str, None] = OrderedDict()

    def _row(self, key: str) -> str:
        return f"{self._name}|{key}"

    def hit(self, key: str) -> float:
        now = self._counts.now()
        table, row = self._counts.table, self._row(key)
        due = self._counts.later_of(table.c.tat, now)

        def take(db: sa.engine.Connection) -> float:
            statement = (
                self._counts.insert()
                .values(key=row, tat=now + self._interval, told=0)
                .on_conflict_do_update(
                    index_elements=["key"],
                    set_={"tat": due + self._interval, "told": 0},
                    where=due - now <= self._tolerance,
                )
            )
            if db.execute(statement).rowcount:
                return 0.0
            tat = db.execute(sa.select(table.c.tat).where(table.c.key == row)).scalar()
            return max(0.0, max(float(tat or now), now) - now - self._tolerance) or 1e-3

        shared, wait = self._counts.run(take)
        if shared:
            return float(wait)
        wait = self._local.hit(key)
        if wait == 0.0:
            self._local_told.pop(key, None)
        return wait

    def tell_once(self, key: str) -> bool:
        """After a refusal: True if this is the burst's first (the citizen is told once)."""
        table, row = self._counts.table, self._row(key)

        def mark(db: sa.engine.Connection) -> bool:
            marked = db.execute(table.update().where(table.c.key == row, table.c.told == 0).values(told=1))
            return bool(marked.rowcount)

        shared, first = self._counts.run(mark)
        if shared:
            return bool(first)
        if key in self._local_told:
            return False
        self._local_told[key] = None
        while len(self._local_told) > MAX_KEYS:
            self._local_told.popitem(last=False)
        return True


@lru_cache(maxsize=4)
def shared_counts(url: str) -> SharedCounts:
    """One table and pool per database for the whole process (the chat and the channels)."""
    return SharedCounts(url)


def counted_by(state_db_url: str, route: str) -> Callable[[str, Rate], SharedLimiter] | None:
    """For ``ClientLimits``: the limiters of a route ("chat", "webhook") in the shared database,
    or None (counted in this process) without one."""
    if not state_db_url:
        return None
    counts = shared_counts(state_db_url)
    return lambda kind, rate: counts.limiter(f"{route}-{kind}", rate)


def webhook_throttle(rate: Rate | None, state_db_url: str) -> Throttle | None:
    """The per-platform-user limit of channel messages (None: off)."""
    if rate is None:
        return None
    if not state_db_url:
        return Throttle(rate)
    return Throttle(rate, limiter=shared_counts(state_db_url).limiter("webhook-user", rate))
