"""The messaging channels: ``telegram``, ``zalo`` (Official Account) and ``zalo_bot``, one
module each over one small interface (``base.Channel``: verify, receive, send). The web chat
is ``/api/chat`` (``connectors.chat``). ``runtime.start`` runs the configured ones."""

from connectors.channels.base import Channel, ChannelRefused, Incoming, SendError, rasa_sender

__all__ = ["Channel", "ChannelRefused", "Incoming", "SendError", "rasa_sender"]
