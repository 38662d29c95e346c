"""Checks of what citizens type into forms: phone numbers, names, codes."""

from __future__ import annotations

import re

from tthc.codes import BOOKING_CODE, DOSSIER_CODE, TICKET_CODE  # noqa: F401 - re-exported for actions
from tthc.text.normalize import accent_key

_MOBILE = re.compile(r"^(?:\+?84|0)(3|5|7|8|9)\d{8}$")
_LANDLINE = re.compile(r"^(?:\+?84|0)2\d{9}$")
_SKIP = {"khong", "khong co", "bo qua", "ko", "k", "thoi", "khong can", "skip", "-"}


def phone(text: str) -> str | None:
    """A Vietnamese phone number in 0xxxxxxxxx form, or None."""
    digits = re.sub(r"[\s.\-()]", "", text)
    if _MOBILE.match(digits) or _LANDLINE.match(digits):
        return (
            "0" + digits[3:] if digits.startswith("+84") else ("0" + digits[2:] if digits.startswith("84") else digits)
        )
    return None


def wants_to_skip(text: str) -> bool:
    return accent_key(text).strip(" .!") in _SKIP


def person_name(text: str) -> str | None:
    name = " ".join(text.split())
    if 2 <= len(name) <= 80 and not re.search(r"\d", name) and len(name.split()) <= 8:
        return name
    return None
