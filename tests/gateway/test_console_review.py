"""The officers' console as issue #13 asks (without a browser; the phone-sized screens are in
test_console_phone.py): times in Asia/Ho_Chi_Minh on a server that runs on UTC, spreadsheets
with numbers and dates, answers rated 👎 and answered on a weak understanding, no procedure
pre-selected for an unanswered group unless retrieval is confident, QR codes at the counter
(links, preview, PDF decoded), and the Telegram /start parameter of those codes."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT, Gateway
from test_console import PASSWORD, csrf_of, login

from tthc.records import RecordStore
from tthc.records.accounts import Accounts
from tthc.records.schema import ratings, turns


@pytest.fixture
def utc_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's clock on UTC, as on most servers (the gateway runs in this process)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def officer(gateway: Gateway, records: RecordStore, role: str = "editor") -> str:
    Accounts(records).add("Lan", role, PASSWORD)
    return csrf_of(login(gateway, "Lan").text)


def test_times_are_shown_in_viet_nam_time_on_a_utc_server(
    utc_server: None, gateway: Gateway, records: RecordStore
) -> None:
    ticket = records.create_ticket("web:1", "web", "UBND phường", "Đèn đường hỏng", "0905123456")
    stored = dt.datetime(2026, 7, 1, 2, 30)  # UTC: 09:30 in Viet Nam
    with records.engine.begin() as db:
        db.exec_driver_sql("UPDATE tickets SET created_at = ? WHERE code = ?", (str(stored), ticket.code))
    officer(gateway, records)
    listing = gateway.client.get("/admin/tickets").text
    assert "01/07/2026 09:30" in listing and "01/07/2026 02:30" not in listing
    assert "01/07/2026 09:30" in gateway.client.get(f"/admin/tickets/{ticket.code}").text
    # A question asked at 06:00 in Viet Nam (23:00 UTC the day before) counts on its own day.
    records.log_turn("web:2", "web", "làm khai sinh", "ask_documents", 0.9, "khai-sinh", "answered",
                     at=dt.datetime(2026, 6, 30, 23, 0))  # fmt: skip
    day = gateway.client.get("/admin/dashboard", params={"from": "2026-07-01", "to": "2026-07-01"}).text
    assert re.search(r'<div class="value">1</div><div class="label">Số tin nhắn', day), "counted on 1 July"
    before = gateway.client.get("/admin/dashboard", params={"from": "2026-06-30", "to": "2026-06-30"}).text
    assert re.search(r'<div class="value">0</div><div class="label">Số tin nhắn', before)


def test_exports_keep_numbers_and_dates(utc_server: None, gateway: Gateway, records: RecordStore) -> None:
    from openpyxl import load_workbook

    records.create_ticket("web:1", "web", "UBND", '=HYPERLINK("x")', "0905123456")
    officer(gateway, records)
    book = load_workbook(io.BytesIO(gateway.client.get("/admin/tickets", params={"format": "xlsx"}).content))
    header, row = list(book.active.iter_rows(values_only=True))[:2]
    assert header[1] == "Ngày gửi" and isinstance(row[1], dt.datetime)  # a date Excel can sort and filter
    assert isinstance(row[4], str) and not row[4].startswith("=")  # text stays text, never a formula
    assert book.active["B2"].number_format == "dd/mm/yyyy hh:mm"


def test_answers_rated_down_and_weakly_understood_are_listed(gateway: Gateway, records: RecordStore) -> None:
    now = dt.datetime.now().replace(microsecond=0)
    records.log_turn("web:1", "web", "giấy phép karaoke cần gì", "ask_documents", 0.92, "giay-phep-xay-dung",
                     "answered", at=now)  # fmt: skip
    records.add_rating("web:1", "web", False, "giay-phep-xay-dung")
    records.log_turn("web:2", "web", "con tôi mất giấy tờ", "ask_documents", 0.31, "khai-sinh", "answered", at=now)
    records.log_turn("web:3", "web", "làm khai sinh cần gì", "ask_documents", 0.97, "khai-sinh", "answered", at=now)
    with records.engine.connect() as db:
        assert db.execute(ratings.select()).all() and len(db.execute(turns.select()).all()) == 3
    officer(gateway, records, "viewer")
    page = html.unescape(gateway.client.get("/admin/quality").text)
    down = page.split('id="rated-down"')[1].split("</section>")[0]
    weak = page.split('id="low-confidence"')[1].split("</section>")[0]
    assert "giấy phép karaoke cần gì" in down and "Cấp giấy phép xây dựng nhà ở riêng lẻ" in down
    assert "Hỏi hồ sơ, giấy tờ" in down and "/admin/preview?q=" in down
    assert "con tôi mất giấy tờ" in weak and "31,0%" in weak
    assert "làm khai sinh cần gì" not in weak and "giấy phép karaoke" not in weak
    assert 'href="/admin/quality"' in page  # in the menu


def test_no_procedure_is_preselected_unless_retrieval_is_confident(
    editable: tuple[Gateway, Path], records: RecordStore
) -> None:
    gateway, _ = editable
    now = dt.datetime.now().replace(microsecond=0)
    for text in ("giấy phép bán rượu", "làm giấy khai sinh cho con mới sinh cần những gì"):
        records.log_turn("web:1", "web", text, "nlu_fallback", 0.2, "giay-phep-xay-dung", "fallback", at=now)
    csrf = officer(gateway, records)
    page = gateway.client.get("/admin/unanswered").text
    groups = {html.unescape(m.group(1)): m.group(2) for m in re.finditer(
        r'name="question" value="([^"]+)".*?<select name="slug" required>(.*?)</select>', page, re.S)}  # fmt: skip
    assert len(groups) == 2, groups
    wine = groups["giấy phép bán rượu"]  # a clarification guessed the building permit: not kept
    assert '<option value="" selected>' in wine and "selected>" not in wine.split("</option>", 1)[1]
    assert "Chưa chắc chắn; có thể là: Cấp giấy phép xây dựng" in html.unescape(page)
    assert re.search(r'<option value="khai-sinh" selected>', groups["làm giấy khai sinh cho con mới sinh cần những gì"])
    # Posting without a procedure is refused with a sentence, nothing written.
    refused = gateway.client.post("/admin/unanswered/promote", data={"csrf": csrf, "slug": "", "question": "x"})
    assert refused.status_code == 422 and "Hãy chọn thủ tục" in html.unescape(refused.text)


@pytest.fixture
def editable(make_gateway: Any, rasa: Any, tmp_path: Path) -> tuple[Gateway, Path]:
    content = tmp_path / "editable-content"
    shutil.copytree(REPO_ROOT / "content", content, ignore=shutil.ignore_patterns("README.md"))
    return make_gateway(rasa.url, content_dir=content, locality="da-nang"), content


# --- QR codes at the counter --------------------------------------------------------------------


def test_qr_page_previews_the_links_of_the_chosen_procedures(gateway: Gateway, records: RecordStore) -> None:
    officer(gateway, records, "viewer")
    page = gateway.client.get(
        "/admin/qr", params={"p": ["khai-sinh", "ket-hon"], "web_url": "https://tro-ly.example.vn"}
    )
    text = html.unescape(page.text)
    assert page.status_code == 200 and "Xem trước (2 mã)" in text
    assert "https://tro-ly.example.vn/?p=khai-sinh" in text and "https://tro-ly.example.vn/?p=ket-hon" in text
    assert text.count('<svg class="segno"') == 2 or text.count("<svg") >= 2
    telegram = html.unescape(gateway.client.get("/admin/qr", params={"p": "khai-sinh", "channel": "telegram",
                                                                      "bot": "TroLyAoThuBot"}).text)  # fmt: skip
    assert "https://t.me/TroLyAoThuBot?start=khai-sinh" in telegram
    bad = gateway.client.get("/admin/qr", params={"channel": "telegram", "bot": "x"}).text
    assert "Hãy nhập tên bot Telegram" in html.unescape(bad)
    local = html.unescape(gateway.client.get("/admin/qr", params={"p": "khai-sinh"}).text)
    assert "chỉ mở được trên máy chủ" in local  # the default address is the server's own: warned


ZBAR = shutil.which("zbarimg")
POPPLER = shutil.which("pdftoppm")


def decode(pdf: bytes, folder: Path) -> list[str]:
    """Every QR code in the PDF, read by zbar from the pages rendered at 150 dpi."""
    (folder / "codes.pdf").write_bytes(pdf)
    subprocess.run([POPPLER, "-png", "-r", "150", str(folder / "codes.pdf"), str(folder / "page")], check=True)
    found: list[str] = []
    for png in sorted(folder.glob("page*.png")):
        out = subprocess.run([ZBAR, "-q", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)],
                             capture_output=True, text=True)  # fmt: skip
        found += out.stdout.split()
    return found


@pytest.mark.skipif(not (ZBAR and POPPLER), reason="zbarimg (zbar-tools) or pdftoppm (poppler-utils) missing")
def test_qr_pdf_download_decodes_to_the_procedures_links(
    gateway: Gateway, records: RecordStore, tmp_path: Path
) -> None:
    if not (REPO_ROOT / ".venv" / "bin" / "trolyao").exists():
        pytest.skip("Rasa venv absent: no PDF")
    officer(gateway, records, "viewer")
    slugs = ["khai-sinh", "ket-hon", "khai-tu"]
    params = {"p": slugs, "layout": "poster", "counter": "Quầy số 3 - Tư pháp, hộ tịch",
              "web_url": "https://tro-ly.example.vn"}  # fmt: skip
    response = gateway.client.get("/admin/qr.pdf", params=params, timeout=120)
    assert response.status_code == 200, response.text[-500:]
    assert response.headers["content-type"] == "application/pdf" and response.content.startswith(b"%PDF")
    assert sorted(decode(response.content, tmp_path)) == sorted(f"https://tro-ly.example.vn/?p={s}" for s in slugs)


def test_telegram_start_parameter_asks_for_the_procedure_overview() -> None:
    from connectors.channels.telegram import incoming_from_json

    def said(text: str) -> str | None:
        update = {"update_id": 7, "message": {"message_id": 1, "chat": {"id": 42, "type": "private"}, "text": text}}
        found = incoming_from_json(update, lambda _: None)
        return found.text if found else None

    assert said("/start khai-sinh") == '/ask_procedure{"procedure":"khai-sinh"}'
    assert said("/start") == "/greet"
    assert said("/start ../../etc") == "/greet"  # not a procedure code: a greeting
