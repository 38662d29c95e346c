"""The gateway: the only part of the assistant that knows a channel.

Public API: ``create_app``, ``Settings``, ``Reply``, ``Button``, ``from_rasa``, ``render``
and ``mask_pii``. They are imported on first use, so that ``tthc.privacy`` also loads
in the Rasa environment (the action server masks its logs with it) without FastAPI.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Button": "connectors.replies",
    "Reply": "connectors.replies",
    "Settings": "connectors.settings",
    "create_app": "connectors.app",
    "from_rasa": "connectors.replies",
    "mask_pii": "tthc.privacy",
    "render": "connectors.replies",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'connectors' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
