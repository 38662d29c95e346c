"""Several Rasa processes behind one gateway (RASA_URL lists them): spread, order, failover."""

from __future__ import annotations

import asyncio

import httpx
from conftest import MakeGateway, Served, ServerThread
from gateway_fakes import FakeRasa, ScriptedTurn

from connectors.rasa_client import RasaClient, RasaRefused, Replicas, split_urls

A, B = "http://127.0.0.1:1", "http://127.0.0.1:2"


def test_split_urls_accepts_a_comma_separated_list() -> None:
    assert split_urls(" http://a:5005/, http://b:5006 ,") == ["http://a:5005", "http://b:5006"]
    assert split_urls(["http://a:5005"]) == ["http://a:5005"]


def test_a_sender_with_a_message_in_flight_stays_on_that_process() -> None:
    replicas = Replicas([A, B])
    first = replicas.order_for("citizen")[0]
    replicas.begin(first, "citizen")
    # Another sender now prefers the idle process...
    assert replicas.order_for("someone-else")[0] != first
    # ...but the same sender's next message queues behind its first one, in order.
    assert replicas.order_for("citizen")[0] == first
    replicas.end(first, "citizen")
    assert replicas.busy == {A: 0, B: 0}


def test_an_idle_sender_goes_to_the_least_busy_process() -> None:
    replicas = Replicas([A, B])
    replicas.begin(A, "x")
    replicas.begin(A, "y")
    replicas.begin(B, "z")
    assert all(replicas.order_for(f"new-{n}")[0] == B for n in range(20))
    assert all(set(replicas.order_for(f"new-{n}")) == {A, B} for n in range(20))


def _two_rasas(servers: list[ServerThread]) -> list[tuple[FakeRasa, ServerThread]]:
    pairs = []
    for _ in range(2):
        fake = FakeRasa(script={"lệ phí": ScriptedTurn([{"text": "50.000 đồng"}], "ask_fee")})
        server = ServerThread(fake.app()).start()
        servers.append(server)
        pairs.append((fake, server))
    return pairs


def test_messages_are_spread_over_both_processes(
    make_gateway: MakeGateway, servers: list[ServerThread], actions: Served
) -> None:
    (one, one_server), (two, two_server) = _two_rasas(servers)
    gateway = make_gateway(f"{one_server.url},{two_server.url}", actions.url)
    for n in range(12):
        assert gateway.chat("lệ phí", sender_id=f"spread-{n}").status_code == 200
    assert one.received and two.received
    assert len(one.received) + len(two.received) == 12
    # The understanding is read from the process that answered.
    assert len(one.tracker_requests) == len(one.received)


def test_a_stopped_process_hands_its_senders_to_the_other(
    make_gateway: MakeGateway, servers: list[ServerThread], actions: Served
) -> None:
    (one, one_server), (two, two_server) = _two_rasas(servers)
    gateway = make_gateway(f"{one_server.url},{two_server.url}", actions.url)
    one_server.stop()
    for n in range(6):
        response = gateway.chat("lệ phí", sender_id=f"failover-{n}")
        assert response.status_code == 200
        assert "50.000 đồng" in response.text
    assert len(two.received) == 6 and not one.received
    health = gateway.client.get("/health")
    assert health.status_code == 200
    assert health.json()["rasa"] == "partial"
    assert health.json()["rasa_processes"] == ["down", "ok"]


def test_a_timeout_is_not_sent_to_another_process(servers: list[ServerThread]) -> None:
    """Rasa may have handled a message it was slow to answer: no second answer elsewhere."""
    (slow, slow_server), (other, other_server) = _two_rasas(servers)
    # Both hold the message without answering: the client's timeout ends the call, however loaded.
    slow.hold("lệ phí")
    other.hold("lệ phí")

    sent: list[str] = []  # every message the client sent, recorded before it is sent

    async def record(request: httpx.Request) -> None:
        if request.url.path == "/webhooks/rest/webhook":
            sent.append(f"{request.url.host}:{request.url.port}")

    async def run() -> Exception | None:
        async with httpx.AsyncClient(trust_env=False, event_hooks={"request": [record]}) as http:
            client = RasaClient(http, [slow_server.url, other_server.url], timeout_s=0.3)
            try:
                await client.send("timeout-sender", "lệ phí", {})
            except Exception as exc:  # noqa: BLE001 - the test inspects it
                return exc
        return None

    try:
        error = asyncio.run(run())
        assert error is not None and not isinstance(error, RasaRefused)
        assert len(sent) == 1, sent  # the client gave up without trying the other process
        rasa = slow if sent[0].endswith(f":{slow_server.port}") else other
        rasa.wait_received(1)  # and the process it tried did get the message
        assert len(slow.received) + len(other.received) == 1
    finally:
        slow.release_all()
        other.release_all()


def test_a_turn_summary_from_the_action_server_spares_the_tracker_read(
    make_gateway: MakeGateway, rasa: Served, actions: Served
) -> None:
    summary = {"intent": "ask_fee", "confidence": 0.91, "procedure": "khai-sinh", "outcome": "answered",
               "codes": ["1.001193"]}  # fmt: skip
    rasa.fake.script["lệ phí khai sinh"] = ScriptedTurn(
        [{"text": "Miễn lệ phí."}, {"custom": {"trolyao_turn": summary}}], "ask_fee"
    )
    gateway = make_gateway(rasa.url, actions.url)
    body = gateway.chat("lệ phí khai sinh", sender_id="summary-1").json()
    assert body["replies"] == [{"text": "Miễn lệ phí."}]  # the summary is not shown
    assert (body["intent"], body["procedure"], body["codes"]) == ("ask_fee", "khai-sinh", ["1.001193"])
    assert rasa.fake.tracker_requests == []
    # A turn answered by a template alone has no summary: the tracker is read as before.
    gateway.chat("xin chào", sender_id="summary-1")
    assert [sender for sender, _ in rasa.fake.tracker_requests] == ["api:summary-1"]
