"""A store holding the real 2019 Hunan data (registry with control points), built once."""

from __future__ import annotations

import pytest

from lantian.demo import CONTROL_POINTS_HUNAN, HUNAN_2019, STATION_LIST, demo_file
from lantian.ingest.cnemc import read_measurements
from lantian.store import MeasurementStore
from lantian.store.registry import registry_from_station_list


@pytest.fixture(scope="session")
def hunan_store(tmp_path_factory) -> MeasurementStore:
    store = MeasurementStore(tmp_path_factory.mktemp("hunan") / "measurements")
    store.put_stations(
        registry_from_station_list(demo_file(STATION_LIST), demo_file(CONTROL_POINTS_HUNAN))
    )
    table, metadata = read_measurements(demo_file(HUNAN_2019))
    store.import_measurements(table, files=list(metadata["files"]))
    return store
