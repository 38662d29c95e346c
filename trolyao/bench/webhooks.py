"""Load through the signed webhooks: a fake platform Bot API on 127.0.0.1 and a driver.

`trolyao bench --through telegram zalo-bot` starts one ``FakeBotApi`` per platform before our
stack, points the gateway's channel at it (``gateway_env``: token, secret, webhook mode,
``<PLATFORM>_API_BASE``) and then ``run`` replays the conversations of ``load.CONVERSATIONS``:
every user (its own chat id) posts one platform update at a time to the gateway's webhook with
the secret header and waits until the fake API has received the gateway's answer
(``sendMessage``/``sendPhoto`` to that chat) before the next turn.

Latency of a message (p50/p95/p99): from just before the update is posted to the arrival, at
the fake API, of the first message of the answer; ``complete_p95_ms``: to its last message.
The gateway's hotline notice ("the system is busy", sent when Rasa takes longer than
CHANNEL_NOTICE_AFTER_S) is counted (``notices``) but is not the answer: the latency runs on to
the real answer. Errors (each message counted once): the webhook refused the update
(``refused``), no answer within ``timeout`` (``timeouts``), the "sending too fast" refusal
(``dropped``), an answer sent twice (``duplicates``: a text of the answer sent again, or the
whole answer repeated).

Which message a reply belongs to: one message per user is in flight, and the gateway answers
one citizen's messages in order, so everything sent to a chat between a post and the next post
belongs to that post. After the first message of an answer the user waits until the chat has
been quiet for ``settle`` seconds (the rest of the answer arrives meanwhile) before the next
turn; that wait is outside the concurrency limit, like a citizen reading. A part of an answer
that still arrives after that (before the next post, or within ``grace`` after the last turn)
is counted in ``late`` (no error, but ``settle`` was too short for exact attribution); one that
repeats a text of the answer is a duplicate. A user stops its conversation after an error other
than a duplicate (a late answer would be taken for the next one's).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from trolyao.bench.load import CONVERSATIONS, Result

TIMEOUT_S = 30.0
SETTLE_S = 1.5  # python-telegram-bot's rate limiter (30 messages/s) spaces out the parts under load
GRACE_S = 3.0

# The gateway's own sentences (connectors/messages.py), recognised by their fixed beginnings.
try:
    from connectors import messages as _messages

    NOTICE_PREFIX = _messages.BOT_DELAYED.split("{", 1)[0][:60]
    TOO_FAST_PREFIX = _messages.TOO_FAST_CHANNEL.split("{", 1)[0][:60]
except ImportError:  # pragma: no cover - the repository is on the path wherever trolyao runs
    NOTICE_PREFIX = "Xin lỗi, hệ thống đang bận nên chưa trả lời ngay được."
    TOO_FAST_PREFIX = "Bạn đang gửi tin nhắn quá nhanh"


# --- the platforms ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Platform:
    """What differs between Telegram and the Zalo Bot platform, for the fake and the driver."""

    name: str  # the gateway's channel name, and the value of `trolyao bench --through`
    label: str
    webhook_path: str
    secret_header: str
    env: dict[str, str]  # role -> variable: token, secret, public_url, api_base

    def chat_id(self, number: int) -> str:
        return str(7_000_000_000 + number) if self.name == "telegram" else f"bench{number:011d}"

    def update(self, update_id: int, message_id: int, chat_id: str, text: str) -> dict[str, Any]:
        if self.name == "telegram":
            chat = int(chat_id)
            return {
                "update_id": update_id,
                "message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": {"id": chat, "type": "private", "first_name": "Bench"},
                    "from": {"id": chat, "is_bot": False, "first_name": "Bench", "language_code": "vi"},
                    "text": text,
                },
            }
        return {
            "event_name": "message.text.received",
            "message": {
                "from": {"id": chat_id, "display_name": "Bench", "is_bot": False},
                "chat": {"id": chat_id, "chat_type": "PRIVATE"},
                "message_id": f"m{message_id}",
                "date": int(time.time() * 1000),
                "text": text,
            },
        }


TELEGRAM = Platform(
    "telegram",
    "Telegram",
    "/webhooks/telegram",
    "X-Telegram-Bot-Api-Secret-Token",
    {
        "token": "TELEGRAM_BOT_TOKEN",
        "secret": "TELEGRAM_WEBHOOK_SECRET",
        "public_url": "TELEGRAM_PUBLIC_URL",
        "api_base": "TELEGRAM_API_BASE",
    },
)
ZALO_BOT = Platform(
    "zalo-bot",
    "Zalo Bot",
    "/webhooks/zalo-bot",
    "X-Bot-Api-Secret-Token",
    {
        "token": "ZALO_BOT_TOKEN",
        "secret": "ZALO_BOT_SECRET_TOKEN",
        "public_url": "ZALO_BOT_PUBLIC_URL",
        "api_base": "ZALO_BOT_API_BASE",
    },
)
PLATFORMS = {platform.name: platform for platform in (TELEGRAM, ZALO_BOT)}
# Channels a benchmark must never reach for real: off unless faked here.
OTHER_CHANNEL_VARS = ("ZALO_APP_ID", "ZALO_OA_SECRET_KEY", "OFFICERS_TELEGRAM_CHAT_ID")


# --- the fake Bot API ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """One message the gateway sent to a chat, as the fake API received it."""

    at: float  # time.perf_counter() when the request reached the fake
    method: str
    text: str


class FakeBotApi:
    """The platform's Bot API (``/bot<token>/<method>``) on 127.0.0.1, answering like the platform.

    Telegram: getMe, setWebhook, sendMessage, sendPhoto, ... with Telegram's JSON (the gateway's
    python-telegram-bot reads the answers strictly); a wrong token gets 401. Zalo Bot: the same
    methods, ``{"ok": true, "result": ...}``. Every sendMessage/sendPhoto is recorded per chat
    with its arrival time; ``watch`` wakes a waiter when one arrives. Runs in its own thread
    (``start``/``stop`` or ``with``), or in the running loop (``serve``/``close``).
    """

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        digits = "".join(secrets.choice("0123456789") for _ in range(10))
        self.token = f"{digits}:{secrets.token_urlsafe(26)}"
        self.secret = "bench-" + secrets.token_urlsafe(24)
        self.port = 0
        self.calls: dict[str, int] = {}
        self._sent: dict[str, list[Sent]] = {}
        self._watchers: dict[str, Callable[[], None]] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._numbers = itertools.count(1)  # chat, update and message ids of the driver
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # recorded messages -----------------------------------------------------------------------------

    def count(self, chat_id: str) -> int:
        with self._lock:
            return len(self._sent.get(chat_id, ()))

    def sent(self, chat_id: str, start: int = 0) -> list[Sent]:
        with self._lock:
            return list(self._sent.get(chat_id, ())[start:])

    def watch(self, chat_id: str, wake: Callable[[], None] | None) -> None:
        """Call ``wake`` (from the fake's thread) whenever a message to ``chat_id`` arrives."""
        with self._lock:
            if wake is None:
                self._watchers.pop(chat_id, None)
            else:
                self._watchers[chat_id] = wake

    def next_number(self) -> int:
        return next(self._numbers)

    def _record(self, chat_id: str, sent: Sent) -> None:
        with self._lock:
            self._sent.setdefault(chat_id, []).append(sent)
            wake = self._watchers.get(chat_id)
        if wake is not None:
            wake()

    # HTTP ------------------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.Response:
        at = time.perf_counter()
        method = request.match_info["method"]
        with self._lock:
            self.calls[method] = self.calls.get(method, 0) + 1
        params = await _params(request)
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"},
                status=401 if self.platform.name == "telegram" else 200,
            )
        if self.platform.name == "telegram":
            status, body = self._telegram(method, params)
        else:
            status, body = self._zalo_bot(method, params)
        if body.get("ok") and method in ("sendMessage", "sendPhoto"):
            text = params.get("text") if method == "sendMessage" else params.get("caption")
            self._record(str(params["chat_id"]), Sent(at, method, str(text or "")))
        return web.json_response(body, status=status)

    def _telegram(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method == "getMe":
            return 200, {"ok": True, "result": {
                "id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "Trợ lý (bench)",
                "username": "trolyao_bench_bot", "can_join_groups": False,
                "can_read_all_group_messages": False, "supports_inline_queries": False,
            }}  # fmt: skip
        if method == "getWebhookInfo":
            return 200, {"ok": True, "result": {"url": "", "has_custom_certificate": False, "pending_update_count": 0}}
        if method not in ("sendMessage", "sendPhoto"):
            return 200, {"ok": True, "result": True}  # setWebhook, deleteWebhook, answerCallbackQuery...
        chat = str(params.get("chat_id", ""))
        if not chat.lstrip("-").isdigit():
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": int(chat), "type": "private", "first_name": "Bench"},
            "from": {"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "Trợ lý (bench)"},
        }
        if method == "sendMessage":
            if not params.get("text"):
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}
            message["text"] = params["text"]
        else:
            message["photo"] = [{"file_id": "bench-photo", "file_unique_id": "bench", "width": 1, "height": 1}]
            if params.get("caption"):
                message["caption"] = params["caption"]
        return 200, {"ok": True, "result": message}

    def _zalo_bot(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method == "getUpdates":  # webhook mode: not called; an empty long poll if it is
            return 200, {"ok": False, "error_code": 408, "description": "Request timeout"}
        if method in ("sendMessage", "sendPhoto"):
            if not params.get("chat_id"):
                return 200, {"ok": False, "error_code": 400, "description": "chat_id is required"}
            return 200, {"ok": True, "result": {"message_id": f"b{next(self._ids)}", "date": int(time.time() * 1000)}}
        return 200, {"ok": True, "result": True}

    # lifecycle -------------------------------------------------------------------------------------

    async def serve(self, port: int = 0) -> None:
        """Listen in the running loop, on ``port`` (a free one by default) of 127.0.0.1."""
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def start(self) -> FakeBotApi:
        """Listen in a thread of its own (it must outlive the driver's event loops)."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def main() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self.serve())
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.close())
            loop.close()

        self._thread = threading.Thread(target=main, name=f"fake-{self.platform.name}-api", daemon=True)
        self._thread.start()
        ready.wait(30)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(15)
            self._thread = None

    def go_down(self) -> None:
        """The platform unreachable (connection refused), from another thread: stop listening
        and close the open connections; ``come_back`` listens again on the same port."""
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(self.close(), self._loop).result(30)

    def come_back(self) -> None:
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(self.serve(self.port), self._loop).result(30)

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


async def _params(request: web.Request) -> dict[str, Any]:
    """JSON (Zalo Bot), url-encoded or multipart (python-telegram-bot) parameters."""
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        try:
            data = await request.json()
        except ValueError:
            data = None
        if isinstance(data, dict):
            params.update(data)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        params.update({key: value for key, value in form.items() if isinstance(value, str)})
    return params


def gateway_env(fakes: Sequence[FakeBotApi], gateway_url: str, state_db: Path) -> dict[str, str]:
    """The gateway's environment for a benchmark: each faked channel in webhook mode against its
    fake, every other channel off, the channel state in the run's own file."""
    env = {platform.env[role]: "" for platform in PLATFORMS.values() for role in ("token", "secret", "public_url")}
    env.update({name: "" for name in OTHER_CHANNEL_VARS})
    env.update({"GATEWAY_STATE_DB": str(state_db), "TROLYAO_STATE_DB_URL": ""})
    for fake in fakes:
        names = fake.platform.env
        env[names["token"]] = fake.token
        env[names["secret"]] = fake.secret
        env[names["public_url"]] = gateway_url  # webhook mode: setWebhook goes to the fake
        env[names["api_base"]] = fake.url  # the channel adds /bot<token>/<method>
    return env


# --- the driver ------------------------------------------------------------------------------------


@dataclass
class WebhookResult(Result):
    """``load.Result`` plus what only a channel shows."""

    refused: int = 0
    timeouts: int = 0
    dropped: int = 0
    duplicates: int = 0
    late: int = 0  # parts of answers that came after the answer had settled (not errors)
    notices: int = 0
    messages: int = 0  # messages the gateway sent to the fake (answers can be several)
    ack_ms: list[float] = field(default_factory=list)
    complete_ms: list[float] = field(default_factory=list)  # post to the answer's last message

    def summary(self) -> dict[str, Any]:
        def p95(values: list[float]) -> float:
            ordered = sorted(values)
            return round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1) if ordered else 0.0

        return {
            **super().summary(),
            "refused": self.refused,
            "timeouts": self.timeouts,
            "dropped": self.dropped,
            "duplicates": self.duplicates,
            "late": self.late,
            "notices": self.notices,
            "messages_sent": self.messages,
            "complete_p95_ms": p95(self.complete_ms),
            "webhook_ack_p95_ms": p95(self.ack_ms),
        }


def duplicated(texts: list[str]) -> bool:
    """An answer sent twice: the same text twice in a row, or the whole sequence repeated."""
    if any(a == b for a, b in zip(texts, texts[1:])):
        return True
    n = len(texts)
    return any(n % k == 0 and texts == texts[:k] * (n // k) for k in range(2, n // 2 + 1))


def _stragglers(result: WebhookResult, previous: list[str], more: list[str], counted: bool) -> bool:
    """Messages for an answer that had settled: late parts, or (repeating it) a duplicate.
    ``counted``: the answer was fine so far. False when this made it a duplicate."""
    if not more:
        return counted
    result.messages += len(more)
    result.late += len(more)
    if counted and (duplicated(previous + more) or any(text in previous for text in more)):
        result.duplicates += 1
        result.errors += 1
        return False
    return counted


@contextlib.contextmanager
def watching(fake: FakeBotApi, chat_id: str) -> Iterator[asyncio.Event]:
    """An event of the running loop, set whenever the fake receives a message to ``chat_id``."""
    loop = asyncio.get_running_loop()
    woken = asyncio.Event()
    fake.watch(chat_id, lambda: loop.call_soon_threadsafe(woken.set))
    try:
        yield woken
    finally:
        fake.watch(chat_id, None)


@dataclass
class _Load:
    fake: FakeBotApi
    session: aiohttp.ClientSession
    url: str
    gate: asyncio.Semaphore
    result: WebhookResult
    deadline: float  # time.monotonic(): no new turn after it
    timeout: float
    settle: float
    last_done: float = 0.0  # perf_counter of the last answer's last message (or failure)

    async def post(self, chat_id: str, text: str) -> tuple[float, int]:
        """Post one update; (perf_counter just before, HTTP status or 0)."""
        number = self.fake.next_number()
        body = json.dumps(self.fake.platform.update(number, number, chat_id, text), ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", self.fake.platform.secret_header: self.fake.secret}
        started = time.perf_counter()
        try:
            async with self.session.post(self.url, data=body, headers=headers) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError):
            status = 0
        self.result.ack_ms.append((time.perf_counter() - started) * 1000)
        return started, status

    async def first_answer(self, chat_id: str, mark: int, started: float, woken: asyncio.Event) -> Sent | None:
        """The first message after ``mark`` that is not the hotline notice, or None on timeout."""
        deadline = started + self.timeout
        while True:
            woken.clear()
            for sent in self.fake.sent(chat_id, mark):
                if not sent.text.startswith(NOTICE_PREFIX):
                    return sent
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return None
            with contextlib.suppress(asyncio.TimeoutError):  # not builtins.TimeoutError on 3.10
                await asyncio.wait_for(woken.wait(), remaining)

    async def settled(self, chat_id: str, mark: int, woken: asyncio.Event) -> int:
        """Wait until the chat has been quiet for ``settle`` s; the number of messages then."""
        while True:
            woken.clear()
            sent = self.fake.sent(chat_id, mark)
            remaining = (sent[-1].at if sent else time.perf_counter()) + self.settle - time.perf_counter()
            if remaining <= 0:
                return mark + len(sent)
            with contextlib.suppress(asyncio.TimeoutError):  # not builtins.TimeoutError on 3.10
                await asyncio.wait_for(woken.wait(), remaining)

    async def user(self, turns: list[str]) -> tuple[str, int, list[str], bool]:
        """One citizen's conversation; (chat id, messages claimed, the last answer's texts,
        whether that answer was fine)."""
        chat_id = self.fake.platform.chat_id(self.fake.next_number())
        result = self.result
        claimed, last_ok = 0, False
        texts: list[str] = []
        with watching(self.fake, chat_id) as woken:
            for text in turns:
                if time.monotonic() > self.deadline:
                    break
                async with self.gate:
                    mark = self.fake.count(chat_id)
                    more = [sent.text for sent in self.fake.sent(chat_id, claimed)[: mark - claimed]]
                    _stragglers(result, texts, more, last_ok)
                    last_ok = False
                    started, status = await self.post(chat_id, text)
                    result.requests += 1
                    if status != 200:
                        self.last_done = max(self.last_done, time.perf_counter())
                        result.refused += 1
                        result.errors += 1
                        claimed = mark
                        break
                    first = await self.first_answer(chat_id, mark, started, woken)
                claimed = self.fake.count(chat_id) if first is None else await self.settled(chat_id, mark, woken)
                parts = self.fake.sent(chat_id, mark)[: claimed - mark]
                self.last_done = max(self.last_done, parts[-1].at if first is not None else time.perf_counter())
                texts = [sent.text for sent in parts]
                result.messages += len(texts)
                result.notices += sum(text.startswith(NOTICE_PREFIX) for text in texts)
                if first is None:
                    result.timeouts += 1
                    result.errors += 1
                    break
                if first.text.startswith(TOO_FAST_PREFIX):
                    result.dropped += 1
                    result.errors += 1
                    break
                result.latencies_ms.append((first.at - started) * 1000)
                result.complete_ms.append((parts[-1].at - started) * 1000)
                if duplicated(texts):
                    result.duplicates += 1
                    result.errors += 1
                    continue
                last_ok = True
        return chat_id, claimed, texts, last_ok


async def run(fake: FakeBotApi, gateway_url: str, users: int, concurrency: int, max_seconds: float,
              seed: int = 7, timeout: float = TIMEOUT_S, settle: float = SETTLE_S, grace: float = GRACE_S,
              conversations: Sequence[list[str]] = CONVERSATIONS) -> WebhookResult:  # fmt: skip
    """``users`` conversations through the platform's webhook, at most ``concurrency`` messages
    waiting for their answer at a time; stops starting turns after ``max_seconds``; then listens
    ``grace`` seconds more for answers sent again."""
    rng = random.Random(seed)
    result = WebhookResult()
    url = gateway_url.rstrip("/") + fake.platform.webhook_path
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        result.started, origin = time.monotonic(), time.perf_counter()
        load = _Load(fake, session, url, asyncio.Semaphore(concurrency), result,
                     result.started + max_seconds, timeout, settle, origin)  # fmt: skip
        ends = await asyncio.gather(*(load.user(rng.choice(conversations)) for _ in range(users)))
        # The run ends with the last answer, not with the last user's settle wait.
        result.finished = result.started + (load.last_done - origin)
    await asyncio.sleep(grace)  # answers sent again after the last turn settled
    for chat_id, claimed, texts, last_ok in ends:
        _stragglers(result, texts, [sent.text for sent in fake.sent(chat_id, claimed)], last_ok)
    return result


async def probe(fake: FakeBotApi, gateway_url: str, deadline: float, text: str = "xin chào") -> None:
    """Wait (``deadline`` in time.monotonic()) until the channel accepts an update and answers it."""
    url = gateway_url.rstrip("/") + fake.platform.webhook_path
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        while time.monotonic() < deadline:
            load = _Load(fake, session, url, asyncio.Semaphore(1), WebhookResult(), deadline,
                         min(30.0, max(1.0, deadline - time.monotonic())), 0.0)  # fmt: skip
            chat_id = fake.platform.chat_id(fake.next_number())
            with watching(fake, chat_id) as woken:
                started, status = await load.post(chat_id, text)
                if status == 200 and await load.first_answer(chat_id, 0, started, woken) is not None:
                    return
            await asyncio.sleep(0.5)  # 503 while the channel starts
    raise SystemExit(f"Kênh {fake.platform.label} của gateway không trả lời qua webhook trong thời hạn.")
