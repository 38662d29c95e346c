"""Rasa 3 graph component: Rasa's FallbackClassifier, where the aspects of one procedure question
are not rivals.

The classifier splits a question about a procedure over the aspect intents (papers, place, steps,
fee, time, online: tthc.understanding.PROCEDURE_INTENTS). "cần giấy xác nhận độc thân, xin ở đâu"
reads 0.40 papers and 0.35 place: Rasa's fallback calls that ambiguous (top two within 0.1) and
the citizen, whose question is plainly about a procedure, is told they were not understood. Here:
- two aspects at the top are not an ambiguity: the first one stands;
- a first aspect under the threshold stands when the aspects together reach it.
Any other low or ambiguous prediction falls back as in Rasa.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.training_data.message import Message

from tthc.understanding import PROCEDURE_INTENTS


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class AspectAwareFallbackClassifier(FallbackClassifier):
    def _should_fallback(self, message: Message) -> bool:
        ranking = message.data.get("intent_ranking") or []
        config = self.component_config
        if aspects_settle(ranking, float(config["threshold"]), float(config["ambiguity_threshold"])):
            return False
        return super()._should_fallback(message)


def aspects_settle(ranking: Sequence[dict[str, Any]], threshold: float, ambiguity: float) -> bool:
    """The first intent is an aspect of a procedure question and the aspects together are at least
    ``threshold`` sure of it; a runner-up of another kind is more than ``ambiguity`` behind."""
    if not ranking or ranking[0].get("name") not in PROCEDURE_INTENTS:
        return False
    if len(ranking) > 1 and ranking[1].get("name") not in PROCEDURE_INTENTS:
        second = float(ranking[1].get("confidence") or 0.0)
        if float(ranking[0].get("confidence") or 0.0) - second < ambiguity:
            return False  # an aspect against a different kind of message: Rasa's rule
    together = sum(float(r.get("confidence") or 0.0) for r in ranking if r.get("name") in PROCEDURE_INTENTS)
    return together >= threshold
