"""Who is asking: the ledger's engine, the session cookie, the CSRF check of every form.

The browser holds the session token in an HttpOnly, SameSite=Lax cookie (``lantian_session``,
path ``/ledger``); the ledger keeps only its hash (:mod:`lantian.plan.auth`). The session's CSRF
token is kept in a second HttpOnly cookie (``lantian_csrf``) only to write it into the pages' forms;
a form is accepted only if the token it carries is the session's own, checked against the ledger by
:func:`lantian.plan.auth.check_csrf`. The login form, which has no session yet, carries a token
that must equal its own cookie (``lantian_login_csrf``, SameSite=Strict).
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Callable

from fastapi import Request, Response
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from lantian.plan import auth
from lantian.plan.access import Actor
from lantian.plan.errors import CsrfError, NotAuthenticatedError

PREFIX = "/ledger"
SESSION_PATH = "/"
"""The session's cookies go to the whole site: the ledger's pages and the API routes that act on
the ledger (``/api/v1/cases``). The login form's cookie stays under :data:`PREFIX`."""
SESSION_COOKIE = "lantian_session"
CSRF_COOKIE = "lantian_csrf"
LOGIN_CSRF_COOKIE = "lantian_login_csrf"


class LedgerOpener:
    """Opens the ledger (migrating its schema) on its first use, once per app.

    The public pages never touch the ledger, so an app that serves only them creates no database.
    """

    def __init__(self, open_engine: Callable[[], Engine]):
        self._open = open_engine
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = self._open()
            return self._engine


def ledger_engine(request: Request) -> Engine:
    """The app's ledger engine (``app.state.ledger``)."""
    return request.app.state.ledger.engine()


def session_token(request: Request) -> str:
    return request.cookies.get(SESSION_COOKIE, "")


def reader(db: Session, request: Request) -> Actor:
    """The logged-in actor of a request; :class:`NotAuthenticatedError` without a live session."""
    token = session_token(request)
    if not token:
        raise NotAuthenticatedError("请先登录", "please log in", "session")
    return auth.authenticate(db, token)


def writer(db: Session, request: Request, csrf_token: str) -> Actor:
    """The actor of a form post: a live session, and the form's CSRF token is the session's."""
    actor = reader(db, request)
    auth.check_csrf(db, session_token(request), csrf_token)
    return actor


def form_csrf(request: Request) -> str:
    """The CSRF token to write into the forms of a page."""
    return request.cookies.get(CSRF_COOKIE, "")


def _cookie(response: Response, request: Request, name: str, value: str, **options) -> None:
    response.set_cookie(
        name,
        value,
        path=options.pop("path", SESSION_PATH),
        httponly=True,
        secure=request.url.scheme == "https",
        **{"samesite": "lax", **options},
    )


def start_session(response: Response, request: Request, login: auth.Login) -> None:
    """Give the browser its session token and the session's CSRF token (both HttpOnly)."""
    age = int(auth.POLICY.session_lifetime.total_seconds())
    _cookie(response, request, SESSION_COOKIE, login.token, max_age=age)
    _cookie(response, request, CSRF_COOKIE, login.csrf_token, max_age=age)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=PREFIX)


def end_session(response: Response) -> None:
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path=SESSION_PATH)
        response.delete_cookie(name, path=PREFIX)  # as set by Lantian before the API used them


def new_login_csrf() -> str:
    """A fresh token for the login form (set as its cookie by :func:`set_login_csrf`)."""
    return secrets.token_urlsafe(32)


def set_login_csrf(response: Response, request: Request, token: str) -> None:
    """The login form's token as its cookie (double submit; SameSite=Strict)."""
    _cookie(
        response, request, LOGIN_CSRF_COOKIE, token, samesite="strict", max_age=3600, path=PREFIX
    )


def check_login_csrf(request: Request, csrf_token: str) -> None:
    """Refuse a login form whose token is not its cookie's."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, csrf_token or ""):
        raise CsrfError(
            "表单缺少有效的防伪令牌（CSRF），请刷新页面后重试",
            "missing or wrong CSRF token; reload the page",
            "csrf_token",
        )


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None
