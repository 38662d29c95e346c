"""`python -m actions`: the rasa_sdk action server, with citizens' data kept out of its logs and
out of its error answers.

- rasa_sdk installs its own log handlers (coloredlogs), so records are masked as they are made
  (``tthc.privacy.mask_log_records``): phone, ID numbers, e-mails, tokens.
- rasa_sdk answers an action that raised with HTTP 500 and the whole request, i.e. the
  conversation tracker with every message of the citizen, which Rasa then copies into its own
  ERROR log ("body='...'"). Our handler answers with a short error instead and logs the
  traceback (masked).

Same options as ``python -m rasa_sdk``; ``--actions`` defaults to this package.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pluggy
from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from tthc.privacy import mask_log_records

logger = logging.getLogger(__name__)
hookimpl = pluggy.HookimplMarker("rasa_sdk")


class ServerHooks:
    """A rasa_sdk plugin, registered by ``main``."""

    @hookimpl
    def attach_sanic_app_extensions(self, app: Sanic) -> None:
        # Replaces rasa_sdk's handler for Exception (the one that echoes the request body).
        app.error_handler.add(Exception, on_error)


async def on_error(request: Request, exception: Exception) -> HTTPResponse:
    if isinstance(exception, SanicException):  # 404, 405, a body that is not JSON...
        return response.json({"error": str(exception)}, status=exception.status_code or 500)
    action = _action_name(request)
    logger.error("action %s failed", action, exc_info=exception)
    return response.json({"error": "action failed", "action_name": action}, status=500)


def _action_name(request: Request) -> str | None:
    try:
        body: Any = json.loads(request.body or b"null")
    except ValueError:
        return None
    name = body.get("next_action") if isinstance(body, dict) else None
    return name if isinstance(name, str) else None


def main(argv: list[str] | None = None) -> None:
    mask_log_records()
    from rasa_sdk.__main__ import main_from_args
    from rasa_sdk.endpoint import create_argument_parser
    from rasa_sdk.plugin import plugin_manager

    plugin_manager().register(ServerHooks())
    args = create_argument_parser().parse_args(argv)
    if args.actions is None:
        args.actions = "actions"
    main_from_args(args)
