"""Ask questions in the gateway's web chat page in headless Chromium; print what the page shows.

    .venv-gateway/bin/python tests/e2e/browser_chat.py URL QUESTION [QUESTION ...]

Selenium is a test tool of the gateway's environment (requirements/gateway-dev.txt), not of the
Rasa one where the e2e tests run, so tests/e2e/test_browser.py runs this file with the gateway's
Python. It types each question into the page like a citizen (Enter sends), waits until the
page has shown the bot's answer, and prints one JSON object on stdout:

    {"title": str, "overflow": bool,
     "turns": [{"question": str, "shown_as": [str], "answers": [str, ...], "errors": [str, ...]}]}

`shown_as` is the citizen's message as the page shows it; `answers` the texts of the bot's
messages the page added after the question; `errors` the page's own "cannot reach the
assistant" messages (class "error"); `overflow` whether anything is wider than the phone-sized
window. Assertions are the test's job, not this script's.
Standard library and selenium only. Uses Debian's /usr/bin/chromium and /usr/bin/chromedriver;
Selenium Manager is never asked to find or download anything.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=390,844",  # a phone
]
# Every message of the page's log, in order: who (its classes) and its text.
MESSAGES_JS = """
return Array.from(document.querySelectorAll('#messages > .msg')).map(function (el) {
  var bubble = el.querySelector('.bubble');
  return {classes: el.className, text: bubble ? bubble.innerText : ''};
});
"""


def _answered(driver: Any, before: int) -> bool:
    """The page added the question and at least one message after it, and stopped typing."""
    busy = driver.execute_script("return !document.getElementById('typing').hidden")
    shown = driver.execute_script(MESSAGES_JS)
    return not busy and any("bot" in m["classes"].split() for m in shown[before + 1 :])


def ask_all(url: str, questions: list[str], timeout: float) -> dict[str, Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    profile = tempfile.mkdtemp(prefix="trolyao-e2e-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        driver.set_page_load_timeout(30)
        driver.get(url.rstrip("/") + "/")
        box = WebDriverWait(driver, 20).until(ready.element_to_be_clickable((By.ID, "input")))
        turns = []
        for question in questions:
            before = len(driver.execute_script(MESSAGES_JS))
            box.send_keys(question)
            box.send_keys(Keys.ENTER)
            WebDriverWait(driver, timeout, poll_frequency=0.2).until(lambda d, n=before: _answered(d, n))
            added = driver.execute_script(MESSAGES_JS)[before:]
            bot = [m for m in added if "bot" in m["classes"].split()]
            turns.append(
                {
                    "question": question,
                    "shown_as": [m["text"] for m in added if "user" in m["classes"].split()],
                    "answers": [m["text"] for m in bot if "error" not in m["classes"].split()],
                    "errors": [m["text"] for m in bot if "error" in m["classes"].split()],
                }
            )
        width = driver.execute_script("return document.documentElement.clientWidth")
        overflow = driver.execute_script("return document.documentElement.scrollWidth") > width
        return {"title": driver.title, "turns": turns, "overflow": overflow}
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("questions", nargs="+")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for each answer")
    args = parser.parse_args(argv)
    print(json.dumps(ask_all(args.url, args.questions, args.timeout), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
