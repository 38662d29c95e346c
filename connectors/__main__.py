"""`python -m connectors`: run the gateway with uvicorn (GATEWAY_HOST, GATEWAY_PORT)."""

from __future__ import annotations

import logging
import sys

import uvicorn

from connectors.app import create_app
from connectors.locality import LocalityError
from connectors.privacy import configure_logging
from connectors.settings import Settings, SettingsError


def main() -> int:
    configure_logging()
    try:
        settings = Settings.from_env()
        app = create_app(settings)
    except (SettingsError, LocalityError) as exc:
        logging.getLogger("connectors").error("cannot start the gateway: %s", exc)
        return 2
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
