"""``lantian progress``: where a city or area stands against its targets on a date, and what the
rest of the year still allows (the budget).

For an annual-mean target T [µg/m³] with n valid days so far summing to S, and R days left in the
year, the **budget** is the mean the remaining days may have while the year still lands on T:

    B = (T · (n + R) − S) / R

(every remaining day counted as valid: filling them with B gives an annual mean of exactly T, which
reports as T and attains). For the daily limit L, the P95 (PM) of the year's N = n + R daily means
stays ≤ L for any values while at most N − ⌈1 + (N − 1)·0.95⌉ days exceed L (HJ 663 Appendix A
position k); **days_above_limit_remaining** is that allowance minus the days already above L.

The **status** compares B with what the remaining months usually bring: the mean of the same
remaining calendar days in the earlier years of the store (``expected_remaining_mean``). ``on_track``
when B ≥ that expectation, ``at_risk`` when B is below it by up to 20 %, ``off_track`` beyond that
or when B < 0. With no earlier year stored, the year-to-date mean stands in for the expectation
(``expectation_basis`` says which).
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lantian.assess.annual import daily_series
from lantian.assess.scope import Scope
from lantian.assess.sources import load_period
from lantian.assess.targets import Target, read_plan
from lantian.standards import RuleSet, limit_in, round_gbt8170, rule_set
from lantian.standards.evaluation import daily_percentile, statistic_decimals
from lantian.store import MeasurementStore

AT_RISK_MARGIN = 0.2
#: Display names of the statuses (zh, en).
STATUS_NAMES = {
    "on_track": ("进度正常", "on track"),
    "at_risk": ("有风险", "at risk"),
    "off_track": ("偏离目标", "off track"),
    "attained": ("已达标", "attained"),
    "missed": ("未达标", "missed"),
}


class _DailyMeans:
    """Daily means of ``scope`` per period, each period read from the store once per call of
    :func:`progress` (it used to be read again for every target and every earlier year)."""

    def __init__(self, store: MeasurementStore, scope: Scope, rules: RuleSet):
        self.store, self.scope, self.rules = store, scope, rules
        self._periods: dict[tuple[dt.date, dt.date], dict[str, npt.NDArray[np.float64]]] = {}

    def __call__(self, first: dt.date, last: dt.date, pollutant: str) -> npt.NDArray[np.float64]:
        """The daily means of ``pollutant`` over ``first`` … ``last``."""
        if (first, last) not in self._periods:
            data = load_period(self.store, first, last, list(self.scope.stations))
            means = daily_series(data.scope_hourly(self.scope), first, self.rules).means
            self._periods[first, last] = means
        return self._periods[first, last][pollutant]


def budget_mean(target: float, ytd_sum: float, ytd_days: int, remaining_days: int) -> float:
    """The mean the remaining days may have so that the year's mean is exactly ``target``."""
    if remaining_days <= 0:
        return math.nan
    return (target * (ytd_days + remaining_days) - ytd_sum) / remaining_days


def exceedance_allowance(total_days: int, percentile: float) -> int:
    """Days above the limit a year of ``total_days`` daily values can hold with its percentile
    still ≤ the limit whatever the values (HJ 663 Appendix A: k = 1 + (n − 1)·p)."""
    k = 1 + (total_days - 1) * percentile / 100
    return max(0, total_days - math.ceil(k - 1e-12))


def _expected_remaining(
    daily_means: _DailyMeans, years: list[int], date: dt.date, pollutant: str
) -> tuple[float, str, list[int]]:
    """Mean of the remaining calendar days of the year in earlier stored ``years``."""
    means = []
    for year in years:
        start, end = date.replace(year=year) + dt.timedelta(days=1), dt.date(year, 12, 31)
        if start <= end:
            daily = daily_means(start, end, pollutant)
            if np.any(~np.isnan(daily)):
                means.append(float(np.nanmean(daily)))
    if means:
        return float(np.mean(means)), "earlier_years", years
    return math.nan, "year_to_date", []


def progress(
    store: MeasurementStore,
    scope: Scope,
    date: dt.date,
    plan: Path | None = None,
    standard: str | None = None,
) -> dict[str, object]:
    """Progress of ``scope`` against the annual-mean targets of its plan on ``date``."""
    rules = rule_set(date, standard)
    targets = [
        t
        for t in read_plan(plan).targets
        if t.metric == "annual_mean" and (scope.kind != "area" or t.area == scope.name)
    ]
    if scope.kind != "area":
        targets = [t for t in targets if t.area == targets[0].area] if targets else []
    daily_means = _DailyMeans(store, scope, rules)
    stored = store.manifest().partitions
    years = sorted({int(k[:4]) for k in stored if int(k[:4]) < date.year})
    rows = [_target_row(target, daily_means, years, date, rules) for target in targets]
    return {
        "name": scope.name,
        "city": scope.city,
        "area": scope.name if scope.kind == "area" else None,
        "date": date.isoformat(),
        "standard": rules.name,
        "stations_used": list(scope.stations),
        "targets": rows,
    }


def _target_row(
    target: Target, daily_means: _DailyMeans, years: list[int], date: dt.date, rules: RuleSet
) -> dict[str, object]:
    """One target's row of :func:`progress`: year to date, budget, expectation, status."""
    pollutant = target.pollutant
    first = dt.date(date.year, 1, 1)
    remaining = (dt.date(date.year, 12, 31) - date).days
    daily = daily_means(first, date, pollutant)
    valid = ~np.isnan(daily)
    n, total = int(valid.sum()), float(np.nansum(daily))
    decimals = statistic_decimals(pollutant, rules.hj663)
    ytd = float(round_gbt8170(total / n, decimals)) if n else math.nan
    previous = daily_means(
        first.replace(year=date.year - 1), date.replace(year=date.year - 1), pollutant
    )
    previous_ytd = (
        float(round_gbt8170(np.nanmean(previous), decimals))
        if np.any(~np.isnan(previous))
        else math.nan
    )
    goal = float(target.target or math.nan)
    budget = budget_mean(goal, total, n, remaining)
    expected, basis, used = _expected_remaining(daily_means, years, date, pollutant)
    if basis == "year_to_date":
        expected = total / n if n else math.nan
    daily_limit = limit_in(rules, pollutant, "daily")
    allowance = exceedance_allowance(n + remaining, daily_percentile(pollutant, rules.hj663))
    above = int((daily[valid] > daily_limit).sum())
    return {
        "pollutant": pollutant,
        "metric": target.metric,
        "target": target.target,
        "baseline": target.baseline,
        "baseline_year": target.baseline_year,
        "ytd": None if math.isnan(ytd) else ytd,
        "ytd_valid_days": n,
        "previous_year_same_period": None if math.isnan(previous_ytd) else previous_ytd,
        "remaining_days": remaining,
        "budget_remaining_mean": None if math.isnan(budget) else round(budget, 2),
        "expected_remaining_mean": None if math.isnan(expected) else round(expected, 2),
        "expectation_basis": basis,
        "expectation_years": used,
        "daily_limit": daily_limit,
        "days_above_daily_limit": above,
        "days_above_limit_remaining": allowance - above,
        "status": _status(budget, expected, remaining, ytd, goal),
        "text": target.text,
    }


def _status(budget: float, expected: float, remaining: int, ytd: float, target: float) -> str:
    if remaining == 0 or math.isnan(budget):
        return "attained" if not math.isnan(ytd) and ytd <= target else "missed"
    if budget < 0:
        return "off_track"
    if math.isnan(expected) or budget >= expected:
        return "on_track"
    return "at_risk" if budget >= (1 - AT_RISK_MARGIN) * expected else "off_track"
