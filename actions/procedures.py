"""Answers about procedures: by aspect, with context, clarification and "không phải"."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import formatting, process
from actions.turn import reports_turn
from tthc.content import ContentBase, Procedure
from tthc.understanding import Decision, decide

ASPECT_BUTTONS = [
    ("Hồ sơ", "ask_documents"),
    ("Lệ phí", "ask_fee"),
    ("Thời hạn", "ask_processing_time"),
    ("Nơi nộp", "ask_where"),
    ("Nộp trực tuyến", "ask_online"),
]
ASPECT_INTENTS = {"ask_documents", "ask_fee", "ask_processing_time", "ask_where", "ask_online"}
FAQ_MATCH = 0.86  # an FAQ question this close to the message is answered by its own answer


def payload(intent: str, slug: str) -> str:
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
    """How the question went, for the gateway's conversation log: answered, clarified, asked, fallback."""
    return SlotSet("outcome", value)


def aspect_buttons(slug: str, skip: str | None = None) -> list[dict[str, str]]:
    return [{"title": title, "payload": payload(intent, slug)} for title, intent in ASPECT_BUTTONS if intent != skip]


def answer(
    dispatcher: CollectingDispatcher,
    base: ContentBase,
    proc: Procedure,
    intent: str | None,
    text: str,
    locality: str | None = None,
) -> None:
    """Send the answer for one aspect of a procedure, ending with the official page and review date."""
    faq = process.index(base).best_faq(proc.slug, text) if text and not text.startswith("/") else None
    if faq and faq[2] >= FAQ_MATCH:
        # A matching FAQ answers the citizen's exact question; the structured aspect answer still
        # follows, so dated facts (fees) always come from the date-aware code below.
        dispatcher.utter_message(response="utter_procedure_faq", question=faq[0], answer=faq[1].strip())
        if intent not in ASPECT_INTENTS:
            intent = None
    if intent == "ask_documents":
        dispatcher.utter_message(response="utter_procedure_documents", name=proc.name, documents=formatting.documents(proc))
    elif intent == "ask_fee":
        rates = formatting.fee_rates(proc, process.today())
        local = formatting.local_fee_lines(process.locality(base, locality), proc.slug, process.today())
        rates = f"{rates}\n{local}" if local else rates
        dispatcher.utter_message(response="utter_procedure_fee", name=proc.name, fee_summary=proc.fee_summary, rates=rates)
    elif intent == "ask_processing_time":
        dispatcher.utter_message(response="utter_procedure_time", name=proc.name, processing_time=proc.processing_time)
    elif intent == "ask_where":
        dispatcher.utter_message(response="utter_procedure_where", name=proc.name, authority=proc.authority, where=proc.where)
    elif intent == "ask_online":
        dispatcher.utter_message(response="utter_procedure_online", name=proc.name, online=formatting.online(proc))
    elif not (faq and faq[2] >= FAQ_MATCH):
        dispatcher.utter_message(response="utter_procedure_overview", name=proc.name, summary=proc.summary)
        dispatcher.utter_message(response="utter_procedure_steps", name=proc.name, steps=formatting.numbered_list(proc.steps))
    if not proc.verified:
        loc = process.locality(base)
        dispatcher.utter_message(response="utter_procedure_unverified", hotline=process.hotline_text(loc))
    dispatcher.utter_message(
        response="utter_procedure_footer",
        codes=proc.official_codes,
        url=proc.official_url,
        reviewed=formatting.vn_date(proc.last_reviewed),
        buttons=aspect_buttons(proc.slug, skip=intent),
    )
    dispatcher.utter_message(response="utter_rate_answer")


def clarify(dispatcher: CollectingDispatcher, base: ContentBase, intent: str | None, slugs: list[str]) -> None:
    target = intent if intent and intent.startswith("ask_") else "ask_procedure"
    buttons = [{"title": base.procedures[s].name, "payload": payload(target, s)} for s in slugs if s in base.procedures]
    dispatcher.utter_message(response="utter_clarify_procedure", buttons=buttons)


class ActionAnswerProcedure(Action):
    def name(self) -> str:
        return "action_answer_procedure"

    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        base = process.content()
        intent = intent_of(tracker)
        text = (tracker.latest_message or {}).get("text") or ""
        named = next(tracker.get_latest_entity_values("procedure"), None)
        if named in base.procedures:
            decision, ranked = Decision(procedure=named), [named]
        else:
            candidates = process.index(base).search(text)
            ranked = [c.slug for c in candidates]
            decision = decide(intent, candidates, context=tracker.get_slot("procedure"))
        if decision.procedure and decision.procedure in base.procedures:
            answer(dispatcher, base, base.procedures[decision.procedure], intent, text, tracker.get_slot("locality"))
            return [SlotSet("procedure", decision.procedure), SlotSet("candidates", ranked), outcome("answered")]
        if decision.clarify:
            clarify(dispatcher, base, intent, list(decision.clarify))
            return [SlotSet("candidates", list(decision.clarify)), outcome("clarified")]
        dispatcher.utter_message(response="utter_ask_which_procedure")
        return [outcome("asked")]


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
        dispatcher.utter_message(response="utter_no_more_candidates", hotline=process.hotline_text(process.locality(base)))
        return [SlotSet("candidates", None)]


class ActionFallback(Action):
    """A message the classifier is unsure of: answer if the procedure is clear, else help."""

    def name(self) -> str:
        return "action_fallback"

    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        base = process.content()
        text = (tracker.latest_message or {}).get("text") or ""
        candidates = process.index(base).search(text)
        decision = decide("ask_procedure", candidates)
        if decision.procedure:
            answer(dispatcher, base, base.procedures[decision.procedure], "ask_procedure", text)
            slugs = [c.slug for c in candidates]
            return [SlotSet("procedure", decision.procedure), SlotSet("candidates", slugs), outcome("answered")]
        context = tracker.get_slot("procedure")
        if context in base.procedures:
            proc = base.procedures[context]
            faq = process.index(base).best_faq(context, text)
            if faq and faq[2] >= FAQ_MATCH:
                answer(dispatcher, base, proc, "ask_procedure", text)
                return [outcome("answered")]
            dispatcher.utter_message(response="utter_procedure_overview", name=proc.name, summary=proc.summary, buttons=aspect_buttons(context))
            return [outcome("fallback")]
        dispatcher.utter_message(response="utter_fallback", hotline=process.hotline_text(process.locality(base)))
        return [outcome("fallback")]


class ActionOutOfScope(Action):
    def name(self) -> str:
        return "action_out_of_scope"

    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        dispatcher.utter_message(response="utter_out_of_scope")
        return []
