"""``/api/v1/devices…``, ``/devices`` and a device's page ``/devices/{mn}`` on a real ``lantian
serve`` process: the simulated device's data labelled 模拟数据 in every format, its calibrated
values 指示性数据 with the fit month and the drift flag, hostile requests answered 4xx, never 5xx,
and a hostile registered name shown as text. The device, its minutes, its registration and its
fits are constructed test data (simulated), not measurements."""

from __future__ import annotations

import datetime as dt
import io
import json
import urllib.error
import urllib.request
from pathlib import Path

import pyarrow as pa
import pytest
from markupsafe import escape
from openpyxl import load_workbook

from lantian.alarms.calibration import STORED_SCHEMA, FitStore
from lantian.feeds.intake import Intake, feed_rows
from lantian.feeds.simulator import fleet
from lantian.feeds.store import FeedStore
from lantian.ingest.hj212 import encode_frame, parse_frame
from tests.browsing import (
    CHROMIUM,
    chart_option,
    chromium,
    confined_context,
    serving,
    wait_for,
    wait_until_answers,
)

DEVICE = fleet(1)[0]  # simulated (constructed test data)
MN = DEVICE.device.mn


HOURS = 3
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
NAME = "小微站" + XSS  # a hostile name in the registry


def minute_value(minute: int) -> int:
    return 30 + minute % 7 + 10 * (minute // 60)


def register(home, name: str) -> None:
    """The device in the home's registry (the ledger), as a micro-station calibrated against a
    (constructed) national station."""
    from lantian.plan.access import SYSTEM
    from lantian.plan.database import open_ledger, transaction
    from lantian.sources.models import RegisteredDevice

    with transaction(open_ledger(f"sqlite:///{home / 'plan.sqlite3'}")) as db:
        db.info["actor"] = SYSTEM
        db.add(
            RegisteredDevice(
                mn=MN, name=name, kind="micro", network="micro",
                station_code=DEVICE.device.station_code, simulated=True, password_salt="00",
                password_hash="0" * 64, nearest_station_code="9999A", nearest_station_km=1.2,
            )
        )  # fmt: skip


def write_minutes(home) -> None:
    """The simulated device's constructed minutes (:data:`HOURS` hours of 2026-12-01)."""
    store = FeedStore(home / "feeds" / "store")
    intake = Intake(store)
    start = dt.datetime(2026, 12, 1, 8)
    for minute in range(60 * HOURS):
        moment = start + dt.timedelta(minutes=minute)
        segment = (
            f"QN={moment:%Y%m%d%H%M%S}000;ST=22;CN=2051;PW=x;MN={MN};Flag=4;"
            f"CP=&&DataTime={moment:%Y%m%d%H%M%S};a34004-Avg={minute_value(minute)},a34004-Flag=N&&"
        )
        intake.take(
            parse_frame(encode_frame(segment)), DEVICE.device, start, "t", minute, minute + 1
        )
    batch, cursors = intake.drain()
    store.commit(feed_rows(batch)[0], cursors)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("devices-web")
    write_minutes(home)
    fit = {"pollutant": "PM2.5", "humidity": "none", "mn": MN, "month": "2026-11", "intercept": 2.0,
           "slope": 0.5, "humidity_coefficient": 0.0, "pairs": 500, "residual_scale": 1.0,
           "bias_of_previous": None, "slope_change": None, "drift": False}  # fmt: skip
    drifted = {**fit, "month": "2026-12", "slope": 0.8, "bias_of_previous": 9.0,
               "slope_change": 0.6, "drift": True}  # fmt: skip
    FitStore(home / "calibration").save(pa.Table.from_pylist([fit, drifted], schema=STORED_SCHEMA))
    register(home, NAME)
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
    assert len(rows) == 60 * HOURS
    assert {r["data"] for r in rows} == {"模拟数据"}
    status, body, _ = get(f"{server}/api/v1/devices/{MN}/hourly?start=2026-12-01")
    document = json.loads(body)
    assert len(document["rows"]) == HOURS
    hour = document["rows"][0]
    assert hour["ts"] == "2026-12-01 09:00:00"
    assert hour["value"] == pytest.approx(sum(minute_value(m) for m in range(60)) / 60)
    assert (hour["source"], hour["data"]) == ("simulated", "模拟数据")
    # beside the raw value, by November's fit (constructed): indicative, never the value itself
    assert hour["calibrated"] == pytest.approx(2.0 + 0.5 * hour["value"])
    # December's values by November's fit (December's own fit found drift: flagged beside)
    assert (hour["fit"], hour["calibrated_label"]) == ("2026-11", "指示性数据")
    assert (document["start"], document["end"]) == ("2026-12-01", "2026-12-01")
    assert [(f["month"], f["drift"]) for f in document["fits"]] == [
        ("2026-11", False),
        ("2026-12", True),
    ]
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


# --- a device's page: /devices/{mn} ------------------------------------------------------------


def test_the_device_list_links_each_device_to_its_page(server):
    status, body, _ = get(f"{server}/devices")
    assert status == 200
    assert f'<a href="/devices/{MN}">{MN}</a>' in body.decode()


def test_the_device_page_shows_fits_drift_and_labels_in_both_languages(server):
    status, body, kind = get(f"{server}/devices/{MN}?start=2026-12-01&end=2026-12-01")
    page = body.decode()
    assert status == 200
    assert kind.startswith("text/html")
    assert '<span class="chip chip-simulated" id="device-simulated">模拟数据</span>' in page
    assert '<span class="chip chip-indicative">指示性数据</span>' in page
    assert 'data-month="2026-11" data-pollutant="PM2.5" data-drift="false"' in page
    assert 'data-month="2026-12" data-pollutant="PM2.5" data-drift="true"' in page
    assert "检出漂移" in page
    assert "PM₂.₅ 2026-12" in page.split('id="drift-warning"')[1].split("</p>")[0]
    assert "9999A（1.2 km）" in page  # the national station it is calibrated against
    assert "斜率变化超过 20%" in page  # DRIFT_SLOPE, from the code
    # the chart reads the API: the same hours, from the same service
    assert f'data-src="/api/v1/devices/{MN}/hourly?start=2026-12-01&amp;end=2026-12-01"' in page
    status, body, _ = get(f"{server}/devices/{MN}?lang=en")
    english = body.decode()
    assert status == 200
    assert "Calibration fits" in english
    assert "Drift detected" in english
    assert "指示性数据" in english  # the label itself stays, as the standard's word


def test_the_device_page_defaults_to_the_last_days_of_data(server):
    status, body, _ = get(f"{server}/devices/{MN}")
    assert status == 200
    assert "start=2026-11-25&amp;end=2026-12-01" in body.decode()  # 7 days up to the last


def test_a_hostile_registered_name_is_text(server):
    status, body, _ = get(f"{server}/devices/{MN}")
    page = body.decode()
    assert status == 200
    assert XSS not in page
    assert str(escape(NAME)) in page  # as Jinja escapes it
    assert "<script>" not in page.replace('<script type="application/json"', "").replace(
        '<script src="/static/', ""
    )


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/devices/..%2F..%2Fetc%2Fpasswd", 404),
        ("/devices/%3Cscript%3Ealert(1)%3C%2Fscript%3E", 404),  # two segments: no route
        ("/devices/%3Cscript%3Ealert(1)", 422),
        ("/devices/" + "A" * 5000, 422),
        ("/devices/UNKNOWN", 404),
        (f"/devices/{MN}?start=1900-01-01&end=2100-12-31", 422),
        (f"/devices/{MN}?start=2026-12-02&end=2026-12-01", 422),
        (f"/devices/{MN}?start=-2026-12-01", 422),
        (f"/devices/{MN}?end=99999-01-01", 422),
        (f"/devices/{MN}?start=2026-11-01&end=2026-12-02", 422),  # 32 days
        (f"/devices/{MN}?pollutant=%3Cscript%3E", 422),
        (f"/devices/{MN}?pollutant=PM2x5", 422),
        (f"/api/v1/devices/{MN}/hourly?start=-1", 422),
        (f"/api/v1/devices/{MN}/hourly?start=2026-11-01&end=2026-12-02", 422),
    ],
)
def test_hostile_device_page_requests_are_refused(server, path, status):
    got, body, kind = get(server + path)
    assert got == status, (got, body[:300])
    assert b"Traceback" not in body
    if b"<script>alert" in body:  # echoed in a validation error: JSON, never HTML
        assert kind.startswith("application/json")


ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "web"


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_the_device_page_on_a_phone_draws_raw_and_calibrated_hours_offline(server):
    """Debian's Chromium on a phone-sized screen: from the device list to the device's page, its
    chart drawn with this server's ECharts from the hourly API (raw 模拟数据, calibrated
    指示性数据, December's drift shaded), nothing loaded from elsewhere, no JavaScript error, no
    sideways scrolling; then in English."""
    outside: list[str] = []
    errors: list[str] = []
    with chromium() as browser:
        context = confined_context(
            browser, server, outside, viewport={"width": 390, "height": 844}, locale="zh-CN"
        )
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(server + "/devices")
        page.click(f'a[href="/devices/{MN}"]')
        wait_for(page, "document.getElementById('device-hourly')?.dataset.ready === '1'", 60_000)
        chart = page.eval_on_selector("#device-hourly", "e => ({...e.dataset})")
        assert (chart["rawPoints"], chart["calibratedPoints"]) == (str(HOURS), str(HOURS))
        assert chart["driftMonths"] == "1"
        option = chart_option(page, "device-hourly")
        names = [series["name"] for series in option["series"]]
        assert names == ["原始值（模拟数据）", "校准值（指示性数据）"]
        raw, calibrated = (series["data"] for series in option["series"])
        assert [point[1] for point in calibrated] == pytest.approx(
            [2.0 + 0.5 * point[1] for point in raw]
        )
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert page.text_content("#device-name").strip().startswith("小微站<script>")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "device-phone.png"), full_page=True)
        page.click("#switch-language")
        wait_for(page, "document.getElementById('device-hourly')?.dataset.ready === '1'", 60_000)
        option = chart_option(page, "device-hourly")
        assert option["series"][1]["name"] == "Calibrated (指示性数据, indicative)"
        context.close()
    assert outside == []
    assert errors == []


def test_without_a_ledger_or_fits_the_page_shows_raw_hours_and_creates_nothing(tmp_path):
    """A home with the feeds only: the device's page names it by its MN, says it has no fit, and
    its visit creates no ledger (the public pages never do)."""
    home = tmp_path / "home"
    write_minutes(home)
    with serving(home) as (base, process):
        wait_until_answers(base, "/api/v1/devices", process, home / "serve.log")
        status, body, _ = get(f"{base}/devices/{MN}")
        hours = json.loads(get(f"{base}/api/v1/devices/{MN}/hourly?start=2026-12-01")[1])
    page = body.decode()
    assert status == 200
    assert f'<h1 id="device-name">{MN} <span class="chip chip-simulated"' in page
    assert 'id="no-fits"' in page
    assert "chip-indicative" not in page  # (the words are in the i18n block of every page)
    assert hours["fits"] == []
    assert "calibrated" not in hours["columns"]
    assert not (home / "plan.sqlite3").exists()
