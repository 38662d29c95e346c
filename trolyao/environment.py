"""The environment every Rasa-side process gets: quiet, offline, loopback only."""

from __future__ import annotations

import os

from tthc import paths

QUIET = {
    "RASA_TELEMETRY_ENABLED": "false",  # no Segment/Sentry calls: the service runs offline
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONWARNINGS": "ignore",
    "SANIC_HOST": "127.0.0.1",  # the action server has no host flag
    "LOG_LEVEL_LIBRARIES": "ERROR",
    "HF_HUB_OFFLINE": "1",
}


def process_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({k: v for k, v in QUIET.items() if k not in os.environ or k == "SANIC_HOST"})
    pythonpath = [str(paths.REPO)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    env["PYTHONPATH"] = os.pathsep.join(pythonpath)
    env.setdefault("HOME", str(paths.VAR))
    if extra:
        env.update(extra)
    return env


def quiet_this_process() -> None:
    """For commands that load Rasa in process (eval): same quiet settings, set before importing it."""
    for key, value in QUIET.items():
        os.environ.setdefault(key, value)
