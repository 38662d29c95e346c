"""Feedback, booking, dossier and handoff actions over a private store (issue 5)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import process
from actions.booking import ActionBookingStart, ActionSubmitBooking, ValidateBookingForm
from actions.dossiers import ActionDossierStatus
from actions.feedback import ActionFeedbackStart, ActionSubmitFeedback, ValidateFeedbackForm
from actions.services import ActionHandoff
from actions.settings import ActionSettings
from tests.unit.test_actions import run, slot, tracker


@pytest.fixture(autouse=True)
def private_store(tmp_path: Path, actions_settings: Callable[..., ActionSettings]) -> Iterator[None]:
    actions_settings(records_db_url=f"sqlite:///{tmp_path / 'bot.db'}")
    actions_settings(today=dt.date.fromisoformat("2026-11-23"))
    process.store.cache_clear()
    yield
    process.store.cache_clear()


def validate(form: Any, slot_name: str, value: Any, slots: dict | None = None) -> tuple[dict, list[dict]]:
    dispatcher = CollectingDispatcher()
    method = getattr(form, f"validate_{slot_name}")
    result = asyncio.run(method(value, dispatcher, tracker(str(value), "out_of_scope", slots), {}))
    return result, dispatcher.messages


def test_feedback_start_keeps_a_long_first_message_as_content() -> None:
    text = "tôi muốn phản ánh cán bộ hướng dẫn không rõ ràng, bắt tôi đi lại 3 lần"
    messages, events = run(ActionFeedbackStart(), tracker(text, "give_feedback"))
    assert slot(events, "feedback_content") == text
    assert any(e.get("event") == "followup" and e.get("name") == "feedback_form" for e in events)


def test_feedback_phone_is_optional_but_checked() -> None:
    form = ValidateFeedbackForm()
    assert validate(form, "feedback_phone", "bỏ qua")[0] == {"feedback_phone": "-"}
    assert validate(form, "feedback_phone", "0905 123 456")[0] == {"feedback_phone": "0905123456"}
    result, messages = validate(form, "feedback_phone", "12ab")
    assert result == {"feedback_phone": None} and messages[0]["response"] == "utter_phone_invalid"


def test_feedback_submit_creates_a_ticket_and_its_status_is_found_by_code() -> None:
    slots = {"feedback_content": "Hướng dẫn không rõ", "feedback_subject": "Một cửa phường", "feedback_phone": "-"}
    messages, _ = run(ActionSubmitFeedback(), tracker("bỏ qua", "deny", slots))
    code = messages[0]["code"]
    ticket = process.store().ticket(code)
    assert ticket is not None and ticket.phone is None and ticket.sender == "test"
    status, _ = run(ActionFeedbackStart(), tracker(f"phản ánh {code} sao rồi", "give_feedback"))
    assert status[0]["response"] == "utter_ticket_open"


def test_booking_start_understands_procedure_and_date() -> None:
    _, events = run(ActionBookingStart(), tracker("đặt lịch làm căn cước thứ 3 tuần sau", "book_appointment"))
    assert slot(events, "booking_procedure") == "can-cuoc"
    assert slot(events, "booking_date") == "2026-12-01"
    assert slot(events, "booking_centre") == "cong-an-xa-da-nang"  # căn cước: the Công an xã


def test_booking_date_rules() -> None:
    form = ValidateBookingForm()
    assert validate(form, "booking_date", "25/11")[0] == {"booking_date": "2026-11-25"}
    past, messages = validate(form, "booking_date", "20/11/2026")
    assert past == {"booking_date": None} and messages[0]["response"] == "utter_booking_date_past"
    sunday, messages = validate(form, "booking_date", "29/11")
    assert sunday == {"booking_date": None} and messages[0]["response"] == "utter_booking_date_closed"


def test_booking_full_slot_is_refused_and_cancel_by_code_works() -> None:
    slots = {"booking_procedure": "can-cuoc", "booking_centre": "cong-an-xa-da-nang", "booking_date": "2026-12-01",
             "booking_slot": "09:00", "booking_name": "Nguyễn Văn An", "booking_phone": "0905123456",
             "booking_confirm": "yes"}  # fmt: skip
    codes = []
    for _ in range(5):  # Đà Nẵng's desk takes 5 citizens per slot
        messages, _ = run(ActionSubmitBooking(), tracker("đồng ý", "affirm", slots))
        assert messages[0]["response"] == "utter_booking_confirmed"
        codes.append(messages[0]["code"])
    full, _ = validate(ValidateBookingForm(), "booking_slot", "9h", slots)
    assert full == {"booking_slot": None}
    assert validate(ValidateBookingForm(), "booking_slot", "10h", slots)[0] == {"booking_slot": "10:00"}
    cancelled, _ = run(ActionBookingStart(), tracker(f"hủy lịch {codes[0]}", "book_appointment"))
    assert cancelled[0]["response"] == "utter_booking_cancelled"
    assert validate(ValidateBookingForm(), "booking_slot", "09:00", slots)[0] == {"booking_slot": "09:00"}


class _DossierApi(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if "KNOWN" in self.path.upper():
            body = json.dumps({"code": "H17.1-251110-0007", "status": "Đang thẩm định", "due": "17/11/2026"}).encode()
            self.send_response(200)
        else:
            body, _ = b"{}", self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_dossier_status_through_the_http_source(actions_settings: Callable[..., ActionSettings]) -> None:
    server = HTTPServer(("127.0.0.1", 0), _DossierApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        actions_settings(
            dossier_source="http", dossier_url=f"http://127.0.0.1:{server.server_port}/dossiers/{{code}}?known=1"
        )
        found, _ = run(ActionDossierStatus(), tracker("ma ho so H17.1-251110-0007", "check_dossier_status"))
        assert found[0]["response"] == "utter_dossier_found" and found[0]["status"] == "Đang thẩm định"
        actions_settings(dossier_url=f"http://127.0.0.1:{server.server_port}/dossiers/{{code}}")
        unknown, _ = run(ActionDossierStatus(), tracker("ma ho so H17.1-251110-0008", "check_dossier_status"))
        assert unknown[0]["response"] == "utter_dossier_unknown"
    finally:
        server.shutdown()
    down, _ = run(ActionDossierStatus(), tracker("ma ho so H17.1-251110-0009", "check_dossier_status"))
    assert down[0]["response"] == "utter_dossier_unavailable" and "1022" in down[0]["hotline"]


def test_handoff_opens_in_staffed_hours_and_gives_the_hotline_otherwise(
    actions_settings: Callable[..., ActionSettings],
) -> None:
    actions_settings(now=dt.datetime.fromisoformat("2026-11-23T09:00"))
    asked = tracker("cho tôi gặp cán bộ", "human_handoff")
    asked.latest_message["metadata"] = {"channel": "telegram", "officers_online": True}  # the group is reachable
    messages, _ = run(ActionHandoff(), asked)
    assert messages[0]["response"] == "utter_handoff"
    assert process.store().active_handoff("test") is not None
    actions_settings(now=dt.datetime.fromisoformat("2026-11-23T20:00"))
    messages, _ = run(ActionHandoff(), tracker("cho tôi gặp cán bộ", "human_handoff"))
    assert messages[0]["response"] == "utter_handoff_closed" and messages[0]["opens"] == "07:30 sáng mai"


# --- issue 15: a message answered again (a retry after a failed turn) makes nothing twice -------


def with_message_id(t: Any, message_id: Any) -> Any:
    """The tracker of a message the gateway sent with the channel's message id."""
    t.latest_message["metadata"] = {"channel": "telegram", "locality": "da-nang", "message_id": message_id}
    return t


def test_a_replayed_feedback_message_repeats_the_first_ticket_code() -> None:
    slots = {"feedback_content": "Hướng dẫn không rõ", "feedback_subject": "Một cửa phường", "feedback_phone": "-"}
    first, _ = run(ActionSubmitFeedback(), with_message_id(tracker("bỏ qua", "deny", slots), 1234))
    again, _ = run(ActionSubmitFeedback(), with_message_id(tracker("bỏ qua", "deny", slots), 1234))
    other, _ = run(ActionSubmitFeedback(), with_message_id(tracker("bỏ qua", "deny", slots), 1235))
    assert again[0]["response"] == "utter_feedback_received" and again[0]["code"] == first[0]["code"]
    assert other[0]["code"] != first[0]["code"]
    without_id = [run(ActionSubmitFeedback(), tracker("bỏ qua", "deny", slots))[0][0]["code"] for _ in range(2)]
    assert len(set(without_id)) == 2  # no id (an older client): one ticket per message, as before
    assert len(process.store().tickets()) == 4


def test_a_replayed_booking_message_repeats_the_first_booking_even_when_the_slot_is_full_now() -> None:
    slots = {"booking_procedure": "can-cuoc", "booking_centre": "cong-an-xa-da-nang", "booking_date": "2026-12-01",
             "booking_slot": "09:00", "booking_name": "Nguyễn Văn An", "booking_phone": "0905123456",
             "booking_confirm": "yes"}  # fmt: skip
    first, _ = run(ActionSubmitBooking(), with_message_id(tracker("đồng ý", "affirm", slots), "web-7f3a"))
    for n in range(4):  # other citizens fill Đà Nẵng's 5 places of the slot
        run(ActionSubmitBooking(), with_message_id(tracker("đồng ý", "affirm", slots), f"other-{n}"))
    again, events = run(ActionSubmitBooking(), with_message_id(tracker("đồng ý", "affirm", slots), "web-7f3a"))
    assert again[0]["response"] == "utter_booking_confirmed" and again[0]["code"] == first[0]["code"]
    assert slot(events, "booking_slot") is None  # the form is done, as the first time
    assert process.store().taken("cong-an-xa-da-nang", dt.date(2026, 12, 1), "09:00") == 5
