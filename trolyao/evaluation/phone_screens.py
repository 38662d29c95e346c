"""How many phone screens a conversation fills on the web chat page (issue 13).

    .venv-gateway/bin/python -m trolyao.evaluation.phone_screens --url http://127.0.0.1:8000 \
        --screenshot docs/img/webchat-khai-sinh.png [QUESTION ...]

Headless Chromium (/usr/bin/chromium + /usr/bin/chromedriver, as tests/gateway/test_gateway_browser.py
starts it) with the page's normal font size, on a true 390x844 screen (CSS pixels, device scale 2,
emulated as tests/gateway/test_webchat_browser.py does, since headless windows stay >= 500 px wide).
The questions are typed one after the other, each waiting until its answer has arrived and the page
is still for 1.5 s. Screens = scrollHeight / clientHeight of the conversation area (#messages) once
the last answer is in. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
KHAI_SINH = ["làm giấy khai sinh cần những gì", "thế lệ phí bao nhiêu", "nộp online được không"]
FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=390,844",
]  # fmt: skip

STATE = (
    "var l = document.getElementById('messages');"
    "return [document.querySelectorAll('#messages .msg').length, l.scrollHeight, l.clientHeight,"
    " window.innerWidth, window.innerHeight, parseFloat(getComputedStyle(document.documentElement).fontSize),"
    " parseFloat(getComputedStyle(document.querySelector('#messages .msg .bubble') || l).fontSize)];"
)


def measure(url: str, questions: list[str], screenshot: Path | None, full: Path | None, timeout: float = 60) -> dict:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="phone-screens-")
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
        driver.get(url.rstrip("/") + "/")
        WebDriverWait(driver, 20).until(ready.element_to_be_clickable((By.ID, "input")))
        per_question = []
        for question in questions:
            before = driver.execute_script(STATE)[0]
            box = driver.find_element(By.ID, "input")
            box.send_keys(question)
            box.send_keys(Keys.ENTER)
            deadline = time.monotonic() + timeout
            last, still_since = None, time.monotonic()
            while time.monotonic() < deadline:  # an answer (more than the question's bubble), then 1.5 s still
                state = driver.execute_script(STATE)
                if state != last:
                    last, still_since = state, time.monotonic()
                elif state[0] >= before + 2 and time.monotonic() - still_since >= 1.5:
                    break
                time.sleep(0.25)
            per_question.append(
                {"question": question, "scroll_height": last[1], "screens": round(last[1] / last[2], 2)}
            )
        count, scroll_height, client_height, width, height, root_font, bubble_font = driver.execute_script(STATE)
        if screenshot:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(screenshot))
        if full:  # the whole conversation in one tall image: the screen made as tall as the content
            extra = height - client_height
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**PHONE, "height": scroll_height + extra})
            driver.execute_script("document.getElementById('messages').scrollTop = 0;")
            time.sleep(0.5)
            driver.save_screenshot(str(full))
        return {
            "questions": questions,
            "viewport": [width, height],
            "root_font_px": root_font,
            "bubble_font_px": bubble_font,
            "messages": count,
            "scroll_height_px": scroll_height,
            "visible_height_px": client_height,
            "screens": round(scroll_height / client_height, 2),
            "per_question": per_question,
        }
    finally:
        driver.quit()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("questions", nargs="*", default=KHAI_SINH)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--screenshot", type=Path, help="PNG of the screen after the last answer")
    parser.add_argument("--full", type=Path, help="PNG of the whole conversation (screen as tall as the content)")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.url, args.questions, args.screenshot, args.full), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
