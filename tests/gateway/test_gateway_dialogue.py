"""The conversation layer shared by /api/chat and the channels: ratings that never reach Rasa,
the conversation log (masked), reported intents, and handoff to officers (Telegram group,
admin API replies, close, timeout). Issue 5."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import (
    OFFICERS_CHAT_ID,
    TELEGRAM_SECRET,
    Gateway,
    MakeGateway,
    Served,
    officer_settings,
    telegram_settings,
    wait_ready,
    wait_until,
)
from gateway_fakes import ScriptedTurn

from connectors import messages
from connectors.channels.base import log_tag
from connectors.conversation import outcome_of, with_end_button
from tthc.records import RecordStore
from tthc.records.schema import handoffs, ratings, turns

TG_HEADER = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
FORWARDED = with_end_button(messages.HANDOFF_FORWARDED)[0]  # the acknowledgement, with "kết thúc"


def rows(store: RecordStore, table: sa.Table) -> list[dict[str, Any]]:
    with store.engine.connect() as db:
        return [dict(r) for r in db.execute(sa.select(table).order_by(table.c.id)).mappings()]


def opens_handoff(store: RecordStore) -> Any:
    """What the action server does for "cho tôi gặp cán bộ" during staffed hours."""

    def side_effect(sender: str) -> None:
        store.open_handoff(sender, sender.split(":", 1)[0])

    return side_effect


def officer_texts(telegram_api: Served) -> list[str]:
    return [
        call.params.get("text", "")
        for call in telegram_api.fake.named("sendMessage")
        if str(call.params.get("chat_id")) == OFFICERS_CHAT_ID
    ]


def texts_to(telegram_api: Served, chat_id: int) -> list[str]:
    return [
        call.params.get("text", "")
        for call in telegram_api.fake.named("sendMessage")
        if str(call.params.get("chat_id")) == str(chat_id)
    ]


def tg_update(update_id: int, text: str, chat_id: int = 777) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1718000000,
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Lan"},
            "text": text,
        },
    }


@pytest.fixture
def staffed(
    make_gateway: MakeGateway, rasa: Served, actions: Served, telegram_api: Served, records: RecordStore
) -> Gateway:
    """A gateway with Telegram, the officers' group and the admin API."""
    rasa.fake.script["cho tôi gặp cán bộ"] = ScriptedTurn(
        [{"text": "Mình đã chuyển cuộc trò chuyện tới cán bộ."}],
        "human_handoff",
        side_effect=opens_handoff(records),
    )
    gateway = make_gateway(rasa.url, actions.url, **telegram_settings(telegram_api), **officer_settings())
    wait_ready(gateway, "telegram")
    return gateway


# --- ratings and the log ----------------------------------------------------------------------


def test_rating_is_stored_for_the_last_procedure_and_never_reaches_rasa(
    gateway: Gateway, rasa: Served, records: RecordStore
) -> None:
    rasa.fake.script["làm khai sinh cần gì"] = ScriptedTurn([{"text": "Cần tờ khai."}], "ask_documents", "khai-sinh")
    gateway.chat("làm khai sinh cần gì")
    up = gateway.chat("#rating:up").json()
    down = gateway.chat("#rating:down", sender_id="other").json()
    assert up == {
        "replies": [{"text": messages.RATING_THANKS}],
        "intent": None,
        "procedure": "khai-sinh",
        "codes": [],  # no turn summary gave the codes of khai-sinh in this test
    }
    assert down["replies"] == [{"text": "Cảm ơn bạn đã đánh giá!"}] and down["procedure"] is None
    assert [body["message"] for body in rasa.fake.received] == ["làm khai sinh cần gì"]
    stored = [(r["sender"], r["channel"], r["procedure"], r["useful"]) for r in rows(records, ratings)]
    assert stored == [("api:u1", "web", "khai-sinh", True), ("api:other", "web", None, False)]
    assert len(rows(records, turns)) == 1  # a rating is not a turn of the conversation


def test_turn_is_logged_with_personal_data_masked(gateway: Gateway, rasa: Served, records: RecordStore) -> None:
    text = "tôi muốn phản ánh, số điện thoại 0905 123 456, căn cước 001203004567"
    rasa.fake.script[text] = ScriptedTurn([{"text": "Mời bạn nhập nội dung."}], "give_feedback")
    gateway.chat(text, sender_id="p1")
    [turn] = rows(records, turns)
    assert "0905" not in turn["text"] and "001203" not in turn["text"]
    assert "*** *** 456" in turn["text"] and turn["text"].endswith("*********567")
    assert (turn["sender"], turn["channel"], turn["intent"]) == ("api:p1", "web", "give_feedback")
    assert turn["confidence"] == pytest.approx(0.97)
    assert turn["outcome"] == "service"


def test_outcome_of_each_kind_of_turn(gateway: Gateway, rasa: Served, records: RecordStore) -> None:
    script = {
        "chào": ScriptedTurn([{"text": "Xin chào!"}], "greet"),
        "số tổng đài": ScriptedTurn([{"text": "Gọi 1022."}], "ask_hotline"),
        "giá vàng": ScriptedTurn([{"text": "Mình chỉ hỗ trợ thủ tục."}], "out_of_scope"),
        "ừm": ScriptedTurn([{"text": "Mình chưa hiểu."}], "nlu_fallback"),
        "lệ phí": ScriptedTurn([{"text": "Thủ tục nào?"}], "ask_fee", slots={"outcome": "clarified"}),
        "lệ phí khai sinh": ScriptedTurn([{"text": "Miễn."}], "ask_fee", "khai-sinh", slots={"outcome": "answered"}),
    }
    rasa.fake.script.update(script)
    for text in script:
        gateway.chat(text)
    logged = [(r["text"], r["intent"], r["outcome"]) for r in rows(records, turns)]
    assert logged == [
        ("chào", "greet", "chitchat"),
        ("số tổng đài", "ask_hotline", "service"),
        ("giá vàng", "out_of_scope", "out_of_scope"),
        ("ừm", "nlu_fallback", "fallback"),
        ("lệ phí", "ask_fee", "clarified"),
        ("lệ phí khai sinh", "ask_fee", "answered"),
    ]


def test_outcome_mapping() -> None:
    assert outcome_of("ask_where", None) == "answered"  # an older action server sets no slot
    assert outcome_of("ask_online", "asked") == "asked"
    assert outcome_of("ask_online", "fallback") == "answered"
    assert outcome_of("human_handoff", "answered") == "service"
    assert outcome_of("deny", None) == "chitchat"
    assert outcome_of(None, None) == "unknown"


def test_nlu_fallback_is_reported_as_out_of_scope(gateway: Gateway, rasa: Served) -> None:
    rasa.fake.script["xyz abc"] = ScriptedTurn([{"text": "Mình chưa hiểu."}], "nlu_fallback")
    body = gateway.chat("xyz abc").json()
    assert body["intent"] == "out_of_scope"


def test_a_broken_records_store_never_breaks_an_answer(gateway: Gateway, rasa: Served, records: RecordStore) -> None:
    with records.engine.begin() as db:
        db.execute(sa.text("DROP TABLE turns"))
        db.execute(sa.text("DROP TABLE handoffs"))
    rasa.fake.script["chào"] = ScriptedTurn([{"text": "Xin chào!"}], "greet")
    body = gateway.chat("chào").json()
    assert body == {"replies": [{"text": "Xin chào!"}], "intent": "greet", "procedure": None, "codes": []}
    assert gateway.chat("#rating:up").json()["replies"] == [{"text": messages.RATING_THANKS}]


# --- handoff, web citizen ---------------------------------------------------------------------


def test_web_handoff_relay_officer_reply_and_close(
    staffed: Gateway, rasa: Served, telegram_api: Served, records: RecordStore
) -> None:
    first = staffed.chat("cho tôi gặp cán bộ", sender_id="web1").json()
    assert first["intent"] == "human_handoff"
    telegram_api.fake.wait_for(lambda _: len(officer_texts(telegram_api)) >= 1, what="announcement")
    [handoff] = rows(records, handoffs)
    [announcement] = officer_texts(telegram_api)
    assert f"#{handoff['id']}" in announcement and "Web" in announcement
    assert "cho tôi gặp cán bộ" in announcement
    assert log_tag("api:web1") in announcement and "web1" not in announcement

    # While the officer has the conversation, Rasa hears nothing.
    relayed = staffed.chat("hồ sơ của tôi, số 0905123456, đến đâu rồi", sender_id="web1").json()
    assert relayed["replies"] == [FORWARDED]
    assert relayed["intent"] is None
    assert [body["message"] for body in rasa.fake.received] == ["cho tôi gặp cán bộ"]
    telegram_api.fake.wait_for(lambda _: len(officer_texts(telegram_api)) >= 2, what="relay")
    relay = officer_texts(telegram_api)[1]
    assert "đến đâu rồi" in relay and "0905123456" not in relay and "*******456" in relay
    assert rows(records, turns)[-1]["outcome"] == "handoff"

    listed = staffed.admin("GET", "/handoffs").json()["handoffs"]
    assert [h["id"] for h in listed] == [handoff["id"]]
    assert listed[0]["announced"] is True and listed[0]["channel"] == "Web"
    assert [m["from"] for m in listed[0]["messages"]] == ["citizen", "citizen"]

    reply = staffed.admin(
        "POST",
        f"/handoffs/{handoff['id']}/reply",
        json={"text": "Hồ sơ đã có kết quả.", "officer": "canbo1"},
    )
    assert reply.status_code == 200
    assert staffed.inbox("web1") == [{"text": "Cán bộ trả lời: Hồ sơ đã có kết quả."}]
    assert staffed.inbox("web1") == []  # delivered once
    assert staffed.inbox("someone-else") == []
    messages_now = staffed.admin("GET", "/handoffs").json()["handoffs"][0]["messages"]
    assert messages_now[-1] == {
        "at": messages_now[-1]["at"],
        "from": "officer",
        "text": "Cán bộ trả lời: Hồ sơ đã có kết quả.",
    }

    # An officer's reply not fetched yet comes with the next /api/chat answer.
    staffed.admin(
        "POST",
        f"/handoffs/{handoff['id']}/reply",
        json={"text": "Bạn cần gì thêm?", "officer": "canbo1"},
    )
    again = staffed.chat("cảm ơn cán bộ", sender_id="web1").json()
    assert again["replies"] == [
        {"text": "Cán bộ trả lời: Bạn cần gì thêm?"},
        FORWARDED,
    ]

    closed = staffed.admin("POST", f"/handoffs/{handoff['id']}/close", json={"officer": "canbo1"})
    assert closed.status_code == 200
    assert staffed.inbox("web1") == [{"text": messages.HANDOFF_CLOSED}]
    assert staffed.admin("GET", "/handoffs").json() == {"handoffs": []}
    late = staffed.admin("POST", f"/handoffs/{handoff['id']}/reply", json={"text": "x", "officer": "a"})
    assert late.status_code == 409
    assert staffed.admin("POST", "/handoffs/9999/close").status_code == 404

    # The bot is back.
    back = staffed.chat("lệ phí khai sinh", sender_id="web1").json()
    assert back["replies"] == [{"text": "Bạn hỏi: lệ phí khai sinh"}]
    assert rasa.fake.received[-1]["message"] == "lệ phí khai sinh"
    assert len(officer_texts(telegram_api)) == 3  # announcement and two relays, nothing more
    assert sum("🔔" in text for text in officer_texts(telegram_api)) == 1


def test_handoff_times_out_and_the_bot_resumes(staffed: Gateway, rasa: Served, records: RecordStore) -> None:
    staffed.chat("cho tôi gặp cán bộ", sender_id="web2")
    assert staffed.chat("alo", sender_id="web2").json()["replies"] == [FORWARDED]
    idle_since = dt.datetime.now() - dt.timedelta(minutes=31)  # default timeout: 30 minutes
    with records.engine.begin() as db:
        db.execute(handoffs.update().values(last_activity=idle_since))
    body = staffed.chat("alo", sender_id="web2").json()
    assert body["replies"] == [{"text": "Bạn hỏi: alo"}]
    assert [b["message"] for b in rasa.fake.received] == ["cho tôi gặp cán bộ", "alo"]
    [handoff] = rows(records, handoffs)
    assert handoff["closed_by"] == "timeout"


def test_handoff_without_officers_group_still_pauses_the_bot(
    gateway: Gateway, rasa: Served, records: RecordStore
) -> None:
    rasa.fake.script["gặp cán bộ"] = ScriptedTurn(
        [{"text": "Đã chuyển."}], "human_handoff", side_effect=opens_handoff(records)
    )
    gateway.chat("gặp cán bộ")
    assert gateway.chat("alo").json()["replies"] == [FORWARDED]
    assert len(rasa.fake.received) == 1
    assert rows(records, handoffs)[0]["announced_at"] is None  # nobody to announce to


# --- handoff, Telegram citizen ----------------------------------------------------------------


def test_telegram_citizen_handoff_reply_reaches_the_chat_and_close_resumes(
    staffed: Gateway, rasa: Served, telegram_api: Served, records: RecordStore
) -> None:
    def send(update_id: int, text: str) -> None:
        response = staffed.post("/webhooks/telegram", tg_update(update_id, text), TG_HEADER)
        assert response.status_code == 200

    send(1, "cho tôi gặp cán bộ")
    telegram_api.fake.wait_for(lambda _: len(officer_texts(telegram_api)) >= 1, what="announcement")
    assert "Telegram" in officer_texts(telegram_api)[0]
    [handoff] = rows(records, handoffs)
    assert handoff["sender"] == "tg:777"

    send(2, "tôi cần hỏi về hồ sơ đất đai")
    telegram_api.fake.wait_for(
        lambda _: messages.HANDOFF_FORWARDED in texts_to(telegram_api, 777), what="acknowledgement"
    )
    telegram_api.fake.wait_for(lambda _: len(officer_texts(telegram_api)) >= 2, what="relay")
    assert "hồ sơ đất đai" in officer_texts(telegram_api)[1]
    assert [b["message"] for b in rasa.fake.received] == ["cho tôi gặp cán bộ"]

    staffed.admin(
        "POST",
        f"/handoffs/{handoff['id']}/reply",
        json={"text": "Chào bạn, tôi là cán bộ Lan.", "officer": "lan"},
    )
    telegram_api.fake.wait_for(
        lambda _: "Cán bộ trả lời: Chào bạn, tôi là cán bộ Lan." in texts_to(telegram_api, 777),
        what="officer reply on Telegram",
    )
    wait_until(lambda: records.undelivered() == [], what="outbox marked delivered")

    staffed.admin("POST", f"/handoffs/{handoff['id']}/close", json={"officer": "lan"})
    telegram_api.fake.wait_for(lambda _: messages.HANDOFF_CLOSED in texts_to(telegram_api, 777), what="closing message")
    send(3, "lệ phí khai sinh")
    telegram_api.fake.wait_for(lambda _: "Bạn hỏi: lệ phí khai sinh" in texts_to(telegram_api, 777), what="bot answer")
    assert [b["message"] for b in rasa.fake.received] == ["cho tôi gặp cán bộ", "lệ phí khai sinh"]


def test_telegram_rating_button_is_stored_without_rasa(
    staffed: Gateway, rasa: Served, telegram_api: Served, records: RecordStore
) -> None:
    callback = {
        "update_id": 50,
        "callback_query": {
            "id": "cb50",
            "chat_instance": "ci",
            "from": {"id": 778, "is_bot": False, "first_name": "Lan"},
            "data": "#rating:down",
            "message": {
                "message_id": 5,
                "date": 1718000000,
                "chat": {"id": 778, "type": "private"},
                "text": "Câu trả lời có hữu ích với bạn không?",
            },
        },
    }
    assert staffed.post("/webhooks/telegram", callback, TG_HEADER).status_code == 200
    telegram_api.fake.wait_for(lambda _: messages.RATING_THANKS in texts_to(telegram_api, 778), what="thanks")
    stored = [(r["sender"], r["channel"], r["useful"]) for r in rows(records, ratings)]
    assert stored == [("tg:778", "telegram", False)]
    assert rasa.fake.received == []


def test_without_a_records_store_the_bot_still_answers(make_gateway: MakeGateway, rasa: Served) -> None:
    unreachable = "sqlite:////nonexistent-dir/records.sqlite3"
    gateway = make_gateway(rasa.url, records_db_url=unreachable, admin_token="admin-Token_for-tests-0123456789")
    assert gateway.chat("chào").json()["replies"] == [{"text": "Bạn hỏi: chào"}]
    assert gateway.chat("#rating:up").json()["replies"] == [{"text": messages.RATING_THANKS}]
    assert [b["message"] for b in rasa.fake.received] == ["chào"]
    assert gateway.inbox() == []
    refused = gateway.admin("GET", "/tickets")
    assert refused.status_code == 503 and refused.json() == {"error": messages.RECORDS_UNAVAILABLE}
