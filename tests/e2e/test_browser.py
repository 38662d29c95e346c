"""A real browser in front of the real stack (issue 14): headless Chromium opens the gateway's
web chat page and asks the two khai sinh questions; the answers the page shows come from Rasa
and the action server over the live content, not from a fake.

Selenium lives in the gateway's environment, so the browser is driven by tests/e2e/browser_chat.py
run with `.venv-gateway/bin/python`; this test reads what the page showed and judges it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from connectors import messages
from tests.e2e.conftest import Client
from tthc import paths

DRIVER = Path(__file__).with_name("browser_chat.py")
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# The first sentence of each "busy / unavailable" notice the gateway says when Rasa gives no answer.
BUSY = [text.split(". ")[0].lower() for text in (messages.BOT_UNAVAILABLE, messages.BOT_DELAYED)]


def _browser_missing() -> str | None:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        return f"{CHROMIUM} or {CHROMEDRIVER} is missing: run scripts/ensure-test-packages.sh"
    if not paths.GATEWAY_PYTHON.exists():
        return f"{paths.GATEWAY_PYTHON} is missing: `make setup` creates the gateway environment"
    probe = subprocess.run([str(paths.GATEWAY_PYTHON), "-c", "import selenium"], capture_output=True, timeout=60)
    if probe.returncode != 0:
        return "selenium is not installed in .venv-gateway (requirements/gateway-dev.txt): run `make setup`"
    return None


@pytest.fixture(scope="module")
def browser_ready() -> None:
    missing = _browser_missing()
    if missing and os.environ.get("TROLYAO_REQUIRE_BROWSER"):
        pytest.fail(f"TROLYAO_REQUIRE_BROWSER is set but {missing}")
    if missing:
        pytest.skip(f"no browser for the real-stack web chat test: {missing}")


def ask_in_browser(url: str, *questions: str) -> dict[str, Any]:
    result = subprocess.run(
        [str(paths.GATEWAY_PYTHON), str(DRIVER), url, *questions, "--timeout", "60"],
        capture_output=True, text=True, timeout=240, cwd=paths.REPO,
    )  # fmt: skip
    assert result.returncode == 0, f"the browser driver failed:\n{result.stderr[-4000:]}"
    return json.loads(result.stdout)


def busy(text: str) -> bool:
    return any(sentence in text.lower() for sentence in BUSY)


def test_web_chat_in_chromium_answers_birth_registration_documents_then_fee(
    browser_ready: None, client: Client
) -> None:
    first_question, second_question = "làm giấy khai sinh cần những gì", "thế lệ phí bao nhiêu"
    page = ask_in_browser(client.base_url, first_question, second_question)

    assert page["title"] == "Trợ lý ảo thủ tục hành chính"
    assert not page["overflow"], "the page is wider than a 390 px phone screen"
    first, second = page["turns"]
    assert [turn["errors"] for turn in page["turns"]] == [[], []], "the page could not reach the assistant"
    assert first["shown_as"] == [first_question] and second["shown_as"] == [second_question]

    documents = "\n".join(first["answers"])
    assert documents and not busy(documents), documents
    assert "tờ khai" in documents.lower() and "khai sinh" in documents.lower(), documents
    assert "giấy chứng sinh" in documents.lower(), documents  # the birth certificate from the hospital

    fee = "\n".join(second["answers"])
    assert fee and not busy(fee), fee
    assert "miễn" in fee.lower() or "lệ phí" in fee.lower(), fee
    assert "khai sinh" in fee.lower(), fee  # the follow-up stayed on khai sinh
    assert "tờ khai" not in fee.lower(), "the second answer repeats the documents instead of the fee"
