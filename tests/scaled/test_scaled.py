"""The deployment of deploy/ on one machine: nginx -> 2 gateways -> nginx -> 2 Rasa replicas ->
nginx -> 2 action servers, PostgreSQL (tracker, records, gateway state) and Redis (lock store).

Runs in file order: routing and context first, then a benchmark on the whole set-up, then a Rasa
replica is killed under load, then PostgreSQL is killed under load and restarted.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from typing import Any

from tests.scaled.cluster import TELEGRAM_SECRET, Cluster, get, wait_until
from tests.scaled.conftest import NUMBERS
from tests.scaled.driver import CONVERSATIONS, Run, Turn, converse, load
from tests.scaled.fake_telegram import FakeTelegram, update

CONCURRENCY = 8


def sender() -> str:
    return f"scaled-{uuid.uuid4().hex[:12]}"


def routed(cluster: Cluster, port_name: str, method: str, path: str, needle: str) -> list[str]:
    """Which upstream(s) nginx sent each matching request to, in log order."""
    port = str(cluster.ports[port_name])
    return [
        row["upstream"]
        for row in cluster.access_log()
        if row["port"] == port and row["method"] == method and row["uri"].startswith(path) and needle in row["body"]
    ]


def user_texts(cluster: Cluster, conversation: str) -> Counter[str]:
    """The user messages in the conversation's tracker (PostgreSQL, read through a replica)."""
    quoted = urllib.parse.quote(conversation, safe=":")
    status, body = get(f"{cluster.rasa_url}/conversations/{quoted}/tracker?include_events=ALL", timeout=10)
    assert status == 200, body[:200]
    events = json.loads(body).get("events") or []
    return Counter(e.get("text") for e in events if e.get("event") == "user")


def duplicates(cluster: Cluster, run: Run) -> dict[str, list[str]]:
    found = {}
    for who in sorted(run.senders()):
        twice = [text for text, count in user_texts(cluster, f"api:{who}").items() if count > 1]
        if twice:
            found[who] = twice
    return found


def by_conversation(run: Run) -> dict[str, list[Turn]]:
    conversations: dict[str, list[Turn]] = {}
    for turn in sorted(run.turns, key=lambda t: (t.sender, t.index)):
        conversations.setdefault(turn.sender, []).append(turn)
    return conversations


def rasa_upstreams(cluster: Cluster) -> dict[str, str]:
    return {cluster.upstream(name): name for name in ("rasa-1", "rasa-2")}


# --- (a) a conversation's turns on different replicas, its context kept -----------------------


def point_round_robin_away(cluster: Cluster, who: str, turns_done: int) -> None:
    """Make nginx's next Rasa request go to the other replica than this turn's message.

    A turn makes one Rasa request (the message) or two (plus a tracker read, for turns answered
    by a template alone), and nginx (one worker) alternates per request; so, like "another
    citizen" would, send one request in between when the last one went elsewhere."""
    port = str(cluster.ports["nginx_rasa"])
    deadline = time.monotonic() + 5
    while len(served := routed(cluster, "nginx_rasa", "POST", "/webhooks/rest/webhook", f"api:{who}")) < turns_done:
        assert time.monotonic() < deadline, "nginx did not log the turn"
        time.sleep(0.05)
    time.sleep(0.2)  # a tracker read after the message is logged just after it
    last = [row for row in cluster.access_log() if row["port"] == port][-1]
    if last["upstream"] != served[-1]:
        get(f"{cluster.rasa_url}/status")


def test_turns_land_on_different_replicas_and_keep_their_context(cluster: Cluster) -> None:
    rasa_names = rasa_upstreams(cluster)
    gateway_names = {cluster.upstream(name): name for name in ("gateway-1", "gateway-2")}
    run = Run()
    routes = {}
    for turns in CONVERSATIONS:
        who = sender()
        for index, turn in enumerate(turns):
            converse(cluster.url, [turn], run, sender=who)
            if index + 1 < len(turns):
                point_round_robin_away(cluster, who, index + 1)
        # nginx writes a request's log line just after the response: give it a moment.
        deadline = time.monotonic() + 5
        while True:
            rasa = [rasa_names[u] for u in routed(cluster, "nginx_rasa", "POST", "/webhooks/rest/webhook", f"api:{who}")]
            gateways = [gateway_names[u] for u in routed(cluster, "nginx_gateway", "POST", "/api/chat", who)]
            if len(rasa) == len(gateways) == len(turns) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        routes[who] = {"rasa": rasa, "gateways": gateways}
        assert len(rasa) == len(gateways) == len(turns), routes[who]
        assert all(a != b for a, b in zip(rasa, rasa[1:])), f"consecutive turns on one Rasa replica: {routes[who]}"
        assert all(a != b for a, b in zip(gateways, gateways[1:])), f"consecutive turns on one gateway: {routes[who]}"
    wrong = [(t.text, (t.body or {}).get("intent"), (t.body or {}).get("procedure"), t.expected)
             for t in run.turns if not t.in_context]  # fmt: skip
    assert not wrong, wrong
    # "làm căn cước cần gì" then "lệ phí bao nhiêu" on the other replica: the căn cước fee.
    fee = next(t for t in run.turns if t.text == "thế lệ phí bao nhiêu")
    assert (fee.body or {}).get("intent") == "ask_fee" and "50.000" in fee.text_out
    NUMBERS["routing (a)"] = {"conversations": len(routes), "turns": len(run.turns),
                              "example": next(iter(routes.values()))}  # fmt: skip


# --- the gateways' shared state: a platform retry on the other gateway is answered once --------


def post_webhook(cluster: Cluster, body: dict[str, Any]) -> int:
    request = urllib.request.Request(
        f"{cluster.url}/webhooks/telegram",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def test_a_platform_retry_on_the_other_gateway_is_answered_once(cluster: Cluster, telegram: FakeTelegram) -> None:
    retried, control = update(700001, 9001, "làm căn cước cần gì"), update(700002, 9002, "làm căn cước cần gì")
    threads = [threading.Thread(target=post_webhook, args=(cluster, retried)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert post_webhook(cluster, control) == 200
    wait_until(lambda: telegram.sent_to(9001) and telegram.sent_to(9002), 30, "Telegram answers")
    assert post_webhook(cluster, retried) == 200  # a late retry, after the answer
    time.sleep(2)
    served = routed(cluster, "nginx_gateway", "POST", "/webhooks/telegram", '\\"update_id\\": 700001')
    assert len(set(served)) == 2, f"the copies should have reached both gateways: {served}"
    assert telegram.sent_to(9001) == telegram.sent_to(9002), "a redelivered update was answered twice"
    assert "căn cước" in "\n".join(telegram.sent_to(9001))
    assert cluster.sql("SELECT count(*) FROM gateway_seen WHERE message_id IN ('700001', '700002')") == [(2,)]
    assert cluster.sql("SELECT count(*) FROM gateway_outbox") == [(0,)]


def test_state_store_on_postgresql_dedupes_and_hands_over_across_replicas(cluster: Cluster) -> None:
    from connectors.state import LEASE_S, ChannelState

    one, two = ChannelState(cluster.db_url, owner="replica-one"), ChannelState(cluster.db_url, owner="replica-two")
    try:
        winners: list[Any] = []

        def race(store: ChannelState, message_id: str) -> None:
            winners.append(store.accept("scaled-test", "u1", message_id, "text", "chào", ttl_s=60))

        threads = [threading.Thread(target=race, args=(store, f"m{n}")) for n in range(20) for store in (one, two)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        accepted = [job for job in winners if job is not None]
        assert sorted(job.message_id for job in accepted) == sorted(f"m{n}" for n in range(20))
        # Replica one stops (no lease renewal); two adopts its messages only once the lease ran out.
        owned_by_one = {job.id for job in accepted} & {j.id for j in one.pending({"scaled-test"})}
        assert owned_by_one and not two.adopt({"scaled-test"})
        later = time.time() + LEASE_S + 1
        adopted = {job.id for job in two.adopt({"scaled-test"}, now=later)}
        assert owned_by_one <= adopted
        # What two adopted has a fresh lease: one cannot take it back (it takes two's own, stale).
        assert not {job.id for job in one.adopt({"scaled-test"}, now=later)} & adopted
        one.put("scaled:k", {"a": 1})
        assert two.get("scaled:k") == {"a": 1}
    finally:
        cluster.sql("DELETE FROM gateway_outbox WHERE channel = 'scaled-test'")
        cluster.sql("DELETE FROM gateway_seen WHERE channel = 'scaled-test'")
        cluster.sql("DELETE FROM gateway_kv WHERE key = 'scaled:k'")
        one.close()
        two.close()


# --- throughput of the whole set-up ----------------------------------------------------------


def test_benchmark_of_the_scaled_setup(cluster: Cluster) -> None:
    run = load(cluster.url, seconds=20, concurrency=CONCURRENCY)
    summary = run.summary()
    served = Counter(
        rasa_upstreams(cluster).get(row["upstream"], row["upstream"])
        for row in cluster.access_log()
        if row["port"] == str(cluster.ports["nginx_rasa"]) and row["uri"].startswith("/webhooks/rest/webhook")
    )
    NUMBERS["benchmark, 2 gateways + 2 Rasa + 2 action servers"] = {**summary, "concurrency": CONCURRENCY,
                                                                     "rasa_messages_by_replica": dict(served)}  # fmt: skip
    assert summary["errors"] == 0 and summary["hotline_fallback"] == 0, summary
    assert all(t.in_context for t in run.turns), [t.text for t in run.turns if not t.in_context]
    assert min(served["rasa-1"], served["rasa-2"]) > 0.3 * sum(served.values()), served


# --- (b) kill -9 of a Rasa replica under load ------------------------------------------------


def test_killing_a_rasa_replica_under_load_loses_no_conversation(cluster: Cluster) -> None:
    waiting = Run()  # conversations with a first turn before the kill, a follow-up after it
    early = [converse(cluster.url, turns[:1], waiting) for turns in CONVERSATIONS]
    run = Run()
    loader = threading.Thread(target=load, args=(cluster.url, 15, CONCURRENCY, run))
    loader.start()
    time.sleep(4)
    killed_at = time.monotonic()
    cluster.procs["rasa-1"].kill9()
    loader.join()
    for who, turns in zip(early, CONVERSATIONS):
        converse(cluster.url, turns[1:2], waiting, sender=who)

    summary = run.summary()
    after_kill = [t for t in run.turns if t.at > killed_at]
    retried = [row for row in cluster.access_log() if row["port"] == str(cluster.ports["nginx_rasa"]) and ", " in row["upstream"]]
    # Conversations whose first question was answered: every later real answer is in context.
    lost_context = [
        (t.sender, t.text, (t.body or {}).get("procedure"))
        for turns in by_conversation(run).values() if turns[0].answered
        for t in turns if t.answered and not t.in_context
    ]  # fmt: skip
    twice = duplicates(cluster, run)
    NUMBERS["kill -9 of rasa-1 under load (b)"] = {
        **summary, "messages_after_kill": len(after_kill), "hotline_after_kill": sum(t.hotline for t in after_kill),
        "nginx_retries_on_the_other_replica": len(retried), "answered_twice": len(twice),
        "context_lost": len(lost_context),
    }  # fmt: skip
    assert summary["errors"] == 0, [(t.status, t.text) for t in run.turns if not t.ok]
    assert summary["hotline_fallback"] <= 2 * CONCURRENCY, summary  # only messages in flight on rasa-1
    assert not lost_context, lost_context
    assert not twice, twice
    assert all(t.in_context for t in waiting.turns), [(t.text, t.body) for t in waiting.turns if not t.in_context]


# --- (c) kill -9 of PostgreSQL under load, restarted a few seconds later -------------------------


def test_killing_postgresql_under_load_then_it_recovers_by_itself(cluster: Cluster, telegram: FakeTelegram) -> None:
    run = Run()
    loader = threading.Thread(target=load, args=(cluster.url, 20, CONCURRENCY, run))
    loader.start()
    time.sleep(3)
    killed_at = time.monotonic()
    cluster.procs["postgres"].kill9()
    # A Telegram message during the outage: accepted by a gateway whose state is in PostgreSQL.
    outage_update = post_webhook(cluster, update(700010, 9010, "làm hộ chiếu cần mang gì"))
    time.sleep(5)
    restarted_at = time.monotonic()
    cluster.start_postgres()
    cluster.wait_postgres()
    ready_at = time.monotonic()
    loader.join()

    # After the load: new conversations are answered normally, nothing was restarted but PostgreSQL.
    probe = Run()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        probe = Run()
        converse(cluster.url, CONVERSATIONS[0][:2], probe)
        if all(t.in_context for t in probe.turns):
            break
        time.sleep(1)
    summary = run.summary()
    during = [t for t in run.turns if killed_at <= t.at <= ready_at]
    bad_after = [t.at for turns in by_conversation(run).values() if turns[0].at - turns[0].ms / 1000 > ready_at
                 for t in turns if not t.in_context]  # fmt: skip
    recovery_s = round(max(bad_after) - ready_at, 1) if bad_after else 0.0
    first_normal = min((t.at for t in run.turns if t.index > 0 and t.in_context and t.at - t.ms / 1000 > ready_at), default=None)
    twice = duplicates(cluster, run)
    # Held by the gateway while PostgreSQL was down (the hotline notice), answered once it is back.
    with contextlib.suppress(RuntimeError):
        wait_until(lambda: any("hộ chiếu" in text for text in telegram.sent_to(9010)), 60, "Telegram answer")
    NUMBERS["kill -9 of PostgreSQL under load, restarted after 5 s (c)"] = {
        **summary, "outage_s": round(ready_at - killed_at, 1), "messages_during_outage": len(during),
        "answered_during_outage": sum(t.answered for t in during), "hotline_during_outage": sum(t.hotline for t in during),
        "first_questions_answered_during_outage": sum(t.answered and t.index == 0 for t in during),
        "follow_ups_that_lost_context_during_outage": sum(t.answered and t.index > 0 and "thủ tục nào" in t.text_out
                                                          for t in during),
        "postgres_restart_to_ready_s": round(ready_at - restarted_at, 1),
        "first_follow_up_in_context_s_after_ready": round(first_normal - ready_at, 1) if first_normal else None,
        "last_wrong_answer_s_after_ready": recovery_s, "answered_twice": len(twice),
        "telegram_during_outage": {"webhook_status": outage_update, "messages_sent": len(telegram.sent_to(9010)),
                                   "hotline_notice": any("hệ thống đang bận" in t for t in telegram.sent_to(9010))},
    }  # fmt: skip
    assert summary["errors"] == 0, [(t.status, t.text) for t in run.turns if not t.ok]
    assert all(t.ok for t in run.turns)  # a real answer or the hotline, never an error
    assert not twice, twice
    assert all(t.in_context for t in probe.turns), [(t.text, t.body) for t in probe.turns]
    assert recovery_s < 30, recovery_s
    assert cluster.procs["rasa-2"].alive and cluster.procs["gateway-1"].alive and cluster.procs["gateway-2"].alive
    answers = telegram.sent_to(9010)
    assert "hộ chiếu" in "\n".join(answers) and max(Counter(answers).values()) == 1, answers
