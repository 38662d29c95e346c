"""The gateway's settings, read once from the environment (on the shared base, tthc.settings)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from connectors.ratelimit import Rate, parse_rate
from tthc import paths
from tthc.channels import TELEGRAM, ZALO_BOT, ZALO_OA
from tthc.settings import (
    CommonSettings,
    Env,
    SettingsError,
    first_problem,
    http_url,
    placeholder_problem,
)

__all__ = ["SettingsError", "Settings", "TELEGRAM", "ZALO_BOT", "ZALO_OA"]

# Telegram (and the Zalo Bot platform) only accept these characters in a webhook secret token.
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

_CHAT_ID = re.compile(r"^(?:-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$")
MIN_ADMIN_TOKEN = 16


@dataclass(frozen=True)
class Settings(CommonSettings):
    """Everything the gateway reads from its environment.

    Channel secrets are hidden from ``repr`` so that settings can be logged.
    An empty secret means "channel not configured"; a placeholder secret makes that one
    channel refuse to start (see ``channel_problem``) while the others run.
    """

    rasa_url: str = "http://127.0.0.1:5005"
    actions_url: str = "http://127.0.0.1:5055"
    rasa_timeout_s: float = 10.0
    host: str = "127.0.0.1"
    port: int = 8000
    # Channel runtime state (dedupe, outbox, tokens, button ids, images): one SQLite file.
    state_db: Path = paths.VAR / "gateway" / "state.sqlite3"
    # The channel state in a database shared by several gateway replicas (instead of state_db).
    state_db_url: str = field(default="", repr=False)
    notice_after_s: float = 5.0  # Rasa slower than this: the citizen gets the hotline message
    retry_first_s: float = 1.0  # first wait before asking Rasa again, doubled each time
    retry_max_s: float = 60.0
    retry_for_s: float = 86_400.0  # a message Rasa could not answer for this long is dropped
    dedupe_ttl_s: float = 259_200.0  # how long a platform message id is remembered
    # /api/chat: a turn Rasa could not keep (its tracker or lock store blinked) is asked again
    # for this long before the hotline answer (channel messages are retried by the outbox).
    chat_retry_s: float = 8.0
    # The outbound queue (connectors.outbound): a message the platform did not take is tried
    # again after send_retry_first_s, doubled each time up to send_retry_max_s, for at most
    # send_retry_for_s; an answer sent later than late_answer_s after the question quotes it.
    send_retry_first_s: float = 1.0
    send_retry_max_s: float = 60.0
    send_retry_for_s: float = 86_400.0
    late_answer_s: float = 300.0
    # How long the web chat's history is kept per sender (shown again on reload); 0: not kept.
    web_history_hours: float = 24.0
    # On SIGTERM/SIGINT: how long requests in flight and answers being worked on may take.
    shutdown_timeout_s: float = 8.0
    # Telegram
    telegram_bot_token: str = field(default="", repr=False)
    telegram_webhook_secret: str = field(default="", repr=False)
    telegram_public_url: str = ""
    telegram_api_base: str = "https://api.telegram.org"
    # Zalo Official Account
    zalo_oa_secret_key: str = field(default="", repr=False)
    zalo_app_id: str = field(default="", repr=False)
    zalo_app_secret: str = field(default="", repr=False)
    zalo_oa_access_token: str = field(default="", repr=False)
    zalo_oa_refresh_token: str = field(default="", repr=False)
    zalo_oa_api_base: str = "https://openapi.zalo.me"
    zalo_oauth_base: str = "https://oauth.zaloapp.com"
    # A signed event older than this, or dated further ahead, is a replay: ignored.
    zalo_oa_event_max_age_s: float = 300.0
    zalo_oa_event_max_ahead_s: float = 60.0
    # Zalo Bot platform
    zalo_bot_token: str = field(default="", repr=False)
    zalo_bot_secret_token: str = field(default="", repr=False)
    zalo_bot_public_url: str = ""
    zalo_bot_api_base: str = "https://bot-api.zaloplatforms.com"
    # Officers: the admin API's Bearer token, their Telegram group, the handoff timeout.
    admin_token: str = field(default="", repr=False)
    officers_telegram_chat_id: str = ""
    handoff_timeout_min: float = 30.0  # an officer's chat idle this long: the bot resumes
    session_hours: float = 8.0  # an officers' console login lasts this long
    # Rate limits (None: off). Webhooks per address are off: the platforms' servers call them.
    rate_chat_sender: Rate | None = Rate(20, 60.0)
    rate_chat_ip: Rate | None = Rate(600, 60.0)
    rate_webhook_user: Rate | None = Rate(20, 60.0)
    rate_webhook_ip: Rate | None = None
    rate_exempt_loopback: bool = True  # local benchmarks, tests, a same-host proxy
    # Peers whose X-Forwarded-For is believed (uvicorn's forwarded_allow_ips); "" trusts none.
    trusted_proxies: str = "127.0.0.1"
    # The command that writes the officers' report (the Rasa venv's CLI has matplotlib/openpyxl).
    report_command: tuple[str, ...] = (str(paths.REPO / ".venv" / "bin" / "trolyao"),)

    @classmethod
    def read(cls, env: Env) -> dict[str, Any]:
        """Read and check the settings; raise SettingsError on a bad general value.

        Channel secrets are not checked here: a bad one disables only its channel.
        """
        return {
            **super().read(env),
            **cls._read_service(env),
            **cls._read_channels(env),
            **cls._read_officers(env),
            **cls._read_limits(env),
        }

    @classmethod
    def _read_service(cls, env: Env) -> dict[str, Any]:
        return {
            "rasa_url": _urls(env.text("RASA_URL", cls.rasa_url), "RASA_URL"),
            "actions_url": http_url(env.text("ACTIONS_URL", cls.actions_url), "ACTIONS_URL"),
            "rasa_timeout_s": env.number("RASA_TIMEOUT_S", 10),
            "host": env.text("GATEWAY_HOST", cls.host),
            "port": env.port("GATEWAY_PORT", cls.port),
            "state_db": env.path("GATEWAY_STATE_DB", cls.state_db),
            "state_db_url": env.text("TROLYAO_STATE_DB_URL"),
            "notice_after_s": env.number("CHANNEL_NOTICE_AFTER_S", cls.notice_after_s),
            "retry_first_s": env.number("CHANNEL_RETRY_FIRST_S", cls.retry_first_s),
            "retry_max_s": env.number("CHANNEL_RETRY_MAX_S", cls.retry_max_s),
            "retry_for_s": env.number("CHANNEL_RETRY_FOR_S", cls.retry_for_s),
            "dedupe_ttl_s": env.number("CHANNEL_DEDUPE_TTL_S", cls.dedupe_ttl_s),
            "chat_retry_s": env.number("TROLYAO_CHAT_RETRY_S", cls.chat_retry_s),
            "send_retry_first_s": env.number("CHANNEL_SEND_RETRY_FIRST_S", cls.send_retry_first_s),
            "send_retry_max_s": env.number("CHANNEL_SEND_RETRY_MAX_S", cls.send_retry_max_s),
            "send_retry_for_s": env.number("CHANNEL_SEND_RETRY_FOR_S", cls.send_retry_for_s),
            "late_answer_s": env.number("CHANNEL_LATE_ANSWER_S", cls.late_answer_s),
            "web_history_hours": _hours_or_off(env, "TROLYAO_WEB_HISTORY_HOURS", cls.web_history_hours),
            "shutdown_timeout_s": env.number("GATEWAY_SHUTDOWN_TIMEOUT_S", cls.shutdown_timeout_s),
            "report_command": tuple(env.text("TROLYAO_REPORT_COMMAND").split()) or cls.report_command,
        }

    @classmethod
    def _read_channels(cls, env: Env) -> dict[str, Any]:
        return {
            "telegram_bot_token": env.text("TELEGRAM_BOT_TOKEN"),
            "telegram_webhook_secret": env.text("TELEGRAM_WEBHOOK_SECRET"),
            "telegram_public_url": env.url("TELEGRAM_PUBLIC_URL"),
            "telegram_api_base": env.url("TELEGRAM_API_BASE", cls.telegram_api_base),
            "zalo_oa_secret_key": env.text("ZALO_OA_SECRET_KEY"),
            "zalo_app_id": env.text("ZALO_APP_ID"),
            "zalo_app_secret": env.text("ZALO_APP_SECRET"),
            "zalo_oa_access_token": env.text("ZALO_OA_ACCESS_TOKEN"),
            "zalo_oa_refresh_token": env.text("ZALO_OA_REFRESH_TOKEN"),
            "zalo_oa_api_base": env.url("ZALO_OA_API_BASE", cls.zalo_oa_api_base),
            "zalo_oauth_base": env.url("ZALO_OAUTH_BASE", cls.zalo_oauth_base),
            "zalo_oa_event_max_age_s": env.number("ZALO_OA_EVENT_MAX_AGE_S", cls.zalo_oa_event_max_age_s),
            "zalo_oa_event_max_ahead_s": env.number("ZALO_OA_EVENT_MAX_AHEAD_S", cls.zalo_oa_event_max_ahead_s),
            "zalo_bot_token": env.text("ZALO_BOT_TOKEN"),
            "zalo_bot_secret_token": env.text("ZALO_BOT_SECRET_TOKEN"),
            "zalo_bot_public_url": env.url("ZALO_BOT_PUBLIC_URL"),
            "zalo_bot_api_base": env.url("ZALO_BOT_API_BASE", cls.zalo_bot_api_base),
        }

    @classmethod
    def _read_officers(cls, env: Env) -> dict[str, Any]:
        return {
            "admin_token": env.text("TROLYAO_ADMIN_TOKEN"),
            "officers_telegram_chat_id": _chat_id(env.text("OFFICERS_TELEGRAM_CHAT_ID")),
            "handoff_timeout_min": env.number("TROLYAO_HANDOFF_TIMEOUT_MIN", cls.handoff_timeout_min, "minutes"),
            "session_hours": env.number("TROLYAO_SESSION_HOURS", cls.session_hours, "hours"),
        }

    @classmethod
    def _read_limits(cls, env: Env) -> dict[str, Any]:
        return {
            "rate_chat_sender": _rate(env, "TROLYAO_RATE_CHAT_SENDER", cls.rate_chat_sender),
            "rate_chat_ip": _rate(env, "TROLYAO_RATE_CHAT_IP", cls.rate_chat_ip),
            "rate_webhook_user": _rate(env, "TROLYAO_RATE_WEBHOOK_USER", cls.rate_webhook_user),
            "rate_webhook_ip": _rate(env, "TROLYAO_RATE_WEBHOOK_IP", cls.rate_webhook_ip),
            "rate_exempt_loopback": env.flag("TROLYAO_RATE_EXEMPT_LOOPBACK", True),
            "trusted_proxies": _trusted_proxies(env, cls.trusted_proxies),
        }

    # --- which channels run --------------------------------------------------------------

    @property
    def telegram_configured(self) -> bool:
        """A bot token, and a webhook secret unless the bot polls (no public URL)."""
        if not self.telegram_bot_token:
            return False
        return bool(self.telegram_webhook_secret) or not self.telegram_public_url

    @property
    def telegram_polling(self) -> bool:
        return not self.telegram_public_url

    @property
    def zalo_oa_configured(self) -> bool:
        return bool(self.zalo_oa_secret_key and self.zalo_app_id)

    @property
    def zalo_bot_configured(self) -> bool:
        if not self.zalo_bot_token:
            return False
        return bool(self.zalo_bot_secret_token) or not self.zalo_bot_public_url

    @property
    def zalo_bot_polling(self) -> bool:
        return not self.zalo_bot_public_url

    def configured(self, channel: str) -> bool:
        return {
            TELEGRAM: self.telegram_configured,
            ZALO_OA: self.zalo_oa_configured,
            ZALO_BOT: self.zalo_bot_configured,
        }[channel]

    def channel_problem(self, channel: str) -> str | None:
        """One sentence saying why a configured channel must not start, or None."""
        if channel == TELEGRAM:
            return first_problem(
                placeholder_problem(self.telegram_bot_token, "TELEGRAM_BOT_TOKEN"),
                placeholder_problem(self.telegram_webhook_secret, "TELEGRAM_WEBHOOK_SECRET"),
                _token_syntax(self.telegram_webhook_secret, "TELEGRAM_WEBHOOK_SECRET"),
            )
        if channel == ZALO_OA:
            problem = first_problem(
                placeholder_problem(self.zalo_oa_secret_key, "ZALO_OA_SECRET_KEY"),
                placeholder_problem(self.zalo_app_secret, "ZALO_APP_SECRET"),
                placeholder_problem(self.zalo_oa_access_token, "ZALO_OA_ACCESS_TOKEN"),
                placeholder_problem(self.zalo_oa_refresh_token, "ZALO_OA_REFRESH_TOKEN"),
            )
            if problem:
                return problem
            if self.zalo_oa_refresh_token and not self.zalo_app_secret:
                return (
                    "ZALO_OA_REFRESH_TOKEN is set but ZALO_APP_SECRET is empty, "
                    "so the access token could never be refreshed."
                )
            return None
        if channel == ZALO_BOT:
            return first_problem(
                placeholder_problem(self.zalo_bot_token, "ZALO_BOT_TOKEN"),
                placeholder_problem(self.zalo_bot_secret_token, "ZALO_BOT_SECRET_TOKEN"),
                _token_syntax(self.zalo_bot_secret_token, "ZALO_BOT_SECRET_TOKEN"),
            )
        raise KeyError(channel)

    def admin_problem(self) -> str | None:
        """One sentence saying why the admin API must stay off with this token, or None."""
        if not self.admin_token:
            return None
        return first_problem(
            placeholder_problem(self.admin_token, "TROLYAO_ADMIN_TOKEN"),
            None
            if len(self.admin_token) >= MIN_ADMIN_TOKEN
            else f"TROLYAO_ADMIN_TOKEN is too short: use at least {MIN_ADMIN_TOKEN} random characters.",
        )

    @property
    def admin_enabled(self) -> bool:
        return bool(self.admin_token) and self.admin_problem() is None

    @property
    def handoff_timeout(self) -> timedelta:
        return timedelta(minutes=self.handoff_timeout_min)

    @property
    def session_lifetime(self) -> timedelta:
        return timedelta(hours=self.session_hours)


def _token_syntax(value: str, name: str) -> str | None:
    if value and not _SECRET_TOKEN.match(value):
        return f"{name} must be 1-256 characters among A-Z, a-z, 0-9, _ and -."
    return None


def _urls(value: str, name: str) -> str:
    """One URL or several, comma-separated (several Rasa processes sharing a tracker store)."""
    urls = [http_url(item.strip(), name) for item in value.split(",") if item.strip()]
    if not urls:
        raise SettingsError(f"{name}: expected an http(s) URL, got {value!r}")
    return ",".join(urls)


def _chat_id(value: str) -> str:
    """A Telegram chat id (groups are negative: -100...) or a public @channelusername."""
    if value and not _CHAT_ID.match(value):
        raise SettingsError(
            f"OFFICERS_TELEGRAM_CHAT_ID: expected a Telegram chat id like -1001234567890, got {value!r}"
        )
    return value


def _hours_or_off(env: Env, name: str, default: float) -> float:
    """A positive number of hours, or 0 (or "off") for none."""
    value = env.text(name).lower()
    if value in ("0", "off"):
        return 0.0
    return env.number(name, default, "hours")


def _rate(env: Env, name: str, default: Rate | None) -> Rate | None:
    """COUNT/SECONDS or off; unset (or only spaces) keeps the default."""
    value = env.text(name)
    if not value:
        return default
    try:
        return parse_rate(value)
    except ValueError as exc:
        raise SettingsError(f"{name}: {exc}") from None


def _trusted_proxies(env: Env, default: str) -> str:
    """Set but empty trusts no proxy, so an empty value is not "unset" here."""
    value = env.raw("TROLYAO_TRUSTED_PROXIES")
    return (default if value is None else value).strip()
