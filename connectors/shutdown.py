"""Graceful stop of the gateway on SIGTERM or SIGINT.

1. uvicorn stops accepting connections and lets requests in flight finish, for at most
   ``GATEWAY_SHUTDOWN_TIMEOUT_S`` seconds (its ``timeout_graceful_shutdown``);
2. the app's lifespan then stops the channels: answers being worked on get what is left of
   the same budget, and channel messages still unanswered stay in the outbox
   (``connectors.inbox``) to be answered after the next start;
3. the process exits with code 0.

uvicorn re-raises the signal once it has stopped (so that the process dies "of" SIGTERM,
exit code -15/143); the gateway handles the signals on its event loop instead, so that a
clean stop is reported as one. A second SIGINT (Ctrl-C twice) still forces the exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType

import uvicorn
from fastapi import FastAPI

from connectors.settings import Settings

logger = logging.getLogger(__name__)

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Deadline:
    """When the stop was asked for: what is left of the shutdown budget."""

    def __init__(self) -> None:
        self.started: float | None = None

    def start(self) -> None:
        if self.started is None:
            self.started = time.monotonic()

    def remaining(self, budget_s: float) -> float:
        """Seconds left; the whole budget if no signal started the stop (tests, embedding)."""
        if self.started is None:
            return budget_s
        return max(0.0, budget_s - (time.monotonic() - self.started))


class GatewayServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, deadline: Deadline) -> None:
        super().__init__(config)
        self._deadline = deadline

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if not self.should_exit:
            self._deadline.start()
            logger.info(
                "%s received: no new connections, %.0f s for the requests in flight",
                signal.Signals(sig).name,
                self.config.timeout_graceful_shutdown or 0,
            )
        super().handle_exit(sig, frame)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        loop = asyncio.get_running_loop()
        for sig in SIGNALS:
            loop.add_signal_handler(sig, self.handle_exit, sig, None)
        try:
            yield
        finally:
            for sig in SIGNALS:
                loop.remove_signal_handler(sig)


def serve(app: FastAPI, settings: Settings) -> None:
    """Run the gateway until a signal stops it (gracefully)."""
    deadline: Deadline = app.state.shutdown
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,  # our root handler (connectors.logs) prints uvicorn's records
        access_log=False,  # connectors.access_log writes one line per request, with its id
        # X-Forwarded-For names the client only when the peer is a trusted proxy (rate limits).
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
        timeout_graceful_shutdown=max(1, round(settings.shutdown_timeout_s)),
    )
    GatewayServer(config, deadline).run()
