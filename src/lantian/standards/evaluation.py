"""HJ 663 assessment: percentiles, the annual evaluation items, attainment, exceedance multiples, day
counts and data validity over a period.

* Percentile (HJ 663-2013 Appendix A): sort ascending, k = 1 + (n − 1)·p/100, s = ⌊k⌋,
  m_p = X(s) + (X(s+1) − X(s))·(k − s). Identical to NumPy's ``method="linear"`` (Hyndman–Fan 7).
* Annual items (HJ 663-2013 Table 1, ``tables/evaluation_items.csv``): SO2 and NO2 annual mean and
  P98 of daily means; PM10 and PM2.5 annual mean and P95 of daily means; CO P95 of daily means;
  O3 P90 of MDA8.
* A statistic is valid with ≥ 324 daily values a year and ≥ 27 each month (February ≥ 25)
  (GB 3095 Table 4, ``tables/validity.csv``).
* Statistics are rounded per GB/T 8170 to the data's precision (integer µg/m³, CO 0.1 mg/m³;
  ``tables/rounding.csv``), and the rounded value is compared with the limit: attained when ≤.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from lantian.standards.aqi import level
from lantian.standards.averages import valid_mean, validity_threshold
from lantian.standards.limits import limit_in
from lantian.standards.rounding import round_gbt8170
from lantian.standards.rulesets import RuleSet
from lantian.standards.tables import one, rows

FloatArray = npt.NDArray[np.float64]


def percentile(values: npt.ArrayLike, p: float, axis: int = -1) -> FloatArray:
    """The p-th percentile of the valid values along ``axis`` (HJ 663-2013 Appendix A).

    Sort ascending X(1) ≤ … ≤ X(n) over the valid (non-NaN) values; k = 1 + (n − 1)·p/100,
    s = ⌊k⌋; m_p = X(s) + (X(s+1) − X(s))·(k − s). This is NumPy's ``method="linear"`` (Hyndman–Fan
    type 7), computed here with one sort for all rows at once. All-NaN gives NaN.
    Worked example (standards.md §8.2): {3, 4, 8, 2, 5, 4}, p = 90 → 6.5.
    """
    if not 0 <= p <= 100:
        raise ValueError(f"percentile p must be within 0–100, got {p}")
    x = (
        np.moveaxis(np.asarray(values, dtype=np.float64), axis, -1)
        if np.ndim(values)
        else np.asarray([values], dtype=np.float64)
    )
    if x.shape[-1] == 0:
        return np.full(x.shape[:-1], np.nan)
    ordered = np.sort(x, axis=-1)  # NaN sorts last
    n = (~np.isnan(ordered)).sum(axis=-1)
    k = 1 + (np.maximum(n, 1) - 1) * (p / 100.0)
    s = np.floor(k).astype(np.int64)
    lower = np.take_along_axis(ordered, (s - 1)[..., None], axis=-1)[..., 0]
    upper = np.take_along_axis(ordered, np.minimum(s, np.maximum(n, 1) - 1)[..., None], axis=-1)[
        ..., 0
    ]
    result = lower + (upper - lower) * (k - s)
    result = np.where(k == s, lower, result)  # an exact position needs no neighbour
    return np.where(n > 0, result, np.nan)


def period_statistic(series: npt.ArrayLike, p: float | None = None) -> npt.NDArray[np.float64]:
    """The mean (``p`` None) or p-th percentile of the valid values along the last axis; NaN where
    there is none."""
    x = np.asarray(series, dtype=np.float64)
    return np.asarray(valid_mean(x)) if p is None else percentile(x, p, axis=-1)


def metric_name(metric: str, language: str = "zh") -> str:
    """The display name of an evaluation metric (``tables/metrics.csv``), e.g. 年平均."""
    return one("metrics", metric=metric)[f"name_{language}"]


def statistic_decimals(pollutant: str, standard: str = "HJ663-2013") -> int:
    """Decimals of a reported statistic of ``pollutant`` (``tables/rounding.csv``)."""
    return int(one("rounding", standard=standard, pollutant=pollutant)["decimals"])


def exceedance_multiple(value: npt.ArrayLike, limit_value: npt.ArrayLike) -> FloatArray:
    """超标倍数 (C − S)/S of a statistic above its limit; NaN where it does not exceed (HJ 663).

    Rounded per GB/T 8170 to two decimals, as bulletins print it.
    """
    c = np.asarray(value, dtype=np.float64)
    s = np.asarray(limit_value, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(c > s, round_gbt8170((c - s) / s, 2), np.nan)


def attainment_rate(daily: npt.ArrayLike, limit_value: float, axis: int = -1) -> FloatArray:
    """达标率 [%]: the share of valid daily values ≤ the limit, to one decimal (HJ 663)."""
    x = np.asarray(daily, dtype=np.float64)
    valid = ~np.isnan(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = 100.0 * (valid & (x <= limit_value)).sum(axis=axis) / valid.sum(axis=axis)
    return round_gbt8170(share, 1)


def good_day_ratio(daily_aqi: npt.ArrayLike, axis: int = -1) -> FloatArray:
    """优良天数比例 [%]: days with AQI ≤ 100 among days with an AQI, to one decimal."""
    a = np.asarray(daily_aqi, dtype=np.float64)
    valid = ~np.isnan(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = 100.0 * (valid & (a <= 100)).sum(axis=axis) / valid.sum(axis=axis)
    return round_gbt8170(share, 1)


def days_by_level(daily_aqi: npt.ArrayLike, standard: str) -> npt.NDArray[np.int64]:
    """Number of days of each AQI level 1–6 (HJ 633 Table 2 / Table 1); a 1-D daily series."""
    levels = level(np.asarray(daily_aqi, dtype=np.float64).ravel(), standard)
    return np.bincount(levels, minlength=7)[1:]


def month_shortfall(
    valid_days: npt.ArrayLike, months: npt.ArrayLike, standard: str = "HJ663-2013"
) -> npt.NDArray[np.bool_]:
    """(…, 12) booleans: month present in the period with fewer valid days than GB 3095 Table 4
    asks (27; February 25).

    Parameters
    ----------
    valid_days
        Booleans, last axis days: the day's value is valid.
    months
        Month number 1–12 of each day (1-D, one per day).
    """
    ok = np.asarray(valid_days, dtype=bool)
    month = np.asarray(months, dtype=np.int64) - 1
    one_hot = month[:, None] == np.arange(12)[None, :]
    per_month = ok.astype(np.int64) @ one_hot
    needed = np.full(12, validity_threshold("monthly_min_days", standard))
    needed[1] = validity_threshold("february_min_days", standard)
    short: npt.NDArray[np.bool_] = one_hot.any(axis=0) & (per_month < needed)
    return short


def months_below_minimum(
    valid_days: npt.ArrayLike, months: npt.ArrayLike, standard: str = "HJ663-2013"
) -> list[int]:
    """The months (1–12) of a 1-D daily series short of GB 3095 Table 4's monthly minimum."""
    return [int(m) + 1 for m in np.flatnonzero(month_shortfall(valid_days, months, standard))]


def period_valid(
    valid_days: npt.ArrayLike, months: npt.ArrayLike, standard: str = "HJ663-2013"
) -> bool:
    """Whether a year of daily values is valid (GB 3095 Table 4): ≥ 324 valid days, and every month
    present ≥ 27 (February ≥ 25)."""
    enough = int(np.asarray(valid_days, dtype=bool).sum()) >= validity_threshold(
        "annual_min_days", standard
    )
    return enough and not months_below_minimum(valid_days, months, standard)


@dataclass(frozen=True)
class EvaluationItem:
    """One row of an annual evaluation (HJ 663-2013 Table 1) for one station or area."""

    pollutant: str
    metric: str
    """``annual_mean``, ``p98_daily``, ``p95_daily`` or ``p90_mda8``."""
    value: float
    """The statistic rounded per GB/T 8170 [µg/m³; CO mg/m³]; NaN without data."""
    limit: float
    attained: bool | None
    """None when the value is missing."""
    exceedance_multiple: float
    """NaN when attained."""
    valid_days: int
    valid: bool
    """The statistic meets the data-validity minimums (324 days, 27 per month)."""
    short_months: list[int]
    """Months with fewer valid days than the monthly minimum."""


def evaluation_items(standard: str = "HJ663-2013") -> list[dict[str, str]]:
    """The evaluation items of ``standard`` (``tables/evaluation_items.csv``)."""
    return rows("evaluation_items", standard=standard)


def daily_percentile(pollutant: str, standard: str = "HJ663-2013") -> float:
    """The percentile of the daily values that judges ``pollutant``'s 24-hour limit (HJ 663-2013
    Table 1: SO2, NO2 98th; CO, PM10, PM2.5 95th), from ``tables/evaluation_items.csv``."""
    found = [
        row
        for row in evaluation_items(standard)
        if row["pollutant"] == pollutant and row["series"] == "daily" and row["percentile"]
    ]
    if not found:
        raise KeyError(f"no daily percentile item of {pollutant!r} in {standard}")
    return float(found[0]["percentile"])


def evaluation_arrays(
    daily: Mapping[str, npt.ArrayLike],
    mda8_values: npt.ArrayLike,
    months: npt.ArrayLike,
    rule_set: RuleSet,
    grade: int = 2,
) -> list[dict[str, Any]]:
    """The annual evaluation items of many stations or areas at once (HJ 663-2013 §5, Table 1).

    Parameters
    ----------
    daily
        Daily means by pollutant, last axis days (leading axes: stations …; NaN = invalid day)
        [µg/m³; CO mg/m³].
    mda8_values
        O3 MDA8 of the same days [µg/m³].
    months
        Month 1–12 of each day (1-D).
    rule_set
        Supplies the limits (GB 3095) and the assessment rules (HJ 663).
    grade
        2 for Class 2 zones (cities), 1 for Class 1 zones.

    Returns
    -------
    One dict per item with ``pollutant``, ``metric``, ``limit`` and arrays over the leading axes:
    ``value`` (rounded per GB/T 8170), ``attained`` (NaN-free bool; check ``value`` for NaN),
    ``exceedance_multiple``, ``valid_days``, ``valid`` and ``short_months`` (…, 12 booleans).
    """
    items = []
    annual_minimum = validity_threshold("annual_min_days", rule_set.hj663)
    for spec in evaluation_items(rule_set.hj663):
        pollutant = spec["pollutant"]
        series = np.asarray(
            mda8_values if spec["series"] == "mda8" else daily[pollutant], dtype=np.float64
        )
        p = float(spec["percentile"]) if spec["percentile"] else None
        value = round_gbt8170(
            period_statistic(series, p), statistic_decimals(pollutant, rule_set.hj663)
        )
        limit_value = limit_in(rule_set, pollutant, spec["limit_averaging"], grade)
        valid_day = ~np.isnan(series)
        short = month_shortfall(valid_day, months, rule_set.hj663)
        valid_days = valid_day.sum(axis=-1)
        items.append(
            {
                "pollutant": pollutant,
                "metric": spec["metric"],
                "limit": limit_value,
                "value": value,
                "attained": value <= limit_value,
                "exceedance_multiple": exceedance_multiple(value, limit_value),
                "valid_days": valid_days,
                "valid": (valid_days >= annual_minimum) & ~short.any(axis=-1),
                "short_months": short,
            }
        )
    return items


def annual_evaluation(
    daily: Mapping[str, npt.ArrayLike],
    mda8_values: npt.ArrayLike,
    months: npt.ArrayLike,
    rule_set: RuleSet,
    grade: int = 2,
) -> list[EvaluationItem]:
    """The annual evaluation items of one station or area (1-D daily series); see
    :func:`evaluation_arrays` for the rules."""
    items = []
    for item in evaluation_arrays(daily, mda8_values, months, rule_set, grade):
        value = float(item["value"])
        items.append(
            EvaluationItem(
                pollutant=item["pollutant"],
                metric=item["metric"],
                value=value,
                limit=item["limit"],
                attained=None if np.isnan(value) else bool(item["attained"]),
                exceedance_multiple=float(item["exceedance_multiple"]),
                valid_days=int(item["valid_days"]),
                valid=bool(item["valid"]),
                short_months=[int(m) + 1 for m in np.flatnonzero(item["short_months"])],
            )
        )
    return items
