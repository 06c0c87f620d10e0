"""A store holding the real 2019 Hunan data (registry with control points), built once; and a test
that cannot find a reference-data file fails with the one line naming it and the setting."""

from __future__ import annotations

import os
import tempfile

# No test reads or writes the user's own home (~/.local/share/lantian): a ledger left there by
# another checkout, at another migration, broke tests that fell back to it. Tests that need a
# home make their own; this one catches the rest (subprocesses inherit it).
os.environ.setdefault("LANTIAN_HOME", tempfile.mkdtemp(prefix="lantian-test-home-"))

import pytest
from hypothesis import settings

from lantian.demo import (
    CONTROL_POINTS_HUNAN,
    HUNAN_2019,
    STATION_LIST,
    MissingReferenceDataError,
    demo_file,
)
from lantian.ingest.cnemc import read_measurements
from lantian.store import MeasurementStore
from lantian.store.registry import registry_from_station_list

# CI runs the same examples every time (hypothesis' advice for CI: a submission must not fail on
# a new random draw); developers' runs keep drawing new ones, and what they find becomes a test.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def hunan_store(tmp_path_factory) -> MeasurementStore:
    store = MeasurementStore(tmp_path_factory.mktemp("hunan") / "measurements")
    store.put_stations(
        registry_from_station_list(demo_file(STATION_LIST), demo_file(CONTROL_POINTS_HUNAN))
    )
    table, metadata = read_measurements(demo_file(HUNAN_2019))
    store.import_measurements(table, files=list(metadata["files"]))
    return store


def _one_line():
    try:
        return (yield)
    except MissingReferenceDataError as error:
        missing = str(error)
    pytest.fail(missing, pytrace=False)  # outside the except: no traceback, no chained exception


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    return (yield from _one_line())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    return (yield from _one_line())
