"""GET /health probes the (fake) Rasa server and action server."""

from __future__ import annotations

from conftest import Gateway, MakeGateway, Served


def test_health_ok_when_both_answer(gateway: Gateway, actions: Served) -> None:
    response = gateway.client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "rasa": "ok", "actions": "ok"}
    assert actions.fake.health_requests == 1


def test_health_degraded_when_actions_fail(gateway: Gateway, actions: Served) -> None:
    actions.fake.healthy = False
    response = gateway.client.get("/health")
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "rasa": "ok", "actions": "down"}


def test_health_degraded_when_actions_stopped(gateway: Gateway, actions: Served) -> None:
    actions.stop()
    response = gateway.client.get("/health")
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "rasa": "ok", "actions": "down"}


def test_health_degraded_when_rasa_stopped(gateway: Gateway, rasa: Served) -> None:
    rasa.stop()
    response = gateway.client.get("/health")
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "rasa": "down", "actions": "ok"}


def test_health_degraded_when_both_down(make_gateway: MakeGateway) -> None:
    gateway = make_gateway("http://127.0.0.1:9", "http://127.0.0.1:9")
    response = gateway.client.get("/health")
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "rasa": "down", "actions": "down"}
