"""``lantian aqi``: the hourly (实时报) or daily (日报) AQI series of a station, city or area, as an
Arrow table with the columns of :mod:`lantian.assess.series` (the ones the API gives).

City and area concentrations are the mean of their evaluation stations per hour, rounded per HJ 633
before the IAQI.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from lantian.assess.scope import Scope
from lantian.assess.series import daily_table, hourly_table
from lantian.assess.sources import load_period
from lantian.store import MeasurementStore


def aqi_series(
    store: MeasurementStore,
    scope: Scope,
    first_day: dt.date,
    last_day: dt.date,
    hourly: bool = False,
    standard: str | None = None,
    completeness: str | None = None,
) -> pa.Table:
    """The AQI of every hour or day of the period, as an Arrow table (one row per hour or day);
    each row by the rules of its date unless ``standard`` is given (:mod:`lantian.assess.series`);
    ``completeness`` ``release`` or ``letter`` (default: the report's)."""
    data = load_period(store, first_day, last_day, list(scope.stations))
    values = data.scope_hourly(scope)
    table = hourly_table if hourly else daily_table
    columns = table(values, first_day, standard, completeness)
    return pa.table({name: pa.array(column, from_pandas=True) for name, column in columns.items()})
