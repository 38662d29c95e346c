"""Issue 13 on the real stack: no traps (a form or a handoff is left on "hủy", "thôi", "không",
or a clearly different question, which gets its answer; a value refused twice ends a form; a
bare topic is asked back with buttons) and an honest handoff (a person only when one answers
now; the citizen ends it; officers reply and close from the console)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid

import pytest

from tests.e2e.conftest import Client, officer_on_duty, reply_text
from tests.e2e.test_browser import ask_in_browser, browser_ready  # noqa: F401  (the fixture)
from tests.e2e.test_console_stack import Console
from trolyao.stack import Stack
from tthc import paths

PASSWORD = "mat-khau-truc-2026"
FORM_PROMPTS = ("nội dung phản ánh", "số điện thoại", "liên quan đến cơ quan")
GOODBYE = "Chúc bạn một ngày tốt lành"


def sender() -> str:
    return f"trap-{uuid.uuid4().hex[:10]}"


def buttons(body: dict) -> list[dict]:
    return [b for r in body["replies"] for b in r.get("buttons") or []]


def not_swallowed(body: dict, intent: str) -> None:
    """Answered as the question it is: its intent, no form prompt, an answer or a choice of
    procedures (buttons), never taken as the form's value."""
    text = reply_text(body).lower()
    assert body["intent"] == intent, body
    assert not any(prompt in text for prompt in FORM_PROMPTS), text
    assert buttons(body), body


# --- no traps ---------------------------------------------------------------------------------


@pytest.mark.parametrize("topic", ["chứng thực", "giấy phép", "đăng ký"])
def test_a_bare_topic_is_asked_back_with_buttons_never_a_goodbye_or_a_booking(client: Client, topic: str) -> None:
    body = client.chat(topic, sender())
    text = reply_text(body)
    assert body["intent"] == "ask_procedure", body
    assert GOODBYE not in text and "đặt lịch hẹn" not in text.lower()
    choices = [b for b in buttons(body) if b.get("payload", "").startswith("/ask_procedure")]
    assert 2 <= len(choices) <= 5 and topic in text


def test_a_question_once_taken_for_feedback_is_answered_and_the_next_ones_too(client: Client) -> None:
    who = sender()
    first = client.chat("bằng lái ô tô hạng B2 của tôi tháng sau hết hạn, đổi ở đâu", who)
    assert (first["intent"], first["procedure"]) == ("ask_where", "doi-gplx"), first
    assert "phản ánh" not in reply_text(first).lower()
    not_swallowed(client.chat("doi qua mang duoc khong", who), "ask_online")
    not_swallowed(client.chat("ton bao nhieu tien", who), "ask_fee")
    later = client.chat("0905123456", who)
    assert not re.search(r"PA[A-Z2-9]{6}", reply_text(later))  # no ticket was ever being filled


def test_questions_inside_a_feedback_form_end_it_and_are_answered(client: Client) -> None:
    who = sender()
    client.chat("làm giấy khai sinh cần những gì", who)
    opened = client.chat("tôi muốn gửi phản ánh", who)
    assert "nội dung phản ánh" in reply_text(opened).lower()
    online = client.chat("doi qua mang duoc khong", who)
    not_swallowed(online, "ask_online")
    assert "dừng ghi phản ánh" in reply_text(online)
    fee = client.chat("mất bao nhiêu tiền", who)
    assert (fee["intent"], fee["procedure"]) == ("ask_fee", "khai-sinh") and "Lệ phí" in reply_text(fee)
    phone = client.chat("0905123456", who)
    assert not re.search(r"PA[A-Z2-9]{6}", reply_text(phone))


def test_the_survey_asked_inside_the_feedback_form_is_given(client: Client) -> None:
    who = sender()
    client.chat("tôi muốn phản ánh cán bộ một cửa phường hướng dẫn không rõ ràng, bắt đi lại nhiều lần", who)
    asked = client.chat("Bộ phận một cửa phường Hải Châu", who)
    assert "số điện thoại" in reply_text(asked).lower()
    survey = client.chat("có chỗ nào để chấm điểm mức độ hài lòng không", who)
    assert survey["intent"] == "ask_survey"
    assert any(r.get("image") for r in survey["replies"]) and "số điện thoại" not in reply_text(survey).lower()


@pytest.mark.parametrize("word", ["hủy", "thôi", "không"])
def test_stop_words_end_the_feedback_form(client: Client, word: str) -> None:
    who = sender()
    client.chat("tôi muốn gửi phản ánh", who)
    stopped = client.chat(word, who)
    assert "Đã dừng" in reply_text(stopped), stopped
    after = client.chat("làm căn cước cần giấy tờ gì", who)
    assert (after["intent"], after["procedure"]) == ("ask_documents", "can-cuoc")


def test_no_answers_the_optional_phone_question(client: Client) -> None:
    who = sender()
    client.chat("tôi muốn phản ánh việc trả hồ sơ trễ hẹn ba tuần mà không ai giải thích", who)
    client.chat("UBND phường Hòa Khánh", who)
    done = client.chat("không", who)  # "không": no phone number, the ticket is sent
    assert re.search(r"PA[A-Z2-9]{6}", reply_text(done)), done


def test_a_value_refused_twice_ends_the_form_politely(client: Client) -> None:
    who = sender()
    client.chat("tôi muốn phản ánh việc trả hồ sơ trễ hẹn ba tuần mà không ai giải thích", who)
    client.chat("UBND phường Hòa Khánh", who)
    first = client.chat("12345", who)
    assert "chưa đúng" in reply_text(first)
    second = client.chat("98765", who)
    text = reply_text(second)
    assert "tạm dừng" in text and "chưa đúng" not in text
    assert any(b.get("phone") for b in buttons(second)), second  # the hotline, tap-to-call
    after = client.chat("0905123456", who)  # the form is over: not a phone number any more
    assert not re.search(r"PA[A-Z2-9]{6}", reply_text(after))


def test_a_question_inside_the_booking_form_never_becomes_its_answer(client: Client) -> None:
    who = sender()
    client.chat("đặt lịch làm căn cước", who)
    survey = client.chat("cho mình xin link khảo sát mức độ hài lòng", who)
    assert survey["intent"] == "ask_survey" and any(r.get("image") for r in survey["replies"])
    stop = client.chat("thôi", who)
    assert "Đã dừng" in reply_text(stop) or GOODBYE in reply_text(stop)


# --- honest handoff ---------------------------------------------------------------------------


def test_without_an_officer_on_duty_no_promise_but_the_hotline_and_a_ticket(client: Client) -> None:
    who = sender()
    asked = client.chat("cho tôi gặp cán bộ", who)
    text = reply_text(asked)
    assert asked["intent"] == "human_handoff"
    assert "chưa có cán bộ trực tuyến" in text and "sẽ trả lời bạn ngay" not in text
    assert any(b.get("phone") for b in buttons(asked))  # the hotline, tap-to-call
    assert "/give_feedback" in [b.get("payload") for b in buttons(asked)]  # a ticket
    still_bot = client.chat("làm căn cước cần giấy tờ gì", who)  # no "vui lòng chờ": the bot answers
    assert (still_bot["intent"], still_bot["procedure"]) == ("ask_documents", "can-cuoc")
    ticket = client.chat("/give_feedback", who)  # "Để lại câu hỏi cho cán bộ"
    assert "nội dung phản ánh" in reply_text(ticket).lower()
    left = client.chat("hồ sơ đất của tôi nộp 3 tháng chưa có kết quả, giờ phải làm sao?", who)
    assert "liên quan đến cơ quan" in reply_text(left).lower(), left  # the question is the ticket's content


def test_the_citizen_ends_a_handoff_and_later_messages_reach_the_bot(client: Client, stack: Stack) -> None:
    who = sender()
    with officer_on_duty(stack):
        asked = client.chat("cho tôi gặp cán bộ", who)
    assert "cán bộ sẽ trả lời bạn ngay tại đây" in reply_text(asked)
    assert "kết thúc" in [b.get("payload") for b in buttons(asked)]
    waiting = client.chat("tôi cần hỏi về hồ sơ đất", who)
    assert waiting["intent"] is None and "kết thúc" in reply_text(waiting)
    ended = client.chat("hủy", who)
    assert "Trợ lý ảo tiếp tục hỗ trợ bạn" in reply_text(ended)
    back = client.chat("làm căn cước cần giấy tờ gì", who)
    assert (back["intent"], back["procedure"]) == ("ask_documents", "can-cuoc")


def test_officer_replies_and_closes_from_the_console(client: Client, stack: Stack) -> None:
    env = {**os.environ, "TROLYAO_VAR_DIR": str(stack.var)}
    name = f"truc-{uuid.uuid4().hex[:6]}"
    subprocess.run(
        [sys.executable, "-m", "trolyao", "officers", "add", name, "--role", "editor"],
        input=PASSWORD + "\n", text=True, cwd=paths.REPO, env=env, check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    console = Console(stack.gateway_url)
    dashboard = console.post("/admin/login", {"name": name, "password": PASSWORD}, console.get("/admin/login"))
    listed = console.get("/admin/handoffs")
    listed = console.post("/admin/handoffs/duty", {"on": "1"}, listed)  # "Tôi trực trả lời người dân"
    try:
        assert name in listed and "Ngừng trực" in listed
        who = sender()
        marker = f"mã-{uuid.uuid4().hex[:6]}"
        assert "cán bộ sẽ trả lời bạn ngay" in reply_text(client.chat("cho tôi gặp cán bộ", who))
        client.chat(f"tôi cần hỏi về hồ sơ {marker}", who)
        handoff = _handoff_with(console, marker)
        page = console.get(f"/admin/handoffs/{handoff}")
        assert marker in page and 'name="text"' in page
        sent = console.post(f"/admin/handoffs/{handoff}/reply", {"text": "Chào bạn, cán bộ trực đây."}, page)
        assert "Đã gửi" in sent
        assert "cán bộ trực đây" in reply_text(client.chat("vâng ạ", who))  # delivered with the next answer
        closed = console.post(f"/admin/handoffs/{handoff}/close", {}, sent)
        assert f"Đã kết thúc hội thoại #{handoff}" in closed
        back = client.chat("làm căn cước cần giấy tờ gì", who)
        assert "Cán bộ đã kết thúc" in reply_text(back) and back["procedure"] == "can-cuoc"
    finally:
        console.post("/admin/logout", {}, dashboard)  # ends the duty too
    assert "chưa có cán bộ trực tuyến" in reply_text(client.chat("cho tôi gặp cán bộ", sender()))


def _handoff_with(console: Console, marker: str) -> int:
    """The number of the open handoff whose conversation holds the marker."""
    for found in re.findall(r'href="/admin/handoffs/(\d+)"', console.get("/admin/handoffs")):
        if marker in console.get(f"/admin/handoffs/{found}"):
            return int(found)
    raise AssertionError(f"no open handoff holds {marker}")


def test_in_chromium_no_officer_means_the_hotline_and_a_ticket_not_a_wait(
    browser_ready: None,  # noqa: F811 - the fixture
    client: Client,
) -> None:
    page = ask_in_browser(client.base_url, "cho tôi gặp cán bộ", "làm căn cước cần giấy tờ gì")
    asked, after = ("\n".join(turn["answers"]) for turn in page["turns"])
    assert not page["overflow"] and "chưa có cán bộ trực tuyến" in asked, asked
    assert "1022" in asked and "để lại câu hỏi" in asked, asked  # the hotline and a ticket (buttons: test above)
    assert "vui lòng chờ" not in (asked + after).lower() and "căn cước" in after.lower(), after
