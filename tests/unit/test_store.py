"""The bot's records in SQLite: tickets, bookings with capacity, dossiers, handoffs, outbox."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from trolyao.dossiers import DossierImportError, import_file
from tthc.records import RecordStore
from tthc.records.engine import make_engine
from tthc.records.repository import SlotFull


@pytest.fixture
def store(tmp_path: Path) -> RecordStore:
    return RecordStore(f"sqlite:///{tmp_path / 'bot.db'}")


def test_ticket_answer_is_queued_for_the_citizen(store: RecordStore) -> None:
    ticket = store.create_ticket("tg:42", "tg", "Bộ phận Một cửa", "Hướng dẫn chưa rõ", "0905123456")
    assert ticket.code.startswith("PA") and len(ticket.code) == 8 and ticket.status == "open"
    store.answer_ticket(ticket.code.lower(), "Đã chấn chỉnh", "canbo1")
    assert store.ticket(ticket.code).status == "answered"
    delivered = store.take_undelivered("tg:42")
    assert len(delivered) == 1 and "Đã chấn chỉnh" in delivered[0]["text"]
    assert store.take_undelivered("tg:42") == []  # delivered once


def test_booking_capacity_holds_under_concurrency(store: RecordStore) -> None:
    day = dt.date(2026, 12, 1)
    results: list[str] = []

    def book(i: int) -> None:
        try:
            store.book(f"api:{i}", "api", "can-cuoc", "c1", day, "09:00", "Nguyễn Văn An", "0905123456", capacity=3)
            results.append("ok")
        except SlotFull:
            results.append("full")

    threads = [threading.Thread(target=book, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 3 and results.count("full") == 5
    assert store.taken("c1", day, "09:00") == 3


def test_cancel_frees_the_slot(store: RecordStore) -> None:
    day = dt.date(2026, 12, 1)
    booking = store.book("api:1", "api", "can-cuoc", "c1", day, "09:00", "An", "0905123456", capacity=1)
    with pytest.raises(SlotFull):
        store.book("api:2", "api", "can-cuoc", "c1", day, "09:00", "Bình", "0905123457", capacity=1)
    assert store.cancel_booking(booking.code).status == "cancelled"
    store.book("api:2", "api", "can-cuoc", "c1", day, "09:00", "Bình", "0905123457", capacity=1)


def test_handoff_times_out(store: RecordStore) -> None:
    handoff = store.open_handoff("api:9", "api")
    assert store.open_handoff("api:9", "api") == handoff  # one open handoff per conversation
    assert store.active_handoff("api:9", timeout=dt.timedelta(minutes=30)) == handoff
    assert store.active_handoff("api:9", timeout=dt.timedelta(seconds=-1)) is None  # idle too long
    assert store.active_handoff("api:9") is None


def test_dossier_csv_import(store: RecordStore, tmp_path: Path) -> None:
    csv_file = tmp_path / "export.csv"
    csv_file.write_text(
        "Mã hồ sơ;Tên thủ tục;Trạng thái;Ngày hẹn trả\n"
        "000.00.31.H17-251103-0042;Đăng ký khai sinh;Đã có kết quả;04/11/2026\n"
        ";Đăng ký kết hôn;;\n",
        encoding="utf-8-sig",
    )
    result = import_file(csv_file, store)
    assert len(result.rows) == 1 and result.skipped == ["dòng 3: thiếu mã hồ sơ hoặc trạng thái"]
    found = store.dossier("000.00.31.h17-251103-0042")
    assert found["status"] == "Đã có kết quả" and found["due"] == "04/11/2026"


def test_dossier_csv_without_required_columns(store: RecordStore, tmp_path: Path) -> None:
    csv_file = tmp_path / "bad.csv"
    csv_file.write_text("Số thứ tự,Họ tên\n1,An\n", encoding="utf-8")
    with pytest.raises(DossierImportError, match="Mã hồ sơ"):
        import_file(csv_file, store)


def test_an_older_database_gets_new_columns_and_announcements_are_claimed_once(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:  # the handoffs table as it was before announced_at
        db.execute("CREATE TABLE handoffs (id INTEGER PRIMARY KEY AUTOINCREMENT, sender VARCHAR(160) NOT NULL, "
                   "channel VARCHAR(20) NOT NULL, opened_at DATETIME NOT NULL, last_activity DATETIME NOT NULL, "
                   "closed_at DATETIME, closed_by VARCHAR(80))")  # fmt: skip
    store = RecordStore(f"sqlite:///{path}")
    RecordStore(f"sqlite:///{path}")  # a second process opening the same file
    handoff = store.open_handoff("tg:1", "tg")
    assert store.claim_announcement(handoff) and not store.claim_announcement(handoff)
    store.release_announcement(handoff)
    assert store.claim_announcement(handoff)
    assert [h["id"] for h in store.open_handoffs(dt.timedelta(minutes=30))] == [handoff]


def test_outbox_messages_wait_until_marked_delivered(store: RecordStore) -> None:
    store.queue_for_citizen("tg:1", "tg", "một")
    store.queue_for_citizen("api:2", "api", "hai")
    pending = store.undelivered(exclude_prefix="api:")
    assert [m["text"] for m in pending] == ["một"] and len(store.undelivered()) == 2
    assert store.mark_delivered([pending[0]["id"]]) == [pending[0]["id"]]
    assert store.mark_delivered([pending[0]["id"]]) == []  # marked once
    assert [m["text"] for m in store.take_undelivered("api:2")] == ["hai"]
    assert store.undelivered() == []


def test_last_procedure_and_ratings_summary(store: RecordStore) -> None:
    store.log_turn("api:1", "web", "khai sinh", "ask_procedure", 0.9, "khai-sinh", "answered")
    store.log_turn("api:1", "web", "cảm ơn", "thank", 0.9, None, "chitchat")
    assert store.last_procedure("api:1") == "khai-sinh" and store.last_procedure("api:2") is None
    assert store.add_rating("api:1", "web", True, "khai-sinh") is False
    assert store.add_rating("api:1", "web", True, "khai-sinh") is False  # the same again
    assert store.add_rating("api:1", "web", False, "khai-sinh") is True  # changed: still one rating
    store.add_rating("api:2", "web", True, "khai-sinh")  # rated before any logged turn
    summary = store.ratings_summary()
    assert (summary["total"], summary["useful_rate"]) == (2, 0.5)
    store.log_turn("api:1", "web", "lệ phí", "ask_fee", 0.9, "khai-sinh", "answered")
    store.add_rating("api:1", "web", True, "khai-sinh")  # a newer answer counts on its own
    assert store.ratings_summary()["total"] == 3


def test_old_channel_spellings_are_renamed_when_the_store_opens(tmp_path: Path) -> None:
    """Rows written when the action server stored sender prefixes as channel names."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    store = RecordStore(url)
    store.create_ticket("tg:42", "tg", "Bộ phận Một cửa", "Hướng dẫn chưa rõ", "0905123456")
    store.open_handoff("zalobot:7", "zalobot")
    store.log_turn("api:1", "api", "xin chào", "greet", 0.9, None, "answered")
    store.log_turn("zalo:2", "zalo", "xin chào", "greet", 0.9, None, "answered")
    reopened = RecordStore(url)
    with reopened.engine.connect() as db:
        stored = {
            table: sorted(db.execute(sa.text(f"SELECT channel FROM {table}")).scalars())
            for table in ("tickets", "handoffs", "turns")
        }
    assert stored == {"tickets": ["telegram"], "handoffs": ["zalo-bot"], "turns": ["web", "zalo"]}


# --- idempotency keys (issue 15): a replayed message creates nothing twice --------------------


def test_a_replayed_message_gets_the_first_ticket_and_booking(store: RecordStore) -> None:
    from tthc.records.idempotency import idempotency_key

    def ticket(key: str | None) -> str:
        return store.create_ticket("tg:42", "telegram", "Một cửa", "Hướng dẫn chưa rõ", None, key=key).code

    key = idempotency_key("ticket", "tg:42", 1234)
    first, again, other = ticket(key), ticket(key), ticket(idempotency_key("ticket", "tg:42", 1235))
    unkeyed = [ticket(None) for _ in range(2)]
    assert again == first and other != first and len(set(unkeyed)) == 2
    assert len(store.tickets()) == 4

    day = dt.date(2026, 12, 1)

    def book(sender: str, key: str | None) -> str:
        return store.book(sender, "web", "can-cuoc", "c1", day, "09:00", "An", "0905123456", capacity=1, key=key).code

    booking_key = idempotency_key("booking", "api:web-1", "c6f0a1e2")
    booked = book("api:web-1", booking_key)
    # The slot is full now, yet the same message answered again gets its own booking back.
    assert book("api:web-1", booking_key) == booked and store.taken("c1", day, "09:00") == 1
    with pytest.raises(SlotFull):
        book("api:web-2", idempotency_key("booking", "api:web-2", "x"))


def test_concurrent_replays_of_one_message_make_one_booking(store: RecordStore) -> None:
    from tthc.records.idempotency import idempotency_key

    key, day, codes = idempotency_key("booking", "zalo:7", "msg-1"), dt.date(2026, 12, 2), []

    def book() -> None:
        booking = store.book("zalo:7", "zalo", "ho-chieu", "c1", day, "10:00", "An", "0905123456", capacity=5, key=key)
        codes.append(booking.code)

    threads = [threading.Thread(target=book) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(codes) == 6 and len(set(codes)) == 1 and store.taken("c1", day, "10:00") == 1


def test_officer_messages_with_a_key_are_queued_once(store: RecordStore) -> None:
    from tthc.records.idempotency import idempotency_key

    reply = idempotency_key("officer-reply", "tg:1", "req-1")
    assert store.queue_for_citizen("tg:1", "telegram", "Cán bộ: chào bạn", key=reply)
    assert not store.queue_for_citizen("tg:1", "telegram", "Cán bộ: chào bạn", key=reply)
    ticket = store.create_ticket("tg:1", "telegram", "Một cửa", "Hướng dẫn chưa rõ", None)
    answer = idempotency_key("ticket-answer", ticket.code, "req-2")
    store.answer_ticket(ticket.code, "Đã xử lý", "canbo1", key=answer)
    store.answer_ticket(ticket.code, "Đã xử lý", "canbo1", key=answer)
    texts = [m["text"] for m in store.undelivered("tg:1")]
    assert texts == ["Cán bộ: chào bạn", f"Trả lời phản ánh {ticket.code}: Đã xử lý"]


def test_an_older_database_gets_the_idempotency_columns_and_unique_indexes(tmp_path: Path) -> None:
    import sqlite3

    from tthc.records.idempotency import idempotency_key

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:  # tickets and bookings as they were before issue 15, with a row each
        db.execute("CREATE TABLE tickets (code VARCHAR(20) PRIMARY KEY, created_at DATETIME NOT NULL, "
                   "sender VARCHAR(160) NOT NULL, channel VARCHAR(20) NOT NULL, subject TEXT NOT NULL, "
                   "content TEXT NOT NULL, phone VARCHAR(20), status VARCHAR(20) NOT NULL, answer TEXT, "
                   "answered_by VARCHAR(80), answered_at DATETIME)")  # fmt: skip
        db.execute("INSERT INTO tickets VALUES ('PAAB2CDE', '2026-01-02 03:04:05', 'tg:1', 'telegram', 's', 'c', "
                   "NULL, 'open', NULL, NULL, NULL)")  # fmt: skip
        db.execute("CREATE TABLE bookings (code VARCHAR(20) PRIMARY KEY, created_at DATETIME NOT NULL, "
                   "sender VARCHAR(160) NOT NULL, channel VARCHAR(20) NOT NULL, procedure VARCHAR(80) NOT NULL, "
                   "centre VARCHAR(80) NOT NULL, day DATE NOT NULL, slot VARCHAR(20) NOT NULL, "
                   "name VARCHAR(120) NOT NULL, phone VARCHAR(20) NOT NULL, status VARCHAR(20) NOT NULL)")  # fmt: skip
    opened = [RecordStore(f"sqlite:///{path}") for _ in range(2)]  # two processes opening the same file
    store = opened[0]
    inspector = sa.inspect(store.engine)
    for table in ("tickets", "bookings", "outbox"):
        assert "idempotency_key" in {c["name"] for c in inspector.get_columns(table)}
        unique = {i["name"] for i in inspector.get_indexes(table) if i["unique"]}
        assert f"ux_{table}_idempotency_key" in unique
    assert store.ticket("PAAB2CDE") is not None  # old rows stay, without a key
    key = idempotency_key("ticket", "tg:1", 5)
    assert opened[1].create_ticket("tg:1", "telegram", "s", "c", None, key=key).code == store.create_ticket(
        "tg:1", "telegram", "s", "c", None, key=key).code  # fmt: skip
    with store.engine.begin() as db, pytest.raises(sa.exc.IntegrityError):  # the database itself refuses a second row
        db.execute(sa.text("UPDATE tickets SET idempotency_key = :k WHERE code = 'PAAB2CDE'"), {"k": key})


def test_processes_opening_a_new_database_together_all_connect(tmp_path: Path) -> None:
    """Replicas starting at once on a new SQLite file: each engine switches it to WAL on
    connect, which SQLite refuses at once ("database is locked") to all but one, busy timeout
    or not. Without waiting for one another, some fail (about one round in seven here)."""
    failures: list[Exception] = []
    for round_ in range(60):
        url = f"sqlite:///{tmp_path / f'new-{round_}.sqlite3'}"
        engines = [make_engine(url) for _ in range(8)]
        together = threading.Barrier(len(engines))

        def connect(engine: sa.engine.Engine, together: threading.Barrier = together) -> None:
            together.wait()
            try:
                with engine.connect() as db:
                    assert db.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            except Exception as exc:  # collected: an exception in a thread would not fail the test
                failures.append(exc)

        threads = [threading.Thread(target=connect, args=(engine,)) for engine in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for engine in engines:
            engine.dispose()
    assert failures == []
