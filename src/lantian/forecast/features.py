"""The design matrix of the trained model: what is known at issue time, and the target day's calendar.

Issue convention: a forecast issued at the start of day *i* (00:00 Beijing time, right after the
hour stamped *i* 00:00 that closes day *i − 1*) knows days ``… i − 1`` and forecasts day
``t = i + lead − 1`` (lead 1 = day *i* itself). Every issue feature at index *i* is built from
days ``< i`` only; the tests check that changing any later day changes no feature.

Features (names are the matrix's column names):

* ``<series>_lag<k>``: the city's daily series ``k`` = 1 … :data:`LAGS` days before issue
  (``aqi``, ``PM2.5``, ``PM10``, ``O3_8h``; ``NO2``, ``SO2``, ``CO`` at lag 1);
* ``<series>_mean7``: the mean of the last 7 known days (at least 4 valid);
* ``<series>_clim``: the climatology known at issue (:func:`.baselines.climatology`);
* ``evening_<pollutant>``, ``late_<pollutant>``: the mean of the last
  :data:`history.EVENING_HOURS` and :data:`history.LATE_HOURS` hours before issue (with the daily
  mean, the trajectory of the last day);
* ``region_aqi_lag1``, ``region_PM2.5_lag1``: the mean over all cities of the history;
  ``region_aqi_max_lag1`` the highest city; ``region_aqi_trend`` the regional mean's change over
  the last day (lag 1 − lag 2); ``aqi_lag1@<city>`` and ``evening_PM2.5@<city>``: each city's AQI
  the day before issue and its evening PM2.5 (regional transport: which neighbours are polluted,
  and how late in the day);
* the target day's calendar (:mod:`.calendar`): ``weekday``, ``holiday``, ``fireworks`` (除夕 to
  元宵), ``spring_festival_day``; ``city``: the city's index (a categorical feature);
* weather, when given: ``<variable>_target`` (the target day: an observation standing in for a
  weather forecast, "perfect prognosis") and ``<variable>_lag1`` (the day before issue);
  forecast weather (:mod:`.nwp`, arrays (cities, issue days, leads)): ``nwp_<variable>``, the
  target day's value in the latest run issued before the forecast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lantian.forecast.baselines import climatology, shift_days
from lantian.forecast.calendar import calendar
from lantian.forecast.history import CityHistory
from lantian.standards import moving_average

FloatArray = npt.NDArray[np.float64]

LAGS = 3
LAGGED_SERIES = ("aqi", "PM2.5", "PM10", "O3_8h")
LAG1_ONLY = ("NO2", "SO2", "CO")
CLIMATOLOGY_SERIES = ("aqi", "PM2.5", "O3_8h")
MEAN_WINDOW_DAYS = 7
MEAN_MIN_DAYS = 4


@dataclass(frozen=True)
class IssueFeatures:
    """Features known at each issue index: ``values[f, city, i]`` for feature ``names[f]``."""

    names: list[str]
    values: FloatArray


def _region_mean(values: FloatArray) -> FloatArray:
    valid = ~np.isnan(values)
    total = np.where(valid, values, 0.0).sum(axis=0)
    count = valid.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / count, np.nan)
    return np.broadcast_to(mean, values.shape)


def _region_max(values: FloatArray) -> FloatArray:
    highest = np.where(np.isnan(values), -np.inf, values).max(axis=0)
    return np.broadcast_to(np.where(np.isinf(highest), np.nan, highest), values.shape)


def issue_features(history: CityHistory) -> IssueFeatures:
    """Every issue feature of every city and issue index, from days before the issue only."""
    names: list[str] = []
    columns: list[FloatArray] = []

    def add(name: str, values: FloatArray) -> None:
        names.append(name)
        columns.append(np.asarray(values, dtype=np.float64))

    for series in LAGGED_SERIES:
        for lag in range(1, LAGS + 1):
            add(f"{series}_lag{lag}", shift_days(history.daily[series], lag))
        means, _ = moving_average(history.daily[series], MEAN_WINDOW_DAYS, MEAN_MIN_DAYS)
        add(f"{series}_mean7", shift_days(means, 1))
    for series in CLIMATOLOGY_SERIES:
        add(f"{series}_clim", climatology(history.daily[series], 1))
    for series in LAG1_ONLY:
        add(f"{series}_lag1", shift_days(history.daily[series], 1))
    for pollutant, values in history.evening.items():
        add(f"evening_{pollutant}", shift_days(values, 1))
    for pollutant, values in history.late.items():
        add(f"late_{pollutant}", shift_days(values, 1))
    for series in ("aqi", "PM2.5"):
        add(f"region_{series}_lag1", _region_mean(shift_days(history.daily[series], 1)))
    aqi_lag1 = shift_days(history.daily["aqi"], 1)
    region = _region_mean(aqi_lag1)
    add("region_aqi_trend", region - _region_mean(shift_days(history.daily["aqi"], 2)))
    add("region_aqi_max_lag1", _region_max(aqi_lag1))
    evening_pm = shift_days(history.evening["PM2.5"], 1) if "PM2.5" in history.evening else None
    for row, city in enumerate(history.cities):
        add(f"aqi_lag1@{city}", np.broadcast_to(aqi_lag1[row], aqi_lag1.shape))
        if evening_pm is not None:
            add(f"evening_PM2.5@{city}", np.broadcast_to(evening_pm[row], aqi_lag1.shape))
    return IssueFeatures(names, np.stack(columns))


def calendar_features(history: CityHistory) -> IssueFeatures:
    """The calendar of each *target* day (:func:`.calendar.calendar`): weekday, holidays, fireworks.

    No day-of-year: trained on less than a year, every forecast day lies outside the days seen,
    and trees extrapolate a season they never saw as the last one they did (it worsened the
    2019 backtest at every lead). The season enters through the climatology features.
    """
    shape = history.daily["aqi"].shape
    by_day = calendar(history.days)
    values = np.stack([np.broadcast_to(v, shape) for v in by_day.values()])
    return IssueFeatures(list(by_day), values)


def weather_features(weather: dict[str, FloatArray]) -> tuple[IssueFeatures, IssueFeatures]:
    """(target-day features, issue features) from daily weather aligned to the history.

    ``weather`` maps a variable of :data:`lantian.forecast.meteo.DAILY_VARIABLES` to a
    (cities, days) array on the history's axes (NaN where a city has no weather).
    """
    names = sorted(n for n in weather if not np.isnan(weather[n]).all())  # e.g. no BLH in ISD
    shape = (0, *next(iter(weather.values())).shape)
    target = IssueFeatures(
        [f"{n}_target" for n in names],
        np.stack([weather[n] for n in names]) if names else np.empty(shape),
    )
    issue = IssueFeatures(
        [f"{n}_lag1" for n in names],
        np.stack([shift_days(weather[n], 1) for n in names]) if names else np.empty(shape),
    )
    return target, issue


@dataclass(frozen=True)
class Design:
    """A design matrix with its rows' city and issue indices."""

    names: list[str]
    x: FloatArray
    """(rows, features)."""
    city: npt.NDArray[np.int64]
    issue: npt.NDArray[np.int64]
    """Issue day index of each row; the target day is ``issue + lead − 1``."""


def design(
    history: CityHistory,
    lead: int,
    issues: npt.ArrayLike,
    weather: dict[str, FloatArray] | None = None,
    cities: npt.ArrayLike | None = None,
) -> Design:
    """Rows for every (city, issue index) pair: issue features at *i*, target features at *i + lead − 1*.

    Issue indices whose target falls after the history get NaN target features.
    """
    issue = np.asarray(issues, dtype=np.int64)
    rows_city = np.arange(len(history.cities)) if cities is None else np.asarray(cities)
    known = [issue_features(history)]
    on_target = [calendar_features(history)]
    observed = {k: v for k, v in (weather or {}).items() if v.ndim == 2}
    forecast = {k: v for k, v in (weather or {}).items() if v.ndim == 3}
    if observed:
        target_weather, issue_weather = weather_features(observed)
        known.append(issue_weather)
        on_target.append(target_weather)
    city_grid, issue_grid = np.meshgrid(rows_city, issue, indexing="ij")
    city_grid, issue_grid = city_grid.ravel(), issue_grid.ravel()
    target_grid = issue_grid + lead - 1
    inside = (target_grid >= 0) & (target_grid < history.n_days)
    target_index = np.clip(target_grid, 0, history.n_days - 1)
    blocks = [f.values[:, city_grid, issue_grid] for f in known]
    for block in on_target:
        values = block.values[:, city_grid, target_index]
        blocks.append(np.where(inside, values, np.nan))
    names = [n for f in known + on_target for n in f.names]
    for name in sorted(n for n, v in forecast.items() if not np.isnan(v).all()):
        values = forecast[name]
        if lead > values.shape[2]:
            continue
        inside_issue = (issue_grid >= 0) & (issue_grid < values.shape[1])
        column = values[city_grid, np.clip(issue_grid, 0, values.shape[1] - 1), lead - 1]
        blocks.append(np.where(inside_issue, column, np.nan)[np.newaxis])
        names.append(name)
    names.append("city")
    x = np.concatenate([*blocks, city_grid[np.newaxis].astype(np.float64)]).T
    return Design(names, np.ascontiguousarray(x), city_grid, issue_grid)
