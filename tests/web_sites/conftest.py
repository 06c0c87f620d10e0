"""A real ``lantian serve`` over a home with the example registry, constructed minute frames of
two simulated dust monitors (模拟数据) in the 12 hours before now and their scanned alarms
(``helpers``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from lantian.times import beijing_now
from tests.attacking import running, server_env
from tests.web_sites.helpers import live_start, seed_home, write_minutes


def live_home(home: Path, start: dt.datetime | None = None) -> Path:
    """A seeded home with 12 constructed hours from ``start`` (default: ending before now)."""
    url = seed_home(home)
    write_minutes(home, url, start or live_start(beijing_now()), hours=12)
    return home


@pytest.fixture(scope="module")
def sites_start() -> dt.datetime:
    """The first constructed hour of ``sites_home`` (Beijing)."""
    return live_start(beijing_now())


@pytest.fixture(scope="module")
def sites_home(tmp_path_factory, sites_start) -> Path:
    return live_home(tmp_path_factory.mktemp("sites") / "home", sites_start)


@pytest.fixture(scope="module")
def sites_server(sites_home) -> Iterator[str]:
    env = server_env(
        LANTIAN_ALARM_RULES=str(sites_home / "rules.toml"), LANTIAN_TRUSTED_PROXIES="127.0.0.1"
    )
    with running(sites_home, env) as base:
        yield base
