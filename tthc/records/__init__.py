"""The bot's own records: conversation log, ratings, tickets, bookings, dossiers, handoffs.

SQLite under var/ by default; any SQLAlchemy URL (PostgreSQL for a scaled deployment) through
TROLYAO_DB_URL. Both the action server and the gateway use it.

    RecordStore.for_settings(settings)      the store of this deployment
"""

from tthc.records.repository import Booking, RecordStore, Ticket

__all__ = ["Booking", "RecordStore", "Ticket"]
