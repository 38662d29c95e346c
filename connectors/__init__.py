"""The gateway: the only part of the assistant that knows a channel.

Public API: ``create_app``, ``Settings``, ``Reply``, ``Button``, ``from_rasa``, ``render``
and ``mask_pii``.
"""

from connectors.app import create_app
from connectors.privacy import mask_pii
from connectors.replies import Button, Reply, from_rasa, render
from connectors.settings import Settings

__all__ = ["Button", "Reply", "Settings", "create_app", "from_rasa", "mask_pii", "render"]
