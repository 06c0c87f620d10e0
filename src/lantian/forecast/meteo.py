"""Daily weather for the forecast, from the observations :mod:`lantian.ingest.weather` reads.

The readers (ISD-Lite, the tidy weather CSV) are in :mod:`lantian.ingest.weather`, the one reader
layer; here the observations become daily features per city. The city a weather station serves is
``tables/met_stations.csv`` (where the file itself names no city).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from lantian.forecast.tables import table as forecast_table

FloatArray = npt.NDArray[np.float64]


def station_cities(table: pa.Table) -> pa.Array:
    """The city of each observation: the file's ``city``, else the one ``met_stations.csv`` gives
    its ``station_id`` (null when neither does)."""
    served = {row["station_id"]: row["city"] for row in forecast_table("met_stations")}
    stations = pc.dictionary_encode(table["station_id"].cast(pa.string())).combine_chunks()
    lookup = pa.array([served.get(code) for code in stations.dictionary.to_pylist()], pa.string())
    named = table["city"].combine_chunks().cast(pa.string())
    named = pc.if_else(pc.equal(named, ""), pa.scalar(None, pa.string()), named)
    return pc.coalesce(named, lookup.take(stations.indices))


def _rows_of(values: pa.Array, names: list[str]) -> npt.NDArray[np.int64]:
    """Each row's position in ``names`` (−1 when absent or null), via the column's dictionary."""
    encoded = pc.dictionary_encode(values)
    lookup = np.asarray(
        [names.index(v) if v in names else -1 for v in encoded.dictionary.to_pylist()] + [-1]
    )
    indices = pc.fill_null(encoded.indices, len(lookup) - 1).to_numpy(zero_copy_only=False)
    rows: npt.NDArray[np.int64] = lookup[indices].astype(np.int64)
    return rows


DAILY_VARIABLES = (
    "temperature",
    "temperature_max",
    "relative_humidity",
    "pressure",
    "wind_speed",
    "wind_u",
    "wind_v",
    "precipitation",
    "boundary_layer_height",
)
"""Daily weather features: means, except ``temperature_max`` (maximum) and ``precipitation`` (sum)."""
MIN_OBSERVATIONS_PER_DAY = 4


def daily_weather(
    table: pa.Table, cities: list[str], first_day: dt.date, n_days: int
) -> dict[str, FloatArray]:
    """Daily weather per city on a history's axes: {variable: (cities, days)}, NaN where unknown.

    A day is the Beijing calendar day of the observation times; a variable's daily value needs
    :data:`MIN_OBSERVATIONS_PER_DAY` observations (3-hourly synoptic reports give 8). With several
    stations in one city, their observations are pooled. Wind components: u = −speed·sin(direction),
    v = −speed·cos(direction) (meteorological convention: direction is where the wind comes from).
    """
    city_row = _rows_of(station_cities(table), cities)
    ts = table["ts"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
    day = (ts - np.datetime64(first_day, "D")).astype(np.int64)
    keep = (city_row >= 0) & (day >= 0) & (day < n_days)
    cell = city_row[keep] * n_days + day[keep]
    size = len(cities) * n_days

    def column(name: str) -> FloatArray:
        return table[name].to_numpy(zero_copy_only=False).astype(np.float64)[keep]

    speed, direction = column("wind_speed"), np.deg2rad(column("wind_direction"))
    values = {
        "temperature": column("temperature"),
        "relative_humidity": column("relative_humidity"),
        "pressure": column("pressure"),
        "wind_speed": speed,
        "wind_u": -speed * np.sin(direction),
        "wind_v": -speed * np.cos(direction),
        "boundary_layer_height": column("boundary_layer_height"),
    }
    out: dict[str, FloatArray] = {}
    for name, x in values.items():
        valid = ~np.isnan(x)
        count = np.bincount(cell[valid], minlength=size)
        total = np.bincount(cell[valid], weights=x[valid], minlength=size)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(count >= MIN_OBSERVATIONS_PER_DAY, total / count, np.nan)
        out[name] = mean.reshape(len(cities), n_days)
    temperature = values["temperature"]
    valid = ~np.isnan(temperature)
    maximum = np.full(size, -np.inf)
    np.maximum.at(maximum, cell[valid], temperature[valid])
    count = np.bincount(cell[valid], minlength=size)
    out["temperature_max"] = np.where(count >= MIN_OBSERVATIONS_PER_DAY, maximum, np.nan).reshape(
        len(cities), n_days
    )
    rain = column("precipitation")
    valid = ~np.isnan(rain)
    reported = np.bincount(cell[valid], minlength=size)
    total = np.bincount(cell[valid], weights=rain[valid], minlength=size)
    out["precipitation"] = np.where(reported > 0, total, np.nan).reshape(len(cities), n_days)
    return {name: out[name] for name in DAILY_VARIABLES}
