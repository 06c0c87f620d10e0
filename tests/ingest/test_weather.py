"""What the weather readers share (issue #12 item 5): the observation and forecast readers moved
into ``lantian.ingest`` with the one rejection type and one table of plausible ranges (the two
readers kept a table each)."""

from __future__ import annotations

import numpy as np

from lantian.ingest import nwp, weather
from lantian.ingest.nwp import read_nwp_csv
from lantian.ingest.schema import Rejection
from lantian.ingest.weather import plausible_ranges, read_weather_csv

OBSERVED = "station_id,ts,temperature,wind_speed,wind_direction,pressure\n"
FORECAST = "city,issue_time,valid_time,temperature,wind_speed,wind_direction,pressure\n"


def _both(tmp_path, cells: str) -> tuple[list[Rejection], list[Rejection]]:
    observed = tmp_path / "observed.csv"
    observed.write_text(OBSERVED + f"578660-99999,2021-01-01T08:00,{cells}\n", encoding="utf-8")
    forecast = tmp_path / "forecast.csv"
    forecast.write_text(
        FORECAST + f"永州,2021-01-01T08:00,2021-01-01T14:00,{cells}\n", encoding="utf-8"
    )
    return read_weather_csv(observed)[1]["rejected"], read_nwp_csv(forecast)[1]["rejected"]


def test_one_range_table_covers_every_column_of_both_readers():
    ranges = plausible_ranges()
    assert set(weather.WEATHER_COLUMNS) <= set(ranges)
    assert {*nwp.NWP_VARIABLES, "wind_direction"} <= set(ranges)
    assert all(low < high for low, high in ranges.values())


def test_observation_and_forecast_refuse_the_same_values_alike(tmp_path):
    for cells, field in [
        ("61,2,90,1000", "temperature"),  # above 60 °C
        ("20,76,90,1000", "wind_speed"),  # above 75 m/s
        ("20,2,361,1000", "wind_direction"),
        ("20,2,90,499", "pressure"),
    ]:
        observed, forecast = _both(tmp_path, cells)
        assert [(r.line, r.field, r.reason) for r in observed] == [(2, field, "out_of_range")]
        assert [(r.line, r.field, r.reason) for r in forecast] == [(2, field, "out_of_range")]
    for cells in ("60,75,360,1100", "-60,0,0,500"):  # on the bounds: kept by both
        assert _both(tmp_path, cells) == ([], [])


def test_a_cell_that_is_not_a_number_refuses_its_row_only(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text(
        OBSERVED
        + "x,2021-01-01T08:00,3,2,90,1000\n"
        + "x,2021-01-01T11:00,warm,2,90,1000\n"
        + "x,2021-01-01T14:00,,2,90,1000\n",
        encoding="utf-8",
    )
    table, metadata = read_weather_csv(path)
    assert metadata["rejected"] == [Rejection(str(path), 3, "temperature", "warm", "not_a_number")]
    assert table.num_rows == 2
    assert np.isnan(table["temperature"].to_numpy(zero_copy_only=False)[1])
    assert str(metadata["rejected"][0]) == f"{path}: line 3: temperature: not_a_number ('warm')"
