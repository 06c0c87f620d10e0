"""Device hours: from minute frames with the 45-minute validity rule, from hourly frames, into
the measurement store as non-evaluation stations that never change a city's values."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from lantian.assess.aqi_series import aqi_series
from lantian.assess.scope import resolve_scope
from lantian.demo import CONTROL_POINTS_HUNAN, HUNAN_2019, STATION_LIST, demo_file
from lantian.feeds.hourly import hourly_values, store_hourly
from lantian.feeds.intake import Intake, feed_rows
from lantian.feeds.simulator import fleet
from lantian.feeds.store import FeedStore
from lantian.ingest.cnemc import read_measurements
from lantian.ingest.hj212 import encode_frame, parse_frame
from lantian.store import MeasurementStore
from lantian.store.registry import registry_from_station_list

DEVICE = fleet(2)[0]  # a simulated dust monitor (constructed test data)
RECEIVED = dt.datetime(2019, 12, 2, 12)


def take(intake: Intake, moment: dt.datetime, cn: str, pm25: float, flag: str = "N") -> None:
    segment = (
        f"QN={moment:%Y%m%d%H%M%S}000;ST=22;CN={cn};PW=x;MN={DEVICE.device.mn};Flag=4;"
        f"CP=&&DataTime={moment:%Y%m%d%H%M%S};a34004-Avg={pm25},a34004-Flag={flag};"
        f"a34002-Avg={2 * pm25},a34002-Flag={flag}&&"
    )
    frame = parse_frame(encode_frame(segment))
    intake.take(frame, DEVICE.device, RECEIVED, "test.hj212", 0, 1)


@pytest.fixture
def feed(tmp_path) -> FeedStore:
    """Dec 1 2019: 08 o'clock 50 valid minutes (+5 flagged D); 09 o'clock 40 minutes; 10 o'clock
    an hourly frame and 60 minutes; 11 o'clock one minute (the device's latest)."""
    store = FeedStore(tmp_path / "feed")
    intake = Intake(store)
    day = dt.datetime(2019, 12, 1)
    for minute in range(50):
        take(intake, day.replace(hour=8, minute=minute), "2051", 900.0 + minute)
    for minute in range(50, 55):
        take(intake, day.replace(hour=8, minute=minute), "2051", 5.0, flag="D")
    for minute in range(40):
        take(intake, day.replace(hour=9, minute=minute), "2051", 800.0)
    for minute in range(60):
        take(intake, day.replace(hour=10, minute=minute), "2051", 700.0)
    take(intake, day.replace(hour=10), "2061", 650.0)
    take(intake, day.replace(hour=11), "2051", 1.0)
    batch, cursors = intake.drain()
    rows, bad = feed_rows(batch)
    assert bad == []
    store.commit(rows, cursors)
    return store


def test_hours_from_minutes_need_45_valid_minutes_and_hourly_frames_win(feed):
    table = hourly_values(feed, [dt.date(2019, 12, 1)], now=dt.datetime(2019, 12, 1, 11, 30))
    rows = {
        (ts, pollutant): value
        for ts, pollutant, value in zip(
            table.column("ts").to_pylist(),
            table.column("pollutant").to_pylist(),
            table.column("value").to_pylist(),
            strict=True,
        )
    }
    assert rows == {
        (dt.datetime(2019, 12, 1, 9), "PM2.5"): pytest.approx(900 + 24.5),  # mean of 900…949
        (dt.datetime(2019, 12, 1, 9), "PM10"): pytest.approx(2 * (900 + 24.5)),
        (dt.datetime(2019, 12, 1, 11), "PM2.5"): 650.0,  # the device's own hourly value
        (dt.datetime(2019, 12, 1, 11), "PM10"): 1300.0,
    }  # 09 o'clock (40 minutes) has none; 11 o'clock is not closed yet
    assert set(table.column("source").to_pylist()) == {"simulated"}


def test_device_hours_never_change_a_city_value(feed, tmp_path):
    measurements = MeasurementStore(tmp_path / "measurements")
    measurements.put_stations(
        registry_from_station_list(demo_file(STATION_LIST), demo_file(CONTROL_POINTS_HUNAN))
    )
    table, metadata = read_measurements(demo_file(HUNAN_2019))
    december = pc.and_(
        pc.greater(table.column("ts"), pa.scalar(dt.datetime(2019, 11, 30), pa.timestamp("s"))),
        pc.is_in(
            table.column("station_code"), pa.array(["2477A", "2478A", "2479A", "2480A", "2481A"])
        ),
    )
    measurements.import_measurements(table.filter(december), files=list(metadata["files"]))
    day = dt.date(2019, 12, 1)
    city = resolve_scope(measurements.stations(), city="永州")
    before = aqi_series(measurements, city, day, day, hourly=True)

    # a device with a place (as the source registry gives it: its site's coordinates and town)
    placed = dataclasses.replace(DEVICE.device, longitude=111.61, latitude=26.43, town="梅湾街道")
    summary = store_hourly(
        feed, measurements, [placed], [day], now=dt.datetime(2019, 12, 2), city="永州"
    )
    assert summary is not None
    assert summary.added == 4

    registry = measurements.stations().to_pylist()
    (entry,) = [r for r in registry if r["station_code"] == DEVICE.device.station_code]
    assert (entry["city"], entry["network"], entry["evaluation"]) == ("永州", "dust", False)
    assert (entry["town"], entry["longitude"], entry["latitude"]) == ("梅湾街道", 111.61, 26.43)
    assert "模拟数据" in entry["name"]
    assert resolve_scope(measurements.stations(), city="永州").stations == city.stations
    assert aqi_series(measurements, city, day, day, hourly=True).equals(before)

    moved = dataclasses.replace(placed, longitude=111.62)  # the registry moved the device
    store_hourly(feed, measurements, [moved], [day], now=dt.datetime(2019, 12, 2), city="永州")
    registry = measurements.stations().to_pylist()
    assert [r["longitude"] for r in registry if r["station_code"] == moved.station_code] == [111.62]
    assert resolve_scope(measurements.stations(), city="永州").stations == city.stations
    assert aqi_series(measurements, city, day, day, hourly=True).equals(before)

    device = resolve_scope(measurements.stations(), station=DEVICE.device.station_code)
    series = aqi_series(measurements, device, day, day, hourly=True)
    nine = series.filter(pc.equal(series.column("ts"), pa.scalar(dt.datetime(2019, 12, 1, 9))))
    assert nine.column("PM2.5").to_pylist() == [924]  # HJ 633 rounding of 924.5 (GB/T 8170)
