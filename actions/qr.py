"""QR code images of links, as data: URIs every channel adapter can send."""

from __future__ import annotations

import base64
import io
from functools import lru_cache

import segno


@lru_cache(maxsize=32)
def qr_data_uri(url: str) -> str:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=2)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
