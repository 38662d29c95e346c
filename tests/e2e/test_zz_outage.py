"""Parts of the stack go down: the citizen still gets an answer and the hotline (runs last)."""

from __future__ import annotations

import json

from tests.e2e.conftest import Client, reply_text
from trolyao.stack import Stack


def test_action_server_down_still_gives_the_hotline(stack: Stack, client: Client) -> None:
    stack.kill("actions")
    status, body = client.get("/health")
    health = json.loads(body)
    assert status == 503 and (health["status"], health["actions"]) == ("degraded", "down"), body
    answer = client.chat("làm căn cước cần gì", "e2e-outage")
    assert "1022" in reply_text(answer)
    assert any(b.get("phone") for r in answer["replies"] for b in r.get("buttons") or [])


def test_rasa_down_still_gives_the_hotline(stack: Stack, client: Client) -> None:
    for name in stack.rasa_names:
        stack.kill(name)
    status, body = client.get("/health")
    health = json.loads(body)
    assert status == 503 and (health["status"], health["rasa"]) == ("degraded", "down"), body
    assert set(health.get("rasa_processes", ["down"])) == {"down"}, body
    answer = client.chat("xin chào", "e2e-outage-2")
    assert "1022" in reply_text(answer)
