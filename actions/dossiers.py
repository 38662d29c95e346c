"""Dossier status by code, from a pluggable source: the imported table (default) or an HTTP API."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Protocol

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import process, validators
from actions.process import store
from actions.services import procedure_events
from actions.turn import reports_turn


class SourceUnavailable(Exception):
    """The dossier system did not answer."""


class DossierSource(Protocol):
    def lookup(self, code: str) -> dict[str, Any] | None: ...


class TableSource:
    """Rows imported from the one-stop system's CSV export (`trolyao dossiers import`)."""

    def lookup(self, code: str) -> dict[str, Any] | None:
        return store().dossier(code)


class HttpSource:
    """A configurable endpoint: GET {url with {code}} -> JSON with status, procedure, due, ..."""

    def __init__(self, url_template: str, timeout: float = 5.0) -> None:
        self.url_template = url_template
        self.timeout = timeout

    def lookup(self, code: str) -> dict[str, Any] | None:
        url = self.url_template.replace("{code}", urllib.parse.quote(code, safe=""))
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                data = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise SourceUnavailable(str(exc)) from exc
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            raise SourceUnavailable(str(exc)) from exc
        return data if isinstance(data, dict) and data.get("status") else None


def configured_source() -> DossierSource:
    settings = process.settings()
    if settings.dossier_source == "http":
        return HttpSource(settings.dossier_url)
    return TableSource()


class ActionDossierStatus(Action):
    def name(self) -> str:
        return "action_dossier_status"

    @reports_turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        base = process.content()
        loc = process.locality(base, tracker.get_slot("locality"))
        text = (tracker.latest_message or {}).get("text") or ""
        ticket = validators.TICKET_CODE.search(text)
        if ticket:
            from actions.feedback import ticket_status

            ticket_status(dispatcher, ticket.group())
            return []
        code = validators.DOSSIER_CODE.search(text)
        if not code:
            dispatcher.utter_message(response="utter_dossier_ask_code")
            return procedure_events(base, tracker)
        try:
            found = configured_source().lookup(code.group())
        except SourceUnavailable:
            dispatcher.utter_message(response="utter_dossier_unavailable", hotline=process.hotline_text(loc))
            return []
        if found is None:
            dispatcher.utter_message(
                response="utter_dossier_unknown", code=code.group(), hotline=process.hotline_text(loc)
            )
            return []
        details = "\n".join(
            f"• {label}: {found[key]}"
            for key, label in (
                ("procedure", "Thủ tục"),
                ("received", "Ngày tiếp nhận"),
                ("due", "Ngày hẹn trả"),
                ("office", "Nơi giải quyết"),
                ("note", "Ghi chú"),
            )  # fmt: skip
            if found.get(key)
        )
        dispatcher.utter_message(
            response="utter_dossier_found",
            code=found.get("code", code.group()),
            status=found["status"],
            details=details,
        )
        return []
