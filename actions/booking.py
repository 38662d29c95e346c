"""Appointments at a service centre: a form, slot capacity, a confirmation code, cancel by code."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import process, validators
from actions.dates import parse_date, vn_weekday
from actions.forms_common import cancel, wants_to_cancel
from actions.process import channel_of, message_key, store
from actions.turn import reports_turn
from tthc.content import ContentBase, Locality
from tthc.records.repository import SlotFull
from tthc.text.normalize import accent_key
from tthc.understanding import is_confident

BOOKING_SLOTS = ("booking_procedure", "booking_centre", "booking_date", "booking_slot", "booking_name", "booking_phone")
DAY_KEYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
GENERIC_CENTRE = {"id": "mot-cua-xa", "name": "Bộ phận Một cửa (Trung tâm Phục vụ hành chính công) xã, phường nơi bạn cư trú"}


def centres(loc: Locality) -> list[dict[str, Any]]:
    return loc.service_centres or [GENERIC_CENTRE]


def centre_name(loc: Locality, centre_id: str | None) -> str:
    return next((c["name"] for c in centres(loc) if c["id"] == centre_id), centre_id or "")


def open_day(loc: Locality, day: dt.date, today: dt.date) -> str | None:
    """Why a day cannot be booked, or None if it can."""
    horizon = int(loc.booking.get("horizon_days", 30))
    if day <= today:
        return "utter_booking_date_past"
    if (day - today).days > horizon:
        return "utter_booking_date_far"
    if DAY_KEYS[day.weekday()] not in loc.booking["days"]:
        return "utter_booking_date_closed"
    return None


def free_slots(loc: Locality, centre: str, day: dt.date) -> list[str]:
    capacity = int(loc.booking["capacity"])
    return [s for s in loc.booking["slots"] if store().taken(centre, day, s) < capacity]


def _context(tracker: Tracker) -> tuple[ContentBase, Locality]:
    base = process.content()
    return base, process.locality(base, tracker.get_slot("locality"))


def _text(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("text") or "").strip()


class ActionBookingStart(Action):
    """Cancel by code, or open the booking form with what the message already says."""

    def name(self) -> str:
        return "action_book_appointment"

    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        text = _text(tracker)
        code = validators.BOOKING_CODE.search(text)
        if code:
            return self._status_or_cancel(dispatcher, code.group(), cancel=bool(re.search(r"\b(huy|bo|khong den)\b", accent_key(text))))
        base, loc = _context(tracker)
        events: list[dict] = [SlotSet(slot, None) for slot in BOOKING_SLOTS]
        candidates = process.index(base).search(text)
        procedure = candidates[0].slug if is_confident(candidates) else tracker.get_slot("procedure")
        if procedure in base.procedures:
            events += [SlotSet("booking_procedure", procedure), SlotSet("procedure", procedure)]
        if len(centres(loc)) == 1:
            events.append(SlotSet("booking_centre", centres(loc)[0]["id"]))
        day = parse_date(text, process.today())
        if day and open_day(loc, day, process.today()) is None:
            events.append(SlotSet("booking_date", day.isoformat()))
        dispatcher.utter_message(response="utter_booking_intro")
        return [*events, FollowupAction("booking_form")]

    @staticmethod
    def _status_or_cancel(dispatcher: CollectingDispatcher, code: str, cancel: bool) -> list[dict]:
        booking = store().cancel_booking(code) if cancel else store().booking(code)
        if booking is None:
            dispatcher.utter_message(response="utter_booking_unknown", code=code.upper())
        elif booking.status == "cancelled":
            dispatcher.utter_message(response="utter_booking_cancelled", code=booking.code)
        else:
            dispatcher.utter_message(
                response="utter_booking_status", code=booking.code, day=booking.day.strftime("%d/%m/%Y"), slot=booking.slot
            )
        return []


class ValidateBookingForm(FormValidationAction):
    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        if wants_to_cancel(tracker):
            return cancel(dispatcher, BOOKING_SLOTS)
        return await super().run(dispatcher, tracker, domain)

    def name(self) -> str:
        return "validate_booking_form"

    async def validate_booking_procedure(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        base, _ = _context(tracker)
        if value in base.procedures:
            return {"booking_procedure": value}
        candidates = process.index(base).search(str(value or ""))
        if is_confident(candidates):
            return {"booking_procedure": candidates[0].slug, "procedure": candidates[0].slug}
        dispatcher.utter_message(response="utter_booking_procedure_unclear")
        return {"booking_procedure": None}

    async def validate_booking_centre(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        _, loc = _context(tracker)
        key = accent_key(str(value or ""))
        for number, centre in enumerate(centres(loc), start=1):
            if key in {centre["id"], str(number)} or (len(key) > 3 and key in accent_key(centre["name"])):
                return {"booking_centre": centre["id"]}
        return {"booking_centre": None}

    async def validate_booking_date(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        _, loc = _context(tracker)
        today = process.today()
        try:  # a date the start action already understood is stored as YYYY-MM-DD
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            day = parse_date(str(value or ""), today)
        if day is None:
            dispatcher.utter_message(response="utter_booking_date_unclear")
            return {"booking_date": None}
        problem = open_day(loc, day, today)
        if problem:
            dispatcher.utter_message(response=problem)
            return {"booking_date": None}
        return {"booking_date": day.isoformat()}

    async def validate_booking_slot(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        _, loc = _context(tracker)
        match = re.search(r"(\d{1,2})\s*(?:[:hg]\s*(\d{2})?)", str(value or ""))
        slot = f"{int(match.group(1)):02d}:{match.group(2) or '00'}" if match else None
        if slot not in loc.booking["slots"]:
            return {"booking_slot": None}
        day = dt.date.fromisoformat(tracker.get_slot("booking_date"))
        if slot not in free_slots(loc, tracker.get_slot("booking_centre"), day):
            dispatcher.utter_message(response="utter_booking_slot_full", slot=slot)
            return {"booking_slot": None}
        return {"booking_slot": slot}

    async def validate_booking_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        name = validators.person_name(str(value or ""))
        if not name:
            dispatcher.utter_message(response="utter_booking_name_invalid")
        return {"booking_name": name}

    async def validate_booking_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        number = validators.phone(str(value or ""))
        if not number:
            dispatcher.utter_message(response="utter_phone_invalid")
        return {"booking_phone": number}


class ActionAskBookingCentre(Action):
    def name(self) -> str:
        return "action_ask_booking_centre"

    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        _, loc = _context(tracker)
        buttons = [{"title": c["name"], "payload": c["id"]} for c in centres(loc)]
        dispatcher.utter_message(response="utter_ask_booking_centre", buttons=buttons)
        return []


class ActionAskBookingDate(Action):
    def name(self) -> str:
        return "action_ask_booking_date"

    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        _, loc = _context(tracker)
        today, buttons = process.today(), []
        day = today
        while len(buttons) < 3 and (day - today).days < 14:
            day += dt.timedelta(days=1)
            if open_day(loc, day, today) is None:
                label = f"{vn_weekday(day)} {day.strftime('%d/%m')}"
                buttons.append({"title": label, "payload": day.strftime("%d/%m/%Y")})
        dispatcher.utter_message(response="utter_ask_booking_date", buttons=buttons)
        return []


class ActionAskBookingSlot(Action):
    def name(self) -> str:
        return "action_ask_booking_slot"

    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        _, loc = _context(tracker)
        day = dt.date.fromisoformat(tracker.get_slot("booking_date"))
        slots = free_slots(loc, tracker.get_slot("booking_centre"), day)
        if not slots:
            dispatcher.utter_message(response="utter_booking_day_full", day=day.strftime("%d/%m/%Y"))
            return [SlotSet("booking_date", None), FollowupAction("booking_form")]
        buttons = [{"title": s, "payload": s} for s in slots]
        dispatcher.utter_message(response="utter_ask_booking_slot", day=f"{vn_weekday(day)} {day.strftime('%d/%m/%Y')}", buttons=buttons)
        return []


class ActionSubmitBooking(Action):
    def name(self) -> str:
        return "action_submit_booking"

    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        if any(not tracker.get_slot(slot) for slot in BOOKING_SLOTS):
            return []  # the form was stopped before it was complete
        base, loc = _context(tracker)
        day = dt.date.fromisoformat(tracker.get_slot("booking_date"))
        slug = tracker.get_slot("booking_procedure")
        try:
            booking = store().book(
                sender=tracker.sender_id,
                channel=channel_of(tracker.sender_id),
                procedure=slug,
                centre=tracker.get_slot("booking_centre"),
                day=day,
                slot=tracker.get_slot("booking_slot"),
                name=tracker.get_slot("booking_name"),
                phone=tracker.get_slot("booking_phone"),
                capacity=int(loc.booking["capacity"]),
                key=message_key(tracker, "booking"),  # the same message again: the same booking
            )
        except SlotFull:
            dispatcher.utter_message(response="utter_booking_slot_full", slot=tracker.get_slot("booking_slot"))
            return [SlotSet("booking_slot", None), FollowupAction("booking_form")]
        dispatcher.utter_message(
            response="utter_booking_confirmed",
            code=booking.code,
            procedure=base.procedures[slug].name if slug in base.procedures else slug,
            centre=centre_name(loc, booking.centre),
            day=f"{vn_weekday(day)} {day.strftime('%d/%m/%Y')}",
            slot=booking.slot,
        )
        return [SlotSet(slot, None) for slot in BOOKING_SLOTS]
