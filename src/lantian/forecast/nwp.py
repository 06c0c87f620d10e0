"""Daily forecast weather for each issue and lead, from NWP runs (:mod:`lantian.ingest.nwp`).

A forecast issued at 00:00 of day *i* may use the runs issued at or before that instant only: for
each city it takes the latest such run, and from it the valid times falling in each target day
*t = i + lead − 1* (natural day: the instants after *t* 00:00 up to *t + 1* 00:00, as the hours of
the measurement convention end). Per (city, issue, lead): the means of temperature, humidity, wind
speed, wind components, boundary-layer height and pressure, the maximum temperature and the
precipitation sum, each from at least :data:`MIN_VALUES_PER_DAY` valid times. The features are
named ``nwp_<variable>`` and are arrays of shape (cities, days, leads) on the history's axes —
this is what tells :func:`.features.design` a forecast from an observation (cities, days).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from lantian.ingest.nwp import NWP_VARIABLES

FloatArray = npt.NDArray[np.float64]

MIN_VALUES_PER_DAY = 2
"""Valid times needed in a target day for a daily value (6-hourly output gives 4)."""
MEANS = tuple(v for v in NWP_VARIABLES if v != "precipitation")


def _seconds(column: pa.ChunkedArray) -> npt.NDArray[np.int64]:
    return column.to_numpy(zero_copy_only=False).astype("datetime64[s]").astype(np.int64)


def daily_forecast_weather(
    table: pa.Table, cities: list[str], first_day: dt.date, n_days: int, leads: int = 3
) -> dict[str, FloatArray]:
    """``{"nwp_<variable>": (cities, issue days, leads)}``; NaN where no run or too few values."""
    city_of = {c: k for k, c in enumerate(cities)}
    row_city = np.asarray([city_of.get(c, -1) for c in table["city"].to_pylist()], dtype=np.int64)
    origin = np.datetime64(first_day, "s").astype(np.int64)
    issue = _seconds(table["issue_time"]) - origin
    valid_day = (
        _seconds(table["valid_time"]) - origin - 1
    ) // 86400  # an instant at 00:00 ends the day before
    values = {
        name: table[name].to_numpy(zero_copy_only=False).astype(np.float64)
        for name in table.column_names
        if name in (*MEANS, "precipitation")
    }
    shape = (len(cities), n_days, leads)
    out = {
        f"nwp_{name}": np.full(shape, np.nan)
        for name in (*MEANS, "temperature_max", "precipitation")
    }
    if not table.num_rows:
        return out
    for day in range(n_days):
        moment = day * 86400
        usable = (row_city >= 0) & (issue <= moment)
        if not usable.any():
            continue
        latest = np.full(len(cities), np.iinfo(np.int64).min)
        np.maximum.at(latest, row_city[usable], issue[usable])
        chosen = usable & (issue == latest[np.maximum(row_city, 0)])
        lead = valid_day - day
        chosen &= (lead >= 0) & (lead < leads)
        cell = row_city[chosen] * leads + lead[chosen]
        size = len(cities) * leads
        for name in MEANS:
            x = values[name][chosen]
            ok = ~np.isnan(x)
            count = np.bincount(cell[ok], minlength=size)
            total = np.bincount(cell[ok], weights=x[ok], minlength=size)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[f"nwp_{name}"][:, day, :] = np.where(
                    count >= MIN_VALUES_PER_DAY, total / count, np.nan
                ).reshape(len(cities), leads)
        t = values["temperature"][chosen]
        ok = ~np.isnan(t)
        highest = np.full(size, -np.inf)
        np.maximum.at(highest, cell[ok], t[ok])
        count = np.bincount(cell[ok], minlength=size)
        out["nwp_temperature_max"][:, day, :] = np.where(
            count >= MIN_VALUES_PER_DAY, highest, np.nan
        ).reshape(len(cities), leads)
        rain = values["precipitation"][chosen]
        ok = ~np.isnan(rain)
        count = np.bincount(cell[ok], minlength=size)
        total = np.bincount(cell[ok], weights=rain[ok], minlength=size)
        out["nwp_precipitation"][:, day, :] = np.where(count > 0, total, np.nan).reshape(
            len(cities), leads
        )
    return out
