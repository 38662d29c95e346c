"""Rasa 3 graph component: what a message plainly says outweighs the classifier's guess.

- A pasted code decides the intent: LHxxxxxx is about an appointment, PAxxxxxx a feedback
  ticket, 000.00.31.H56-250602-0147 a dossier.
- A message that clearly names a procedure is about that procedure. The classifier learns
  question types, not the catalogue's 2,600 procedures' vocabulary, so "đk tàu cá mới đóng" can
  look like small talk to it; when the whole-catalogue search (the action server's, over the
  live content) answers confidently, an out_of_scope guess becomes the best procedure intent of
  the ranking.
- A bare topic ("chứng thực", "giấy phép", "đăng ký": one to four words the catalogue holds, no
  question, no small talk) is a general question about procedures (ask_procedure), so that the
  citizen is asked which one they mean instead of getting a goodbye or a booking.
- A question about a procedure that the classifier took, unsure, for a complaint, an
  appointment or a dossier lookup ("bằng lái của tôi tháng sau hết hạn, đổi ở đâu"; "nhà ở từ năm
  1990 mà chưa có sổ đỏ, làm sổ nộp ở đâu") without any word of one, is the best procedure question
  of the ranking. A complaint's word that is also how the records apply for a procedure ("đề nghị
  thanh toán chi phí") does not make it a complaint.
- A procedure's name with a few words ("dang ky nhan nuoi con nuoi", "cap so bhxh", "hồ sơ đk lại
  kết hôn", "mat cavet xe may lam lai"), which the classifier, unsure, takes for small talk, a
  service (a bot question, the hotline, a dossier lookup) or an aspect it cannot tell, is a
  question about procedures when it holds no word of small talk or of a service and the search
  offers procedures for it or names another ministry's procedure (its honest "not held"): the
  aspect its words ask, else a general question, decided so that the FallbackClassifier does not
  turn it into "not understood". Said at more length and taken for small talk or a service, it is
  one when the search answers it confidently.
Runs after the classifier, before the FallbackClassifier.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message

from tthc.citizen_words import (
    BOOKING_CUES,
    COMPLAINT_CUES,
    DOCUMENT_WORDS,
    DOSSIER_CUES,
    aspects_asked,
    is_keyword_only,
    key,
    looks_like_question,
    mentions,
    says_small_talk_or_a_service,
)
from tthc.codes import intent_for_code
from tthc.understanding import PROCEDURE_INTENTS

if TYPE_CHECKING:
    from tthc.content import LiveContent
    from tthc.search import CatalogueSearch
    from tthc.search.decision import Verdict

# Intents a bare topic is often mistaken for; a sure guess of them stands.
TOPIC_MISTAKES = frozenset(
    {"greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "out_of_scope", "book_appointment",
     "give_feedback", "check_dossier_status"}
)  # fmt: skip
# Intents that never answer a procedure's facts: small talk and the services of no procedure of their own
NOT_PROCEDURE_GUESSES = TOPIC_MISTAKES | {"ask_hotline", "ask_working_hours", "ask_survey", "human_handoff"}
GUESSES_A_NAME_OVERRULES = NOT_PROCEDURE_GUESSES | PROCEDURE_INTENTS
SHORT_MAX_WORDS = 8  # "dang ky bien dong dat dai", "hồ sơ đk lại kết hôn": a name and a few words
UNSURE = 0.8  # below this confidence a guess can be overruled by what the message says
REQUEST_WORDS = ("de nghi", "de xuat")  # a request in the records' own words, not a complaint
# The words of each guess a procedure question is not: a complaint's, but for those a procedure is
# applied for by ("đề nghị thanh toán chi phí", "hồ sơ đề nghị công nhận")
CUES = {
    "give_feedback": tuple(cue for cue in COMPLAINT_CUES if cue not in REQUEST_WORDS),
    "book_appointment": BOOKING_CUES,
    "check_dossier_status": DOSSIER_CUES,
}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class IntentResolver(GraphComponent):
    def __init__(self, content_dir: str, index_dir: str = "") -> None:
        self._content_dir = content_dir
        self._index_dir = index_dir
        self._live: LiveContent | None = None
        self._last: tuple[str, CatalogueSearch, Verdict] | None = None  # one message's verdict, asked twice

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> IntentResolver:
        from tthc.settings import CommonSettings  # the Rasa process reads only what it shares

        settings = CommonSettings.from_env()
        resolver = cls(str(settings.content_dir), str(settings.var_dir / "build" / "search"))
        resolver.warm_up()
        return resolver

    def warm_up(self) -> None:
        """Load the content and the search index now, while the model loads, so that the first
        message a freshly started Rasa process gets does not wait seconds for them."""
        try:
            self._verdict("xin chào")
        except Exception:  # content unavailable now: loaded on a later message, as before
            self._live = None

    def _verdict(self, text: str) -> Verdict:
        from tthc.content import LiveContent  # lazily: content loads on the first message
        from tthc.search.live import search_of

        if self._live is None:
            self._live = LiveContent(self._content_dir)
        search = search_of(self._live.get(), self._index_dir) if self._index_dir else search_of(self._live.get())
        if self._last is None or self._last[0] != text or self._last[1] is not search:
            self._last = (text, search, search.decide(text))
        return self._last[2]

    def _confident(self, text: str) -> bool:
        # a long question answered only because no rival comes near ("clear") does not overrule
        # the classifier's out_of_scope: it may be small talk that happens to hold a record's words
        verdict = self._verdict(text)
        return verdict.answer is not None and verdict.reason == "confident"

    def _names_a_procedure(self, text: str) -> bool:
        """The search answers or offers procedures, or declines it as another ministry's procedure
        ("giấy phép bán rượu": its honest "not held", not small talk)."""
        verdict = self._verdict(text)
        return verdict.action != "decline" or verdict.reason == "outside"

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get("text") or ""
            if not text or text.startswith("/"):
                continue
            try:
                self._resolve(message, text)
            except Exception:  # content unavailable: keep the classifier's answer
                continue
        return messages

    def _resolve(self, message: Message, text: str) -> None:
        intent = message.get("intent") or {}
        name, confidence = intent.get("name"), float(intent.get("confidence") or 0.0)
        by_code = intent_for_code(text)
        if by_code:
            message.set("intent", {"name": by_code, "confidence": 1.0}, add_to_output=True)
        elif name in TOPIC_MISTAKES and confidence < UNSURE and is_keyword_only(text):
            if self._names_a_procedure(text):
                _force(message, "ask_procedure")
        elif name in CUES and confidence < UNSURE and looks_like_question(text) and not mentions(text, CUES[name]):
            if self._names_a_procedure(text):
                _force(message, _best_procedure_intent(message))
        elif name == "out_of_scope" and self._confident(text):
            best = _best_procedure_intent(message)
            message.set("intent", {"name": best, "confidence": intent.get("confidence", 1.0)}, add_to_output=True)
        elif name in GUESSES_A_NAME_OVERRULES and confidence < UNSURE and self._only_a_procedure(text, name):
            _force(message, _intent_of_a_name(message, text))

    def _only_a_procedure(self, text: str, guess: str) -> bool:
        """Nothing but a procedure and what is asked of it: no word of ``guess`` or of any small talk
        or service, and, said in a few words, a name the search offers procedures for (asked back if
        not answered) or another ministry's procedure (its honest "not held"); said at more length
        and taken for small talk or a service, one the search is confident of."""
        if says_small_talk_or_a_service(text) or mentions(text, CUES.get(guess, ())):
            return False
        if len(key(text).split()) <= SHORT_MAX_WORDS:
            return self._names_a_procedure(text)
        return guess not in PROCEDURE_INTENTS and self._confident(text)


def _intent_of_a_name(message: Message, text: str) -> str:
    """The aspect a procedure's name with a few words asks ("lệ phí đổi gplx", "hồ sơ lập cty"),
    else a general question about it."""
    asked = aspects_asked(text) or (("ask_documents",) if mentions(text, DOCUMENT_WORDS) else ())
    if asked:
        return asked[0]
    return _best_procedure_intent(message) if looks_like_question(text) else "ask_procedure"


def _best_procedure_intent(message: Message) -> str:
    ranking = message.get("intent_ranking") or []
    best = next((r for r in ranking if r.get("name") in PROCEDURE_INTENTS), None)
    return best["name"] if best else "ask_procedure"


def _force(message: Message, name: str) -> None:
    """Decide the intent by rule: first in the ranking too, so the FallbackClassifier keeps it."""
    ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") != name]
    message.set("intent", {"name": name, "confidence": 1.0}, add_to_output=True)
    message.set("intent_ranking", [{"name": name, "confidence": 1.0}, *ranking], add_to_output=True)
