"""Rasa's Redis lock store, with a Redis outage handled the same way as a tracker-store one.

Rasa takes a ticket lock on the conversation before a turn and gives it back after. With Redis
down, Rasa 3.6's ``RedisLockStore`` fails both ways, and the REST channel turns either failure
into HTTP 200 with whatever was said so far:

- taking the lock (before anything is done): the citizen got nothing and the gateway took the
  empty answer as final. ``StrictRedisLockStore`` raises ``LockStoreUnavailable`` (a Rasa
  ``LockError``), which ``nlu.rest_channel.RestInput`` answers with 503 "turn not kept", so
  the gateway keeps the message and sends it again;
- giving the lock back (after the turn was handled and saved): failing the turn then would
  make the gateway send a message that was handled already. The error is logged and the turn
  answered; a ticket left behind in Redis expires after ``TICKET_LOCK_LIFETIME`` (Redis
  restarted without its data has none).

Used as ``lock_store: type: nlu.lock_store.StrictRedisLockStore`` in deploy/endpoints.scaled.yml
(same keys as Rasa's ``type: redis``).
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore, TicketLock
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)


class LockStoreUnavailable(LockError):
    """The conversation's lock could not be taken: nothing of the turn was done."""


class StrictRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        """From the endpoints file (Rasa passes ``endpoint_config``) or plain keyword arguments."""
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)
        logger.info("lock store: Redis, strict (an outage fails the turn before it starts)")

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            return super().issue_ticket(conversation_id, lock_lifetime)
        except LockError as exc:
            raise LockStoreUnavailable(str(exc)) from exc

    async def _acquire_lock(self, conversation_id: str, ticket: int, wait_time_in_seconds: float) -> TicketLock:
        """Waiting for the turns before this one: a Redis error here also comes before the turn."""
        try:
            return await super()._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        except LockError:
            raise
        except Exception as exc:
            raise LockStoreUnavailable(f"Error while waiting for the lock: {exc}") from exc

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """After the turn: an error is logged, never raised (the turn was handled)."""
        try:
            super().cleanup(conversation_id, ticket_number)
        except Exception as exc:
            logger.warning("lock store: lock of %r not released (%s); it expires by itself", conversation_id, exc)
