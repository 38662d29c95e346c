"""Appointments where the procedure is handled: the office from the procedure and the locality
(tthc.offices), a form, slot capacity, a confirmation step, a code, cancel by code."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import formatting, process, validators
from actions.dates import parse_date, vn_weekday
from actions.forms_common import give_up_after_two_failures, leave_if_asked
from actions.procedures import page_button
from actions.process import channel_of, message_key, store
from actions.turn import reports_turn
from tthc.content import ContentBase, Locality
from tthc.content.model import NATIONAL_PORTAL
from tthc.offices import Office, office_by_id, offices_for
from tthc.records.repository import SlotFull
from tthc.text.normalize import accent_key, normalize_text
from tthc.understanding import ANSWER_SCORE, is_confident

BOOKING_SLOTS = (
    "booking_procedure", "booking_centre", "booking_date", "booking_slot", "booking_name", "booking_phone",
    "booking_confirm",
)  # fmt: skip
ANSWERS_NO = ("booking_confirm",)  # "không" there answers the form's own question: nothing is booked
DAY_KEYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
PAPERS_SHOWN = 5  # papers listed in the confirmation; the rest are on the official page
PAPER_CHARS = 80
_BRACKET = re.compile(r"\s*\(([^()]*)\)")
_CONDITION = re.compile(r"(nếu|khi|chỉ khi|cho người|người|trường hợp|đối với)\b")
LOOKUP_TITLE = "Tra cứu địa chỉ nơi tiếp nhận"

# Answers to the confirmation. "đúng" (yes) and "dừng" (stop) share one accent-free key, so they
# are told apart on the accented text first.
_YES = re.compile(
    r"^(co|dong y|xac nhan|ok|oke|okay|vang|u|uh|um|yes|chot|dat|dat lich|dat di|duoc|da|da co|da vang|da dong y)\b"
)
_NO = re.compile(r"^((da|vang|u|a)\s+)?(khong|ko|k|kg|huy|thoi|bo|cancel|no|stop|thoat|tam biet|bye)\b")
_QUESTION_WORDS = {"không", "ko", "chưa", "nhỉ", "à", "sao", "gì", "nào", "hả"}  # a sentence ending so asks
# Intents of messages that ask something rather than answer the confirmation (the slot mapping
# leaves them to the rules, which answer and ask again); "đổi giờ", "đổi ngày" read like hours
# and time questions, so those two stay answers here.
CONFIRM_QUESTIONS = {
    "human_handoff", "ask_procedure", "ask_documents", "ask_fee", "ask_where", "ask_online", "ask_hotline",
    "ask_survey", "bot_challenge",
}  # fmt: skip
_CHANGE_DAY = re.compile(r"\b(doi|chon|sang|khac)\b.*\bngay\b|\bngay khac\b")
_CHANGE_SLOT = re.compile(r"\b(doi|chon|sang|khac)\b.*\bgio\b|\bgio khac\b")


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


def known(base: ContentBase, procedure: Any) -> bool:
    """A curated procedure's slug or a catalogue record's code."""
    return isinstance(procedure, str) and (procedure in base.procedures or procedure in base.catalogue)


def procedure_name(base: ContentBase, procedure: str) -> str:
    if procedure in base.procedures:
        return base.procedures[procedure].name
    record = base.catalogue.get(procedure)
    return record.name if record is not None else procedure


def procedure_url(base: ContentBase, procedure: str) -> str:
    if procedure in base.procedures:
        return base.procedures[procedure].official_url
    record = base.catalogue.get(procedure)
    return record.detail_url if record is not None and record.detail_url else NATIONAL_PORTAL


def _short(name: str) -> str:
    text = " ".join(str(name).split())
    if len(text) <= PAPER_CHARS:
        return text
    return text[:PAPER_CHARS].rsplit(" ", 1)[0].rstrip(",;:(") + "…"


def paper(name: str) -> tuple[str, bool]:
    """One document as a short line, and whether only some citizens need it: an alternative after
    ";" and a bracketed condition ("(nếu ...)", "(khi ...)") are left out; a condition on paper
    submissions is kept as met, the citizen coming in person."""
    text = " ".join(str(name).split()).split(";")[0]
    conditional = bool(_CONDITION.match(text.lower()))  # "Trường hợp ... thì ...": says so itself
    for match in reversed(list(_BRACKET.finditer(text))):
        inner = match.group(1).strip()
        in_person = "nộp trực tiếp" in inner
        if in_person or _CONDITION.match(inner.lower()):
            conditional = conditional or not in_person
            text = text[: match.start()] + text[match.end() :]
    return _short(text.strip(" ,.")), conditional


def papers(base: ContentBase, procedure: str) -> str:
    """The papers to bring, short: the documents everyone brings first, then those only some do."""
    if procedure in base.procedures:
        names = [str(doc["name"]) for doc in base.procedures[procedure].documents]
    else:
        record = base.catalogue.get(procedure)
        names = [doc.name for doc in record.documents] if record is not None else []
    if not names:
        return "• Xem thành phần hồ sơ trên trang chính thức"
    lines = sorted((paper(name) for name in names), key=lambda line: line[1])  # stable: file order kept
    shown = [_with_condition(text, conditional) for text, conditional in lines[:PAPERS_SHOWN]]
    text = formatting.bullet_list(list(dict.fromkeys(shown)))
    hidden = lines[PAPERS_SHOWN:]
    if hidden:
        some = " tùy trường hợp" if all(conditional for _, conditional in hidden) else ""
        text += f"\n… và {len(hidden)} giấy tờ khác{some} (xem trang chính thức)"
    return text


def _with_condition(text: str, conditional: bool) -> str:
    return f"{text} (tùy trường hợp)" if conditional and not _CONDITION.match(text.lower()) else text


def confirmation(text: str) -> str | None:
    """What a reply to the confirmation means: "yes", "no", "change_slot", "change_day", or None
    (not an answer: a question, or something else)."""
    raw = normalize_text(text).strip(" .!…")
    key = accent_key(raw).strip(" ?")
    if _CHANGE_DAY.search(key):
        return "change_day"
    if _CHANGE_SLOT.search(key):
        return "change_slot"
    words = raw.rstrip(" ?").split()
    if raw.endswith("?") or (len(words) > 2 and words[-1] in _QUESTION_WORDS):
        return None
    if raw.startswith("dừng") or _NO.match(key):
        return "no"
    if raw.startswith("đúng") or (_YES.match(key) and len(key.split()) <= 5):
        return "yes"
    return None


def answers_confirmation(text: str) -> bool:
    """A reply the confirmation understands ("đổi giờ", "đồng ý"): never another question."""
    return confirmation(text) is not None


def vn_day(day: dt.date) -> str:
    return f"{vn_weekday(day)} {day.strftime('%d/%m/%Y')}"


def _context(tracker: Tracker) -> tuple[ContentBase, Locality]:
    base = process.content()
    return base, process.locality(base, tracker.get_slot("locality"))


def _text(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("text") or "").strip()


def _named_procedure(base: ContentBase, text: str) -> str | None:
    """The procedure a message names: a curated one the retrieval is sure of, else the one the
    whole-catalogue search would answer about."""
    candidates = process.index(base).search(text)
    if is_confident(candidates):
        return candidates[0].slug
    hit = process.search(base).decide(text).answer if text.strip() else None
    return hit.key if hit is not None and known(base, hit.key) else None


def _names_a_topic(text: str) -> bool:
    """A procedure's name rather than a person's: "khai sinh", "chứng thực" score as high as a
    question does; names the classifier mistakes for a topic ("Lê Văn Cường") score low."""
    candidates = process.index(process.content()).search(text)
    return bool(candidates) and candidates[0].score >= ANSWER_SCORE


def _no_office(dispatcher: CollectingDispatcher, base: ContentBase, loc: Locality, procedure: str) -> None:
    dispatcher.utter_message(
        response="utter_booking_no_office",
        procedure=procedure_name(base, procedure),
        hotline=process.hotline_text(loc),
        buttons=[page_button(procedure_url(base, procedure))],
    )


def _say_office(dispatcher: CollectingDispatcher, base: ContentBase, procedure: str, office: Office) -> None:
    """Where the procedure is handled, said as soon as it is known."""
    dispatcher.utter_message(
        response="utter_booking_office", procedure=procedure_name(base, procedure), office=office.name
    )


def centre_payload(office: Office) -> str:
    """An office button's payload: the intent set, so that no office's name is read as a question
    (a centre's name reads like a hotline question to the classifier)."""
    return f'/book_appointment{{"booking_centre":"{office.id}"}}'


def _office_name(base: ContentBase, loc: Locality, procedure: str, office_id: str) -> str:
    office = office_by_id(base, procedure, loc, office_id)
    return office.name if office is not None else office_id


def _lookup_button(office: Office) -> list[dict[str, str]]:
    return [{"title": LOOKUP_TITLE, "url": office.lookup_url}] if office.lookup_url else []


class ActionBookingStart(Action):
    """Cancel by code, or open the booking form with what the message already says."""

    def name(self) -> str:
        return "action_book_appointment"

    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        text = _text(tracker)
        code = validators.BOOKING_CODE.search(text)
        if code:
            wants_cancel = bool(re.search(r"\b(huy|bo|khong den)\b", accent_key(text)))
            return self._status_or_cancel(dispatcher, tracker, code.group(), cancel=wants_cancel)
        base, loc = _context(tracker)
        events: list[dict] = [SlotSet(slot, None) for slot in BOOKING_SLOTS]
        candidates = process.index(base).search(text)
        procedure = candidates[0].slug if is_confident(candidates) else tracker.get_slot("procedure")
        offices: list[Office] = []
        if known(base, procedure):
            offices = offices_for(base, procedure, loc)
            if not offices:
                _no_office(dispatcher, base, loc, procedure)
                return [SlotSet("procedure", procedure)]
            events += [SlotSet("booking_procedure", procedure), SlotSet("procedure", procedure)]
            if len(offices) == 1:
                events.append(SlotSet("booking_centre", offices[0].id))
        day = parse_date(text, process.today())
        if day and open_day(loc, day, process.today()) is None:
            events.append(SlotSet("booking_date", day.isoformat()))
        dispatcher.utter_message(response="utter_booking_intro")
        if len(offices) == 1:
            _say_office(dispatcher, base, procedure, offices[0])
        return [*events, FollowupAction("booking_form")]

    @staticmethod
    def _status_or_cancel(dispatcher: CollectingDispatcher, tracker: Tracker, code: str, cancel: bool) -> list[dict]:
        booking = store().cancel_booking(code) if cancel else store().booking(code)
        if booking is None:
            dispatcher.utter_message(response="utter_booking_unknown", code=code.upper())
            return []
        day, slot = booking.day.strftime("%d/%m/%Y"), booking.slot
        if booking.status == "cancelled":
            dispatcher.utter_message(response="utter_booking_cancelled", code=booking.code, day=day, slot=slot)
            return []
        base, loc = _context(tracker)
        centre = _office_name(base, loc, booking.procedure, booking.centre)
        dispatcher.utter_message(response="utter_booking_status", code=booking.code, day=day, slot=slot, centre=centre)
        return []


class ValidateBookingForm(FormValidationAction):
    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        at_confirm = tracker.get_slot("requested_slot") == "booking_confirm" and intent not in CONFIRM_QUESTIONS
        if at_confirm and confirmation(_text(tracker)) == "no":
            dispatcher.utter_message(response="utter_booking_not_made")
            return [ActiveLoop(None), SlotSet("requested_slot", None), *(SlotSet(s, None) for s in BOOKING_SLOTS)]
        # "hủy", "thôi", a "không" that answers nothing end it; another question pauses it (answered,
        # then the form asks again, as the rules do for the questions the slots' mappings leave out)
        left = await leave_if_asked(dispatcher, tracker, domain, BOOKING_SLOTS, None, ANSWERS_NO, answers_confirmation)
        if left is not None:
            return left
        mark = len(dispatcher.messages)
        events = await super().run(dispatcher, tracker, domain)
        return give_up_after_two_failures(dispatcher, tracker, events, BOOKING_SLOTS, mark)

    def name(self) -> str:
        return "validate_booking_form"

    async def validate_booking_procedure(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict:
        base, loc = _context(tracker)
        procedure = value if known(base, value) else _named_procedure(base, str(value or ""))
        if procedure is None:
            dispatcher.utter_message(response="utter_booking_procedure_unclear")
            return {"booking_procedure": None}
        offices = offices_for(base, procedure, loc)
        if not offices:
            _no_office(dispatcher, base, loc, procedure)
            return {"booking_procedure": None}
        chosen: dict[str, Any] = {"booking_procedure": procedure, "procedure": procedure}
        if len(offices) == 1 and tracker.get_slot("booking_centre") != offices[0].id:
            chosen["booking_centre"] = offices[0].id
            _say_office(dispatcher, base, procedure, offices[0])
        return chosen

    async def validate_booking_centre(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict:
        base, loc = _context(tracker)
        key = accent_key(str(value or ""))
        offices = offices_for(base, tracker.get_slot("booking_procedure") or "", loc)
        for number, office in enumerate(offices, start=1):
            button = f'"{office.id}"' in str(value)  # the button's payload, see centre_payload
            if button or key in {office.id, str(number)} or (len(key) > 3 and key in accent_key(office.name)):
                return {"booking_centre": office.id}
        return {"booking_centre": None}

    async def validate_booking_date(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict:
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

    async def validate_booking_slot(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict:
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

    async def validate_booking_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict:
        name = validators.person_name(str(value or ""))
        if name and _names_a_topic(name):  # "khai sinh": a procedure, not a person
            name = None
        if not name:
            dispatcher.utter_message(response="utter_booking_name_invalid")
        return {"booking_name": name}

    async def validate_booking_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict:
        number = validators.phone(str(value or ""))
        if not number:
            dispatcher.utter_message(response="utter_phone_invalid")
        return {"booking_phone": number}

    async def validate_booking_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict:
        answer = confirmation(str(value or ""))
        if answer == "yes":
            return {"booking_confirm": "yes"}
        if answer == "change_slot":
            return {"booking_confirm": None, "booking_slot": None}
        if answer == "change_day":
            return {"booking_confirm": None, "booking_slot": None, "booking_date": None}
        dispatcher.utter_message(response="utter_booking_confirm_unclear")
        return {"booking_confirm": None}


class ActionAskBookingCentre(Action):
    def name(self) -> str:
        return "action_ask_booking_centre"

    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        base, loc = _context(tracker)
        offices = offices_for(base, tracker.get_slot("booking_procedure") or "", loc)
        buttons = [{"title": office.name, "payload": centre_payload(office)} for office in offices]
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
        dispatcher.utter_message(response="utter_ask_booking_slot", day=vn_day(day), buttons=buttons)
        return []


class ActionAskBookingConfirm(Action):
    """Everything the citizen is about to book, before it is booked: the office (its address
    where the locality file has one sourced, else its name and where to look it up), the date and
    time, and the papers to bring."""

    def name(self) -> str:
        return "action_ask_booking_confirm"

    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        base, loc = _context(tracker)
        procedure = tracker.get_slot("booking_procedure")
        office = office_by_id(base, procedure, loc, tracker.get_slot("booking_centre"))
        if office is None:  # the content changed since the office was chosen: choose again
            return [SlotSet("booking_centre", None), FollowupAction("booking_form")]
        day = dt.date.fromisoformat(tracker.get_slot("booking_date"))
        dispatcher.utter_message(
            response="utter_ask_booking_confirm" if office.address else "utter_ask_booking_confirm_lookup",
            procedure=procedure_name(base, procedure),
            office=office.name,
            address=office.address or "",
            url=office.lookup_url or "",
            day=vn_day(day),
            slot=tracker.get_slot("booking_slot"),
            name=tracker.get_slot("booking_name"),
            papers=papers(base, procedure),
            buttons=_lookup_button(office),
        )
        return []


class ActionSubmitBooking(Action):
    def name(self) -> str:
        return "action_submit_booking"

    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        if any(not tracker.get_slot(slot) for slot in BOOKING_SLOTS):
            return []  # the form was stopped before it was complete, or not confirmed
        base, loc = _context(tracker)
        day = dt.date.fromisoformat(tracker.get_slot("booking_date"))
        procedure = tracker.get_slot("booking_procedure")
        try:
            booking = store().book(
                sender=tracker.sender_id,
                channel=channel_of(tracker.sender_id),
                procedure=procedure,
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
            return [SlotSet("booking_slot", None), SlotSet("booking_confirm", None), FollowupAction("booking_form")]
        office = office_by_id(base, procedure, loc, booking.centre)
        dispatcher.utter_message(
            response="utter_booking_confirmed",
            code=booking.code,
            procedure=procedure_name(base, procedure),
            centre=office.name if office is not None else booking.centre,
            day=vn_day(day),
            slot=booking.slot,
            buttons=_lookup_button(office) if office is not None else [],
        )
        return [SlotSet(slot, None) for slot in BOOKING_SLOTS]
