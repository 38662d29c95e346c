"""`trolyao bench --through telegram|zalo-bot`: the fake platform API and the webhook load
driver, against a stand-in gateway (aiohttp, no Rasa) that answers webhooks by calling the
fake's sendMessage the way the real channels do."""

from __future__ import annotations

import asyncio
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any
from unittest import mock

import aiohttp
import pytest
from aiohttp import web

from connectors.settings import Settings
from trolyao.bench import webhooks
from trolyao.bench.compare import expand_through
from trolyao.bench.webhooks import TELEGRAM, ZALO_BOT, FakeBotApi, WebhookResult

NOTICE = "Xin lỗi, hệ thống đang bận nên chưa trả lời ngay được. Câu hỏi của bạn đã được ghi nhận."
TOO_FAST = "Bạn đang gửi tin nhắn quá nhanh nên trợ lý chưa trả lời các tin vừa gửi."
SETTLE = 0.1


@pytest.fixture(params=[TELEGRAM, ZALO_BOT], ids=["telegram", "zalo-bot"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeBotApi]:
    with FakeBotApi(request.param) as api:
        yield api


@pytest.fixture
def telegram() -> Iterator[FakeBotApi]:
    with FakeBotApi(TELEGRAM) as api:
        yield api


def call(url: str, data: bytes | None = None, content_type: str = "") -> tuple[int, Any]:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": content_type} if content_type else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def form(params: dict[str, str]) -> bytes:
    return urllib.parse.urlencode(params).encode()


# --- the fake API ------------------------------------------------------------------------------


def test_fake_telegram_answers_like_the_bot_api(telegram: FakeBotApi) -> None:
    base = f"{telegram.url}/bot{telegram.token}"
    status, me = call(base + "/getMe", b"")
    assert status == 200 and me["ok"]
    assert {"id", "is_bot", "first_name", "username"} <= set(me["result"]) and me["result"]["is_bot"] is True
    status, hook = call(base + "/setWebhook", form({"url": "http://127.0.0.1:1/webhooks/telegram"}),
                        "application/x-www-form-urlencoded")  # fmt: skip
    assert (status, hook) == (200, {"ok": True, "result": True})

    markup = json.dumps({"inline_keyboard": [[{"text": "Lệ phí", "callback_data": "/ask_fee"}]]})
    status, sent = call(
        base + "/sendMessage",
        form({"chat_id": "7000000001", "text": "Chào bạn", "reply_markup": markup}),
        "application/x-www-form-urlencoded",
    )
    assert status == 200 and sent["ok"]
    message = sent["result"]
    assert message["chat"] == {"id": 7000000001, "type": "private", "first_name": "Bench"}
    assert message["text"] == "Chào bạn" and isinstance(message["message_id"], int) and isinstance(message["date"], int)

    boundary = "b0undary"
    multipart = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="chat_id"\r\n\r\n7000000001\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="caption"\r\n\r\nMã QR\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="qr.png"\r\n'
        f"Content-Type: image/png\r\n\r\n\x89PNG\r\n--{boundary}--\r\n"
    ).encode()
    status, photo = call(base + "/sendPhoto", multipart, f"multipart/form-data; boundary={boundary}")
    assert status == 200 and photo["result"]["caption"] == "Mã QR" and photo["result"]["photo"]

    assert call(base + "/sendMessage", form({"chat_id": "@nobody", "text": "x"}),
                "application/x-www-form-urlencoded")[0] == 400  # fmt: skip
    status, refused = call(f"{telegram.url}/bot1:wrong/getMe", b"")
    assert (status, refused["ok"], refused["error_code"]) == (401, False, 401)

    texts = [(sent.method, sent.text) for sent in telegram.sent("7000000001")]
    assert texts == [("sendMessage", "Chào bạn"), ("sendPhoto", "Mã QR")]
    assert telegram.calls["getMe"] == 2 and telegram.calls["setWebhook"] == 1


def test_fake_zalo_bot_answers_json_calls() -> None:
    with FakeBotApi(ZALO_BOT) as api:
        base = f"{api.url}/bot{api.token}"
        body = json.dumps({"chat_id": "bench00000000001", "text": "Chào bạn"}).encode()
        status, sent = call(base + "/sendMessage", body, "application/json")
        assert status == 200 and sent["ok"] and isinstance(sent["result"]["message_id"], str)
        hook = b'{"url": "http://127.0.0.1:1/webhooks/zalo-bot"}'
        assert call(base + "/setWebhook", hook, "application/json")[1]["ok"]
        assert call(f"{api.url}/botwrong/sendMessage", body, "application/json")[1]["ok"] is False
        assert [sent.text for sent in api.sent("bench00000000001")] == ["Chào bạn"]


def test_gateway_env_puts_the_channel_in_webhook_mode_against_the_fake(telegram: FakeBotApi, tmp_path: Any) -> None:
    env = webhooks.gateway_env([telegram], "http://127.0.0.1:8123", tmp_path / "state.sqlite3")
    assert env["TELEGRAM_API_BASE"] == telegram.url  # the channel adds /bot<token>/<method>
    assert env["ZALO_BOT_TOKEN"] == "" and env["ZALO_APP_ID"] == "" and env["TROLYAO_STATE_DB_URL"] == ""
    settings = Settings.from_env(env)
    assert settings.telegram_configured and not settings.telegram_polling
    assert settings.channel_problem("telegram") is None
    assert settings.telegram_public_url == "http://127.0.0.1:8123"
    assert settings.state_db == tmp_path / "state.sqlite3"
    assert not settings.configured("zalo-bot") and not settings.configured("zalo")
    assert re.fullmatch(r"\d+:[A-Za-z0-9_-]+", telegram.token)


def test_through_choices() -> None:
    assert expand_through(["all"]) == ("chat", "telegram", "zalo-bot")
    assert expand_through(["webhooks"]) == ("telegram", "zalo-bot")
    assert expand_through(["telegram", "chat"]) == ("chat", "telegram")


def test_duplicated() -> None:
    assert not webhooks.duplicated([]) and not webhooks.duplicated(["a"]) and not webhooks.duplicated(["a", "b"])
    assert webhooks.duplicated(["a", "a"]) and webhooks.duplicated(["a", "b", "a", "b"])
    assert not webhooks.duplicated(["a", "b", "a"]) and not webhooks.duplicated([NOTICE, "a", "b"])


# --- the driver against a stand-in gateway ------------------------------------------------------


class StandIn:
    """Answers each webhook in the background, by the message's text, like the gateway would.

    A part meant to come after the answer has settled ("late", "again later") is not sent after
    a sleep that a loaded machine could stretch past or shrink below the driver's settle
    window: ``drive`` makes the driver hand over (``after_settled``) once it has decided that
    the chat's answer settled, and the part is sent then."""

    def __init__(self, fake: FakeBotApi, secret: str | None = None) -> None:
        self.fake = fake
        self.secret = secret or fake.secret
        self.tasks: set[asyncio.Task[None]] = set()
        self.session: aiohttp.ClientSession | None = None
        self.later: dict[str, list[str]] = {}  # chat id -> parts to send once its answer settled

    async def after_settled(self, chat_id: str) -> None:
        for text in self.later.pop(chat_id, []):
            await self.send(chat_id, text)

    async def webhook(self, request: web.Request) -> web.Response:
        if request.headers.get(self.fake.platform.secret_header) != self.secret:
            return web.json_response({"ok": False}, status=403)
        message = (await request.json())["message"]
        task = asyncio.create_task(self.answer(str(message["chat"]["id"]), message["text"]))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return web.json_response({"ok": True})

    async def send(self, chat_id: str, text: str) -> None:
        assert self.session is not None
        url = f"{self.fake.url}/bot{self.fake.token}/sendMessage"
        if self.fake.platform is TELEGRAM:  # python-telegram-bot posts forms, the Zalo Bot channel JSON
            request = self.session.post(url, data={"chat_id": chat_id, "text": text})
        else:
            request = self.session.post(url, json={"chat_id": chat_id, "text": text})
        async with request as response:
            assert (await response.json())["ok"]

    async def answer(self, chat_id: str, text: str) -> None:
        await asyncio.sleep(0.02)
        if text == "never":
            return
        if text == "twice":
            await self.send(chat_id, "answer: twice")
            await self.send(chat_id, "answer: twice")
        elif text == "two parts":
            await self.send(chat_id, "part 1")
            await self.send(chat_id, "part 2")
        elif text == "slow":
            await self.send(chat_id, NOTICE)
            await asyncio.sleep(0.3)
            await self.send(chat_id, "answer: slow")
        elif text == "late":  # a slow last part: not an error
            self.later[chat_id] = ["answer: late, part 2"]
            await self.send(chat_id, "answer: late")
        elif text == "again later":  # the answer sent again, after it had settled
            self.later[chat_id] = ["answer: again later"]
            await self.send(chat_id, "answer: again later")
        elif text == "too fast":
            await self.send(chat_id, TOO_FAST)
        else:
            await self.send(chat_id, f"answer: {text}")


async def drive(fake: FakeBotApi, conversation: list[str], users: int, concurrency: int = 2,
                secret: str | None = None, timeout: float = 10.0) -> WebhookResult:  # fmt: skip
    """Run the driver against a stand-in; ``timeout`` for a first answer is generous (only the
    "never" test waits for it)."""
    stand_in = StandIn(fake, secret)
    settled = webhooks._Load.settled

    async def settled_then_late_parts(load: webhooks._Load, chat_id: str, mark: int, woken: asyncio.Event) -> int:
        claimed = await settled(load, chat_id, mark, woken)
        await stand_in.after_settled(chat_id)  # arrives after the driver's decision, whatever the load
        return claimed

    app = web.Application()
    app.router.add_post(fake.platform.webhook_path, stand_in.webhook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with aiohttp.ClientSession() as session:
            stand_in.session = session
            with mock.patch.object(webhooks._Load, "settled", settled_then_late_parts):
                result = await webhooks.run(fake, f"http://127.0.0.1:{port}", users, concurrency, max_seconds=60,
                                            timeout=timeout, settle=SETTLE, grace=SETTLE * 4,
                                            conversations=[conversation])  # fmt: skip
            await asyncio.gather(*stand_in.tasks, return_exceptions=True)
    finally:
        await runner.cleanup()
    return result


def test_answers_are_timed_to_their_first_message_past_the_notice(fake: FakeBotApi) -> None:
    result = asyncio.run(drive(fake, ["hello", "two parts", "slow"], users=3))
    summary = result.summary()
    assert (summary["requests"], summary["errors"], summary["timeouts"]) == (9, 0, 0)
    assert len(result.latencies_ms) == 9 and summary["notices"] == 3 and summary["messages_sent"] == 15
    assert max(result.latencies_ms) >= 300 and min(result.latencies_ms) >= 20  # "slow": the real answer, not the notice
    assert summary["p50_ms"] > 0 and summary["throughput_rps"] > 0 and len(result.ack_ms) == 9
    assert max(result.complete_ms) >= 300 and all(c >= f for c, f in zip(result.complete_ms, result.latencies_ms))
    # Every chat got exactly its own answers, in order.
    chats = [chat for chat in {c for c in fake._sent} if fake.count(chat)]
    assert len(chats) == 3
    for chat in chats:
        assert [s.text for s in fake.sent(chat)] == ["answer: hello", "part 1", "part 2", NOTICE, "answer: slow"]


def test_an_answer_sent_twice_is_an_error(fake: FakeBotApi) -> None:
    summary = asyncio.run(drive(fake, ["hello", "twice", "hello"], users=2)).summary()
    assert (summary["requests"], summary["errors"], summary["duplicates"]) == (6, 2, 2)


def test_a_message_never_answered_is_an_error_and_ends_the_conversation(fake: FakeBotApi) -> None:
    result = asyncio.run(drive(fake, ["hello", "never", "hello"], users=3, concurrency=3, timeout=3.0))
    summary = result.summary()
    assert (summary["requests"], summary["errors"], summary["timeouts"]) == (6, 3, 3)
    assert len(result.latencies_ms) == 3 and summary["error_rate"] == 0.5


def test_an_answer_sent_again_after_it_settled_is_an_error(telegram: FakeBotApi) -> None:
    summary = asyncio.run(drive(telegram, ["hello", "again later"], users=2)).summary()
    assert (summary["requests"], summary["errors"], summary["duplicates"], summary["late"]) == (4, 2, 2, 2)


def test_a_slow_last_part_is_late_but_no_error(telegram: FakeBotApi) -> None:
    summary = asyncio.run(drive(telegram, ["hello", "late"], users=2)).summary()
    assert (summary["requests"], summary["errors"], summary["late"], summary["messages_sent"]) == (4, 0, 2, 6)


def test_stragglers_before_the_next_turn() -> None:
    result = WebhookResult()
    assert webhooks._stragglers(result, ["a", "b"], [], True)
    assert webhooks._stragglers(result, ["a", "b"], ["c"], True)  # a slow last part
    assert (result.late, result.errors) == (1, 0)
    assert not webhooks._stragglers(result, ["a", "b"], ["a"], True)  # sent again
    assert (result.late, result.errors, result.duplicates) == (2, 1, 1)
    assert not webhooks._stragglers(result, ["a"], ["a"], False)  # already an error: counted once
    assert (result.errors, result.messages) == (1, 3)


def test_refused_and_throttled_messages_are_errors(telegram: FakeBotApi) -> None:
    refused = asyncio.run(drive(telegram, ["hello", "hello"], users=2, secret="another-secret")).summary()
    assert (refused["requests"], refused["errors"], refused["refused"]) == (2, 2, 2)
    dropped = asyncio.run(drive(telegram, ["too fast", "hello"], users=2)).summary()
    assert (dropped["requests"], dropped["errors"], dropped["dropped"]) == (2, 2, 2)


def test_updates_are_what_the_platforms_send() -> None:
    update = TELEGRAM.update(5, 5, TELEGRAM.chat_id(1), "chào")
    assert update["update_id"] == 5 and update["message"]["chat"]["type"] == "private"
    assert update["message"]["from"]["id"] == update["message"]["chat"]["id"] == 7000000001
    zalo = ZALO_BOT.update(6, 6, ZALO_BOT.chat_id(2), "chào")
    assert zalo["event_name"] == "message.text.received" and zalo["message"]["chat"]["id"] == "bench00000000002"
