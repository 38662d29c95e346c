"""`python -m connectors`: run the gateway with uvicorn (GATEWAY_HOST, GATEWAY_PORT).

Logs: JSON lines on stderr (TROLYAO_LOG_FORMAT=text for developers). SIGTERM/SIGINT stop it
gracefully within GATEWAY_SHUTDOWN_TIMEOUT_S (connectors.shutdown); exit code 0.
"""

from __future__ import annotations

import logging
import sys

from connectors.app import create_app
from connectors.locality import LocalityError
from connectors.logs import configure_from_env
from connectors.settings import Settings, SettingsError
from connectors.shutdown import serve


def main() -> int:
    configure_from_env()
    try:
        settings = Settings.from_env()
        app = create_app(settings)
    except (SettingsError, LocalityError) as exc:
        logging.getLogger("connectors").error("cannot start the gateway: %s", exc)
        return 2
    serve(app, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
