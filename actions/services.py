"""Hotlines, hours, survey, feedback, dossier status, appointments and handoff.

Feedback, dossiers and appointments have their own modules.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import formatting, hours, process
from actions.procedures import named_facts, say_where
from actions.process import channel_of, store
from actions.qr import qr_data_uri
from actions.turn import reports_turn
from tthc.content import ContentBase, Locality
from tthc.text.normalize import accent_key

# When officers answer chats (a deployment setting, TROLYAO_HANDOFF_HOURS), not office hours.


def named_locality(base: ContentBase, tracker: Tracker) -> tuple[Locality, list[dict]]:
    """The locality the citizen named in this message, else the one of the conversation."""
    text = " " + accent_key((tracker.latest_message or {}).get("text") or "") + " "
    for loc in base.localities.values():
        for alias in [loc.name, *loc.aliases]:
            if f" {accent_key(alias)} " in text:
                return loc, [SlotSet("locality", loc.id)]
    return process.locality(base, tracker.get_slot("locality")), []


def phone_buttons(loc: Locality) -> list[dict[str, str]]:
    return formatting.call_buttons(loc, limit=3)


class ActionHotline(Action):
    def name(self) -> str:
        return "action_hotline"

    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        base = process.content()
        loc, events = named_locality(base, tracker)
        events += procedure_where(dispatcher, base, tracker, "ask_hotline")
        dispatcher.utter_message(
            response="utter_hotline", locality=loc.name, hotlines=formatting.hotlines(loc), buttons=phone_buttons(loc)
        )
        return events


class ActionWorkingHours(Action):
    def name(self) -> str:
        return "action_working_hours"

    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        base = process.content()
        loc, events = named_locality(base, tracker)
        events += procedure_where(dispatcher, base, tracker, "ask_working_hours")
        note = (loc.office_hours.get("note") or "").strip() or "giờ hành chính các ngày làm việc."
        buttons = phone_buttons(loc)
        dispatcher.utter_message(response="utter_working_hours", locality=loc.name, hours=note, buttons=buttons)
        schedule = loc.office_hours.get("schedule")
        if schedule:  # only a sourced schedule says whether the office is open right now
            now = process.now()
            if not hours.is_open(schedule, now):
                opening = hours.next_opening(schedule, now)
                if opening:
                    dispatcher.utter_message(response="utter_office_closed_now", opens=hours.describe(opening, now))
        return events


class ActionSurvey(Action):
    def name(self) -> str:
        return "action_survey"

    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        base = process.content()
        loc, events = named_locality(base, tracker)
        if not loc.survey_url:
            dispatcher.utter_message(response="utter_survey_missing", hotline=process.hotline_text(loc))
            return events
        dispatcher.utter_message(
            response="utter_survey",
            locality=loc.name,
            url=loc.survey_url,
            image=qr_data_uri(loc.survey_url),
            buttons=[{"title": "Mở trang khảo sát", "payload": loc.survey_url}],
        )
        return events


def procedure_events(base: ContentBase, tracker: Tracker) -> list[dict]:
    """Remember a procedure the message names clearly (the dossier is about it)."""
    facts = named_facts(base, tracker, "check_dossier_status")
    return [SlotSet("procedure", facts.id)] if facts else []


def procedure_where(dispatcher: CollectingDispatcher, base: ContentBase, tracker: Tracker, intent: str) -> list[dict]:
    """Hours or numbers asked about a named procedure: where it is handled comes first."""
    facts = named_facts(base, tracker, intent)
    return say_where(dispatcher, facts) if facts else []


# The gateway adds this to a message's metadata when the officers' Telegram group can be reached.
OFFICERS_ONLINE = "officers_online"
TICKET_BUTTON = {"title": "📝 Để lại câu hỏi cho cán bộ", "payload": "/give_feedback"}
END_BUTTON = {"title": "↩️ Quay lại trợ lý ảo", "payload": "kết thúc"}


def officers_can_answer(tracker: Tracker) -> bool:
    """An officer can take a chat now: the gateway reaches their Telegram group, or one of them
    answers chats from the console (on duty there)."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    if isinstance(metadata, dict) and metadata.get(OFFICERS_ONLINE) is True:
        return True
    try:
        return bool(store().on_duty())
    except Exception:  # noqa: BLE001 - no store, no promise
        return False


class ActionHandoff(Action):
    """Hand the conversation to an officer only when one can answer now: staffed hours and an
    officer channel (the Telegram group, or an officer on duty in the console). Otherwise say so,
    with the hotline as a tap-to-call button and a ticket (the feedback form), and stay a bot.

    The open handoff is stored; the gateway then pauses the bot for this conversation, notifies
    the officers and relays their replies until an officer or the citizen ends it, or it times
    out."""

    def name(self) -> str:
        return "action_handoff"

    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        base = process.content()
        loc = process.locality(base, tracker.get_slot("locality"))
        schedule = hours.parse_schedule(process.settings().handoff_hours)
        now = process.now()
        hotline, buttons = process.hotline_text(loc), phone_buttons(loc)
        if not hours.is_open(schedule, now):
            opening = hours.next_opening(schedule, now)
            dispatcher.utter_message(
                response="utter_handoff_closed",
                opens=hours.describe(opening, now) if opening else "giờ hành chính ngày làm việc tiếp theo",
                hotline=hotline,
                buttons=[*buttons, TICKET_BUTTON],
            )
        elif not officers_can_answer(tracker):
            buttons = [*buttons, TICKET_BUTTON]
            dispatcher.utter_message(response="utter_handoff_unavailable", hotline=hotline, buttons=buttons)
        else:
            store().open_handoff(tracker.sender_id, channel_of(tracker.sender_id))
            dispatcher.utter_message(response="utter_handoff", hotline=hotline, buttons=[END_BUTTON, *buttons])
        return []


class ActionAnswerService(Action):
    """Hotline, hours, survey or "who are you" asked in the middle of a form."""

    def name(self) -> str:
        return "action_answer_service"

    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        if intent == "bot_challenge":
            dispatcher.utter_message(response="utter_iamabot")
            return []
        actions = {"ask_hotline": ActionHotline, "ask_working_hours": ActionWorkingHours, "ask_survey": ActionSurvey}
        action = actions.get(intent or "")
        return await action().run(dispatcher, tracker, domain) if action else []
