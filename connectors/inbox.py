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

Answers and notices are not sent from here: they are rendered for the channel and put in the
outbound queue (``connectors.outbound``), the answer in the same transaction that takes its
question out of the inbox, and the queue sends them, in order, until the platform takes them.
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
from connectors.channels.base import Channel, Incoming, log_tag, rasa_sender
from connectors.chat import fallback_replies, prepare_text
from connectors.locality import HotlineSource
from connectors.outbound import Outbound
from connectors.rasa_client import RasaError, RasaTurn
from connectors.ratelimit import Throttle, ThrottleVerdict
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
        outbound: Outbound | None = None,
    ) -> None:
        self._store = store
        self.outbound = outbound or Outbound(store)
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

    # --- wiring ------------------------------------------------------------------------------

    def attach(self, channel: Channel) -> None:
        """A started channel: its messages can be answered (and its outbox resumed)."""
        self._channels[channel.name] = channel
        self.outbound.attach(channel)
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
        within ``grace_s`` (its answer is queued). Then the outbound queue stops: a message
        being sent is sent whole, the rest stays queued for the next start.
        """
        if self._closing and not self._workers:
            await self.outbound.close()
            return  # closed already
        self._closing = True
        self._wake_waiters()
        workers = dict(self._workers)
        started = time.monotonic()
        if workers and grace_s > 0:
            await asyncio.wait(workers.values(), timeout=grace_s)
        for task in workers.values():
            task.cancel()
        await asyncio.gather(*workers.values(), return_exceptions=True)
        left = len(self._store.pending(set(self._channels)))
        if left:
            logger.info("outbox: %d message(s) kept for the next start", left)
        await self.outbound.close(max(0.0, grace_s - (time.monotonic() - started)))

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
        self.outbound.poke(job.channel, job.user_id)  # a message waiting for them goes now
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
        """The hotline notice for a message not even in the outbox yet: sent at once, not
        queued (the state store is what is down)."""
        await self._delay_notice(job, queued=False)

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
        # The platform's message id: a ticket or booking made for it is made once (issue 15).
        metadata = {"channel": job.channel, "locality": self._locality, "message_id": job.message_id}
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

    async def _delay_notice(self, job: Job, queued: bool = True) -> None:
        """ "Busy, call the hotline", at most once per outage (notice_repeat_s) per citizen."""
        key = _key(job.channel, job.user_id)
        now = time.monotonic()
        last = self._last_notice.get(key)
        if last is not None and now - last < self._policy.notice_repeat_s:
            return
        self._last_notice[key] = now
        text = messages.BOT_DELAYED.format(name=self._hotline.name, number=self._hotline.number)
        button = Button(messages.CALL_BUTTON.format(number=self._hotline.number), phone=self._hotline.dial)
        notice = [Reply(text=text, buttons=[button])]
        if not queued:
            channel = self._channels[job.channel]
            await self.outbound.send_now(job.channel, job.user_id, render(notice, channel.render_as))
            return
        self._queue(job, notice, "notice")

    async def _too_fast(self, job: Job) -> None:
        text = messages.TOO_FAST_CHANNEL.format(name=self._hotline.name, number=self._hotline.number)
        self._queue(job, [Reply(text=text)], "notice")

    # --- the way out -------------------------------------------------------------------------

    async def _finish(self, job: Job, replies: list[Reply]) -> None:
        """Queue the answer; the message leaves the outbox in the same transaction."""
        self._queue(job, replies, "answer", answered=job)

    def _queue(self, job: Job, replies: list[Reply], kind: str, answered: Job | None = None) -> None:
        """Render replies for the citizen's channel and put them in the outbound queue. An
        answer's numbered lines become the citizen's current options."""
        channel = self._channels[job.channel]
        rendered = render(replies, channel.render_as)
        if kind == "answer":
            self._remember_options(job, rendered)
        question = job.text if kind == "answer" and job.kind == "text" and not _is_payload(job.text) else None
        self.outbound.queue(
            job.channel, job.user_id, rendered, kind,
            question=question, asked=job.created, request_id=job.request_id, answered=answered,
        )  # fmt: skip
        if kind == "answer":
            tag = log_tag(_key(job.channel, job.user_id))
            logger.info(
                "%s sender=%s message %s answered (%d), queued for sending",
                job.channel,
                tag,
                job.id,
                len(rendered),
                extra={"channel": job.channel, "sender": tag, "job": job.id},
            )

    def _remember_options(self, job: Job, rendered: list[Reply]) -> None:
        """The lines of every message of this answer, numbered across them: a bare number
        answers this, the most recent list (an answer without lines clears it)."""
        options = [option for reply in rendered for option in reply.options]
        key = "options:" + _key(job.channel, job.user_id)
        if any(option.button.payload for option in options):
            rows = [[option.number, option.button.title, option.button.payload] for option in options]
            self._store.put(key, {"lines": rows})
        else:
            self._store.delete(key)

    def _chosen_option(self, job: Job) -> str | None:
        """A reply "2" (or a line's title) to options shown as lines: that button's payload."""
        saved = self._store.get("options:" + _key(job.channel, job.user_id))
        if not saved:
            return None
        lines = _saved_lines(saved)
        match = _OPTION_NUMBER.match(job.text)
        if match:
            number = int(match.group(1))
            return next((payload or None for shown, _, payload in lines if shown == number), None)
        wanted = _fold(job.text)
        return next((payload for _, title, payload in lines if payload and _fold(title) == wanted), None)

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        task.add_done_callback(_log_failure)


def _key(channel: str, user_id: str) -> str:
    return f"{channel}:{user_id}"


def _saved_lines(saved: dict[str, Any]) -> list[tuple[int | None, str, str | None]]:
    """(number, title, payload) of the saved options; also as a gateway before issue 15 saved them."""
    if "lines" in saved:
        return [(number, title, payload) for number, title, payload in saved["lines"]]
    numbered = saved.get("numbered")
    return [(i if numbered else None, title, payload) for i, (title, payload) in enumerate(saved["options"], 1)]


def _is_payload(text: str) -> bool:
    """A button's payload ("/ask_fee", "#rating:up") is no question to quote."""
    return text.startswith(("/", "#"))


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
