"""Citizens for the scaled test: multi-turn conversations through nginx, each citizen from its
own loopback address (127.0.0.x: Linux routes the whole 127/8 to lo), so nginx's per-address
limit sees many citizens as it would in production, and every answer is recorded.
"""

from __future__ import annotations

import http.client
import itertools
import json
import statistics
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

HOTLINE_MARK = "hệ thống đang bận"  # connectors.messages.BOT_UNAVAILABLE

# (text, expected procedure): follow-ups name no procedure, so a right answer needs the
# conversation's state, whichever Rasa replica takes the turn.
CONVERSATIONS: list[list[tuple[str, str]]] = [
    [("làm căn cước cần giấy tờ gì", "can-cuoc"), ("thế lệ phí bao nhiêu", "can-cuoc"), ("nộp ở đâu", "can-cuoc")],
    [
        ("dang ky khai sinh cho con can gi", "khai-sinh"),
        ("mat bao lau", "khai-sinh"),
        ("le phi bao nhieu", "khai-sinh"),
    ],
    [("làm hộ chiếu cần mang gì", "ho-chieu"), ("lệ phí bao nhiêu", "ho-chieu"), ("mất mấy ngày", "ho-chieu")],
    [("đăng ký kết hôn cần giấy tờ gì", "ket-hon"), ("có mất phí không", "ket-hon"), ("nộp hồ sơ ở đâu", "ket-hon")],
]


@dataclass
class Turn:
    sender: str
    index: int
    text: str
    expected: str
    status: int
    ms: float
    at: float  # monotonic time the answer arrived
    body: dict[str, Any] | None = None

    @property
    def replies(self) -> list[dict[str, Any]]:
        return (self.body or {}).get("replies") or []

    @property
    def text_out(self) -> str:
        return "\n".join(r.get("text") or "" for r in self.replies)

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.replies)

    @property
    def hotline(self) -> bool:
        return self.ok and HOTLINE_MARK in self.text_out

    @property
    def answered(self) -> bool:
        return self.ok and not self.hotline

    @property
    def in_context(self) -> bool:
        return self.answered and (self.body or {}).get("procedure") == self.expected


@dataclass
class Run:
    turns: list[Turn] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, turn: Turn) -> None:
        with self.lock:
            self.turns.append(turn)

    def senders(self) -> set[str]:
        return {t.sender for t in self.turns}

    def summary(self) -> dict[str, Any]:
        lat = sorted(t.ms for t in self.turns)

        def pct(p: float) -> float:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else 0.0

        elapsed = max(self.finished - self.started, 1e-9)
        errors = sum(not t.ok for t in self.turns)
        return {
            "conversations": len(self.senders()),
            "messages": len(self.turns),
            "answered": sum(t.answered for t in self.turns),
            "hotline_fallback": sum(t.hotline for t in self.turns),
            "errors": errors,
            "error_rate": round(errors / len(self.turns), 4) if self.turns else 0.0,
            "seconds": round(elapsed, 1),
            "throughput_rps": round(len(self.turns) / elapsed, 1),
            "p50_ms": pct(0.50),
            "p95_ms": pct(0.95),
            "p99_ms": pct(0.99),
            "mean_ms": round(statistics.fmean(lat), 1) if lat else 0.0,
        }


_addresses = itertools.count(2)
_address_lock = threading.Lock()


def next_address() -> str:
    with _address_lock:
        n = next(_addresses)
    return f"127.0.{(n // 250) % 250}.{n % 250 + 2}"


def post_chat(base_url: str, sender: str, text: str, source: str = "127.0.0.1", timeout: float = 30.0,
              client_message_id: str | None = None) -> tuple[int, dict | None]:  # fmt: skip
    """One /api/chat message, with a client message id as the web page sends (a new one if none)."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout, source_address=(source, 0))
    try:
        body = {
            "sender_id": sender,
            "text": text,
            "channel": "web",
            "client_message_id": client_message_id or uuid.uuid4().hex,
        }
        payload = json.dumps(body).encode()
        conn.request("POST", "/api/chat", body=payload, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        raw = response.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        return response.status, body
    except (OSError, http.client.HTTPException):
        return 0, None
    finally:
        conn.close()


def converse(
    base_url: str, turns: list[tuple[str, str]], run: Run, sender: str | None = None, pause_s: float = 0.0
) -> str:
    sender = sender or f"scaled-{uuid.uuid4().hex[:12]}"
    source = next_address()
    for index, (text, expected) in enumerate(turns):
        started = time.perf_counter()
        status, body = post_chat(base_url, sender, text, source)
        run.add(
            Turn(sender, index, text, expected, status, (time.perf_counter() - started) * 1000, time.monotonic(), body)
        )
        if pause_s:
            time.sleep(pause_s)
    return sender


def load(base_url: str, seconds: float, concurrency: int = 8, run: Run | None = None,
         stop: threading.Event | None = None) -> Run:  # fmt: skip
    """`concurrency` citizens at a time, each a whole conversation after another, until
    `seconds` have passed (a conversation under way is finished)."""
    run = run or Run()
    stop = stop or threading.Event()
    run.started = time.monotonic()
    deadline = run.started + seconds
    picks = itertools.count()

    def worker() -> None:
        while time.monotonic() < deadline and not stop.is_set():
            converse(base_url, CONVERSATIONS[next(picks) % len(CONVERSATIONS)], run)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    run.finished = time.monotonic()
    return run
