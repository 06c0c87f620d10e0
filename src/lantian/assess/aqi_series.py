"""``lantian aqi``: the hourly (实时报) or daily (日报) AQI series of a station, city or area.

Rows (JSON / CSV): hourly ``ts`` (end of the hour) or daily ``day``, then ``aqi``, ``level``,
``category``, ``colour``, ``primary_pollutants``, and per pollutant the concentration and its IAQI
(``PM2.5``, ``PM2.5_iaqi`` …). City and area concentrations are the mean of their evaluation
stations per hour, rounded per HJ 633 before the IAQI.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from lantian.assess.annual import daily_series
from lantian.assess.scope import Scope
from lantian.assess.sources import load_period
from lantian.standards import BASIC_POLLUTANTS, aqi_report, round_concentration, rule_set
from lantian.store import MeasurementStore


def aqi_series(
    store: MeasurementStore,
    scope: Scope,
    first_day: dt.date,
    last_day: dt.date,
    hourly: bool = False,
    standard: str | None = None,
) -> pa.Table:
    """The AQI of every hour or day of the period, as an Arrow table (one row per hour or day)."""
    rules = rule_set(first_day, standard)
    data = load_period(store, first_day, last_day, scope.stations)
    values = data.scope_hourly(scope)
    if hourly:
        inputs = {f"{p}_1h": values[p] for p in BASIC_POLLUTANTS}
        report = aqi_report(inputs, "hourly", rules.hj633)
        hour_ends = np.datetime64(first_day, "h") + np.arange(
            1, len(report.aqi) + 1
        ) * np.timedelta64(1, "h")
        labels = {"ts": hour_ends.astype("datetime64[s]")}
        concentrations = values
    else:
        daily = daily_series(values, first_day, rules)
        report = daily.aqi
        labels = {"day": daily.days}
        concentrations = {**daily.means, "O3": daily.mda8}
    rounded = {p: round_concentration(concentrations[p], p, rules.hj633) for p in BASIC_POLLUTANTS}
    ((label, stamps),) = labels.items()
    columns: dict[str, object] = {
        label: pa.array(stamps),
        "aqi": pa.array(report.aqi, from_pandas=True),
        "level": pa.array(np.where(report.level > 0, report.level, 0), mask=report.level == 0),
        "category": _text(report.category()),
        "colour": _text(report.colour()),
        "primary_pollutants": _text(report.primary_pollutants()),
    }
    for p in BASIC_POLLUTANTS:
        columns[p] = pa.array(rounded[p], from_pandas=True)
        columns[f"{p}_iaqi"] = pa.array(report.iaqi[p], from_pandas=True)
    return pa.table(columns)


def _text(values: np.ndarray) -> pa.Array:
    """Object array of strings → Arrow strings, '' as null."""
    return pa.array(values, pa.string(), mask=values == "")
