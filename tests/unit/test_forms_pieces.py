"""Pure pieces of the forms: dates, phone numbers, hours, codes (issue 5)."""

from __future__ import annotations

import datetime as dt

import pytest

from actions import hours, validators
from actions.dates import parse_date
from tthc.codes import intent_for_code

MONDAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mai", dt.date(2026, 11, 24)),
        ("ngày mai nhé", dt.date(2026, 11, 24)),
        ("ngay kia", dt.date(2026, 11, 25)),
        ("thứ 3 tuần sau", dt.date(2026, 12, 1)),
        ("thu 5", dt.date(2026, 11, 26)),
        ("t6", dt.date(2026, 11, 27)),
        ("thứ hai", dt.date(2026, 11, 30)),
        ("25/11", dt.date(2026, 11, 25)),
        ("3/1", dt.date(2027, 1, 3)),
        ("05-12-2026", dt.date(2026, 12, 5)),
        ("sáng thứ bảy", dt.date(2026, 11, 28)),
    ],
)
def test_dates_as_citizens_type_them(text: str, expected: dt.date) -> None:
    assert parse_date(text, MONDAY) == expected


@pytest.mark.parametrize("text", ["không biết", "31/02", ""])
def test_no_date(text: str) -> None:
    assert parse_date(text, MONDAY) is None


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("0905 123 456", "0905123456"),
        ("+84905123456", "0905123456"),
        ("0236.3831.022", "02363831022"),
        ("abc", None),
        ("0123", None),
    ],
)
def test_phone_numbers(typed: str, number: str | None) -> None:
    assert validators.phone(typed) == number


def test_skip_and_names() -> None:
    assert validators.wants_to_skip("Bỏ qua")
    assert validators.wants_to_skip("không")
    assert validators.person_name("  Nguyễn   Văn An ") == "Nguyễn Văn An"
    assert validators.person_name("0905123456") is None


def test_hours_open_and_next_opening() -> None:
    schedule = hours.parse_schedule("mon-fri 07:30-11:30,13:30-17:00; sat 07:30-11:30")
    assert hours.is_open(schedule, dt.datetime(2026, 11, 23, 9, 0))
    assert not hours.is_open(schedule, dt.datetime(2026, 11, 23, 12, 0))
    assert hours.next_opening(schedule, dt.datetime(2026, 11, 23, 12, 0)) == dt.datetime(2026, 11, 23, 13, 30)
    saturday_noon = dt.datetime(2026, 11, 28, 12, 0)
    assert hours.next_opening(schedule, saturday_noon) == dt.datetime(2026, 11, 30, 7, 30)
    assert hours.describe(dt.datetime(2026, 11, 24, 7, 30), dt.datetime(2026, 11, 23, 18, 0)) == "07:30 sáng mai"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("hủy lịch LHCXGX2M", "book_appointment"),
        ("PA7VBNAB", "give_feedback"),
        ("ma ho so la 000.00.31.H56-250602-0147", "check_dossier_status"),
        ("xin chào", None),
        ("làm passport lần đầu cần những gì", None),
        ("PASSPORT", None),
    ],
)
def test_codes_decide_the_intent(text: str, intent: str | None) -> None:
    assert intent_for_code(text) == intent
