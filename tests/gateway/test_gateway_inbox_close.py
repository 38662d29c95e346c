"""Inbox.close at shutdown: an answer being sent is sent whole and leaves the outbox; a message
still waiting for Rasa stays in the outbox; the log lines of a message carry the id of the
request that accepted it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from connectors import request_context
from connectors.channels.base import Incoming
from connectors.inbox import Inbox, Policy
from connectors.locality import Hotline
from connectors.rasa_client import RasaTurn
from connectors.replies import Reply
from connectors.state import ChannelState
from connectors.webhook_auth import Verdict


class GatedChannel:
    """A channel that records what it sends; with ``hold``, every message after the first waits
    until the test opens ``gate`` (an answer caught half-sent, whatever the machine's load)."""

    name = "telegram"
    prefix = "tg"
    render_as = "telegram"
    ready = True

    def __init__(self, hold: bool = False) -> None:
        self.hold = hold
        self.sent: list[str] = []
        self.first_sent = asyncio.Event()
        self.gate = asyncio.Event()

    def verify(self, headers: Mapping[str, str], body: bytes) -> Verdict:
        return Verdict.OK

    async def receive(self, body: bytes) -> None:
        return None

    async def send(self, user_id: str, reply: Reply) -> None:
        if self.hold and self.sent:
            await self.gate.wait()
        self.sent.append(reply.text or "")
        self.first_sent.set()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


def make_inbox(store: ChannelState, answer: Any) -> Inbox:
    async def actions_healthy() -> bool:
        return True

    return Inbox(store, answer, actions_healthy, Hotline("Tổng đài", "1022"), "tinh-thu", Policy(notice_after_s=30))


def test_an_answer_being_sent_is_sent_whole(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = ChannelState(tmp_path / "state.sqlite3")
        channel = GatedChannel(hold=True)

        async def answer(sender: str, text: str, metadata: dict[str, Any]) -> RasaTurn:
            # Buttons keep the three apart (text-only replies would be joined into one message).
            button = [{"title": "Tiếp", "payload": "/tiep"}]
            parts = [{"text": text, "buttons": button} for text in ("một", "hai", "ba")]
            return RasaTurn(parts, None, None)

        inbox = make_inbox(store, answer)
        inbox.attach(channel)
        await inbox.submit(Incoming("telegram", "777", "m1", text="hỏi"))
        await asyncio.wait_for(channel.first_sent.wait(), 10)
        closing = asyncio.create_task(inbox.close(grace_s=0))  # no grace for Rasa, but the answer is half-sent
        for _ in range(5):  # close() runs up to its wait for the answer being sent
            await asyncio.sleep(0)
        assert not closing.done() and channel.sent == ["một"]
        channel.gate.set()
        await asyncio.wait_for(closing, 10)
        assert channel.sent == ["một", "hai", "ba"]
        assert store.pending() == []
        store.close()

    asyncio.run(scenario())


def test_a_message_waiting_for_rasa_stays_in_the_outbox_with_its_request_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        store = ChannelState(tmp_path / "state.sqlite3")
        channel = GatedChannel()
        asked: list[str | None] = []
        reached, never = asyncio.Event(), asyncio.Event()

        async def answer(sender: str, text: str, metadata: dict[str, Any]) -> RasaTurn:
            asked.append(request_context.current())
            reached.set()
            await never.wait()  # Rasa never answers
            raise AssertionError("never answered")

        inbox = make_inbox(store, answer)
        inbox.attach(channel)
        with request_context.bound("req-webhook-1"):
            await inbox.submit(Incoming("telegram", "777", "m1", text="hỏi"))
        await asyncio.wait_for(reached.wait(), 10)
        # Returns although Rasa never answers: after the grace period, not when Rasa is done.
        await asyncio.wait_for(inbox.close(grace_s=0.2), 10)
        assert asked == ["req-webhook-1"]  # the worker ran under the webhook's id
        assert channel.sent == []
        [job] = store.pending()
        assert job.text == "hỏi"
        store.close()

    with caplog.at_level(logging.INFO, logger="connectors.inbox"):
        asyncio.run(scenario())
    assert "outbox: 1 message(s) kept for the next start" in caplog.text
