"""One reply model, built from Rasa's REST output and rendered within each channel's limits."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from connectors import messages
from connectors.locality import dial_string
from connectors.textsplit import measure, split_text

logger = logging.getLogger(__name__)

Channel = Literal["web", "telegram", "zalo"]
CHANNELS: tuple[str, ...] = get_args(Channel)

_URL_PREFIXES = ("http://", "https://")
_IMAGE_DATA_PREFIX = "data:image/"


@dataclass(frozen=True)
class Button:
    """A message button (payload), a link (url) or a tap-to-call button (phone)."""

    title: str
    payload: str | None = None
    url: str | None = None
    phone: str | None = None

    def to_dict(self) -> dict[str, str]:
        keys = (
            ("title", self.title),
            ("payload", self.payload),
            ("url", self.url),
            ("phone", self.phone),
        )
        return {key: value for key, value in keys if value}


@dataclass(frozen=True)
class Option:
    """A button shown as a line: its number ("1. Lệ phí"), or None for a lone unnumbered line."""

    number: int | None
    button: Button


@dataclass
class Reply:
    """One bot message: text, buttons and an image (URL or data: URI), each optional."""

    text: str | None = None
    buttons: list[Button] = field(default_factory=list)
    image: str | None = None
    # Set by render(): buttons shown as lines ("1. Lệ phí"), so that a citizen who answers
    # "1" or the title on a channel without buttons still gets the button's payload.
    options: list[Option] = field(default_factory=list, compare=False, repr=False)

    @property
    def is_empty(self) -> bool:
        return not (self.text or self.buttons or self.image)

    def to_dict(self) -> dict[str, Any]:
        """The /api/chat form: only the keys that are used."""
        out: dict[str, Any] = {}
        if self.text:
            out["text"] = self.text
        if self.buttons:
            out["buttons"] = [button.to_dict() for button in self.buttons]
        if self.image:
            out["image"] = self.image
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        """The reply ``to_dict`` gave (a message kept in the outbound queue)."""
        buttons = [Button(**button) for button in data.get("buttons") or []]
        return cls(text=data.get("text"), buttons=buttons, image=data.get("image"))


# --- from Rasa --------------------------------------------------------------------------


def from_rasa(rasa_messages: Iterable[Any]) -> list[Reply]:
    """Convert Rasa REST channel output (text, buttons, image, custom) to replies."""
    replies: list[Reply] = []
    for message in rasa_messages:
        if not isinstance(message, dict):
            continue
        text = _text(message.get("text"))
        buttons = _buttons(message.get("buttons"))
        image = _image(message.get("image"))
        custom = message.get("custom")
        if isinstance(custom, dict):
            text = text or _text(custom.get("text"))
            buttons += _buttons(custom.get("buttons"))
            image = image or _image(custom.get("image"))
        reply = Reply(text=text, buttons=buttons, image=image)
        if reply.is_empty:
            logger.debug("ignored a Rasa message with keys %s", sorted(message))
        else:
            replies.append(reply)
    return replies


def button_from_rasa(raw: Any) -> Button | None:
    """One Rasa button; payload "http(s)://..." is a link, "tel:NNN" a phone number."""
    if not isinstance(raw, dict):
        return None
    title = _text(raw.get("title")) or ""
    url, phone, payload = (_text(raw.get(key)) for key in ("url", "phone", "payload"))
    if url:
        return Button(title or url, url=url) if _is_web_url(url) else None
    if phone:
        dial = dial_string(phone)
        return Button(title or phone, phone=dial) if dial else None
    if not payload:
        return None
    if _is_web_url(payload):
        return Button(title or payload, url=payload)
    if payload.lower().startswith("tel:"):
        dial = dial_string(payload[4:])
        return Button(title or payload[4:], phone=dial) if dial else None
    return Button(title or payload, payload=payload)


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return unicodedata.normalize("NFC", value).strip() or None


def _buttons(value: Any) -> list[Button]:
    if not isinstance(value, list):
        return []
    return [button for button in map(button_from_rasa, value) if button]


def _image(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if _is_web_url(value) or value.startswith(_IMAGE_DATA_PREFIX) else None


def _is_web_url(value: str) -> bool:
    return value.lower().startswith(_URL_PREFIXES) and len(value) > len("https://")


# --- per channel ------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelLimits:
    max_text: int | None  # UTF-16 units per message
    max_buttons: int | None  # buttons per message; extra ones become numbered lines
    max_caption: int | None  # text that may travel with an image in one message
    phone_buttons: bool  # whether the channel has tap-to-call buttons
    # Join consecutive text replies into one message when they fit: on the messaging apps every
    # message is one API call (Telegram allows a bot about 30 a second) and one notification.
    merge_text: bool = False


# Text stays strictly under the platforms' limits (Telegram 4096, Zalo 2000 characters).
LIMITS: dict[str, ChannelLimits] = {
    "web": ChannelLimits(max_text=None, max_buttons=None, max_caption=None, phone_buttons=True),
    # Telegram inline keyboards take no tel: links; a number in text is tappable anyway.
    "telegram": ChannelLimits(max_text=4095, max_buttons=None, max_caption=1024, phone_buttons=False, merge_text=True),
    "zalo": ChannelLimits(max_text=1999, max_buttons=5, max_caption=None, phone_buttons=True, merge_text=True),
    # The Zalo Bot platform has no buttons at all: every button becomes a line.
    "zalo-bot": ChannelLimits(max_text=1999, max_buttons=0, max_caption=1999, phone_buttons=False, merge_text=True),
}


def render(replies: Sequence[Reply], channel: str) -> list[Reply]:
    """Fit replies to a channel: split long text, degrade buttons the channel cannot show.

    Numbered lines continue from one message to the next ("1. Lệ phí", "2. Thời hạn", then
    "3. 👍 Hữu ích"), so that a number typed back picks one line of the turn, never two."""
    limits = LIMITS[channel]
    if limits.merge_text and limits.max_text:
        replies = merge_text_replies(replies, limits.max_text)
    out: list[Reply] = []
    numbered = 0
    for reply in replies:
        rendered = _render_one(reply, limits, numbered + 1)
        numbered += sum(1 for part in rendered for option in part.options if option.number is not None)
        out.extend(rendered)
    return out


def merge_text_replies(replies: Sequence[Reply], max_text: int) -> list[Reply]:
    """Put a text-only reply in front of the next reply's text when both fit one message."""
    out: list[Reply] = []
    for reply in replies:
        previous = out[-1] if out else None
        joinable = (
            previous is not None and previous.text and not (previous.buttons or previous.image) and not reply.image
        )
        if joinable:
            text = f"{previous.text}\n\n{reply.text}" if reply.text else previous.text
            if measure(text) <= max_text:
                out[-1] = Reply(text=text, buttons=list(reply.buttons))
                continue
        out.append(reply)
    return out


def _render_one(reply: Reply, limits: ChannelLimits, first_number: int = 1) -> list[Reply]:
    buttons = list(reply.buttons)
    degraded: list[Button] = []
    if not limits.phone_buttons:
        degraded = [b for b in buttons if b.phone]
        buttons = [b for b in buttons if not b.phone]
    if limits.max_buttons is not None and len(buttons) > limits.max_buttons:
        degraded = buttons[limits.max_buttons :] + degraded
        buttons = buttons[: limits.max_buttons]

    options = _options(degraded, first_number)
    text = "\n\n".join(part for part in (reply.text, _lines(options, bool(buttons))) if part)
    chunks = split_text(text, limits.max_text) if limits.max_text else ([text] if text else [])
    if not chunks:
        return [Reply(buttons=buttons, image=reply.image)]

    out: list[Reply] = [Reply(text=chunk) for chunk in chunks]
    if reply.image:
        caption_fits = limits.max_caption is None or measure(chunks[0]) <= limits.max_caption
        if len(chunks) == 1 and caption_fits:
            out[0].image = reply.image
        else:
            out.insert(0, Reply(image=reply.image))
    out[-1].buttons = buttons
    out[-1].options = options
    return out


def _options(degraded: list[Button], first_number: int) -> list[Option]:
    """Several lines are numbered from ``first_number``; a lone line is not."""
    if len(degraded) == 1:
        return [Option(None, degraded[0])]
    return [Option(number, button) for number, button in enumerate(degraded, start=first_number)]


def _lines(options: list[Option], after_buttons: bool) -> str:
    if not options:
        return ""
    lines = [
        f"{option.number}. {_button_line(option.button)}" if option.number else _button_line(option.button)
        for option in options
    ]
    if after_buttons:
        lines.insert(0, messages.MORE_OPTIONS)
    return "\n".join(lines)


def _button_line(button: Button) -> str:
    if button.url:
        return f"{button.title}: {button.url}"
    if button.phone:
        if button.phone.lstrip("+") in re.sub(r"\D", "", button.title):
            return button.title
        return f"{button.title}: {button.phone}"
    return button.title
