"""Hotlines, hours, survey, feedback, dossier status, appointments and handoff.

This is the first slice of these flows: each one answers with the locality's real channels.
Forms, stored tickets and bookings come with the dialogue issue.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import formatting, runtime
from actions.qr import qr_data_uri
from nlu.normalize import accent_key
from nlu.understanding import is_confident
from trolyao.content import ContentBase, Locality

DOSSIER_CODE = re.compile(r"\b[0-9A-Z]{2,4}(?:\.[0-9A-Z]{1,4}){2,4}-\d{6}-\d{3,5}\b|\b\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{6}-\d{4}\b", re.I)


def named_locality(base: ContentBase, tracker: Tracker) -> tuple[Locality, list[dict]]:
    """The locality the citizen named in this message, else the one of the conversation."""
    text = " " + accent_key((tracker.latest_message or {}).get("text") or "") + " "
    for loc in base.localities.values():
        for alias in [loc.name, *loc.aliases]:
            if f" {accent_key(alias)} " in text:
                return loc, [SlotSet("locality", loc.id)]
    return runtime.locality(base, tracker.get_slot("locality")), []


def phone_buttons(loc: Locality) -> list[dict[str, str]]:
    return [{"title": f"Gọi {h['number']}", "payload": formatting.tel(str(h["number"]))} for h in loc.hotlines[:3]]


class ActionHotline(Action):
    def name(self) -> str:
        return "action_hotline"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        base = runtime.content()
        loc, events = named_locality(base, tracker)
        dispatcher.utter_message(
            response="utter_hotline", locality=loc.name, hotlines=formatting.hotlines(loc), buttons=phone_buttons(loc)
        )
        return events


class ActionWorkingHours(Action):
    def name(self) -> str:
        return "action_working_hours"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        base = runtime.content()
        loc, events = named_locality(base, tracker)
        hours = (loc.office_hours.get("note") or "").strip() or "giờ hành chính các ngày làm việc."
        dispatcher.utter_message(response="utter_working_hours", locality=loc.name, hours=hours, buttons=phone_buttons(loc))
        return events


class ActionSurvey(Action):
    def name(self) -> str:
        return "action_survey"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        base = runtime.content()
        loc, events = named_locality(base, tracker)
        if not loc.survey_url:
            dispatcher.utter_message(response="utter_survey_missing", hotline=runtime.hotline_text(loc))
            return events
        dispatcher.utter_message(
            response="utter_survey",
            locality=loc.name,
            url=loc.survey_url,
            image=qr_data_uri(loc.survey_url),
            buttons=[{"title": "Mở trang khảo sát", "payload": loc.survey_url}],
        )
        return events


class ActionFeedback(Action):
    def name(self) -> str:
        return "action_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        base = runtime.content()
        loc, events = named_locality(base, tracker)
        buttons = [{"title": p["name"], "payload": p["url"]} for p in loc.portals[:3]]
        dispatcher.utter_message(
            response="utter_feedback",
            locality=loc.name,
            portals=formatting.portals(loc),
            hotline=runtime.hotline_text(loc),
            buttons=buttons,
        )
        return events


def _procedure_events(base: ContentBase, tracker: Tracker) -> list[dict]:
    """Remember a procedure the message names clearly (the dossier or booking is about it)."""
    text = (tracker.latest_message or {}).get("text") or ""
    candidates = runtime.index(base).search(text)
    return [SlotSet("procedure", candidates[0].slug)] if is_confident(candidates) else []


class ActionDossierStatus(Action):
    def name(self) -> str:
        return "action_dossier_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        base = runtime.content()
        loc = runtime.locality(base, tracker.get_slot("locality"))
        text = (tracker.latest_message or {}).get("text") or ""
        code = DOSSIER_CODE.search(text)
        if code:
            dispatcher.utter_message(response="utter_dossier_code_seen", code=code.group(), hotline=runtime.hotline_text(loc))
        else:
            dispatcher.utter_message(response="utter_dossier_status", hotline=runtime.hotline_text(loc))
        return _procedure_events(base, tracker)


class ActionBookAppointment(Action):
    def name(self) -> str:
        return "action_book_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        base = runtime.content()
        loc = runtime.locality(base, tracker.get_slot("locality"))
        events = _procedure_events(base, tracker)
        slug = events[0]["value"] if events else tracker.get_slot("procedure")
        part = f" ({base.procedures[slug].name})" if slug in base.procedures else ""
        dispatcher.utter_message(
            response="utter_book_appointment", procedure_part=part, hotline=runtime.hotline_text(loc), buttons=phone_buttons(loc)
        )
        return events


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        base = runtime.content()
        loc = runtime.locality(base, tracker.get_slot("locality"))
        dispatcher.utter_message(response="utter_handoff", hotline=runtime.hotline_text(loc), buttons=phone_buttons(loc))
        return []
