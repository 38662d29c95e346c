"""nlu.action_response: Rasa's check of the action server's answers, with the schema checked once,
accepts and refuses exactly what Rasa's own does, with Rasa's message."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from nlu import action_response
from nlu.rest_channel import RestInput

ANSWERS: list[dict[str, Any]] = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "procedure", "value": "khai-sinh"}], "responses": [{"text": "Dạ"}]},
    {"responses": [{"text": "Dạ", "buttons": [{"title": "Xem chi tiết", "payload": "/ask_documents"}]}]},
]
REFUSED: list[dict[str, Any]] = [
    {"events": "not a list"},
    {"events": [{"name": "procedure"}]},  # an event without its type
    {"responses": {"text": "Dạ"}},
]


@pytest.fixture
def stock() -> Any:
    return action_response.RASA_CHECK


def _action() -> RemoteAction:
    return RemoteAction("action_answer", EndpointConfig("http://127.0.0.1:9/webhook"))


@pytest.mark.parametrize("answer", ANSWERS)
def test_valid_answers_pass_both_checks(stock: Any, answer: dict[str, Any]) -> None:
    assert stock(_action(), answer) is True
    assert action_response._validate_action_result(_action(), answer) is True


@pytest.mark.parametrize("answer", REFUSED)
def test_invalid_answers_fail_both_checks_with_the_same_message(stock: Any, answer: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as rasa_error:
        stock(_action(), answer)
    with pytest.raises(ValidationError) as our_error:
        action_response._validate_action_result(_action(), answer)
    assert our_error.value.message == rasa_error.value.message
    assert "Failed to validate Action server response" in our_error.value.message


def test_the_rest_channel_installs_the_check(monkeypatch: pytest.MonkeyPatch, stock: Any) -> None:
    monkeypatch.setattr(RemoteAction, "_validate_action_result", stock)
    assert isinstance(RestInput.from_credentials(None), RestInput)
    assert RemoteAction._validate_action_result is action_response._validate_action_result
