"""Rasa's REST channel, answering 503 "turn not kept" when the turn failed for want of its state.

Rasa 3.6's REST channel catches every error of a turn and answers HTTP 200 with what was said
so far, so the gateway could not tell "the bot said nothing" from "the conversation could not be
read or saved". This channel (``nlu.rest_channel.RestInput:`` in bot/credentials.yml; same name
``rest``, same URL /webhooks/rest/webhook, same request and answer) answers instead

    503, header ``X-Trolyao-Turn: not-kept``, body {"error": "turn_not_kept", "reason": ...}

when the tracker store (``nlu.tracker_store``) or the lock store (``nlu.lock_store``, or any
Rasa ``LockError``) failed. Nothing of such a turn was saved, so the gateway may send the same
message again: it does (the channels' outbox keeps it and retries; /api/chat retries for a few
seconds, then answers with the hotline). Every other error keeps Rasa's behaviour.
"""

from __future__ import annotations

import inspect
import logging
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from typing import Any

import rasa.utils.endpoints
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from rasa.core.lock_store import LockError
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from nlu.action_response import install as install_action_response_check
from nlu.tracker_store import TrackerStoreUnavailable

logger = logging.getLogger(__name__)

NOT_KEPT_HEADER = "X-Trolyao-Turn"  # the gateway's connectors.rasa_client checks the same name
NOT_KEPT = "not-kept"
# The turn could not read, save or lock its conversation: nothing of it was kept.
STATE_ERRORS: tuple[type[BaseException], ...] = (TrackerStoreUnavailable, LockError)


def not_kept(reason: str) -> HTTPResponse:
    return response.json(
        {"error": "turn_not_kept", "reason": reason},
        status=503,
        headers={NOT_KEPT_HEADER: NOT_KEPT, "Retry-After": "1"},
    )


class RestInput(RasaRestInput):
    """The REST channel (name ``rest``) with "turn not kept" answers."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> RestInput:
        install_action_response_check()  # Rasa creates its channels once, before serving
        return cls()

    async def handle_request(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]], request: Request
    ) -> HTTPResponse:
        sender_id = await self._extract_sender(request)
        text = self._extract_message(request)
        collector = CollectingOutputChannel()
        message = UserMessage(
            text,
            collector,
            sender_id,
            input_channel=self._extract_input_channel(request),
            metadata=self.get_metadata(request),
        )
        try:
            await on_new_message(message)
        except CancelledError:
            logger.error("rest: message of %r cancelled", sender_id)
        except STATE_ERRORS as exc:
            logger.warning("rest: turn of %r not kept, answered 503: %s", sender_id, exc)
            return not_kept(type(exc).__name__)
        except Exception:
            logger.exception("rest: error while handling a message of %r", sender_id)
        return response.json(collector.messages)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        module = inspect.getmodule(self)
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Any:
            if rasa.utils.endpoints.bool_arg(request, "stream", default=False):
                return response.stream(
                    self.stream_response(
                        on_new_message,
                        self._extract_message(request),
                        await self._extract_sender(request),
                        self._extract_input_channel(request),
                        self.get_metadata(request),
                    ),
                    content_type="text/event-stream",
                )
            return await self.handle_request(on_new_message, request)

        return webhook
