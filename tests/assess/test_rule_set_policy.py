"""One rule-set policy for a period that spans the change of standard on 2026-03-01, and one
series service (issue #12 item 1): ``lantian aqi`` and ``/api/v1/aqi`` give the same rows, each
day by the rules of its own date and saying which; an evaluation or ranking of the whole period is
refused by both with the same message naming the parts.

The data are **simulated** (constructed here): one station ``SIM01A`` of the simulated city
``模拟市``, constant hourly values over 2026-02-26 … 2026-03-03.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from lantian.cli.main import app as cli
from lantian.standards import (
    BASIC_POLLUTANTS,
    PeriodSpansChangeError,
    aqi_report,
    period_rule_set,
    rule_set_runs,
)
from lantian.store import MeasurementStore
from lantian.web import create_app

FIRST, LAST = dt.date(2026, 2, 26), dt.date(2026, 3, 3)
HOURLY = {"SO2": 12.0, "NO2": 30.0, "CO": 0.8, "O3": 90.0, "PM10": 120.0, "PM2.5": 80.0}
"""Simulated constant hourly concentrations [µg/m³; CO mg/m³]."""


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("spanning")
    store = MeasurementStore(home / "measurements")
    store.put_stations(
        pa.table(
            {
                "station_code": ["SIM01A"],
                "name": ["模拟站（simulated）"],
                "city": ["模拟市"],
                "control_point": [False],
                "evaluation": [True],
            }
        )
    )
    n_hours = ((LAST - FIRST).days + 1) * 24
    ts = np.datetime64(FIRST, "h") + np.arange(1, n_hours + 1)
    rows = [(p, t) for p in BASIC_POLLUTANTS for t in ts]
    table = pa.table(
        {
            "station_code": ["SIM01A"] * len(rows),
            "ts": pa.array([t.astype("datetime64[s]") for _, t in rows], pa.timestamp("s")),
            "pollutant": [p for p, _ in rows],
            "value": [HOURLY[p] for p, _ in rows],
            "source": pa.array(["simulated"] * len(rows)).dictionary_encode(),
            "line": pa.array(range(1, len(rows) + 1), pa.int32()),
        }
    )
    store.import_measurements(table, files=["simulated"])
    return home


def test_the_policy_splits_at_the_change():
    runs = rule_set_runs(FIRST, LAST)
    assert [(a, b, r.hj633) for a, b, r in runs] == [
        (FIRST, dt.date(2026, 2, 28), "HJ633-2012"),
        (dt.date(2026, 3, 1), LAST, "HJ633-2026"),
    ]
    assert [r.hj633 for *_, r in rule_set_runs(FIRST, LAST, "2026")] == ["HJ633-2026"]
    with pytest.raises(PeriodSpansChangeError, match="2026-03-01"):
        period_rule_set(FIRST, LAST)


def test_lantian_aqi_and_the_api_give_the_same_rows(home):
    runner = CliRunner()
    period = ["--from", FIRST.isoformat(), "--to", LAST.isoformat(), "--format", "json"]
    result = runner.invoke(cli, ["--home", str(home), "aqi", "--station", "SIM01A", *period])
    assert result.exit_code == 0, result.output
    cli_rows = json.loads(result.stdout)
    with TestClient(create_app(home / "measurements", warm_up=False)) as client:
        body = client.get(
            f"/api/v1/daily?station=SIM01A&start={FIRST}&end={LAST}",
        ).json()
        aqi_body = client.get(f"/api/v1/aqi?station=SIM01A&start={FIRST}&end={LAST}").json()
    api_rows = body["rows"]
    assert len(cli_rows) == len(api_rows) == 6
    for mine, theirs in zip(cli_rows, api_rows, strict=True):
        assert str(mine.pop("day"))[:10] == theirs.pop("day")
        assert mine == theirs
    assert [r["standard"] for r in api_rows] == ["HJ633-2012"] * 3 + ["HJ633-2026"] * 3
    assert [r["standard"] for r in aqi_body["rows"]] == ["HJ633-2012"] * 3 + ["HJ633-2026"] * 3
    assert [s["standard"] for s in body["standards"]] == ["HJ633-2012", "HJ633-2026"]
    for row in api_rows:  # each day by its own HJ 633, computed straight from the standard
        inputs = {f"{p}_24h": np.array([HOURLY[p]]) for p in ("SO2", "NO2", "CO", "PM10", "PM2.5")}
        inputs["O3_8h"] = np.array([HOURLY["O3"]])
        expected = aqi_report(inputs, "daily", row["standard"])
        assert row["aqi"] == expected.aqi[0]
        assert row["primary_pollutants"] == expected.primary_pollutants()[0]


def test_an_evaluation_across_the_change_is_refused_by_cli_and_api_alike(home):
    runner = CliRunner()
    args = ["--home", str(home), "assess", "--station", "SIM01A"]
    result = runner.invoke(cli, [*args, "--from", FIRST.isoformat(), "--to", LAST.isoformat()])
    assert result.exit_code == 2
    assert "2026-03-01" in result.output
    assert "Traceback" not in result.output
    named = runner.invoke(
        cli,
        [*args, "--from", FIRST.isoformat(), "--to", LAST.isoformat(), "--standard", "2026"],
    )
    assert named.exit_code == 0, named.output
    with TestClient(create_app(home / "measurements", warm_up=False)) as client:
        response = client.get("/api/v1/evaluations/2026?station=SIM01A")
    assert response.status_code == 422
    assert "2026-03-01" in response.json()["detail"]
