"""The console and the official catalogue (issue 12, part 6): officers search the catalogue; the
dashboard shows the catalogue procedures citizens ask about most (candidates for a curated file)
and the questions that got "not in the catalogue", grouped; an editor promotes a catalogue
procedure into a draft curated file in one step (CSRF-checked POST, editor role).

The record's facts the tests expect (1.012786, "Cấp lại Giấy chứng nhận do bị mất") were read from
the record in content/catalogue/bo-nong-nghiep-mt.jsonl. A phone test looks at the pages in
headless Chromium at 390x844 (TROLYAO_SCREENSHOTS=DIR keeps the screens)."""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import test_gateway_browser
import yaml
from conftest import REPO_ROOT, Gateway
from test_console import PASSWORD, csrf_of, login, snapshot
from test_console_phone import NARROWEST_CELL, fits_the_phone, phone, shoot
from test_gateway_browser import browser  # noqa: F401  (the fixture)

from tthc.content import check_content
from tthc.records import RecordStore
from tthc.records.accounts import Accounts

LOST = "1.012786"  # Cấp lại Giấy chứng nhận do bị mất (land-use certificate): no curated file cites it
LOST_NAME = "Cấp lại Giấy chứng nhận do bị mất"
LOST_URL = "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/019d2bfa-76c7-75db-b936-ff88fe49d880"
LOST_SLUG = "cap-lai-giay-chung-nhan-do-bi-mat"
REMOVE_RESIDENCE = "1.003197"  # Xóa đăng ký thường trú
RESIDENCE = "1.004222"  # Đăng ký thường trú: cited by the curated dang-ky-thuong-tru
DECLINED = {
    "clinic": [
        "xin giấy phép mở phòng khám tư ở đâu",
        "giấy phép mở phòng khám tư cần gì",
        "xin giay phep mo phong kham tu",
    ],
    "visa": ["thủ tục xin visa đi Mỹ", "xin visa di my can gi"],
}


def text_of(response: Any) -> str:
    return html.unescape(response.text)


def section(page: str, ident: str) -> str:
    match = re.search(rf'<section class="card" id="{ident}">(.*?)</section>', page, re.S)
    assert match, f"no section #{ident}"
    return match.group(1)


def seed(records: RecordStore) -> None:
    now = dt.datetime.now().replace(microsecond=0) - dt.timedelta(minutes=5)
    turn = records.log_turn
    for n, sender in enumerate(["web:a", "web:a", "zalo:b", "telegram:c", "web:d"]):
        turn(sender, sender.split(":")[0], "mất sổ đỏ làm lại thế nào", "ask_documents", 0.9, LOST, "answered",
             at=now - dt.timedelta(minutes=n))  # fmt: skip
    turn("web:e", "web", "mất sổ đỏ à", "ask_procedure", 0.5, LOST, "clarified", at=now)  # not an answer
    for sender in ("web:f", "web:g"):
        turn(sender, "web", "xóa hộ khẩu thường trú", "ask_procedure", 0.9, REMOVE_RESIDENCE, "answered", at=now)
    for n in range(7):  # curated procedures: by slug, or by a code a curated file cites
        turn(f"web:h{n}", "web", "đăng ký thường trú", "ask_documents", 0.9, RESIDENCE if n % 2 else "khai-sinh",
             "answered", at=now)  # fmt: skip
    for topic, texts in DECLINED.items():
        for n, text in enumerate(texts):
            turn(f"web:{topic}{n}", "web", text, "ask_where", 0.8, None, "declined", at=now)
    turn("web:x", "web", "abcxyz", "nlu_fallback", 0.2, None, "fallback", at=now)  # not "not in the catalogue"


@pytest.fixture
def editable(make_gateway: Any, rasa: Any, tmp_path: Path) -> tuple[Gateway, Path]:
    """A gateway on its own copy of the real content, catalogue included, which it may change."""
    content = tmp_path / "editable-content"
    shutil.copytree(REPO_ROOT / "content", content, ignore=shutil.ignore_patterns("README.md", "drafts"))
    return make_gateway(rasa.url, content_dir=content, locality="da-nang"), content


def test_officers_search_the_catalogue_by_name_or_code(gateway: Gateway, records: RecordStore) -> None:
    Accounts(records).add("Xem", "viewer", PASSWORD)
    login(gateway, "Xem")
    empty = text_of(gateway.client.get("/admin/catalogue"))
    assert "Danh mục có 2.625 thủ tục" in empty and 'href="/admin/catalogue"' in empty  # and in the menu

    found = text_of(gateway.client.get("/admin/catalogue", params={"q": "cap lai giay chung nhan do bi mat"}))
    rows = re.findall(r'<a href="/admin/catalogue/([^"]+)">([^<]+)</a>', found)
    assert rows[0] == (LOST, LOST_NAME), rows[:3]
    first_row = found.split("<tbody>")[1].split("</tr>")[0]
    assert "Cấp tỉnh" in first_row and "Đất đai" in first_row and "Chưa có" in first_row

    accented = text_of(gateway.client.get("/admin/catalogue", params={"q": "đăng ký khai sinh"}))
    first = accented.split("<tbody>")[1].split("</tr>")[0]
    assert "1.001193" in first and "Thủ tục đăng ký khai sinh" in first
    assert '<a href="/admin/content/khai-sinh">Có (khai-sinh)</a>' in first  # a curated file already cites it

    by_code = text_of(gateway.client.get("/admin/catalogue", params={"q": LOST}))
    assert re.findall(r'<a href="/admin/catalogue/([^"]+)">', by_code) == [LOST]
    nothing = text_of(gateway.client.get("/admin/catalogue", params={"q": "qqq zzz xyzw"}))
    assert "Không có thủ tục nào có các chữ này" in nothing

    record = text_of(gateway.client.get(f"/admin/catalogue/{LOST}"))
    assert f"<h1>{LOST_NAME}</h1>" in record and LOST_URL in record
    assert "20 Ngày làm việc" in record and "Bản gốc Giấy chứng nhận đã cấp." in record
    assert "Cần quyền biên tập" in record and 'action="/admin/catalogue/' not in record  # a viewer cannot promote
    assert gateway.client.get("/admin/catalogue/9.999999").status_code == 404


def test_dashboard_shows_catalogue_candidates_and_declined_questions_grouped(
    gateway: Gateway, records: RecordStore
) -> None:
    accounts = Accounts(records)
    accounts.add("Xem", "viewer", PASSWORD)
    accounts.add("Sua", "editor", PASSWORD)
    seed(records)
    page = text_of(login(gateway, "Xem"))
    candidates = section(page, "catalogue-candidates")
    rows = [row for row in candidates.split("<tbody>")[1].split("</tr>") if "<td" in row]
    assert len(rows) == 2, rows  # curated procedures (slug, or a code a curated file cites) are not candidates
    cells = [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", rows[0], re.S)]
    assert cells == [LOST_NAME, LOST, "Cấp tỉnh", "5", "4", "Chưa có"]  # 5 answers to 4 citizens
    assert f'href="/admin/catalogue/{LOST}"' in rows[0] and "Xóa đăng ký thường trú" in rows[1]
    assert RESIDENCE not in candidates and "Tạo bản nháp</button>" not in candidates  # a viewer
    outcome = '<td data-label="Kết quả">Không có trong danh mục</td><td data-label="Số tin nhắn">5</td>'
    assert outcome in page  # the outcomes table names "declined" in Vietnamese

    declined = section(page, "declined")
    assert "(5 tin nhắn)" in declined
    groups = re.findall(r'<li class="card group"><p><strong>(\d+)</strong> tin nhắn</p><ul class="examples">(.*?)</ul>',
                        declined, re.S)  # fmt: skip
    assert [int(count) for count, _ in groups] == [3, 2]
    assert all(text in groups[0][1] for text in DECLINED["clinic"]) and "visa" not in groups[0][1]
    assert all(text in groups[1][1] for text in DECLINED["visa"])
    assert "abcxyz" not in declined
    assert 'href="/admin/catalogue?q=' in declined  # "is it really not in the catalogue?"

    gateway.client.cookies.clear()
    editor = text_of(login(gateway, "Sua"))
    first = section(editor, "catalogue-candidates").split("<tbody>")[1].split("</tr>")[0]
    assert f'action="/admin/catalogue/{LOST}/promote"' in first and 'name="csrf"' in first


def test_promote_a_catalogue_procedure_in_one_step(editable: tuple[Gateway, Path], records: RecordStore) -> None:
    gateway, content = editable
    accounts = Accounts(records)
    accounts.add("Xem", "viewer", PASSWORD)
    accounts.add("Sua", "editor", PASSWORD)
    before = snapshot(content)
    target = content / "drafts" / f"{LOST_SLUG}.yml"
    promote = f"/admin/catalogue/{LOST}/promote"

    login(gateway, "Xem")
    viewer_token = csrf_of(gateway.client.get(f"/admin/catalogue/{LOST}").text)
    refused = gateway.client.post(promote, data={"csrf": viewer_token, "slug": LOST_SLUG})
    assert refused.status_code == 403 and "quyền biên tập" in text_of(refused)

    gateway.client.cookies.clear()
    login(gateway, "Sua")
    record = text_of(gateway.client.get(f"/admin/catalogue/{LOST}"))
    assert f'action="{promote}"' in record and f'name="slug" value="{LOST_SLUG}"' in record
    token = csrf_of(record)
    for label, data in (("no token", {"slug": LOST_SLUG}), ("a forged token", {"slug": LOST_SLUG, "csrf": "x"})):
        refused = gateway.client.post(promote, data=data, follow_redirects=False)
        assert refused.status_code == 403 and "mã chống giả mạo" in text_of(refused), label
    assert snapshot(content) == before and not target.exists()

    done = gateway.client.post(promote, data={"csrf": token, "slug": LOST_SLUG}, follow_redirects=False)
    assert (
        done.status_code == 303 and done.headers["location"] == f"/admin/catalogue/{LOST}?drafted={LOST_SLUG}#drafted"
    )
    after = snapshot(content)
    assert {name for name in after if after[name] != before.get(name)} == {f"drafts/{LOST_SLUG}.yml"}
    draft = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert draft["codes"] == [{"code": LOST, "name": LOST_NAME, "level": "Cấp tỉnh", "url": LOST_URL}]
    assert "10 ngày làm việc" in draft["processing_time"] and "20 ngày làm việc" in draft["processing_time"]
    assert "Bản gốc Giấy chứng nhận đã cấp." in [d["name"] for d in draft["documents"]]
    assert any("151/2025/NĐ-CP" in entry for entry in draft["legal_basis"])
    assert draft["verified"] is False and draft["faqs"] == []
    assert check_content(content).ok  # the live content is as it was: the assistant never reads drafts

    shown = text_of(gateway.client.get(done.headers["location"]))
    assert f"Đã tạo bản nháp drafts/{LOST_SLUG}.yml" in re.sub(r"</?code>", "", shown)
    assert "<details" in shown and "slug: cap-lai-giay-chung-nhan-do-bi-mat" in shown
    assert f"Đã có bản nháp cho thủ tục này: drafts/{LOST_SLUG}.yml" in shown and f'action="{promote}"' not in shown

    again = gateway.client.post(promote, data={"csrf": token, "slug": LOST_SLUG})
    assert again.status_code == 409 and f"Đã có tệp drafts/{LOST_SLUG}.yml" in text_of(again)
    curated = gateway.client.post("/admin/catalogue/1.001193/promote", data={"csrf": token, "slug": "khai-sinh-moi"})
    assert curated.status_code == 409 and "đã có tệp nội dung riêng (khai-sinh)" in text_of(curated)
    bad = gateway.client.post("/admin/catalogue/1.003197/promote", data={"csrf": token, "slug": "Xóa thường trú"})
    assert bad.status_code == 409 and "không hợp lệ" in text_of(bad)
    assert snapshot(content) == after


@pytest.mark.skipif(
    not (test_gateway_browser.CHROMIUM.exists() and test_gateway_browser.CHROMEDRIVER.exists()),
    reason="Chromium not installed (run scripts/ensure-test-packages.sh)",
)
def test_catalogue_pages_on_a_phone(
    browser: Any,  # noqa: F811
    editable: tuple[Gateway, Path],
    records: RecordStore,
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    gateway, content = editable
    Accounts(records).add("Nguyễn Thị Lan", "editor", PASSWORD)
    seed(records)
    wait = WebDriverWait(browser, 10)
    url = gateway.server.url
    phone(browser)
    browser.get(url + "/admin/dashboard")
    wait.until(ready.presence_of_element_located((By.NAME, "name"))).send_keys("Nguyễn Thị Lan")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()
    wait.until(ready.presence_of_element_located((By.ID, "catalogue-candidates")))
    assert fits_the_phone(browser)
    browser.execute_script("document.getElementById('catalogue-candidates').scrollIntoView()")
    shoot(browser, "console-catalogue-candidates-phone")
    browser.execute_script("document.getElementById('declined').scrollIntoView()")
    shoot(browser, "console-declined-phone")

    browser.get(url + "/admin/catalogue?q=cap+lai+giay+chung+nhan")
    wait.until(ready.presence_of_element_located((By.ID, "found")))
    assert fits_the_phone(browser)
    narrowest = browser.execute_script(NARROWEST_CELL)
    assert narrowest is None or narrowest >= 150, f"a cell {narrowest}px wide"
    shoot(browser, "console-catalogue-search-phone")

    browser.get(url + f"/admin/catalogue/{LOST}")
    wait.until(ready.presence_of_element_located((By.ID, "promote")))
    assert fits_the_phone(browser)
    shoot(browser, "console-catalogue-record-phone")
    for part in ("record-facts", "record-ways", "record-documents"):
        browser.execute_script(f"document.getElementById('{part}').scrollIntoView()")
        shoot(browser, f"console-catalogue-{part}-phone")
    browser.find_element(By.CSS_SELECTOR, "#promote button").click()  # one step
    wait.until(ready.presence_of_element_located((By.ID, "drafted")))
    assert (content / "drafts" / f"{LOST_SLUG}.yml").exists()
    assert fits_the_phone(browser)
    browser.find_element(By.CSS_SELECTOR, "#drafted summary").click()
    shoot(browser, "console-catalogue-drafted-phone")
