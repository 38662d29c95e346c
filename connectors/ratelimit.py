"""Rate limits: token buckets per key (a sender, a platform user, a client address).

Pure and clock-injected so they are unit-tested without sleeping. A limit is written
``COUNT/SECONDS`` ("20/60": 20 messages at once, then one more every 3 s); ``off`` (or
``0``) disables it. Memory stays bounded: at most ``max_keys`` buckets are kept, the least
recently used forgotten first (forgetting a bucket only ever lets a key through sooner).

These count within one process; ``connectors.shared_limits`` gives limiters with the same
answers counted in the database that gateway replicas share (``TROLYAO_STATE_DB_URL``).
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

Clock = Callable[[], float]
MAX_KEYS = 20_000
_RATE = re.compile(r"^\s*(\d{1,9})\s*/\s*(\d{1,9}(?:\.\d+)?)\s*(?:s)?\s*$")
_OFF = {"", "0", "off", "none", "no", "false"}


@dataclass(frozen=True)
class Rate:
    """``count`` events at once, refilled evenly over ``per_s`` seconds."""

    count: int
    per_s: float

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 < self.per_s < float("inf"):
            raise ValueError(f"a rate needs a positive count and period, got {self}")

    def __str__(self) -> str:
        return f"{self.count}/{self.per_s:g}"


def parse_rate(text: str) -> Rate | None:
    """'20/60' -> Rate(20, 60.0); 'off' or '0' -> None; anything else raises ValueError."""
    value = text.strip().lower()
    if value in _OFF:
        return None
    match = _RATE.match(value)
    if not match:
        raise ValueError(f"expected COUNT/SECONDS (e.g. 20/60) or off, got {text!r}")
    count, per_s = int(match.group(1)), float(match.group(2))
    if count == 0:
        return None
    return Rate(count, per_s)


class Limiter:
    """One token bucket per key."""

    def __init__(self, rate: Rate, clock: Clock = time.monotonic, max_keys: int = MAX_KEYS) -> None:
        self.rate = rate
        self._clock = clock
        self._max_keys = max_keys
        self._refill_per_s = rate.count / rate.per_s
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key: (tokens, at)

    def __len__(self) -> int:
        return len(self._buckets)

    def hit(self, key: str) -> float:
        """Take one token: 0.0 if allowed, else the seconds until the next one (nothing taken)."""
        now = self._clock()
        tokens, at = self._buckets.pop(key, (float(self.rate.count), now))
        tokens = min(float(self.rate.count), tokens + max(0.0, now - at) * self._refill_per_s)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self._refill_per_s
        self._buckets[key] = (tokens, now)  # most recently used last
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        return wait


class Counter(Protocol):
    """A limiter: ``Limiter`` (this process) or ``connectors.shared_limits.SharedLimiter``."""

    def hit(self, key: str) -> float: ...


class ThrottleVerdict(Enum):
    ALLOW = "allow"
    NOTIFY = "notify"  # over the limit for the first time: tell the citizen once
    DROP = "drop"  # over the limit and already told


class Throttle:
    """A limiter that says once per burst that a key is over it (channel messages: the
    platform gets 200 either way, the citizen one short notice, extra messages are dropped)."""

    def __init__(
        self, rate: Rate, clock: Clock = time.monotonic, max_keys: int = MAX_KEYS, limiter: Counter | None = None
    ) -> None:
        """``limiter``: counts kept elsewhere (shared by replicas, with its own ``tell_once``)."""
        self._limiter: Counter = limiter or Limiter(rate, clock, max_keys)
        self._tell_once = getattr(limiter, "tell_once", None)
        self._max_keys = max_keys
        self._told: OrderedDict[str, None] = OrderedDict()

    def check(self, key: str) -> ThrottleVerdict:
        if self._limiter.hit(key) == 0.0:
            self._told.pop(key, None)
            return ThrottleVerdict.ALLOW
        if self._tell_once is not None:
            return ThrottleVerdict.NOTIFY if self._tell_once(key) else ThrottleVerdict.DROP
        if key in self._told:
            return ThrottleVerdict.DROP
        self._told[key] = None
        while len(self._told) > self._max_keys:
            self._told.popitem(last=False)
        return ThrottleVerdict.NOTIFY


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ClientLimits:
    """The limits of one kind of route: per client address and per sender.

    The address is the one uvicorn reports: the peer, or the X-Forwarded-For client when the
    peer is a trusted proxy (TROLYAO_TRUSTED_PROXIES). Loopback addresses may be exempt from
    the address limit (local benchmarks and tests, a same-host proxy that sets no header).
    """

    def __init__(
        self,
        per_ip: Rate | None,
        per_sender: Rate | None,
        exempt_loopback: bool = True,
        clock: Clock = time.monotonic,
        max_keys: int = MAX_KEYS,
        counted_by: Callable[[str, Rate], Counter] | None = None,
    ) -> None:
        """``counted_by(kind, rate)`` makes the limiters ("ip", "sender") when they are kept
        elsewhere (``connectors.shared_limits``); by default they count in this process."""

        def limiter(kind: str, rate: Rate | None) -> Counter | None:
            if rate is None:
                return None
            return counted_by(kind, rate) if counted_by else Limiter(rate, clock, max_keys)

        self._ip = limiter("ip", per_ip)
        self._sender = limiter("sender", per_sender)
        self._exempt_loopback = exempt_loopback

    def ip_wait(self, host: str | None) -> float:
        """0.0 if this address may go on, else seconds to wait."""
        if self._ip is None or (self._exempt_loopback and host and is_loopback(host)):
            return 0.0
        return self._ip.hit(host or "?")

    def sender_wait(self, sender: str) -> float:
        return 0.0 if self._sender is None else self._sender.hit(sender)

    def wait(self, host: str | None, sender: str) -> float:
        """The address first, so a refused address does not spend its senders' tokens."""
        return self.ip_wait(host) or self.sender_wait(sender)
