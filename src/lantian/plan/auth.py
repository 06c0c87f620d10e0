"""Users, passwords and logins: argon2 hashes, session tokens with expiry, CSRF tokens and login
rate limiting. The web layer calls :func:`login`, :func:`authenticate`, :func:`check_csrf` and
:func:`logout`; the command line calls :func:`add_user` and :func:`list_users`.

A session token is shown once, to the browser; the ledger keeps only its SHA-256. Login is refused
for a name (or an address) with ``max_failures`` failed attempts inside ``window`` — even with the
right password — so guessing is slow; every attempt is recorded in ``login_attempts``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lantian.plan.access import Actor, require
from lantian.plan.audit import act
from lantian.plan.errors import (
    CsrfError,
    LedgerValueError,
    LoginThrottledError,
    NotAuthenticatedError,
    NotFoundError,
)
from lantian.plan.models import LoginAttempt, LoginSession, Unit, User, utcnow
from lantian.plan.vocabulary import code


@dataclass(frozen=True)
class LoginPolicy:
    """How long a session lasts and how many failed logins are allowed in a window."""

    session_lifetime: dt.timedelta = dt.timedelta(hours=8)
    max_failures: int = 5
    max_failures_per_address: int = 20
    window: dt.timedelta = dt.timedelta(minutes=15)
    min_password_length: int = 8


POLICY = LoginPolicy()
HASHER = PasswordHasher()
"""argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile); tests swap in a cheaper one."""

_NAME = re.compile(r"^[\w.@-]{1,64}$")


@dataclass(frozen=True)
class Login:
    """A new session: the bearer ``token`` (give it to the browser once), its CSRF token, expiry."""

    token: str
    csrf_token: str
    expires_at: dt.datetime
    actor: Actor


def actor_of(user: User) -> Actor:
    """The :class:`Actor` a user acts as."""
    return Actor(id=user.id, name=user.name, role=user.role, unit_id=user.unit_id)


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (PHC string, salt included)."""
    return HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``."""
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _check_password(password: str) -> None:
    if len(password) < POLICY.min_password_length:
        raise LedgerValueError(
            f"密码至少 {POLICY.min_password_length} 个字符",
            f"the password needs at least {POLICY.min_password_length} characters",
            "password",
        )


def add_user(
    db: Session,
    actor: Actor,
    name: str,
    role: str,
    password: str,
    unit: str | None = None,
    display_name: str | None = None,
) -> User:
    """Add a user; a reporter must be bound to one existing unit, others to none."""
    require(actor, "user.manage")
    act(db, actor)
    if not _NAME.match(name or ""):
        raise LedgerValueError(
            "用户名须为1–64个字母、数字、汉字或 . _ @ -",
            "the name must be 1–64 letters, digits, . _ @ or -",
            "name",
        )
    role = code("role", role, "role")
    _check_password(password)
    if db.scalar(select(User).where(User.name == name)) is not None:
        raise LedgerValueError(f"用户“{name}”已存在", f"user {name!r} exists", "name")
    unit_row = None
    if role == "reporter":
        if not unit:
            raise LedgerValueError(
                "责任单位填报员须绑定一个单位", "a reporter must be bound to a unit", "unit"
            )
        unit_row = db.scalar(select(Unit).where(Unit.name == unit))
        if unit_row is None:
            raise NotFoundError(f"没有单位“{unit}”", f"no unit {unit!r}", "unit")
    elif unit:
        raise LedgerValueError(
            "只有责任单位填报员绑定单位", "only a reporter is bound to a unit", "unit"
        )
    user = User(
        name=name,
        display_name=display_name,
        role=role,
        unit=unit_row,
        password_hash=hash_password(password),
    )
    db.add(user)
    db.flush()
    return user


def list_users(db: Session, actor: Actor) -> list[dict]:
    """Every user as plain data (no hashes)."""
    require(actor, "user.manage")
    users = db.scalars(select(User).order_by(User.name))
    return [
        {
            "name": u.name,
            "display_name": u.display_name,
            "role": u.role,
            "unit": u.unit.name if u.unit else None,
            "active": u.active,
            "created_at": u.created_at.isoformat(timespec="seconds"),
        }
        for u in users
    ]


def set_password(db: Session, actor: Actor, name: str, password: str) -> None:
    """Set a user's password: the office for anyone, a user for themself."""
    user = db.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFoundError(f"没有用户“{name}”", f"no user {name!r}", "name")
    if actor.id != user.id:
        require(actor, "user.manage")
    act(db, actor)
    _check_password(password)
    user.password_hash = hash_password(password)
    db.flush()


def set_active(db: Session, actor: Actor, name: str, active: bool) -> None:
    """Enable or disable a user; disabling also ends their sessions."""
    require(actor, "user.manage")
    act(db, actor)
    user = db.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFoundError(f"没有用户“{name}”", f"no user {name!r}", "name")
    user.active = active
    if not active:
        for login_session in db.scalars(
            select(LoginSession).where(LoginSession.user_id == user.id)
        ):
            login_session.revoked_at = login_session.revoked_at or utcnow()
    db.flush()


def _failures(db: Session, column, value: str, since: dt.datetime) -> int:
    last_success = db.scalar(
        select(func.max(LoginAttempt.at)).where(column == value, LoginAttempt.succeeded)
    )
    start = max(since, last_success) if last_success else since
    return db.scalar(
        select(func.count()).where(
            column == value, ~LoginAttempt.succeeded, LoginAttempt.at > start
        )
    )


def login(
    db: Session,
    name: str,
    password: str,
    address: str | None = None,
    now: dt.datetime | None = None,
) -> Login:
    """Check ``name`` and ``password`` and open a session; every attempt is recorded.

    Raises :class:`LoginThrottledError` when the name or the address has had too many failures in
    the window (even if the password is right), :class:`NotAuthenticatedError` on a wrong name,
    password or a disabled user (one message for all three).
    """
    now = now or utcnow()
    since = now - POLICY.window
    name_failures = _failures(db, LoginAttempt.name, name, since)
    address_failures = _failures(db, LoginAttempt.address, address, since) if address else 0
    if name_failures >= POLICY.max_failures or address_failures >= POLICY.max_failures_per_address:
        db.add(LoginAttempt(name=name, address=address, at=now, succeeded=False))
        db.flush()
        minutes = int(POLICY.window.total_seconds() // 60)
        raise LoginThrottledError(
            f"登录失败次数过多，请 {minutes} 分钟后再试",
            f"too many failed logins; try again in {minutes} minutes",
            "name",
        )
    user = db.scalar(select(User).where(User.name == name))
    ok = user is not None and user.active and verify_password(user.password_hash, password)
    db.add(LoginAttempt(name=name, address=address, at=now, succeeded=ok))
    db.flush()
    if not ok:
        raise NotAuthenticatedError("用户名或密码错误", "wrong name or password", "password")
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = now + POLICY.session_lifetime
    db.add(
        LoginSession(
            token_hash=_digest(token),
            csrf_token=csrf,
            user=user,
            created_at=now,
            expires_at=expires,
        )
    )
    db.flush()
    return Login(token=token, csrf_token=csrf, expires_at=expires, actor=actor_of(user))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _session(db: Session, token: str, now: dt.datetime) -> LoginSession:
    found = db.scalar(select(LoginSession).where(LoginSession.token_hash == _digest(token or "")))
    if found is None or found.revoked_at is not None:
        raise NotAuthenticatedError("未登录或会话已结束", "not logged in", "session")
    if now >= found.expires_at:
        raise NotAuthenticatedError("会话已过期，请重新登录", "the session has expired", "session")
    if not found.user.active:
        raise NotAuthenticatedError("用户已停用", "the user is disabled", "session")
    return found


def authenticate(db: Session, token: str, now: dt.datetime | None = None) -> Actor:
    """The actor of a live session token; :class:`NotAuthenticatedError` if none."""
    return actor_of(_session(db, token, now or utcnow()).user)


def check_csrf(db: Session, token: str, csrf_token: str, now: dt.datetime | None = None) -> None:
    """Raise :class:`CsrfError` unless ``csrf_token`` is the CSRF token of session ``token``."""
    found = _session(db, token, now or utcnow())
    if not hmac.compare_digest(found.csrf_token, csrf_token or ""):
        raise CsrfError(
            "表单缺少有效的防伪令牌（CSRF）", "missing or wrong CSRF token", "csrf_token"
        )


def logout(db: Session, token: str, now: dt.datetime | None = None) -> None:
    """End session ``token`` (no error if it has already ended)."""
    found = db.scalar(select(LoginSession).where(LoginSession.token_hash == _digest(token or "")))
    if found is not None and found.revoked_at is None:
        found.revoked_at = now or utcnow()
        db.flush()
