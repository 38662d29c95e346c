"""The `trolyao` command's settings: where the processes it starts listen and keep their state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tthc.settings import CommonSettings, Env

DEFAULT_RASA_PROCESSES = 2


@dataclass(frozen=True)
class StackSettings(CommonSettings):
    rasa_port: int = 5005
    # Rasa processes sharing the tracker store: one Rasa process is single-threaded Python,
    # and the gateway spreads senders over all of them.
    rasa_processes: int = DEFAULT_RASA_PROCESSES
    actions_port: int = 5055
    gateway_port: int = 8000
    action_endpoint_url: str = ""  # empty: the action server started here
    tracker_dialect: str = "sqlite"
    tracker_store_url: str = ""  # empty: SQLite in var/
    gateway_shutdown_timeout_s: float = 8.0

    @classmethod
    def read(cls, env: Env) -> dict[str, Any]:
        return {
            **super().read(env),
            "rasa_port": env.port("RASA_PORT", cls.rasa_port),
            "rasa_processes": env.integer("TROLYAO_RASA_PROCESSES", DEFAULT_RASA_PROCESSES, 1, 16),
            "actions_port": env.port("ACTIONS_PORT", cls.actions_port),
            "gateway_port": env.port("GATEWAY_PORT", cls.gateway_port),
            "action_endpoint_url": env.url("ACTION_ENDPOINT_URL"),
            "tracker_dialect": env.text("TRACKER_DIALECT", cls.tracker_dialect),
            "tracker_store_url": env.text("TRACKER_STORE_URL"),
            "gateway_shutdown_timeout_s": env.number("GATEWAY_SHUTDOWN_TIMEOUT_S", cls.gateway_shutdown_timeout_s),
        }
