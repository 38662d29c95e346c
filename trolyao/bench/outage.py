"""`trolyao bench-outage`: a channel's platform API down for a minute under load (issue 15).

On the real stack (Rasa, actions, gateway started by ``compare.ours`` on free ports, the
channel in webhook mode against a ``FakeBotApi`` on 127.0.0.1), ``senders`` citizens replay
the conversations of ``load.CONVERSATIONS`` through the signed webhook, one message waiting
for its answer per citizen (``webhooks.run``, which attributes every message the fake
receives to its question and counts an answer sent twice). ``before`` seconds in, the fake
stops listening and closes its connections (connection refused) for ``outage`` seconds, then
listens again on the same port. Meanwhile /health's ``outbound.depth`` is polled: its peak
during the outage, and the time from the platform's return until the queue is first empty.

A short warm-up (4 conversations) comes first and is not counted. Every turn waits for its
answer up to ``outage + drain`` seconds (no answer then = lost); no new turn starts after
``before + outage + after`` seconds; the whole run is bounded.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

from trolyao.bench import webhooks
from trolyao.bench.webhooks import FakeBotApi, WebhookResult

HELD_S = 5.0  # an answer slower than this waited for the platform (answers take < 1 s here)
POLL_S = 0.25


@dataclass
class Window:
    """The outage as the controller saw it, in time.monotonic() seconds."""

    down_at: float = 0.0
    up_at: float = 0.0
    drained_at: float | None = None  # the queue first empty after the platform came back
    peak_depth: int = 0


def summarize(result: WebhookResult, window: Window) -> dict[str, Any]:
    """The figures of one run. Lost: a message the webhook took (200) that got no answer; a
    refused post or a "too fast" answer is counted apart (neither is an outage loss)."""
    delays = sorted(result.latencies_ms)
    answered = len(delays)
    lost = result.timeouts
    summary = {
        "sent": result.requests,
        "delivered": answered,
        "lost": lost,
        "duplicates": result.duplicates,
        "refused": result.refused,
        "too_fast": result.dropped,
        "late_parts": result.late,
        "held_by_outage": sum(delay > HELD_S * 1000 for delay in delays),
        "longest_delay_s": round(delays[-1] / 1000, 1) if delays else None,
        "outage_s": round(window.up_at - window.down_at, 1),
        "peak_queue_depth": window.peak_depth,
        "drain_s": round(window.drained_at - window.up_at, 1) if window.drained_at is not None else None,
        "messages_to_platform": result.messages,
    }
    summary["ok"] = bool(
        answered and lost == 0 and result.duplicates == 0 and result.refused == 0
        and summary["held_by_outage"] and summary["drain_s"] is not None
        and answered + lost + result.dropped == result.requests
    )  # fmt: skip
    return summary


def queue_depth(gateway_url: str) -> int | None:
    """/health's outbound depth, or None when it cannot be read (the gateway may answer 503)."""
    request = urllib.request.Request(gateway_url.rstrip("/") + "/health")
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        body = json.loads(exc.read() or b"{}")
    except (OSError, ValueError):
        return None
    outbound = body.get("outbound") or {}
    depth = outbound.get("depth")
    return depth if isinstance(depth, int) else None


async def control(fake: FakeBotApi, gateway_url: str, window: Window, before: float, outage: float,
                  drain: float) -> None:  # fmt: skip
    """Take the platform down after ``before`` s for ``outage`` s; then watch the queue empty
    (at most ``drain`` s)."""
    await asyncio.sleep(before)
    window.down_at = time.monotonic()  # the listener closes first, then the open connections
    await asyncio.to_thread(fake.go_down)
    print(f"   API {fake.platform.label} tắt (connection refused) trong {outage:.0f} s", flush=True)
    while time.monotonic() < window.down_at + outage:
        depth = await asyncio.to_thread(queue_depth, gateway_url)
        window.peak_depth = max(window.peak_depth, depth or 0)
        await asyncio.sleep(POLL_S)
    await asyncio.to_thread(fake.come_back)
    window.up_at = time.monotonic()
    print(f"   API {fake.platform.label} hoạt động lại; hàng đợi lúc tắt: tối đa {window.peak_depth}", flush=True)
    while time.monotonic() < window.up_at + drain:
        if await asyncio.to_thread(queue_depth, gateway_url) == 0:
            window.drained_at = time.monotonic()
            return
        await asyncio.sleep(POLL_S)


async def run_outage(fake: FakeBotApi, gateway_url: str, senders: int, users: int, before: float,
                     outage: float, after: float, drain: float) -> dict[str, Any]:  # fmt: skip
    # Warm-up (as `trolyao bench` does): the first turns after start are slow on a busy machine.
    await webhooks.run(fake, gateway_url, users=4, concurrency=2, max_seconds=20, seed=1)
    window = Window()
    controller = asyncio.create_task(control(fake, gateway_url, window, before, outage, drain))
    load = webhooks.run(fake, gateway_url, users, senders, before + outage + after, timeout=outage + drain)
    result = await load
    await controller  # bounded by before + outage + drain
    return {"channel": fake.platform.label, "senders": senders, **summarize(result, window)}


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| Channel | Senders | Sent | Delivered | Lost | Duplicates | Held by the outage | Longest delay s "
        "| Peak queue | Drain after return s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['channel']} | {r['senders']} | {r['sent']} | {r['delivered']} | {r['lost']} | {r['duplicates']} "
            f"| {r['held_by_outage']} | {r['longest_delay_s']} | {r['peak_queue_depth']} | {r['drain_s']} |"
        )
    return "\n".join(lines)


def run_benchmark(through: tuple[str, ...], senders: int, users: int, before: float, outage: float,
                  after: float, drain: float) -> list[dict[str, Any]]:  # fmt: skip
    """Start the real stack once (the channels against their fakes) and run one outage per channel."""
    import shutil
    import tempfile
    from pathlib import Path

    from trolyao.bench.compare import ours

    work = Path(tempfile.mkdtemp(prefix="trolyao-outage-"))
    rows = []
    try:
        with ours(work, through) as targets:
            for target in targets:
                if target.fake is None:
                    continue
                print(f"== {target.name}: sẵn sàng sau {target.ready_s:.1f} s", flush=True)
                row = asyncio.run(run_outage(target.fake, target.url, senders, users, before, outage, after, drain))
                print(f"   {json.dumps(row, ensure_ascii=False)}", flush=True)
                rows.append(row)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows
