"""A bounded load generator for /api/chat on 127.0.0.1: many users, multi-turn conversations.

    python -m trolyao.bench.load --url http://127.0.0.1:8000 --users 40 --concurrency 8

Every user replays a short conversation (a question, follow-ups, thanks); at most `concurrency`
requests are in flight; the run stops after all users finish or `--max-seconds`. Prints
throughput, latency percentiles and errors as JSON (and a Markdown row with --markdown).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp

CONVERSATIONS = [
    ["chào ad", "làm căn cước cần giấy tờ gì", "thế lệ phí bao nhiêu", "cảm ơn"],
    ["dang ky khai sinh cho con can gi", "nop o dau", "mat bao lau", "cam on ad"],
    ["đkkh có mất tiền k", "cần mang theo gì", "làm online được không"],
    ["sang ten so do nhiu tien", "nộp hồ sơ ở đâu", "bao lâu thì xong"],
    ["cho xin số tổng đài", "thứ bảy có làm việc không", "cho xin link khảo sát"],
    ["giá vàng hôm nay", "thôi, cho hỏi đăng ký tạm trú online được không", "có mất phí k"],
    ["xin giấy xác nhận độc thân ở đâu", "mất mấy ngày", "tạm biệt"],
]


@dataclass
class Result:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    requests: int = 0
    started: float = 0.0
    finished: float = 0.0

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)

        def pct(p: float) -> float:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else 0.0

        elapsed = max(self.finished - self.started, 1e-9)
        return {
            "requests": self.requests,
            "errors": self.errors,
            "error_rate": round(self.errors / self.requests, 4) if self.requests else 0.0,
            "seconds": round(elapsed, 1),
            "throughput_rps": round(self.requests / elapsed, 1),
            "p50_ms": pct(0.50),
            "p95_ms": pct(0.95),
            "p99_ms": pct(0.99),
            "mean_ms": round(statistics.fmean(lat), 1) if lat else 0.0,
        }


# Where the conversations go: our gateway's /api/chat, or a Rasa REST channel (the stock reference).
TARGETS = {
    "chat": ("/api/chat", lambda sender, text: {"sender_id": sender, "text": text, "channel": "web"}),
    "rasa": ("/webhooks/rest/webhook", lambda sender, text: {"sender": sender, "message": text}),
}


def _answered(body: object) -> bool:
    """A gateway body with replies, or a non-empty list of Rasa REST messages."""
    if isinstance(body, dict):
        return bool(body.get("replies"))
    return isinstance(body, list) and bool(body)


async def _user(session: aiohttp.ClientSession, url: str, body_for: Any, turns: list[str],
                gate: asyncio.Semaphore, result: Result, deadline: float) -> None:  # fmt: skip
    sender = f"load-{uuid.uuid4().hex[:12]}"
    for text in turns:
        if time.monotonic() > deadline:
            return
        async with gate:
            started = time.perf_counter()
            try:
                async with session.post(url, json=body_for(sender, text)) as response:
                    body = await response.json()
                    ok = response.status == 200 and _answered(body)
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                ok = False
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            result.requests += 1
            result.errors += not ok


async def run(base_url: str, users: int, concurrency: int, max_seconds: float, seed: int = 7,
              target: str = "chat") -> Result:  # fmt: skip
    rng = random.Random(seed)
    result = Result()
    gate = asyncio.Semaphore(concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    path, body_for = TARGETS[target]
    url = base_url.rstrip("/") + path
    async with aiohttp.ClientSession(timeout=timeout) as session:
        result.started = time.monotonic()
        deadline = result.started + max_seconds
        await asyncio.gather(*(
            _user(session, url, body_for, rng.choice(CONVERSATIONS), gate, result, deadline) for _ in range(users)
        ))  # fmt: skip
        result.finished = time.monotonic()
    return result


def rss_mb(pids: list[int]) -> dict[int, float]:
    out = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        out[pid] = round(int(line.split()[1]) / 1024, 1)
        except OSError:
            continue
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--max-seconds", type=float, default=120)
    parser.add_argument("--pids", type=int, nargs="*", default=[], help="processes whose RSS to report")
    parser.add_argument(
        "--target", choices=sorted(TARGETS), default="chat", help="gateway /api/chat or a Rasa REST channel"
    )
    args = parser.parse_args()
    if not args.url.startswith(("http://127.", "http://localhost")):
        raise SystemExit("Chỉ chạy thử tải vào máy này (127.0.0.1).")
    result = asyncio.run(run(args.url, args.users, args.concurrency, args.max_seconds, target=args.target))
    print(
        json.dumps(
            {**result.summary(), "concurrency": args.concurrency, "rss_mb": rss_mb(args.pids)}, ensure_ascii=False
        )
    )


if __name__ == "__main__":
    main()
