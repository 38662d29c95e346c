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
from connectors.locality import Hotline
from connectors.settings import TELEGRAM, ZALO_BOT, ZALO_OA, Settings
from connectors.state import Store

logger = logging.getLogger(__name__)

LABELS = {TELEGRAM: "Telegram", ZALO_OA: "Zalo OA", ZALO_BOT: "Zalo Bot"}
PRUNE_EVERY_S = 3600.0


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
class Runtime:
    """What runs for the channels between the gateway's start and stop."""

    channels: dict[str, Channel] = field(default_factory=dict)
    store: Store | None = None
    inbox: Inbox | None = None
    _janitor: asyncio.Task[None] | None = None

    async def stop(self) -> None:
        for channel in self.channels.values():
            try:
                await channel.stop()
            except Exception:
                logger.exception("%s: error while stopping", channel.name)
        if self._janitor is not None:
            self._janitor.cancel()
            await asyncio.gather(self._janitor, return_exceptions=True)
        if self.inbox is not None:
            await self.inbox.close()
        if self.store is not None:
            self.store.close()


async def start(
    settings: Settings,
    hotline: Hotline,
    ask_rasa: AskRasa,
    actions_healthy: Probe,
    platform_http: httpx.AsyncClient,
) -> Runtime:
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
    runtime = Runtime()
    if not wanted:
        return runtime

    store = Store(settings.state_db)
    store.prune()
    inbox = Inbox(
        store, ask_rasa, actions_healthy, hotline, settings.locality, policy_from(settings)
    )
    runtime.store, runtime.inbox = store, inbox
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
        runtime.channels[name] = channel
    runtime._janitor = asyncio.create_task(_prune_forever(store), name="channels:prune")
    return runtime


def _telegram(settings: Settings, store: Store, inbox: Inbox) -> Channel:
    from connectors.channels.telegram import TelegramChannel

    return TelegramChannel(settings, store, inbox.submit)


def _zalo_oa(settings: Settings, store: Store, inbox: Inbox, http: httpx.AsyncClient) -> Channel:
    from connectors.channels.zalo import ZaloOAChannel

    return ZaloOAChannel(settings, store, inbox.submit, http)


def _zalo_bot(settings: Settings, store: Store, inbox: Inbox, http: httpx.AsyncClient) -> Channel:
    from connectors.channels.zalo_bot import ZaloBotChannel

    return ZaloBotChannel(settings, store, inbox.submit, http)


async def _prune_forever(store: Store) -> None:
    while True:
        await asyncio.sleep(PRUNE_EVERY_S)
        with contextlib.suppress(Exception):
            store.prune()
