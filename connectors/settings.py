"""The gateway's settings, read once from the environment."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

# Values copied from an example file instead of a real secret.
_PLACEHOLDER = re.compile(
    r"^(?:<.*>|x+|changeme|change[-_]?me|placeholder|todo|secret|your[-_].*|\.\.\.)$",
    re.IGNORECASE,
)
# Telegram only accepts these characters in a webhook secret token.
_TELEGRAM_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class SettingsError(ValueError):
    """An environment variable has a value the gateway cannot run with."""


@dataclass(frozen=True)
class Settings:
    """Everything the gateway reads from its environment.

    Channel secrets are hidden from ``repr`` so that settings can be logged.
    An empty secret means "channel not configured".
    """

    rasa_url: str = "http://127.0.0.1:5005"
    actions_url: str = "http://127.0.0.1:5055"
    content_dir: Path = REPO_ROOT / "content"
    locality: str = "da-nang"
    rasa_timeout_s: float = 10.0
    host: str = "127.0.0.1"
    port: int = 8000
    telegram_bot_token: str = field(default="", repr=False)
    telegram_webhook_secret: str = field(default="", repr=False)
    zalo_oa_secret_key: str = field(default="", repr=False)
    zalo_app_id: str = field(default="", repr=False)
    zalo_bot_secret_token: str = field(default="", repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and check the settings; raise SettingsError on a bad value."""
        env = os.environ if environ is None else environ

        def get(name: str, default: str = "") -> str:
            return env.get(name, "").strip() or default

        settings = cls(
            rasa_url=_url(get("RASA_URL", cls.rasa_url), "RASA_URL"),
            actions_url=_url(get("ACTIONS_URL", cls.actions_url), "ACTIONS_URL"),
            content_dir=Path(get("TROLYAO_CONTENT_DIR", str(cls.content_dir))),
            locality=get("TROLYAO_LOCALITY", cls.locality),
            rasa_timeout_s=_positive_float(get("RASA_TIMEOUT_S", "10"), "RASA_TIMEOUT_S"),
            host=get("GATEWAY_HOST", cls.host),
            port=_port(get("GATEWAY_PORT", "8000")),
            telegram_bot_token=_secret(get("TELEGRAM_BOT_TOKEN"), "TELEGRAM_BOT_TOKEN"),
            telegram_webhook_secret=_secret(
                get("TELEGRAM_WEBHOOK_SECRET"), "TELEGRAM_WEBHOOK_SECRET"
            ),
            zalo_oa_secret_key=_secret(get("ZALO_OA_SECRET_KEY"), "ZALO_OA_SECRET_KEY"),
            zalo_app_id=get("ZALO_APP_ID"),
            zalo_bot_secret_token=_secret(get("ZALO_BOT_SECRET_TOKEN"), "ZALO_BOT_SECRET_TOKEN"),
        )
        secret = settings.telegram_webhook_secret
        if secret and not _TELEGRAM_SECRET.match(secret):
            raise SettingsError(
                "TELEGRAM_WEBHOOK_SECRET: 1-256 characters among A-Z, a-z, 0-9, _ and -"
            )
        return settings

    @property
    def telegram_configured(self) -> bool:
        return bool(self.telegram_bot_token and self.telegram_webhook_secret)

    @property
    def zalo_oa_configured(self) -> bool:
        return bool(self.zalo_oa_secret_key and self.zalo_app_id)

    @property
    def zalo_bot_configured(self) -> bool:
        return bool(self.zalo_bot_secret_token)

    @property
    def locality_file(self) -> Path:
        return self.content_dir / "localities" / f"{self.locality}.yml"


def _url(value: str, name: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise SettingsError(f"{name}: expected an http(s) URL, got {value!r}")
    return value.rstrip("/")


def _positive_float(value: str, name: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise SettingsError(f"{name}: expected a number of seconds, got {value!r}") from None
    if not 0 < number < float("inf"):
        raise SettingsError(f"{name}: expected a positive number of seconds, got {value!r}")
    return number


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise SettingsError(f"GATEWAY_PORT: expected a port number, got {value!r}") from None
    if not 0 < port < 65536:
        raise SettingsError(f"GATEWAY_PORT: expected 1-65535, got {port}")
    return port


def _secret(value: str, name: str) -> str:
    if value and _PLACEHOLDER.match(value):
        raise SettingsError(
            f"{name}: looks like a placeholder; set the real secret or leave it empty"
        )
    return value
