"""The officers' console in a real headless Chromium: log in, read the dashboard of a seeded log,
promote an unanswered question to an FAQ (written to a copy of the content, found by the
retrieval preview), reply to a ticket (queued for the citizen). Issue #7."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
import test_gateway_browser
import yaml
from conftest import REPO_ROOT, Served
from test_gateway_browser import browser  # noqa: F401  (the fixture)

from tthc.records import RecordStore
from tthc.records.accounts import Accounts

# Skipped without Chromium, as the chat page's browser test is (or an error if it is required).
pytestmark = getattr(test_gateway_browser, "pytestmark", [])
PASSWORD = "mật-khẩu-dài-123"
QUESTION = "con tôi sinh ở nước ngoài về làm giấy khai sinh được không"


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(REPO_ROOT / "content", target, ignore=shutil.ignore_patterns("README.md"))
    return target


def seed(records: RecordStore) -> None:
    now = dt.datetime.now().replace(microsecond=0)
    for n in range(40):
        at = now - dt.timedelta(days=n % 10, minutes=n)
        channel = ["web", "telegram", "zalo"][n % 3]
        records.log_turn(f"{channel}:{n}", channel, "làm khai sinh cần gì", "ask_documents", 0.95, "khai-sinh",
                         "answered", at=at)  # fmt: skip
    for n in range(3):
        records.log_turn(f"web:q{n}", "web", QUESTION + "?" * n, "nlu_fallback", 0.2, None, "fallback", at=now)


def test_console_login_dashboard_promote_preview_and_reply(
    browser: Any,  # noqa: F811
    make_gateway: Any,
    rasa: Served,
    records: RecordStore,
    content_copy: Path,
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import Select, WebDriverWait

    gateway = make_gateway(rasa.url, content_dir=content_copy, locality="da-nang")
    Accounts(records).add("Nguyễn Thị Lan", "editor", PASSWORD)
    seed(records)
    ticket = records.create_ticket("zalo:77", "zalo", "UBND phường", "Đèn đường hỏng, gọi 0905123456", "0905123456")
    wait = WebDriverWait(browser, 10)
    url = gateway.server.url

    # Log in.
    browser.get(url + "/admin/dashboard")
    wait.until(ready.presence_of_element_located((By.NAME, "name"))).send_keys("Nguyễn Thị Lan")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()

    # The dashboard of the seeded log.
    stats = wait.until(ready.presence_of_element_located((By.ID, "stats")))
    assert "43" in stats.text  # messages
    assert browser.find_element(By.CSS_SELECTOR, "svg.chart").is_displayed()
    assert "Đăng ký khai sinh" in browser.page_source  # charts name procedures (issue #13)
    # Fits a phone: nothing wider than the window (no sideways scrolling).
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")

    # The three fallbacks are one group; add it to khai-sinh's first FAQ.
    browser.get(url + "/admin/unanswered")
    group = wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, "li.group")))
    assert group.text.startswith("3 tin nhắn")
    field = group.find_element(By.NAME, "question")
    assert field.get_attribute("value").startswith(QUESTION)
    field.clear()  # the officer tidies the wording before adding it
    field.send_keys(QUESTION)
    Select(group.find_element(By.NAME, "slug")).select_by_value("khai-sinh")
    group.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, ".notice.ok")))
    faqs = yaml.safe_load((content_copy / "procedures" / "khai-sinh.yml").read_text(encoding="utf-8"))["faqs"]
    assert QUESTION in faqs[0]["questions"]

    # The preview finds the procedure and the new question variant at once.
    browser.get(url + "/admin/content")
    box = wait.until(ready.presence_of_element_located((By.NAME, "q")))
    box.send_keys(QUESTION)
    box.submit()
    best = wait.until(ready.presence_of_element_located((By.ID, "best-faq")))
    assert QUESTION in best.text
    assert "khai-sinh" in browser.find_element(By.CSS_SELECTOR, "table tbody tr").text

    # Tickets: masked in the list, whole when opened; the reply is queued for the citizen.
    browser.get(url + "/admin/tickets")
    listing = wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, "table")))
    assert "0905123456" not in listing.text
    browser.find_element(By.LINK_TEXT, ticket.code).click()
    answer = wait.until(ready.presence_of_element_located((By.NAME, "answer")))
    assert "0905123456" in browser.page_source
    answer.send_keys("Phường đã sửa đèn đường, cảm ơn bạn.")
    answer.submit()
    wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, ".notice.ok")))
    queued = records.undelivered("zalo:77")
    assert [m["text"] for m in queued] == [f"Trả lời phản ánh {ticket.code}: Phường đã sửa đèn đường, cảm ơn bạn."]
    assert records.ticket(ticket.code).status == "answered"
