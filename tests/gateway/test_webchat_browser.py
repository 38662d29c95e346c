"""The web chat page in a real headless Chromium on a phone-sized window (390x844), against the
gateway and the fake Rasa (issue 13, "the web chat"): a reload shows the same history (the
phone number masked) and the clear button empties it; buttons of older answers stop acting; a
rating can be changed and counts once; text over the limit is refused with a sentence saying
the limit; offline, a retry button resends the message; a long answer shows from its start.

TROLYAO_SCREENSHOT_DIR=/tmp/x saves a screenshot of each step there."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import Gateway, Served
from gateway_fakes import ScriptedTurn
from test_gateway_browser import CHROMEDRIVER, CHROMIUM, browser  # noqa: F401  (the fixture)

from connectors import messages
from tthc.records import RecordStore
from tthc.records.schema import ratings

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytestmark = pytest.mark.skip(reason="Chromium not installed (run scripts/ensure-test-packages.sh)")

RATE = [
    {"title": "👍 Hữu ích", "payload": "#rating:up"},
    {"title": "👎 Chưa hữu ích", "payload": "#rating:down"},
]
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
RATE_QUESTION = {"text": "Câu trả lời có hữu ích với bạn không?", "buttons": RATE}


def snap(driver: Any, name: str) -> None:
    folder = os.environ.get("TROLYAO_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"{name}.png"))


class Page:
    """The chat page as a citizen uses it."""

    def __init__(self, driver: Any, gateway: Gateway) -> None:
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver = driver
        self.url = gateway.server.url + "/"
        self.wait = WebDriverWait(driver, 10)

    def open(self) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ready

        # Headless Chromium keeps windows at least 500 px wide: emulate the phone's screen.
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
        self.driver.get(self.url)
        self.wait.until(ready.element_to_be_clickable((By.ID, "input")))
        size = self.driver.execute_script("return [window.innerWidth, window.innerHeight]")
        assert size == [PHONE["width"], PHONE["height"]], size

    def type(self, text: str) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        box = self.driver.find_element(By.ID, "input")
        box.send_keys(text)
        box.send_keys(Keys.ENTER)

    def paste(self, text: str) -> None:
        """As a paste does: the whole text at once, then Enter."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        box = self.driver.find_element(By.ID, "input")
        self.driver.execute_script(
            "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));", box, text
        )
        box.send_keys(Keys.ENTER)

    def texts(self, selector: str = "#messages .bubble") -> list[str]:
        from selenium.webdriver.common.by import By

        return [el.text for el in self.driver.find_elements(By.CSS_SELECTOR, selector)]

    def wait_text(self, text: str, selector: str = "#messages .bubble") -> None:
        self.wait.until(lambda _: text in self.texts(selector), f"{text!r} never shown")

    def button(self, title: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.XPATH, f"//*[contains(@class,'btn')][normalize-space()='{title}']")[-1]

    def sender(self) -> str:
        return str(self.driver.execute_script("return window.localStorage.getItem('trolyao.sender_id')"))

    def fits_the_phone(self) -> None:
        width = self.driver.execute_script("return document.documentElement.clientWidth")
        assert self.driver.execute_script("return document.documentElement.scrollWidth") <= width


def rating_rows(records: RecordStore) -> list[bool]:
    with records.engine.connect() as db:
        return [r.useful for r in db.execute(sa.select(ratings.c.useful).order_by(ratings.c.id))]


def test_reload_shows_the_history_masked_and_clear_empties_it(
    browser: Any,  # noqa: F811
    gateway: Gateway,
    rasa: Served,
) -> None:
    rasa.fake.script["gọi lại cho tôi số 0905 123 456"] = ScriptedTurn(
        [{"text": "Đã ghi nhận phản ánh PA7K3M9Q. Cán bộ sẽ gọi số 0905123456."}], "give_feedback"
    )
    page = Page(browser, gateway)
    page.open()
    assert browser.find_element("id", "clear").is_displayed() is False  # nothing to clear yet
    page.type("gọi lại cho tôi số 0905 123 456")
    page.wait_text("Đã ghi nhận phản ánh PA7K3M9Q. Cán bộ sẽ gọi số 0905123456.")
    sender = page.sender()

    browser.refresh()
    page.wait_text("Đã ghi nhận phản ánh PA7K3M9Q. Cán bộ sẽ gọi số *******456.")
    snap(browser, "1-after-reload")
    assert page.sender() == sender
    assert page.texts(".msg.user .bubble") == ["gọi lại cho tôi số **** *** 456"]
    assert page.texts(".history-divider") == ["Cuộc trò chuyện trước, lưu trong 24 giờ"]
    page.fits_the_phone()

    # The conversation goes on under the history.
    page.type("chào")
    page.wait_text("Bạn hỏi: chào")
    assert page.texts()[-2:] == ["chào", "Bạn hỏi: chào"]

    clear = browser.find_element("id", "clear")
    assert clear.is_displayed() and clear.text == "Xóa lịch sử"
    clear.click()
    browser.switch_to.alert.accept()
    page.wait_text("Đã xóa lịch sử trò chuyện. Bạn có thể bắt đầu câu hỏi mới.")
    snap(browser, "2-after-clear")
    assert page.texts() == [
        "Xin chào! Tôi là trợ lý ảo hướng dẫn thủ tục hành chính. Bạn cần hỏi về thủ tục nào? "
        "Ví dụ: “làm giấy khai sinh cần giấy tờ gì”.",
        "Đã xóa lịch sử trò chuyện. Bạn có thể bắt đầu câu hỏi mới.",
    ]
    assert page.sender() != sender  # a new conversation, at the bot too
    gone = gateway.client.get("/api/history", params={"sender_id": sender}).json()
    assert gone["messages"] == []
    browser.refresh()
    page.wait.until(lambda _: browser.execute_script("return document.readyState") == "complete")
    assert page.texts(".msg.user .bubble") == [] and page.texts(".history-divider") == []


def test_old_buttons_stop_acting_and_a_rating_changes_but_counts_once(
    browser: Any,  # noqa: F811
    gateway: Gateway,
    rasa: Served,
    records: RecordStore,
) -> None:
    from selenium.webdriver.common.by import By

    rasa.fake.script["đặt lịch làm căn cước"] = ScriptedTurn(
        [{"text": "Mời bạn chọn giờ:", "buttons": [
            {"title": "10:00", "payload": '/inform{"booking_slot": "10:00"}'},
            {"title": "14:00", "payload": '/inform{"booking_slot": "14:00"}'},
        ]}],
        "book_appointment",
    )  # fmt: skip
    rasa.fake.script['/inform{"booking_slot": "10:00"}'] = ScriptedTurn(
        [{"text": "Đã đặt lịch lúc 10:00, mã LH4K7P2Q."}, RATE_QUESTION], "book_appointment"
    )
    page = Page(browser, gateway)
    page.open()
    page.type("đặt lịch làm căn cước")
    page.wait_text("Mời bạn chọn giờ:")
    page.button("10:00").click()
    page.wait_text("Đã đặt lịch lúc 10:00, mã LH4K7P2Q.")
    slot, other = page.button("10:00"), page.button("14:00")
    assert not slot.is_enabled() and not other.is_enabled()
    assert "chosen" in slot.get_attribute("class")
    browser.execute_script("arguments[0].click(); arguments[1].click();", slot, other)  # no effect
    assert page.texts(".msg.user .bubble") == ["đặt lịch làm căn cước", "10:00"]

    # The rating: 👍, then changed to 👎; one rating for the answer.
    page.button("👍 Hữu ích").click()
    page.wait_text(messages.RATING_THANKS, ".button-note")
    page.button("👎 Chưa hữu ích").click()
    page.wait_text(messages.RATING_CHANGED, ".button-note")
    snap(browser, "3-buttons-and-rating")
    pressed = [b.get_attribute("aria-pressed") for b in browser.find_elements(By.CSS_SELECTOR, "button.rating")]
    assert pressed == ["false", "true"]
    assert rating_rows(records) == [False]
    assert page.texts(".msg.user .bubble") == ["đặt lịch làm căn cước", "10:00"]  # ratings are no messages

    # After a reload: the old slot buttons stay off, the rating shows, and still acts on the newest answer.
    browser.refresh()
    page.wait_text("Đã đặt lịch lúc 10:00, mã LH4K7P2Q.")
    assert not page.button("10:00").is_enabled() and not page.button("14:00").is_enabled()
    assert page.button("👎 Chưa hữu ích").get_attribute("aria-pressed") == "true"
    assert page.button("👍 Hữu ích").is_enabled()

    # A new question makes that answer old: its rating buttons stop acting too.
    page.type("lệ phí bao nhiêu")
    page.wait_text("Bạn hỏi: lệ phí bao nhiêu")
    assert not page.button("👍 Hữu ích").is_enabled()
    assert rasa.fake.texts() == ["đặt lịch làm căn cước", '/inform{"booking_slot": "10:00"}', "lệ phí bao nhiêu"]
    assert rating_rows(records) == [False]


def test_text_over_the_limit_is_refused_with_the_limit_said(
    browser: Any,  # noqa: F811
    gateway: Gateway,
    rasa: Served,
) -> None:
    from selenium.webdriver.common.by import By

    page = Page(browser, gateway)
    page.open()
    pasted = ("Tôi muốn hỏi về thủ tục đăng ký khai sinh cho con. " * 100)[:5000]
    page.paste(pasted)
    note = browser.find_element(By.ID, "composer-note")
    page.wait.until(lambda _: note.is_displayed() and note.text.startswith("Tin nhắn dài"))
    snap(browser, "4-over-the-limit")
    assert note.text == messages.TEXT_TOO_LONG.format(length="5.000", limit="2.000")
    box = browser.find_element(By.ID, "input")
    assert box.get_attribute("value") == pasted  # kept, to shorten: not cut, not sent
    assert box.get_attribute("aria-invalid") == "true"
    assert page.texts(".msg.user .bubble") == [] and rasa.fake.texts() == []
    page.fits_the_phone()

    # Shortened to the limit: sent whole.
    browser.execute_script(
        "arguments[0].value = arguments[0].value.slice(0, 2000); arguments[0].dispatchEvent(new Event('input'));", box
    )
    assert note.text == "2.000/2.000 ký tự"
    box.send_keys("\n")
    page.wait.until(lambda _: rasa.fake.texts() == [pasted[:2000].strip()])
    assert not note.is_displayed()


def test_offline_shows_a_retry_that_resends_the_same_message(
    browser: Any,  # noqa: F811
    gateway: Gateway,
    rasa: Served,
) -> None:
    page = Page(browser, gateway)
    page.open()
    # Record what the page sends (the first attempt never reaches the server).
    browser.execute_script(
        "window.__sent = []; var real = window.fetch;"
        "window.fetch = function (url, options) {"
        "  if (String(url) === '/api/chat') window.__sent.push(JSON.parse(options.body));"
        "  return real.apply(this, arguments); };"
    )
    browser.execute_cdp_cmd("Network.enable", {})
    offline = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
    browser.execute_cdp_cmd("Network.emulateNetworkConditions", offline)
    page.type("lệ phí khai sinh")
    page.wait.until(lambda _: page.texts(".msg.error .bubble"), "the offline notice")
    snap(browser, "5-offline")
    assert page.texts(".msg.error .bubble")[0].startswith("Không kết nối được với trợ lý ảo")
    retry = page.button("Gửi lại")
    assert retry.is_displayed()

    browser.execute_cdp_cmd("Network.emulateNetworkConditions", {**offline, "offline": False})
    retry.click()
    page.wait_text("Bạn hỏi: lệ phí khai sinh")
    assert page.texts(".msg.error .bubble") == []  # the notice went with the retry
    assert page.texts(".msg.user .bubble") == ["lệ phí khai sinh"]  # shown once
    assert rasa.fake.texts() == ["lệ phí khai sinh"]
    sent = browser.execute_script("return window.__sent")
    assert [body["text"] for body in sent] == ["lệ phí khai sinh"] * 2
    ids = {body["client_message_id"] for body in sent}
    assert len(ids) == 1 and all(ids)  # one id per message, the same on the retry


def test_a_long_answer_shows_from_its_start(
    browser: Any,  # noqa: F811
    gateway: Gateway,
    rasa: Served,
) -> None:
    step = "chuẩn bị giấy tờ và nộp tại bộ phận một cửa, chờ cán bộ kiểm tra."
    steps = "\n".join(f"Bước {n}: {step}" for n in range(1, 31))
    rasa.fake.script["các bước làm căn cước"] = ScriptedTurn(
        [{"text": "Các bước làm căn cước:\n" + steps}, RATE_QUESTION], "ask_procedure", "can-cuoc"
    )
    page = Page(browser, gateway)
    page.open()
    for question in ("chào", "thủ tục khai sinh"):  # some conversation above
        page.type(question)
        page.wait_text(f"Bạn hỏi: {question}")
    page.type("các bước làm căn cước")
    page.wait.until(lambda _: any(t.startswith("Các bước làm căn cước:") for t in page.texts()))
    page.wait_text(RATE_QUESTION["text"])
    snap(browser, "6-long-answer")
    start, visible_top, visible_bottom, at_end = browser.execute_script(
        "var list = document.getElementById('messages');"
        "var answer = Array.from(document.querySelectorAll('.msg.bot .bubble'))"
        "  .find(function (b) { return b.textContent.indexOf('Các bước làm căn cước:') === 0; });"
        "var box = list.getBoundingClientRect();"
        "return [answer.getBoundingClientRect().top, box.top, box.bottom,"
        "  list.scrollTop >= list.scrollHeight - list.clientHeight - 1];"
    )
    assert visible_top <= start <= visible_top + 40, (start, visible_top)  # its first line at the top
    assert start < visible_bottom
    assert not at_end  # not scrolled past the start to the end
    page.fits_the_phone()
    # A short answer afterwards ends at the bottom as usual.
    page.type("cảm ơn")
    page.wait_text("Bạn hỏi: cảm ơn")
    assert browser.execute_script(
        "var l = document.getElementById('messages'); return l.scrollTop >= l.scrollHeight - l.clientHeight - 1;"
    )
