"""The locality facts the gateway itself needs: the hotline it offers when the bot is down."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml


class LocalityError(ValueError):
    """The locality content file is missing or has no usable hotline."""


@dataclass(frozen=True)
class Hotline:
    name: str
    number: str  # as written in the content file, e.g. "0236.1022"

    @property
    def dial(self) -> str:
        """The number for a tel: link: digits only, keeping a leading '+'."""
        return dial_string(self.number)


def dial_string(number: str) -> str:
    """'0236.1022' -> '02361022'; '+84 236 1022' -> '+842361022'."""
    digits = re.sub(r"\D", "", number)
    return f"+{digits}" if number.strip().startswith("+") and digits else digits


def load_hotline(path: Path) -> Hotline:
    """Read the first entry of ``hotlines`` in a locality file (content/localities/<id>.yml)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LocalityError(f"{path}: cannot read the locality file ({exc})") from exc
    except yaml.YAMLError as exc:
        raise LocalityError(f"{path}: invalid YAML ({exc})") from exc
    hotlines = data.get("hotlines") if isinstance(data, dict) else None
    if not isinstance(hotlines, list) or not hotlines or not isinstance(hotlines[0], dict):
        raise LocalityError(f"{path}: 'hotlines' must be a non-empty list")
    first = hotlines[0]
    name = str(first.get("name") or "").strip()
    number = str(first.get("number") or "").strip()
    if not name or not dial_string(number):
        raise LocalityError(f"{path}: the first hotline needs a name and a number")
    return Hotline(name=name, number=number)
