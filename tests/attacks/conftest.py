"""Fixtures of the attack tests (issue #11): a real ``lantian serve`` subprocess on a free loopback
port over a home with the demo store (the bundled real 2019 Hunan data, built as ``tests/web``
builds it) and a seeded SQLite ledger (the model plan and a user of each role, as
``tests/web_ledger`` seeds it). The server trusts 127.0.0.1 as its reverse proxy, so each test's
clients have addresses of their own (``X-Forwarded-For``) and the login limits of one test do not
reach the next. Each attack is sent over a real socket; nothing is called in-process.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.attacking import client, logged_in, new_address, running, server_env
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


@pytest.fixture(scope="module")
def home(tmp_path_factory, web_home) -> Path:
    return attack_home(tmp_path_factory.mktemp("attacked") / "home", web_home)


@pytest.fixture(scope="module")
def server(home) -> Iterator[str]:
    """The base URL of a server for this module's attacks (127.0.0.1 its trusted proxy)."""
    with running(home, server_env(LANTIAN_TRUSTED_PROXIES="127.0.0.1")) as base:
        yield base


@pytest.fixture
def visitor(server) -> Iterator[callable]:
    """``visitor(name=None)``: a new HTTP client of the server with an address of its own,
    logged in as ``name`` if given (``client.csrf``: the session's CSRF token)."""
    clients: list[httpx.Client] = []

    def make(name: str | None = None) -> httpx.Client:
        address = new_address()
        made = client(server, address) if name is None else logged_in(server, name, address)
        clients.append(made)
        return made

    yield make
    for made in clients:
        made.close()
