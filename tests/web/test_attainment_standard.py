"""The attainment page's standard picker (issue #12): a year that spans the change of standard
(2026-03-01) was answered 422 by the page; now the page judges it whole by one rule set — the one
in force on the year's last day unless the picker names the other — and says which."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from lantian.demo import CONTROL_POINTS_HUNAN, STATION_LIST, demo_file
from lantian.ingest.schema import MEASUREMENT_SCHEMA
from lantian.standards import BASIC_POLLUTANTS
from lantian.store import MeasurementStore
from lantian.store.registry import registry_from_station_list
from lantian.web import create_app
from lantian.web.pages.routes import year_standard

YONGZHOU_STATIONS = ("2477A", "2478A", "2479A", "2480A", "2481A")


@pytest.mark.parametrize(
    ("year", "picked", "judged"),
    [
        (2019, None, None),  # the year's own rule set: the API's default path
        (2019, "2012", None),
        (2019, "", None),
        (2019, "2099", None),
        (2019, "2026", "2026"),
        (2026, None, "2026"),  # spans 2026-03-01: the rule set in force on 2026-12-31
        (2026, "2012", "2012"),
        (2027, None, None),
    ],
)
def test_the_rule_set_a_page_judges_a_year_by(year, picked, judged):
    assert year_standard(year, picked) == judged


def _selected_standard(html: str) -> str:
    select = re.search(r'<select name="standard"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.search(r'<option value="([^"]+)" selected', select).group(1)


def test_the_picker_chooses_the_rule_set_of_the_page_and_its_downloads(client):
    html = client.get("/attainment", params={"city": "永州", "year": 2019}).text
    assert _selected_standard(html) == "2012"
    picked = client.get("/attainment", params={"city": "永州", "year": 2019, "standard": "2026"})
    assert picked.status_code == 200
    assert _selected_standard(picked.text) == "2026"
    assert "GB3095-2026" in picked.text
    assert "/api/v1/evaluations/2019?city=%E6%B0%B8%E5%B7%9E&amp;standard=2026" in picked.text
    api = client.get("/api/v1/evaluations/2019", params={"city": "永州", "standard": "2026"}).json()
    index = f"{api['comprehensive_index']:.2f}"
    assert re.search(rf'id="comprehensive-index">{re.escape(index)}<', picked.text)


@pytest.fixture(scope="module")
def home_2026(tmp_path_factory) -> TestClient:
    """A store of Yongzhou's stations with CONSTRUCTED hourly values (not measured: a smooth daily
    cycle) from 2026-01-01 to 2026-06-30, across the change of standard on 2026-03-01."""
    home = tmp_path_factory.mktemp("home-2026")
    store = MeasurementStore(home / "measurements")
    store.put_stations(
        registry_from_station_list(demo_file(STATION_LIST), demo_file(CONTROL_POINTS_HUNAN))
    )
    hours = np.datetime64("2026-01-01T01:00", "s") + np.arange(181 * 24) * np.timedelta64(3600, "s")
    level = {"SO2": 8, "NO2": 25, "CO": 0.8, "O3": 70, "PM10": 60, "PM2.5": 40}
    columns: dict[str, list] = {k: [] for k in ("station_code", "ts", "pollutant", "value")}
    for k, station in enumerate(YONGZHOU_STATIONS):
        for pollutant in BASIC_POLLUTANTS:
            cycle = 1 + 0.3 * np.sin(np.arange(len(hours)) * 2 * np.pi / 24 + k)
            columns["station_code"] += [station] * len(hours)
            columns["ts"].append(hours)
            columns["pollutant"] += [pollutant] * len(hours)
            columns["value"].append(np.round(level[pollutant] * cycle, 1))
    n = len(columns["station_code"])
    table = pa.table(
        {
            "station_code": columns["station_code"],
            "ts": pa.array(np.concatenate(columns["ts"])),
            "pollutant": columns["pollutant"],
            "value": np.concatenate(columns["value"]),
            "source": pa.array(["constructed"] * n).dictionary_encode(),
            "line": pa.array(np.arange(n) + 2, pa.int32()),
        }
    ).cast(MEASUREMENT_SCHEMA)
    store.import_measurements(table, files=["constructed"])
    with TestClient(create_app(home / "measurements", warm_up=False)) as client:
        yield client


def test_a_year_across_the_change_of_standard_is_shown_not_refused(home_2026):
    page = home_2026.get("/attainment", params={"city": "永州", "year": 2026})
    assert page.status_code == 200
    assert _selected_standard(page.text) == "2026"
    assert "GB3095-2026" in page.text
    older = home_2026.get("/attainment", params={"city": "永州", "year": 2026, "standard": "2012"})
    assert older.status_code == 200
    assert _selected_standard(older.text) == "2012"
    assert "GB3095-2012" in older.text
    # the API still asks for a rule set (its documented policy) and names the change
    refused = home_2026.get("/api/v1/evaluations/2026", params={"city": "永州"})
    assert refused.status_code == 422
    assert "2026-03-01" in refused.text
