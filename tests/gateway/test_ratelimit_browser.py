"""The web chat shows a rate-limit answer (HTTP 429) as the bot's message, with the hotline,
not as "check your network"."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import TEST_HOTLINE_NUMBER, MakeGateway, Served
from test_gateway_browser import CHROMEDRIVER, CHROMIUM, browser  # noqa: F401  (the fixture)

from connectors.ratelimit import Rate

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytestmark = pytest.mark.skip(reason="Chromium not installed (run scripts/ensure-test-packages.sh)")


def test_a_throttled_citizen_sees_the_notice(
    browser: Any,  # noqa: F811
    make_gateway: MakeGateway,
    rasa: Served,
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    gateway = make_gateway(rasa.url, rate_chat_sender=Rate(1, 60.0))
    wait = WebDriverWait(browser, 10)
    browser.get(gateway.server.url + "/")
    box = wait.until(ready.element_to_be_clickable((By.ID, "input")))

    def bot_texts() -> list[str]:
        return [el.text for el in browser.find_elements(By.CSS_SELECTOR, ".msg.bot .bubble") if el.text]

    answer, notice = "Bạn hỏi: câu thứ nhất", "Bạn đang gửi tin nhắn quá nhanh"
    box.send_keys("câu thứ nhất", Keys.ENTER)
    wait.until(lambda _: answer in bot_texts())
    box.send_keys("câu thứ hai", Keys.ENTER)
    wait.until(lambda _: any(text.startswith(notice) for text in bot_texts()))
    shown = bot_texts()
    assert shown.index(answer) < len(shown) - 1 and shown[-1].startswith(notice)
    assert TEST_HOTLINE_NUMBER in shown[-1]
    assert browser.find_elements(By.CSS_SELECTOR, ".msg.bot.error") == []
    assert [body["message"] for body in rasa.fake.received] == ["câu thứ nhất"]
