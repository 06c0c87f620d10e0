"""Forecast meteorology readers (issue #17): GRIB2 written here with ecCodes from its own GRIB2
sample template, and the tidy NWP CSV; then the daily features an issue may see."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from lantian.forecast.nwp import daily_forecast_weather
from lantian.ingest.nwp import read_nwp, read_nwp_csv, read_nwp_grib
from lantian.ingest.schema import FormatError, Rejection

eccodes = pytest.importorskip(
    "eccodes"
)  # a locked dependency: installed in CI, never skipped there

# 1° grid from 30°N 108°E (first point, north-west) to 22°N 118°E: Hunan inside
NI, NJ, NORTH, WEST = 11, 9, 30.0, 108.0
PLACES = {"永州": (26.42, 111.61), "北京": (39.9, 116.4)}  # Beijing lies outside the grid


def grid_field(base: float) -> np.ndarray:
    """``base + 0.5·i + j`` at column i (east) and row j (south): each point its own value."""
    j, i = np.mgrid[0:NJ, 0:NI]
    return (base + 0.5 * i + j).ravel().astype(float)


def message(short_name: str, step: int, values: np.ndarray, accumulated: bool = False):
    """A GRIB2 message from ecCodes' ``GRIB2`` sample: run 2019-01-27 12 UTC, ``step`` hours."""
    handle = eccodes.codes_grib_new_from_samples("GRIB2")
    for key, value in (
        ("Ni", NI),
        ("Nj", NJ),
        ("latitudeOfFirstGridPointInDegrees", NORTH),
        ("longitudeOfFirstGridPointInDegrees", WEST),
        ("latitudeOfLastGridPointInDegrees", NORTH - NJ + 1),
        ("longitudeOfLastGridPointInDegrees", WEST + NI - 1),
        ("iDirectionIncrementInDegrees", 1.0),
        ("jDirectionIncrementInDegrees", 1.0),
        ("dataDate", 20190127),
        ("dataTime", 1200),
        ("bitsPerValue", 24),
    ):
        eccodes.codes_set(handle, key, value)
    if accumulated:
        eccodes.codes_set(handle, "productDefinitionTemplateNumber", 8)  # statistical: accumulation
        eccodes.codes_set(handle, "shortName", short_name)
        eccodes.codes_set(handle, "stepRange", f"0-{step}")
    else:
        eccodes.codes_set(handle, "shortName", short_name)
        eccodes.codes_set(handle, "step", step)
    eccodes.codes_set_values(handle, values)
    return handle


@pytest.fixture
def grib_file(tmp_path):
    path = tmp_path / "run-2019012712.grib2"
    fields = {
        "2t": lambda step: grid_field(273.15 + step / 6),  # 永州's point (i 4, j 4): 6 °C + step/6
        "10u": lambda step: np.full(NI * NJ, 3.0),
        "10v": lambda step: np.full(NI * NJ, 4.0),
        "blh": lambda step: np.full(NI * NJ, 100.0 * step),
        "2r": lambda step: np.full(NI * NJ, 80.0),
        "sp": lambda step: np.full(NI * NJ, 101000.0),
        "msl": lambda step: np.full(NI * NJ, 101300.0),  # not read: counted as skipped
    }
    accumulated_rain = {6: 1.0, 12: 3.0, 18: 3.0, 24: 6.0}  # mm since the run's start
    with path.open("wb") as handle:
        for step in (6, 12, 18, 24):
            for name, field in fields.items():
                written = message(name, step, field(step))
                eccodes.codes_write(written, handle)
                eccodes.codes_release(written)
            rain = message("tp", step, np.full(NI * NJ, accumulated_rain[step]), accumulated=True)
            eccodes.codes_write(rain, handle)
            eccodes.codes_release(rain)
    return path


def test_grib2_reader_on_a_sample(grib_file):
    table, metadata = read_nwp_grib(grib_file, PLACES)
    assert metadata["skipped"] == {"msl": 4}
    rows = [r for r in table.to_pylist() if r["city"] == "永州"]
    # 2019-01-27 12:00 UTC is 20:00 Beijing; steps 6 … 24 h are valid 02:00 … 20:00 on the 28th
    assert {r["issue_time"] for r in rows} == {dt.datetime(2019, 1, 27, 20)}
    assert [r["valid_time"].hour for r in rows] == [2, 8, 14, 20]
    # the nearest grid point to 26.42°N 111.61°E is 26°N 112°E: i = 4, j = 4 → 0.5·4 + 4 = 6 °C
    assert [r["temperature"] for r in rows] == pytest.approx([7, 8, 9, 10], abs=1e-3)
    assert [r["wind_speed"] for r in rows] == pytest.approx([5.0] * 4)  # from u = 3, v = 4
    assert [r["boundary_layer_height"] for r in rows] == pytest.approx([600, 1200, 1800, 2400])
    assert [r["pressure"] for r in rows] == pytest.approx([1010.0] * 4)  # Pa → hPa
    assert [r["relative_humidity"] for r in rows] == pytest.approx([80.0] * 4)
    # accumulated from the start (0-6, 0-12, …): differenced into the amount of each 6 hours
    assert [r["precipitation"] for r in rows] == pytest.approx([1.0, 2.0, 0.0, 3.0])
    beijing = [r for r in table.to_pylist() if r["city"] == "北京"]
    assert all(r["temperature"] is None for r in beijing)  # outside the grid


def test_forecast_weather_uses_only_runs_issued_before_the_forecast(grib_file):
    table, _ = read_nwp(grib_file, PLACES)
    daily = daily_forecast_weather(table, ["永州"], dt.date(2019, 1, 26), 4)
    temperature = daily["nwp_temperature"][0]
    # issued 2019-01-28 00:00 (day 2): the run of the 27th 20:00 is known; lead 1 = the 28th
    assert temperature[2, 0] == pytest.approx(8.5, abs=1e-3)
    assert daily["nwp_precipitation"][0, 2, 0] == pytest.approx(6.0)
    assert daily["nwp_temperature_max"][0, 2, 0] == pytest.approx(10.0, abs=1e-3)
    assert np.isnan(temperature[2, 1])  # nothing valid on the 29th
    # issued 2019-01-27 00:00 (day 1): the run of the 27th 20:00 did not exist yet
    assert np.isnan(temperature[1]).all()
    # issued the 29th: the same run, its 28th now lies before the issue (no lead 0)
    assert np.isnan(temperature[3]).all()


def test_tidy_nwp_csv(tmp_path):
    path = tmp_path / "nwp.csv"
    path.write_text(
        "city,issue_time,valid_time,temperature,wind_speed,wind_direction,boundary_layer_height\n"
        "永州,2019-01-27T20:00,2019-01-28T02:00,5.5,2.0,90,350\n"
        "永州,2019-01-27 20:00,2019-01-28 08:00,6.0,2.0,180,400\n"
        "永州,2019-01-27T20:00,2019-01-27T08:00,6.0,2.0,180,400\n"
        "永州,yesterday,2019-01-28T08:00,6.0,2.0,180,400\n"
        "永州,2019-01-27T20:00,2019-01-28T14:00,6.0,2.0,180,9000\n",
        encoding="utf-8",
    )
    table, metadata = read_nwp(path)
    assert table.num_rows == 2
    source = str(path)
    assert metadata["rejected"] == [
        Rejection(source, 4, "valid_time", "2019-01-27T08:00", "before_issue_time"),
        Rejection(source, 5, "issue_time", "yesterday", "bad_time"),
        Rejection(source, 6, "boundary_layer_height", "9000", "out_of_range"),
    ]
    first, second = table.to_pylist()
    # wind from the east (90°) blows towards the west: u = −2; from the south (180°): v = +2
    assert (first["wind_u"], first["wind_v"]) == pytest.approx((-2.0, 0.0), abs=1e-9)
    assert (second["wind_u"], second["wind_v"]) == pytest.approx((0.0, 2.0), abs=1e-9)
    assert first["relative_humidity"] is None


def test_nwp_errors_name_the_file(tmp_path):
    missing = tmp_path / "no-city.csv"
    missing.write_text("issue_time,valid_time\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"no-city\.csv: line 1: missing column"):
        read_nwp_csv(missing)
    with pytest.raises(FormatError, match="needs the cities' coordinates"):
        read_nwp(tmp_path / "x.grib2")
    garbage = tmp_path / "garbage.grib2"
    garbage.write_bytes(b"GRIB" + b"\x00" * 40)
    with pytest.raises(FormatError, match=r"garbage\.grib2"):
        read_nwp(garbage, PLACES)
