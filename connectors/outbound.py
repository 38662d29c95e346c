"""The durable outbound queue: every message to a citizen on a channel (Rasa's answers, the
gateway's own notices, officers' messages) is written to the channel state before it is sent
and stays there until the platform took it or refused it for good.

- One worker per citizen sends that citizen's messages oldest first, part after part; a part
  the platform took is recorded at once, so none is sent twice, even after a restart.
- An error that proves the message was not delivered (unreachable, 5xx, 429, Zalo's rate
  limit and expired tokens) is retried with a doubling wait (``retry_first_s`` up to
  ``retry_max_s``, never sooner than the platform's ``retry_after``) for ``retry_for_s``;
  later messages to the same citizen wait behind it, so answers never overtake each other.
  When the platform takes a message again, every citizen waiting on that channel is tried at
  once; a new message from a citizen also ends that citizen's wait (Zalo's interaction window
  opens again when they write).
- A send that went out and got no answer (a read timeout) may have been delivered: it is
  tried once more, and counted (``unknown_outcomes`` in /health); after a second such
  timeout the part is not sent again.
- "Message too long" splits the part in two and sends the halves; a blocked bot or an
  unknown chat drops the citizen's message, an invalid request drops that part, each with a
  log line. Nothing is said to be "delivered" before the platform took every part. A
  platform window closed (Zalo OA -230) drops an answer, but an officer's message waits for
  the citizen to write again (or is tried again later).
- An answer sent more than ``late_after_s`` after the question quotes it first
  (``messages.LATE_ANSWER``); a "please wait" notice that could not go out in that time is
  dropped (the answer follows).
- Several gateway replicas share the queue (a shared state database): a replica works on a
  citizen only under a lease in the state store, renewed while it works and released at
  shutdown, so one citizen's messages leave from one replica, in order; a replica that died
  leaves its citizens to the others when the lease runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from connectors import messages, request_context
from connectors.channels.base import Channel, SendError, log_tag
from connectors.replies import LIMITS, Reply
from connectors.state import ChannelState, Job, Send
from connectors.textsplit import measure, split_text

logger = logging.getLogger(__name__)

POLL_S = 1.0  # how often queued messages of other replicas and of past runs are looked for
LEASE_S = 60.0  # a citizen's queue is this replica's for this long, renewed while it works
RENEW_S = 20.0  # a worker waiting longer renews its lease meanwhile
NOT_READY_WAIT_S = 0.5  # a channel still starting is looked at again this often
SEND_GRACE_S = 3.0  # on shutdown, a message being sent gets this long to be sent whole
UNKNOWN_RETRIES = 1  # a part whose send got no answer is sent once more, no more
QUESTION_CHARS = 80  # how much of a question a late answer quotes


@dataclass(frozen=True)
class SendPolicy:
    retry_first_s: float = 1.0
    retry_max_s: float = 60.0
    retry_for_s: float = 86_400.0
    late_after_s: float = 300.0
    ref_ttl_s: float = 259_200.0  # how long an officer message's id is remembered (no re-queue)


def send_policy_from(settings: Any) -> SendPolicy:
    return SendPolicy(
        retry_first_s=settings.send_retry_first_s,
        retry_max_s=settings.send_retry_max_s,
        retry_for_s=settings.send_retry_for_s,
        late_after_s=settings.late_answer_s,
        ref_ttl_s=settings.dedupe_ttl_s,
    )


class Outbound:
    def __init__(self, store: ChannelState, policy: SendPolicy | None = None) -> None:
        self._store = store
        self._policy = policy or SendPolicy()
        self._channels: dict[str, Channel] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._more: set[str] = set()  # citizens with a message queued since their worker looked
        self._pokes: dict[str, asyncio.Event] = {}  # per citizen: stop waiting, try now
        self._recovered: dict[str, asyncio.Event] = {}  # per channel: it took a message again
        self._sending: set[str] = set()  # citizens whose message is being sent right now
        self._hard: dict[str, float] = {}  # per citizen: the platform's retry_after deadline
        self._poller: asyncio.Task[None] | None = None
        self._closing = False
        self.unknown_outcomes = 0  # sends that went out and got no answer, since start

    # --- wiring ------------------------------------------------------------------------------

    def attach(self, channel: Channel) -> None:
        """A started channel: its queued messages (of a past run too) are sent."""
        self._channels[channel.name] = channel
        if self._poller is None and not self._closing:
            self._poller = asyncio.create_task(self._poll(), name="outbound:poll")

    async def close(self, grace_s: float = 0.0) -> None:
        """Stop sending: a message being sent may finish (at most SEND_GRACE_S, or ``grace_s``
        if longer); everything else stays queued for the next start or another replica."""
        if self._closing and not self._workers and self._poller is None:
            return
        self._closing = True
        for event in (*self._pokes.values(), *self._recovered.values()):
            event.set()
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
            self._poller = None
        workers = dict(self._workers)
        sending = [task for key, task in workers.items() if key in self._sending and not task.done()]
        if sending:
            await asyncio.wait(sending, timeout=max(grace_s, SEND_GRACE_S))
        for task in workers.values():
            task.cancel()
        await asyncio.gather(*workers.values(), return_exceptions=True)
        with contextlib.suppress(Exception):  # the state store may be down: leases run out
            self._store.release()
            depth, _ = self._store.send_backlog()
            if depth:
                logger.info("outbound: %d message(s) kept for the next start", depth)

    # --- the way in --------------------------------------------------------------------------

    def queue(
        self,
        channel: str,
        user_id: str,
        parts: list[Reply],
        kind: str,
        *,
        question: str | None = None,
        asked: float | None = None,
        request_id: str | None = None,
        ref: str | None = None,
        answered: Job | None = None,
    ) -> int | None:
        """Store a rendered message for a citizen and start sending it; its id, or None if
        ``ref`` was queued before. ``answered``: the inbox message it answers, removed from
        the inbox in the same transaction. A notice expires after ``late_after_s``."""
        if not parts:
            if answered is not None:
                self._store.done(answered)
            return None
        lifetime = self._policy.late_after_s if kind == "notice" else self._policy.retry_for_s
        send_id = self._store.queue_send(
            channel, user_id, kind, [part.to_dict() for part in parts], lifetime,
            question=question, asked=asked, request_id=request_id, ref=ref,
            ref_ttl_s=self._policy.ref_ttl_s, answered=answered,
        )  # fmt: skip
        if send_id is not None:
            self._start(channel, user_id)
        return send_id

    def queued(self, ref: str) -> bool:
        """Whether the message queued under ``ref`` still waits to be sent."""
        return self._store.send_queued(ref)

    def poke(self, channel: str, user_id: str) -> None:
        """The citizen wrote: a message waiting for them is tried now (unless the platform
        asked for a wait)."""
        event = self._pokes.get(_key(channel, user_id))
        if event is not None:
            event.set()

    async def send_now(self, channel_name: str, user_id: str, parts: list[Reply]) -> None:
        """Best effort, not stored: for when the state store itself is unreachable."""
        channel = self._channels.get(channel_name)
        if channel is None or not channel.ready:
            return
        for part in parts:
            try:
                await channel.send(user_id, part)
            except SendError as exc:
                tag = log_tag(_key(channel_name, user_id))
                logger.warning("%s sender=%s notice not delivered: %s", channel_name, tag, exc)
                return

    def backlog(self) -> dict[str, Any]:
        """The queue for /health and the console: depth, oldest age (s), unknown outcomes."""
        depth, oldest = self._store.send_backlog()
        return {
            "depth": depth,
            "oldest_age_s": round(oldest, 1) if oldest is not None else None,
            "unknown_outcomes": self.unknown_outcomes,
        }

    # --- workers -----------------------------------------------------------------------------

    def _start(self, channel: str, user_id: str) -> None:
        key = _key(channel, user_id)
        self._more.add(key)
        if key in self._workers or self._closing or channel not in self._channels:
            return
        self._workers[key] = asyncio.create_task(self._work(key, channel, user_id), name=f"outbound:{key}")

    async def _poll(self) -> None:
        """Queued messages no worker of this process has: a past run's, a dead replica's, or
        one a worker missed while another replica held the citizen."""
        while not self._closing:
            try:
                for channel, user_id in self._store.citizens_waiting(set(self._channels)):
                    self._start(channel, user_id)
            except Exception as exc:  # the state store is unreachable: look again later
                logger.warning("outbound: queue not readable: %s", type(exc).__name__)
            await asyncio.sleep(POLL_S)

    async def _work(self, key: str, channel: str, user_id: str) -> None:
        try:
            while not self._closing:
                self._more.discard(key)
                if not self._store.hold(key, LEASE_S):
                    return  # another replica sends to this citizen now; the poller looks again
                send = self._store.next_send(channel, user_id)
                if send is None:
                    if key in self._more:
                        continue
                    self._store.release(key)  # no await from the look to here: nothing missed
                    return
                with request_context.bound(send.request_id or f"send-{send.id}"):
                    await self._deliver(key, send)
        except asyncio.CancelledError:
            raise
        except (SQLAlchemyError, OSError) as exc:  # the state store is unreachable
            logger.warning("%s sender=%s outbound queue not reachable (%s): resumed by the next poll",
                           channel, log_tag(key), type(exc).__name__)  # fmt: skip
        except Exception:
            logger.exception("%s sender=%s outbound worker stopped", channel, log_tag(key))
        finally:
            self._workers.pop(key, None)
            self._more.discard(key)
            self._pokes.pop(key, None)
            self._hard.pop(key, None)

    async def _deliver(self, key: str, send: Send) -> None:
        """Wait until the message is due, then send what is left of it."""
        while not self._closing:
            channel = self._channels[send.channel]
            now = time.time()
            if now > send.expires:
                self._give_up(key, send)
                return
            if channel.ready and send.next_at <= now:
                break
            wait = NOT_READY_WAIT_S if send.next_at <= now else send.next_at - now
            woken = await self._wait(key, send.channel, min(wait, RENEW_S))
            if not self._store.hold(key, LEASE_S):
                return
            if woken:  # ... but never before the platform's own retry_after
                send.next_at = max(time.time(), self._hard.get(key, 0.0))
        if self._closing:
            return
        self._sending.add(key)
        try:
            self._hard[key] = await self._attempt(key, self._channels[send.channel], send)
        finally:
            self._sending.discard(key)

    async def _wait(self, key: str, channel: str, seconds: float) -> bool:
        """Sleep, or less if the citizen wrote or the channel works again; True if woken."""
        poke = self._pokes.setdefault(key, asyncio.Event())
        recovered = self._recovered.setdefault(channel, asyncio.Event())
        waits = {asyncio.ensure_future(poke.wait()), asyncio.ensure_future(recovered.wait())}
        try:
            done, _ = await asyncio.wait(waits, timeout=max(seconds, 0.0), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
        poke.clear()
        return bool(done)

    # --- one message -------------------------------------------------------------------------

    async def _attempt(self, key: str, channel: Channel, send: Send) -> float:
        """Send the parts not sent yet. Returns the time before which the platform asked not
        to be called again (0 if none); the message stays queued unless done."""
        self._quote_if_late(channel, send)
        tag = log_tag(key)
        missed = 0  # parts refused, or sent twice without an answer
        while send.sent < len(send.parts):
            part = Reply.from_dict(send.parts[send.sent])
            try:
                await channel.send(send.user_id, part)
            except SendError as exc:
                before = send.sent
                verdict = self._failed(key, channel, send, exc)
                if verdict is not None:
                    return verdict
                missed += send.sent - before  # skipped (a split leaves ``sent`` as it was)
                continue
            except Exception:  # a library failing in an unforeseen way: this part only
                logger.exception("%s sender=%s part %d of %s %s not delivered", send.channel, tag,
                                 send.sent + 1, send.kind, send.id)  # fmt: skip
                self._next_part(send)
                missed += 1
                continue
            self._next_part(send)
            self._recovered_now(send.channel)
        self._store.drop_send(send.id)
        outcome = "delivered" if not missed else f"done, {missed} part(s) of it not surely delivered"
        logger.info(
            "%s sender=%s %s %s %s (%d part(s), %d tries)",
            send.channel, tag, send.kind, send.id, outcome, len(send.parts), send.attempts + 1,
            extra={"channel": send.channel, "sender": tag, "send": send.id},
        )  # fmt: skip
        return 0.0

    def _failed(self, key: str, channel: Channel, send: Send, exc: SendError) -> float | None:
        """Handle one failed part: None to go on with the message now, else the platform's
        retry_after deadline (0 if none) and the message waits (or is gone)."""
        tag = log_tag(key)
        if exc.too_long and self._resplit(channel, send):
            logger.warning("%s sender=%s part %d too long for the platform: split", send.channel, tag, send.sent + 1)
            return None
        if exc.unknown:
            self.unknown_outcomes += 1
            send.unknown += 1
            if send.unknown > UNKNOWN_RETRIES:
                logger.warning("%s sender=%s part %d of %s %s: no answer again (%s); not sent a third time",
                               send.channel, tag, send.sent + 1, send.kind, send.id, exc)  # fmt: skip
                self._next_part(send)
                return None
            return self._retry_later(send, exc, tag)
        if exc.retryable or (exc.window_closed and send.kind == "officer"):
            return self._retry_later(send, exc, tag)
        if exc.gone or exc.window_closed:
            logger.error("%s sender=%s %s %s not delivered, refused for good (dropped): %s",
                         send.channel, tag, send.kind, send.id, exc)  # fmt: skip
            self._store.drop_send(send.id)
            return 0.0
        logger.error("%s sender=%s part %d of %s %s not delivered, refused (dropped): %s",
                     send.channel, tag, send.sent + 1, send.kind, send.id, exc)  # fmt: skip
        self._next_part(send)
        return None

    def _retry_later(self, send: Send, exc: SendError, tag: str) -> float:
        send.attempts += 1
        delay = min(self._policy.retry_first_s * 2 ** (send.attempts - 1), self._policy.retry_max_s)
        delay *= random.uniform(0.8, 1.0)
        delay = max(delay, exc.min_wait_s or 0.0, exc.retry_after or 0.0)
        now = time.time()
        send.next_at = now + delay
        self._store.save_send(send)
        logger.warning("%s sender=%s %s %s not delivered yet (%s), try %d in %.1f s",
                       send.channel, tag, send.kind, send.id, exc, send.attempts + 1, delay)  # fmt: skip
        return now + exc.retry_after if exc.retry_after else 0.0

    def _next_part(self, send: Send) -> None:
        """The current part is done with: record it, so a restart goes on from the next."""
        send.sent += 1
        send.unknown = 0
        if send.sent < len(send.parts):
            self._store.save_send(send)

    def _give_up(self, key: str, send: Send) -> None:
        level = logging.INFO if send.kind == "notice" else logging.ERROR
        waited = time.time() - send.created
        logger.log(level, "%s sender=%s %s %s not delivered, given up after %d tries over %.0f s",
                   send.channel, log_tag(key), send.kind, send.id, send.attempts, waited)  # fmt: skip
        self._store.drop_send(send.id)

    def _recovered_now(self, channel: str) -> None:
        """The platform took a message: citizens waiting on it are tried at once."""
        event = self._recovered.pop(channel, None)
        if event is not None:
            event.set()

    # --- reshaping a message -----------------------------------------------------------------

    def _quote_if_late(self, channel: Channel, send: Send) -> None:
        """An answer going out long after its question begins by quoting it (once)."""
        if send.kind != "answer" or send.sent or not send.question or send.asked is None:
            return
        if time.time() - send.asked < self._policy.late_after_s:
            return
        send.parts = quoted(send.parts, send.question, LIMITS[channel.render_as].max_text)
        send.question = None
        self._store.save_send(send)

    def _resplit(self, channel: Channel, send: Send) -> bool:
        pieces = halves(send.parts[send.sent])
        if len(pieces) < 2:
            return False
        send.parts[send.sent : send.sent + 1] = pieces
        self._store.save_send(send)
        return True


def outbound_health(outbound: Outbound | None) -> dict[str, Any] | None:
    """The queue in /health: {"depth", "oldest_age_s", "unknown_outcomes"}, or an error."""
    if outbound is None:
        return None
    try:
        return outbound.backlog()
    except Exception as exc:  # the state store is unreachable
        return {"error": type(exc).__name__}


def outbound_note(outbound: Outbound | None) -> str:
    """One sentence for the officers' console about the queue ("" without channels)."""
    health = outbound_health(outbound)
    if not health or "depth" not in health:
        return ""
    if not health["depth"]:
        return messages.OUTBOUND_EMPTY
    minutes = max(1, round((health["oldest_age_s"] or 0) / 60))
    return messages.OUTBOUND_WAITING.format(depth=health["depth"], minutes=minutes)


def quoted(parts: list[dict[str, Any]], question: str, max_text: int | None) -> list[dict[str, Any]]:
    """The parts of a late answer, the first one saying which question they answer."""
    question = " ".join(unicodedata.normalize("NFC", question).split())
    if len(question) > QUESTION_CHARS:
        question = question[: QUESTION_CHARS - 1].rstrip() + "…"
    quote = messages.LATE_ANSWER.format(question=question)
    first = dict(parts[0])
    text = f"{quote}\n\n{first['text']}" if first.get("text") else quote
    if not first.get("image") and (max_text is None or measure(text) <= max_text):
        first["text"] = text
        return [first, *parts[1:]]
    return [{"text": quote}, *parts]


def halves(part: dict[str, Any]) -> list[dict[str, Any]]:
    """A part the platform found too long, as two or more shorter ones (buttons on the last)."""
    text = part.get("text") or ""
    buttons = part.get("buttons")
    if part.get("image") and text:  # the caption was too long: the photo, then the text
        return [{"image": part["image"]}, {"text": text, **({"buttons": buttons} if buttons else {})}]
    size = measure(text)
    if size < 2:
        return [part]
    chunks = split_text(text, max(1, (size + 1) // 2))
    pieces: list[dict[str, Any]] = [{"text": chunk} for chunk in chunks]
    if buttons:
        pieces[-1]["buttons"] = buttons
    return pieces


def _key(channel: str, user_id: str) -> str:
    return f"{channel}:{user_id}"
