"""Links that open the assistant on one procedure, for the QR codes printed at the counters
("mã QR phục vụ tra cứu TTHC"): the first answer is that procedure's overview.

    web_link("https://tro-ly.example.vn", "khai-sinh")   -> https://tro-ly.example.vn/?p=khai-sinh
    telegram_link("TroLyAoBot", "khai-sinh")             -> https://t.me/TroLyAoBot?start=khai-sinh
    overview_message("khai-sinh")                        -> /ask_procedure{"procedure":"khai-sinh"}

The web chat page sends ``overview_message`` on load when its address has ``?p=``; the Telegram
channel turns ``/start khai-sinh`` into it. Zalo gives an Official Account's chat link
(zalo.me/<OA id>) no start parameter, so a Zalo user scans the web link with Zalo's own QR
scanner, which opens it in Zalo's browser.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

# What a slug may be in a link: also what Telegram allows in a start parameter ([A-Za-z0-9_-],
# at most 64 characters).
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
TELEGRAM_BOT = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
CHANNELS = ("web", "telegram")


def is_slug(value: str) -> bool:
    return bool(SLUG.match(value or ""))


def web_link(base_url: str, slug: str) -> str:
    """The web chat page opened on the procedure."""
    if not is_slug(slug):
        raise ValueError(f"not a procedure code: {slug!r}")
    return f"{base_url.rstrip('/')}/?{urlencode({'p': slug})}"


def telegram_link(bot: str, slug: str) -> str:
    """The Telegram bot opened with ``/start <slug>``."""
    name = bot.strip().lstrip("@")
    if not TELEGRAM_BOT.match(name):
        raise ValueError(f"not a Telegram bot name: {bot!r}")
    if not is_slug(slug):
        raise ValueError(f"not a procedure code: {slug!r}")
    return f"https://t.me/{quote(name)}?start={slug}"


def link(channel: str, slug: str, base_url: str = "", bot: str = "") -> str:
    return telegram_link(bot, slug) if channel == "telegram" else web_link(base_url, slug)


def overview_message(slug: str) -> str:
    """The message that asks the assistant for the procedure's overview (a button's payload)."""
    return f'/ask_procedure{{"procedure":"{slug}"}}'


def procedure_from_start(payload: str) -> str | None:
    """The procedure of a Telegram ``/start`` parameter, if it names one."""
    value = (payload or "").strip()
    return value if is_slug(value) else None
