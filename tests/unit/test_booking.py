"""Booking where the procedure is handled (issue 13): the office from the procedure and the
locality, the confirmation step, and cancel by code."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import process
from actions.booking import (
    ActionAskBookingCentre,
    ActionAskBookingConfirm,
    ActionBookingStart,
    ActionSubmitBooking,
    ValidateBookingForm,
    confirmation,
    papers,
)
from actions.settings import ActionSettings
from tests.unit.test_actions import run, slot, tracker
from tthc.content import ContentBase
from tthc.offices import COMMUNE, POLICE_COMMUNE, POLICE_PROVINCE, PROVINCE, kind_of, offices_for

SLOTS = {
    "booking_procedure": "can-cuoc", "booking_centre": "cong-an-xa-da-nang", "booking_date": "2026-12-01",
    "booking_slot": "09:00", "booking_name": "Nguyễn Văn An", "booking_phone": "0905123456",
}  # fmt: skip


@pytest.fixture(autouse=True)
def private_store(tmp_path: Path, actions_settings: Callable[..., ActionSettings]) -> Iterator[None]:
    actions_settings(records_db_url=f"sqlite:///{tmp_path / 'bot.db'}", today=dt.date(2026, 11, 23))
    process.store.cache_clear()
    yield
    process.store.cache_clear()


def validate(slot_name: str, value: Any, slots: dict | None = None) -> tuple[dict, list[dict]]:
    dispatcher = CollectingDispatcher()
    method = getattr(ValidateBookingForm(), f"validate_{slot_name}")
    result = asyncio.run(method(value, dispatcher, tracker(str(value), "out_of_scope", slots), {}))
    return result, dispatcher.messages


# --- the office comes from the procedure and the locality ---------------------------------------


def test_can_cuoc_is_booked_at_the_commune_police_not_the_city_centre(content: ContentBase) -> None:
    [office] = offices_for(content, "can-cuoc", content.localities["da-nang"])
    assert office.kind == POLICE_COMMUNE and office.id == "cong-an-xa-da-nang"
    assert office.name == "Công an xã/phường nơi cư trú"
    assert office.address is None and office.lookup_url == "https://dichvucong.danang.gov.vn"  # the city's portal
    for slug in ("dang-ky-tam-tru", "dang-ky-thuong-tru", "dinh-danh-dien-tu"):
        assert [o.kind for o in offices_for(content, slug, content.localities["da-nang"])] == [POLICE_COMMUNE]


def test_khai_sinh_is_booked_at_the_commune(content: ContentBase) -> None:
    # Đà Nẵng's file lists no commune office: a generic one-stop desk of the commune, with a link.
    [office] = offices_for(content, "khai-sinh", content.localities["da-nang"])
    assert office.kind == COMMUNE and office.generic
    assert office.name == "UBND xã/phường nơi cư trú – Bộ phận Một cửa"
    assert office.lookup_url == "https://dichvucong.danang.gov.vn" and office.address is None
    # Đắk Lắk's lists one: that one; Hải Phòng's lists two: the citizen chooses.
    assert [o.id for o in offices_for(content, "khai-sinh", content.localities["dak-lak"])] == [
        "ttpvhcc-cap-xa-dak-lak"
    ]
    both = offices_for(content, "ket-hon", content.localities["hai-phong"])
    assert [o.id for o in both] == ["ttpvhcc-cap-xa-hai-phong", "ttpvhcc-phuong-chi-linh"]
    assert all(o.lookup_url == "https://dichvucong.gov.vn" for o in both)  # no portal of its own in the file


def test_a_provincial_procedure_is_booked_at_the_provincial_centre(content: ContentBase) -> None:
    for slug in ("tach-hop-thua", "chuyen-nhuong-dat", "thanh-lap-doanh-nghiep"):
        [office] = offices_for(content, slug, content.localities["da-nang"])
        assert (office.kind, office.id) == (PROVINCE, "ttpvhcc-da-nang")
        assert office.name == "Trung tâm Phục vụ hành chính công thành phố Đà Nẵng"
        # The file's "24 Trần Phú" is marked unverified: never shown, a look-up link instead.
        assert office.address is None and office.lookup_url == "https://dichvucong.danang.gov.vn"
    [passport] = offices_for(content, "ho-chieu", content.localities["dak-lak"])
    assert passport.kind == POLICE_PROVINCE
    assert passport.name == "Cơ quan Quản lý xuất nhập cảnh, Công an tỉnh Đắk Lắk"
    assert passport.lookup_url == "https://motcua.daklak.gov.vn"


def test_catalogue_records_use_their_levels_and_agency(content: ContentBase) -> None:
    da_nang = content.localities["da-nang"]
    assert [o.kind for o in offices_for(content, "1.014061", da_nang)] == [POLICE_COMMUNE]  # Công an cấp Xã
    assert [o.kind for o in offices_for(content, "1.001193", da_nang)] == [COMMUNE]  # khai sinh, cấp xã
    assert [o.id for o in offices_for(content, "2.001610", da_nang)] == ["ttpvhcc-da-nang"]  # Sở Tài chính
    ministry = next(code for code, record in content.catalogue.items() if record.levels == ("bo",))
    assert offices_for(content, ministry, da_nang) == []  # no office of the city receives it


def test_kind_of_reads_the_authority_when_there_are_no_levels() -> None:
    assert kind_of("Ủy ban nhân dân cấp xã (xã, phường, đặc khu) nơi cư trú", set()) == COMMUNE
    assert kind_of("Công an cấp xã (xã, phường, đặc khu) nơi có chỗ ở tạm trú.", set()) == POLICE_COMMUNE
    assert kind_of("Giám đốc Sở Nội vụ tỉnh, thành phố ra quyết định", set()) == PROVINCE
    assert kind_of("Khai sinh do UBND cấp xã giải quyết; đăng ký thường trú do Công an cấp xã", {"xa"}) == COMMUNE
    assert kind_of("Bộ Ngoại giao", {"bo"}) is None


def test_an_address_is_shown_only_where_the_locality_file_has_it_sourced(content: ContentBase) -> None:
    centre = {"id": "ttpvhcc-x", "name": "Trung tâm Phục vụ hành chính công thành phố Đà Nẵng", "address": "Số 1 X"}
    sourced = dataclasses.replace(content.localities["da-nang"], service_centres=[{**centre, "verified": True}])
    [office] = offices_for(content, "tach-hop-thua", sourced)
    assert (office.address, office.lookup_url) == ("Số 1 X", None)
    unsure = dataclasses.replace(sourced, service_centres=[{**centre, "verified": False}])
    assert offices_for(content, "tach-hop-thua", unsure)[0].address is None


def test_start_chooses_the_office_of_the_procedure_and_says_it() -> None:
    messages, events = run(ActionBookingStart(), tracker("đặt lịch làm giấy khai sinh cho bé", "book_appointment"))
    assert (slot(events, "booking_procedure"), slot(events, "booking_centre")) == ("khai-sinh", "mot-cua-xa-da-nang")
    assert [m["response"] for m in messages] == ["utter_booking_intro", "utter_booking_office"]
    assert messages[1]["office"] == "UBND xã/phường nơi cư trú – Bộ phận Một cửa"
    _, events = run(ActionBookingStart(), tracker("đặt lịch làm hộ chiếu", "book_appointment"))
    assert slot(events, "booking_centre") == "cong-an-tinh-da-nang"
    # Two commune centres in Hải Phòng's file: the form asks, offering both.
    haiphong = {"locality": "hai-phong"}
    _, events = run(ActionBookingStart(), tracker("đặt lịch đăng ký kết hôn", "book_appointment", haiphong))
    assert slot(events, "booking_procedure") == "ket-hon" and slot(events, "booking_centre") is None
    asked, _ = run(
        ActionAskBookingCentre(), tracker("", "book_appointment", {**haiphong, "booking_procedure": "ket-hon"})
    )
    payloads = [b["payload"] for b in asked[0]["buttons"]]
    # The intent is in the payload: a centre's name reads like a hotline question to the classifier.
    assert payloads == [
        f'/book_appointment{{"booking_centre":"{office}"}}'
        for office in ("ttpvhcc-cap-xa-hai-phong", "ttpvhcc-phuong-chi-linh")
    ]
    procedure = {**haiphong, "booking_procedure": "ket-hon"}
    assert validate("booking_centre", payloads[1], procedure)[0] == {"booking_centre": "ttpvhcc-phuong-chi-linh"}
    assert validate("booking_centre", "1", procedure)[0] == {"booking_centre": "ttpvhcc-cap-xa-hai-phong"}  # typed


def test_a_procedure_named_in_the_form_brings_its_office() -> None:
    chosen, messages = validate("booking_procedure", "làm căn cước")
    assert chosen == {"booking_procedure": "can-cuoc", "procedure": "can-cuoc", "booking_centre": "cong-an-xa-da-nang"}
    assert messages[0]["response"] == "utter_booking_office"


def test_a_procedure_no_office_of_the_locality_receives_is_not_booked(content: ContentBase) -> None:
    ministry = next(code for code, record in content.catalogue.items() if record.levels == ("bo",))
    messages, events = run(ActionBookingStart(), tracker("đặt lịch", "book_appointment", {"procedure": ministry}))
    assert messages[0]["response"] == "utter_booking_no_office" and messages[0]["buttons"][0]["url"].startswith(
        "https://"
    )
    assert not any(e.get("event") == "followup" for e in events)  # no form opened
    refused, messages = validate("booking_procedure", ministry)
    assert refused == {"booking_procedure": None} and messages[0]["response"] == "utter_booking_no_office"


# --- the confirmation step ------------------------------------------------------------------------


def test_the_confirmation_shows_office_link_date_time_and_papers() -> None:
    messages, _ = run(ActionAskBookingConfirm(), tracker("0905123456", "out_of_scope", SLOTS))
    [ask] = messages
    assert ask["response"] == "utter_ask_booking_confirm_lookup"  # no sourced address: a link, nothing invented
    assert ask["office"] == "Công an xã/phường nơi cư trú" and ask["url"] == "https://dichvucong.danang.gov.vn"
    assert (ask["day"], ask["slot"], ask["name"]) == ("Thứ Ba 01/12/2026", "09:00", "Nguyễn Văn An")
    assert ask["papers"].startswith("• Phiếu đề nghị giải quyết thủ tục về căn cước")
    assert ask["buttons"] == [{"title": "Tra cứu địa chỉ nơi tiếp nhận", "url": "https://dichvucong.danang.gov.vn"}]
    assert process.store().taken("cong-an-xa-da-nang", dt.date(2026, 12, 1), "09:00") == 0  # nothing booked yet


def test_the_confirmation_gives_a_sourced_address(content: ContentBase, monkeypatch: pytest.MonkeyPatch) -> None:
    centre = {"id": "ttpvhcc-da-nang", "name": "Trung tâm Phục vụ hành chính công thành phố Đà Nẵng",
              "address": "Số 1 Đường X", "verified": True}  # fmt: skip
    loc = dataclasses.replace(content.localities["da-nang"], service_centres=[centre])
    monkeypatch.setattr(process, "content", lambda: dataclasses.replace(content, localities={"da-nang": loc}))
    slots = {**SLOTS, "booking_procedure": "tach-hop-thua", "booking_centre": "ttpvhcc-da-nang"}
    [ask], _ = run(ActionAskBookingConfirm(), tracker("0905123456", "out_of_scope", slots))
    assert ask["response"] == "utter_ask_booking_confirm" and ask["address"] == "Số 1 Đường X"
    assert ask["buttons"] == []


def test_papers_are_short() -> None:
    base = process.content()
    lines = papers(base, "khai-sinh").splitlines()
    assert 1 < len(lines) <= 6 and all(len(line) <= 95 for line in lines)
    assert lines[-1].startswith("… và ")  # khai sinh has more papers than are listed


@pytest.mark.parametrize(
    ("text", "meaning"),
    [("đồng ý", "yes"), ("dong y", "yes"), ("Có ạ", "yes"), ("ok", "yes"), ("đúng rồi", "yes"), ("xác nhận", "yes"),
     ("không", "no"), ("dạ không", "no"), ("hủy", "no"), ("thôi", "no"), ("dừng", "no"), ("không đặt nữa", "no"),
     ("đổi giờ", "change_slot"), ("chọn giờ khác", "change_slot"), ("đổi ngày", "change_day"),
     ("dung", None), ("có mất phí không", None), ("đặt được không ạ?", None)],
)  # fmt: skip
def test_replies_to_the_confirmation(text: str, meaning: str | None) -> None:
    assert confirmation(text) == meaning


def test_confirm_yes_change_and_unclear() -> None:
    assert validate("booking_confirm", "đồng ý", SLOTS)[0] == {"booking_confirm": "yes"}
    assert validate("booking_confirm", "đổi giờ", SLOTS)[0] == {"booking_confirm": None, "booking_slot": None}
    day = validate("booking_confirm", "đổi ngày", SLOTS)[0]
    assert day == {"booking_confirm": None, "booking_slot": None, "booking_date": None}
    unclear, messages = validate("booking_confirm", "để mình xem", SLOTS)
    assert unclear == {"booking_confirm": None} and messages[0]["response"] == "utter_booking_confirm_unclear"


def test_no_at_the_confirmation_books_nothing() -> None:
    asking = {**SLOTS, "requested_slot": "booking_confirm"}
    messages, events = run(ValidateBookingForm(), tracker("không", "deny", asking))
    assert messages[0]["response"] == "utter_booking_not_made"
    assert any(e["event"] == "active_loop" and e["name"] is None for e in events)
    assert slot(events, "booking_procedure") is None
    messages, _ = run(ActionSubmitBooking(), tracker("không", "deny", {**SLOTS, "booking_confirm": None}))
    assert messages == [] and process.store().taken("cong-an-xa-da-nang", dt.date(2026, 12, 1), "09:00") == 0


def test_confirmed_booking_names_the_office_and_cancels_by_code() -> None:
    [done], events = run(ActionSubmitBooking(), tracker("đồng ý", "affirm", {**SLOTS, "booking_confirm": "yes"}))
    assert done["response"] == "utter_booking_confirmed" and done["centre"] == "Công an xã/phường nơi cư trú"
    assert slot(events, "booking_confirm") is None
    code = done["code"]
    assert process.store().taken("cong-an-xa-da-nang", dt.date(2026, 12, 1), "09:00") == 1
    [status], _ = run(ActionBookingStart(), tracker(f"lịch hẹn {code} sao rồi", "book_appointment"))
    assert status["response"] == "utter_booking_status" and status["centre"] == "Công an xã/phường nơi cư trú"
    [cancelled], _ = run(ActionBookingStart(), tracker(f"hủy lịch {code.lower()}", "book_appointment"))
    assert cancelled["response"] == "utter_booking_cancelled" and cancelled["code"] == code
    assert (cancelled["day"], cancelled["slot"]) == ("01/12/2026", "09:00")
    assert process.store().booking(code).status == "cancelled"
    assert process.store().taken("cong-an-xa-da-nang", dt.date(2026, 12, 1), "09:00") == 0
    [unknown], _ = run(ActionBookingStart(), tracker("hủy lịch LHZZZZZ9", "book_appointment"))
    assert unknown["response"] == "utter_booking_unknown"


def test_a_name_that_reads_like_a_topic_is_a_name_and_a_topic_is_not() -> None:
    # The classifier takes "Lê Văn Cường" for a bare topic (ask_procedure); the slot takes it as text.
    assert validate("booking_name", "Lê Văn Cường")[0] == {"booking_name": "Lê Văn Cường"}
    assert validate("booking_name", "Đỗ Quang Huy")[0] == {"booking_name": "Đỗ Quang Huy"}
    refused, messages = validate("booking_name", "khai sinh")
    assert refused == {"booking_name": None} and messages[0]["response"] == "utter_booking_name_invalid"
