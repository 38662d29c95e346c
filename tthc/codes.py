"""Reference codes citizens paste: feedback tickets, appointments, dossiers of the one-stop system."""

from __future__ import annotations

import re

# PA/LH + 6 characters with at least one digit, so words like "passport" are never codes.
TICKET_CODE = re.compile(r"\bPA(?=[A-Z2-9]*[2-9])[A-Z2-9]{6}\b", re.I)
BOOKING_CODE = re.compile(r"\bLH(?=[A-Z2-9]*[2-9])[A-Z2-9]{6}\b", re.I)
# e.g. 000.00.31.H56-250602-0147 (national format) or H17.12-250602-0042 (local systems)
DOSSIER_CODE = re.compile(r"\b(?:\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}|[A-Z]\d{2}(?:\.\d{1,3}){1,3})-\d{6}-\d{3,5}\b", re.I)

INTENT_OF_CODE = (
    (BOOKING_CODE, "book_appointment"),
    (TICKET_CODE, "give_feedback"),
    (DOSSIER_CODE, "check_dossier_status"),
)


def intent_for_code(text: str) -> str | None:
    """The intent a pasted code implies: a booking code is about the booking, and so on."""
    for pattern, intent in INTENT_OF_CODE:
        if pattern.search(text):
            return intent
    return None


# A phone number or an identity number (9 to 12 digits) names no procedure either, and is personal.
_LONG_NUMBER = re.compile(r"(?<!\w)\+?\d[\d .]{7,14}\d(?!\w)")


def without_codes(text: str) -> str:
    """The message without the reference codes and long numbers it holds: they name no procedure,
    and their digits would match one by chance ("tra cứu hồ sơ 000.00.27.H26-250418-0021")."""
    for pattern in (DOSSIER_CODE, TICKET_CODE, BOOKING_CODE, _LONG_NUMBER):
        text = pattern.sub(" ", text)
    return text
