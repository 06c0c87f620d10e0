"""The grid layout of month files, the migration of older long-layout stores, streamed imports."""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lantian.assess.grid import daily_grids, hour_grids
from lantian.demo import HUNAN_2019, demo_file
from lantian.ingest.cnemc import read_measurements
from lantian.ingest.schema import MEASUREMENT_SCHEMA
from lantian.standards import BASIC_POLLUTANTS, daily_mean, mda8
from lantian.store import MeasurementStore
from lantian.store.layout import MonthGrid, long_rows
from lantian.store.staging import STAGING

from .conftest import extract_days, state

KILLS = int(os.environ.get("LANTIAN_TEST_KILLS", "8"))


def long_layout_copy(store: MeasurementStore, folder: Path) -> MeasurementStore:
    """A copy of ``store`` whose month files are in the older long layout (measured rows only,
    sorted by station, pollutant and time, no layout metadata), as stores written before the grid
    layout hold them."""
    shutil.copytree(store.root, folder)
    copy = MeasurementStore(folder)
    for path in copy.files():
        pq.write_table(long_rows(pq.read_table(path)), path, compression="lz4")
    assert all(MonthGrid.of_file(path) is None for path in copy.files())
    return copy


def test_month_files_hold_every_hour_in_station_pollutant_order(hunan_store):
    for path in hunan_store.files():
        layout = MonthGrid.of_file(path)
        table = pq.read_table(path, columns=["station_code", "pollutant", "ts"])
        assert layout.stations == sorted(layout.stations)
        assert table.num_rows == len(layout.stations) * len(layout.pollutants) * layout.hours
        shape = (len(layout.stations), len(layout.pollutants), layout.hours)
        codes = np.asarray(table.column("station_code").to_pylist()).reshape(shape)
        assert (codes == np.asarray(layout.stations)[:, None, None]).all()
        pollutants = np.asarray(table.column("pollutant").to_pylist()).reshape(shape)
        assert (pollutants == np.asarray(layout.pollutants)[None, :, None]).all()
        hours = table.column("ts").to_numpy().astype("datetime64[h]").astype(np.int64)
        assert (hours.reshape(shape) == layout.first_hour + np.arange(layout.hours)).all()


def test_the_one_hour_grid_builder_lays_reader_rows_where_the_store_reads_them(hunan_store):
    """``assess.grid.hour_grids`` (a reader's rows, for tests and benches) and the store's grid
    reads place the same rows on the same cells: both go through ``store.layout.grid_positions``
    (issue #12 item 5: the hour-grid builder once; it was written four times)."""
    table, _ = read_measurements(demo_file(HUNAN_2019))
    first, last = dt.date(2019, 2, 27), dt.date(2019, 3, 31)
    stations, stored = hunan_store.read_hourly_grid(first, last, ["PM2.5", "O3"])
    laid = hour_grids(table, stations, first, last, column="pollutant", keys=["PM2.5", "O3"])
    for pollutant in ("PM2.5", "O3"):
        valid = np.isfinite(stored[pollutant])  # the store's QC may invalidate a few values
        np.testing.assert_array_equal(laid[pollutant].values[valid], stored[pollutant][valid])
        assert valid.sum() > 0.95 * np.isfinite(laid[pollutant].values).sum() > 50_000


def test_grid_reads_equal_the_long_layout_scatter_on_the_real_hunan_year(hunan_store, tmp_path):
    old = long_layout_copy(hunan_store, tmp_path / "long")
    first, last = dt.date(2019, 1, 1), dt.date(2019, 12, 31)
    pollutants = list(BASIC_POLLUTANTS)
    stations, grids = hunan_store.read_hourly_grid(first, last, pollutants)
    old_stations, old_grids = old.read_hourly_grid(first, last, pollutants)
    assert stations == old_stations
    assert len(stations) > 70
    for pollutant in pollutants:
        np.testing.assert_array_equal(grids[pollutant], old_grids[pollutant])
        assert np.isfinite(grids[pollutant]).sum() > 400_000
    # a part of the period and a few stations, one of them unknown
    some = ["2478A", "NONE", "1001A"]
    start, stop = dt.date(2019, 2, 27), dt.date(2019, 3, 2)
    for store in (hunan_store, old):
        codes, part = store.read_hourly_grid(start, stop, ["PM2.5", "O3"], some)
        assert codes == some
        assert np.isnan(part["PM2.5"][1]).all()
        offset = (start - first).days * 24
        np.testing.assert_array_equal(
            part["PM2.5"][0], grids["PM2.5"][stations.index("2478A"), offset : offset + 4 * 24]
        )
    assert state(old) == state(hunan_store)


def test_daily_grids_month_by_month_equal_the_whole_year_computation(hunan_store):
    first, last = dt.date(2019, 1, 1), dt.date(2019, 12, 31)
    stations, grids = hunan_store.read_hourly_grid(first, last, list(BASIC_POLLUTANTS))
    daily = daily_grids(hunan_store, first, last, "HJ663-2013")
    assert daily.stations == stations
    for pollutant in BASIC_POLLUTANTS:
        expected = daily_mean(grids[pollutant], "HJ663-2013")[0]
        np.testing.assert_allclose(daily.means[pollutant], expected, rtol=1e-12)
    np.testing.assert_allclose(daily.mda8, mda8(grids["O3"], "HJ663-2013")[0], rtol=1e-12)
    assert np.isfinite(daily.mda8).sum() > 25_000


@pytest.fixture(scope="module")
def weeks(tmp_path_factory) -> MeasurementStore:
    """Three real weeks around a month boundary (January and February 2019)."""
    root = tmp_path_factory.mktemp("weeks")
    folder = extract_days(root / "jan", 20, 31)[0].parent
    extract_days(folder, 1, 9, month="201902")
    table, metadata = read_measurements(folder)
    store = MeasurementStore(root / "store")
    store.import_measurements(table, files=list(metadata["files"]))
    return store


def test_migrate_rewrites_long_files_keeping_every_value_and_flag(weeks, tmp_path):
    old = long_layout_copy(weeks, tmp_path / "long")
    before = state(old)
    with old.connect() as connection:
        flags = connection.sql("SELECT sum(flag), count(*) FILTER (NOT valid) FROM measurements")
        flags = flags.fetchall()
    assert old.migrate() == len(old.files()) == 2  # January and February
    assert all(MonthGrid.of_file(path) is not None for path in old.files())
    assert state(old) == before == state(weeks)
    with old.connect() as connection:
        assert (
            connection.sql(
                "SELECT sum(flag), count(*) FILTER (NOT valid) FROM measurements"
            ).fetchall()
            == flags
        )
    assert old.migrate() == 0


def _migrate(home: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "lantian", "--home", str(home), "store", "migrate"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_migration_killed_at_random_moments_leaves_a_valid_store(weeks, tmp_path):
    base = tmp_path / "base"
    old = long_layout_copy(weeks, base / "measurements")
    before = state(old)
    started = time.perf_counter()
    reference = tmp_path / "reference"
    shutil.copytree(base, reference)
    assert _migrate(reference).wait() == 0
    duration = time.perf_counter() - started
    rng = random.Random(20191231)
    outcomes = set()
    for attempt in range(KILLS):
        home = tmp_path / f"home{attempt}"
        shutil.copytree(base, home)
        process = _migrate(home)
        time.sleep(rng.uniform(0, duration))
        process.send_signal(signal.SIGKILL)
        process.wait()
        store = MeasurementStore(home / "measurements")
        assert state(store) == before  # every listed file is there and reads the same values
        layouts = {MonthGrid.of_file(path) is None for path in store.files()}
        assert len(layouts) == 1, "a migration commits all months at once"
        outcomes.add("before" if layouts == {True} else "after")
        assert _migrate(home).wait() == 0  # the next run finishes the job
        assert state(store) == before
        assert all(MonthGrid.of_file(path) is not None for path in store.files())
    assert outcomes  # which of the two was seen depends on the timing


def test_a_streamed_import_equals_one_table_and_drops_a_discarded_input(tmp_path):
    folder = tmp_path / "days"
    extract_days(folder, 20, 31)
    extract_days(folder, 1, 9, month="201902")
    table, metadata = read_measurements(folder)
    streamed = MeasurementStore(tmp_path / "streamed")
    batches = [table.slice(start, 50_000) for start in range(0, table.num_rows, 50_000)]
    random.Random(7).shuffle(batches)  # in any order: each month is merged once all is read
    with streamed.importing() as session:
        for n, batch in enumerate(batches):
            session.add(batch, tag=f"batch {n}")
        session.add(table.slice(0, 1000), tag="unreadable later")
        assert (streamed.root / STAGING).exists()  # spilled to disk after the first table
        session.discard("unreadable later")
        summary = session.commit(files=list(metadata["files"]))
    assert not (streamed.root / STAGING).exists()
    assert summary.added == table.num_rows
    whole = MeasurementStore(tmp_path / "whole")
    whole.import_measurements(table, files=list(metadata["files"]))
    assert state(streamed) == state(whole)


def test_staging_of_a_killed_import_is_removed_by_the_next_writer(tmp_path):
    store = MeasurementStore(tmp_path / "store")
    (store.root / STAGING / "killed").mkdir(parents=True)
    (store.root / STAGING / "killed" / "2019-01-0.arrow").write_bytes(b"half")
    store.put_stations(pa.table({"station_code": ["2477A"]}))
    assert not (store.root / STAGING).exists()


def test_a_month_with_every_hour_measured_is_read(tmp_path):
    """A month file without a single empty hour (its ``value`` column has no null, so Arrow hands
    out its own read-only buffer) is read as a grid; it raised "assignment destination is
    read-only" (found with issue #12's constructed 2026 store). Values constructed, not measured."""
    store = MeasurementStore(tmp_path / "store")
    hours = np.datetime64("2026-02-01T01:00", "s") + np.arange(28 * 24) * np.timedelta64(3600, "s")
    n = len(hours)
    table = pa.table(
        {
            "station_code": ["9999A"] * n,
            "ts": pa.array(hours),
            "pollutant": ["PM2.5"] * n,
            "value": 30.0 + np.arange(n) % 24,
            "source": pa.array(["constructed"] * n).dictionary_encode(),
            "line": pa.array(np.arange(n) + 2, pa.int32()),
        }
    ).cast(MEASUREMENT_SCHEMA)
    store.import_measurements(table, files=["constructed"], check_stations=False)
    stations, grids = store.read_hourly_grid(dt.date(2026, 2, 1), dt.date(2026, 2, 28), ["PM2.5"])
    assert stations == ["9999A"]
    np.testing.assert_array_equal(grids["PM2.5"][0], 30.0 + np.arange(n) % 24)
