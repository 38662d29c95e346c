"""Rasa 3 graph component: what a message plainly says outweighs the classifier's guess.

- A pasted code decides the intent: LHxxxxxx is about an appointment, PAxxxxxx a feedback
  ticket, 000.00.31.H56-250602-0147 a dossier.
- A message that clearly names a procedure is about that procedure. The classifier learns
  question types, not the 33 procedures' vocabulary, so "thế còn tiền mai táng thì làm sao" can
  look like small talk to it; when the live content base finds a strong, unambiguous match, an
  out_of_scope guess becomes the best procedure intent of the ranking.
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
from tthc.understanding import PROCEDURE_INTENTS, is_strong

if TYPE_CHECKING:
    from tthc.content import LiveContent
    from tthc.retrieval import Candidate


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class IntentResolver(GraphComponent):
    def __init__(self, content_dir: str) -> None:
        self._content_dir = content_dir
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

        return cls(str(CommonSettings.from_env().content_dir))

    def _search(self, text: str) -> list[Candidate]:
        from tthc.content import LiveContent  # lazily: content loads on the first message

        if self._live is None:
            self._live = LiveContent(self._content_dir)
        from tthc.retrieval import index_for

        return index_for(self._live.get()).search(text)

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
                strong = is_strong(self._search(text))
            except Exception:  # content unavailable: keep the classifier's answer
                continue
            if not strong:
                continue
            ranking = message.get("intent_ranking") or []
            best = next((r for r in ranking if r.get("name") in PROCEDURE_INTENTS), None)
            name = best["name"] if best else "ask_procedure"
            message.set("intent", {"name": name, "confidence": intent.get("confidence", 1.0)}, add_to_output=True)
        return messages
