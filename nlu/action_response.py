"""Rasa checks every answer of the action server against its JSON schema with
``jsonschema.validate``, which first checks the schema itself: two thirds of the check's cost, on
every action call (about a twentieth of Rasa's CPU per turn under load). The same check with the
schema checked once: the same errors, with Rasa's message.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

RASA_CHECK = RemoteAction._validate_action_result  # Rasa's own, kept for comparison (tests)


@cache
def _validator() -> Any:
    from jsonschema.validators import validator_for

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    from jsonschema import ValidationError
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(result))
    if error is None:
        return True
    assert isinstance(error, ValidationError)
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the "
        f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    """Replace RemoteAction's check (idempotent)."""
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
