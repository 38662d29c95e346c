"""Officers' console accounts and sessions.

Passwords are kept as salted scrypt hashes (``hashlib.scrypt``), never in plain text. A session
is a random token in the officer's cookie; the store keeps only its SHA-256, with the session's
CSRF token and its expiry, so that a copy of the database does not let anyone log in.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from tthc.records.repository import RecordStore
from tthc.records.schema import console_sessions, officers

ROLES = ("viewer", "editor")
MIN_PASSWORD = 8
# scrypt cost: about 50 ms and 16 MiB per check; stored with the hash so it can be raised later.
_N, _R, _P = 2**14, 8, 1


class AccountError(ValueError):
    """A name, role or password that cannot be used (message in Vietnamese)."""


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    encode = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${encode(salt).decode()}${encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


# A dummy hash to check against when the name is unknown: the answer takes as long either way.
_DUMMY = hash_password(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Officer:
    name: str
    role: str

    @property
    def can_edit(self) -> bool:
        return self.role == "editor"


@dataclass(frozen=True)
class Session:
    officer: Officer
    csrf: str
    expires_at: dt.datetime


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Accounts:
    def __init__(self, store: RecordStore) -> None:
        self.engine = store.engine

    # --- accounts ------------------------------------------------------------------------------
    def add(self, name: str, role: str, password: str) -> Officer:
        """Create an officer, or set the role and password of an existing one."""
        name = name.strip()
        if not name or len(name) > 80:
            raise AccountError("Tên cán bộ phải có từ 1 đến 80 ký tự.")
        if role not in ROLES:
            raise AccountError(f"Vai trò phải là một trong: {', '.join(ROLES)}.")
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự.")
        values = dict(role=role, password_hash=hash_password(password), disabled_at=None)
        with self.engine.begin() as db:
            exists = db.execute(sa.select(officers.c.name).where(officers.c.name == name)).first()
            if exists:
                db.execute(officers.update().where(officers.c.name == name).values(**values))
                db.execute(console_sessions.delete().where(console_sessions.c.officer == name))
            else:
                db.execute(officers.insert().values(name=name, created_at=_now(), **values))
        return Officer(name, role)

    def disable(self, name: str) -> bool:
        with self.engine.begin() as db:
            result = db.execute(officers.update().where(officers.c.name == name).values(disabled_at=_now()))
            db.execute(console_sessions.delete().where(console_sessions.c.officer == name))
        return result.rowcount == 1

    def list(self) -> list[dict]:
        with self.engine.connect() as db:
            rows = db.execute(sa.select(officers.c.name, officers.c.role, officers.c.created_at,
                                        officers.c.disabled_at).order_by(officers.c.name)).mappings().all()  # fmt: skip
        return [dict(r) for r in rows]

    def check(self, name: str, password: str) -> Officer | None:
        """The officer if the name and password match an active account."""
        with self.engine.connect() as db:
            row = db.execute(sa.select(officers).where(officers.c.name == name.strip())).mappings().first()
        if row is None or row["disabled_at"] is not None:
            verify_password(password, _DUMMY)
            return None
        return Officer(row["name"], row["role"]) if verify_password(password, row["password_hash"]) else None

    # --- sessions ------------------------------------------------------------------------------
    def start_session(self, officer: Officer, lifetime: dt.timedelta) -> tuple[str, Session]:
        """A new session: (the cookie's token, the session)."""
        token, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), _now()
        with self.engine.begin() as db:
            db.execute(console_sessions.delete().where(console_sessions.c.expires_at < now))
            db.execute(console_sessions.insert().values(token_hash=_token_hash(token), officer=officer.name, csrf=csrf,
                                                        created_at=now, expires_at=now + lifetime))  # fmt: skip
        return token, Session(officer, csrf, now + lifetime)

    def session(self, token: str, now: dt.datetime | None = None) -> Session | None:
        """The live session of a cookie's token; None when unknown, expired or the account is off."""
        if not token:
            return None
        query = (sa.select(console_sessions.c.csrf, console_sessions.c.expires_at, officers.c.name, officers.c.role,
                           officers.c.disabled_at)
                 .select_from(console_sessions.join(officers, officers.c.name == console_sessions.c.officer))
                 .where(console_sessions.c.token_hash == _token_hash(token)))  # fmt: skip
        with self.engine.connect() as db:
            row = db.execute(query).mappings().first()
        if row is None or row["disabled_at"] is not None or (now or _now()) >= row["expires_at"]:
            return None
        return Session(Officer(row["name"], row["role"]), row["csrf"], row["expires_at"])

    def end_session(self, token: str) -> None:
        with self.engine.begin() as db:
            db.execute(console_sessions.delete().where(console_sessions.c.token_hash == _token_hash(token)))
