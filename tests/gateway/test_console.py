"""The officers' console without a browser: passwords, sessions, CSRF (on every POST route),
roles, throttling, lists, the report download, the FAQ answer edit. Issues #7 and #14."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from conftest import REPO_ROOT, Gateway
from starlette.routing import Mount

from tthc import clock
from tthc.content import check_content
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
    done = subprocess.run(
        [str(cli), "officers", "add", "Minh", "--role", "editor"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env={"TROLYAO_DB_URL": records_db, "PATH": "/usr/bin"},
    )
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
    assert "<svg" in response.text
    # Charts name procedures and intents in Vietnamese, never by their codes (issue #13).
    assert "Đăng ký khai sinh" in response.text and "Hỏi hồ sơ, giấy tờ" in response.text
    assert "khai-sinh" not in response.text and "ask_documents" not in response.text
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
    refused = gateway.client.post(
        f"/admin/tickets/{ticket.code}/answer", data={"answer": "x", "csrf": csrf_of(opened.text)}
    )
    assert refused.status_code == 403 and "quyền biên tập" in refused.text
    gateway.client.cookies.clear()
    login(gateway, "Sua")
    opened = gateway.client.get(f"/admin/tickets/{ticket.code}")
    done = gateway.client.post(
        f"/admin/tickets/{ticket.code}/answer",
        data={"answer": "Đã sửa đường", "csrf": csrf_of(opened.text)},
        follow_redirects=True,
    )
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


def test_exports_and_report_download(
    gateway: Gateway, records: RecordStore, records_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    Accounts(records).add("Lan", "viewer", PASSWORD)
    records.create_ticket("web:1", "web", "UBND", '=HYPERLINK("x")', "0905123456")
    records.log_turn("u1", "web", "làm khai sinh", "ask_documents", 0.9, "khai-sinh", "answered")
    login(gateway, "Lan")
    csv = gateway.client.get("/admin/tickets", params={"status": "open", "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv") and "0905123456" not in csv.text
    xlsx = gateway.client.get("/admin/bookings", params={"format": "xlsx"})
    assert xlsx.content.startswith(b"PK")
    if not (REPO_ROOT / ".venv" / "bin" / "trolyao").exists():
        pytest.skip("Rasa venv absent: no report")
    started: list[tuple[tuple[str, ...], dict[str, str]]] = []
    real_exec = asyncio.create_subprocess_exec

    async def spy(*argv: str, **kwargs: Any) -> asyncio.subprocess.Process:
        started.append((tuple(map(str, argv)), dict(kwargs.get("env") or {})))
        return await real_exec(*argv, **kwargs)

    monkeypatch.setattr(asyncio, "create_subprocess_exec", spy)
    # the report's days are the deployment's (Asia/Ho_Chi_Minh): after 17:00 UTC it is already tomorrow
    today = clock.today(gateway.settings.timezone).isoformat()
    md = gateway.client.get("/admin/report", params={"from": today, "to": today, "format": "md"}, timeout=120)
    assert md.status_code == 200, md.text
    assert "| Số tin nhắn | 1 |" in md.text
    # The report ran as a subprocess: the Rasa venv's `trolyao report`, on the gateway's own
    # records store, locality and content.
    [(argv, env)] = started
    assert Path(argv[0]) == REPO_ROOT / ".venv" / "bin" / "trolyao" and argv[1] == "report", argv
    options = dict(zip(argv[2::2], argv[3::2]))
    assert options["--db"] == records_db and options["--locality"] == gateway.settings.locality
    assert (options["--from"], options["--to"], options["--format"]) == (today, today, "md")
    assert env["TROLYAO_CONTENT_DIR"] == str(gateway.settings.content_dir)


# --- content: the FAQ edit route, and CSRF on every POST route --------------------------------


@pytest.fixture
def editable(make_gateway: Any, rasa: Any, tmp_path: Path) -> tuple[Gateway, Path]:
    """A gateway on its own copy of the real content, which its console may change."""
    content = tmp_path / "editable-content"
    shutil.copytree(REPO_ROOT / "content", content, ignore=shutil.ignore_patterns("README.md"))
    return make_gateway(rasa.url, content_dir=content, locality="da-nang"), content


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def faqs_of(content: Path, slug: str) -> list[dict[str, Any]]:
    return yaml.safe_load((content / "procedures" / f"{slug}.yml").read_text(encoding="utf-8"))["faqs"]


def test_faq_answer_edit_refuses_bad_input_and_writes_good_input(
    editable: tuple[Gateway, Path], records: RecordStore
) -> None:
    gateway, content = editable
    accounts = Accounts(records)
    accounts.add("Xem", "viewer", PASSWORD)
    accounts.add("Sua", "editor", PASSWORD)
    old_faqs = faqs_of(content, "khai-sinh")
    before = snapshot(content)

    login(gateway, "Xem")
    viewer_page = gateway.client.get("/admin/content/khai-sinh")
    assert 'action="/admin/content/khai-sinh/faq/1"' not in viewer_page.text
    edit = "/admin/content/khai-sinh/faq/1"
    refused = gateway.client.post(edit, data={"csrf": csrf_of(viewer_page.text), "answer": "Trả lời mới."})
    assert refused.status_code == 403 and "quyền biên tập" in refused.text
    assert snapshot(content) == before

    gateway.client.cookies.clear()
    login(gateway, "Sua")
    page = gateway.client.get("/admin/content/khai-sinh")
    assert page.status_code == 200 and 'action="/admin/content/khai-sinh/faq/1"' in page.text
    csrf = csrf_of(page.text)
    bad = [  # (slug, FAQ number, answer, what the officer is told)
        ("khai-sinh", 1, "   ", "Câu trả lời đang trống."),
        ("khai-sinh", 99, "Nộp tại UBND cấp xã.", "Thủ tục khai-sinh không có câu hỏi thường gặp số 99."),
        ("khai-sinh", 0, "Nộp tại UBND cấp xã.", "không có câu hỏi thường gặp số 0"),
        ("khong-co-thu-tuc", 1, "Nộp tại UBND cấp xã.", "Không có thủ tục 'khong-co-thu-tuc'."),
        # Valid YAML, but the content check refuses it: the answer is never written.
        ("khai-sinh", 1, "Nộp hồ sơ tại UBND cấp huyện.", "nhắc đến cấp huyện"),
    ]
    for slug, number, answer, message in bad:
        response = gateway.client.post(f"/admin/content/{slug}/faq/{number}", data={"csrf": csrf, "answer": answer})
        assert response.status_code == 422, (slug, number, answer, response.status_code)
        text = html.unescape(response.text)
        assert "Chưa lưu được" in text and message in text, (message, text[-1500:])
        assert snapshot(content) == before, f"{slug} {number} {answer!r} changed the content"
    checked = html.unescape(gateway.client.post(edit, data={"csrf": csrf, "answer": "UBND huyện"}).text)
    assert re.search(r"procedures/khai-sinh\.yml:\d+:\d+", checked), "the check's error names the file and line"

    answer = "Nộp tại UBND cấp xã nơi cư trú của cha hoặc mẹ; có kết quả trong ngày."
    saved = gateway.client.post(edit, data={"csrf": csrf, "answer": answer}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/admin/content/khai-sinh?saved=1#faq-1"
    after = snapshot(content)
    assert {name for name in after if after[name] != before.get(name)} == {"procedures/khai-sinh.yml"}
    assert set(after) == set(before)
    assert faqs_of(content, "khai-sinh") == [{**old_faqs[0], "answer": answer}, *old_faqs[1:]]
    assert check_content(content).ok
    shown = html.unescape(gateway.client.get(saved.headers["location"]).text)
    assert "Đã lưu" in shown and answer in shown


PATH_VALUES = {"slug": "khai-sinh", "number": "1", "handoff_id": "1"}  # {code}: the test's ticket
KNOWN_POST_ROUTES = {
    "/admin/login",
    "/admin/logout",
    "/admin/tickets/{code}/answer",
    "/admin/unanswered/promote",
    "/admin/content/{slug}/faq/{number}",
    "/admin/catalogue/{code}/promote",
    "/admin/handoffs/duty",
    "/admin/handoffs/{handoff_id}/reply",
    "/admin/handoffs/{handoff_id}/close",
}


def flat_routes(routes: list[Any]) -> list[Any]:
    """The app's routes, those of included routers among them (FastAPI >= 0.165 includes them
    lazily: ``app.routes`` then holds one entry per included router)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes is flat already
        return list(routes)
    return list(iter_route_contexts(routes))


def console_post_routes(routes: list[Any], prefix: str = "") -> list[str]:
    """Every POST route of the console (the officers' pages; /admin/api has Bearer tokens)."""
    found: list[str] = []
    for route in flat_routes(routes):
        path = prefix + (getattr(route, "path", None) or "")
        if isinstance(getattr(route, "original_route", route), Mount):
            found += console_post_routes(route.routes, path)
        elif "POST" in (getattr(route, "methods", None) or ()) and re.match(r"/admin(?!/api)(/|$)", path):
            found.append(path)
    return sorted(found)


def test_every_console_post_route_refuses_a_missing_or_wrong_csrf_token(
    editable: tuple[Gateway, Path], records: RecordStore
) -> None:
    gateway, content = editable
    Accounts(records).add("Sua", "editor", PASSWORD)
    routes = console_post_routes(gateway.app.routes)
    assert set(routes) >= KNOWN_POST_ROUTES, routes  # the enumeration sees the routes
    today = dt.date.today().isoformat()
    form = {"name": "Sua", "password": PASSWORD, "answer": "Câu trả lời thử nghiệm.", "slug": "khai-sinh", "faq": "1",
            "question": "câu hỏi thử nghiệm mới", "from": today, "to": today}  # fmt: skip
    for route in routes:
        ticket = records.create_ticket("telegram:9", "telegram", "UBND xã", "Đường hỏng", "0905123456")
        names = re.findall(r"{(\w+)[^}]*}", route)
        values = {**PATH_VALUES, "code": ticket.code}
        assert set(names) <= set(values), f"{route}: add a value for {set(names) - set(values)} to PATH_VALUES"
        path = re.sub(r"{(\w+)[^}]*}", lambda m, known=values: known[m.group(1)], route)
        gateway.client.cookies.clear()
        dashboard = login(gateway, "Sua")
        session_token = csrf_of(dashboard.text)
        login_token = csrf_of(gateway.client.get("/admin/login").text)  # the login form's cookie and token
        right, other = (login_token, session_token) if route == "/admin/login" else (session_token, login_token)
        before = snapshot(content)
        for label, token in (("no token", None), ("a forged token", "forged-token"), ("the other form's token", other)):
            data = form if token is None else {**form, "csrf": token}
            refused = gateway.client.post(path, data=data, follow_redirects=False)
            where = f"POST {route} with {label}"
            assert refused.status_code == 403, f"{where}: {refused.status_code} {refused.text[-300:]}"
            assert "không hợp lệ" in html.unescape(refused.text), where
            assert not any(c.startswith("trolyao_console=") for c in refused.headers.get_list("set-cookie")), where
            assert snapshot(content) == before, f"{where}: the content changed"
            assert records.ticket(ticket.code).status == "open", f"{where}: the ticket was answered"
            still_in = gateway.client.get("/admin/dashboard", follow_redirects=False)
            assert still_in.status_code == 200, f"{where}: logged out"
        # The same request with the right token is not refused: the 403s above were the CSRF check.
        accepted = gateway.client.post(path, data={**form, "csrf": right}, follow_redirects=False)
        assert accepted.status_code not in (401, 403), f"POST {route} with the right token: {accepted.status_code}"
