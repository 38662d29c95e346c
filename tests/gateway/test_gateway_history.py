"""The web chat's history and ratings, through the real gateway against the fake Rasa (issue 13,
"the web chat"): a reload shows the conversation again, kept per sender for a limited time,
with phone and ID numbers masked; the citizen clears it; a changed rating counts once."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import TEST_HOTLINE_NUMBER, Gateway, MakeGateway, Served
from gateway_fakes import ScriptedTurn

from connectors import chat, messages
from connectors.history import WebHistory
from connectors.replies import Button, Reply
from connectors.settings import Settings, SettingsError
from connectors.state import ChannelState
from tthc.records import RecordStore
from tthc.records.schema import ratings

PAGE = Path(__file__).resolve().parents[2] / "connectors" / "static"
SENDER = "0f3c2a9e-5b1d-4c7e-9a8b-1d2e3f4a5b6c"  # what the page keeps in localStorage
PHONE, CCCD = "0905 123 456", "001203004567"


def history(gateway: Gateway, sender_id: str = SENDER) -> list[dict[str, Any]]:
    response = gateway.client.get("/api/history", params={"sender_id": sender_id})
    assert response.status_code == 200, response.text
    return response.json()["messages"]


def shown(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(item["who"], item.get("text", "")) for item in items]


def rating_rows(records: RecordStore) -> list[tuple[str, bool]]:
    with records.engine.connect() as db:
        query = sa.select(ratings.c.procedure, ratings.c.useful).order_by(ratings.c.id)
        return [(r.procedure, r.useful) for r in db.execute(query)]


def test_a_reload_shows_the_conversation_with_the_citizens_numbers_masked(gateway: Gateway, rasa: Served) -> None:
    asked = f"tôi muốn phản ánh, số điện thoại {PHONE}, căn cước {CCCD}"
    rasa.fake.script[asked] = ScriptedTurn(
        [
            {
                # The bot says the citizen's number back, and a public number and a code of its own.
                "text": f"Đã ghi nhận phản ánh PA7K3M9Q, cán bộ sẽ gọi số 0905123456. "
                f"Tổng đài: {TEST_HOTLINE_NUMBER}, 0236.383.1022. Mã thủ tục 1.001699.000.00.00.H17.",
                "buttons": [{"title": "Gọi tổng đài", "payload": "tel:0236.1022"}],
            }
        ],
        "give_feedback",
    )
    assert gateway.chat(asked, sender_id=SENDER).status_code == 200
    items = history(gateway)
    assert [item["who"] for item in items] == ["user", "bot"]
    user, bot = items[0]["text"], items[1]["text"]
    assert user == "tôi muốn phản ánh, số điện thoại **** *** 456, căn cước *********567"
    assert "0905" not in bot and "*******456" in bot  # the citizen's number, said back
    assert "PA7K3M9Q" in bot and "0236.383.1022" in bot and "1.001699.000.00.00.H17" in bot
    assert items[1]["buttons"] == [{"title": "Gọi tổng đài", "phone": "02361022"}]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", items[0]["at"])
    # Nothing unmasked is stored either.
    state = ChannelState(gateway.settings.state_db)
    with state.engine.connect() as db:
        stored = " ".join(row[0] for row in db.execute(sa.text("SELECT body FROM web_history")))
    assert "0905" not in stored and "001203" not in stored and "123 456" not in stored
    state.close()


def test_a_pressed_button_shows_by_its_title_and_short_ids_have_no_history(gateway: Gateway, rasa: Served) -> None:
    rasa.fake.script["làm khai sinh cần gì"] = ScriptedTurn(
        [{"text": "Hồ sơ gồm tờ khai.", "buttons": [{"title": "Lệ phí", "payload": "/ask_fee"}]}],
        "ask_documents",
        "khai-sinh",
    )
    gateway.chat("làm khai sinh cần gì", sender_id=SENDER)
    gateway.chat("/ask_fee", sender_id=SENDER)
    assert shown(history(gateway)) == [
        ("user", "làm khai sinh cần gì"),
        ("bot", "Hồ sơ gồm tờ khai."),
        ("user", "Lệ phí"),
        ("bot", "Bạn hỏi: /ask_fee"),
    ]
    # An id an API client picked ("u1") is easily guessed: nothing is kept for it.
    gateway.chat("làm khai sinh cần gì", sender_id="u1")
    assert history(gateway, "u1") == []
    assert gateway.client.get("/api/history", params={"sender_id": ""}).status_code == 422


def test_officers_messages_are_kept_and_clearing_forgets_everything(
    gateway: Gateway, rasa: Served, records: RecordStore
) -> None:
    gateway.chat("chào", sender_id=SENDER)
    records.queue_for_citizen(f"api:{SENDER}", "web", "Cán bộ trả lời: hồ sơ PA7K3M9Q đã xong.")
    assert gateway.inbox(SENDER) == [{"text": "Cán bộ trả lời: hồ sơ PA7K3M9Q đã xong."}]
    assert shown(history(gateway)) == [
        ("user", "chào"),
        ("bot", "Bạn hỏi: chào"),
        ("officer", "Cán bộ trả lời: hồ sơ PA7K3M9Q đã xong."),
    ]
    other = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
    gateway.chat("xin chào", sender_id=other)
    response = gateway.client.delete("/api/history", params={"sender_id": SENDER})
    assert response.status_code == 200 and response.json() == {"cleared": True}
    assert history(gateway) == []
    assert shown(history(gateway, other)) == [("user", "xin chào"), ("bot", "Bạn hỏi: xin chào")]
    body = gateway.client.get("/api/history", params={"sender_id": other}).json()
    assert body["keep_hours"] == 24


def test_a_changed_rating_replaces_the_first_and_counts_once(
    gateway: Gateway, rasa: Served, records: RecordStore
) -> None:
    rate = {"title": "👍 Hữu ích", "payload": "#rating:up"}, {"title": "👎 Chưa hữu ích", "payload": "#rating:down"}
    rasa.fake.script["làm khai sinh cần gì"] = ScriptedTurn(
        [{"text": "Hồ sơ gồm tờ khai."}, {"text": "Câu trả lời có hữu ích với bạn không?", "buttons": list(rate)}],
        "ask_documents",
        "khai-sinh",
    )
    gateway.chat("làm khai sinh cần gì", sender_id=SENDER)
    first = gateway.chat("#rating:up", sender_id=SENDER).json()
    again = gateway.chat("#rating:up", sender_id=SENDER).json()
    changed = gateway.chat("#rating:down", sender_id=SENDER).json()
    assert first["replies"] == again["replies"] == [{"text": messages.RATING_THANKS}]
    assert changed["replies"] == [{"text": messages.RATING_CHANGED}]
    assert rating_rows(records) == [("khai-sinh", False)]
    summary = records.ratings_summary()
    assert (summary["total"], summary["useful"], summary["not_useful"]) == (1, 0, 1)
    items = history(gateway)
    assert [item.get("rated") for item in items] == [None, None, "down"]  # the ratings are no messages
    # A later answer is another answer: its rating counts on its own.
    gateway.chat("làm khai sinh cần gì", sender_id=SENDER)
    gateway.chat("#rating:up", sender_id=SENDER)
    assert rating_rows(records) == [("khai-sinh", False), ("khai-sinh", True)]
    assert [item.get("rated") for item in history(gateway)] == [None, None, "down", None, None, "up"]
    assert [body["message"] for body in rasa.fake.received] == ["làm khai sinh cần gì"] * 2


def test_ratings_of_one_answer_at_the_same_moment_count_once(records: RecordStore) -> None:
    from concurrent.futures import ThreadPoolExecutor

    records.log_turn("api:x", "web", "lệ phí khai sinh", "ask_fee", 0.9, "khai-sinh", "answered")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: records.add_rating("api:x", "web", i % 2 == 0, "khai-sinh"), range(16)))
    assert len(rating_rows(records)) == 1


def test_history_is_kept_for_a_limited_time(tmp_path: Path) -> None:
    store = ChannelState(tmp_path / "state.sqlite3")
    kept = WebHistory(store, keep_hours=24)
    day = 86_400.0
    start = time.time() - 2 * day
    kept.record_turn("api:s", "câu hỏi cũ", None, [], [Reply(text="trả lời cũ")], now=start)
    kept.record_turn("api:s", "câu hỏi mới", None, [], [Reply(text="trả lời mới")], now=start + day + 60)
    assert shown(kept.messages("api:s", now=start + day + 120)) == [("user", "câu hỏi mới"), ("bot", "trả lời mới")]
    # Old rows leave the disk too (pruned on a later write).
    kept.record_turn("api:s", "nữa", None, [], [], now=start + 2 * day + 120)
    assert [row[2] for row in store.history("api:s", 0)] == [{"text": "nữa"}]
    assert WebHistory(store, keep_hours=0).messages("api:s") == []
    store.close()


def test_a_resent_message_is_kept_once_and_numbers_match_in_any_spelling(tmp_path: Path) -> None:
    store = ChannelState(tmp_path / "state.sqlite3")
    kept = WebHistory(store, keep_hours=24)
    answer = [Reply(text="Đặt lịch xong, số liên hệ +84 905 123 456.", buttons=[Button("Hủy lịch", payload="/cancel")])]
    kept.record_turn("api:s", f"sđt {PHONE}", "m-1", [], answer)
    kept.record_turn("api:s", f"sđt {PHONE}", "m-1", [], answer)  # the page's retry, same id
    items = kept.messages("api:s")
    assert shown(items) == [("user", "sđt **** *** 456"), ("bot", "Đặt lịch xong, số liên hệ +** *** *** 456.")]
    assert "cid" not in items[0]
    # A later answer saying the number again is masked too (the number was typed earlier).
    kept.record_turn("api:s", "xem lại", "m-2", [], [Reply(text="Số của bạn: 0905123456")])
    assert kept.messages("api:s")[-1]["text"] == "Số của bạn: *******456"
    store.close()


def test_history_hours_setting() -> None:
    assert Settings.from_env({}).web_history_hours == 24
    assert Settings.from_env({"TROLYAO_WEB_HISTORY_HOURS": "2"}).web_history_hours == 2
    assert Settings.from_env({"TROLYAO_WEB_HISTORY_HOURS": "off"}).web_history_hours == 0
    assert Settings.from_env({"TROLYAO_WEB_HISTORY_HOURS": "0"}).web_history_hours == 0
    with pytest.raises(SettingsError, match="TROLYAO_WEB_HISTORY_HOURS"):
        Settings.from_env({"TROLYAO_WEB_HISTORY_HOURS": "-3"})


def test_history_off_keeps_nothing(make_gateway: MakeGateway, rasa: Served) -> None:
    gateway = make_gateway(rasa.url, web_history_hours=0)
    gateway.chat("chào", sender_id=SENDER)
    body = gateway.client.get("/api/history", params={"sender_id": SENDER}).json()
    assert body == {"messages": [], "keep_hours": 0}


def test_the_page_and_the_server_share_the_limit() -> None:
    html = (PAGE / "index.html").read_text(encoding="utf-8")
    assert f'data-max-chars="{chat.MAX_TEXT_CHARS}"' in html
    assert "maxlength" not in html  # a paste over the limit must not be cut silently
    js = (PAGE / "chat.js").read_text(encoding="utf-8")
    # The page's sentence is the server's.
    assert messages.TEXT_TOO_LONG in js.replace('" +\n      "', "")
    assert "client_message_id" in js and "/api/history" in js


def test_a_failing_history_never_breaks_an_answer(
    gateway: Gateway, rasa: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept: WebHistory = gateway.app.state.history

    def down(*_: Any, **__: Any) -> Any:
        raise ConnectionError("the database system is starting up")

    monkeypatch.setattr(kept, "record_turn", down)
    response = gateway.chat("lệ phí khai sinh", sender_id=SENDER)
    assert response.status_code == 200 and response.json()["replies"] == [{"text": "Bạn hỏi: lệ phí khai sinh"}]
    monkeypatch.setattr(kept, "messages", down)
    refused = gateway.client.get("/api/history", params={"sender_id": SENDER})
    assert refused.status_code == 503 and "error" in refused.json()  # the page then shows no history


def test_the_pages_resend_of_an_answered_message_is_shown_once(gateway: Gateway, rasa: Served) -> None:
    body = {"sender_id": SENDER, "text": "lệ phí khai sinh", "channel": "web", "client_message_id": "m-41"}
    for _ in range(2):  # the first answer was lost on the way back: the page resends with the same id
        assert gateway.client.post("/api/chat", json=body).status_code == 200
    assert [item["who"] for item in history(gateway)] == ["user", "bot"]
