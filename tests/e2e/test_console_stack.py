"""The officers' console on the real stack: an unanswered question, promoted to an FAQ from the
console, is answered by the assistant through /api/chat within seconds (issue 7). The same
console flow runs in headless Chromium against a fake Rasa in tests/gateway/test_console_browser.py."""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import yaml

from tests.e2e.conftest import Client, reply_text
from trolyao.stack import Stack
from tthc import paths

PASSWORD = "mat-khau-e2e-2026"


class Console:
    """A browser-like HTTP session: cookies kept, forms posted with their CSRF token."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base_url + path, timeout=20) as response:
            return response.read().decode()

    def post(self, path: str, fields: dict[str, str], page: str) -> str:
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({**fields, "csrf": csrf}).encode()
        with self.opener.open(urllib.request.Request(self.base_url + path, data=data), timeout=20) as response:
            return response.read().decode()


def test_promoted_question_is_answered_through_api_chat(stack: Stack, client: Client, content_dir: Path) -> None:
    env = {**os.environ, "TROLYAO_VAR_DIR": str(stack.var)}
    subprocess.run(
        [sys.executable, "-m", "trolyao", "officers", "add", "canbo-e2e", "--role", "editor"],
        input=PASSWORD + "\n", text=True, cwd=paths.REPO, env=env, check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    question = f"cho bé mang hai quốc tịch thì giấy tờ thế nào mã {uuid.uuid4().hex[:5]}"
    client.chat(question, f"e2e-{uuid.uuid4().hex[:8]}")  # a citizen asks; the bot cannot place it yet

    console = Console(stack.gateway_url)
    login = console.get("/admin/login")
    dashboard = console.post("/admin/login", {"name": "canbo-e2e", "password": PASSWORD}, login)
    assert "Tổng quan" in dashboard
    unanswered = console.get("/admin/unanswered")
    assert question[-9:] in unanswered  # the question is listed among the unanswered ones
    console.post(
        "/admin/unanswered/promote", {"slug": "khai-sinh", "question": question, "faq": "1", "answer": ""}, unanswered
    )

    faqs = yaml.safe_load((content_dir / "procedures" / "khai-sinh.yml").read_text(encoding="utf-8"))["faqs"]
    assert question in faqs[0]["questions"]
    expected = " ".join(faqs[0]["answer"].split()[:8])
    deadline, answered = time.monotonic() + 5, ""
    while time.monotonic() < deadline and expected not in answered:
        answered = " ".join(reply_text(client.chat(question, f"e2e-{uuid.uuid4().hex[:8]}")).split())
        time.sleep(0.3)
    assert expected in answered, "the promoted question was not answered with its FAQ within 5 seconds"
