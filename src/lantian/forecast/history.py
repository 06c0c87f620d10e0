"""Daily history of every city: the observed series a forecast learns from and is verified on.

A city's value is that of :mod:`lantian.assess` (mean of its evaluation stations per hour, control
points left out); daily means, MDA8 and the daily AQI (日报) follow the rule set of the period's
first day. Besides the daily statistics the history keeps the mean of each day's last
``EVENING_HOURS`` hours (hours ending 19:00 … 24:00) and of its last ``LATE_HOURS`` hours (22:00 …
24:00): the latest state an issue at midnight knows, and with the daily mean, the day's trajectory.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from lantian.assess.annual import daily_series
from lantian.assess.sources import load_period
from lantian.standards import BASIC_POLLUTANTS, rule_set
from lantian.standards.averages import valid_mean
from lantian.store import MeasurementStore

FloatArray = npt.NDArray[np.float64]

EVENING_HOURS = 6
"""Hours at the end of a natural day averaged into the ``evening_*`` series."""
LATE_HOURS = 3
"""Hours at the end of a natural day averaged into the ``late_*`` series."""

DAILY_SERIES = ("aqi", "PM2.5", "PM10", "O3_8h", "NO2", "SO2", "CO")
"""The daily series of a history; ``aqi`` is the daily AQI, ``O3_8h`` the MDA8, others daily means."""
EVENING_SERIES = ("PM2.5", "PM10", "O3", "NO2")


@dataclass(frozen=True)
class CityHistory:
    """Daily series of many cities: each array is (cities, days), NaN where a day is invalid."""

    cities: list[str]
    first_day: dt.date
    daily: dict[str, FloatArray]
    """By :data:`DAILY_SERIES` name [AQI; µg/m³; CO mg/m³]."""
    evening: dict[str, FloatArray]
    """Mean of the last :data:`EVENING_HOURS` hours of each day, by pollutant [µg/m³]."""
    standard: str
    """The HJ 633 standard of the daily AQI (``HJ633-2012`` …)."""
    late: dict[str, FloatArray] = field(default_factory=dict)
    """Mean of the last :data:`LATE_HOURS` hours of each day, by pollutant [µg/m³]."""

    @property
    def n_days(self) -> int:
        return self.daily["aqi"].shape[1]

    @property
    def days(self) -> npt.NDArray[np.datetime64]:
        return np.datetime64(self.first_day, "D") + np.arange(self.n_days)

    def day_index(self, day: dt.date) -> int:
        """Index of ``day`` on the day axis (may be outside ``0 … n_days − 1``)."""
        return (day - self.first_day).days

    def city_index(self, city: str) -> int:
        if city not in self.cities:
            raise KeyError(f"no history for city {city!r}; cities: {', '.join(self.cities)}")
        return self.cities.index(city)


def _evening_mean(hourly: FloatArray, hours: int = EVENING_HOURS) -> FloatArray:
    by_day = hourly.reshape(-1, 24)[:, 24 - hours :]
    return valid_mean(by_day, axis=1)  # a day with no evening hour gives NaN


def city_history(
    store: MeasurementStore,
    first_day: dt.date,
    last_day: dt.date,
    cities: list[str] | None = None,
    standard: str | None = None,
) -> CityHistory:
    """The daily history of ``cities`` (default: every city of the registry) from the store.

    Parameters
    ----------
    first_day, last_day
        Natural days, inclusive.
    standard
        ``2012`` or ``2026`` to force a rule set; by default the rule set of ``first_day``.
    """
    rules = rule_set(first_day, standard)
    data = load_period(store, first_day, last_day)
    known = sorted({data.cities[s] for s in data.stations if data.cities.get(s)})
    wanted = known if cities is None else cities
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise KeyError(f"no stations of city {unknown[0]!r}; cities: {', '.join(known)}")
    n_days = (last_day - first_day).days + 1
    daily = {name: np.full((len(wanted), n_days), np.nan) for name in DAILY_SERIES}
    evening = {name: np.full((len(wanted), n_days), np.nan) for name in EVENING_SERIES}
    late = {name: np.full((len(wanted), n_days), np.nan) for name in EVENING_SERIES}
    for row, city in enumerate(wanted):
        hourly = data.area_hourly(data.evaluation_stations(city))
        series = daily_series(hourly, first_day, rules)
        daily["aqi"][row] = series.aqi.aqi
        daily["O3_8h"][row] = series.mda8
        for pollutant in BASIC_POLLUTANTS:
            if pollutant in daily:
                daily[pollutant][row] = series.means[pollutant]
        for pollutant in EVENING_SERIES:
            evening[pollutant][row] = _evening_mean(hourly[pollutant])
            late[pollutant][row] = _evening_mean(hourly[pollutant], LATE_HOURS)
    return CityHistory(list(wanted), first_day, daily, evening, rules.hj633, late)
