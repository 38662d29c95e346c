"""Settings: the base every process's settings object builds on.

Each process has one settings object, read once from the environment at start:
``tthc.settings.CommonSettings`` (what every process shares: content, locality, records store,
time zone), extended by ``actions.settings.ActionSettings``, ``connectors.settings.Settings``
and ``trolyao.settings.StackSettings``. Only these modules read environment variables; the
helpers here parse and check values and say what is wrong in one sentence.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

from tthc import paths

DEFAULT_LOCALITY = "da-nang"
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"  # servers often run on UTC; citizens and officers do not

# Values copied from an example file instead of a real secret.
_PLACEHOLDER = re.compile(
    r"^(?:<.*>|x+|changeme|change[-_]?me|placeholder|todo|secret|your[-_].*|\.\.\.)$",
    re.IGNORECASE,
)
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class SettingsError(ValueError):
    """An environment variable has a value the process cannot run with."""


class Env:
    """Typed reads of one environment mapping; remembers every name it was asked for."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self.names: set[str] = set()

    def raw(self, name: str) -> str | None:
        """The value as set, spaces included; None when unset."""
        self.names.add(name)
        return self._environ.get(name)

    def text(self, name: str, default: str = "") -> str:
        """The value without surrounding spaces; unset or blank gives the default."""
        return (self.raw(name) or "").strip() or default

    def number(self, name: str, default: float, unit: str = "seconds") -> float:
        return positive_float(self.text(name, str(default)), name, unit)

    def integer(self, name: str, default: int, low: int = 1, high: int = 2**31) -> int:
        value = self.text(name, str(default))
        try:
            number = int(value)
        except ValueError:
            raise SettingsError(f"{name}: expected a whole number, got {value!r}") from None
        if not low <= number <= high:
            raise SettingsError(f"{name}: expected {low}-{high}, got {number}")
        return number

    def port(self, name: str, default: int) -> int:
        value = self.text(name, str(default))
        try:
            port = int(value)
        except ValueError:
            raise SettingsError(f"{name}: expected a port number, got {value!r}") from None
        if not 0 < port < 65536:
            raise SettingsError(f"{name}: expected 1-65535, got {port}")
        return port

    def flag(self, name: str, default: bool) -> bool:
        value = self.text(name).lower()
        if not value:
            return default
        if value in _TRUE | _FALSE:
            return value in _TRUE
        raise SettingsError(f"{name}: expected 1 or 0 (true/false), got {value!r}")

    def path(self, name: str, default: Path) -> Path:
        value = self.text(name)
        return Path(value) if value else default

    def url(self, name: str, default: str = "") -> str:
        """An http(s) URL without a trailing slash; empty when unset and no default."""
        value = self.text(name, default)
        return http_url(value, name) if value else ""

    def date(self, name: str) -> dt.date | None:
        value = self.text(name)
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise SettingsError(f"{name}: expected a date YYYY-MM-DD, got {value!r}") from None

    def datetime(self, name: str) -> dt.datetime | None:
        value = self.text(name)
        if not value:
            return None
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            raise SettingsError(f"{name}: expected a time YYYY-MM-DDTHH:MM, got {value!r}") from None


def positive_float(value: str, name: str, unit: str = "seconds") -> float:
    try:
        number = float(value)
    except ValueError:
        raise SettingsError(f"{name}: expected a number of {unit}, got {value!r}") from None
    if not 0 < number < float("inf"):
        raise SettingsError(f"{name}: expected a positive number of {unit}, got {value!r}")
    return number


def http_url(value: str, name: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise SettingsError(f"{name}: expected an http(s) URL, got {value!r}")
    return value.rstrip("/")


def placeholder_problem(value: str, name: str) -> str | None:
    """One sentence when a secret looks copied from an example file, else None."""
    if value and _PLACEHOLDER.match(value):
        return f"{name} looks like a placeholder: set the real value or leave it empty."
    return None


def first_problem(*problems: str | None) -> str | None:
    return next((problem for problem in problems if problem), None)


S = TypeVar("S", bound="CommonSettings")


@dataclass(frozen=True)
class CommonSettings:
    """What every process reads the same way: one default locality, one content folder."""

    content_dir: Path = paths.CONTENT
    locality: str = DEFAULT_LOCALITY
    var_dir: Path = paths.VAR  # databases, build files, logs
    records_db_url: str = ""  # the bot's records (tickets, bookings, log); empty: SQLite in var_dir
    timezone: str = DEFAULT_TIMEZONE

    @classmethod
    def from_env(cls: type[S], environ: Mapping[str, str] | None = None) -> S:
        """Read and check every variable; raise SettingsError on the first bad value."""
        return cls(**cls.read(Env(environ)))

    @classmethod
    def read(cls, env: Env) -> dict[str, Any]:
        """The fields' values from the environment; subclasses add theirs to this."""
        return {
            "content_dir": env.path("TROLYAO_CONTENT_DIR", cls.content_dir),
            "locality": env.text("TROLYAO_LOCALITY", DEFAULT_LOCALITY),
            "var_dir": env.path("TROLYAO_VAR_DIR", cls.var_dir),
            "records_db_url": env.text("TROLYAO_DB_URL"),
            "timezone": env.text("TROLYAO_TZ", DEFAULT_TIMEZONE),
        }

    @classmethod
    def env_names(cls) -> frozenset[str]:
        """Every variable this settings class reads (for deployment checks)."""
        env = Env({})
        cls.read(env)
        return frozenset(env.names)

    @property
    def records_url(self) -> str:
        """The records store's SQLAlchemy URL: TROLYAO_DB_URL, or SQLite under var/."""
        return self.records_db_url or f"sqlite:///{self.var_dir / 'trolyao.db'}"

    def replace(self: S, **changes: Any) -> S:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return type(self)(**values)


@dataclass(frozen=True)
class LogSettings:
    """Log format and level: lenient, because logging must work before anything is checked."""

    format: str = "json"
    level: int = logging.INFO
    problems: tuple[str, ...] = ()

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, formats: tuple[str, ...] = ("json", "text")
    ) -> LogSettings:
        env = Env(environ)
        fmt = env.text("TROLYAO_LOG_FORMAT").lower() or "json"
        level_name = env.text("TROLYAO_LOG_LEVEL").upper() or "INFO"
        level = logging.getLevelName(level_name)
        problems = []
        if fmt not in formats:
            problems.append(f"TROLYAO_LOG_FORMAT={fmt!r} is not one of {', '.join(formats)}: using json")
            fmt = "json"
        if not isinstance(level, int):
            problems.append(f"TROLYAO_LOG_LEVEL={level_name!r} is not a log level: using INFO")
            level = logging.INFO
        return cls(fmt, level, tuple(problems))

    @staticmethod
    def env_names() -> frozenset[str]:
        return frozenset({"TROLYAO_LOG_FORMAT", "TROLYAO_LOG_LEVEL"})


def child_env(base: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
    """The environment for a child process: this process's (or ``base``), plus ``extra``."""
    env = dict(os.environ if base is None else base)
    env.update(extra)
    return env
