"""Users and logins: argon2 hashes, sessions with expiry, CSRF tokens, rate limiting."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from lantian.plan import auth
from lantian.plan.errors import (
    CsrfError,
    LedgerValueError,
    LoginThrottledError,
    NotAuthenticatedError,
    NotFoundError,
)
from lantian.plan.models import LoginSession, User

from .conftest import PASSWORD

T0 = dt.datetime(2019, 5, 6, 1, 0, tzinfo=dt.UTC)


def test_passwords_are_argon2id_hashes(db):
    user = db.scalar(select(User).where(User.name == "hb"))
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert auth.verify_password(user.password_hash, PASSWORD)
    assert not auth.verify_password(user.password_hash, PASSWORD + "x")
    assert not auth.verify_password("not a hash", PASSWORD)


def test_login_gives_a_session_that_authenticates_until_it_expires(db):
    login = auth.login(db, "hb", PASSWORD, address="127.0.0.1", now=T0)
    db.commit()
    actor = auth.authenticate(db, login.token, now=T0 + dt.timedelta(minutes=20))
    assert (actor.name, actor.role) == ("hb", "reporter")
    for minutes in range(40, 8 * 60, 20):  # in use all day: the idle timeout never strikes
        auth.authenticate(db, login.token, now=T0 + dt.timedelta(minutes=minutes))
    assert actor.unit_id is not None
    stored = db.scalars(select(LoginSession)).one()
    assert login.token not in stored.token_hash  # only the digest is kept
    with pytest.raises(NotAuthenticatedError, match="已过期") as caught:
        auth.authenticate(db, login.token, now=T0 + auth.POLICY.session_lifetime)
    assert caught.value.field == "session"


def test_a_session_unused_for_the_idle_timeout_has_ended(db, monkeypatch):
    monkeypatch.setenv("LANTIAN_SESSION_IDLE_MINUTES", "10")
    from lantian.settings import settings

    settings.cache_clear()
    login = auth.login(db, "hb", PASSWORD, now=T0)
    auth.authenticate(db, login.token, now=T0 + dt.timedelta(minutes=9))
    auth.authenticate(db, login.token, now=T0 + dt.timedelta(minutes=18))  # 9 since last use
    with pytest.raises(NotAuthenticatedError, match="已过期"):
        auth.authenticate(db, login.token, now=T0 + dt.timedelta(minutes=28))


def test_a_second_login_leaves_the_first_and_logout_everywhere_ends_both(db):
    desk = auth.login(db, "hb", PASSWORD, now=T0)
    phone = auth.login(db, "hb", PASSWORD, now=T0)
    other = auth.login(db, "zj", PASSWORD, now=T0)
    auth.authenticate(db, desk.token, now=T0)  # intended: a desk and a phone at once
    assert auth.logout_everywhere(db, phone.token, now=T0) == 2
    for token in (desk.token, phone.token):
        with pytest.raises(NotAuthenticatedError):
            auth.authenticate(db, token, now=T0)
    auth.authenticate(db, other.token, now=T0)  # another user's session is untouched


def test_logout_ends_the_session(db):
    login = auth.login(db, "office", PASSWORD, now=T0)
    auth.logout(db, login.token, now=T0)
    with pytest.raises(NotAuthenticatedError):
        auth.authenticate(db, login.token, now=T0)
    with pytest.raises(NotAuthenticatedError):
        auth.authenticate(db, "forged-token", now=T0)


def test_csrf_token_is_bound_to_its_session(db):
    one = auth.login(db, "office", PASSWORD, now=T0)
    other = auth.login(db, "leader", PASSWORD, now=T0)
    auth.check_csrf(db, one.token, one.csrf_token, now=T0)
    for forged in ("", "guess", other.csrf_token):
        with pytest.raises(CsrfError) as caught:
            auth.check_csrf(db, one.token, forged, now=T0)
        assert caught.value.field == "csrf_token"


def test_wrong_password_and_unknown_name_get_the_same_answer(db):
    for name, password in (("hb", "wrong password"), ("nobody", PASSWORD)):
        with pytest.raises(NotAuthenticatedError, match="用户名或密码错误"):
            auth.login(db, name, password, now=T0)


def test_rate_limit_after_five_failures_even_with_the_right_password(db):
    for minute in range(auth.POLICY.max_failures):
        with pytest.raises(NotAuthenticatedError):
            auth.login(db, "hb", "wrong", now=T0 + dt.timedelta(minutes=minute))
    later = T0 + dt.timedelta(minutes=6)
    with pytest.raises(LoginThrottledError, match="次数过多"):
        auth.login(db, "hb", PASSWORD, now=later)
    # another user is not affected; after the window the user may log in again
    auth.login(db, "zj", PASSWORD, now=later)
    auth.login(db, "hb", PASSWORD, now=later + auth.POLICY.window)


def test_rate_limit_per_address(db):
    names = [f"guess{i}" for i in range(auth.POLICY.max_failures_per_address)]
    for name in names:
        with pytest.raises(NotAuthenticatedError):
            auth.login(db, name, "x", address="10.0.0.9", now=T0)
    with pytest.raises(LoginThrottledError):
        auth.login(db, "hb", PASSWORD, address="10.0.0.9", now=T0)
    auth.login(db, "hb", PASSWORD, address="10.0.0.10", now=T0)


def test_a_disabled_user_cannot_log_in_and_loses_sessions(db, actors):
    login = auth.login(db, "zj", PASSWORD, now=T0)
    auth.set_active(db, actors["office"], "zj", False)
    with pytest.raises(NotAuthenticatedError):
        auth.authenticate(db, login.token, now=T0)
    with pytest.raises(NotAuthenticatedError):
        auth.login(db, "zj", PASSWORD, now=T0)


@pytest.mark.parametrize(
    ("name", "role", "password", "unit", "field", "error"),
    [
        ("new", "reporter", "long enough", None, "unit", LedgerValueError),
        ("new", "reporter", "long enough", "不存在的局", "unit", NotFoundError),
        ("new", "leader", "long enough", "区环保局", "unit", LedgerValueError),
        ("new", "admin", "long enough", None, "role", LedgerValueError),
        ("new", "leader", "short", None, "password", LedgerValueError),
        ("hb", "leader", "long enough", None, "name", LedgerValueError),
        ("has space", "leader", "long enough", None, "name", LedgerValueError),
    ],
)
def test_add_user_refuses_bad_input(db, actors, name, role, password, unit, field, error):
    with pytest.raises(error) as caught:
        auth.add_user(db, actors["office"], name, role, password, unit=unit)
    assert caught.value.field == field
    assert " / " in str(caught.value)


def test_roles_accept_chinese_names(db, actors):
    user = auth.add_user(db, actors["office"], "ld2", "领导", "long enough")
    assert user.role == "leader"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("12345678", "全是数字"),
        ("5201314520", "全是数字"),
        ("password", "过于常见"),
        ("Password2024!", "过于常见"),  # a listed one with digits and a symbol after it
        ("woaini1314", "过于常见"),
        ("abababab", "重复"),
        ("yangguang-2019", "用户名"),
        ("阳光-yangguang", "用户名"),
    ],
)
def test_weak_passwords_are_refused(db, actors, password, reason):
    with pytest.raises(LedgerValueError, match=reason) as caught:
        auth.add_user(db, actors["office"], "yangguang", "leader", password)
    assert caught.value.field == "password"
    with pytest.raises(LedgerValueError, match=reason):
        auth.set_password(db, actors["office"], "office", password.replace("yangguang", "office"))


def test_the_common_list_ships_with_the_package():
    common = auth.common_passwords()
    assert {"password", "qwertyuiop", "woaini1314"} <= common
    assert all(word == word.lower() and not word.startswith("#") for word in common)
