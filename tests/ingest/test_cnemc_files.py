"""The CNEMC station-file reader on real files: national days (cut), the Hunan year.

Expected values are read from the files with Python's ``csv`` module, not with the reader under test.
Source: CNEMC real-time release as mirrored (src/lantian/demo/README.md), read from the reference
data at run time. The cut national days are made here, in a temporary folder, from
``cnemc/china_sites_2019_national_3days.zip``: ``date,hour,type`` and the first 30 station columns
(1001A … 1030A); 2019-07-08 also keeps the file's two ``3207A`` columns (positions 1634 and 1635 of
1644: CNEMC publishes that station twice, with equal cells).
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from lantian.demo import HUNAN_2019, NATIONAL_3DAYS, demo_file
from lantian.ingest.cnemc import read_station_files
from tests.reference import cut_columns, day_file, day_name

TYPES = ("AQI", "PM2.5", "PM2.5_24h", "PM10", "PM10_24h", "SO2", "SO2_24h", "NO2", "NO2_24h", "O3")
TYPES += ("O3_24h", "O3_8h", "O3_8h_24h", "CO", "CO_24h")


def present_cells(data: bytes) -> int:
    """Non-empty station cells of a daily file, counted with the csv module."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    return sum(1 for row in rows[1:] for cell in row[3:] if cell != "")


@pytest.fixture(scope="module")
def cnemc(tmp_path_factory) -> Path:
    """A folder with the two cut national days (see the module's docstring)."""
    folder = tmp_path_factory.mktemp("cnemc")
    first_30 = list(range(33))
    for day, columns in (
        (dt.date(2019, 1, 1), first_30),
        (dt.date(2019, 7, 8), [*first_30, 1633, 1634]),
    ):
        (folder / day_name(day)).write_bytes(cut_columns(day_file(NATIONAL_3DAYS, day), columns))
    return folder


def cells(table: pa.Table, station: str, kind: str, ts: dt.datetime) -> list[float]:
    mask = pc.and_(
        pc.and_(
            pc.equal(pc.cast(table["station_code"], pa.string()), station),
            pc.equal(table["ts"], ts),
        ),
        pc.equal(pc.cast(table["type"], pa.string()), kind),
    )
    return table.filter(mask)["value"].to_pylist()


def test_a_national_day_cut_is_read_cell_for_cell(cnemc):
    path = cnemc / "china_sites_20190708.csv"
    table, metadata = read_station_files(path)
    assert metadata["files"] == [str(path)]
    assert table.num_rows == present_cells(path.read_bytes())
    # line 3 of the file: 20190708,0,PM2.5,18,20,21,... → the hour ending 2019-07-08 00:00
    assert cells(table, "1001A", "PM2.5", dt.datetime(2019, 7, 8, 0)) == [18.0]
    assert cells(table, "1003A", "PM2.5", dt.datetime(2019, 7, 8, 0)) == [21.0]
    assert cells(table, "1013A", "PM2.5", dt.datetime(2019, 7, 8, 0)) == []  # empty cell: missing
    assert set(pc.unique(pc.cast(table["type"], pa.string())).to_pylist()) == set(TYPES)
    ts = table["ts"]
    assert (pc.min(ts).as_py(), pc.max(ts).as_py()) == (
        dt.datetime(2019, 7, 8, 0),
        dt.datetime(2019, 7, 8, 23),
    )


def test_a_duplicated_station_column_is_read_twice(cnemc):
    """CNEMC's national files of 2019-07-08 and 2019-12-31 publish 3207A in two columns."""
    path = cnemc / "china_sites_20190708.csv"
    header = path.read_bytes().split(b"\r\n", 1)[0].decode().split(",")
    assert header.count("3207A") == 2
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    expected = sum(1 for row in rows[1:] for cell in row[-2:] if cell != "")
    table, _ = read_station_files(path)
    in_3207a = pc.equal(pc.cast(table["station_code"], pa.string()), "3207A")
    assert pc.sum(in_3207a).as_py() == expected
    # line 3: ...,24,24 — the PM2.5 of the hour ending 00:00 in both columns
    assert cells(table, "3207A", "PM2.5", dt.datetime(2019, 7, 8, 0)) == [24.0, 24.0]


def test_a_folder_of_files_with_different_headers(cnemc):
    table, metadata = read_station_files(cnemc)
    assert [Path(name).name for name in metadata["files"]] == [
        "china_sites_20190101.csv",
        "china_sites_20190708.csv",
    ]
    expected = sum(present_cells((cnemc / Path(n).name).read_bytes()) for n in metadata["files"])
    assert table.num_rows == expected
    sources = pc.cast(table["source"], pa.string())
    in_january = pc.equal(sources, str(cnemc / "china_sites_20190101.csv"))
    assert pc.min(table.filter(in_january)["ts"]).as_py() == dt.datetime(2019, 1, 1, 0)
    # hour 0 of 2019-01-01 is the last hour of 2018-12-31; hour 23 ends at 23:00
    assert pc.max(table.filter(in_january)["ts"]).as_py() == dt.datetime(2019, 1, 1, 23)


@pytest.mark.slow
def test_the_hunan_year():
    """364 files, 2019-04-08 absent at the source, 9,514,920 present cells (all 15 types)."""
    path = demo_file(HUNAN_2019)
    table, metadata = read_station_files(path)
    names = [name.rsplit("!", 1)[1] for name in metadata["files"]]
    assert len(names) == 364
    assert "china_sites_20190408.csv" not in names
    days = np.arange(np.datetime64("2019-01-01"), np.datetime64("2020-01-01"))
    expected_names = {f"china_sites_{str(day).replace('-', '')}.csv" for day in days} - {
        "china_sites_20190408.csv"
    }
    assert set(names) == expected_names
    assert table.num_rows == 9_514_920
    # per station, the present cells counted by the csv module over all 364 files
    expected: collections.Counter[str] = collections.Counter()
    header_codes: set[str] = set()
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            rows = list(csv.reader(io.StringIO(archive.read(info).decode("utf-8-sig"))))
            header_codes.update(rows[0][3:])
            for row in rows[1:]:
                expected.update(
                    code for code, cell in zip(rows[0][3:], row[3:], strict=True) if cell
                )
    assert len(header_codes) == 81
    assert len(expected) == 78  # three of Hunan's 81 columns hold no value all year
    counts = table.group_by("station_code").aggregate([("value", "count")])
    found = dict(
        zip(
            pc.cast(counts["station_code"], pa.string()).to_pylist(),
            counts["value_count"].to_pylist(),
            strict=True,
        )
    )
    assert found == dict(expected)
    # no stamp falls in the hours 2019-04-08 01:00 … 2019-04-08 23:00 (the missing file's own hours)
    ts = table["ts"]
    gap = pc.and_(
        pc.greater(ts, dt.datetime(2019, 4, 8, 0)), pc.less(ts, dt.datetime(2019, 4, 9, 0))
    )
    assert pc.sum(gap).as_py() == 0


def test_the_untouched_national_days():
    path = demo_file(NATIONAL_3DAYS)
    table, metadata = read_station_files(path)
    with zipfile.ZipFile(path) as archive:
        expected = sum(present_cells(archive.read(info)) for info in archive.infolist())
    assert len(metadata["files"]) == 3
    assert table.num_rows == expected
