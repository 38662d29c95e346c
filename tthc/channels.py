"""The channels' names: one spelling each, in settings, stored rows, reports and labels.

Rasa sees a channel's citizens under a short sender prefix ("tg:123", "zalobot:456"); those
prefixes are sender ids, not channel names, and are mapped here.
"""

from __future__ import annotations

WEB = "web"
TELEGRAM = "telegram"
ZALO_OA = "zalo"
ZALO_BOT = "zalo-bot"

LABELS = {WEB: "Web", TELEGRAM: "Telegram", ZALO_OA: "Zalo OA", ZALO_BOT: "Zalo Bot"}

# Sender-id prefix at Rasa -> channel name.
SENDER_PREFIXES = {"api": WEB, "tg": TELEGRAM, "zalo": ZALO_OA, "zalobot": ZALO_BOT}

# Spellings stored before there was one name per channel, and the name they mean.
OLD_SPELLINGS = {"api": WEB, "tg": TELEGRAM, "zalobot": ZALO_BOT, "zalo_bot": ZALO_BOT}


def channel_of_sender(sender_id: str) -> str:
    """The channel of a Rasa sender id; "rest" for a caller of Rasa's own REST channel."""
    prefix = sender_id.split(":", 1)[0] if ":" in sender_id else ""
    return SENDER_PREFIXES.get(prefix, "rest")


def label(channel: str) -> str:
    """The channel's name for officers ("Zalo OA"); an unknown one as stored."""
    return LABELS.get(OLD_SPELLINGS.get(channel, channel), channel)
