"""Phản ánh, kiến nghị: a form, a ticket code, and the status by code."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import process, validators
from actions.forms_common import FAILURES_SLOT, give_up_after_two_failures, leave_if_asked, opened_with
from actions.process import channel_of, message_key, store
from actions.turn import reports_turn
from tthc.citizen_words import COMPLAINT_CUES, mentions

FEEDBACK_SLOTS = ("feedback_content", "feedback_subject", "feedback_phone")
MIN_CONTENT_WORDS = 6  # a first message this long already says what went wrong
ANSWERS_NO = ("feedback_phone",)  # "không": no phone number, thanks


BUTTON = "/give_feedback"  # the ticket button offered when no officer can answer now (actions/services.py)


def is_complaint(text: str) -> bool:
    """Words of a complaint or suggestion: the message belongs to the form, even as a question."""
    return mentions(text, COMPLAINT_CUES)


def anything(text: str) -> bool:
    return True


def latest_text(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("text") or "").strip()


def ticket_status(dispatcher: CollectingDispatcher, code: str) -> None:
    ticket = store().ticket(code)
    if ticket is None:
        dispatcher.utter_message(response="utter_ticket_unknown", code=code.upper())
    elif ticket.status == "answered":
        dispatcher.utter_message(response="utter_ticket_answered", code=ticket.code, answer=ticket.answer or "")
    else:
        created = ticket.created_at.strftime("%d/%m/%Y")
        dispatcher.utter_message(response="utter_ticket_open", code=ticket.code, created=created)


class ActionFeedbackStart(Action):
    """A ticket code asks for its status; anything else opens the feedback form."""

    def name(self) -> str:
        return "action_feedback"

    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        code = validators.TICKET_CODE.search(latest_text(tracker))
        if code:
            ticket_status(dispatcher, code.group())
            return [FollowupAction("action_listen")]  # the rule would open the form next
        dispatcher.utter_message(response="utter_feedback_intro")
        events: list[dict] = [SlotSet(slot, None) for slot in (*FEEDBACK_SLOTS, FAILURES_SLOT)]
        if len(latest_text(tracker).split()) >= MIN_CONTENT_WORDS:
            events.append(SlotSet("feedback_content", latest_text(tracker)))
        return [*events, FollowupAction("feedback_form")]


class ValidateFeedbackForm(FormValidationAction):
    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        keeps = is_complaint
        if tracker.get_slot("requested_slot") == "feedback_content" and opened_with(tracker, "feedback_form", BUTTON):
            keeps = anything  # "Để lại câu hỏi cho cán bộ": the question is what they leave
        aside = "utter_feedback_set_aside"
        left = await leave_if_asked(dispatcher, tracker, domain, FEEDBACK_SLOTS, aside, ANSWERS_NO, keeps)
        if left is not None:
            return left
        mark = len(dispatcher.messages)
        events = await super().run(dispatcher, tracker, domain)
        return give_up_after_two_failures(dispatcher, tracker, events, FEEDBACK_SLOTS, mark)

    def name(self) -> str:
        return "validate_feedback_form"

    async def validate_feedback_content(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict:
        if isinstance(value, str) and len(value.split()) >= 3:
            return {"feedback_content": value.strip()[:4000]}
        dispatcher.utter_message(response="utter_feedback_content_too_short")
        return {"feedback_content": None}

    async def validate_feedback_subject(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict:
        if isinstance(value, str) and value.strip():
            return {"feedback_subject": value.strip()[:500]}
        return {"feedback_subject": None}

    async def validate_feedback_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict:
        text = str(value or "")
        if validators.wants_to_skip(text):
            return {"feedback_phone": "-"}
        number = validators.phone(text)
        if number:
            return {"feedback_phone": number}
        dispatcher.utter_message(response="utter_phone_invalid")
        return {"feedback_phone": None}


class ActionSubmitFeedback(Action):
    def name(self) -> str:
        return "action_submit_feedback"

    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        if not tracker.get_slot("feedback_content") or not tracker.get_slot("feedback_subject"):
            return []  # the form was stopped before it was complete
        phone = tracker.get_slot("feedback_phone")
        ticket = store().create_ticket(
            sender=tracker.sender_id,
            channel=channel_of(tracker.sender_id),
            subject=tracker.get_slot("feedback_subject") or "",
            content=tracker.get_slot("feedback_content") or "",
            phone=None if phone in (None, "-") else phone,
            key=message_key(tracker, "ticket"),  # the same message again: the same ticket
        )
        loc = process.locality(process.content(), tracker.get_slot("locality"))
        hotline = process.hotline_text(loc)
        dispatcher.utter_message(response="utter_feedback_received", code=ticket.code, hotline=hotline)
        return [SlotSet(slot, None) for slot in FEEDBACK_SLOTS]
