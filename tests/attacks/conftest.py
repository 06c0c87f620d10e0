"""Fixtures of the attack tests (issue #11): a real ``lantian serve`` subprocess on a free loopback
port over a home with the demo store (the bundled real 2019 Hunan data, built as ``tests/web``
builds it) and a seeded SQLite ledger (the model plan and a user of each role, as
``tests/web_ledger`` seeds it), and HTTP clients that log in through the login form as a browser
does. Each attack is sent over a real socket; nothing is called in-process.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.browsing import serving, wait_until_answers
from tests.ledger_users import PASSWORD
from tests.web import conftest as web_conftest
from tests.web_ledger.conftest import seed_ledger

web_home = web_conftest.web_home  # the demo store, built once per session


def attack_home(folder: Path, web_home: Path) -> Path:
    """A home of its own whose ``measurements`` is the demo store (read only by the server) and
    whose ledger is freshly seeded."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "measurements").symlink_to(web_home / "measurements")
    seed_ledger(f"sqlite:///{folder / 'plan.sqlite3'}")
    return folder


def server_env(**extra: str) -> dict[str, str]:
    """The environment of a test server: no inherited ledger URL, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k != "LANTIAN_DATABASE_URL"}
    return {**env, **extra}


def start(home: Path, env: dict[str, str]):
    """``lantian serve`` over ``home`` once it answers: a context of (base URL, process)."""
    context = serving(home, env)
    base, process = context.__enter__()
    try:
        wait_until_answers(base, "/ledger/login", process, home / "serve.log")
    except BaseException:
        context.__exit__(None, None, None)
        raise
    return context, base, process


@pytest.fixture(scope="module")
def server(tmp_path_factory, web_home) -> Iterator[str]:
    """The base URL of a server for this module's attacks."""
    home = attack_home(tmp_path_factory.mktemp("attacked") / "home", web_home)
    context, base, _ = start(home, server_env())
    try:
        yield base
    finally:
        context.__exit__(None, None, None)


def login_token(client: httpx.Client) -> str:
    """Open the login form (its cookie is set on ``client``) and return its CSRF token."""
    page = client.get("/ledger/login")
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def post_login(client: httpx.Client, name: str, password: str = PASSWORD, **headers: str):
    """Log in through the form as a browser does; the response (303 on success)."""
    token = login_token(client)
    return client.post(
        "/ledger/login",
        data={"name": name, "password": password, "csrf_token": token},
        headers=headers,
    )


@pytest.fixture
def visitor(server) -> Iterator[callable]:
    """``visitor(name=None)``: a new HTTP client of the server, logged in as ``name`` if given;
    its ``csrf`` attribute is the session's CSRF token."""
    clients = []

    def make(name: str | None = None) -> httpx.Client:
        client = httpx.Client(base_url=server, timeout=60, follow_redirects=False)
        clients.append(client)
        client.csrf = ""
        if name is not None:
            response = post_login(client, name)
            assert response.status_code == 303, response.text
            client.csrf = client.cookies["lantian_csrf"]
        return client

    yield make
    for client in clients:
        client.close()
