"""What the attack tests share (issue #11): a real ``lantian serve`` subprocess started and
awaited, and HTTP clients that log in through the login form as a browser does — optionally as a
client behind a trusted proxy (``X-Forwarded-For``), so that each simulated attacker or user has
an address of its own."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.browsing import serving, wait_until_answers
from tests.ledger_users import PASSWORD

_addresses = itertools.count(1)


def new_address() -> str:
    """A client address not used before in this test session (TEST-NET-2, 198.51.100.0/24…)."""
    n = next(_addresses)
    return f"198.51.{100 + n // 250}.{n % 250 + 1}"


def server_env(**extra: str) -> dict[str, str]:
    """The environment of a test server: no inherited ledger URL, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k != "LANTIAN_DATABASE_URL"}
    return {**env, **extra}


@contextmanager
def running(home: Path, env: dict[str, str]) -> Iterator[str]:
    """``lantian serve`` over ``home`` with ``env``, once it answers: its base URL (the process
    is ``running.process``)."""
    with serving(home, env) as (base, process):
        wait_until_answers(base, "/ledger/login", process, home / "serve.log")
        running.process = process
        yield base


def client(base: str, address: str | None = None) -> httpx.Client:
    """An HTTP client of the server; with ``address``, every request says it is forwarded for it
    (believed only by a server that trusts 127.0.0.1 as its proxy)."""
    headers = {"X-Forwarded-For": address} if address else {}
    return httpx.Client(base_url=base, timeout=60, follow_redirects=False, headers=headers)


def login_token(http: httpx.Client) -> str:
    """Open the login form (its cookie is set on ``http``) and return its CSRF token."""
    page = http.get("/ledger/login")
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def post_login(http: httpx.Client, name: str, password: str = PASSWORD, token: str | None = None):
    """Post the login form as a browser does (``token``: one fetched before); the response."""
    token = token or login_token(http)
    return http.post(
        "/ledger/login", data={"name": name, "password": password, "csrf_token": token}
    )


def logged_in(base: str, name: str, address: str | None = None) -> httpx.Client:
    """A client logged in as ``name``; its ``csrf`` attribute is the session's CSRF token."""
    http = client(base, address)
    response = post_login(http, name)
    assert response.status_code == 303, response.text
    http.csrf = http.cookies["lantian_csrf"]
    return http
