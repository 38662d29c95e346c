"""The officers' console without a browser: passwords, sessions, CSRF, roles, throttling, lists,
the report download. Issue #7."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys

import httpx
import pytest
from conftest import REPO_ROOT, Gateway

from tthc.records import RecordStore
from tthc.records.accounts import AccountError, Accounts, hash_password, verify_password

PASSWORD = "mật-khẩu-dài-123"


def test_password_hash_is_salted_scrypt_never_plain() -> None:
    one, two = hash_password(PASSWORD), hash_password(PASSWORD)
    assert one != two and one.startswith("scrypt$") and PASSWORD not in one
    assert verify_password(PASSWORD, one) and verify_password(PASSWORD, two)
    assert not verify_password("mật-khẩu-dài-124", one)
    assert not verify_password(PASSWORD, "garbage")


def test_accounts_refuse_short_passwords_and_unknown_roles(records: RecordStore) -> None:
    accounts = Accounts(records)
    with pytest.raises(AccountError):
        accounts.add("a", "viewer", "short")
    with pytest.raises(AccountError):
        accounts.add("a", "admin", PASSWORD)
    accounts.add("Lan", "viewer", PASSWORD)
    assert accounts.check("Lan", PASSWORD).role == "viewer"
    assert accounts.check("Lan", "wrong-password") is None
    with records.engine.connect() as db:
        stored = db.exec_driver_sql("SELECT password_hash FROM officers").scalar_one()
    assert PASSWORD not in stored


def test_sessions_expire_and_end(records: RecordStore) -> None:
    accounts = Accounts(records)
    officer = accounts.add("Lan", "editor", PASSWORD)
    token, session = accounts.start_session(officer, dt.timedelta(hours=8))
    assert accounts.session(token).officer.name == "Lan"
    assert accounts.session(token, now=session.expires_at + dt.timedelta(seconds=1)) is None
    accounts.disable("Lan")
    assert accounts.session(token) is None


def test_officers_add_from_the_command_line(records_db: str) -> None:
    cli = REPO_ROOT / ".venv" / "bin" / "trolyao"
    if not cli.exists():
        pytest.skip("Rasa venv absent")
    done = subprocess.run([str(cli), "officers", "add", "Minh", "--role", "editor"], input=PASSWORD + "\n",
                          capture_output=True, text=True, env={"TROLYAO_DB_URL": records_db, "PATH": "/usr/bin"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert Accounts(RecordStore(records_db)).check("Minh", PASSWORD).role == "editor"


def login(gateway: Gateway, name: str, password: str = PASSWORD) -> httpx.Response:
    form = gateway.client.get("/admin/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    return gateway.client.post(
        "/admin/login", data={"csrf": csrf, "name": name, "password": password}, follow_redirects=True
    )


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_pages_need_a_login(gateway: Gateway) -> None:
    for path in ("/admin", "/admin/dashboard", "/admin/tickets", "/admin/unanswered", "/admin/content"):
        response = gateway.client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/admin/"), path
    page = gateway.client.get("/admin/login")
    assert "Đăng nhập" in page.text and "default-src 'none'" in page.headers["content-security-policy"]
    assert "<script" not in page.text and "http" not in page.text.split("<body>")[1]  # nothing from elsewhere


def test_login_cookie_dashboard_and_logout(gateway: Gateway, records: RecordStore) -> None:
    Accounts(records).add("Lan", "viewer", PASSWORD)
    records.log_turn("u1", "web", "làm khai sinh", "ask_documents", 0.9, "khai-sinh", "answered")
    response = login(gateway, "Lan")
    assert response.status_code == 200 and "Tổng quan" in response.text
    cookie = next(h for h in response.history[0].headers.get_list("set-cookie") if h.startswith("trolyao_console="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/admin" in cookie
    assert "<svg" in response.text and "khai-sinh" in response.text
    logout = gateway.client.post("/admin/logout", data={"csrf": csrf_of(response.text)}, follow_redirects=False)
    assert logout.status_code == 303
    assert gateway.client.get("/admin/dashboard", follow_redirects=False).status_code == 303


def test_post_without_csrf_is_refused(gateway: Gateway, records: RecordStore) -> None:
    Accounts(records).add("Lan", "editor", PASSWORD)
    ticket = records.create_ticket("telegram:9", "telegram", "UBND xã", "Đường hỏng", "0905123456")
    login(gateway, "Lan")
    refused = gateway.client.post(f"/admin/tickets/{ticket.code}/answer", data={"answer": "Đã sửa"})
    assert refused.status_code == 403 and "mã chống giả mạo" in refused.text
    wrong = gateway.client.post(f"/admin/tickets/{ticket.code}/answer", data={"answer": "x", "csrf": "nope"})
    assert wrong.status_code == 403
    assert records.ticket(ticket.code).status == "open"
    # The login form has its own token too.
    bare = httpx.Client(base_url=gateway.server.url, trust_env=False)
    assert bare.post("/admin/login", data={"name": "Lan", "password": PASSWORD}).status_code == 403


def test_viewer_cannot_reply_editor_can(gateway: Gateway, records: RecordStore) -> None:
    accounts = Accounts(records)
    accounts.add("Xem", "viewer", PASSWORD)
    accounts.add("Sua", "editor", PASSWORD)
    ticket = records.create_ticket("telegram:9", "telegram", "UBND xã", "Gọi 0905123456", "0905123456")
    login(gateway, "Xem")
    listing = gateway.client.get("/admin/tickets")
    assert ticket.code in listing.text and "0905123456" not in listing.text and "*******456" in listing.text
    opened = gateway.client.get(f"/admin/tickets/{ticket.code}")
    assert "0905123456" in opened.text and 'name="answer"' not in opened.text
    refused = gateway.client.post(f"/admin/tickets/{ticket.code}/answer", data={"answer": "x", "csrf": csrf_of(opened.text)})
    assert refused.status_code == 403 and "quyền biên tập" in refused.text
    gateway.client.cookies.clear()
    login(gateway, "Sua")
    opened = gateway.client.get(f"/admin/tickets/{ticket.code}")
    done = gateway.client.post(f"/admin/tickets/{ticket.code}/answer", data={"answer": "Đã sửa đường", "csrf": csrf_of(opened.text)}, follow_redirects=True)
    assert done.status_code == 200 and "Đã gửi trả lời" in done.text
    assert records.ticket(ticket.code).status == "answered"
    queued = records.undelivered("telegram:9")
    assert queued and queued[0]["text"] == f"Trả lời phản ánh {ticket.code}: Đã sửa đường"


def test_failed_logins_are_throttled(gateway: Gateway, records: RecordStore) -> None:
    Accounts(records).add("Lan", "viewer", PASSWORD)
    for _ in range(5):
        assert login(gateway, "Lan", "wrong-password").status_code == 401
    assert login(gateway, "Lan").status_code == 429  # even the right password waits


def test_session_lifetime_setting(make_gateway, rasa, records: RecordStore) -> None:  # type: ignore[no-untyped-def]
    gateway = make_gateway(rasa.url, session_hours=0.5)
    Accounts(records).add("Lan", "viewer", PASSWORD)
    response = login(gateway, "Lan")
    cookie = next(h for h in response.history[0].headers.get_list("set-cookie") if h.startswith("trolyao_console="))
    assert "Max-Age=1800" in cookie


def test_exports_and_report_download(gateway: Gateway, records: RecordStore) -> None:
    Accounts(records).add("Lan", "viewer", PASSWORD)
    records.create_ticket("web:1", "web", "UBND", "=HYPERLINK(\"x\")", "0905123456")
    records.log_turn("u1", "web", "làm khai sinh", "ask_documents", 0.9, "khai-sinh", "answered")
    login(gateway, "Lan")
    csv = gateway.client.get("/admin/tickets", params={"status": "open", "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv") and "0905123456" not in csv.text
    xlsx = gateway.client.get("/admin/bookings", params={"format": "xlsx"})
    assert xlsx.content.startswith(b"PK")
    if not (REPO_ROOT / ".venv" / "bin" / "trolyao").exists():
        pytest.skip("Rasa venv absent: no report")
    today = dt.date.today().isoformat()
    md = gateway.client.get("/admin/report", params={"from": today, "to": today, "format": "md"}, timeout=120)
    assert md.status_code == 200, md.text
    assert "| Số tin nhắn | 1 |" in md.text
    assert sys.platform  # the report ran in the Rasa venv as a subprocess
