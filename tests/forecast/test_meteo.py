"""Weather readers on the real ISD-Lite samples and the tidy format.

The samples are NOAA/NCEI ISD-Lite station files (fixed width, UTC), read unchanged from the reference
data's ``met/`` folder (its README gives the provenance: the public repository ``lsyhahaha/hadoop_keshe``,
commit 5ab7829): 578660 Lingling (Yongzhou), 26.233 N 111.617 E, 174 m, and 576870 Changsha,
28.117 N 112.783 E; 844 rows each, 2021-01-01 00 UTC … 2021-04-20 (3-hourly). No 2019 weather could
be obtained, so they test the readers and the weather features, not the 2019 backtest.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from lantian.demo import CHANGSHA_2021, LINGLING_2021, demo_file
from lantian.forecast.features import design
from lantian.forecast.history import CityHistory
from lantian.forecast.meteo import daily_weather, station_cities
from lantian.forecast.model import fit, predict
from lantian.ingest.schema import FormatError, Rejection
from lantian.ingest.weather import (
    parse_isd_lite,
    read_isd_lite,
    read_weather,
    relative_humidity,
)


def lingling() -> Path:
    return demo_file(LINGLING_2021)


def changsha() -> Path:
    return demo_file(CHANGSHA_2021)


TIDY_COLUMNS = ["station_id", "city", "ts", "temperature", "dew_point", "pressure", "wind_speed"]
TIDY_COLUMNS += ["wind_direction", "precipitation", "boundary_layer_height"]


@pytest.fixture
def tidy_weather(tmp_path) -> Path:
    """A tidy weather CSV built here from Lingling's first six observations as the ISD-Lite reader
    gives them (line 4 with a space instead of ``T`` in ``ts``), with invented boundary-layer heights
    (ISD-Lite has none); line 6 gets month 13 and line 7 a negative wind speed, on purpose."""
    rows = read_isd_lite(lingling())[0].slice(0, 6).to_pylist()
    for row, height in zip(rows, (350, 620, 900, 400, 300, 300), strict=True):
        row["ts"] = row["ts"].strftime("%Y-%m-%dT%H:%M")
        row["boundary_layer_height"] = height
    rows[2]["ts"] = rows[2]["ts"].replace("T", " ")
    rows[4]["ts"] = rows[4]["ts"].replace("-01-", "-13-", 1)
    rows[5]["wind_speed"] = -3.0
    lines = [",".join(TIDY_COLUMNS)]
    lines += [",".join("" if row[c] is None else str(row[c]) for c in TIDY_COLUMNS) for row in rows]
    path = tmp_path / "tidy_weather.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_isd_lite_first_row_of_lingling():
    # the file's first line: "2021 01 01 00   -14   -42 10332   170    10 -9999 -9999     0"
    table, metadata = read_isd_lite(lingling())
    assert metadata["rows"] == 844
    assert metadata["rejected"] == []
    first = table.slice(0, 1).to_pylist()[0]
    assert first["station_id"] == "578660-99999"
    assert first["city"] is None  # the file names no city: met_stations.csv says which it serves
    assert station_cities(table.slice(0, 1)).to_pylist() == ["永州"]
    assert first["ts"] == dt.datetime(2021, 1, 1, 8)  # 00 UTC = 08:00 Beijing time
    assert (first["temperature"], first["dew_point"], first["pressure"]) == (-1.4, -4.2, 1033.2)
    assert (first["wind_direction"], first["wind_speed"]) == (170.0, 1.0)
    assert first["precipitation"] == 0.0  # 6-hour amount at 00 UTC
    assert first["relative_humidity"] == pytest.approx(81.2, abs=0.1)


def test_isd_lite_last_row_and_missing_values():
    table, _ = read_isd_lite(lingling())
    last = table.slice(table.num_rows - 1, 1).to_pylist()[0]
    # "2021 04 20 21   195   180 10104   240    10 -9999 -9999     0": 21 UTC → 04-21 05:00
    assert last["ts"] == dt.datetime(2021, 4, 21, 5)
    assert last["temperature"] == 19.5
    assert last["precipitation"] is None  # 1-hour missing, 6-hour not at a synoptic hour


def test_isd_lite_bad_lines_are_reported():
    good = "2021 01 01 00   -14   -42 10332   170    10 -9999 -9999     0"
    table, metadata = parse_isd_lite(f"{good}\n2021 01 01 03 garbage\n{good}\n", "578660-99999")
    assert table.num_rows == 2
    assert metadata["rejected"] == [
        Rejection("578660-99999", 2, "line", "2021 01 01 03 garbage", "wrong_width")
    ]


def test_isd_lite_name_is_checked(tmp_path):
    path = tmp_path / "weather.txt"
    path.write_text("")
    with pytest.raises(FormatError, match="578660-99999-2021"):
        read_isd_lite(path)


def test_relative_humidity_reference_values():
    # Alduchov & Eskridge (1996) Eq. 21: T = Td → 100 %; T = 20, Td = 10 → 52.6 % (e_s 12.27/23.37 hPa)
    assert relative_humidity(15.0, 15.0) == pytest.approx(100.0)
    assert relative_humidity(20.0, 10.0) == pytest.approx(52.5, abs=0.2)
    assert np.isnan(relative_humidity(55.0, 10.0))  # outside the formula's −40 … 50 °C


def test_tidy_weather_csv(tidy_weather):
    table, metadata = read_weather(tidy_weather)
    assert table.num_rows == 4
    source = str(tidy_weather)
    assert metadata["rejected"] == [
        Rejection(source, 6, "ts", "2021-13-01T20:00", "bad_time"),
        Rejection(source, 7, "wind_speed", "-3.0", "out_of_range"),
    ]
    first = table.slice(0, 1).to_pylist()[0]
    assert first["ts"] == dt.datetime(2021, 1, 1, 8)
    assert first["boundary_layer_height"] == 350
    assert first["relative_humidity"] == pytest.approx(81.2, abs=0.1)  # derived from dew point


def test_tidy_weather_missing_column(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("station_id,ts,temperature\nx,2021-01-01T08:00,3\n")
    with pytest.raises(FormatError, match="wind_speed"):
        read_weather(path)


def test_daily_weather_of_two_cities():
    tables = [read_isd_lite(p)[0] for p in (lingling(), changsha())]
    import pyarrow as pa

    weather = daily_weather(pa.concat_tables(tables), ["永州", "长沙"], dt.date(2021, 1, 1), 110)
    assert weather["temperature"].shape == (2, 110)
    # 2021-01-01 Beijing: the Lingling observations at 08, 11, 14, 17, 20, 23 h (00 … 15 UTC)
    first_day = tables[0].slice(0, 6).column("temperature").to_numpy()
    assert weather["temperature"][0, 0] == pytest.approx(first_day.mean())
    assert weather["temperature_max"][0, 0] == first_day.max()
    assert np.isnan(weather["boundary_layer_height"]).all()
    assert np.isfinite(weather["wind_u"][:, :100]).mean() > 0.8


def test_model_uses_weather_when_given(monkeypatch):
    """AQI driven by the real Lingling and Changsha winds: weather features must lower the error."""
    import pyarrow as pa

    monkeypatch.setattr("lantian.forecast.model.MIN_BOOSTED_ROWS", 40)
    tables = [read_isd_lite(p)[0] for p in (lingling(), changsha())]
    weather = daily_weather(pa.concat_tables(tables), ["永州", "长沙"], dt.date(2021, 1, 1), 110)
    rng = np.random.default_rng(7)
    speed = np.nan_to_num(weather["wind_speed"], nan=2.0)
    aqi = np.clip(160 - 30 * speed + rng.normal(0, 5, speed.shape), 20, 300)
    daily = {"aqi": aqi, "PM2.5": aqi * 0.6, "PM10": aqi, "O3_8h": aqi, "NO2": aqi, "SO2": aqi}
    daily["CO"] = aqi / 100
    evening = {p: aqi for p in ("PM2.5", "PM10", "O3", "NO2")}
    history = CityHistory(["永州", "长沙"], dt.date(2021, 1, 1), daily, evening, "HJ633-2012")
    names = design(history, 1, [60], weather).names
    assert "wind_speed_target" in names
    assert "relative_humidity_lag1" in names
    only = {"targets": ("aqi",), "leads": (1,)}
    issues = np.arange(80, 108)
    errors = {}
    for label, given in (("with", weather), ("without", None)):
        model = fit(history, 80, given, **only)
        forecast = predict(model, history, issues, given, **only)[("aqi", 1)]
        errors[label] = np.nanmean(np.abs(forecast - aqi[:, issues]))
    assert errors["with"] < 0.6 * errors["without"], errors
