"""Logging officers in and out of the console; who is asking, and may they.

A session is a random token in an HttpOnly, SameSite=Strict cookie (Secure over https); the
store keeps its hash, its CSRF token and its expiry (TROLYAO_SESSION_HOURS). Every POST must
carry the session's CSRF token (the login form a token of its own, from a cookie). Failed logins
are counted per address: after MAX_FAILURES in WINDOW the address waits.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from connectors.records import call
from tthc.records import RecordStore
from tthc.records.accounts import Accounts, Session

logger = logging.getLogger(__name__)
audit = logging.getLogger("connectors.admin.audit")

SESSION_COOKIE = "trolyao_console"
LOGIN_COOKIE = "trolyao_console_login"
MAX_FAILURES = 5
WINDOW_S = 15 * 60
MAX_FORM = 64 * 1024


class ConsoleRefusal(Exception):
    """Answer with an error page (403 CSRF or role, 404, 429, 503)."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


class LoginRequired(Exception):
    """No live session: go to the login page."""


class LoginThrottle:
    """Failed logins per client address, forgotten after the window."""

    def __init__(self, max_failures: int = MAX_FAILURES, window_s: float = WINDOW_S) -> None:
        self.max_failures, self.window_s = max_failures, window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, address: str, now: float) -> deque[float]:
        failures = self._failures[address]
        while failures and now - failures[0] > self.window_s:
            failures.popleft()
        return failures

    def blocked(self, address: str, now: float | None = None) -> bool:
        return len(self._recent(address, now or time.monotonic())) >= self.max_failures

    def failed(self, address: str, now: float | None = None) -> None:
        now = now or time.monotonic()
        self._recent(address, now).append(now)

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)


@dataclass(frozen=True)
class Form:
    fields: dict[str, str]

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default)


def store_of(request: Request) -> RecordStore:
    store = getattr(request.app.state, "records", None)
    if store is None:
        raise ConsoleRefusal(503, "Chưa mở được kho dữ liệu; hãy thử lại sau hoặc báo quản trị hệ thống.")
    return store


def address(request: Request) -> str:
    return request.client.host if request.client else "?"


async def read_form(request: Request) -> Form:
    """The URL-encoded body of a POST (no multipart: the console's forms never upload files)."""
    body = await request.body()
    if len(body) > MAX_FORM:
        raise ConsoleRefusal(413, "Nội dung gửi lên quá dài.")
    parsed = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return Form({key: values[-1] for key, values in parsed.items()})


async def current(request: Request) -> Session:
    """The logged-in officer's session, or LoginRequired."""
    token = request.cookies.get(SESSION_COOKIE, "")
    session = await call(Accounts(store_of(request)).session, token) if token else None
    if session is None:
        raise LoginRequired()
    return session


async def posted(request: Request, editor: bool = False) -> tuple[Session, Form]:
    """A POST from a logged-in officer with the session's CSRF token (and the editor role)."""
    session = await current(request)
    form = await read_form(request)
    if not hmac.compare_digest(form.get("csrf").encode(), session.csrf.encode()):
        logger.warning("console: POST %s without a valid CSRF token refused (%s)", request.url.path, address(request))
        raise ConsoleRefusal(403, "Phiên làm việc không hợp lệ (thiếu mã chống giả mạo). Hãy tải lại trang.")
    if editor:
        require_editor(session)
    return session, form


def require_editor(session: Session) -> None:
    if not session.officer.can_edit:
        raise ConsoleRefusal(403, "Tài khoản của bạn chỉ có quyền xem; việc này cần quyền biên tập.")


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/admin", httponly=True, samesite="strict", secure=_secure(request)
    )


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


async def log_in(request: Request, form: Form) -> Response | str:
    """Check the login form: a redirect with the session cookie, or the error to show."""
    throttle: LoginThrottle = request.app.state.console_throttle
    client = address(request)
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(form.get("csrf").encode(), expected.encode()):
        raise ConsoleRefusal(403, "Phiên đăng nhập không hợp lệ. Hãy tải lại trang đăng nhập.")
    if throttle.blocked(client):
        logger.warning("console: login from %s refused, too many failures", client)
        raise ConsoleRefusal(429, "Đăng nhập sai quá nhiều lần. Hãy thử lại sau 15 phút.")
    accounts = Accounts(store_of(request))
    officer = await call(accounts.check, form.get("name")[:80], form.get("password")[:200])
    if officer is None:
        throttle.failed(client)
        audit.warning("console: failed login for %r from %s", form.get("name")[:80], client)
        return "Tên đăng nhập hoặc mật khẩu không đúng."
    throttle.succeeded(client)
    lifetime = request.app.state.settings.session_lifetime
    token, _ = await call(accounts.start_session, officer, lifetime)
    audit.info("console: %r logged in from %s", officer.name, client)
    response = RedirectResponse("/admin/dashboard", status_code=303)
    set_cookie(request, response, SESSION_COOKIE, token, int(lifetime.total_seconds()))
    response.delete_cookie(LOGIN_COOKIE, path="/admin")
    return response


async def log_out(request: Request) -> Response:
    session, _ = await posted(request)
    await call(Accounts(store_of(request)).end_session, request.cookies.get(SESSION_COOKIE, ""))
    await call(store_of(request).end_duty, session.officer.name)  # nobody answers chats from here now
    audit.info("console: %r logged out", session.officer.name)
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/admin")
    return response
