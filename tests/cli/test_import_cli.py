"""``lantian import`` and ``lantian stations`` as a user runs them: exit status, summary, store state."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from lantian.demo import CONTROL_POINTS_HUNAN, STATION_LIST, demo_file
from lantian.store import MeasurementStore

from ..store.conftest import extract_days, state

BAD = Path(__file__).parents[1] / "data" / "bad"


def lantian(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lantian", "--home", str(home), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_a_clean_import_exits_0_and_reports_counts(tmp_path):
    folder = extract_days(tmp_path / "days", 1, 3)[0].parent
    result = lantian(tmp_path / "home", "import", str(folder))
    assert result.returncode == 0, result.stderr
    assert "files 3; rows added" in result.stdout
    assert "rejected 0" in result.stdout
    again = lantian(tmp_path / "home", "import", str(folder))
    assert again.returncode == 0
    assert "rows added 0" in again.stdout


def test_some_rows_rejected_exits_1_names_file_line_field_and_keeps_the_rest(tmp_path):
    result = lantian(tmp_path / "home", "import", str(BAD / "text_in_numbers.csv"))
    assert result.returncode == 1
    assert "text_in_numbers.csv: line 3: value: not_a_number" in result.stderr
    assert MeasurementStore(tmp_path / "home" / "measurements").read().num_rows > 0


def test_nothing_stored_exits_2_and_the_store_is_unchanged(tmp_path):
    folder = extract_days(tmp_path / "days", 1, 2)[0].parent
    assert lantian(tmp_path / "home", "import", str(folder)).returncode == 0
    store = MeasurementStore(tmp_path / "home" / "measurements")
    before = state(store)
    for bad in ("empty.csv", "wrong_header.csv", "truncated.xlsx", "non_csv_member.zip"):
        result = lantian(tmp_path / "home", "import", str(BAD / bad))
        assert result.returncode == 2, (bad, result.stdout, result.stderr)
        assert bad in result.stderr
        assert state(store) == before


def test_station_list_import_and_listing(tmp_path):
    home = tmp_path / "home"
    result = lantian(
        home,
        "import",
        str(demo_file(STATION_LIST)),
        "--control-points",
        str(demo_file(CONTROL_POINTS_HUNAN)),
    )
    assert result.returncode == 0, result.stderr
    listed = json.loads(lantian(home, "stations", "--city", "永州", "--format", "json").stdout)
    assert [s["station_code"] for s in listed] == ["2477A", "2478A", "2479A", "2480A", "2481A"]
    assert [s["control_point"] for s in listed] == [True, False, False, False, False]
    unknown = lantian(home, "import", str(BAD / "unknown_stations.csv"))
    assert unknown.returncode == 1
    assert "unknown_station" in unknown.stdout


def test_the_hourly_release_imports_without_a_station_list(tmp_path):
    """CNEMC's current release (cnemc/2026 in the shared reference folder): detected, its stations
    registered from the file, its published AQI kept; importing it again changes nothing."""
    from tests.reference import release_2026

    path = release_2026("2026-09-01T00.csv")
    result = lantian(tmp_path / "home", "import", str(path))
    assert result.returncode == 0, result.stderr
    assert "rows added 9,323" in result.stdout
    assert "stations registered from the files: 1,601" in result.stdout
    assert "ozone 1-hour column: o3 1" in result.stdout
    again = lantian(tmp_path / "home", "import", str(path))
    assert again.returncode == 0, again.stderr
    assert "rows added 0, unchanged 9,323, replaced 0" in again.stdout
    assert "stations registered" not in again.stdout
    listed = lantian(tmp_path / "home", "stations", "--city", "永州", "--format", "json")
    assert [s["station_code"] for s in json.loads(listed.stdout)] == [
        "2478A",
        "2480A",
        "2481A",
        "4299A",
    ]


def test_a_control_point_list_alone_is_refused_in_one_line(tmp_path):
    """Issue #12 item 9: it printed a traceback and exited 1."""
    result = lantian(tmp_path / "home", "import", str(demo_file(CONTROL_POINTS_HUNAN)))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--control-points" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_control_point_list_beside_a_station_list_serves_as_control_points(tmp_path):
    home = tmp_path / "home"
    result = lantian(
        home, "import", str(demo_file(STATION_LIST)), str(demo_file(CONTROL_POINTS_HUNAN))
    )
    assert result.returncode == 0, result.stderr
    listed = json.loads(lantian(home, "stations", "--city", "永州", "--format", "json").stdout)
    assert [s["control_point"] for s in listed] == [True, False, False, False, False]


def test_a_cnemc_file_dated_2099_is_refused_by_file_and_line(tmp_path):
    """Issue #12 item 9: data stamped in the future imported without complaint."""
    (day,) = extract_days(tmp_path / "days", 1, 1)
    future = tmp_path / "china_sites_20990101.csv"
    future.write_text(day.read_text("utf-8").replace("20190101,", "20990101,"), "utf-8")
    result = lantian(tmp_path / "home", "import", str(future))
    assert result.returncode == 2, result.stdout
    assert "future_date" in result.stdout
    assert f"{future}: line 3: date,hour: future_date ('2099-01-01 00:00:00')" in result.stderr
    assert MeasurementStore(tmp_path / "home" / "measurements").manifest().partitions == {}
