"""What every form shares: the citizen can always leave it, and it never traps them.

A form's validation action calls ``leave_if_asked`` first and ``give_up_after_two_failures``
on what the form's own checks returned:

- "hủy", "thôi", "kết thúc" stop the form; so does a bare "không", unless it answers the
  form's own question (the optional phone number, a confirmation).
- A clearly different question ends (or pauses) the form and gets its answer: the classifier is sure it is
  a question of a service (survey, hotline, hours, dossier status) or about a procedure, or the
  whole-catalogue search names a procedure, and the message reads as a question. A complaint
  (in the feedback form) is never taken for one.
- A value refused twice in a row for the same question ends the form politely, with the hotline.

Only a message the citizen just sent is judged; a form resuming after a rule answered a
question between (or opening) is not.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import process
from tthc.citizen_words import looks_like_question, says_no, wants_to_stop
from tthc.understanding import PROCEDURE_INTENTS

FAILURES_SLOT = "form_failures"  # {"slot": name, "count": n}: refusals in a row for one question
MAX_FAILURES = 2
SURE = 0.7  # the classifier's confidence for a different question
VERY_SURE = 0.9  # ... for a request of a service not phrased as a question
SERVICE_QUESTIONS = frozenset(
    {"ask_hotline", "ask_working_hours", "ask_survey", "check_dossier_status", "bot_challenge"}
)


def _text(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("text") or "").strip()


def _intent(tracker: Tracker) -> tuple[str | None, float]:
    """The classifier's intent and confidence; for an unsure message, its best guess."""
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    if intent.get("name") == "nlu_fallback":
        ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
        intent = ranking[0] if ranking else {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def answering_now(tracker: Tracker) -> bool:
    """The form runs right after the citizen's message (not on opening, not when it resumes
    after another action answered that message)."""
    actions = 0
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            return actions == 1
        if event.get("event") == "action":
            actions += 1
            if actions > 1:
                return False
    return False


def opened_with(tracker: Tracker, loop: str, payload: str) -> bool:
    """The form now running was opened by a button with this payload ("/give_feedback"): the
    citizen chose to write to an officer, so what they write is the form's content."""
    opened = False
    for event in reversed(tracker.events or []):
        if event.get("event") == "active_loop" and event.get("name") == loop:
            opened = True
        elif opened and event.get("event") == "user":
            return str(event.get("text") or "").startswith(payload)
    return False


def wants_to_cancel(tracker: Tracker, answers_no: Collection[str] = ()) -> bool:
    text = _text(tracker)
    if wants_to_stop(text):
        return True
    return says_no(text) and tracker.get_slot("requested_slot") not in answers_no


def stop_events(slots: tuple[str, ...]) -> list[dict]:
    return [
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        SlotSet(FAILURES_SLOT, None),
        *(SlotSet(s, None) for s in slots),
    ]


def cancel(dispatcher: CollectingDispatcher, slots: tuple[str, ...]) -> list[dict]:
    dispatcher.utter_message(response="utter_form_cancelled")
    return stop_events(slots)


def different_question(tracker: Tracker, keeps: Callable[[str], bool] | None = None) -> str | None:
    """The intent to answer the latest message with, when it is clearly not an answer to the
    form's question; None otherwise. ``keeps(text)`` says a message belongs to the form anyway."""
    text = _text(tracker)
    if not text or text.startswith("/") or (keeps is not None and keeps(text)):
        return None
    intent, confidence = _intent(tracker)
    asks = looks_like_question(text)
    if intent in SERVICE_QUESTIONS and confidence >= SURE and (asks or _plain_request(text, intent, confidence)):
        return intent
    if not asks:
        return None
    if intent in PROCEDURE_INTENTS and confidence >= SURE:
        return intent
    if process.search(process.content()).decide(text).answer is not None:
        return intent if intent in PROCEDURE_INTENTS else _best_procedure_intent(tracker)
    return None


def _plain_request(text: str, intent: str, confidence: float) -> bool:
    """A request of a service not phrased as a question ("cho xin link khảo sát"): only a sure
    one of three words or more (a time like "9h sáng" or "10:00" answers a booking's question)."""
    return intent != "ask_working_hours" and confidence >= VERY_SURE and len(text.split()) >= 3


def _best_procedure_intent(tracker: Tracker) -> str:
    ranking = (tracker.latest_message or {}).get("intent_ranking") or []
    return next((r["name"] for r in ranking if r.get("name") in PROCEDURE_INTENTS), "ask_procedure")


async def answer_instead(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], intent: str
) -> list[dict]:
    """The answer the question would get outside the form, and the events it keeps."""
    from actions.dossiers import ActionDossierStatus
    from actions.procedures import respond
    from actions.services import ActionHotline, ActionSurvey, ActionWorkingHours

    if intent == "bot_challenge":
        dispatcher.utter_message(response="utter_iamabot")
        return []
    services = {"ask_hotline": ActionHotline, "ask_working_hours": ActionWorkingHours, "ask_survey": ActionSurvey,
                "check_dossier_status": ActionDossierStatus}  # fmt: skip
    if intent in services:
        # Their run reports the turn as well; the gateway keeps the last report (the form's).
        return list(await services[intent]().run(dispatcher, tracker, domain) or [])
    return respond(dispatcher, tracker, intent)


async def leave_if_asked(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: dict[str, Any],
    slots: tuple[str, ...],
    set_aside: str | None,
    answers_no: Collection[str] = (),
    keeps: Callable[[str], bool] | None = None,
) -> list[dict] | None:
    """The events that end or pause the form because of the latest message, or None to go on.

    A different question ends the form, after ``set_aside`` (the response saying the form
    stopped for a question, and how to resume); with ``set_aside`` None it pauses the form
    instead: the question is answered, then the form asks its own question again."""
    requested = tracker.get_slot("requested_slot")
    if not answering_now(tracker) or not requested:
        return None
    if wants_to_cancel(tracker, answers_no):
        return cancel(dispatcher, slots)
    intent = different_question(tracker, keeps)
    if intent is None:
        return None
    if set_aside is None:
        answered = await answer_instead(dispatcher, tracker, domain, intent)
        return [*answered, SlotSet(requested, None)]  # the text was not the answer: asked again
    dispatcher.utter_message(response=set_aside)
    answered = await answer_instead(dispatcher, tracker, domain, intent)
    return [*answered, *stop_events(slots)]


def give_up_after_two_failures(
    dispatcher: CollectingDispatcher, tracker: Tracker, events: list[dict], slots: tuple[str, ...], mark: int
) -> list[dict]:
    """Count a refused value of the requested slot; the second refusal in a row ends the form.

    ``events`` are what the form's checks returned for the latest message, ``mark`` the number
    of messages the dispatcher held before them (a refusal's "try again" is dropped on giving
    up). A refusal sets the requested slot to None and no other slot of the form (resetting
    other slots is an answer, e.g. "đổi giờ" at a confirmation)."""
    requested = tracker.get_slot("requested_slot")
    if not requested or not answering_now(tracker):
        return events
    changed = {e.get("name"): e.get("value") for e in events if e.get("event") == "slot" and e.get("name") in slots}
    if requested not in changed:
        return events
    if changed[requested] is not None or len(changed) > 1:
        return [*events, SlotSet(FAILURES_SLOT, None)]
    before = tracker.get_slot(FAILURES_SLOT)
    count = 1 + (before.get("count", 0) if isinstance(before, dict) and before.get("slot") == requested else 0)
    if count < MAX_FAILURES:
        return [*events, SlotSet(FAILURES_SLOT, {"slot": requested, "count": count})]
    from actions.formatting import call_buttons

    del dispatcher.messages[mark:]
    loc = process.locality(process.content(), tracker.get_slot("locality"))
    dispatcher.utter_message(
        response="utter_form_gave_up", hotline=process.hotline_text(loc), buttons=call_buttons(loc)
    )
    return stop_events(slots)
