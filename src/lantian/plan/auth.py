"""Users, passwords and logins: argon2 hashes, session tokens with expiry, CSRF tokens and login
rate limiting. The web layer calls :func:`login`, :func:`authenticate`, :func:`check_csrf` and
:func:`logout`; the command line calls :func:`add_user` and :func:`list_users`.

A session token is shown once, to the browser; the ledger keeps only its SHA-256. A session ends at
``session_lifetime`` after login, after ``LANTIAN_SESSION_IDLE_MINUTES`` without a request, at
logout, or when its user logs out everywhere; a second login opens a second session on purpose (a
reporter at a desk and on a phone) and leaves the first one valid.

Logins are limited so that guessing is slow, for any interleaving of concurrent requests, and so
that an attacker cannot lock the real user out (issue #11, items 1, 2, 6, 7):

* **The attempt is recorded before the password is checked**, as a failure, and committed; it
  becomes a success only if the check passes. Every count below therefore sees every attempt whose
  check may already be running: of N simultaneous attempts, the last to count sees the other N − 1,
  so no more than the limit are ever checked, on SQLite and PostgreSQL alike.
* **Back-off per (name, address)**: after ``free_failures`` failures of a name from an address,
  that pair must wait 1, 2, 4, … s (doubling per failure, at most ``window``) after its last failure.
* **Per name**: with ``max_failures`` failures of a name in ``window`` (since its last success), the
  name is refused *from every address that has failed on it*, even with the right password; an
  address with no failure on it (the real user's) may still log in. So five wrong passwords from
  five addresses no longer lock the user out, and an attacker gets at most one guess per fresh
  address per window.
* **Per address**: ``max_failures_per_address`` failures from one address in ``window`` refuse it
  for every name. A success forgives that address's failures only on the name that succeeded, so
  the attacker's own account does not reset the count.
* An unknown or disabled name is checked against a dummy argon2 hash, so it answers as slowly as a
  known one, with the same message.

Passwords must have ``min_password_length`` characters and must not be all digits, one or two
characters repeated, one of the common passwords shipped in ``data/common-passwords.txt`` (also with
digits or symbols after it), or contain the user's name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from lantian.plan.access import Actor, require
from lantian.plan.audit import act
from lantian.plan.errors import (
    CsrfError,
    LedgerValueError,
    LoginThrottledError,
    NotAuthenticatedError,
    NotFoundError,
)
from lantian.plan.models import LoginAttempt, LoginSession, Unit, User
from lantian.plan.vocabulary import code
from lantian.settings import settings
from lantian.throttle import back_off
from lantian.times import utc_now


@dataclass(frozen=True)
class LoginPolicy:
    """How long a session lasts and how many failed logins are allowed in a window."""

    session_lifetime: dt.timedelta = dt.timedelta(hours=8)
    max_failures: int = 5
    max_failures_per_address: int = 20
    window: dt.timedelta = dt.timedelta(minutes=15)
    free_failures: int = 3
    """Failures of a (name, address) pair before its back-off starts."""
    min_password_length: int = 8
    touch_every: dt.timedelta = dt.timedelta(minutes=1)
    """How often a session's ``last_seen_at`` is written (not on every request)."""

    @property
    def idle_timeout(self) -> dt.timedelta:
        """A session unused this long has ended (``LANTIAN_SESSION_IDLE_MINUTES``)."""
        return dt.timedelta(minutes=settings().session_idle_minutes)


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


@cache
def common_passwords() -> frozenset[str]:
    """The common passwords refused (``data/common-passwords.txt``), lower case."""
    text = resources.files("lantian.plan").joinpath("data", "common-passwords.txt").read_text()
    lines = (line.strip().lower() for line in text.splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


_TRAILING = re.compile(r"[\d\W_]+$")


def _weakness(password: str, names: tuple[str, ...]) -> tuple[str, str] | None:
    """Why ``password`` is refused (Chinese, English), or None."""
    lower = password.lower()
    if len(password) < POLICY.min_password_length:
        n = POLICY.min_password_length
        return f"密码至少 {n} 个字符", f"the password needs at least {n} characters"
    if password.isdigit():
        return "密码不能全是数字", "the password must not be all digits"
    if len(set(lower)) <= 2:
        return "密码不能是一两个字符的重复", "the password must not repeat one or two characters"
    common = common_passwords()
    if lower in common or _TRAILING.sub("", lower) in common:
        return "密码过于常见，请另选", "the password is too common; choose another"
    for name in names:
        if name and len(name) >= 3 and name.lower() in lower:
            return "密码不能包含用户名", "the password must not contain the user's name"
    return None


def _check_password(password: str, *names: str | None) -> None:
    weakness = _weakness(password, tuple(n for n in names if n))
    if weakness is not None:
        raise LedgerValueError(*weakness, "password")


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
    _check_password(password, name, display_name)
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
    _check_password(password, user.name, user.display_name)
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
            login_session.revoked_at = login_session.revoked_at or utc_now()
    db.flush()


def _since(now: dt.datetime) -> dt.datetime:
    return now - POLICY.window


def _failed(*conditions) -> int:
    return select(func.count()).where(~LoginAttempt.succeeded, *conditions)


def _last_success(*conditions):
    return select(func.max(LoginAttempt.at)).where(LoginAttempt.succeeded, *conditions)


@dataclass(frozen=True)
class _Counts:
    """The failures that decide an attempt (each leaves out the attempt itself)."""

    name: int
    pair: int
    address: int
    last_pair_failure: dt.datetime | None


def _counts(db: Session, attempt: LoginAttempt, now: dt.datetime) -> _Counts:
    other = LoginAttempt.id != attempt.id
    in_window = LoginAttempt.at > _since(now)
    of_name = LoginAttempt.name == attempt.name
    of_pair = and_(of_name, LoginAttempt.address == attempt.address)
    name_start = max(_since(now), db.scalar(_last_success(of_name)) or _since(now))
    pair_start = max(_since(now), db.scalar(_last_success(of_pair)) or _since(now))
    name = db.scalar(_failed(other, of_name, LoginAttempt.at > name_start))
    pair = db.scalar(_failed(other, of_pair, LoginAttempt.at > pair_start))
    last_pair = db.scalar(
        select(func.max(LoginAttempt.at)).where(other, of_pair, ~LoginAttempt.succeeded, in_window)
    )
    # an address's failure is forgiven only by a later success of the same name from it
    later = aliased(LoginAttempt)
    forgiven = (
        select(later.id)
        .where(
            later.succeeded,
            later.address == LoginAttempt.address,
            later.name == LoginAttempt.name,
            later.at >= LoginAttempt.at,
        )
        .exists()
    )
    address = db.scalar(
        _failed(other, LoginAttempt.address == attempt.address, in_window, ~forgiven)
    )
    return _Counts(name, pair, address, last_pair)


def _back_off(failures: int) -> dt.timedelta:
    """The wait after the last failure of a (name, address) pair with ``failures`` failures."""
    return back_off(failures, POLICY.free_failures, POLICY.window)


def _throttled(counts: _Counts, now: dt.datetime) -> dt.timedelta | None:
    """How long the attempt must wait (None: it may go on)."""
    if counts.address >= POLICY.max_failures_per_address:
        return POLICY.window
    if counts.name >= POLICY.max_failures and counts.pair > 0:
        return POLICY.window
    if counts.last_pair_failure is not None:
        wait = counts.last_pair_failure + _back_off(counts.pair) - now
        if wait > dt.timedelta(0):
            return wait
    return None


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash(secrets.token_urlsafe(16))


def login(
    db: Session,
    name: str,
    password: str,
    address: str | None = None,
    now: dt.datetime | None = None,
) -> Login:
    """Check ``name`` and ``password`` and open a session; every attempt is recorded, before
    the password is checked (see the module for the limits). Commits ``db``.

    Raises :class:`LoginThrottledError` (its ``retry_after`` in seconds) when the attempt must wait,
    even if the password is right; :class:`NotAuthenticatedError` on a wrong name, password or a
    disabled user (one message for all three, after the same argon2 work).
    """
    now = now or utc_now()
    attempt = LoginAttempt(
        name=name[:64], address=(address or "unknown")[:64], at=now, succeeded=False
    )
    db.add(attempt)
    db.commit()  # visible to every concurrent attempt before any password is checked
    wait = _throttled(_counts(db, attempt, now), now)
    if wait is not None:
        seconds = max(1, int(wait.total_seconds() + 0.999))
        error = LoginThrottledError(
            f"登录失败次数过多，请 {_duration_zh(seconds)}后再试",
            f"too many failed logins; try again in {seconds} s",
            "name",
        )
        error.retry_after = seconds
        raise error
    user = db.scalar(select(User).where(User.name == name))
    known = user is not None and user.active
    checked = verify_password(user.password_hash if known else _dummy_hash(HASHER), password)
    if not (known and checked):
        raise NotAuthenticatedError("用户名或密码错误", "wrong name or password", "password")
    attempt.succeeded = True
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = now + POLICY.session_lifetime
    db.add(
        LoginSession(
            token_hash=_digest(token),
            csrf_token=csrf,
            user=user,
            created_at=now,
            last_seen_at=now,
            expires_at=expires,
        )
    )
    db.commit()
    return Login(token=token, csrf_token=csrf, expires_at=expires, actor=actor_of(user))


def _duration_zh(seconds: int) -> str:
    return f"{seconds} 秒" if seconds < 120 else f"{(seconds + 59) // 60} 分钟"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _session(db: Session, token: str, now: dt.datetime) -> LoginSession:
    found = db.scalar(select(LoginSession).where(LoginSession.token_hash == _digest(token or "")))
    if found is None or found.revoked_at is not None:
        raise NotAuthenticatedError("未登录或会话已结束", "not logged in", "session")
    last_seen = found.last_seen_at or found.created_at
    if now >= found.expires_at or now - last_seen >= POLICY.idle_timeout:
        raise NotAuthenticatedError("会话已过期，请重新登录", "the session has expired", "session")
    if not found.user.active:
        raise NotAuthenticatedError("用户已停用", "the user is disabled", "session")
    if now - last_seen >= min(POLICY.touch_every, POLICY.idle_timeout / 4):
        found.last_seen_at = now
        db.flush()
    return found


def authenticate(db: Session, token: str, now: dt.datetime | None = None) -> Actor:
    """The actor of a live session token; :class:`NotAuthenticatedError` if none."""
    return actor_of(_session(db, token, now or utc_now()).user)


def check_csrf(db: Session, token: str, csrf_token: str, now: dt.datetime | None = None) -> None:
    """Raise :class:`CsrfError` unless ``csrf_token`` is the CSRF token of session ``token``."""
    found = _session(db, token, now or utc_now())
    if not hmac.compare_digest(found.csrf_token, csrf_token or ""):
        raise CsrfError(
            "表单缺少有效的防伪令牌（CSRF）", "missing or wrong CSRF token", "csrf_token"
        )


def logout(db: Session, token: str, now: dt.datetime | None = None) -> None:
    """End session ``token`` (no error if it has already ended)."""
    found = db.scalar(select(LoginSession).where(LoginSession.token_hash == _digest(token or "")))
    if found is not None and found.revoked_at is None:
        found.revoked_at = now or utc_now()
        db.flush()


def logout_everywhere(db: Session, token: str, now: dt.datetime | None = None) -> int:
    """End every live session of the user of session ``token`` (this one too); how many."""
    now = now or utc_now()
    user_id = _session(db, token, now).user_id
    ended = 0
    for found in db.scalars(
        select(LoginSession).where(
            LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None)
        )
    ):
        found.revoked_at = now
        ended += 1
    db.flush()
    return ended
