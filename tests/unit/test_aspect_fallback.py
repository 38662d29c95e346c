"""Two aspects of one procedure question (papers and place) are not an ambiguity: the first stands;
a low or ambiguous prediction of any other kind still falls back, as in Rasa."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from nlu.rasa_fallback import AspectAwareFallbackClassifier

CONFIG = {**AspectAwareFallbackClassifier.get_default_config(), "threshold": 0.25, "ambiguity_threshold": 0.1}


def classified(*ranking: tuple[str, float]) -> str:
    message = Message(data={"text": "..."})
    message.set("intent", {"name": ranking[0][0], "confidence": ranking[0][1]})
    message.set("intent_ranking", [{"name": name, "confidence": c} for name, c in ranking])
    AspectAwareFallbackClassifier(CONFIG).process([message])
    return message.get("intent")["name"]


def test_two_aspects_close_together_are_one_procedure_question() -> None:
    # "cần giấy xác nhận độc thân để vay mua nhà, xin ở đâu": Rasa's fallback called it ambiguous
    assert classified(("ask_documents", 0.40), ("ask_where", 0.35), ("ask_procedure", 0.16)) == "ask_documents"


def test_aspects_that_together_reach_the_threshold_stand() -> None:
    ranking = (("ask_where", 0.22), ("ask_procedure", 0.20), ("ask_documents", 0.18), ("out_of_scope", 0.08))
    assert classified(*ranking) == "ask_where"


@pytest.mark.parametrize(
    "ranking",
    [
        (("ask_where", 0.36), ("give_feedback", 0.33), ("ask_procedure", 0.17)),  # an aspect against a complaint
        (("give_feedback", 0.40), ("check_dossier_status", 0.35)),  # two kinds of service request
        (("out_of_scope", 0.20), ("ask_where", 0.15), ("ask_fee", 0.15)),  # small talk first, unsure
        (("ask_fee", 0.12), ("greet", 0.05), ("ask_where", 0.05)),  # aspects too unsure together
    ],
)
def test_other_low_or_ambiguous_predictions_fall_back(ranking: tuple[tuple[str, float], ...]) -> None:
    assert classified(*ranking) == "nlu_fallback"


def test_a_sure_prediction_stands() -> None:
    assert classified(("greet", 0.9), ("goodbye", 0.05)) == "greet"
