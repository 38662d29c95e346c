"""Images in replies: data: URIs (QR codes made by the actions) decoded to bytes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

_DATA_URI = re.compile(r"^data:(image/[A-Za-z0-9.+-]+)(;[^,]*)?,(.*)$", re.DOTALL)
_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
MAX_IMAGE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Image:
    mime: str
    data: bytes

    @property
    def filename(self) -> str:
        return f"{self.media_id}.{_EXTENSIONS.get(self.mime, 'img')}"

    @property
    def media_id(self) -> str:
        """A stable id derived from the content: the same QR code is stored once."""
        return hashlib.sha256(self.data).hexdigest()[:32]


def is_data_uri(value: str) -> bool:
    return value.startswith("data:")


def decode_data_uri(uri: str) -> Image | None:
    """The image in a ``data:image/...;base64,...`` URI, or None if it is not a usable one."""
    match = _DATA_URI.match(uri.strip())
    if not match or match.group(2) is None or "base64" not in match.group(2).lower():
        return None
    try:
        data = base64.b64decode(match.group(3), validate=False)
    except (binascii.Error, ValueError):
        return None
    if not data or len(data) > MAX_IMAGE_BYTES:
        return None
    return Image(mime=match.group(1).lower(), data=data)
