"""The officers' admin API (/admin/api) and the delivery of their messages to citizens on the
channel they used: Zalo OA (fake Zalo API), the web chat (/api/inbox). Issue 5."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging

import pytest
from conftest import (
    ADMIN_TOKEN,
    Gateway,
    MakeGateway,
    Served,
    officer_settings,
    wait_ready,
    wait_until,
    zalo_settings,
)
from openpyxl import load_workbook

from connectors import messages
from connectors.delivery import Backoff
from connectors.exports import mask_phone, safe_cell
from connectors.settings import Settings, SettingsError
from tthc.records import RecordStore

DAY = dt.date(2026, 12, 1)


@pytest.fixture
def admin_gateway(make_gateway: MakeGateway, rasa: Served, actions: Served) -> Gateway:
    return make_gateway(rasa.url, actions.url, admin_token=ADMIN_TOKEN)


@pytest.fixture
def zalo_gateway(make_gateway: MakeGateway, rasa: Served, actions: Served, zalo_api: Served) -> Gateway:
    gateway = make_gateway(rasa.url, actions.url, **zalo_settings(zalo_api), **officer_settings())
    wait_ready(gateway, "zalo")
    return gateway


def zalo_texts(zalo_api: Served, user_id: str) -> list[str]:
    return [
        call.params["message"].get("text", "")
        for call in zalo_api.fake.named("cs")
        if call.ok and call.params["recipient"]["user_id"] == user_id
    ]


# --- authentication ---------------------------------------------------------------------------


def test_admin_api_refuses_without_a_configured_token(gateway: Gateway) -> None:
    response = gateway.admin("GET", "/tickets", token="anything-at-all-0123")
    assert response.status_code == 503
    assert "chưa cấu hình" in response.json()["error"]


def test_admin_api_refuses_a_missing_or_wrong_token(admin_gateway: Gateway) -> None:
    missing = admin_gateway.admin("GET", "/tickets", token="")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == "Bearer"
    assert missing.json() == {"error": messages.ADMIN_TOKEN_MISSING}
    wrong = admin_gateway.admin("GET", "/tickets", token=ADMIN_TOKEN + "x")
    assert wrong.status_code == 401 and wrong.json() == {"error": messages.ADMIN_TOKEN_WRONG}
    basic = admin_gateway.client.get("/admin/api/tickets", headers={"Authorization": f"Basic {ADMIN_TOKEN}"})
    assert basic.status_code == 401
    for path in ("/handoffs", "/bookings", "/ratings/summary", "/tickets/PAXXXXXX"):
        assert admin_gateway.admin("GET", path, token="").status_code == 401
    assert admin_gateway.admin("POST", "/handoffs/1/close", token="").status_code == 401
    ok = admin_gateway.admin("GET", "/tickets")
    assert ok.status_code == 200 and ok.json() == {"tickets": []}
    assert ok.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("token", ["changeme", "<your-admin-token>", "short-token"])
def test_placeholder_or_short_admin_token_keeps_the_api_off(
    make_gateway: MakeGateway, rasa: Served, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="connectors.app"):
        gateway = make_gateway(rasa.url, admin_token=token)
    assert "Admin API not started: TROLYAO_ADMIN_TOKEN" in caplog.text
    assert gateway.admin("GET", "/tickets", token=token).status_code == 503


def test_officer_settings_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "TROLYAO_ADMIN_TOKEN": ADMIN_TOKEN,
            "OFFICERS_TELEGRAM_CHAT_ID": "-1001234567890",
            "TROLYAO_HANDOFF_TIMEOUT_MIN": "45",
        }
    )
    assert settings.admin_enabled and ADMIN_TOKEN not in repr(settings)
    assert settings.officers_telegram_chat_id == "-1001234567890"
    assert settings.handoff_timeout == dt.timedelta(minutes=45)
    assert Settings.from_env({}).handoff_timeout == dt.timedelta(minutes=30)
    assert not Settings.from_env({}).admin_enabled
    with pytest.raises(SettingsError, match="OFFICERS_TELEGRAM_CHAT_ID"):
        Settings.from_env({"OFFICERS_TELEGRAM_CHAT_ID": "nhóm cán bộ"})
    with pytest.raises(SettingsError, match="TROLYAO_HANDOFF_TIMEOUT_MIN"):
        Settings.from_env({"TROLYAO_HANDOFF_TIMEOUT_MIN": "0"})


# --- tickets ----------------------------------------------------------------------------------


def test_tickets_listed_masked_opened_unmasked_and_logged(
    admin_gateway: Gateway, records: RecordStore, caplog: pytest.LogCaptureFixture
) -> None:
    ticket = records.create_ticket("api:w1", "api", "Bộ phận một cửa", "Gọi lại cho tôi số 0905123456", "0905123456")
    listed = admin_gateway.admin("GET", "/tickets", params={"status": "open"}).json()["tickets"]
    assert [t["code"] for t in listed] == [ticket.code]
    assert listed[0]["phone"] == "*******456" and "0905123456" not in str(listed)
    assert admin_gateway.admin("GET", "/tickets", params={"status": "answered"}).json() == {"tickets": []}
    assert admin_gateway.admin("GET", "/tickets", params={"status": "x"}).status_code == 422

    with caplog.at_level(logging.INFO, logger="connectors.admin.audit"):
        opened = admin_gateway.admin("GET", f"/tickets/{ticket.code.lower()}", headers={"X-Officer": "canbo1"})
    assert opened.status_code == 200
    assert opened.json()["ticket"]["phone"] == "0905123456"
    assert "0905123456" in opened.json()["ticket"]["content"]
    assert f"ticket {ticket.code} opened" in caplog.text and "canbo1" in caplog.text
    assert admin_gateway.admin("GET", "/tickets/PAZZZZZZ").status_code == 404


def test_ticket_answer_reaches_a_web_citizen(admin_gateway: Gateway, records: RecordStore) -> None:
    ticket = records.create_ticket("api:w1", "api", "Phường Hải Châu", "Hướng dẫn chưa rõ", None)
    answered = admin_gateway.admin(
        "POST",
        f"/tickets/{ticket.code}/answer",
        json={"answer": "Đã chấn chỉnh.", "officer": "canbo1"},
    )
    assert answered.status_code == 200 and answered.json()["ticket"]["status"] == "answered"
    assert records.ticket(ticket.code).status == "answered"
    assert admin_gateway.inbox("w1") == [{"text": f"Trả lời phản ánh {ticket.code}: Đã chấn chỉnh."}]
    assert admin_gateway.inbox("w1") == []
    missing = admin_gateway.admin("POST", "/tickets/PAZZZZZZ/answer", json={"answer": "x", "officer": "a"})
    assert missing.status_code == 404
    empty = admin_gateway.admin("POST", f"/tickets/{ticket.code}/answer", json={"answer": "", "officer": "a"})
    assert empty.status_code == 422


def test_ticket_answer_comes_with_the_next_chat_answer(admin_gateway: Gateway, records: RecordStore) -> None:
    ticket = records.create_ticket("api:w3", "api", "Phường", "Nội dung", None)
    admin_gateway.admin("POST", f"/tickets/{ticket.code}/answer", json={"answer": "Đã xử lý.", "officer": "a"})
    body = admin_gateway.chat("xin chào", sender_id="w3").json()
    assert body["replies"] == [
        {"text": f"Trả lời phản ánh {ticket.code}: Đã xử lý."},
        {"text": "Bạn hỏi: xin chào"},
    ]
    assert admin_gateway.inbox("w3") == []


def test_ticket_answer_reaches_a_zalo_oa_citizen(zalo_gateway: Gateway, zalo_api: Served, records: RecordStore) -> None:
    ticket = records.create_ticket("zalo:5551234", "zalo", "UBND phường", "Thái độ tiếp dân", None)
    response = zalo_gateway.admin(
        "POST",
        f"/tickets/{ticket.code}/answer",
        json={"answer": "Cảm ơn phản ánh của bạn.", "officer": "a"},
    )
    assert response.status_code == 200
    expected = f"Trả lời phản ánh {ticket.code}: Cảm ơn phản ánh của bạn."
    zalo_api.fake.wait_for(lambda _: expected in zalo_texts(zalo_api, "5551234"), what="Zalo answer")
    wait_until(lambda: records.undelivered() == [], what="marked delivered")
    assert zalo_texts(zalo_api, "5551234") == [expected]  # once


def test_a_failed_delivery_stays_queued_and_is_retried(
    zalo_gateway: Gateway, zalo_api: Served, records: RecordStore
) -> None:
    zalo_api.fake.outside_window.add("5550000")  # Zalo refuses: -230
    ticket = records.create_ticket("zalo:5550000", "zalo", "UBND phường", "Nội dung", None)
    zalo_gateway.admin("POST", f"/tickets/{ticket.code}/answer", json={"answer": "Đã xử lý.", "officer": "a"})
    zalo_api.fake.wait_for(lambda r: any(not c.ok for c in r.named("cs")), what="a refused send")
    assert len(records.undelivered()) == 1
    zalo_api.fake.outside_window.clear()  # the citizen wrote again: the window is open
    zalo_api.fake.wait_for(lambda _: zalo_texts(zalo_api, "5550000") != [], timeout=15, what="retry")
    wait_until(lambda: records.undelivered() == [], what="marked delivered")


def test_messages_for_a_channel_that_is_off_wait(admin_gateway: Gateway, records: RecordStore) -> None:
    records.queue_for_citizen("tg:42", "tg", "Trả lời")
    assert admin_gateway.inbox("42") == []  # never handed to a web citizen
    assert len(records.undelivered()) == 1


def test_backoff_grows_and_is_capped() -> None:
    backoff = Backoff(first_s=2, max_s=10)
    assert backoff.due("m", now=0)
    assert [backoff.failed("m", now=0) for _ in range(5)] == [2, 4, 8, 10, 10]
    assert not backoff.due("m", now=9) and backoff.due("m", now=10)
    backoff.forget("m")
    assert backoff.due("m", now=0)


# --- bookings export --------------------------------------------------------------------------


def book(records: RecordStore) -> None:
    records.book(
        "api:1",
        "api",
        "can-cuoc",
        "Trung tâm Hành chính",
        DAY,
        "08:00",
        "Nguyễn Văn An",
        "0905123456",
        5,
    )
    records.book("tg:2", "tg", "ho-chieu", "Trung tâm Hành chính", DAY + dt.timedelta(days=2), "09:00",
                 '=HYPERLINK("http://x","y")', "0912345678", 5)  # fmt: skip


def test_bookings_export_csv_masked_by_default(admin_gateway: Gateway, records: RecordStore) -> None:
    book(records)
    response = admin_gateway.admin("GET", "/bookings", params={"from": "2026-12-01", "to": "2026-12-31"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="lich-hen-2026-12-01-2026-12-31.csv"' in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the accents
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0][:3] == ["Mã lịch hẹn", "Ngày", "Giờ"]
    assert [row[1] for row in table[1:]] == ["2026-12-01", "2026-12-03"]
    assert table[1][5:8] == ["Nguyễn Văn An", "*******456", "Đã đặt"]
    assert table[2][5].startswith("'=")  # never a formula in a spreadsheet
    assert "0905123456" not in response.text

    first_day = admin_gateway.admin("GET", "/bookings", params={"to": "2026-12-01"})
    assert len(list(csv.reader(io.StringIO(first_day.content.decode("utf-8-sig"))))) == 2
    assert admin_gateway.admin("GET", "/bookings", params={"from": "01/12/2026"}).status_code == 422
    assert admin_gateway.admin("GET", "/bookings", params={"format": "pdf"}).status_code == 422


def test_bookings_export_xlsx_and_unmasked_is_logged(
    admin_gateway: Gateway, records: RecordStore, caplog: pytest.LogCaptureFixture
) -> None:
    book(records)
    with caplog.at_level(logging.INFO, logger="connectors.admin.audit"):
        response = admin_gateway.admin(
            "GET",
            "/bookings",
            params={"format": "xlsx", "unmasked": "1"},
            headers={"X-Officer": "lan"},
        )
    assert response.status_code == 200
    assert "UNMASKED" in caplog.text and "lan" in caplog.text
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Mã lịch hẹn" and len(values) == 3
    assert values[1][5:7] == ["Nguyễn Văn An", "0905123456"]
    assert values[2][5] == '=HYPERLINK("http://x","y")'
    assert sheet.cell(row=3, column=6).data_type == "s"  # text, not a formula
    masked = admin_gateway.admin("GET", "/bookings", params={"format": "json"}).json()["bookings"]
    assert [b["phone"] for b in masked] == ["*******456", "*******678"]


def test_mask_phone_and_safe_cell() -> None:
    assert mask_phone("0905 123 456") == "**** *** 456"
    assert mask_phone("12345") == "**345" and mask_phone(None) is None
    assert safe_cell("-1+1") == "'-1+1" and safe_cell("An") == "An"


# --- ratings ----------------------------------------------------------------------------------


def test_ratings_summary(admin_gateway: Gateway, records: RecordStore) -> None:
    for citizen, (useful, procedure) in enumerate(
        [
            (True, "khai-sinh"),
            (True, "khai-sinh"),
            (False, "khai-sinh"),
            (False, None),
        ]
    ):
        records.add_rating(f"api:{citizen}", "web", useful, procedure)  # one answer each: each counts
    summary = admin_gateway.admin("GET", "/ratings/summary").json()
    assert (summary["total"], summary["useful"], summary["not_useful"]) == (4, 2, 2)
    assert summary["useful_rate"] == 0.5
    assert summary["by_procedure"][0] == {"procedure": "khai-sinh", "useful": 2, "not_useful": 1}
    future = admin_gateway.admin("GET", "/ratings/summary", params={"from": "2999-01-01"}).json()
    assert future["total"] == 0 and future["useful_rate"] is None
