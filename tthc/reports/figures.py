"""The figures of a period, computed from the records store: used by the officers' console
(dashboard) and by `trolyao report` (xlsx, pdf, md). Pure SQLAlchemy, no drawing.

Definitions (also in docs/console.md):

- a message is one logged turn (a citizen's message); a conversation is one citizen (sender)
  on one day;
- questions are the messages whose outcome is answered, clarified, asked, declined (not in the
  catalogue), fallback or out_of_scope; the answer rate is answered / questions, the fallback
  rate fallback / questions;
- survey requests are messages with intent ``ask_survey`` (the survey link and its QR code);
- handoffs are those opened in the period; ratings those given in the period;
- open tickets and upcoming bookings are as of today, whatever the period;
- days are days of the deployment's calendar (``zone``, Asia/Ho_Chi_Minh by default), whatever
  zone the server runs in (``tthc.clock``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from tthc import channels, clock
from tthc.records.schema import bookings, handoffs, ratings, tickets, turns

QUESTION_OUTCOMES = ("answered", "clarified", "asked", "declined", "fallback", "out_of_scope")
UNANSWERED_OUTCOMES = ("fallback", "clarified", "asked", "out_of_scope")  # asked: no procedure could be placed
DECLINED_OUTCOMES = ("declined",)  # a procedure the official catalogue does not hold
SURVEY_INTENTS = ("ask_survey",)
TOP = 10
CHANNEL_NAMES = channels.LABELS
OUTCOME_NAMES = {
    "answered": "Đã trả lời",
    "clarified": "Hỏi lại để làm rõ",
    "asked": "Hỏi thủ tục nào",
    "declined": "Không có trong danh mục",
    "fallback": "Không hiểu câu hỏi",
    "out_of_scope": "Ngoài phạm vi",
    "chitchat": "Chào hỏi, cảm ơn",
    "service": "Dịch vụ (tổng đài, khảo sát, đặt lịch...)",
    "handoff": "Chuyển cán bộ",
    "unknown": "Khác",
}
# What citizens wanted, as officers say it (the intents of bot/domain.yml).
INTENT_NAMES = {
    "greet": "Chào hỏi",
    "goodbye": "Tạm biệt",
    "thank": "Cảm ơn",
    "affirm": "Đồng ý",
    "deny": "Không đồng ý",
    "bot_challenge": "Hỏi có phải máy trả lời",
    "ask_procedure": "Hỏi về thủ tục",
    "ask_documents": "Hỏi hồ sơ, giấy tờ",
    "ask_fee": "Hỏi lệ phí",
    "ask_processing_time": "Hỏi thời hạn giải quyết",
    "ask_where": "Hỏi nơi nộp",
    "ask_online": "Hỏi nộp trực tuyến",
    "ask_hotline": "Hỏi số tổng đài",
    "ask_working_hours": "Hỏi giờ làm việc",
    "ask_survey": "Hỏi khảo sát hài lòng",
    "give_feedback": "Gửi phản ánh, kiến nghị",
    "check_dossier_status": "Tra cứu hồ sơ",
    "book_appointment": "Đặt lịch hẹn",
    "human_handoff": "Xin gặp cán bộ",
    "out_of_scope": "Ngoài phạm vi",
    "nlu_fallback": "Không hiểu câu hỏi",
}


def intent_name(intent: str | None) -> str:
    """'ask_fee' -> 'Hỏi lệ phí'; an intent without a name keeps its code."""
    return INTENT_NAMES.get(intent or "", intent or "")


def procedure_name(slug: str | None, names: Mapping[str, str]) -> str:
    """The procedure's name from the content; a procedure no longer in the content keeps its code."""
    return names.get(slug or "", slug or "")


def with_names(f: Figures, procedure_names: Mapping[str, str]) -> Figures:
    """The figures with a Vietnamese ``name`` on each top procedure and intent (for charts)."""
    for item in f.top_procedures:
        item["name"] = procedure_name(item["procedure"], procedure_names)
    for item in f.top_intents:
        item["name"] = intent_name(item["intent"])
    return f


@dataclass
class Figures:
    day_from: dt.date
    day_to: dt.date
    messages: int = 0
    conversations: int = 0
    citizens: int = 0
    per_day: list[dict[str, Any]] = field(default_factory=list)  # {day, messages, conversations}
    per_channel: list[dict[str, Any]] = field(default_factory=list)  # {channel, label, messages, conversations}
    outcomes: dict[str, int] = field(default_factory=dict)
    questions: int = 0
    answered: int = 0
    fallback: int = 0
    answer_rate: float | None = None
    fallback_rate: float | None = None
    top_procedures: list[dict[str, Any]] = field(default_factory=list)  # {procedure, count}
    top_intents: list[dict[str, Any]] = field(default_factory=list)  # {intent, count}
    survey_requests: int = 0
    handoffs: int = 0
    ratings: int = 0
    ratings_useful: int = 0
    useful_rate: float | None = None
    tickets_created: int = 0
    tickets_answered: int = 0
    open_tickets: int = 0
    bookings: int = 0  # booked (not cancelled) for days in the period
    upcoming_bookings: int = 0  # booked for today or later

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["day_from"], data["day_to"] = self.day_from.isoformat(), self.day_to.isoformat()
        return data


def default_period(today: dt.date | None = None, days: int = 30, zone: str | None = None) -> tuple[dt.date, dt.date]:
    today = today or clock.today(zone)
    return today - dt.timedelta(days=days - 1), today


def bounds(day_from: dt.date, day_to: dt.date, zone: str | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The stored times that bound the days (of the deployment's calendar, with ``zone``)."""
    start = dt.datetime.combine(day_from, dt.time.min)
    end = dt.datetime.combine(day_to + dt.timedelta(days=1), dt.time.min)
    if zone is None:
        return start, end
    return clock.stored(start, zone), clock.stored(end, zone)


def _local_day(engine: sa.engine.Engine, column: Any, minutes: int) -> Any:
    """The calendar day of a stored time, shifted by ``minutes`` (the deployment's zone)."""
    if not minutes:
        return sa.func.date(column)
    if engine.dialect.name == "sqlite":
        return sa.func.date(column, f"{minutes:+d} minutes")
    return sa.func.date(column + sa.literal(dt.timedelta(minutes=minutes)))


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def compute(
    engine: sa.engine.Engine, day_from: dt.date, day_to: dt.date, today: dt.date | None = None, zone: str | None = None
) -> Figures:
    """Every figure of the period [day_from, day_to] (both days included), days of the
    calendar of ``zone`` (None: the machine's own, as stored)."""
    today = today or clock.today(zone)
    start, end = bounds(day_from, day_to, zone)
    in_period = sa.and_(turns.c.at >= start, turns.c.at < end)
    day = _local_day(engine, turns.c.at, clock.offset_minutes(zone, start) if zone else 0)
    out = Figures(day_from, day_to)
    with engine.connect() as db:
        # Messages and conversations (sender, day) per day and per channel.
        per_day = db.execute(
            sa.select(day.label("day"), sa.func.count().label("messages"),
                      sa.func.count(sa.distinct(turns.c.sender)).label("conversations"))
            .where(in_period).group_by(day)
        ).all()  # fmt: skip
        counts = {_day(r.day): (int(r.messages), int(r.conversations)) for r in per_day}
        out.per_day = [
            {"day": d, "messages": counts.get(d, (0, 0))[0], "conversations": counts.get(d, (0, 0))[1]}
            for d in (day_from + dt.timedelta(days=i) for i in range((day_to - day_from).days + 1))
        ]
        out.messages = sum(m for m, _ in counts.values())
        out.conversations = sum(c for _, c in counts.values())
        out.citizens = int(
            db.execute(sa.select(sa.func.count(sa.distinct(turns.c.sender))).where(in_period)).scalar_one()
        )
        pairs = sa.select(turns.c.channel, turns.c.sender, day.label("day")).where(in_period).distinct().subquery()
        conv_by_channel = dict(db.execute(sa.select(pairs.c.channel, sa.func.count()).group_by(pairs.c.channel)).all())
        msg_by_channel = db.execute(
            sa.select(turns.c.channel, sa.func.count()).where(in_period).group_by(turns.c.channel)
        ).all()
        out.per_channel = sorted(
            ({"channel": ch, "label": CHANNEL_NAMES.get(ch, ch), "messages": int(n),
              "conversations": int(conv_by_channel.get(ch, 0))} for ch, n in msg_by_channel),
            key=lambda item: -item["messages"],
        )  # fmt: skip
        # Outcomes, answer and fallback rates.
        out.outcomes = {
            o: int(n)
            for o, n in db.execute(
                sa.select(turns.c.outcome, sa.func.count()).where(in_period).group_by(turns.c.outcome)
            )
        }
        out.questions = sum(out.outcomes.get(o, 0) for o in QUESTION_OUTCOMES)
        out.answered = out.outcomes.get("answered", 0)
        out.fallback = out.outcomes.get("fallback", 0)
        out.answer_rate, out.fallback_rate = _rate(out.answered, out.questions), _rate(out.fallback, out.questions)
        # Top procedures and intents.
        count = sa.func.count().label("n")
        out.top_procedures = [
            {"procedure": p, "count": int(n)}
            for p, n in db.execute(
                sa.select(turns.c.procedure, count).where(in_period, turns.c.procedure.is_not(None))
                .group_by(turns.c.procedure).order_by(count.desc(), turns.c.procedure).limit(TOP)
            )
        ]  # fmt: skip
        out.top_intents = [
            {"intent": i, "count": int(n)}
            for i, n in db.execute(
                sa.select(turns.c.intent, count).where(in_period, turns.c.intent.is_not(None))
                .group_by(turns.c.intent).order_by(count.desc(), turns.c.intent).limit(TOP)
            )
        ]  # fmt: skip
        out.survey_requests = int(
            db.execute(sa.select(sa.func.count()).where(in_period, turns.c.intent.in_(SURVEY_INTENTS))).scalar_one()
        )
        # Handoffs, ratings, tickets, bookings.
        out.handoffs = _count(db, handoffs, handoffs.c.opened_at >= start, handoffs.c.opened_at < end)
        useful = sa.func.sum(sa.case((ratings.c.useful.is_(True), 1), else_=0))
        total, good = db.execute(
            sa.select(sa.func.count(), useful).where(ratings.c.at >= start, ratings.c.at < end)
        ).one()
        out.ratings, out.ratings_useful = int(total or 0), int(good or 0)
        out.useful_rate = _rate(out.ratings_useful, out.ratings)
        out.tickets_created = _count(db, tickets, tickets.c.created_at >= start, tickets.c.created_at < end)
        out.tickets_answered = _count(db, tickets, tickets.c.answered_at >= start, tickets.c.answered_at < end)
        out.open_tickets = _count(db, tickets, tickets.c.status == "open")
        booked = bookings.c.status == "booked"
        out.bookings = _count(db, bookings, booked, bookings.c.day >= day_from, bookings.c.day <= day_to)
        out.upcoming_bookings = _count(db, bookings, booked, bookings.c.day >= today)
    return out


def _count(db: sa.engine.Connection, table: sa.Table, *where: Any) -> int:
    return int(db.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one())


def unanswered_turns(
    engine: sa.engine.Engine,
    day_from: dt.date,
    day_to: dt.date,
    limit: int = 5000,
    zone: str | None = None,
    outcomes: tuple[str, ...] = UNANSWERED_OUTCOMES,
) -> list[dict[str, Any]]:
    """Messages that ended in fallback, a clarification or out of scope (or ``outcomes``:
    DECLINED_OUTCOMES for the procedures not in the catalogue), newest first."""
    start, end = bounds(day_from, day_to, zone)
    query = (sa.select(turns.c.at, turns.c.channel, turns.c.text, turns.c.intent, turns.c.confidence,
                       turns.c.procedure, turns.c.outcome)
             .where(turns.c.at >= start, turns.c.at < end, turns.c.outcome.in_(outcomes))
             .order_by(turns.c.at.desc()).limit(limit))  # fmt: skip
    with engine.connect() as db:
        return [dict(r) for r in db.execute(query).mappings()]


def procedure_demand(
    engine: sa.engine.Engine, day_from: dt.date, day_to: dt.date, zone: str | None = None
) -> list[dict[str, Any]]:
    """Every procedure answered in the period, most asked first: {procedure, questions (answered
    messages), citizens (distinct senders)}. ``procedure`` is a curated slug or an official code;
    the console keeps the catalogue's codes that no curated file cites (candidates for one)."""
    start, end = bounds(day_from, day_to, zone)
    questions, citizens = sa.func.count().label("questions"), sa.func.count(sa.distinct(turns.c.sender))
    query = (sa.select(turns.c.procedure, questions, citizens.label("citizens"))
             .where(turns.c.at >= start, turns.c.at < end, turns.c.outcome == "answered",
                    turns.c.procedure.is_not(None))
             .group_by(turns.c.procedure).order_by(questions.desc(), citizens.desc(), turns.c.procedure))  # fmt: skip
    with engine.connect() as db:
        return [
            {"procedure": r.procedure, "questions": int(r.questions), "citizens": int(r.citizens)}
            for r in db.execute(query)
        ]


def percent(rate: float | None) -> str:
    """0.8532 -> '85,3%' (Vietnamese decimal comma); None -> '—'."""
    return "—" if rate is None else f"{rate * 100:.1f}%".replace(".", ",")


def summary_items(f: Figures) -> list[tuple[str, int | float | None, str]]:
    """The headline figures as (label, value, kind) rows, kind "count" or "rate" (a share of 1;
    None when there is nothing to divide): numbers, for spreadsheets."""
    return [
        ("Số cuộc hội thoại (người dân × ngày)", f.conversations, "count"),
        ("Số người dân", f.citizens, "count"),
        ("Số tin nhắn", f.messages, "count"),
        ("Câu hỏi về thủ tục", f.questions, "count"),
        ("Tỷ lệ trả lời được", f.answer_rate, "rate"),
        ("Tỷ lệ không hiểu câu hỏi", f.fallback_rate, "rate"),
        ("Lượt chuyển cán bộ", f.handoffs, "count"),
        ("Lượt đánh giá", f.ratings, "count"),
        ("Tỷ lệ đánh giá hữu ích", f.useful_rate, "rate"),
        ("Lượt hỏi khảo sát hài lòng (đường dẫn, mã QR)", f.survey_requests, "count"),
        ("Phản ánh, kiến nghị mới", f.tickets_created, "count"),
        ("Phản ánh đã trả lời", f.tickets_answered, "count"),
        ("Phản ánh đang chờ trả lời (hôm nay)", f.open_tickets, "count"),
        ("Lịch hẹn trong kỳ", f.bookings, "count"),
        ("Lịch hẹn sắp tới (từ hôm nay)", f.upcoming_bookings, "count"),
    ]


def count_text(value: int) -> str:
    """1234 -> '1.234' (Vietnamese thousands separator)."""
    return f"{value:,}".replace(",", ".")


def summary_rows(f: Figures) -> list[tuple[str, str]]:
    """The headline figures as (label, value) rows, in Vietnamese, for every output."""
    return [
        (label, percent(value) if kind == "rate" else count_text(int(value or 0)))
        for label, value, kind in summary_items(f)
    ]


def period_name(day_from: dt.date, day_to: dt.date) -> str:
    """'quý I năm 2026', '6 tháng đầu năm 2026', 'năm 2026', else 'từ 01/01/2026 đến ...'."""
    year = day_from.year
    if day_to.year == year and day_from.day == 1 and (day_to + dt.timedelta(days=1)).day == 1:
        months = (day_from.month, day_to.month)
        quarters = {(1, 3): "I", (4, 6): "II", (7, 9): "III", (10, 12): "IV"}
        if months in quarters:
            return f"quý {quarters[months]} năm {year}"
        if months == (1, 6):
            return f"6 tháng đầu năm {year}"
        if months == (7, 12):
            return f"6 tháng cuối năm {year}"
        if months == (1, 12):
            return f"năm {year}"
        if months[0] == months[1]:
            return f"tháng {months[0]} năm {year}"
    return f"từ {day_from:%d/%m/%Y} đến {day_to:%d/%m/%Y}"
