"""``/api/v1/devices…`` and ``/devices`` on a real ``lantian serve`` process: the simulated
device's data labelled 模拟数据 in every format, and hostile requests answered 4xx, never 5xx."""

from __future__ import annotations

import datetime as dt
import io
import json
import urllib.error
import urllib.request

import pyarrow as pa
import pytest
from openpyxl import load_workbook

from lantian.alarms.calibration import STORED_SCHEMA, FitStore
from lantian.feeds.intake import Intake, feed_rows
from lantian.feeds.simulator import fleet
from lantian.feeds.store import FeedStore
from lantian.ingest.hj212 import encode_frame, parse_frame
from tests.browsing import serving, wait_until_answers

DEVICE = fleet(1)[0]  # simulated (constructed test data)
MN = DEVICE.device.mn


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("devices-web")
    store = FeedStore(home / "feeds" / "store")
    intake = Intake(store)
    start = dt.datetime(2026, 12, 1, 8)
    for minute in range(60):
        moment = start + dt.timedelta(minutes=minute)
        segment = (
            f"QN={moment:%Y%m%d%H%M%S}000;ST=22;CN=2051;PW=x;MN={MN};Flag=4;"
            f"CP=&&DataTime={moment:%Y%m%d%H%M%S};a34004-Avg={30 + minute % 7},a34004-Flag=N&&"
        )
        intake.take(
            parse_frame(encode_frame(segment)), DEVICE.device, start, "t", minute, minute + 1
        )
    batch, cursors = intake.drain()
    store.commit(feed_rows(batch)[0], cursors)
    fit = {"pollutant": "PM2.5", "humidity": "none", "mn": MN, "month": "2026-11", "intercept": 2.0,
           "slope": 0.5, "humidity_coefficient": 0.0, "pairs": 500, "residual_scale": 1.0,
           "bias_of_previous": None, "slope_change": None, "drift": False}  # fmt: skip
    FitStore(home / "calibration").save(pa.Table.from_pylist([fit], schema=STORED_SCHEMA))
    with serving(home) as (base, process):
        wait_until_answers(base, "/api/v1/devices", process, home / "serve.log")
        yield base


def get(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read(), response.headers.get("content-type", "")
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get("content-type", "")


def test_devices_are_listed_as_simulated(server):
    status, body, _ = get(f"{server}/api/v1/devices")
    assert status == 200
    (row,) = json.loads(body)["rows"]
    assert (row["mn"], row["data"], row["simulated"]) == (MN, "模拟数据", True)
    status, body, kind = get(f"{server}/api/v1/devices?format=csv")
    assert kind.startswith("text/csv")
    assert "模拟数据" in body.decode("utf-8-sig")


def test_minutes_and_hours_in_every_format(server):
    status, body, _ = get(f"{server}/api/v1/devices/{MN}/minutes?date=2026-12-01")
    document = json.loads(body)
    rows = document["rows"]
    assert status == 200
    assert document["simulated"] is True
    assert len(rows) == 60
    assert {r["data"] for r in rows} == {"模拟数据"}
    status, body, _ = get(f"{server}/api/v1/devices/{MN}/hourly?start=2026-12-01")
    (hour,) = json.loads(body)["rows"]
    assert hour["ts"] == "2026-12-01 09:00:00"
    assert hour["value"] == pytest.approx(sum(30 + m % 7 for m in range(60)) / 60)
    assert (hour["source"], hour["data"]) == ("simulated", "模拟数据")
    # beside the raw value, by November's fit (constructed): indicative, never the value itself
    assert hour["calibrated"] == pytest.approx(2.0 + 0.5 * hour["value"])
    assert (hour["fit"], hour["calibrated_label"]) == ("2026-11", "指示性数据")
    status, body, _ = get(f"{server}/api/v1/devices/{MN}/minutes?format=xlsx")
    sheet = load_workbook(io.BytesIO(body)).active
    assert "模拟数据" in [cell.value for cell in sheet[2]]


def test_the_page_marks_simulated_data(server):
    status, body, _ = get(f"{server}/devices")
    page = body.decode()
    assert status == 200
    assert f'data-mn="{MN}" class="simulated"' in page
    assert '<span class="chip chip-simulated">模拟数据</span>' in page


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/devices/..%2F..%2Fetc%2Fpasswd/minutes",
        "/api/v1/devices/'%20OR%201=1--/minutes",
        "/api/v1/devices/" + "A" * 5000 + "/minutes",
        "/api/v1/devices/UNKNOWN/minutes",
        f"/api/v1/devices/{MN}/minutes?date=2026-13-01",
        f"/api/v1/devices/{MN}/minutes?date=99999-01-01",
        f"/api/v1/devices/{MN}/hourly?start=1900-01-01&end=2100-12-31",
        f"/api/v1/devices/{MN}/hourly?start=2026-12-02&end=2026-12-01",
        f"/api/v1/devices/{MN}/minutes?format=exe",
        "/api/v1/devices?format=../../x",
    ],
)
def test_hostile_requests_are_refused(server, path):
    status, body, _ = get(server + path)
    assert 400 <= status < 500, (status, body[:200])
    assert b"Traceback" not in body
