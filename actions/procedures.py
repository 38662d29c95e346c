"""Answers about procedures: by aspect, with context, clarification and "không phải"."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import formatting, keywords, process, record_facts
from actions.facts import PORTAL_SEARCH, Facts, curated_facts, record_facts_of
from actions.turn import reports_turn
from tthc.citizen_words import other_aspect
from tthc.content import ContentBase
from tthc.understanding import Understanding, service_procedure, understand, without_service_words

ASPECT_BUTTONS = [
    ("Hồ sơ", "ask_documents"),
    ("Lệ phí", "ask_fee"),
    ("Thời hạn", "ask_processing_time"),
    ("Nơi nộp", "ask_where"),
    ("Nộp trực tuyến", "ask_online"),
]
ASPECT_INTENTS = {"ask_documents", "ask_fee", "ask_processing_time", "ask_where", "ask_online"}
# intent: (response, the Facts aspect it says, the title of the button that shows the whole of it)
ASPECTS = {
    "ask_documents": ("utter_procedure_documents", "documents", formatting.MORE_DOCUMENTS),
    "ask_fee": ("utter_procedure_fee", "fee", "Các trường hợp khác"),
    "ask_processing_time": ("utter_procedure_time", "processing_time", "Xem chi tiết"),
    "ask_where": ("utter_procedure_where", "where", "Xem chi tiết"),
    "ask_online": ("utter_procedure_online", "online", "Xem chi tiết"),
}
DETAIL = "full"  # the `detail` entity of a "show all of it" button
BUTTONS = 5  # per answer: Zalo shows five, and a sixth would become a numbered line
FAQ_MATCH = 0.86  # an FAQ question this close to the message is answered by its own answer
OFFICIAL_PAGE = "Xem trên Cổng Dịch vụ công"
PORTAL_SEARCH_TITLE = "Tra cứu trên Cổng Dịch vụ công"
# Under an answer the rules were not sure of (the answer gate chose it): "không phải" in one tap,
# which offers the next likely procedures (ActionDeny).
NOT_THIS = {"title": "Không phải thủ tục này", "payload": "/deny"}


def payload(intent: str, slug: str, detail: bool = False) -> str:
    if detail:
        return f'/{intent}{{"procedure":"{slug}","detail":"{DETAIL}"}}'
    return f'/{intent}{{"procedure":"{slug}"}}'


def intent_of(tracker: Tracker) -> str | None:
    """The classifier's intent; for a low-confidence message, its best guess."""
    message = tracker.latest_message or {}
    name = (message.get("intent") or {}).get("name")
    if name == "nlu_fallback":
        ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
        return ranking[0]["name"] if ranking else None
    return name


def outcome(value: str) -> dict[str, Any]:
    """How the question went, for the gateway's conversation log: answered, clarified, asked,
    declined (not in the catalogue), fallback."""
    return SlotSet("outcome", value)


def aspect_buttons(slug: str, skip: str | None = None) -> list[dict[str, str]]:
    return [{"title": title, "payload": payload(intent, slug)} for title, intent in ASPECT_BUTTONS if intent != skip]


def page_button(url: str) -> dict[str, str]:
    return {"title": OFFICIAL_PAGE, "url": url}


def facts_of(base: ContentBase, procedure: str, locality: str | None = None) -> Facts | None:
    """The facts of a procedure id: a curated file wins over the record with the same code."""
    if procedure in base.procedures:
        loc = process.locality(base, locality)
        return curated_facts(base.procedures[procedure], loc, process.today())
    record = base.catalogue.get(procedure)
    if record is None:
        return None
    group, siblings = process.level_group(base, procedure), process.farther_siblings(base, procedure)
    return record_facts_of(record, group, process.today(), siblings, process.channel_twins(base, procedure))


def known(base: ContentBase, procedure: str | None) -> bool:
    return bool(procedure) and (procedure in base.procedures or procedure in base.catalogue)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:] if text[:1].islower() else text


def _closing_buttons(facts: Facts, guessed: bool) -> list[dict[str, str]]:
    """The buttons every answer ends with: the official page, after "không phải" for a guess."""
    return [NOT_THIS, page_button(facts.url)] if guessed else [page_button(facts.url)]


def _aspect(
    dispatcher: CollectingDispatcher,
    facts: Facts,
    intent: str | None,
    name_it: bool,
    detail: bool = False,
    guessed: bool = False,
    also: str | None = None,
) -> None:
    """The one short message with the fact asked for; the whole of it (when there is more), the
    other aspects and the official page are buttons. ``detail``: the whole of it, on tap. ``also``:
    a second aspect the message plainly asks about too ("cần giấy tờ gì, nộp ở đâu"), in a second
    short message (tthc.citizen_words.other_aspect)."""
    closing = _closing_buttons(facts, guessed)
    if intent not in ASPECTS:
        buttons = [*aspect_buttons(facts.id)[: BUTTONS - len(closing)], *closing]
        levels = f"\n{facts.levels}" if facts.levels else ""
        dispatcher.utter_message(
            response="utter_procedure_overview", name=facts.name, summary=facts.summary, levels=levels, buttons=buttons
        )
        return
    asked = [intent] if also not in ASPECTS or also == intent else [intent, also]
    answered = {payload(one, facts.id) for one in asked}
    for at, one in enumerate(asked):
        response, field, more_title = ASPECTS[one]
        aspect = getattr(facts, field)
        more = [] if detail or not aspect.full else [{"title": more_title, "payload": payload(one, facts.id, True)}]
        buttons = more
        if at == len(asked) - 1:  # the other aspects and the page under the last message only
            others = [b for b in aspect_buttons(facts.id) if b["payload"] not in answered]
            buttons = [*more, *others[: BUTTONS - len(closing) - len(more)], *closing]
        text = aspect.full if detail and aspect.full else aspect.short
        of = f" {facts.name}" if name_it and at == 0 else ""
        dispatcher.utter_message(response=response, of=of, buttons=buttons, **{field: _capital(text)})


def _faq_buttons(facts: Facts, intent: str | None, guessed: bool = False) -> list[dict[str, str]]:
    """An FAQ answering the exact question: the asked aspect's general answer is a button too."""
    asked = [b for b in aspect_buttons(facts.id) if intent in ASPECTS and b["payload"] == payload(intent, facts.id)]
    others = [b for b in aspect_buttons(facts.id) if b not in asked]
    closing = _closing_buttons(facts, guessed)
    return [*asked, *others][: BUTTONS - len(closing)] + closing


def answer(
    dispatcher: CollectingDispatcher,
    base: ContentBase,
    facts: Facts,
    intent: str | None,
    text: str,
    shown: list[str],
    named: bool = True,
    detail: bool = False,
    guessed: bool = False,
) -> list[dict[str, Any]]:
    """Answer one aspect of a procedure in one short message. The first answer about a procedure
    in a conversation also says where the facts come from (codes, date, an unverified warning)
    and asks for a rating; later ones do not repeat them. The procedure's name heads the first
    answer about it and any answer to a message that named it (``named``), so that a wrong guess
    shows; a follow-up ("thế lệ phí bao nhiêu") or a tapped button goes without it. A ``guessed``
    answer (the answer gate's) offers "không phải" as a button. Returns the events to keep."""
    faq = None
    if facts.curated and text and not text.startswith("/"):
        faq = process.index(base).best_faq(facts.id, text)
    matched = faq is not None and faq[2] >= FAQ_MATCH
    # The FAQ answers the exact question; a fee question still gets the date-aware fee.
    fee_too = intent == "ask_fee"
    if matched:
        dispatcher.utter_message(
            response="utter_procedure_faq",
            question=faq[0],
            answer=faq[1].strip(),
            buttons=[] if fee_too else _faq_buttons(facts, intent, guessed),
        )
    if not matched or fee_too:
        name_it = facts.id not in shown or (named and not text.startswith("/"))
        also = None if detail else other_aspect(intent, text)
        _aspect(dispatcher, facts, intent, name_it, detail, guessed, also)
    if facts.id in shown:
        return []
    codes = ", ".join(facts.codes) or "chưa có"
    if facts.verified:
        dispatcher.utter_message(response="utter_procedure_source", codes=codes, dated=facts.dated)
    else:
        hotline = process.hotline_text(process.locality(base))
        dispatcher.utter_message(
            response="utter_procedure_source_unverified", codes=codes, dated=facts.dated, hotline=hotline
        )
    dispatcher.utter_message(response="utter_rate_answer")
    return [SlotSet("sources_shown", [*shown, facts.id][-20:])]


def clarify(dispatcher: CollectingDispatcher, base: ContentBase, intent: str | None, ids: list[str]) -> None:
    target = intent if intent and intent.startswith("ask_") else "ask_procedure"
    buttons = []
    for procedure in ids:
        name = _name(base, procedure)
        if name:
            buttons.append({"title": name[:120], "payload": payload(target, procedure)})
    dispatcher.utter_message(response="utter_clarify_procedure", buttons=buttons)


def _name(base: ContentBase, procedure: str) -> str | None:
    if procedure in base.procedures:
        return base.procedures[procedure].name
    record = base.catalogue.get(procedure)
    return record_facts.display_name(record.name) if record else None


def decline(dispatcher: CollectingDispatcher, base: ContentBase, ministry: str | None) -> None:
    """Not in the catalogue: say so plainly, with the portal's search page and the hotline."""
    loc = process.locality(base)
    named = f" (thủ tục lĩnh vực này do {ministry} hướng dẫn)" if ministry else ""
    buttons = [{"title": PORTAL_SEARCH_TITLE, "url": PORTAL_SEARCH}, *formatting.call_buttons(loc)]
    dispatcher.utter_message(
        response="utter_not_in_catalogue", ministry=named, hotline=process.hotline_text(loc), buttons=buttons
    )


def understood(base: ContentBase, tracker: Tracker, intent: str | None, text: str) -> tuple[Understanding, list[str]]:
    """The procedure this message is about, and the ranking (for "không phải")."""
    named = next(tracker.get_latest_entity_values("procedure"), None)
    if known(base, named):
        return Understanding(procedure=named), [named]
    verdict = process.search(base).decide(text)
    context = tracker.get_slot("procedure")
    curated = process.index(base).search(text)
    result = understand(intent, verdict, context if known(base, context) else None, curated)
    return result, [hit.key for hit in verdict.ranked[:10]]


def named_facts(base: ContentBase, tracker: Tracker, intent: str | None) -> Facts | None:
    """The procedure a service request (hours, the hotline, a dossier) itself names with confidence:
    no conversation context and no asking back, as `trolyao eval nlu` counts it."""
    text = (tracker.latest_message or {}).get("text") or ""
    if text.startswith("/"):
        return None
    text = without_service_words(text)
    if not text.strip():
        return None
    named = service_procedure(intent, process.search(base).decide(text), process.index(base).search(text))
    return facts_of(base, named, tracker.get_slot("locality")) if named else None


def say_where(dispatcher: CollectingDispatcher, facts: Facts) -> list[dict[str, Any]]:
    """Where a named procedure is handled, in one line before a service's answer; it becomes the
    conversation's procedure ("thế cần giấy tờ gì" follows it)."""
    buttons = [*aspect_buttons(facts.id, skip="ask_where")[:2], page_button(facts.url)]
    dispatcher.utter_message(
        response="utter_procedure_where", of=f" {facts.name}", where=_capital(facts.where.short), buttons=buttons
    )
    return [SlotSet("procedure", facts.id)]


def respond(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    intent: str | None,
    found: tuple[Understanding, list[str]] | None = None,
) -> list[dict[str, Any]]:
    """Answer, ask back, or decline: the events to keep. ``found`` is what ``understood`` said of
    this message, when the caller already asked."""
    base = process.content()
    text = (tracker.latest_message or {}).get("text") or ""
    result, ranked = found or understood(base, tracker, intent, text)
    facts = facts_of(base, result.procedure, tracker.get_slot("locality")) if result.procedure else None
    if facts is not None:
        shown = list(tracker.get_slot("sources_shown") or [])
        detail = next(tracker.get_latest_entity_values("detail"), None) == DETAIL
        kept = answer(dispatcher, base, facts, intent, text, shown, not result.from_context, detail, result.guessed)
        return [*kept, SlotSet("procedure", facts.id), SlotSet("candidates", ranked), outcome("answered")]
    offered = keywords.offer(dispatcher, base, text)  # a bare topic: which procedure about it?
    if offered is not None:
        return [*offered, SlotSet("candidates", None), outcome("clarified")]
    if result.clarify:
        clarify(dispatcher, base, intent, list(result.clarify))
        return [SlotSet("candidates", list(result.clarify)), outcome("clarified")]
    if result.declined:
        decline(dispatcher, base, result.ministry)
        return [SlotSet("procedure", None), SlotSet("candidates", None), outcome("declined")]
    dispatcher.utter_message(response="utter_ask_which_procedure")
    return [outcome("asked")]


class ActionAnswerProcedure(Action):
    def name(self) -> str:
        return "action_answer_procedure"

    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        return respond(dispatcher, tracker, intent_of(tracker))


class ActionDeny(Action):
    """'Không phải': offer the next candidates of the last question, or say how to go on."""

    def name(self) -> str:
        return "action_deny"

    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        base = process.content()
        current = tracker.get_slot("procedure")
        remaining = [s for s in tracker.get_slot("candidates") or [] if s != current]
        if remaining:
            clarify(dispatcher, base, "ask_procedure", remaining[:3])
            return [SlotSet("candidates", remaining), SlotSet("procedure", None)]
        dispatcher.utter_message(
            response="utter_no_more_candidates", hotline=process.hotline_text(process.locality(base))
        )
        return [SlotSet("candidates", None)]


class ActionFallback(Action):
    """A message the classifier is unsure of: answer if the procedure is clear, ask back if the likely
    ones plainly hold it, else help."""

    def name(self) -> str:
        return "action_fallback"

    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        base = process.content()
        text = (tracker.latest_message or {}).get("text") or ""
        # read as the classifier's doubt: a confident match answers, plainly named ones are offered
        found = understood(base, tracker, "out_of_scope", text)
        if found[0].procedure and not found[0].from_context:
            return respond(dispatcher, tracker, "ask_procedure", found)
        context = tracker.get_slot("procedure")
        facts = facts_of(base, context, tracker.get_slot("locality")) if known(base, context) else None
        if facts is not None:
            faq = process.index(base).best_faq(context, text) if facts.curated else None
            if faq and faq[2] >= FAQ_MATCH:
                shown = list(tracker.get_slot("sources_shown") or [])
                return [*answer(dispatcher, base, facts, "ask_procedure", text, shown), outcome("answered")]
            buttons = [*aspect_buttons(facts.id)[:4], page_button(facts.url)]
            dispatcher.utter_message(
                response="utter_procedure_overview", name=facts.name, summary=facts.summary, levels="", buttons=buttons
            )
            return [outcome("fallback")]
        if found[0].clarify:
            return respond(dispatcher, tracker, "ask_procedure", found)
        dispatcher.utter_message(response="utter_fallback", hotline=process.hotline_text(process.locality(base)))
        return [outcome("fallback")]


class ActionOutOfScope(Action):
    """Out of scope for the classifier; a question that plainly names a catalogue procedure is
    still answered (or asked back, with the likely ones), and one about another ministry's
    procedure gets the honest decline."""

    def name(self) -> str:
        return "action_out_of_scope"

    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        base = process.content()
        text = (tracker.latest_message or {}).get("text") or ""
        found = understood(base, tracker, "out_of_scope", text)
        if found[0].procedure or found[0].declined or found[0].clarify:
            return respond(dispatcher, tracker, "out_of_scope", found)
        dispatcher.utter_message(response="utter_out_of_scope")
        return []
