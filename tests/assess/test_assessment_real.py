"""Yongzhou's 2019 evaluation from the store, and the CLI that shows it.

Reference values: Lantian's evaluation of the real demo data, cross-checked against the
independent per-station calculation below (pandas-free NumPy) and the published CNEMC daily
columns' reproduction (tests/real_data). Yongzhou's official 2019 PM2.5 was about 40 µg/m³
(unaudited mirror data give 39).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from lantian.assess.assessment import assess
from lantian.assess.scope import ScopeError, resolve_scope

YEAR = (dt.date(2019, 1, 1), dt.date(2019, 12, 31))


def test_yongzhou_2019_uses_the_four_evaluation_stations_not_the_control_point(hunan_store):
    scope = resolve_scope(hunan_store.stations(), city="永州")
    assert scope.stations == ("2478A", "2479A", "2480A", "2481A")  # 2477A is the 对照点


def test_yongzhou_2019_evaluation(hunan_store):
    result = assess(hunan_store, resolve_scope(hunan_store.stations(), city="永州"), *YEAR)
    items = {(i["pollutant"], i["metric"]): i for i in result["items"]}
    assert result["standard"] == "2012"
    assert items[("PM2.5", "annual_mean")]["value"] == 39
    assert items[("PM2.5", "annual_mean")]["attained"] is False
    assert items[("PM2.5", "annual_mean")]["exceedance_multiple"] == pytest.approx(0.11)
    assert items[("PM10", "annual_mean")]["attained"] is True
    assert items[("O3", "p90_mda8")]["value"] < 160
    assert result["attained"] is False
    assert result["days"]["valid"] == 350
    assert result["days"]["good_ratio"] == pytest.approx(88.6)
    assert sum(result["days"]["by_level"]) == result["days"]["valid"]
    assert result["largest_index"] == "PM2.5"
    assert len(result["stations"]) == 4
    assert items[("PM2.5", "annual_mean")]["short_months"] == [8, 9]  # real gaps in the mirror


def test_annual_mean_equals_an_independent_calculation(hunan_store):
    """Mean of the stations' valid values per hour → daily means with ≥ 20 hours → annual mean."""
    stations = ["2478A", "2479A", "2480A", "2481A"]
    table = hunan_store.read(
        stations=stations,
        pollutants=["PM2.5"],
        start=dt.datetime(2019, 1, 1),
        end=dt.datetime(2020, 1, 1),
    )
    ts = table.column("ts").to_numpy().astype("datetime64[h]")
    hour = (ts - np.datetime64("2019-01-01T01", "h")).astype(int)
    grid = np.full((4, 8760), np.nan)
    grid[[stations.index(s) for s in table.column("station_code").to_pylist()], hour] = (
        table.column("value").to_numpy()
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # hours without any station
        city = np.nanmean(grid, axis=0).reshape(365, 24)
        counts = (~np.isnan(city)).sum(axis=1)
        daily = np.where(counts >= 20, np.nanmean(city, axis=1), np.nan)
    assert round(float(np.nanmean(daily))) == 39


def test_unknown_city_is_a_clear_error(hunan_store):
    with pytest.raises(ScopeError, match=r"火星.*cities: "):
        resolve_scope(hunan_store.stations(), city="火星")


def test_cli_json_has_the_fields_scripts_rely_on(hunan_store):
    home = hunan_store.root.parent
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "lantian",
            "--home",
            str(home),
            "assess",
            "--city",
            "永州",
            "--year",
            "2019",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    result = json.loads(completed.stdout)
    for field in ("city", "year", "standard", "items", "days", "comprehensive_index", "stations"):
        assert field in result
    assert result["city"] == "永州"
    assert result["year"] == 2019
    for item in result["items"]:
        assert {"pollutant", "metric", "value", "limit", "attained", "exceedance_multiple"} <= set(
            item
        )
        assert item["metric"] in {"annual_mean", "p98_daily", "p95_daily", "p90_mda8"}
    assert {"valid", "good", "good_ratio", "by_category"} <= set(result["days"])
