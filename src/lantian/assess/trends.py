"""Trends: monthly and yearly series per pollutant, year-on-year change, and a Theil–Sen slope with
Mann–Kendall significance on the deseasonalised monthly series (as openair's ``TheilSen``).

* Monthly value: the mean of the month's valid daily means (O3: of its MDA8); months with fewer
  valid days than GB 3095 Table 4's monthly minimum (27, February 25) are marked ``complete=False``
  and left out of the trend.
* Deseasonalising: each month minus the mean of that calendar month over the series, plus the
  overall mean (a missing month stays missing — the test tolerates gaps).
* Theil–Sen slope: the median of the pairwise slopes (x_j − x_i)/(j − i) over valid months, per
  year (×12); Mann–Kendall S with the tie-corrected variance and a two-sided normal p-value
  (Mann 1945; Kendall 1975), computed whole-array.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lantian.assess.annual import daily_series
from lantian.assess.scope import Scope
from lantian.assess.sources import load_period
from lantian.standards import rule_set
from lantian.standards.averages import validity_threshold
from lantian.store import MeasurementStore

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TheilSen:
    """A Theil–Sen slope with its Mann–Kendall test over monthly values."""

    slope_per_year: float
    """Median pairwise slope [unit per year]; NaN with fewer than 3 valid months."""
    p_value: float
    """Two-sided Mann–Kendall p-value."""
    s: int
    n: int


def monthly_means(
    daily: FloatArray, days: npt.NDArray[np.datetime64], standard: str = "HJ663-2013"
) -> tuple[npt.NDArray[np.datetime64], FloatArray, npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """(months, means, valid_days, complete) of a daily series."""
    month = days.astype("datetime64[M]")
    months = np.unique(month)
    index = np.searchsorted(months, month)
    valid = ~np.isnan(daily)
    counts = np.bincount(index, weights=valid, minlength=len(months)).astype(int)
    sums = np.bincount(index, weights=np.where(valid, daily, 0.0), minlength=len(months))
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / counts, np.nan)
    february = months.astype("datetime64[M]").astype(int) % 12 == 1
    needed = np.where(
        february,
        validity_threshold("february_min_days", standard),
        validity_threshold("monthly_min_days", standard),
    )
    return months, means, counts, counts >= needed


def deseasonalise(values: FloatArray, calendar_month: npt.NDArray[np.int64]) -> FloatArray:
    """Remove the mean seasonal cycle: x − mean(x of that calendar month) + mean(x)."""
    seasonal = np.full(12, np.nan)
    for m in range(12):
        chosen = values[calendar_month == m]
        if np.any(~np.isnan(chosen)):
            seasonal[m] = np.nanmean(chosen)
    adjusted: FloatArray = values - seasonal[calendar_month] + np.nanmean(values)
    return adjusted


def theil_sen(values: FloatArray) -> TheilSen:
    """Theil–Sen slope and Mann–Kendall test of a monthly series (NaN = missing month)."""
    t = np.flatnonzero(~np.isnan(values))
    x = values[t]
    n = len(x)
    if n < 3:
        return TheilSen(math.nan, math.nan, 0, n)
    i, j = np.triu_indices(n, k=1)
    slope = np.median((x[j] - x[i]) / (t[j] - t[i])) * 12
    s = int(np.sign(x[j] - x[i]).sum())
    _, ties = np.unique(x, return_counts=True)
    variance = (n * (n - 1) * (2 * n + 5) - np.sum(ties * (ties - 1) * (2 * ties + 5))) / 18
    z = 0.0 if s == 0 else (s - np.sign(s)) / math.sqrt(variance)
    p = math.erfc(abs(z) / math.sqrt(2))
    return TheilSen(float(slope), float(p), s, n)


def year_on_year(values: FloatArray, previous: FloatArray) -> FloatArray:
    """Change against the same period a year earlier [%]."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return (values - previous) / previous * 100.0


def trend_table(daily: FloatArray, days: npt.NDArray[np.datetime64]) -> dict[str, object]:
    """Monthly series, year-on-year changes and the Theil–Sen trend of one pollutant."""
    months, means, counts, complete = monthly_means(daily, days)
    usable = np.where(complete, means, np.nan)
    calendar = months.astype(int) % 12
    trend = (
        theil_sen(deseasonalise(usable, calendar))
        if np.any(~np.isnan(usable))
        else theil_sen(usable)
    )
    previous = {str(m): v for m, v in zip(months, means, strict=True)}
    rows = []
    for m, value, count, ok in zip(months, means, counts, complete, strict=True):
        year, month = int(str(m)[:4]), int(str(m)[5:7])
        before = previous.get(f"{year - 1}-{month:02d}")
        change = (
            None
            if before is None or math.isnan(before) or math.isnan(value)
            else float(year_on_year(value, before))
        )
        rows.append(
            {
                "month": str(m),
                "mean": None if math.isnan(value) else round(float(value), 1),
                "valid_days": int(count),
                "complete": bool(ok),
                "year_on_year_percent": None if change is None else round(change, 1),
            }
        )
    return {
        "months": rows,
        "theil_sen_slope_per_year": None
        if math.isnan(trend.slope_per_year)
        else round(trend.slope_per_year, 3),
        "mann_kendall_p": None if math.isnan(trend.p_value) else round(trend.p_value, 4),
        "mann_kendall_s": trend.s,
        "months_used": trend.n,
        "first_day": str(days[0]) if len(days) else None,
    }


def trend(
    store: MeasurementStore,
    scope: Scope,
    pollutant: str,
    first_day: dt.date,
    last_day: dt.date,
    standard: str | None = None,
) -> dict[str, object]:
    """``lantian trend``: the trend table (:func:`trend_table`) of ``pollutant`` for ``scope``
    over the natural days ``first_day`` … ``last_day``; O3 uses its MDA8."""
    data = load_period(store, first_day, last_day, list(scope.stations))
    daily = daily_series(data.scope_hourly(scope), first_day, rule_set(first_day, standard))
    series = daily.mda8 if pollutant == "O3" else daily.means[pollutant]
    return {"name": scope.name, "pollutant": pollutant, **trend_table(series, daily.days)}
