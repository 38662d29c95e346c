"""Issue 13, "no traps" and "honest handoff" on the action server: a form is left on "hủy",
"thôi", a "không" that does not answer it, or a clearly different question (which is answered);
a value refused twice ends it; a bare topic gets a question back with buttons; a person is
promised only when one can answer now."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import process
from actions.feedback import FEEDBACK_SLOTS, ValidateFeedbackForm
from actions.forms_common import FAILURES_SLOT, answering_now, leave_if_asked
from actions.procedures import ActionAnswerProcedure
from actions.services import ActionHandoff
from actions.settings import ActionSettings
from actions.turn import TURN_KEY
from tests.unit.test_actions import run, tracker
from tthc.citizen_words import ends_handoff, is_keyword_only, looks_like_question, says_no, wants_to_stop

DOMAIN = {"forms": {"feedback_form": {"required_slots": list(FEEDBACK_SLOTS)}}}


@pytest.fixture(autouse=True)
def private_store(tmp_path: Path, actions_settings: Callable[..., ActionSettings]) -> Iterator[None]:
    actions_settings(records_db_url=f"sqlite:///{tmp_path / 'bot.db'}", today=dt.date(2026, 11, 23))
    process.store.cache_clear()
    yield
    process.store.cache_clear()


def in_form(
    text: str,
    intent: str,
    requested: str,
    confidence: float = 0.95,
    slots: dict[str, Any] | None = None,
    extracted: bool = True,
) -> Tracker:
    """The tracker the form's validation gets right after the citizen's message: the message,
    the form's own execution, and the value taken from the text for the requested slot."""
    events: list[dict[str, Any]] = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text},
        {"event": "slot", "name": "requested_slot", "value": requested},
        {"event": "action", "name": "feedback_form"},
    ]
    if extracted:
        events.append({"event": "slot", "name": requested, "value": text})
    t = tracker(text, intent, {"requested_slot": requested, **(slots or {})})
    t.latest_message["intent"]["confidence"] = confidence
    t.latest_message["intent_ranking"] = [{"name": intent, "confidence": confidence}]
    t.events = events
    t.active_loop = {"name": "feedback_form"}
    return t


def validate_form(t: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateFeedbackForm().run(dispatcher, t, DOMAIN))
    *messages, last = dispatcher.messages
    assert TURN_KEY in (last.get("custom") or {}), "the validation reports the turn too"
    return messages, events


def responses(messages: list[dict]) -> list[str | None]:
    return [m.get("response") for m in messages]


def slot_values(events: list[dict], name: str) -> list[Any]:
    return [e["value"] for e in events if e.get("event") == "slot" and e.get("name") == name]


def loop_ended(events: list[dict]) -> bool:
    return any(e.get("event") == "active_loop" and e.get("name") is None for e in events)


def ended(events: list[dict]) -> bool:
    """The form stopped and forgot what it had been told."""
    return loop_ended(events) and all(slot_values(events, s)[-1:] == [None] for s in FEEDBACK_SLOTS)


# --- the words ------------------------------------------------------------------------------


def test_citizen_words() -> None:
    assert all(wants_to_stop(t) for t in ["hủy", "Hủy ạ", "thôi", "thôi nhé", "kết thúc!", "dừng lại", "huy"])
    assert not wants_to_stop("không") and says_no("không") and says_no("ko")
    assert ends_handoff("kết thúc") and ends_handoff("quay lại trợ lý ảo") and not ends_handoff("không")
    assert looks_like_question("doi qua mang duoc khong") and looks_like_question("ton bao nhieu tien")
    assert not looks_like_question("Bộ phận một cửa phường Hải Châu")
    assert all(is_keyword_only(t) for t in ["chứng thực", "giấy phép", "đăng ký", "chung thuc", "sổ đỏ"])
    assert not any(is_keyword_only(t) for t in ["hủy", "không", "cảm ơn", "đặt lịch", "khảo sát", "0905123456"])


# --- leaving a form -------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["hủy", "thôi", "kết thúc"])
def test_stop_words_end_the_form(text: str) -> None:
    messages, events = validate_form(in_form(text, "goodbye", "feedback_subject"))
    assert responses(messages) == ["utter_form_cancelled"] and ended(events)


def test_no_ends_the_form_unless_it_answers_the_question() -> None:
    messages, events = validate_form(in_form("không", "deny", "feedback_subject"))
    assert responses(messages) == ["utter_form_cancelled"] and ended(events)
    messages, events = validate_form(in_form("không", "deny", "feedback_phone"))  # no phone number, thanks
    assert messages == [] and slot_values(events, "feedback_phone") == ["-"] and not loop_ended(events)


def test_the_survey_asked_inside_the_feedback_form_is_answered() -> None:
    t = in_form("có chỗ nào để chấm điểm mức độ hài lòng không", "ask_survey", "feedback_phone", 0.93)
    messages, events = validate_form(t)
    kinds = responses(messages)
    assert kinds[0] == "utter_feedback_set_aside" and "utter_survey" in kinds
    assert "utter_phone_invalid" not in kinds and ended(events)
    assert any(m.get("image") for m in messages)  # the QR code


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("lam qua mang duoc khong", "ask_online", "utter_procedure_online"),
        ("thế lệ phí bao nhiêu", "ask_fee", "utter_procedure_fee"),
    ],
)
def test_questions_after_a_feedback_form_started_by_mistake_are_answered(text: str, intent: str, expected: str) -> None:
    t = in_form(text, intent, "feedback_phone", slots={"procedure": "doi-gplx", "feedback_content": "x y z"})
    messages, events = validate_form(t)
    assert responses(messages)[:2] == ["utter_feedback_set_aside", expected]
    assert ended(events) and not any(slot_values(events, "feedback_phone"))


def test_a_question_naming_a_procedure_is_answered_even_when_the_classifier_is_unsure() -> None:
    t = in_form("làm hộ chiếu mất bao lâu vậy", "out_of_scope", "feedback_subject", confidence=0.3)
    t.latest_message["intent_ranking"].append({"name": "ask_processing_time", "confidence": 0.25})
    messages, events = validate_form(t)
    assert responses(messages)[:2] == ["utter_feedback_set_aside", "utter_procedure_time"] and ended(events)


def test_a_complaint_or_an_answer_stays_in_the_form() -> None:
    complaint = in_form("sao cán bộ thái độ hách dịch vậy", "ask_procedure", "feedback_content", 0.8)
    messages, events = validate_form(complaint)
    assert messages == [] and not loop_ended(events)
    subject = in_form("thủ tục đăng ký khai sinh ở phường", "ask_procedure", "feedback_subject", 0.8)
    messages, events = validate_form(subject)
    assert messages == [] and not loop_ended(events) and slot_values(events, "feedback_subject")[0]


def test_a_form_resuming_after_another_action_is_not_judged_again() -> None:
    t = in_form("có chỗ nào để chấm điểm mức độ hài lòng không", "ask_survey", "feedback_phone", extracted=False)
    t.events.insert(2, {"event": "action", "name": "action_answer_service"})
    assert not answering_now(t)
    messages, events = validate_form(t)
    assert "utter_feedback_set_aside" not in responses(messages)


def test_a_value_refused_twice_ends_the_form_politely() -> None:
    messages, events = validate_form(in_form("12345", "out_of_scope", "feedback_phone"))
    assert responses(messages) == ["utter_phone_invalid"]
    failures = slot_values(events, FAILURES_SLOT)
    assert failures == [{"slot": "feedback_phone", "count": 1}]
    again = in_form("98765", "out_of_scope", "feedback_phone", slots={FAILURES_SLOT: failures[0]})
    messages, events = validate_form(again)
    assert responses(messages) == ["utter_form_gave_up"] and "1022" in messages[0]["hotline"]
    assert messages[0]["buttons"][0]["payload"].startswith("tel:") and ended(events)


def test_a_good_value_after_a_refusal_resets_the_count() -> None:
    t = in_form(
        "0905123456", "out_of_scope", "feedback_phone", slots={FAILURES_SLOT: {"slot": "feedback_phone", "count": 1}}
    )
    messages, events = validate_form(t)
    assert messages == [] and slot_values(events, FAILURES_SLOT) == [None]


# --- bare topics ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("chứng thực", "Chứng thực bản sao từ bản chính"), ("giấy phép", "Cấp giấy phép xây dựng nhà ở riêng lẻ"),
     ("đăng ký", "Đăng ký kết hôn")],
)  # fmt: skip
def test_a_bare_topic_gets_a_short_question_with_buttons(text: str, expected: str) -> None:
    messages, events = run(ActionAnswerProcedure(), tracker(text, "ask_procedure"))
    assert [m["response"] for m in messages] == ["utter_clarify_keyword"]
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert expected in titles and 2 <= len(titles) <= 5
    assert all(b["payload"].startswith("/ask_procedure{") for b in messages[0]["buttons"])
    assert slot_values(events, "outcome") == ["clarified"]


# --- honest handoff ---------------------------------------------------------------------------


def handoff_tracker(officers_online: bool | None = None) -> Tracker:
    t = tracker("cho tôi gặp cán bộ", "human_handoff")
    if officers_online is not None:
        t.latest_message["metadata"] = {"channel": "web", "officers_online": officers_online}
    return t


def test_no_officer_channel_means_no_promise_but_the_hotline_and_a_ticket(
    actions_settings: Callable[..., ActionSettings],
) -> None:
    actions_settings(now=dt.datetime(2026, 11, 23, 9, 0))
    messages, _ = run(ActionHandoff(), handoff_tracker())
    assert [m["response"] for m in messages] == ["utter_handoff_unavailable"]
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads[0].startswith("tel:") and "/give_feedback" in payloads
    assert process.store().active_handoff("test") is None  # the bot stays


def test_the_telegram_group_or_an_officer_on_duty_takes_the_chat(
    actions_settings: Callable[..., ActionSettings],
) -> None:
    actions_settings(now=dt.datetime(2026, 11, 23, 9, 0))
    messages, _ = run(ActionHandoff(), handoff_tracker(officers_online=True))
    assert messages[0]["response"] == "utter_handoff" and messages[0]["buttons"][0]["payload"] == "kết thúc"
    handoff = process.store().active_handoff("test")
    assert handoff is not None
    process.store().close_handoff(handoff, "test")
    process.store().start_duty("lan", dt.datetime.now() + dt.timedelta(hours=1))
    messages, _ = run(ActionHandoff(), handoff_tracker())
    assert messages[0]["response"] == "utter_handoff" and process.store().active_handoff("test") is not None
    process.store().end_duty("lan")
    assert process.store().on_duty() == []


def test_outside_staffed_hours_the_next_time_the_hotline_and_a_ticket(
    actions_settings: Callable[..., ActionSettings],
) -> None:
    actions_settings(now=dt.datetime(2026, 11, 23, 20, 0))
    messages, _ = run(ActionHandoff(), handoff_tracker(officers_online=True))
    assert messages[0]["response"] == "utter_handoff_closed" and messages[0]["opens"] == "07:30 sáng mai"
    assert "/give_feedback" in [b["payload"] for b in messages[0]["buttons"]]
    assert process.store().active_handoff("test") is None


# --- the booking form: another question pauses it ----------------------------------------------


def test_a_question_inside_the_booking_form_is_answered_and_the_form_asks_again() -> None:
    from actions.booking import ValidateBookingForm

    t = in_form("làm hộ chiếu cần mang gì", "ask_documents", "booking_procedure")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateBookingForm().run(dispatcher, t, {"forms": {"booking_form": {"required_slots": []}}}))
    assert responses(dispatcher.messages)[0] == "utter_procedure_documents"
    assert slot_values(events, "booking_procedure") == [None] and not loop_ended(events)


def test_an_answer_to_the_booking_confirmation_is_never_another_question() -> None:
    from actions.booking import ANSWERS_NO, BOOKING_SLOTS, answers_confirmation

    for text, intent in [("đổi giờ", "ask_working_hours"), ("đổi sang ngày khác được không", "ask_working_hours")]:
        t = in_form(text, intent, "booking_confirm", confidence=0.97)
        left = asyncio.run(
            leave_if_asked(CollectingDispatcher(), t, {}, BOOKING_SLOTS, None, ANSWERS_NO, answers_confirmation)
        )
        assert left is None, text


def test_a_question_left_for_an_officer_with_the_ticket_button_is_the_ticket() -> None:
    """No officer online: "Để lại câu hỏi cho cán bộ" (/give_feedback) opens the form, and the
    question typed then is what the officer gets, not something the bot answers instead."""
    text = "hồ sơ đất của tôi nộp 3 tháng chưa có kết quả, giờ phải làm sao?"
    t = in_form(text, "ask_processing_time", "feedback_content", 0.9)
    opened = [
        {"event": "user", "text": "/give_feedback"},
        {"event": "action", "name": "action_feedback"},
        {"event": "action", "name": "feedback_form"},
        {"event": "active_loop", "name": "feedback_form"},
    ]
    t.events = opened + t.events
    messages, events = validate_form(t)
    assert messages == [] and slot_values(events, "feedback_content") == [text] and not loop_ended(events)
    t.events = t.events[len(opened) :]  # the same question in a form the citizen did not ask for
    messages, events = validate_form(t)
    assert responses(messages)[0] == "utter_feedback_set_aside" and loop_ended(events)
