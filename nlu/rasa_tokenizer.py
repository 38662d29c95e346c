"""Rasa 3 graph component: the underthesea word tokenizer, a thin adapter over tthc.text.tokenize.

Referenced from config.yml as `nlu.rasa_tokenizer.VietnameseTokenizer`. Each token's text is the
substring the citizen typed (offsets exact); its lemma is the accent-insensitive word key, which
the CountVectorsFeaturizer uses (use_lemma), so "làm căn cước" and "lam cccd" share features.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from tthc.text.tokenize import tokenize


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class VietnameseTokenizer(Tokenizer):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> VietnameseTokenizer:
        return cls(config)

    @staticmethod
    def required_packages() -> list[str]:
        return ["underthesea"]

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text: str | None = message.get(attribute)
        if not text:
            return []
        tokens = [Token(t.text, t.start, end=t.end, lemma=t.key) for t in tokenize(text)]
        # Emoji-only or punctuation-only text still needs one token for the featurizers.
        return tokens or [Token(text, 0, end=len(text), lemma=text)]
