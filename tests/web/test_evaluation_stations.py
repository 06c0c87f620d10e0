"""One definition of "a city's evaluation stations" (issue #12 item 2): the registry's
:func:`lantian.store.registry.evaluation_stations`, honoured by every city value — ``lantian
assess``, ``lantian rank``, the API, the pages, the "now" table and the forecast's history.

The store is the bundled real 2019 Hunan data with a registry changed in one way each (constructed
registry rows, labelled here; the measurements are the real ones):

* 2479A (零陵区环保局) is a control point **by its registry row alone** — its name says nothing;
* 2480A (永州市环保局) is an evaluation station that **left the network** on 2019-06-30.

The expected city values are computed here with NumPy from the store's raw grid, not through the
code under test.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import warnings

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from lantian.assess.annual import evaluate
from lantian.assess.scope import resolve_scope
from lantian.cli.main import app as cli
from lantian.forecast.history import city_history
from lantian.standards import BASIC_POLLUTANTS, rule_set
from lantian.store import MeasurementStore
from lantian.store.registry import evaluation_cities, evaluation_stations
from lantian.web import create_app

YEAR = 2019
RULES = rule_set(dt.date(YEAR, 12, 31))
LEFT_ON = dt.date(2019, 6, 30)


@pytest.fixture(scope="module")
def home(web_home, tmp_path_factory):
    """A copy of the demo home whose registry marks 2479A a control point and 2480A as gone."""
    copy = tmp_path_factory.mktemp("registry-home")
    shutil.copytree(web_home / "measurements", copy / "measurements")
    store = MeasurementStore(copy / "measurements")
    registry = store.stations()
    codes = registry.column("station_code")
    control = pc.or_(registry.column("control_point"), pc.equal(codes, "2479A"))
    registry = registry.set_column(
        registry.schema.get_field_index("control_point"), "control_point", control
    )
    registry = registry.set_column(
        registry.schema.get_field_index("evaluation"), "evaluation", pc.invert(control)
    )
    gone = pa.array([LEFT_ON if c == "2480A" else None for c in codes.to_pylist()], pa.date32())
    registry = registry.set_column(registry.schema.get_field_index("active_to"), "active_to", gone)
    store.put_stations(registry)
    return copy


@pytest.fixture(scope="module")
def store(home):
    return MeasurementStore(home / "measurements")


@pytest.fixture(scope="module")
def expected(store):
    """Yongzhou's 2019 evaluation from 2478A and 2481A all year and 2480A to 30 June."""
    codes, grids = store.read_hourly_grid(
        dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31), list(BASIC_POLLUTANTS)
    )
    rows = [codes.index(c) for c in ("2478A", "2480A", "2481A")]
    cut = (LEFT_ON - dt.date(YEAR, 1, 1)).days * 24 + 24
    hourly = {}
    for p, grid in grids.items():
        part = grid[rows].copy()
        part[1, cut:] = np.nan
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # hours without any station: NaN
            hourly[p] = np.nanmean(part, axis=0)
    return evaluate("永州", hourly, dt.date(YEAR, 1, 1), RULES)


@pytest.fixture(scope="module")
def client(home):
    with TestClient(create_app(home / "measurements", warm_up=False)) as test_client:
        yield test_client


def test_the_registry_decides(store):
    registry = store.stations()
    names = dict(
        zip(
            registry.column("station_code").to_pylist(),
            registry.column("name").to_pylist(),
            strict=True,
        )
    )
    assert "对照点" not in names["2479A"]
    assert evaluation_stations(registry, "永州") == ["2478A", "2480A", "2481A"]
    assert evaluation_stations(registry, "永州", on=dt.date(2019, 7, 1)) == ["2478A", "2481A"]
    assert evaluation_stations(registry, "永州", on=LEFT_ON) == ["2478A", "2480A", "2481A"]
    assert "永州" in evaluation_cities(registry)
    scope = resolve_scope(registry, city="永州")
    assert scope.stations == ("2478A", "2480A", "2481A")


def test_lantian_assess_and_rank_leave_the_control_point_out(home, expected):
    runner = CliRunner()
    args = ["--home", str(home), "assess", "--city", "永州", "--year", str(YEAR)]
    result = runner.invoke(cli, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["comprehensive_index"] == float(expected.comprehensive.total)
    assert document["days"]["good_ratio"] == pytest.approx(expected.good_day_ratio, abs=0.05)
    assert [s["station_code"] for s in document["stations"]] == ["2478A", "2480A", "2481A"]
    ranked = runner.invoke(
        cli,
        [
            "--home",
            str(home),
            "rank",
            "--province",
            "湖南",
            "--year",
            str(YEAR),
            "--format",
            "json",
        ],
    )
    assert ranked.exit_code == 0, ranked.output
    rows = json.loads(ranked.stdout)["cities"]
    row = next(r for r in rows if r["city"] == "永州")
    assert row["comprehensive_index"] == float(expected.comprehensive.total)


def test_the_api_and_pages_leave_the_control_point_out(client, expected):
    index = float(expected.comprehensive.total)
    body = client.get(f"/api/v1/evaluations/{YEAR}?city=永州").json()
    assert body["comprehensive_index"] == index
    ranking = client.get(f"/api/v1/rankings/{YEAR}").json()["rows"]
    assert next(r for r in ranking if r["city"] == "永州")["comprehensive_index"] == index
    cities = client.get("/api/v1/cities").json()["rows"]
    assert next(r for r in cities if r["city"] == "永州")["evaluation_stations"] == 3
    stations = {
        r["station_code"]: r for r in client.get("/api/v1/stations?city=永州").json()["rows"]
    }
    assert stations["2479A"]["control_point"]
    assert not stations["2479A"]["evaluation"]
    page = client.get(f"/attainment?city=永州&year={YEAR}")
    assert page.status_code == 200
    assert f"{index:.2f}" in page.text


def test_now_uses_the_stations_of_the_latest_day(client, store):
    """At the latest hour (2019-12-31) Yongzhou is 2478A and 2481A: 2480A has left."""
    body = client.get("/api/v1/now?city=永州").json()
    last = dt.datetime.fromisoformat(body["ts"])
    rows = store.read(stations=["2478A", "2481A"], start=last - dt.timedelta(hours=1), end=last)
    rows = rows.filter(rows.column("valid")).to_pylist()
    pm25 = [r["value"] for r in rows if r["pollutant"] == "PM2.5" and r["ts"] == last]
    assert body["city_now"]["PM2.5"] == round(sum(pm25) / len(pm25))


def test_the_forecast_history_uses_the_same_stations(store, expected):
    history = city_history(store, dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31), ["永州"])
    np.testing.assert_array_equal(history.daily["aqi"][0], expected.daily.aqi.aqi)
