"""Issue 15: rate limits counted once for all gateway replicas, in the database they share
(TROLYAO_STATE_DB_URL), and never a reason to refuse a citizen when that database is down.

Two ``SharedCounts`` on one database are two replicas (each its own engine and pool). SQLite
here; the same statements run on PostgreSQL in tests/scaled (two real gateways behind nginx)."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
from conftest import MakeGateway, Served

from connectors.ratelimit import ClientLimits, Rate, Throttle, ThrottleVerdict
from connectors.shared_limits import SharedCounts, counted_by, shared_counts, webhook_throttle


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0  # wall-clock seconds: replicas on different hosts share it

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'shared-state.sqlite3'}"


def test_two_replicas_share_one_bucket(url: str) -> None:
    clock = Clock()
    one, two = SharedCounts(url, clock), SharedCounts(url, clock)
    a, b = one.limiter("chat-sender", Rate(2, 60)), two.limiter("chat-sender", Rate(2, 60))
    assert [a.hit("api:lan"), b.hit("api:lan")] == [0.0, 0.0]  # the burst, one message on each
    assert b.hit("api:lan") == pytest.approx(30.0) and a.hit("api:lan") == pytest.approx(30.0)
    assert a.hit("api:binh") == 0.0  # another citizen, another bucket
    assert one.limiter("webhook-user", Rate(2, 60)).hit("api:lan") == 0.0  # another limit too
    clock.now += 30  # one token back, for whichever replica asks first
    assert b.hit("api:lan") == 0.0 and a.hit("api:lan") == pytest.approx(30.0)


def test_concurrent_hits_from_two_replicas_take_exactly_the_burst(url: str) -> None:
    clock = Clock()
    limiters = [SharedCounts(url, clock).limiter("chat-sender", Rate(5, 60)) for _ in range(2)]
    waits: list[float] = []
    lock = threading.Lock()

    def hit(n: int) -> None:
        wait = limiters[n % 2].hit("api:flood")
        with lock:
            waits.append(wait)

    threads = [threading.Thread(target=hit, args=(n,)) for n in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(w == 0.0 for w in waits) == 5 and len(waits) == 24


def test_a_flood_is_told_once_whichever_replica_sees_it(url: str) -> None:
    clock = Clock()
    rate = Rate(2, 60)
    throttles = [Throttle(rate, limiter=SharedCounts(url, clock).limiter("webhook-user", rate)) for _ in "ab"]
    verdicts = [throttles[n % 2].check("telegram:777") for n in range(6)]
    assert verdicts == [ThrottleVerdict.ALLOW] * 2 + [ThrottleVerdict.NOTIFY] + [ThrottleVerdict.DROP] * 3
    clock.now += 30
    assert throttles[1].check("telegram:777") is ThrottleVerdict.ALLOW
    assert throttles[0].check("telegram:777") is ThrottleVerdict.NOTIFY  # a new burst: told again


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_shared_database_down_never_refuses_a_citizen(url: str, caplog: pytest.LogCaptureFixture) -> None:
    """Counted in the process meanwhile (as before issue 15), tried again a few seconds later."""
    down = SharedCounts(f"postgresql://trolyao:x@127.0.0.1:{closed_port()}/rasa", retry_after_error_s=60)
    limits = ClientLimits(None, Rate(2, 60), counted_by=lambda kind, rate: down.limiter(f"chat-{kind}", rate))
    waits = [limits.wait("203.0.113.9", "api:lan") for _ in range(3)]
    assert waits[:2] == [0.0, 0.0] and waits[2] > 0  # the process's own count still limits
    assert caplog.text.count("shared counts unavailable") == 1  # said once, not per message
    throttle = Throttle(Rate(1, 60), limiter=down.limiter("webhook-user", Rate(1, 60)))
    assert [throttle.check("zalo:1") for _ in range(3)] == [
        ThrottleVerdict.ALLOW, ThrottleVerdict.NOTIFY, ThrottleVerdict.DROP]  # fmt: skip


def test_without_a_shared_database_limits_stay_in_the_process() -> None:
    assert counted_by("", "chat") is None
    throttle = webhook_throttle(Rate(20, 60), "")
    assert throttle is not None and webhook_throttle(None, "sqlite:///x.db") is None


def test_two_gateways_on_one_state_database_count_a_sender_once(
    make_gateway: MakeGateway, rasa: Served, actions: Served, url: str
) -> None:
    """Two gateway processes' worth (two apps, each its own engines) behind no proxy: a citizen
    whose messages alternate between them is limited by the sum."""
    limits = {"rate_chat_sender": Rate(3, 60), "state_db_url": url}
    shared_counts.cache_clear()
    one = make_gateway(rasa.url, actions.url, **limits)
    shared_counts.cache_clear()  # the second gateway gets its own engine and pool, as in its own process
    two = make_gateway(rasa.url, actions.url, **limits)
    shared_counts.cache_clear()
    who = "lan-0123456789abcdef"
    statuses = [(one if n % 2 else two).chat(f"câu {n}", sender_id=who).status_code for n in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert one.chat("xin chào", sender_id="binh-0123456789abcdef").status_code == 200
