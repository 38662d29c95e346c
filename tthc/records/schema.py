"""Tables, in SQLAlchemy Core so the same code runs on SQLite and PostgreSQL.

``idempotency_key`` (tickets, bookings, outbox): a hash of what caused the row (a citizen's
message id on a channel, an officer's request id), unique, so a message replayed after a crash,
a shutdown or a retry finds the row it created the first time instead of creating a second one
(``tthc.records.idempotency``). NULL for rows without one; NULLs never collide.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

turns = sa.Table(
    "turns",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False, index=True),
    sa.Column("sender", sa.String(160), nullable=False, index=True),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("text", sa.Text, nullable=False),  # personal data masked before it is stored
    sa.Column("intent", sa.String(40)),
    sa.Column("confidence", sa.Float),
    sa.Column("procedure", sa.String(80)),
    sa.Column("outcome", sa.String(20), nullable=False),  # answered, clarified, fallback, out_of_scope, service, down
)

ratings = sa.Table(
    "ratings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False, index=True),
    sa.Column("sender", sa.String(160), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("procedure", sa.String(80)),
    sa.Column("useful", sa.Boolean, nullable=False),
    # The logged turn (answer) rated: a citizen's new rating of the same answer replaces the
    # earlier one, so an answer counts once (NULL: rated before any turn was logged).
    sa.Column("turn_id", sa.Integer),
    sa.Index("ux_ratings_answer", "sender", "turn_id", unique=True),
)

tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("code", sa.String(20), primary_key=True),
    sa.Column("created_at", sa.DateTime, nullable=False, index=True),
    sa.Column("sender", sa.String(160), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),  # the office or procedure concerned
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("phone", sa.String(20)),
    sa.Column("status", sa.String(20), nullable=False, default="open"),  # open, answered
    sa.Column("answer", sa.Text),
    sa.Column("answered_by", sa.String(80)),
    sa.Column("answered_at", sa.DateTime),
    sa.Column("idempotency_key", sa.String(64)),
    sa.Index("ux_tickets_idempotency_key", "idempotency_key", unique=True),
)

bookings = sa.Table(
    "bookings",
    metadata,
    sa.Column("code", sa.String(20), primary_key=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("sender", sa.String(160), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("procedure", sa.String(80), nullable=False),
    sa.Column("centre", sa.String(80), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("slot", sa.String(20), nullable=False),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("phone", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, default="booked"),  # booked, cancelled
    sa.Column("idempotency_key", sa.String(64)),
    sa.Index("ix_bookings_slot", "centre", "day", "slot", "status"),
    sa.Index("ux_bookings_idempotency_key", "idempotency_key", unique=True),
)

dossiers = sa.Table(
    "dossiers",
    metadata,
    sa.Column("code", sa.String(60), primary_key=True),
    sa.Column("procedure", sa.Text),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("received", sa.String(20)),
    sa.Column("due", sa.String(20)),
    sa.Column("office", sa.Text),
    sa.Column("note", sa.Text),
    sa.Column("imported_at", sa.DateTime, nullable=False),
)

handoffs = sa.Table(
    "handoffs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sender", sa.String(160), nullable=False, index=True),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("opened_at", sa.DateTime, nullable=False),
    sa.Column("last_activity", sa.DateTime, nullable=False),
    sa.Column("closed_at", sa.DateTime),
    sa.Column("closed_by", sa.String(80)),
    sa.Column("announced_at", sa.DateTime),  # when officers were told (gateway, once)
)

outbox = sa.Table(  # messages for citizens from officers (ticket answers, handoff replies)
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("sender", sa.String(160), nullable=False, index=True),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("delivered_at", sa.DateTime),
    sa.Column("idempotency_key", sa.String(64)),
    sa.Index("ux_outbox_idempotency_key", "idempotency_key", unique=True),
)

officers = sa.Table(  # the officers' console accounts (created with `trolyao officers add`)
    "officers",
    metadata,
    sa.Column("name", sa.String(80), primary_key=True),
    sa.Column("role", sa.String(20), nullable=False),  # viewer, editor
    sa.Column("password_hash", sa.String(300), nullable=False),  # scrypt, salted; never the password
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("disabled_at", sa.DateTime),
)

console_sessions = sa.Table(  # logged-in officers; the cookie holds the token, the table its hash
    "console_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("officer", sa.String(80), nullable=False, index=True),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
)

officer_duty = sa.Table(  # officers answering citizens' chats from the console now (handoffs)
    "officer_duty",
    metadata,
    sa.Column("officer", sa.String(80), primary_key=True),
    sa.Column("since", sa.DateTime, nullable=False),
    sa.Column("until", sa.DateTime, nullable=False),  # the end of the console session that started it
)
