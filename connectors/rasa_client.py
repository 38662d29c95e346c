"""Talking to the Rasa servers: their REST channel and the conversation tracker.

Several Rasa processes may share one tracker store (``RASA_URL`` lists them, comma-separated).
Rasa's in-memory lock store only orders messages inside one process, so while a sender has a
message in flight, the sender's next messages go to that same process; a sender with nothing in
flight goes to the least busy process (its tracker is in the shared store). When a process
refuses the connection (crashed, restarting) the next one takes the conversation over. A timeout
is not retried elsewhere: Rasa may have handled the message already, and the citizen must not get
two answers.
"""

from __future__ import annotations

import logging
import zlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from tthc.procedure_codes import codes_of

logger = logging.getLogger(__name__)


class RasaError(Exception):
    """Rasa did not give a usable answer."""


class RasaUnavailable(RasaError):
    """Rasa cannot be reached, timed out, is loading or answered 5xx."""


class RasaRefused(RasaUnavailable):
    """Nothing listens at that Rasa address: the message surely was not handled there."""


class RasaTurnNotKept(RasaUnavailable):
    """Rasa could not read, save or lock the conversation (its tracker or lock store failed) and
    said so (nlu.rest_channel: 503 with ``X-Trolyao-Turn: not-kept``): nothing of the turn was
    kept, so the same message may be sent again."""


# The header of nlu.rest_channel's "turn not kept" answer (the gateway does not import nlu).
NOT_KEPT_HEADER = "x-trolyao-turn"
NOT_KEPT = "not-kept"


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
    # Official codes of `procedure`, from the action server's turn summary; None when the turn
    # had none (a template answer, a rating): the gateway then derives them (KnownCodes).
    codes: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Understanding:
    """What the tracker says Rasa understood of the latest message."""

    intent: str | None = None
    confidence: float | None = None
    procedure: str | None = None
    outcome: str | None = None
    codes: tuple[str, ...] | None = None  # only a turn summary says them


class KnownCodes:
    """The official codes of the procedures that the action server's turn summaries named.

    Codes belong to a procedure, not to a conversation, so one map serves every sender: a turn
    without a summary (a template answer, a rating) reports the codes of its carried-over
    procedure as the last summary about that procedure gave them, without reading content.
    A procedure no summary has named yet gets what its id alone says (tthc.procedure_codes:
    an official code is its own code; a slug, none).
    """

    def __init__(self, limit: int = 8192) -> None:
        self._limit = limit
        self._codes: OrderedDict[str, tuple[str, ...]] = OrderedDict()

    def learn(self, procedure: str | None, codes: Sequence[str] | None) -> None:
        if not procedure or codes is None:
            return
        self._codes[procedure] = tuple(codes)
        self._codes.move_to_end(procedure)
        while len(self._codes) > self._limit:
            self._codes.popitem(last=False)

    def of(self, procedure: str | None) -> list[str]:
        known = self._codes.get(procedure) if procedure else None
        return list(known) if known is not None else codes_of(procedure)


class RasaClient:
    """A thin client over one shared httpx.AsyncClient (owned by the app's lifespan)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_urls: str | Sequence[str],
        timeout_s: float,
        known_codes: KnownCodes | None = None,
    ) -> None:
        self._http = http
        self._replicas = Replicas(split_urls(base_urls))
        self._timeout = httpx.Timeout(timeout_s)
        self.known_codes = known_codes if known_codes is not None else KnownCodes()

    async def send(self, sender_id: str, text: str, metadata: dict[str, Any]) -> RasaTurn:
        """Post one message to the REST channel, then read what Rasa understood of it."""
        body = {"sender": sender_id, "message": text, "metadata": metadata}
        refused: RasaRefused | None = None
        for base_url in self._replicas.order_for(sender_id):
            self._replicas.begin(base_url, sender_id)
            try:
                return await self._send_to(base_url, sender_id, body)
            except RasaRefused as exc:
                refused = exc
            finally:
                self._replicas.end(base_url, sender_id)
        assert refused is not None
        raise refused

    async def parse(self, text: str) -> tuple[str | None, float | None]:
        """What Rasa's NLU makes of a text, without touching any conversation (``/model/parse``):
        the intent and its confidence, (None, None) when it cannot tell. Raises RasaError when
        no Rasa process answers."""
        base_url = self._replicas.order_for(text)[0]
        response = await self._request(base_url, "POST", "/model/parse", json={"text": text})
        if response.status_code != 200:
            return None, None
        try:
            parsed = response.json()
        except ValueError:
            return None, None
        as_tracker = {"latest_message": parsed if isinstance(parsed, dict) else {}}
        return _intent(as_tracker), _confidence(as_tracker)

    async def _send_to(self, base_url: str, sender_id: str, body: dict[str, Any]) -> RasaTurn:
        response = await self._request(base_url, "POST", "/webhooks/rest/webhook", json=body)
        if response.status_code != 200:
            raise RasaBadResponse(f"REST channel answered HTTP {response.status_code}")
        try:
            bot_messages = response.json()
        except ValueError as exc:
            raise RasaBadResponse("REST channel answered invalid JSON") from exc
        if not isinstance(bot_messages, list):
            raise RasaBadResponse("REST channel answered something other than a list")
        messages = [m for m in bot_messages if isinstance(m, dict)]
        summaries = [m["custom"][TURN_KEY] for m in messages if _is_turn_summary(m)]
        if summaries:  # the action server said what the turn was: no second tracker load
            understood = _understanding_from_summary(summaries[-1])
            self.known_codes.learn(understood.procedure, understood.codes)
        else:
            understood = await self._understanding(base_url, sender_id)
        return RasaTurn(
            messages=[m for m in messages if not _is_turn_summary(m)],
            intent=understood.intent,
            procedure=understood.procedure,
            confidence=understood.confidence,
            outcome=understood.outcome,
            codes=understood.codes,
        )

    async def _understanding(self, base_url: str, sender_id: str) -> Understanding:
        """Intent (and its confidence) of the latest message, the procedure and outcome slots;
        all None if the tracker is unreadable.

        The bot's replies are already in hand, so a failing tracker read is logged, not raised.
        """
        path = f"/conversations/{quote(sender_id, safe=':')}/tracker"
        try:
            response = await self._request(base_url, "GET", path, params={"include_events": "NONE"})
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

    async def _request(self, base_url: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, base_url + path, timeout=self._timeout, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise RasaRefused(f"Rasa unreachable at {base_url}: {type(exc).__name__}") from exc
        except httpx.TimeoutException as exc:
            raise RasaUnavailable(f"Rasa timed out on {path}") from exc
        except httpx.TransportError as exc:
            raise RasaUnavailable(f"Rasa unreachable: {type(exc).__name__}") from exc
        if response.status_code == 503 and response.headers.get(NOT_KEPT_HEADER, "").lower() == NOT_KEPT:
            raise RasaTurnNotKept(f"Rasa could not keep the turn on {path} (its tracker or lock store failed)")
        if response.status_code >= 500:
            raise RasaUnavailable(f"Rasa answered HTTP {response.status_code} on {path}")
        return response


class Replicas:
    """Which Rasa process gets a sender's message (pure bookkeeping, one event loop)."""

    def __init__(self, urls: Sequence[str]) -> None:
        self.urls = list(urls)
        self.busy = dict.fromkeys(self.urls, 0)
        self._pinned: dict[str, tuple[str, int]] = {}  # sender -> (url, messages in flight)

    def order_for(self, sender_id: str) -> list[str]:
        """The process to try first, then the others (failover when one refuses)."""
        start = zlib.crc32(sender_id.encode("utf-8")) % len(self.urls)
        rotated = self.urls[start:] + self.urls[:start]
        pinned = self._pinned.get(sender_id)
        if pinned is not None:
            return [pinned[0], *(url for url in rotated if url != pinned[0])]
        return sorted(rotated, key=lambda url: self.busy[url])  # stable: ties keep the hash order

    def begin(self, url: str, sender_id: str) -> None:
        self.busy[url] += 1
        _, count = self._pinned.get(sender_id, (url, 0))
        self._pinned[sender_id] = (url, count + 1)

    def end(self, url: str, sender_id: str) -> None:
        self.busy[url] -= 1
        pinned_url, count = self._pinned.get(sender_id, (url, 1))
        if count <= 1:
            self._pinned.pop(sender_id, None)
        else:
            self._pinned[sender_id] = (pinned_url, count - 1)


def split_urls(urls: str | Sequence[str]) -> list[str]:
    """``"http://a:5005, http://b:5005/"`` or a list -> ``["http://a:5005", "http://b:5005"]``."""
    items = urls.split(",") if isinstance(urls, str) else list(urls)
    cleaned = [item.strip().rstrip("/") for item in items if item.strip()]
    if not cleaned:
        raise ValueError("no Rasa URL given")
    return cleaned


# The action server ends its answers with {"custom": {"trolyao_turn": {intent, confidence,
# procedure, outcome, codes}}} (actions/turn.py): what the tracker would say, without reading it.
TURN_KEY = "trolyao_turn"


def _is_turn_summary(message: dict[str, Any]) -> bool:
    custom = message.get("custom")
    return isinstance(custom, dict) and isinstance(custom.get(TURN_KEY), dict)


def _understanding_from_summary(summary: dict[str, Any]) -> Understanding:
    """The same checks as for a tracker read, on the summary's fields."""
    as_tracker = {
        "latest_message": {"intent": {"name": summary.get("intent"), "confidence": summary.get("confidence")}},
        "slots": {"procedure": summary.get("procedure"), "outcome": summary.get("outcome")},
    }
    return Understanding(
        intent=_intent(as_tracker),
        confidence=_confidence(as_tracker),
        procedure=_slot(as_tracker, "procedure"),
        outcome=_slot(as_tracker, "outcome"),
        codes=_codes(summary.get("codes")),
    )


def _codes(value: Any) -> tuple[str, ...] | None:
    """A summary's ``codes``: a list of non-empty strings, else None (derived by the gateway)."""
    if not isinstance(value, list) or not all(isinstance(code, str) and code for code in value):
        return None
    return tuple(dict.fromkeys(value))


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
