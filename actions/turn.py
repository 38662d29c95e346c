"""What a turn was understood as, sent along with the answer so the gateway need not ask Rasa.

The gateway logs every turn with its intent, confidence, procedure and outcome. Reading them back
from Rasa's tracker after each message costs Rasa a second tracker load; an action already knows
them, so it appends them to its answer as one custom message ``{"trolyao_turn": {...}}`` that
the gateway takes out before rendering. The summary also carries ``codes``, the official codes
of the procedure (CONTRACT.md section 6), so the gateway needs no content of its own. Turns
answered by a response template alone (greetings, thanks) carry no such message, and there the
gateway still reads the tracker.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import process
from tthc.procedure_codes import codes_of

TURN_KEY = "trolyao_turn"
REPORTED_SLOTS = ("procedure", "outcome")

Run = Callable[[Any, CollectingDispatcher, Tracker, dict[str, Any]], Awaitable[list[dict[str, Any]]]]


def _live_content() -> Any:
    """The content the actions answer from, or None if none could be loaded (codes then come
    from the procedure id alone)."""
    try:
        return process.content()
    except Exception:  # noqa: BLE001 - a summary never fails an answer
        return None


def turn_summary(tracker: Tracker, events: list[dict[str, Any]], content: Any = None) -> dict[str, Any]:
    """Intent and confidence of the latest message; the reported slots after ``events``; the
    official codes of the reported procedure (from ``content``, by default the live content)."""
    intent = (tracker.latest_message or {}).get("intent") or {}
    slots = {name: tracker.get_slot(name) for name in REPORTED_SLOTS}
    for event in events:
        if isinstance(event, dict) and event.get("event") == "slot" and event.get("name") in slots:
            slots[event["name"]] = event.get("value")
        elif isinstance(event, dict) and event.get("event") in {"restart", "reset_slots"}:
            slots = dict.fromkeys(REPORTED_SLOTS)
    base = content if content is not None else _live_content()
    codes = process.codes_for(base, slots["procedure"]) if base is not None else codes_of(slots["procedure"])
    return {"intent": intent.get("name"), "confidence": intent.get("confidence"), **slots, "codes": codes}


def reports_turn(run: Run) -> Run:
    """Decorate an action's ``run``: its answer ends with the turn summary for the gateway."""

    @functools.wraps(run)
    async def wrapper(
        self: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        events = list(await run(self, dispatcher, tracker, domain) or [])
        dispatcher.utter_message(json_message={TURN_KEY: turn_summary(tracker, events)})
        return events

    return wrapper
