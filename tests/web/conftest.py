"""A Lantian home holding the real 2019 Hunan data, built once, and the app over it.

Browser tests are marked ``browser`` (registered here) and need Debian's Chromium
(``scripts/browser`` installs it); they skip, saying why, when it is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lantian.demo import CONTROL_POINTS_HUNAN, HUNAN_2019, STATION_LIST, demo_file
from lantian.ingest.cnemc import read_measurements
from lantian.store import MeasurementStore
from lantian.store.registry import registry_from_station_list
from lantian.web import create_app


@pytest.fixture(scope="session")
def web_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """LANTIAN_HOME with the demo store (the reference station list and the 2019 Hunan year)."""
    home = tmp_path_factory.mktemp("web-home")
    store = MeasurementStore(home / "measurements")
    store.put_stations(
        registry_from_station_list(demo_file(STATION_LIST), demo_file(CONTROL_POINTS_HUNAN))
    )
    table, metadata = read_measurements(demo_file(HUNAN_2019))
    store.import_measurements(table, files=list(metadata["files"]))
    return home


@pytest.fixture(scope="session")
def web_store(web_home: Path) -> MeasurementStore:
    return MeasurementStore(web_home / "measurements")


@pytest.fixture(scope="session")
def client(web_home: Path) -> TestClient:
    """The app over the demo store, without the background warm-up (tests time it themselves)."""
    with TestClient(create_app(web_home / "measurements", warm_up=False)) as test_client:
        yield test_client
