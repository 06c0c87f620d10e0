"""``lantian rank --province`` beyond Hunan, on three whole national days of real CNEMC data."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from lantian.assess.ranking import province_cities
from lantian.demo import NATIONAL_3DAYS, STATION_LIST, demo_file

from .test_import_cli import lantian


@pytest.fixture(scope="module")
def national_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("national") / "home"
    for source in (demo_file(STATION_LIST), demo_file(NATIONAL_3DAYS)):
        result = lantian(home, "import", str(source))
        assert result.returncode in (0, 1), result.stderr
    return home


@pytest.mark.parametrize(("province", "cities"), [("广东", 21), ("山东", 16), ("天津", 1)])
def test_a_province_ranks_its_prefecture_level_cities(national_home, province, cities):
    result = lantian(
        national_home, "rank", "--province", province, "--from", "2019-07-08", "--to", "2019-07-08",
        "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["cities"]
    assert sorted(r["city"] for r in rows) == sorted(province_cities(province))
    assert len(rows) == cities
    indices = [r["comprehensive_index"] for r in rows]
    assert indices == sorted(indices)
    for row in rows:
        assert row["rank"] == 1 + sum(i < row["comprehensive_index"] for i in indices)


def test_control_points_marked_in_cnemc_names_are_left_out(national_home):
    listed = json.loads(
        lantian(national_home, "stations", "--city", "天津", "--format", "json").stdout
    )
    control = {s["station_code"]: s["control_point"] for s in listed}
    assert control["1027A"] is True  # 团泊洼(对照点)
    assert sum(control.values()) == 1
    assessed = lantian(
        national_home, "assess", "--city", "天津", "--from", "2019-07-08", "--to", "2019-07-08",
        "--format", "json",
    )  # fmt: skip
    assert assessed.returncode == 0, assessed.stderr
    used = json.loads(assessed.stdout)["stations_used"]
    assert "1027A" not in used
    assert len(used) == len(control) - 1


def test_a_ranking_file_says_which_daily_aqi_its_good_day_ratios_rest_on(national_home):
    """Issue #18: every export names the treatment of a missing pollutant (the daily default is
    HJ 633-2026 §5.3.1 as written, ``letter``); the terminal table stays as it was."""
    period = ["--from", "2019-07-08", "--to", "2019-07-08"]
    result = lantian(national_home, "rank", "--province", "山东", *period, "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    assert len(rows) == 16
    assert {r["缺项时的AQI"] for r in rows} == {"letter"}
    as_json = lantian(national_home, "rank", "--province", "山东", *period, "--format", "json")
    assert {r["completeness"] for r in json.loads(as_json.stdout)["cities"]} == {"letter"}
    table = lantian(national_home, "rank", "--province", "山东", *period)
    assert "缺项时的AQI" not in table.stdout
