"""Issue 15: an officer's message is queued once however often the request comes (a client's
retry after a timeout, a double click): ``Idempotency-Key`` on answers and replies, and one
closing message per handoff."""

from __future__ import annotations

import threading

import pytest
from conftest import ADMIN_TOKEN, Gateway, MakeGateway, Served

from connectors import messages
from tthc.records import RecordStore


@pytest.fixture
def admin_gateway(make_gateway: MakeGateway, rasa: Served, actions: Served) -> Gateway:
    return make_gateway(rasa.url, actions.url, admin_token=ADMIN_TOKEN)


def test_a_ticket_answer_sent_again_with_its_key_is_queued_once(admin_gateway: Gateway, records: RecordStore) -> None:
    ticket = records.create_ticket("api:w1", "web", "Phường Hải Châu", "Hướng dẫn chưa rõ", None)
    body = {"answer": "Đã chấn chỉnh.", "officer": "canbo1"}
    for _ in range(3):
        answered = admin_gateway.admin(
            "POST", f"/tickets/{ticket.code}/answer", json=body, headers={"Idempotency-Key": "ans-1"}
        )
        assert answered.status_code == 200 and answered.json()["ticket"]["status"] == "answered"
    assert admin_gateway.inbox("w1") == [{"text": f"Trả lời phản ánh {ticket.code}: Đã chấn chỉnh."}]
    # Without a key, or with a new one, it is a new answer, as before.
    admin_gateway.admin("POST", f"/tickets/{ticket.code}/answer", json={**body, "answer": "Bổ sung."})
    assert admin_gateway.inbox("w1") == [{"text": f"Trả lời phản ánh {ticket.code}: Bổ sung."}]


def test_handoff_replies_and_the_closing_message_are_queued_once(admin_gateway: Gateway, records: RecordStore) -> None:
    handoff = records.open_handoff("api:w2", "web")
    reply = {"text": "Chào bạn, tôi là cán bộ tiếp dân.", "officer": "canbo1"}
    statuses = []

    def send() -> None:
        response = admin_gateway.admin(
            "POST", f"/handoffs/{handoff}/reply", json=reply, headers={"Idempotency-Key": "r-7"}
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=send) for _ in range(4)]  # a double click, and more
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 4
    texts = [m["text"] for m in records.undelivered("api:w2")]
    assert texts == [messages.OFFICER_REPLY.format(text=reply["text"])]
    assert admin_gateway.admin("POST", f"/handoffs/{handoff}/close", json={"officer": "canbo1"}).status_code == 200
    closing = [m["text"] for m in records.undelivered("api:w2")].count(messages.HANDOFF_CLOSED)
    assert closing == 1
