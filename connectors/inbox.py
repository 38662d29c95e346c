"""What happens to a channel message after its webhook answered 200.

``submit`` remembers the platform's message id (a redelivery is dropped) and writes the
message to the outbox before anything else, then hands it to the sender's own worker, so
one citizen's messages are answered in the order they were sent while other citizens are
served in parallel. A worker asks Rasa; if Rasa (or the action server behind it) is down or
slower than ``notice_after_s``, the citizen gets the short hotline message at once, and the
worker keeps asking with a growing wait (or as soon as Rasa answers anyone else) until it
gets the real answer. Messages still in the outbox at start-up (a restart during an outage)
are picked up again: nothing accepted is lost.

On shutdown (``close``) no new message is started and no retry waited for; answers being
worked on may finish within the grace period, and one being sent is always sent whole. What
is left stays in the outbox for the next start. Log lines of a message carry the id of the
webhook request that accepted it (``job-<id>`` after a restart or for a polled message).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import time
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from connectors import messages, request_context
from connectors.channels.base import Channel, Incoming, SendError, log_tag, rasa_sender
from connectors.chat import fallback_replies, prepare_text
from connectors.locality import HotlineSource
from connectors.rasa_client import RasaError, RasaTurn
from connectors.ratelimit import ThrottleVerdict, Throttle
from connectors.replies import Button, Reply, from_rasa, render
from connectors.state import ChannelState, Job
from tthc.privacy import mask_pii

logger = logging.getLogger(__name__)

AskRasa = Callable[[str, str, dict[str, Any]], Awaitable[RasaTurn]]
Probe = Callable[[], Awaitable[bool]]

UNSUPPORTED = {
    "image": messages.UNSUPPORTED_IMAGE,
    "sticker": messages.UNSUPPORTED_STICKER,
    "location": messages.UNSUPPORTED_LOCATION,
    "file": messages.UNSUPPORTED_FILE,
    "other": messages.UNSUPPORTED_OTHER,
    "expired": messages.BUTTON_EXPIRED,
}
SEND_TRIES = 3
SEND_GRACE_S = 3.0  # on shutdown, an answer being sent gets this long to be sent whole
_OPTION_NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


@dataclass(frozen=True)
class Policy:
    notice_after_s: float = 5.0
    retry_first_s: float = 1.0
    retry_max_s: float = 60.0
    retry_for_s: float = 86_400.0
    dedupe_ttl_s: float = 259_200.0
    notice_repeat_s: float = 600.0  # one hotline notice per citizen per outage, at most this often
    rasa_concurrency: int = 8


class Inbox:
    def __init__(
        self,
        store: ChannelState,
        ask_rasa: AskRasa,
        actions_healthy: Probe,
        hotline: HotlineSource,
        locality: str,
        policy: Policy,
        throttle: Throttle | None = None,
    ) -> None:
        self._store = store
        self._throttle = throttle  # per platform user: a flood is dropped, told once
        self._ask_rasa = ask_rasa
        self._actions_healthy = actions_healthy
        self._hotline = hotline
        self._locality = locality
        self._policy = policy
        self._channels: dict[str, Channel] = {}
        self._queues: dict[str, asyncio.Queue[Job]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._stalled: set[str] = set()
        self._last_notice: dict[str, float] = {}
        self._recovered = asyncio.Event()
        self._rasa_slots = asyncio.Semaphore(policy.rasa_concurrency)
        self._closing = False
        self._sending: set[str] = set()  # senders whose answer is being sent right now

    # --- wiring ------------------------------------------------------------------------------

    def attach(self, channel: Channel) -> None:
        """A started channel: its messages can be answered (and its outbox resumed)."""
        self._channels[channel.name] = channel
        for job in self._store.pending({channel.name}):
            logger.info("outbox: resuming message %s of %s", job.id, channel.name)
            self._enqueue(job)

    def resume(self, jobs: list[Job]) -> None:
        """Messages taken over from a replica that stopped (shared state database)."""
        for job in jobs:
            if job.channel in self._channels:
                logger.info("outbox: adopting message %s of %s", job.id, job.channel)
                self._enqueue(job)

    async def close(self, grace_s: float = 0.0) -> None:
        """Stop the workers; unanswered messages stay in the outbox for the next start.

        Workers start no new message and stop retrying at once; one asking Rasa may finish
        within ``grace_s``, and one sending its answer gets up to SEND_GRACE_S more, since a
        half-sent answer would be sent again in full after the restart.
        """
        if self._closing and not self._workers:
            return  # closed already
        self._closing = True
        self._wake_waiters()
        workers = dict(self._workers)
        if workers and grace_s > 0:
            await asyncio.wait(workers.values(), timeout=grace_s)
        sending = [task for key, task in workers.items() if key in self._sending and not task.done()]
        if sending:
            await asyncio.wait(sending, timeout=SEND_GRACE_S)
        for task in workers.values():
            task.cancel()
        await asyncio.gather(*workers.values(), return_exceptions=True)
        left = len(self._store.pending(set(self._channels)))
        if left:
            logger.info("outbox: %d message(s) kept for the next start", left)

    # --- the way in --------------------------------------------------------------------------

    async def submit(self, incoming: Incoming) -> bool:
        """Accept one message; False if it is a redelivery of one already accepted."""
        try:
            job = self._store.accept(
                incoming.channel,
                incoming.user_id,
                incoming.message_id,
                incoming.kind,
                incoming.text,
                self._policy.dedupe_ttl_s,
            )
        except Exception as exc:  # the state database is unreachable (a shared one restarting)
            logger.warning(
                "%s sender=%s message held in memory, state store unavailable: %s",
                incoming.channel,
                log_tag(_key(incoming.channel, incoming.user_id)),
                type(exc).__name__,
            )
            self._spawn(self._accept_later(incoming))
            return True
        tag = log_tag(_key(incoming.channel, incoming.user_id))
        if job is None:
            logger.info(
                "%s sender=%s duplicate message dropped",
                incoming.channel,
                tag,
                extra={"channel": incoming.channel, "sender": tag},
            )
            return False
        job.request_id = request_context.current()
        decision = self._throttle.check(_key(job.channel, job.user_id)) if self._throttle else None
        if decision in (ThrottleVerdict.NOTIFY, ThrottleVerdict.DROP):
            # Stays "seen", so a redelivery is dropped too; the platform still gets its 200
            # (an error would only make it retry), the citizen one short notice per burst.
            self._store.done(job)
            logger.warning(
                "%s sender=%s message %s dropped: sending too fast",
                job.channel,
                tag,
                job.id,
                extra={"channel": job.channel, "sender": tag, "job": job.id},
            )
            if decision is ThrottleVerdict.NOTIFY:
                self._spawn(self._too_fast(job))
            return True
        logger.info(
            "%s sender=%s message %s accepted (%s)",
            incoming.channel,
            tag,
            job.id,
            job.kind,
            extra={"channel": job.channel, "sender": tag, "job": job.id},
        )
        key = _key(job.channel, job.user_id)
        if key in self._stalled and job.kind == "text":
            # Rasa is already failing for this citizen: say so now, answer when it is back.
            self._spawn(self._notify(job))
        self._enqueue(job)
        return True

    async def _accept_later(self, incoming: Incoming) -> None:
        """Accept a held message once the state database answers again: neither lost nor,
        if the platform redelivered it meanwhile, answered twice (the dedupe runs then). The
        citizen gets the hotline notice if that takes longer than ``notice_after_s``. Held
        only in this process: a replica stopped during the outage loses what it held."""
        started = time.monotonic()
        wait = self._policy.retry_first_s
        noticed = False
        while not self._closing:
            held = time.monotonic() - started
            await asyncio.sleep(wait if noticed else max(0.05, min(wait, self._policy.notice_after_s - held)))
            try:
                self._store.get("inbox:probe")
            except Exception:
                held = time.monotonic() - started
                if held > self._policy.retry_for_s:
                    logger.error("%s: held message dropped after %.0f s", incoming.channel, held)
                    return
                if not noticed and held >= self._policy.notice_after_s - 0.05 and incoming.channel in self._channels:
                    noticed = True
                    transient = Job(0, incoming.channel, incoming.user_id, incoming.message_id, incoming.kind,
                                    incoming.text, time.time())  # fmt: skip
                    await self._notify_held(transient)
                wait = min(wait * 2, self._policy.retry_max_s)
                continue
            await self.submit(incoming)
            return

    async def _notify_held(self, job: Job) -> None:
        """The hotline notice for a message not even in the outbox yet (nothing stored)."""
        await self._delay_notice(job)

    def _enqueue(self, job: Job) -> None:
        key = _key(job.channel, job.user_id)
        queue = self._queues.setdefault(key, asyncio.Queue())
        queue.put_nowait(job)
        if key not in self._workers and not self._closing:
            self._workers[key] = asyncio.create_task(self._work(key), name=f"inbox:{key}")

    async def _work(self, key: str) -> None:
        queue = self._queues[key]
        try:
            while not queue.empty() and not self._closing:
                job = queue.get_nowait()
                try:
                    with request_context.bound(job.request_id or f"job-{job.id}"):
                        await self._handle(job)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.exception("%s: message %s failed unexpectedly", job.channel, job.id)
                    self._store.done(job)
        finally:
            # No await between the empty check and here: a new message starts a new worker.
            self._workers.pop(key, None)
            if queue.empty():
                self._queues.pop(key, None)

    # --- one message -------------------------------------------------------------------------

    async def _handle(self, job: Job) -> None:
        channel = self._channels[job.channel]
        if job.kind != "text":
            await self._finish(job, [Reply(text=UNSUPPORTED[job.kind])])
            return
        text = self._chosen_option(job) or prepare_text(job.text)
        if not text:
            await self._finish(job, [Reply(text=messages.EMPTY_TEXT)])
            return
        sender = rasa_sender(channel.prefix, job.user_id)
        key = _key(job.channel, job.user_id)
        logger.debug("%s sender=%s text=%r", job.channel, log_tag(key), mask_pii(text))
        while True:
            replies = await self._answer(job, sender, text)
            if replies is not None:
                self._stalled.discard(key)
                self._wake_waiters()
                await self._finish(job, replies)
                return
            self._stalled.add(key)
            if not job.notified:
                await self._notify(job)
            job.attempts += 1
            self._store.update(job)
            if time.time() - job.created > self._policy.retry_for_s:
                logger.error(
                    "%s sender=%s message %s dropped: no answer from Rasa after %d tries",
                    job.channel,
                    log_tag(key),
                    job.id,
                    job.attempts,
                )
                self._store.done(job)
                return
            if self._closing:
                return  # kept in the outbox: asked again after the next start
            await self._wait_before_retry(job.attempts)
            if self._closing:
                return

    async def _answer(self, job: Job, sender: str, text: str) -> list[Reply] | None:
        """Rasa's replies, or None when it must be asked again later."""
        metadata = {"channel": job.channel, "locality": self._locality}
        task = asyncio.create_task(self._call_rasa(sender, text, metadata))
        try:
            if not job.notified:
                done, _ = await asyncio.wait({task}, timeout=self._policy.notice_after_s)
                if not done:
                    logger.warning("%s: Rasa is slow, hotline message sent meanwhile", job.channel)
                    await self._notify(job)
            turn = await task
        except RasaError as exc:
            logger.warning("%s: message %s not answered yet: %s", job.channel, job.id, exc)
            return None
        finally:
            if not task.done():
                task.cancel()
        replies = from_rasa(turn.messages)
        if replies:
            return replies
        if await self._actions_healthy():
            # Rasa and its actions are fine and simply said nothing: do not ask again.
            logger.warning("%s: Rasa answered no message; hotline given", job.channel)
            return fallback_replies(self._hotline)
        logger.warning("%s: Rasa answered nothing and the action server is down", job.channel)
        return None

    async def _call_rasa(self, sender: str, text: str, metadata: dict[str, Any]) -> RasaTurn:
        async with self._rasa_slots:
            return await self._ask_rasa(sender, text, metadata)

    async def _wait_before_retry(self, attempts: int) -> None:
        delay = min(self._policy.retry_first_s * 2 ** (attempts - 1), self._policy.retry_max_s)
        delay *= random.uniform(0.8, 1.0)
        recovered = self._recovered
        with contextlib.suppress(asyncio.TimeoutError):  # not builtins.TimeoutError on 3.10
            await asyncio.wait_for(recovered.wait(), timeout=delay)

    def _wake_waiters(self) -> None:
        """Rasa answered: every worker waiting to retry tries again now."""
        self._recovered.set()
        self._recovered = asyncio.Event()

    async def _notify(self, job: Job) -> None:
        """The hotline message, at most once per message and once per outage per citizen."""
        if job.notified:
            return
        job.notified = True
        self._store.update(job)
        await self._delay_notice(job)

    async def _delay_notice(self, job: Job) -> None:
        """"Busy, call the hotline", at most once per outage (notice_repeat_s) per citizen."""
        key = _key(job.channel, job.user_id)
        now = time.monotonic()
        last = self._last_notice.get(key)
        if last is not None and now - last < self._policy.notice_repeat_s:
            return
        self._last_notice[key] = now
        text = messages.BOT_DELAYED.format(name=self._hotline.name, number=self._hotline.number)
        button = Button(
            messages.CALL_BUTTON.format(number=self._hotline.number), phone=self._hotline.dial
        )
        await self._deliver(job, [Reply(text=text, buttons=[button])], remember_options=False)

    async def _too_fast(self, job: Job) -> None:
        text = messages.TOO_FAST_CHANNEL.format(name=self._hotline.name, number=self._hotline.number)
        await self._deliver(job, [Reply(text=text)], remember_options=False)

    # --- the way out -------------------------------------------------------------------------

    async def _finish(self, job: Job, replies: list[Reply]) -> None:
        """Send the answer, then drop the message from the outbox (``close`` lets this end)."""
        key = _key(job.channel, job.user_id)
        self._sending.add(key)
        try:
            await self._deliver(job, replies)
            self._store.done(job)
        finally:
            self._sending.discard(key)

    async def _deliver(self, job: Job, replies: list[Reply], remember_options: bool = True) -> None:
        channel = self._channels[job.channel]
        rendered = render(replies, channel.render_as)
        if remember_options:
            self._remember_options(job, rendered)
        tag = log_tag(_key(job.channel, job.user_id))
        for reply in rendered:
            for attempt in range(1, SEND_TRIES + 1):
                try:
                    await channel.send(job.user_id, reply)
                    break
                except SendError as exc:
                    if not exc.retryable or attempt == SEND_TRIES:
                        logger.error("%s sender=%s reply not delivered: %s", job.channel, tag, exc)
                        break
                    logger.warning("%s sender=%s send failed, retrying: %s", job.channel, tag, exc)
                    await asyncio.sleep(0.5 * 2 ** (attempt - 1))
        logger.info(
            "%s sender=%s message %s answered (%d)",
            job.channel,
            tag,
            job.id,
            len(rendered),
            extra={"channel": job.channel, "sender": tag, "job": job.id},
        )

    def _remember_options(self, job: Job, rendered: list[Reply]) -> None:
        options = next((r.options for r in reversed(rendered) if r.options), [])
        key = "options:" + _key(job.channel, job.user_id)
        if any(button.payload for button in options):
            pairs = [[button.title, button.payload] for button in options]
            self._store.put(key, {"numbered": len(options) > 1, "options": pairs})
        else:
            self._store.delete(key)

    def _chosen_option(self, job: Job) -> str | None:
        """A reply "2" (or a line's title) to options shown as lines: that button's payload."""
        saved = self._store.get("options:" + _key(job.channel, job.user_id))
        if not saved:
            return None
        options = saved["options"]
        match = _OPTION_NUMBER.match(job.text)
        if match and saved["numbered"]:
            index = int(match.group(1)) - 1
            if 0 <= index < len(options):
                return options[index][1] or None
            return None
        wanted = _fold(job.text)
        return next(
            (payload for title, payload in options if payload and _fold(title) == wanted), None
        )

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        task.add_done_callback(_log_failure)


def _key(channel: str, user_id: str) -> str:
    return f"{channel}:{user_id}"


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _log_failure(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("background notice failed: %r", task.exception())


def policy_from(settings: Any) -> Policy:
    return Policy(
        notice_after_s=settings.notice_after_s,
        retry_first_s=settings.retry_first_s,
        retry_max_s=settings.retry_max_s,
        retry_for_s=settings.retry_for_s,
        dedupe_ttl_s=settings.dedupe_ttl_s,
    )
