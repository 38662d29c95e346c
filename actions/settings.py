"""The action server's settings, read once from the environment (on the shared base, tthc.settings)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tthc.settings import CommonSettings, Env, SettingsError

DEFAULT_HANDOFF_HOURS = "mon-fri 07:30-11:30,13:30-17:00"
DOSSIER_SOURCES = ("table", "http")


@dataclass(frozen=True)
class ActionSettings(CommonSettings):
    content_poll_s: float = 1.0  # how often content files are checked for an officer's edit
    handoff_hours: str = DEFAULT_HANDOFF_HOURS  # when an officer can take a conversation
    dossier_source: str = "table"  # "table": the imported export; "http": the one-stop system
    dossier_url: str = ""
    today: dt.date | None = None  # pinned date (tests of dated fees)
    now: dt.datetime | None = None  # pinned wall-clock time (tests of office hours)

    @classmethod
    def read(cls, env: Env) -> dict[str, Any]:
        values = {
            **super().read(env),
            "content_poll_s": env.number("TROLYAO_CONTENT_POLL_S", cls.content_poll_s),
            "handoff_hours": env.text("TROLYAO_HANDOFF_HOURS", DEFAULT_HANDOFF_HOURS),
            "dossier_source": env.text("TROLYAO_DOSSIER_SOURCE", "table"),
            "dossier_url": env.url("TROLYAO_DOSSIER_URL"),
            "today": env.date("TROLYAO_TODAY"),
            "now": env.datetime("TROLYAO_NOW"),
        }
        if values["dossier_source"] not in DOSSIER_SOURCES:
            raise SettingsError(f"TROLYAO_DOSSIER_SOURCE: expected table or http, got {values['dossier_source']!r}")
        if values["dossier_source"] == "http" and not values["dossier_url"]:
            raise SettingsError("TROLYAO_DOSSIER_SOURCE=http needs TROLYAO_DOSSIER_URL")
        return values
