"""The officers' console and a counter's QR link on a phone, in a real headless Chromium at
390x844 (issue #13): chart labels are Vietnamese names at 12 px or more, no page scrolls
sideways, table cells are never squeezed to a letter's width, and the web chat opened by a
counter's QR link (/?p=khai-sinh) asks for that procedure's overview first.

Set TROLYAO_SCREENSHOTS=DIR to keep the screens (PNG) for a person to look at."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
import test_gateway_browser
from conftest import Gateway, Served
from gateway_fakes import ScriptedTurn
from test_gateway_browser import browser  # noqa: F401  (the fixture)

from tthc.records import RecordStore
from tthc.records.accounts import Accounts

pytestmark = getattr(test_gateway_browser, "pytestmark", [])
PASSWORD = "mật-khẩu-dài-123"
PROCEDURES = ["khai-sinh", "can-cuoc", "xac-nhan-tinh-trang-hon-nhan", "cap-gcn-lan-dau", "dang-ky-thuong-tru"]
INTENTS = ["ask_documents", "ask_fee", "ask_processing_time", "ask_online", "ask_where"]
OVERVIEW = '/ask_procedure{"procedure":"khai-sinh"}'

# Rendered size of every chart text that is shown: font size x the SVG's scale on screen.
CHART_TEXT = """
return Array.from(document.querySelectorAll('svg.chart text')).filter(function (t) {
  return getComputedStyle(t.ownerSVGElement).display !== 'none' && t.getScreenCTM();
}).map(function (t) {
  return [t.textContent, parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a];
});
"""
PAGE_TEXT = """
return Array.from(document.querySelectorAll(arguments[0])).map(function (el) {
  return [el.textContent.trim(), parseFloat(getComputedStyle(el).fontSize)];
});
"""
NARROWEST_CELL = """
var cells = Array.from(document.querySelectorAll('table td'))
  .filter(function (td) { return td.textContent.trim(); })
  .map(function (td) { return td.getBoundingClientRect().width; });
return cells.length ? Math.min.apply(null, cells) : null;
"""


def seed(records: RecordStore) -> None:
    now = dt.datetime.now().replace(microsecond=0)
    for n in range(60):
        channel = ["web", "telegram", "zalo"][n % 3]
        at = now - dt.timedelta(days=n % 12, minutes=n)
        records.log_turn(f"{channel}:{n}", channel, "hỏi thủ tục", INTENTS[n % 5], 0.9, PROCEDURES[n % 7 % 5],
                         "answered", at=at)  # fmt: skip
    records.log_turn(
        "web:w", "web", "con tôi mất giấy tờ thì sao", "ask_documents", 0.3, "khai-sinh", "answered", at=now
    )
    records.add_rating("web:w", "web", False, "khai-sinh")
    for n in range(4):
        records.create_ticket(f"zalo:{n}", "zalo", "UBND phường Hải Châu", "Đường Lê Duẩn đoạn gần chợ bị ngập nước "
                              "mỗi khi mưa lớn, đề nghị phường kiểm tra cống thoát nước", "0905123456")  # fmt: skip


def shoot(driver: Any, name: str) -> None:
    folder = os.environ.get("TROLYAO_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"{name}.png"))


def phone(driver: Any) -> None:
    """A 390x844 phone screen (headless Chromium keeps windows at least 500 px wide)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
    )


def fits_the_phone(driver: Any) -> bool:
    return bool(driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"))


def test_console_on_a_phone(browser: Any, gateway: Gateway, records: RecordStore) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    Accounts(records).add("Nguyễn Thị Lan", "editor", PASSWORD)
    seed(records)
    wait = WebDriverWait(browser, 10)
    url = gateway.server.url
    phone(browser)
    browser.get(url + "/admin/dashboard")
    wait.until(ready.presence_of_element_located((By.NAME, "name"))).send_keys("Nguyễn Thị Lan")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()
    wait.until(ready.presence_of_element_located((By.ID, "stats")))
    assert browser.execute_script("return window.innerWidth") == 390

    # Charts: Vietnamese names, no codes; every text at 12 px or more as shown on this phone.
    shown = browser.execute_script(CHART_TEXT)
    assert shown, "the day chart shows its text"
    small = [(text, round(px, 1)) for text, px in shown if px < 12]
    assert not small, small
    bars = browser.execute_script(PAGE_TEXT, ".hbars .name")
    names = [text for text, _ in bars]
    assert "Đăng ký khai sinh" in names and "Hỏi lệ phí" in names, names
    assert all(px >= 12 for _, px in bars), bars
    assert not {"khai-sinh", "ask_fee"} & set(browser.find_element(By.TAG_NAME, "main").text.split())
    assert fits_the_phone(browser)
    shoot(browser, "console-dashboard-phone")
    browser.execute_script("document.querySelector('svg.chart.narrow').scrollIntoView()")
    shoot(browser, "console-dashboard-phone-day-chart")
    browser.execute_script("document.querySelector('.grid2').scrollIntoView()")
    shoot(browser, "console-dashboard-phone-top-lists")

    # Tables: rows become cards; no cell is squeezed to a few letters' width.
    for path in ("/admin/tickets", "/admin/quality", "/admin/unanswered", "/admin/bookings", "/admin/qr"):
        browser.get(url + path)
        wait.until(ready.presence_of_element_located((By.TAG_NAME, "h1")))
        assert fits_the_phone(browser), path
        narrowest = browser.execute_script(NARROWEST_CELL)
        assert narrowest is None or narrowest >= 150, f"{path}: a cell {narrowest}px wide"
        shoot(browser, "console" + path.replace("/admin", "").replace("/", "-") + "-phone")
    browser.get(url + "/admin/quality")
    assert "con tôi mất giấy tờ thì sao" in browser.find_element(By.ID, "rated-down").text


def test_a_counter_qr_link_opens_the_chat_on_the_procedure_overview(
    browser: Any,  # noqa: F811
    gateway: Gateway,
    rasa: Served,
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    rasa.fake.script[OVERVIEW] = ScriptedTurn(
        [{"text": "Đăng ký khai sinh: đăng ký cho trẻ mới sinh tại UBND cấp xã."}], intent="ask_procedure"
    )
    phone(browser)
    browser.get(gateway.server.url + "/?p=khai-sinh")
    WebDriverWait(browser, 10).until(lambda b: "UBND cấp xã" in b.find_element(By.ID, "messages").text)
    assert rasa.fake.texts() == [OVERVIEW]  # the first message, before anything the citizen types
    assert "?p=" not in browser.current_url  # a reload does not ask again
    assert not browser.find_elements(By.CSS_SELECTOR, ".msg.user")  # no message shown as typed by the citizen
    shoot(browser, "webchat-qr-link-phone")
    browser.get(gateway.server.url + "/?p=../../etc")  # not a procedure code: nothing is sent
    browser.find_element(By.ID, "input")
    assert rasa.fake.texts() == [OVERVIEW]


@pytest.fixture(autouse=True)
def _pin_content(gateway: Gateway) -> None:
    """The test gateway reads a copy of the real content (procedure names)."""
    assert (Path(gateway.settings.content_dir) / "procedures" / "khai-sinh.yml").exists()
