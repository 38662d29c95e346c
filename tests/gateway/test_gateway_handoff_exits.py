"""Issue 13, "honest handoff", in the gateway: the citizen ends a handoff with "kết thúc"/"hủy"
(closed at once, officers told, the bot back); a clearly different question is answered by
the bot as well; Rasa learns whether the officers' group can be reached; officers answer,
close and go on duty from the console (with CSRF, like every console form)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import Gateway, MakeGateway, Served, officer_settings, telegram_settings, wait_ready
from gateway_fakes import ScriptedTurn
from test_console import PASSWORD, csrf_of, login
from test_console_phone import fits_the_phone, phone, shoot
from test_gateway_browser import browser  # noqa: F401  (the fixture)
from test_gateway_dialogue import FORWARDED, officer_texts, opens_handoff, rows

from connectors import messages
from connectors.conversation import OFFICERS_ONLINE
from tthc.records import RecordStore
from tthc.records.accounts import Accounts
from tthc.records.schema import handoffs


@pytest.fixture
def staffed(
    make_gateway: MakeGateway, rasa: Served, actions: Served, telegram_api: Served, records: RecordStore
) -> Gateway:
    """A gateway with Telegram and the officers' group: a handoff reaches officers now."""
    rasa.fake.script["cho tôi gặp cán bộ"] = ScriptedTurn(
        [{"text": "Mình đã chuyển cuộc trò chuyện tới cán bộ."}], "human_handoff", side_effect=opens_handoff(records)
    )
    gateway = make_gateway(rasa.url, actions.url, **telegram_settings(telegram_api), **officer_settings())
    wait_ready(gateway, "telegram")
    return gateway


@pytest.mark.parametrize("word", ["kết thúc", "hủy", "Thôi ạ"])
def test_the_citizen_ends_the_handoff_and_gets_the_bot_back(
    staffed: Gateway, rasa: Served, telegram_api: Served, records: RecordStore, word: str
) -> None:
    staffed.chat("cho tôi gặp cán bộ", sender_id="w1")
    [handoff] = rows(records, handoffs)
    assert staffed.chat("không", sender_id="w1").json()["replies"] == [FORWARDED]  # "không" may answer the officer
    before = rows(records, handoffs)[0]["last_activity"]
    ended = staffed.chat(word, sender_id="w1").json()
    assert ended["replies"] == [{"text": messages.HANDOFF_ENDED}]
    [closed] = rows(records, handoffs)
    assert closed["closed_by"] == "citizen" and closed["last_activity"] == before  # the timeout was not pushed
    telegram_api.fake.wait_for(lambda _: any("↩️" in t for t in officer_texts(telegram_api)), what="officers told")
    late = staffed.admin("POST", f"/handoffs/{handoff['id']}/reply", json={"text": "x", "officer": "lan"})
    assert late.status_code == 409
    back = staffed.chat("lệ phí khai sinh", sender_id="w1").json()
    assert back["replies"] == [{"text": "Bạn hỏi: lệ phí khai sinh"}]
    assert rasa.fake.texts() == ["cho tôi gặp cán bộ", "lệ phí khai sinh"]


def test_a_clearly_different_question_during_a_handoff_is_answered_and_relayed(
    staffed: Gateway, rasa: Served, telegram_api: Served, records: RecordStore
) -> None:
    question = "lệ phí làm hộ chiếu bao nhiêu"
    rasa.fake.parses[question] = ("ask_fee", 0.97)
    rasa.fake.parses["vâng"] = ("affirm", 0.99)
    rasa.fake.script[question] = ScriptedTurn([{"text": "💰 Lệ phí hộ chiếu: 200.000 đồng"}], "ask_fee", "ho-chieu")
    staffed.chat("cho tôi gặp cán bộ", sender_id="w2")
    answered = staffed.chat(question, sender_id="w2").json()
    assert [r["text"] for r in answered["replies"]] == [
        messages.HANDOFF_BOT_ANSWERS,
        "💰 Lệ phí hộ chiếu: 200.000 đồng",
    ]
    assert answered["intent"] == "ask_fee" and answered["procedure"] == "ho-chieu"
    telegram_api.fake.wait_for(lambda _: any(question in t for t in officer_texts(telegram_api)), what="relay")
    assert staffed.chat("vâng", sender_id="w2").json()["replies"] == [FORWARDED]  # an answer to the officer
    assert rasa.fake.texts() == ["cho tôi gặp cán bộ", question]
    assert rows(records, handoffs)[0]["closed_at"] is None  # the officer still has the conversation


def test_rasa_learns_whether_the_officers_group_can_be_reached(
    staffed: Gateway, make_gateway: MakeGateway, rasa: Served, actions: Served
) -> None:
    staffed.chat("xin chào", sender_id="w3")
    assert rasa.fake.received[-1]["metadata"][OFFICERS_ONLINE] is True
    plain = make_gateway(rasa.url, actions.url, **officer_settings())  # a group, but no Telegram channel
    plain.chat("xin chào", sender_id="w4")
    assert OFFICERS_ONLINE not in rasa.fake.received[-1]["metadata"]


# --- the console ------------------------------------------------------------------------------


def test_officers_go_on_duty_reply_and_close_from_the_console(gateway: Gateway, records: RecordStore) -> None:
    Accounts(records).add("Lan", "editor", PASSWORD)
    listed = login(gateway, "Lan") and gateway.client.get("/admin/handoffs")
    assert "chưa có ai" in listed.text and 'http-equiv="refresh"' in listed.text
    on = gateway.client.post(
        "/admin/handoffs/duty", data={"csrf": csrf_of(listed.text), "on": "1"}, follow_redirects=True
    )
    assert on.status_code == 200 and records.on_duty() == ["Lan"] and "Ngừng trực" in on.text

    handoff_id = records.open_handoff("api:w5", "web")
    records.log_turn("api:w5", "web", "cho tôi gặp cán bộ", "human_handoff", 0.99, None, "service")
    page = gateway.client.get("/admin/handoffs")
    assert f"/admin/handoffs/{handoff_id}" in page.text
    detail = gateway.client.get(f"/admin/handoffs/{handoff_id}")
    assert "cho tôi gặp cán bộ" in detail.text and 'name="text"' in detail.text and "Kết thúc hội thoại" in detail.text

    sent = gateway.client.post(
        f"/admin/handoffs/{handoff_id}/reply",
        data={"csrf": csrf_of(detail.text), "text": "Chào bạn, cán bộ Lan đây."},
        follow_redirects=True,
    )
    assert sent.status_code == 200 and "Đã gửi" in sent.text and "Chào bạn, cán bộ Lan đây." in sent.text
    assert gateway.inbox("w5") == [{"text": "Cán bộ trả lời: Chào bạn, cán bộ Lan đây."}]
    refused = gateway.client.post(f"/admin/handoffs/{handoff_id}/reply", data={"text": "không có mã"})
    assert refused.status_code == 403

    closed = gateway.client.post(
        f"/admin/handoffs/{handoff_id}/close", data={"csrf": csrf_of(sent.text)}, follow_redirects=True
    )
    assert closed.status_code == 200 and f"Đã kết thúc hội thoại #{handoff_id}" in closed.text
    assert gateway.inbox("w5") == [{"text": messages.HANDOFF_CLOSED}]
    assert rows(records, handoffs)[0]["closed_by"] == "Lan"
    after = gateway.client.get(f"/admin/handoffs/{handoff_id}")
    assert "Đã kết thúc" in after.text and 'name="text"' not in after.text
    again = gateway.client.post(f"/admin/handoffs/{handoff_id}/close", data={"csrf": csrf_of(after.text)})
    assert again.status_code == 409

    gateway.client.post("/admin/logout", data={"csrf": csrf_of(after.text)})
    assert records.on_duty() == []  # logging out ends the duty


def test_a_viewer_sees_handoffs_but_cannot_answer(gateway: Gateway, records: RecordStore) -> None:
    Accounts(records).add("Xem", "viewer", PASSWORD)
    handoff_id = records.open_handoff("api:w6", "web")
    detail = login(gateway, "Xem") and gateway.client.get(f"/admin/handoffs/{handoff_id}")
    assert detail.status_code == 200 and 'name="text"' not in detail.text
    assert not re.search(r'action="/admin/handoffs/duty"', gateway.client.get("/admin/handoffs").text)
    refused = gateway.client.post(
        f"/admin/handoffs/{handoff_id}/reply", data={"csrf": csrf_of(detail.text), "text": "x"}
    )
    assert refused.status_code == 403 and records.undelivered("api:w6") == []


def test_the_handoff_pages_fit_a_phone(browser: Any, gateway: Gateway, records: RecordStore) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    Accounts(records).add("Nguyễn Thị Lan", "editor", PASSWORD)
    handoff_id = records.open_handoff("api:w7", "web")
    records.log_turn(
        "api:w7", "web", "cho tôi gặp cán bộ, hồ sơ đất của tôi nộp 3 tháng chưa có", None, None, None, "handoff"
    )
    wait = WebDriverWait(browser, 10)
    phone(browser)
    browser.get(gateway.server.url + "/admin/handoffs")
    wait.until(ready.presence_of_element_located((By.NAME, "name"))).send_keys("Nguyễn Thị Lan")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()
    wait.until(ready.presence_of_element_located((By.ID, "stats")))
    browser.get(gateway.server.url + "/admin/handoffs")
    browser.find_element(By.CSS_SELECTOR, "#duty button").click()  # "Tôi trực trả lời người dân"
    wait.until(ready.text_to_be_present_in_element((By.ID, "duty"), "Ngừng trực"))
    assert fits_the_phone(browser)
    shoot(browser, "console-handoffs-phone")
    browser.get(f"{gateway.server.url}/admin/handoffs/{handoff_id}")
    browser.find_element(By.NAME, "text").send_keys("Chào bạn, hồ sơ của bạn đang được thẩm định.")
    browser.find_element(By.CSS_SELECTOR, f'form[action="/admin/handoffs/{handoff_id}/reply"] button').click()
    wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, "ol.messages li.officer")))
    assert fits_the_phone(browser)
    shoot(browser, "console-handoff-phone")
    assert gateway.inbox("w7") == [{"text": "Cán bộ trả lời: Chào bạn, hồ sơ của bạn đang được thẩm định."}]
