"""The measurement store: idempotent imports, replacements with their log, atomic commits."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from lantian.ingest.cnemc import read_measurements
from lantian.store import MeasurementStore

from .conftest import change_cells, extract_days, state


def _import(store: MeasurementStore, path: Path):
    table, metadata = read_measurements(path)
    return store.import_measurements(table, files=list(metadata["files"]))


def test_first_import_adds_every_present_value(tmp_path, january):
    store = MeasurementStore(tmp_path / "store")
    summary = _import(store, january)
    table, _ = read_measurements(january)
    assert summary.added == table.num_rows > 90_000
    assert (summary.unchanged, summary.replaced, summary.rejected) == (0, 0, [])
    assert store.read().num_rows == table.num_rows


def test_importing_the_same_data_three_times_changes_nothing(tmp_path, january):
    store = MeasurementStore(tmp_path / "store")
    _import(store, january)
    before = state(store)
    files_before = sorted(store.files())
    for _ in range(2):
        summary = _import(store, january)
        assert (summary.added, summary.replaced) == (0, 0)
        assert summary.unchanged > 90_000
    assert state(store) == before
    assert sorted(store.files()) == files_before  # no measurement file was rewritten


def test_the_next_import_removes_what_a_killed_writer_left(tmp_path, january):
    """A writer killed mid-write leaves a half-written ``*.parquet.tmp`` and unlisted Parquet;
    the next import (under the writer lock) removes both and keeps every listed file."""
    store = MeasurementStore(tmp_path / "store")
    _import(store, january)
    listed = sorted(store.files())
    month = store.root / "data" / "month=2019-01"
    (month / "part-v9-dead.parquet.tmp").write_bytes(b"PAR1 half")
    shutil.copy(store.root / listed[0], month / "part-v9-orphan.parquet")
    before = state(store)
    _import(store, january)
    assert state(store) == before
    assert sorted(p.name for p in month.iterdir()) == sorted(
        Path(f).name for f in listed if "month=2019-01" in f
    )


def test_a_changed_value_replaces_the_stored_one_and_is_logged(tmp_path, january):
    store = MeasurementStore(tmp_path / "store")
    _import(store, january)
    corrected = tmp_path / "corrected"
    shutil.copytree(january, corrected)
    assert change_cells(corrected / "china_sites_20190105.csv", "PM2.5", "777", limit=3) == 3
    summary = _import(store, corrected)
    assert (summary.added, summary.replaced) == (0, 3)
    with store.connect() as connection:
        log = connection.sql(
            "SELECT station_code, pollutant, old_value, new_value, new_source FROM replacements"
        ).fetchall()
        stored = connection.sql("SELECT count(*) FROM measurements WHERE value = 777").fetchall()
    assert len(log) == 3
    assert all(p == "PM2.5" and new == 777 and old != 777 for _, p, old, new, _ in log)
    assert all(source.endswith("china_sites_20190105.csv") for *_, source in log)
    assert stored == [(3,)]


def test_overlapping_import_adds_only_the_new_hours(tmp_path):
    store = MeasurementStore(tmp_path / "store")
    _import(store, extract_days(tmp_path / "a", 1, 6)[0].parent)
    extract_days(tmp_path / "b", 4, 9)
    summary = _import(store, tmp_path / "b")
    table, _ = read_measurements(tmp_path / "b")
    assert summary.added + summary.unchanged == table.num_rows
    assert summary.unchanged > 0
    assert summary.added > 0
    assert summary.replaced == 0


def test_conflicting_duplicates_are_rejected_with_file_and_line(tmp_path, january):
    store = MeasurementStore(tmp_path / "store")
    twin = tmp_path / "twin"
    twin.mkdir()
    source = january / "china_sites_20190103.csv"
    (twin / "china_sites_20190103.csv").write_bytes(source.read_bytes())
    copy = twin / "copy_china_sites_20190103.csv"
    copy.write_bytes(source.read_bytes())
    change_cells(copy, "SO2", "99", limit=1)
    summary = _import(store, twin)
    assert {r.reason for r in summary.rejected} == {"duplicate"}
    assert len(summary.rejected) == 2
    assert all(r.line > 1 and r.field == "value" for r in summary.rejected)


def test_rows_of_unknown_stations_are_rejected_when_a_registry_exists(tmp_path, january):
    import pyarrow as pa

    store = MeasurementStore(tmp_path / "store")
    store.put_stations(pa.table({"station_code": ["2477A", "2478A"], "city": ["永州", "永州"]}))
    summary = _import(store, january)
    assert summary.added > 0
    assert {r.reason for r in summary.rejected} == {"unknown_station"}
    assert set(store.read().column("station_code").to_pylist()) == {"2477A", "2478A"}


def test_files_are_open_parquet_that_any_reader_can_use(tmp_path, january):
    store = MeasurementStore(tmp_path / "store")
    _import(store, january)
    table = pq.read_table(tmp_path / "store" / "data")  # plain pyarrow, hive partitions, no Lantian
    assert {"station_code", "ts", "pollutant", "value", "flag", "valid", "month"} <= set(
        table.column_names
    )
    # the grid layout: every hour of every (station, pollutant) of the month, null where unmeasured
    measured = table.filter(pc.is_valid(table.column("value")))
    assert measured.num_rows == store.read().num_rows
    for path, days in zip(store.files(), (31, 31), strict=True):  # 2019-01-01 00:00 is December's
        month = pq.read_table(path)
        stations = len(pc.unique(month.column("station_code")))
        pollutants = len(pc.unique(month.column("pollutant")))
        assert month.num_rows == stations * pollutants * days * 24
    assert not pc.any(table.filter(pc.is_null(table.column("value"))).column("valid")).as_py()


def test_read_filters_by_station_pollutant_and_time(tmp_path, january):
    store = MeasurementStore(tmp_path / "store")
    _import(store, january)
    rows = store.read(
        stations=["2478A"],
        pollutants=["PM2.5"],
        start=dt.datetime(2019, 1, 2, 0),
        end=dt.datetime(2019, 1, 3, 0),
    )
    assert set(rows.column("station_code").to_pylist()) == {"2478A"}
    assert len(rows) <= 24
    assert min(rows.column("ts").to_pylist()) > dt.datetime(2019, 1, 2, 0)


def test_readers_see_the_state_before_or_after_an_import_never_a_mix(tmp_path, january):
    store = MeasurementStore(tmp_path / "store")
    _import(store, january)
    before = store.read().num_rows
    extract_days(tmp_path / "more", 11, 20)
    table, metadata = read_measurements(tmp_path / "more")
    after = before + table.num_rows
    seen: set[int] = set()
    stop = threading.Event()

    def read_continuously() -> None:
        while not stop.is_set():
            seen.add(store.read().num_rows)

    reader = threading.Thread(target=read_continuously)
    reader.start()
    try:
        store.import_measurements(table, files=list(metadata["files"]))
    finally:
        stop.set()
        reader.join()
    assert seen <= {before, after}
    assert store.read().num_rows == after


@pytest.mark.parametrize("pollutant", ["CO"])
def test_qc_flags_are_stored_beside_values_and_invalid_values_are_kept(
    tmp_path, january, pollutant
):
    corrupted = tmp_path / "corrupted"
    shutil.copytree(january, corrupted)
    change_cells(
        corrupted / "china_sites_20190102.csv", pollutant, "800", limit=2
    )  # µg/m³ given for mg/m³
    store = MeasurementStore(tmp_path / "store")
    summary = _import(store, corrupted)
    assert summary.flagged.get("co_unit") == 2
    with store.connect() as connection:
        rows = connection.sql(
            "SELECT value, valid FROM measurements WHERE pollutant = 'CO' AND value = 800"
        ).fetchall()
    assert rows == [(800.0, False), (800.0, False)]
