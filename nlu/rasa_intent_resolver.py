"""Rasa 3 graph component: what a message plainly says outweighs the classifier's guess.

- A pasted code decides the intent: LHxxxxxx is about an appointment, PAxxxxxx a feedback
  ticket, 000.00.31.H56-250602-0147 a dossier.
- A message that clearly names a procedure is about that procedure. The classifier learns
  question types, not the catalogue's 2,600 procedures' vocabulary, so "đk tàu cá mới đóng" can
  look like small talk to it; when the whole-catalogue search (the action server's, over the
  live content) answers confidently, an out_of_scope guess becomes the best procedure intent of
  the ranking.
Runs after the classifier, before the FallbackClassifier.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message

from tthc.codes import intent_for_code
from tthc.understanding import PROCEDURE_INTENTS

if TYPE_CHECKING:
    from tthc.content import LiveContent


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class IntentResolver(GraphComponent):
    def __init__(self, content_dir: str, index_dir: str = "") -> None:
        self._content_dir = content_dir
        self._index_dir = index_dir
        self._live: LiveContent | None = None

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
        return cls(str(settings.content_dir), str(settings.var_dir / "build" / "search"))

    def _confident(self, text: str) -> bool:
        from tthc.content import LiveContent  # lazily: content loads on the first message
        from tthc.search.live import search_of

        if self._live is None:
            self._live = LiveContent(self._content_dir)
        search = search_of(self._live.get(), self._index_dir) if self._index_dir else search_of(self._live.get())
        return search.decide(text).answer is not None

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = message.get("intent") or {}
            text = message.get("text") or ""
            if not text or text.startswith("/"):
                continue
            by_code = intent_for_code(text)
            if by_code:
                message.set("intent", {"name": by_code, "confidence": 1.0}, add_to_output=True)
                continue
            if intent.get("name") != "out_of_scope":
                continue
            try:
                confident = self._confident(text)
            except Exception:  # content unavailable: keep the classifier's answer
                continue
            if not confident:
                continue
            ranking = message.get("intent_ranking") or []
            best = next((r for r in ranking if r.get("name") in PROCEDURE_INTENTS), None)
            name = best["name"] if best else "ask_procedure"
            message.set("intent", {"name": name, "confidence": intent.get("confidence", 1.0)}, add_to_output=True)
        return messages
