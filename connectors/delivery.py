"""Officers' messages to citizens (the records' outbox: ticket answers, handoff replies).

- Channel citizens (``tg:``, ``zalo:``, ``zalobot:`` senders): a background pump hands them,
  about every second or at once when woken, to the outbound queue of the channel the citizen
  used (``connectors.outbound``: in order with the bot's answers, retried until the platform
  takes them). Each is queued once (its records id is remembered in the channel state) and
  marked delivered once the queue is done with it.
- Web citizens (``api:`` senders): the page fetches them (``GET /api/inbox``), and /api/chat
  adds them to its answer.

The pump also retries announcing open handoffs whose announcement to officers failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Mapping
from typing import Any

from connectors.channels.base import Channel, log_tag
from connectors.conversation import announce
from connectors.officers import Officers
from connectors.outbound import Outbound
from connectors.records import call
from connectors.replies import Reply, render
from tthc.records import RecordStore

logger = logging.getLogger(__name__)

WEB_PREFIX = "api:"
TICK_S = 1.0
RETRY_FIRST_S = 2.0
RETRY_MAX_S = 600.0
ANNOUNCE_GRACE = dt.timedelta(seconds=30)  # the turn that opened a handoff announces it first


class Backoff:
    """When a failed item may be tried again: 2 s, 4 s, ... up to 10 minutes."""

    def __init__(self, first_s: float = RETRY_FIRST_S, max_s: float = RETRY_MAX_S) -> None:
        self._first, self._max = first_s, max_s
        self._state: dict[Any, tuple[int, float]] = {}

    def due(self, key: Any, now: float | None = None) -> bool:
        state = self._state.get(key)
        return state is None or (time.monotonic() if now is None else now) >= state[1]

    def failed(self, key: Any, now: float | None = None) -> float:
        attempts = self._state.get(key, (0, 0.0))[0] + 1
        wait = min(self._first * 2 ** (attempts - 1), self._max)
        self._state[key] = (attempts, (time.monotonic() if now is None else now) + wait)
        return wait

    def forget(self, key: Any) -> None:
        self._state.pop(key, None)


async def web_replies(store: RecordStore | None, sender: str) -> list[Reply]:
    """Messages waiting for a web citizen, marked delivered as they are handed over."""
    if store is None:
        return []
    try:
        rows = await call(store.take_undelivered, sender)
    except Exception:
        logger.exception("outbox: messages for the web chat not read")
        return []
    return [Reply(text=row["text"]) for row in rows]


class Delivery:
    def __init__(
        self,
        store: RecordStore,
        channels: Mapping[str, Channel],
        officers: Officers,
        handoff_timeout: dt.timedelta,
        tick_s: float = TICK_S,
        outbound: Outbound | None = None,
    ) -> None:
        self._store = store
        self._channels = channels
        self._outbound = outbound
        self._officers = officers
        self._timeout = handoff_timeout
        self._tick_s = tick_s
        self._wake = asyncio.Event()
        self._backoff = Backoff()
        self._announce_backoff = Backoff()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="delivery:outbox")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def wake(self) -> None:
        """Something was queued: look now rather than at the next tick."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                await self.deliver_once()
                await self.announce_pending()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("outbox: delivery round failed")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._tick_s)
            self._wake.clear()

    async def deliver_once(self) -> int:
        """Queue officers' messages for channel citizens, and mark delivered those the queue is
        done with; the number marked."""
        if self._outbound is None:
            return await self._send_directly()
        rows = await call(self._store.undelivered, None, WEB_PREFIX)
        by_prefix = {channel.prefix: channel for channel in self._channels.values()}
        done = []
        for row in rows:
            prefix, _, user_id = row["sender"].partition(":")
            channel = by_prefix.get(prefix)
            if channel is None:
                continue  # the channel is off here: the message waits
            ref = f"officer:{row['id']}"
            parts = render([Reply(text=row["text"])], channel.render_as)
            if self._outbound.queue(channel.name, user_id, parts, "officer", ref=ref) is not None:
                tag = log_tag(row["sender"])
                logger.info("outbox: message %s queued on %s sender=%s", row["id"], channel.name, tag)
            elif not self._outbound.queued(ref):
                done.append(row["id"])  # queued before, and sent (or given up) since
        if done:
            await call(self._store.mark_delivered, done)
        return len(done)

    async def _send_directly(self) -> int:
        """Without a queue (no channel state): send now, mark delivered, retry with a wait."""
        rows = await call(self._store.undelivered, None, WEB_PREFIX)
        by_prefix = {channel.prefix: channel for channel in self._channels.values()}
        held: set[str] = set()  # a citizen whose earlier message is still waiting: keep order
        delivered = 0
        for row in rows:
            sender = row["sender"]
            prefix, _, user_id = sender.partition(":")
            channel = by_prefix.get(prefix)
            if sender in held or channel is None or not channel.ready or not self._backoff.due(row["id"]):
                held.add(sender)
                continue
            if await self._send(channel, user_id, row):
                await call(self._store.mark_delivered, [row["id"]])
                self._backoff.forget(row["id"])
                delivered += 1
            else:
                held.add(sender)
        return delivered

    async def _send(self, channel: Channel, user_id: str, row: dict[str, Any]) -> bool:
        tag = log_tag(row["sender"])
        try:
            for reply in render([Reply(text=row["text"])], channel.render_as):
                await channel.send(user_id, reply)
        except Exception as exc:  # SendError, or a library error: tried again later
            wait = self._backoff.failed(row["id"])
            logger.warning(
                "outbox: message %s to %s sender=%s not delivered (%s), retry in %.0f s",
                row["id"],
                channel.name,
                tag,
                exc,
                wait,
            )
            return False
        logger.info("outbox: message %s delivered on %s sender=%s", row["id"], channel.name, tag)
        return True

    async def announce_pending(self) -> None:
        """Open handoffs never announced (Telegram was down, or the gateway restarted)."""
        if not self._officers.configured:
            return
        now = dt.datetime.now()
        for handoff in await call(self._store.open_handoffs, self._timeout):
            handoff_id = handoff["id"]
            if handoff["announced_at"] is not None or now - handoff["opened_at"] < ANNOUNCE_GRACE:
                continue
            if not self._announce_backoff.due(handoff_id):
                continue
            if not await call(self._store.claim_announcement, handoff_id):
                continue
            if await announce(self._store, self._officers, handoff_id):
                self._announce_backoff.forget(handoff_id)
            else:
                self._announce_backoff.failed(handoff_id)
