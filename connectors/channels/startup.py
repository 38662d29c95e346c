"""Running the channels: ``start`` opens the state store and the inbox, and starts every
configured channel. A channel whose secrets are missing stays off (its route answers 503);
one with a placeholder secret refuses to start with one sentence in the log; the others run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from connectors.channels.base import Channel, ChannelRefused
from connectors.inbox import AskRasa, Inbox, Probe, policy_from
from connectors.locality import HotlineSource
from connectors.outbound import Outbound, send_policy_from
from connectors.settings import TELEGRAM, ZALO_BOT, ZALO_OA, Settings
from connectors.shared_limits import webhook_throttle
from connectors.state import ChannelState, open_channel_state

logger = logging.getLogger(__name__)

LABELS = {TELEGRAM: "Telegram", ZALO_OA: "Zalo OA", ZALO_BOT: "Zalo Bot"}
PRUNE_EVERY_S = 3600.0
ADOPT_EVERY_S = 60.0  # replicas sharing a database: take over the messages of one that died


def off_reason(settings: Settings, name: str) -> str:
    """Why a channel that is not configured is off (logged once at start)."""
    if name == TELEGRAM:
        if not settings.telegram_bot_token:
            return "TELEGRAM_BOT_TOKEN is not set"
        return "TELEGRAM_PUBLIC_URL is set but TELEGRAM_WEBHOOK_SECRET is empty"
    if name == ZALO_OA:
        return "ZALO_APP_ID and ZALO_OA_SECRET_KEY are not both set"
    if not settings.zalo_bot_token:
        return "ZALO_BOT_TOKEN is not set"
    return "ZALO_BOT_PUBLIC_URL is set but ZALO_BOT_SECRET_TOKEN is empty"


@dataclass
class RunningChannels:
    """What runs for the channels between the gateway's start and stop."""

    channels: dict[str, Channel] = field(default_factory=dict)
    store: ChannelState | None = None
    inbox: Inbox | None = None
    outbound: Outbound | None = None  # the queue of messages to citizens (answers, officers')
    _janitor: asyncio.Task[None] | None = None

    async def drain(self, grace_s: float) -> None:
        """First step of a shutdown, while the channels still run: answers being worked on
        may be sent within ``grace_s``; every other accepted message stays in the outbox, and
        every queued answer in the outbound queue."""
        if self.inbox is not None:
            await self.inbox.close(grace_s)

    async def stop(self) -> None:
        # The inbox first: a worker must never answer through a channel already stopped.
        if self.inbox is not None:
            await self.inbox.close()
        for channel in self.channels.values():
            try:
                await channel.stop()
            except Exception:
                logger.exception("%s: error while stopping", channel.name)
        if self._janitor is not None:
            self._janitor.cancel()
            await asyncio.gather(self._janitor, return_exceptions=True)
        if self.store is not None:
            self.store.close()


async def start(
    settings: Settings,
    hotline: HotlineSource,
    ask_rasa: AskRasa,
    actions_healthy: Probe,
    platform_http: httpx.AsyncClient,
) -> RunningChannels:
    wanted = []
    for name in (TELEGRAM, ZALO_OA, ZALO_BOT):
        label = LABELS[name]
        if not settings.configured(name):
            logger.info("%s channel off: %s.", label, off_reason(settings, name))
            continue
        problem = settings.channel_problem(name)
        if problem:
            logger.error("%s channel not started: %s", label, problem)
            continue
        wanted.append(name)
    running = RunningChannels()
    if not wanted:
        return running

    store = open_channel_state(settings.state_db, settings.state_db_url, settings.port)
    store.prune()
    throttle = webhook_throttle(settings.rate_webhook_user, settings.state_db_url)  # shared by replicas
    inbox = Inbox(
        store,
        ask_rasa,
        actions_healthy,
        hotline,
        settings.locality,
        policy_from(settings),
        throttle=throttle,
        outbound=Outbound(store, send_policy_from(settings)),
    )
    running.store, running.inbox, running.outbound = store, inbox, inbox.outbound
    factories: dict[str, Callable[[], Channel]] = {
        TELEGRAM: lambda: _telegram(settings, store, inbox),
        ZALO_OA: lambda: _zalo_oa(settings, store, inbox, platform_http),
        ZALO_BOT: lambda: _zalo_bot(settings, store, inbox, platform_http),
    }
    for name in wanted:
        try:
            channel = factories[name]()
            await channel.start()
        except ChannelRefused as exc:
            logger.error("%s", exc)
            continue
        except Exception as exc:  # one broken channel must not stop the others
            logger.exception("%s channel not started: %s", LABELS[name], exc)
            continue
        inbox.attach(channel)
        running.channels[name] = channel
    running._janitor = asyncio.create_task(_janitor(store, inbox, set(running.channels)), name="channels:prune")
    return running


def _telegram(settings: Settings, store: ChannelState, inbox: Inbox) -> Channel:
    from connectors.channels.telegram import TelegramChannel

    return TelegramChannel(settings, store, inbox.submit)


def _zalo_oa(settings: Settings, store: ChannelState, inbox: Inbox, http: httpx.AsyncClient) -> Channel:
    from connectors.channels.zalo import ZaloOAChannel

    return ZaloOAChannel(settings, store, inbox.submit, http)


def _zalo_bot(settings: Settings, store: ChannelState, inbox: Inbox, http: httpx.AsyncClient) -> Channel:
    from connectors.channels.zalo_bot import ZaloBotChannel

    return ZaloBotChannel(settings, store, inbox.submit, http)


async def _janitor(store: ChannelState, inbox: Inbox, channels: set[str]) -> None:
    """Prune expired ids and images hourly; every minute, adopt the unanswered messages of a
    replica that stopped renewing its lease (none with a single gateway)."""
    last_prune = asyncio.get_running_loop().time()
    while True:
        await asyncio.sleep(ADOPT_EVERY_S)
        if channels:
            try:
                inbox.resume(store.adopt(channels))
            except Exception:
                logger.exception("outbox: adopting messages of stopped replicas failed")
        if asyncio.get_running_loop().time() - last_prune >= PRUNE_EVERY_S:
            last_prune = asyncio.get_running_loop().time()
            with contextlib.suppress(Exception):
                store.prune()
