"""Reading and writing the bot's records. One RecordStore per process; thread-safe through SQLAlchemy."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa

from tthc.channels import OLD_SPELLINGS
from tthc.records.engine import create_all, make_engine
from tthc.records.schema import bookings, dossiers, handoffs, metadata, officer_duty, outbox, ratings, tickets, turns
from tthc.settings import CommonSettings

T = TypeVar("T")

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read aloud on the phone


def new_code(prefix: str) -> str:
    """PA/LH + 6 characters, at least one a digit (what tthc.codes recognises in a message)."""
    chars = [secrets.choice(_CODE_ALPHABET) for _ in range(6)]
    chars[secrets.randbelow(6)] = secrets.choice("23456789")
    return prefix + "".join(chars)


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


@dataclass(frozen=True)
class Ticket:
    code: str
    created_at: dt.datetime
    sender: str
    channel: str
    subject: str
    content: str
    phone: str | None
    status: str
    answer: str | None
    answered_at: dt.datetime | None


@dataclass(frozen=True)
class Booking:
    code: str
    created_at: dt.datetime
    sender: str
    channel: str
    procedure: str
    centre: str
    day: dt.date
    slot: str
    name: str
    phone: str
    status: str


class SlotFull(Exception):
    """The chosen time slot has reached the centre's capacity."""


class RecordStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        with self.engine.begin() as db:
            create_all(db, metadata, lock_key=7215001)
        _add_missing_columns(self.engine)
        _add_missing_indexes(self.engine)
        _rename_old_channel_spellings(self.engine)

    @classmethod
    def for_settings(cls, settings: CommonSettings) -> RecordStore:
        """The store of this deployment: TROLYAO_DB_URL, or SQLite under var/ (created)."""
        if not settings.records_db_url:
            settings.var_dir.mkdir(parents=True, exist_ok=True)
        return cls(settings.records_url)

    # --- conversation log and ratings ---------------------------------------------------------
    def log_turn(self, sender: str, channel: str, text: str, intent: str | None, confidence: float | None,
                 procedure: str | None, outcome: str, at: dt.datetime | None = None) -> None:  # fmt: skip
        with self.engine.begin() as db:
            db.execute(turns.insert().values(at=at or _now(), sender=sender, channel=channel, text=text,
                                             intent=intent, confidence=confidence, procedure=procedure,
                                             outcome=outcome))  # fmt: skip

    def add_rating(self, sender: str, channel: str, useful: bool, procedure: str | None) -> bool:
        """Rate the conversation's latest answer (its latest logged turn). A new rating of the same
        answer replaces the earlier one, so an answer counts once; True when it changed its value."""
        values = dict(at=_now(), channel=channel, procedure=procedure, useful=useful)
        for _ in range(3):
            try:
                with self.engine.begin() as db:
                    turn_id = db.execute(sa.select(sa.func.max(turns.c.id)).where(turns.c.sender == sender)).scalar()
                    same = ratings.c.turn_id.is_(None) if turn_id is None else ratings.c.turn_id == turn_id
                    earlier = db.execute(sa.select(ratings.c.id, ratings.c.useful)
                                         .where(ratings.c.sender == sender, same).limit(1)).first()  # fmt: skip
                    if earlier is not None:
                        db.execute(ratings.update().where(ratings.c.id == earlier.id).values(**values))
                        return bool(earlier.useful) != useful
                    db.execute(ratings.insert().values(sender=sender, turn_id=turn_id, **values))
                    return False
            except sa.exc.IntegrityError:  # the same answer rated at the same moment elsewhere: replace it
                continue
        raise RuntimeError(f"rating of {sender} not stored: the same answer kept being rated concurrently")

    def last_procedure(self, sender: str) -> str | None:
        """The procedure of the conversation's latest turn that had one."""
        query = (sa.select(turns.c.procedure).where(turns.c.sender == sender, turns.c.procedure.is_not(None))
                 .order_by(turns.c.id.desc()).limit(1))  # fmt: skip
        with self.engine.connect() as db:
            return db.execute(query).scalar()

    def recent_turns(self, sender: str, limit: int = 10) -> list[dict[str, Any]]:
        """The conversation's latest logged messages (already masked), oldest first."""
        query = sa.select(turns).where(turns.c.sender == sender).order_by(turns.c.id.desc()).limit(limit)
        with self.engine.connect() as db:
            rows = [dict(r) for r in db.execute(query).mappings().all()]
        return rows[::-1]

    def ratings_summary(self, day_from: dt.date | None = None, day_to: dt.date | None = None) -> dict[str, Any]:
        """Counts of useful / not useful ratings, overall and per procedure (None: no procedure)."""
        useful = sa.func.sum(sa.case((ratings.c.useful.is_(True), 1), else_=0))
        query = sa.select(ratings.c.procedure, sa.func.count().label("total"), useful.label("useful"))
        if day_from:
            query = query.where(ratings.c.at >= dt.datetime.combine(day_from, dt.time.min))
        if day_to:
            query = query.where(ratings.c.at < dt.datetime.combine(day_to + dt.timedelta(days=1), dt.time.min))
        with self.engine.connect() as db:
            rows = db.execute(query.group_by(ratings.c.procedure)).all()
        by_procedure = sorted(
            ({"procedure": r.procedure, "useful": int(r.useful or 0), "not_useful": int(r.total) - int(r.useful or 0)}
             for r in rows),
            key=lambda item: -(item["useful"] + item["not_useful"]),
        )  # fmt: skip
        total = sum(item["useful"] + item["not_useful"] for item in by_procedure)
        good = sum(item["useful"] for item in by_procedure)
        return {"total": total, "useful": good, "not_useful": total - good,
                "useful_rate": round(good / total, 3) if total else None, "by_procedure": by_procedure}  # fmt: skip

    # --- tickets (phản ánh, kiến nghị) --------------------------------------------------------
    def create_ticket(self, sender: str, channel: str, subject: str, content: str, phone: str | None,
                      key: str | None = None) -> Ticket:  # fmt: skip
        """A new open ticket; with an idempotency key already used, the ticket made then."""

        def insert() -> Ticket:
            code = new_code("PA")
            row = dict(code=code, created_at=_now(), sender=sender, channel=channel, subject=subject,
                       content=content, phone=phone, status="open", idempotency_key=key)  # fmt: skip
            with self.engine.begin() as db:
                db.execute(tickets.insert().values(**row))
            return self.ticket(code)  # type: ignore[return-value]

        return _once(key, self._ticket_with_key, insert)

    def _ticket_with_key(self, key: str) -> Ticket | None:
        with self.engine.connect() as db:
            code = db.execute(sa.select(tickets.c.code).where(tickets.c.idempotency_key == key)).scalar()
        return self.ticket(code) if code else None

    def ticket(self, code: str) -> Ticket | None:
        with self.engine.connect() as db:
            row = db.execute(sa.select(tickets).where(tickets.c.code == code.upper())).mappings().first()
        return Ticket(**{k: row[k] for k in Ticket.__dataclass_fields__}) if row else None

    def tickets(self, status: str | None = None) -> list[Ticket]:
        query = sa.select(tickets).order_by(tickets.c.created_at.desc())
        if status:
            query = query.where(tickets.c.status == status)
        with self.engine.connect() as db:
            rows = db.execute(query).mappings().all()
        return [Ticket(**{k: r[k] for k in Ticket.__dataclass_fields__}) for r in rows]

    def answer_ticket(self, code: str, answer: str, officer: str, key: str | None = None) -> Ticket | None:
        """Record an officer's answer and queue it for the citizen on the channel they used.

        With an idempotency key already used (the officer's request sent again), nothing changes."""
        ticket = self.ticket(code)
        if ticket is None:
            return None
        if key is not None and self._queued_with_key(key):
            return ticket
        try:
            with self.engine.begin() as db:
                db.execute(tickets.update().where(tickets.c.code == ticket.code).values(
                    status="answered", answer=answer, answered_by=officer, answered_at=_now()))  # fmt: skip
                db.execute(outbox.insert().values(at=_now(), sender=ticket.sender, channel=ticket.channel,
                                                  text=f"Trả lời phản ánh {ticket.code}: {answer}",
                                                  idempotency_key=key))  # fmt: skip
        except sa.exc.IntegrityError:
            if key is None or not self._queued_with_key(key):
                raise
        return self.ticket(code)

    # --- bookings ----------------------------------------------------------------------------
    def taken(self, centre: str, day: dt.date, slot: str) -> int:
        with self.engine.connect() as db:
            return int(db.execute(sa.select(sa.func.count()).select_from(bookings).where(
                bookings.c.centre == centre, bookings.c.day == day, bookings.c.slot == slot,
                bookings.c.status == "booked")).scalar_one())  # fmt: skip

    def book(self, sender: str, channel: str, procedure: str, centre: str, day: dt.date, slot: str,
             name: str, phone: str, capacity: int, key: str | None = None) -> Booking:  # fmt: skip
        """Book a slot, or raise SlotFull; the count and the insert are one transaction.

        With an idempotency key already used, the booking made then (as it is now), whatever
        the slot's count: the same message answered again books nothing more."""
        return _once(key, self._booking_with_key,
                     lambda: self._insert_booking(sender, channel, procedure, centre, day, slot, name, phone,
                                                  capacity, key))  # fmt: skip

    def _insert_booking(self, sender: str, channel: str, procedure: str, centre: str, day: dt.date, slot: str,
                        name: str, phone: str, capacity: int, key: str | None) -> Booking:  # fmt: skip
        code = new_code("LH")
        same_slot = (bookings.c.centre == centre, bookings.c.day == day, bookings.c.slot == slot,
                     bookings.c.status == "booked")  # fmt: skip
        with self.engine.begin() as db:
            if self.engine.dialect.name == "postgresql":  # serialize bookings of one slot
                db.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"{centre}|{day}|{slot}"})
            # Insert first, then count: SQLite serializes writers, so the count sees every
            # committed booking of the slot plus this one, and a full slot rolls this one back.
            db.execute(bookings.insert().values(code=code, created_at=_now(), sender=sender, channel=channel,
                                                procedure=procedure, centre=centre, day=day, slot=slot, name=name,
                                                phone=phone, status="booked", idempotency_key=key))  # fmt: skip
            used = db.execute(sa.select(sa.func.count()).select_from(bookings).where(*same_slot)).scalar_one()
            if used > capacity:
                raise SlotFull(f"{centre} {day} {slot}")
        return self.booking(code)  # type: ignore[return-value]

    def _booking_with_key(self, key: str) -> Booking | None:
        with self.engine.connect() as db:
            code = db.execute(sa.select(bookings.c.code).where(bookings.c.idempotency_key == key)).scalar()
        return self.booking(code) if code else None

    def booking(self, code: str) -> Booking | None:
        with self.engine.connect() as db:
            row = db.execute(sa.select(bookings).where(bookings.c.code == code.upper())).mappings().first()
        return Booking(**{k: row[k] for k in Booking.__dataclass_fields__}) if row else None

    def cancel_booking(self, code: str) -> Booking | None:
        booking = self.booking(code)
        if booking is None or booking.status != "booked":
            return booking
        with self.engine.begin() as db:
            db.execute(bookings.update().where(bookings.c.code == booking.code).values(status="cancelled"))
        return self.booking(code)

    def bookings(self, day_from: dt.date | None = None, day_to: dt.date | None = None) -> list[Booking]:
        query = sa.select(bookings).order_by(bookings.c.day, bookings.c.slot, bookings.c.created_at)
        if day_from:
            query = query.where(bookings.c.day >= day_from)
        if day_to:
            query = query.where(bookings.c.day <= day_to)
        with self.engine.connect() as db:
            rows = db.execute(query).mappings().all()
        return [Booking(**{k: r[k] for k in Booking.__dataclass_fields__}) for r in rows]

    # --- dossiers (imported from the one-stop system's CSV export) -----------------------------
    def import_dossiers(self, rows: Iterable[dict[str, str]]) -> int:
        now, count = _now(), 0
        with self.engine.begin() as db:
            for row in rows:
                code = row["code"].strip().upper()
                db.execute(dossiers.delete().where(dossiers.c.code == code))
                db.execute(
                    dossiers.insert().values(
                        code=code,
                        procedure=row.get("procedure"),
                        status=row["status"],
                        received=row.get("received"),
                        due=row.get("due"),
                        office=row.get("office"),
                        note=row.get("note"),
                        imported_at=now,
                    )
                )
                count += 1
        return count

    def dossier(self, code: str) -> dict[str, Any] | None:
        with self.engine.connect() as db:
            row = db.execute(sa.select(dossiers).where(dossiers.c.code == code.strip().upper())).mappings().first()
        return dict(row) if row else None

    # --- human handoff -----------------------------------------------------------------------
    def open_handoff(self, sender: str, channel: str) -> int:
        existing = self.active_handoff(sender)
        if existing:
            return existing
        with self.engine.begin() as db:
            result = db.execute(
                handoffs.insert().values(sender=sender, channel=channel, opened_at=_now(), last_activity=_now())
            )
            return int(result.inserted_primary_key[0])

    def active_handoff(self, sender: str, timeout: dt.timedelta | None = None) -> int | None:
        """The open handoff of a conversation; one idle past `timeout` is closed (the bot resumes)."""
        with self.engine.connect() as db:
            row = db.execute(sa.select(handoffs).where(handoffs.c.sender == sender, handoffs.c.closed_at.is_(None))
                             .order_by(handoffs.c.id.desc())).mappings().first()  # fmt: skip
        if row is None:
            return None
        if timeout is not None and _now() - row["last_activity"] > timeout:
            self.close_handoff(int(row["id"]), "timeout")
            return None
        return int(row["id"])

    def touch_handoff(self, handoff_id: int) -> None:
        with self.engine.begin() as db:
            db.execute(handoffs.update().where(handoffs.c.id == handoff_id).values(last_activity=_now()))

    def close_handoff(self, handoff_id: int, closed_by: str) -> None:
        with self.engine.begin() as db:
            db.execute(
                handoffs.update().where(handoffs.c.id == handoff_id).values(closed_at=_now(), closed_by=closed_by)
            )

    def handoff(self, handoff_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as db:
            row = db.execute(sa.select(handoffs).where(handoffs.c.id == handoff_id)).mappings().first()
        return dict(row) if row else None

    def open_handoffs(self, timeout: dt.timedelta | None = None) -> list[dict[str, Any]]:
        """Open handoffs, oldest first; those idle past `timeout` are closed (the bot resumes)."""
        with self.engine.connect() as db:
            rows = [dict(r) for r in db.execute(sa.select(handoffs).where(handoffs.c.closed_at.is_(None))
                                                .order_by(handoffs.c.id)).mappings().all()]  # fmt: skip
        if timeout is None:
            return rows
        now, alive = _now(), []
        for row in rows:
            if now - row["last_activity"] > timeout:
                self.close_handoff(int(row["id"]), "timeout")
            else:
                alive.append(row)
        return alive

    def claim_announcement(self, handoff_id: int) -> bool:
        """Mark an open handoff as announced to officers; False if it already was (or is closed)."""
        with self.engine.begin() as db:
            result = db.execute(handoffs.update().where(
                handoffs.c.id == handoff_id, handoffs.c.announced_at.is_(None), handoffs.c.closed_at.is_(None),
            ).values(announced_at=_now()))  # fmt: skip
        return result.rowcount == 1

    def release_announcement(self, handoff_id: int) -> None:
        """The announcement could not be sent: it may be tried again."""
        with self.engine.begin() as db:
            db.execute(handoffs.update().where(handoffs.c.id == handoff_id).values(announced_at=None))

    # --- officers answering chats from the console ---------------------------------------------
    def start_duty(self, officer: str, until: dt.datetime) -> None:
        """The officer answers citizens' chats from the console until ``until`` (or end_duty)."""
        with self.engine.begin() as db:
            db.execute(officer_duty.delete().where(officer_duty.c.officer == officer))
            db.execute(officer_duty.insert().values(officer=officer, since=_now(), until=until))

    def end_duty(self, officer: str) -> None:
        with self.engine.begin() as db:
            db.execute(officer_duty.delete().where(officer_duty.c.officer == officer))

    def on_duty(self) -> list[str]:
        """Officers answering chats from the console now."""
        with self.engine.connect() as db:
            rows = db.execute(sa.select(officer_duty.c.officer).where(officer_duty.c.until > _now())
                              .order_by(officer_duty.c.officer)).all()  # fmt: skip
        return [str(row[0]) for row in rows]

    # --- messages for citizens ---------------------------------------------------------------
    def queue_for_citizen(self, sender: str, channel: str, text: str, key: str | None = None) -> bool:
        """Queue an officer's message; False (nothing queued) if its idempotency key was used."""
        if key is not None and self._queued_with_key(key):
            return False
        try:
            with self.engine.begin() as db:
                db.execute(outbox.insert().values(at=_now(), sender=sender, channel=channel, text=text,
                                                  idempotency_key=key))  # fmt: skip
        except sa.exc.IntegrityError:
            if key is None or not self._queued_with_key(key):
                raise
            return False
        return True

    def _queued_with_key(self, key: str) -> bool:
        with self.engine.connect() as db:
            return db.execute(sa.select(outbox.c.id).where(outbox.c.idempotency_key == key)).first() is not None

    def take_undelivered(self, sender: str | None = None) -> list[dict[str, Any]]:
        """Messages not yet delivered (for one sender, or all), marked delivered as they are taken.

        A message is taken once even when two callers take at the same time."""
        rows = self.undelivered(sender)
        claimed = set(self.mark_delivered([r["id"] for r in rows]))
        return [r for r in rows if r["id"] in claimed]

    def undelivered(self, sender: str | None = None, exclude_prefix: str | None = None) -> list[dict[str, Any]]:
        """Messages not yet delivered, oldest first, left undelivered (see mark_delivered)."""
        query = sa.select(outbox).where(outbox.c.delivered_at.is_(None)).order_by(outbox.c.id)
        if sender:
            query = query.where(outbox.c.sender == sender)
        if exclude_prefix:
            query = query.where(sa.not_(outbox.c.sender.startswith(exclude_prefix, autoescape=True)))
        with self.engine.connect() as db:
            return [dict(r) for r in db.execute(query).mappings().all()]

    def mark_delivered(self, ids: Iterable[int]) -> list[int]:
        """Mark messages delivered; the ids this call marked (not those marked already)."""
        marked = []
        with self.engine.begin() as db:
            for message_id in ids:
                result = db.execute(outbox.update().where(outbox.c.id == message_id, outbox.c.delivered_at.is_(None))
                                    .values(delivered_at=_now()))  # fmt: skip
                if result.rowcount == 1:
                    marked.append(message_id)
        return marked

    def messages_to(self, sender: str, since: dt.datetime) -> list[dict[str, Any]]:
        """Messages queued for a citizen since a time (officers' replies, answers), oldest first."""
        query = sa.select(outbox).where(outbox.c.sender == sender, outbox.c.at >= since).order_by(outbox.c.id)
        with self.engine.connect() as db:
            return [dict(r) for r in db.execute(query).mappings().all()]


def _add_missing_columns(engine: sa.engine.Engine) -> None:
    """Add nullable columns that were added to the schema after a table was created
    (create_all creates missing tables only). Another process may add them at the same time."""
    inspector = sa.inspect(engine)
    for table in metadata.sorted_tables:
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present or not column.nullable:
                continue
            kind = column.type.compile(dialect=engine.dialect)
            try:
                with engine.begin() as db:
                    db.execute(sa.text(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}"))
            except sa.exc.DBAPIError:
                if column.name not in {c["name"] for c in sa.inspect(engine).get_columns(table.name)}:
                    raise


def _add_missing_indexes(engine: sa.engine.Engine) -> None:
    """Create the schema's indexes that a table created before them lacks (the unique
    idempotency keys). Another process may create them at the same time."""
    inspector = sa.inspect(engine)
    for table in metadata.sorted_tables:
        present = {index["name"] for index in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name in present:
                continue
            try:
                with engine.begin() as db:
                    index.create(db)
            except sa.exc.DBAPIError:
                if index.name not in {i["name"] for i in sa.inspect(engine).get_indexes(table.name)}:
                    raise


def _rename_old_channel_spellings(engine: sa.engine.Engine) -> None:
    """Rows stored when the action server wrote sender prefixes ("tg", "zalobot", "api") as
    channel names get the one spelling per channel (tthc.channels); idempotent."""
    with engine.begin() as db:
        for table in metadata.sorted_tables:
            if "channel" not in table.c:
                continue
            for old, new in OLD_SPELLINGS.items():
                db.execute(table.update().where(table.c.channel == old).values(channel=new))


def _once(key: str | None, made_with: Callable[[str], T | None], create: Callable[[], T]) -> T:
    """Create a record at most once per idempotency key: the one made with ``key`` already, or a
    new one; a unique-key clash means the same message was handled at the same moment elsewhere."""
    if key is not None:
        made = made_with(key)
        if made is not None:
            return made
    try:
        return create()
    except sa.exc.IntegrityError:
        made = made_with(key) if key is not None else None
        if made is None:
            raise
        return made
