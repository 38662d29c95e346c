"""The locality facts the gateway itself needs: the hotline it offers when the bot is down.

Read from the same live content as the action server's answers, so an officer's edit of the
locality file reaches the gateway's "bot unavailable" notice within seconds, without a restart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tthc.content import ContentError, LiveContent, UnknownLocality


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


class LiveHotline:
    """The first hotline of the deployment's locality, as the content is now.

    Has the same attributes as ``Hotline``; a broken edit keeps the last good content."""

    def __init__(self, content: LiveContent, locality: str) -> None:
        self._content = content
        self._locality = locality

    @classmethod
    def open(cls, content_dir: Path, locality: str, poll_seconds: float = 1.0) -> LiveHotline:
        """Check now that the locality has a usable hotline (LocalityError otherwise)."""
        hotline = cls(LiveContent(content_dir, poll_seconds=poll_seconds), locality)
        hotline.current()
        return hotline

    def current(self) -> Hotline:
        try:
            loc = self._content.get().locality(self._locality)
        except (ContentError, UnknownLocality) as exc:
            raise LocalityError(f"{self._content.directory}: {exc}") from exc
        first = loc.hotlines[0] if loc.hotlines else {}
        name, number = str(first.get("name") or "").strip(), str(first.get("number") or "").strip()
        if not name or not dial_string(number):
            raise LocalityError(f"{loc.id}: the first hotline needs a name and a number")
        return Hotline(name=name, number=number)

    @property
    def name(self) -> str:
        return self.current().name

    @property
    def number(self) -> str:
        return self.current().number

    @property
    def dial(self) -> str:
        return self.current().dial


HotlineSource = Hotline | LiveHotline
