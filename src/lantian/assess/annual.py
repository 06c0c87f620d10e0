"""The HJ 663 evaluation of a station or an area over a period, from hourly values.

The steps, each a function of :mod:`lantian.standards`: hourly values → (area: mean of the
evaluation stations per hour) → daily means, MDA8 and the O3 daily 1-hour maximum → daily AQI →
annual items, attainment, day counts and the comprehensive index.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lantian.standards import (
    BASIC_POLLUTANTS,
    AqiReport,
    ComprehensiveIndex,
    EvaluationItem,
    RuleSet,
    annual_evaluation,
    aqi_report,
    comprehensive_index,
    daily_max_1h,
    daily_mean,
    days_by_level,
    good_day_ratio,
    mda8,
    period_rule_set,
)
from lantian.standards.iaqi import report_inputs
from lantian.standards.ranking import index_statistics
from lantian.times import month_days

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class DailySeries:
    """Daily values of one station or area: each array has one entry per natural day."""

    days: npt.NDArray[np.datetime64]
    means: dict[str, FloatArray]
    """Daily means by pollutant (NaN = fewer than 20 valid hours) [µg/m³; CO mg/m³]."""
    mda8: FloatArray
    o3_max_1h: FloatArray
    aqi: AqiReport
    """The daily report (日报) of the rule set's HJ 633."""

    def cut(self, first_day: dt.date, last_day: dt.date) -> DailySeries:
        """The days ``first_day`` … ``last_day`` (within the series): each day's values depend on
        that day's hours only (daily means, the MDA8 windows ending 08:00 … 24:00, the 1-hour
        maximum, the AQI), so a cut is the series of those days computed on their own."""
        start = int((np.datetime64(first_day, "D") - self.days[0]).astype(int))
        days = slice(start, start + (last_day - first_day).days + 1)
        return DailySeries(
            days=self.days[days],
            means={p: v[days] for p, v in self.means.items()},
            mda8=self.mda8[days],
            o3_max_1h=self.o3_max_1h[days],
            aqi=self.aqi.cut(days),
        )


def daily_series(
    hourly: dict[str, FloatArray],
    first_day: dt.date,
    rule_set: RuleSet,
    completeness: str | None = None,
) -> DailySeries:
    """Daily means, MDA8, O3 1-hour maxima and the daily AQI from hourly values.

    Parameters
    ----------
    hourly
        Hourly values by pollutant, each 1-D over whole natural days from ``first_day`` in the
        hour-ending layout of :mod:`lantian.standards.averages` [µg/m³; CO mg/m³].
    rule_set
        The rules to apply (one rule set for the whole period).
    completeness
        ``release`` or ``letter`` (HJ 633-2026 §5.3.1 as written; the daily default).
    """
    means = {p: daily_mean(hourly[p], rule_set.hj663)[0] for p in BASIC_POLLUTANTS}
    o3_mda8 = mda8(hourly["O3"], rule_set.hj663)[0]
    o3_max = daily_max_1h(hourly["O3"], rule_set.hj663)[0]
    candidates = {f"{p}_24h": means[p] for p in BASIC_POLLUTANTS if p != "O3"}
    candidates.update(O3_8h=o3_mda8, O3_1h=o3_max)
    wanted = {spec["input"] for spec in report_inputs("daily", rule_set.hj633)}
    report = aqi_report(
        {k: v for k, v in candidates.items() if k in wanted}, "daily", rule_set.hj633, completeness
    )
    n_days = len(o3_mda8)
    days = np.datetime64(first_day, "D") + np.arange(n_days)
    return DailySeries(days=days, means=means, mda8=o3_mda8, o3_max_1h=o3_max, aqi=report)


@dataclass(frozen=True)
class Evaluation:
    """The evaluation of one station or area over a period (HJ 663)."""

    name: str
    rule_set: RuleSet
    items: list[EvaluationItem]
    valid_days: int
    """Days with a daily AQI."""
    days_by_level: list[int]
    """Days of AQI level 1 … 6 (优, 良, 轻度, 中度, 重度, 严重)."""
    good_day_ratio: float
    """优良天数比例 [%]."""
    primary_days: dict[str, int]
    """Days on which each pollutant was (one of) the primary pollutant(s)."""
    comprehensive: ComprehensiveIndex
    daily: DailySeries

    def value_of(self, pollutant: str, metric: str) -> float:
        """The value of the item ``pollutant``/``metric`` (NaN if there is no such item)."""
        for item in self.items:
            if item.pollutant == pollutant and item.metric == metric:
                return item.value
        return float("nan")


def evaluate(
    name: str, hourly: dict[str, FloatArray], first_day: dt.date, rule_set: RuleSet
) -> Evaluation:
    """Evaluate one station or area over whole natural days from ``first_day``."""
    return evaluate_days(name, daily_series(hourly, first_day, rule_set), rule_set)


def month_evaluations(
    name: str, hourly: dict[str, FloatArray], year: int, standard: str | None = None
) -> list[Evaluation]:
    """The evaluation of each month of ``year`` (January … December) from the year's hourly
    values (whole natural days from 1 January), each month by its own rule set
    (:func:`lantian.standards.period_rule_set`). The daily series is computed once per rule set
    over the year and cut into months (:meth:`DailySeries.cut`), not once per month."""
    first_day = dt.date(year, 1, 1)
    series: dict[RuleSet, DailySeries] = {}
    evaluations = []
    for month in range(1, 13):
        first, last = month_days(f"{year:04d}-{month:02d}")
        rules = period_rule_set(first, last, standard)
        if rules not in series:
            series[rules] = daily_series(hourly, first_day, rules)
        evaluations.append(evaluate_days(name, series[rules].cut(first, last), rules))
    return evaluations


def evaluate_days(name: str, daily: DailySeries, rule_set: RuleSet) -> Evaluation:
    """Evaluate one station or area from its daily series (:func:`daily_series`, one rule set):
    HJ 663 items, attainment, day counts, primary-pollutant days, comprehensive index."""
    months = daily.days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    items = annual_evaluation(daily.means, daily.mda8, months, rule_set)
    statistic = {(i.pollutant, i.metric): i.value for i in items}
    index = comprehensive_index({p: statistic[(p, m)] for p, m in index_statistics().items()})
    aqi = daily.aqi.aqi
    primary_days = {
        p: int(((daily.aqi.primary >> bit) & 1).sum()) for bit, p in enumerate(BASIC_POLLUTANTS)
    }
    return Evaluation(
        name=name,
        rule_set=rule_set,
        items=items,
        valid_days=int((~np.isnan(aqi)).sum()),
        days_by_level=[int(n) for n in days_by_level(aqi, rule_set.hj633)],
        good_day_ratio=float(good_day_ratio(aqi)),
        primary_days=primary_days,
        comprehensive=index,
        daily=daily,
    )
