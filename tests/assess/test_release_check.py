"""``lantian check-release`` on CNEMC's real 2026 release (three whole national hours, read from the
shared reference folder at run time): Lantian's hourly AQI and primary pollutant equal CNEMC's for
every station with all six inputs, under the rule set of each hour's date, and every other
difference is explained by class.

Reference values: cnemc/2026/README.md and standards.md §12 (1,333/1,333 in January with the 2012
tables, 1,316/1,316 in March and 1,430/1,430 in September with the 2026 tables; the other table set
gives 988, 540 and 1,259).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pyarrow as pa
import pytest

from lantian.assess.release import CLASSES, check_release
from lantian.ingest.cnemc_hourly import read_hourly_release
from lantian.standards import aqi_report, rule_set
from lantian.store import MeasurementStore
from tests.reference import RELEASE_2026, release_2026

HOURS = {
    "2026-01-20T09.csv": dt.datetime(2026, 1, 20, 9),
    "2026-03-05T09.csv": dt.datetime(2026, 3, 5, 9),
    "2026-09-01T00.csv": dt.datetime(2026, 9, 1, 0),
}
FIRST, LAST = dt.date(2026, 1, 1), dt.date(2026, 12, 31)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A store holding the three 2026 hours, imported as `lantian import` does (no station list)."""
    folder = tmp_path_factory.mktemp("release")
    store = MeasurementStore(folder / "measurements")
    parts = [read_hourly_release(release_2026(n)) for n in RELEASE_2026]
    store.import_measurements(
        pa.concat_tables([t for t, _ in parts]),
        files=list(RELEASE_2026),
        stations=pa.concat_tables([m["stations"] for _, m in parts]),
        published=pa.concat_tables([m["published"] for _, m in parts]),
    )
    return folder


def by_hour(check) -> dict[dt.datetime, dict]:
    return {row["ts"]: row for row in check.summary()}


def test_the_rule_set_of_each_hour_by_its_date():
    """2026-01-20 is judged by HJ 633-2012, 2026-03-05 and 2026-09-01 by HJ 633-2026."""
    assert [rule_set(HOURS[n].date()).hj633 for n in RELEASE_2026] == [
        "HJ633-2012",
        "HJ633-2026",
        "HJ633-2026",
    ]


def test_every_complete_station_equals_the_official_aqi(home):
    """The issue's must-show: all stations with the six inputs agree, in every file."""
    summary = by_hour(check_release(MeasurementStore(home / "measurements"), FIRST, LAST))
    counts = {
        n: (summary[HOURS[n]]["complete_equal"], summary[HOURS[n]]["complete"]) for n in HOURS
    }
    assert counts == {
        "2026-01-20T09.csv": (1333, 1333),
        "2026-03-05T09.csv": (1316, 1316),
        "2026-09-01T00.csv": (1430, 1430),
    }


@pytest.mark.parametrize(
    ("standard", "name", "equal"),
    [
        ("2026", "2026-01-20T09.csv", 988),
        ("2012", "2026-03-05T09.csv", 540),
        ("2012", "2026-09-01T00.csv", 1259),
    ],
)
def test_the_wrong_rule_set_would_not_reproduce_the_release(home, standard, name, equal):
    """The other table set gives fewer agreements, and the check names the rule set as the cause."""
    check = check_release(MeasurementStore(home / "measurements"), FIRST, LAST, standard=standard)
    row = by_hour(check)[HOURS[name]]
    assert (row["complete_equal"], row["complete"]) == (
        equal,
        {"2026-01-20T09.csv": 1333, "2026-03-05T09.csv": 1316, "2026-09-01T00.csv": 1430}[name],
    )
    assert row["rule_set"] >= row["complete"] - equal


def test_every_difference_is_explained(home):
    """Default (the release's treatment of a missing pollutant): the only differences are hours with a
    pollutant missing that CNEMC withheld; nothing is unexplained."""
    check = check_release(MeasurementStore(home / "measurements"), FIRST, LAST)
    assert check.completeness == "release"
    rows = check.rows.to_pylist()
    different = [r for r in rows if r["outcome"] == "different"]
    assert {r["class"] for r in different} == {"completeness_rule", "withheld_above_100"}
    assert all(not r["complete"] and r["published_aqi"] is None for r in different)
    summary = by_hour(check)
    assert [summary[HOURS[n]]["equal"] for n in RELEASE_2026] == [1527, 1531, 1564]
    assert [summary[HOURS[n]]["unexplained"] for n in RELEASE_2026] == [0, 0, 0]


def test_the_letter_of_5_3_1_departs_from_the_release(home):
    """HJ 633-2026 §5.3.1 as written withholds the AQI of 161 (March) and 128 (September) stations
    that CNEMC published with a pollutant missing; before the switch it changes nothing."""
    letter = by_hour(
        check_release(MeasurementStore(home / "measurements"), FIRST, LAST, completeness="letter")
    )
    assert [letter[HOURS[n]]["equal"] for n in RELEASE_2026] == [1527, 1432, 1460]
    assert [letter[HOURS[n]]["completeness_rule"] for n in RELEASE_2026] == [52, 161, 128]
    assert set(CLASSES) >= {"completeness_rule", "rule_set", "o3_column"}


def test_one_city(home):
    check = check_release(MeasurementStore(home / "measurements"), FIRST, LAST, city="永州")
    stations = sorted({r["station_code"] for r in check.rows.to_pylist()})
    assert stations == ["2478A", "2480A", "2481A", "4299A"]
    with pytest.raises(KeyError, match="no station of city"):
        check_release(MeasurementStore(home / "measurements"), FIRST, LAST, city="火星")


def test_completeness_default_and_option_in_the_standard():
    """The real-time report follows the release by default; the letter is an option. PM10 missing,
    PM2.5 35 µg/m³ (IAQI 50) under HJ 633-2026."""
    inputs = {
        "SO2_1h": [5.0],
        "NO2_1h": [10.0],
        "CO_1h": [0.5],
        "O3_1h": [40.0],
        "PM2.5_1h": [35.0],
    }
    release = aqi_report(inputs, "hourly", "HJ633-2026")
    letter = aqi_report(inputs, "hourly", "HJ633-2026", completeness="letter")
    assert (release.completeness, float(release.aqi[0])) == ("release", 50.0)
    assert letter.completeness == "letter"
    assert letter.aqi.tolist() == [pytest.approx(float("nan"), nan_ok=True)]
    with pytest.raises(KeyError, match="valid"):
        aqi_report(inputs, "hourly", "HJ633-2026", completeness="lenient")


def lantian(home, *args):
    return subprocess.run(
        [sys.executable, "-m", "lantian", "--home", str(home), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_the_command_says_which_completeness_rule_it_used(home):
    result = lantian(
        home, "check-release", "--from", "2026-08-31", "--to", "2026-09-01", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["completeness"] == "release"
    assert "官方发布" in document["completeness_label"]
    (hour,) = document["summary"]
    assert (hour["complete_equal"], hour["complete"]) == (1430, 1430)
    csv = lantian(
        home,
        "check-release",
        "--from",
        "2026-08-31",
        "--to",
        "2026-09-01",
        "--rows",
        "differences",
        "--format",
        "csv",
        "--completeness",
        "letter",
    )
    assert csv.returncode == 0, csv.stderr
    lines = csv.stdout.lstrip("\ufeff").splitlines()
    assert lines[0].endswith(",outcome,class,completeness")
    assert len(lines) == 1 + 130
    assert all(line.endswith(",letter") for line in lines[1:])
    table = lantian(home, "check-release", "--month", "2026-03")
    assert "完整性规则 completeness: release" in table.stdout
    empty = lantian(home, "check-release", "--month", "2025-03")
    assert empty.returncode == 2
    assert "no published AQI" in empty.stderr


def test_an_ozone_column_swap_is_named(tmp_path):
    """A constructed hour (not CNEMC data): the file's ozone columns say o3 is the 1-hour value
    (o3 < o3_24h), but CNEMC's AQI 125 is the O3 1-hour IAQI of o3_24h = 250 µg/m³ (HJ 633-2026
    Table 3: 200 → 100, 300 → 150): the check names the O3 column as the cause."""
    from lantian.ingest.cnemc_hourly import parse_hourly_release

    header = (
        "timepoint,stationcode,longitude,latitude,area,positionname,primarypollutant,aqi,pm10,"
        "pm10_24h,pm2_5,pm2_5_24h,o3,o3_24h,o3_8h,o3_8h_24h,no2,no2_24h,so2,so2_24h,co,co_24h"
    )
    row = (
        "2026-09-01T0100,9001A,111.6,26.4,永州市,示例站,臭氧1小时(O3_1h),125,"
        "20,20,10,10,50,250,40,40,10,10,5,5,0.5,0.5"
    )
    table, metadata = parse_hourly_release(f"{header}\n{row}\n".encode(), "constructed.csv")
    store = MeasurementStore(tmp_path / "measurements")
    store.import_measurements(
        table,
        files=["constructed.csv"],
        stations=metadata["stations"],
        published=metadata["published"],
    )
    (checked,) = check_release(store, dt.date(2026, 9, 1), dt.date(2026, 9, 1)).rows.to_pylist()
    assert (checked["published_aqi"], checked["aqi"]) == (125, 20)
    assert (checked["outcome"], checked["class"]) == ("different", "o3_column")
