"""Talking to the Rasa server: its REST channel and the conversation tracker."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

logger = logging.getLogger(__name__)


class RasaError(Exception):
    """Rasa did not give a usable answer."""


class RasaUnavailable(RasaError):
    """Rasa cannot be reached, timed out, is loading or answered 5xx."""


class RasaBadResponse(RasaError):
    """Rasa answered, but not with what its REST channel documents."""


@dataclass(frozen=True)
class RasaTurn:
    """What one user message produced."""

    messages: list[dict[str, Any]]
    intent: str | None  # latest_message.intent.name
    procedure: str | None  # the `procedure` slot, after context
    confidence: float | None = None  # latest_message.intent.confidence
    outcome: str | None = None  # the `outcome` slot: answered, clarified, asked, fallback


@dataclass(frozen=True)
class Understanding:
    """What the tracker says Rasa understood of the latest message."""

    intent: str | None = None
    confidence: float | None = None
    procedure: str | None = None
    outcome: str | None = None


class RasaClient:
    """A thin client over one shared httpx.AsyncClient (owned by the app's lifespan)."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, timeout_s: float) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._timeout = httpx.Timeout(timeout_s)

    async def send(self, sender_id: str, text: str, metadata: dict[str, Any]) -> RasaTurn:
        """Post one message to the REST channel, then read what Rasa understood of it."""
        body = {"sender": sender_id, "message": text, "metadata": metadata}
        response = await self._request("POST", "/webhooks/rest/webhook", json=body)
        if response.status_code != 200:
            raise RasaBadResponse(f"REST channel answered HTTP {response.status_code}")
        try:
            bot_messages = response.json()
        except ValueError as exc:
            raise RasaBadResponse("REST channel answered invalid JSON") from exc
        if not isinstance(bot_messages, list):
            raise RasaBadResponse("REST channel answered something other than a list")
        understood = await self._understanding(sender_id)
        return RasaTurn(
            messages=[m for m in bot_messages if isinstance(m, dict)],
            intent=understood.intent,
            procedure=understood.procedure,
            confidence=understood.confidence,
            outcome=understood.outcome,
        )

    async def _understanding(self, sender_id: str) -> Understanding:
        """Intent (and its confidence) of the latest message, the procedure and outcome slots;
        all None if the tracker is unreadable.

        The bot's replies are already in hand, so a failing tracker read is logged, not raised.
        """
        path = f"/conversations/{quote(sender_id, safe=':')}/tracker"
        try:
            response = await self._request("GET", path, params={"include_events": "NONE"})
            response.raise_for_status()
            tracker = response.json()
        except (RasaError, httpx.HTTPStatusError, ValueError) as exc:
            logger.warning("could not read the Rasa tracker: %s", exc)
            return Understanding()
        return Understanding(
            intent=_intent(tracker),
            confidence=_confidence(tracker),
            procedure=_slot(tracker, "procedure"),
            outcome=_slot(tracker, "outcome"),
        )

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(
                method, self._base_url + path, timeout=self._timeout, **kwargs
            )
        except httpx.TimeoutException as exc:
            raise RasaUnavailable(f"Rasa timed out on {path}") from exc
        except httpx.TransportError as exc:
            raise RasaUnavailable(f"Rasa unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise RasaUnavailable(f"Rasa answered HTTP {response.status_code} on {path}")
        return response


def _intent(tracker: Any) -> str | None:
    latest = tracker.get("latest_message") if isinstance(tracker, dict) else None
    intent = latest.get("intent") if isinstance(latest, dict) else None
    name = intent.get("name") if isinstance(intent, dict) else None
    return name if isinstance(name, str) and name else None


def _confidence(tracker: Any) -> float | None:
    latest = tracker.get("latest_message") if isinstance(tracker, dict) else None
    intent = latest.get("intent") if isinstance(latest, dict) else None
    value = intent.get("confidence") if isinstance(intent, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _slot(tracker: Any, name: str) -> str | None:
    slots = tracker.get("slots") if isinstance(tracker, dict) else None
    value = slots.get(name) if isinstance(slots, dict) else None
    return value if isinstance(value, str) and value else None
