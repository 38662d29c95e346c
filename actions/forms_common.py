"""What every form shares: the citizen can stop it with one word."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from tthc.text.normalize import accent_key

CANCEL_WORDS = {"huy", "huy bo", "thoi", "dung", "dung lai", "thoi khoi", "khong lam nua", "cancel", "stop", "thoat"}


def wants_to_cancel(tracker: Tracker) -> bool:
    text = accent_key((tracker.latest_message or {}).get("text") or "").strip(" .!")
    return text in CANCEL_WORDS


def cancel(dispatcher: CollectingDispatcher, slots: tuple[str, ...]) -> list[dict]:
    dispatcher.utter_message(response="utter_form_cancelled")
    return [ActiveLoop(None), SlotSet("requested_slot", None), *(SlotSet(s, None) for s in slots)]
