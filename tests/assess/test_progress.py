"""Progress against the model plan's targets, and the exactness of the budget."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from lantian.assess.annual import daily_series
from lantian.assess.progress import budget_mean, exceedance_allowance, progress
from lantian.assess.scope import resolve_scope
from lantian.assess.sources import load_period
from lantian.standards import percentile, round_gbt8170, rule_set

AREA = "冷水滩区中心城区"


@pytest.fixture(scope="module")
def area_daily(hunan_store):
    scope = resolve_scope(hunan_store.stations(), area=AREA)
    data = load_period(hunan_store, dt.date(2019, 1, 1), dt.date(2019, 12, 31), scope.stations)
    return daily_series(
        data.area_hourly(scope.stations), dt.date(2019, 1, 1), rule_set("2019-01-01")
    )


@pytest.mark.parametrize("date", [dt.date(2019, 3, 31), dt.date(2019, 6, 30), dt.date(2019, 9, 30)])
@pytest.mark.parametrize("pollutant", ["PM2.5", "PM10"])
def test_filling_the_remaining_days_with_the_budget_lands_exactly_on_the_target(
    hunan_store, area_daily, date, pollutant
):
    result = progress(hunan_store, resolve_scope(hunan_store.stations(), area=AREA), date)
    row = next(t for t in result["targets"] if t["pollutant"] == pollutant)
    elapsed = (date - dt.date(2019, 1, 1)).days + 1
    year = area_daily.means[pollutant].copy()
    exact = budget_mean(
        row["target"],
        float(np.nansum(year[:elapsed])),
        int((~np.isnan(year[:elapsed])).sum()),
        row["remaining_days"],
    )
    assert row["budget_remaining_mean"] == pytest.approx(exact, abs=0.005)
    year[elapsed:] = exact
    annual = float(np.nanmean(year))
    assert annual == pytest.approx(row["target"], abs=1e-9)
    assert float(round_gbt8170(annual, 0)) == row["target"]


def test_progress_lists_the_plans_targets_with_status(hunan_store):
    result = progress(
        hunan_store, resolve_scope(hunan_store.stations(), area=AREA), dt.date(2019, 9, 30)
    )
    assert result["stations_used"] == ["2478A", "2480A", "2481A"]
    by_pollutant = {t["pollutant"]: t for t in result["targets"]}
    assert set(by_pollutant) == {"PM2.5", "PM10"}
    assert by_pollutant["PM2.5"]["target"] == 35
    assert by_pollutant["PM2.5"]["baseline"] == 48
    assert by_pollutant["PM10"]["target"] == 69
    for row in result["targets"]:
        assert row["remaining_days"] == 92
    # pinned to what the real 2019 data give (was: any status accepted)
    assert (by_pollutant["PM2.5"]["ytd"], by_pollutant["PM2.5"]["status"]) == (35, "at_risk")
    assert (by_pollutant["PM10"]["ytd"], by_pollutant["PM10"]["status"]) == (49, "on_track")


def test_year_end_status_is_attained_or_missed(hunan_store):
    result = progress(
        hunan_store, resolve_scope(hunan_store.stations(), area=AREA), dt.date(2019, 12, 31)
    )
    pm25 = next(t for t in result["targets"] if t["pollutant"] == "PM2.5")
    assert pm25["remaining_days"] == 0
    assert (pm25["ytd"], pm25["status"]) == (39, "missed")  # the real 2019 annual mean
    pm10 = next(t for t in result["targets"] if t["pollutant"] == "PM10")
    assert (pm10["ytd"], pm10["status"]) == (56, "attained")


@pytest.mark.parametrize(("days", "allowed"), [(365, 18), (366, 18), (100, 4), (21, 1), (20, 0)])
def test_exceedance_allowance_keeps_the_p95_at_or_below_the_limit(days, allowed):
    """With `allowed` days above the limit the P95 cannot exceed it; with one more it can."""
    assert exceedance_allowance(days, 95) == allowed
    limit = 75.0
    at_most = np.r_[np.full(days - allowed, limit), np.full(allowed, 500.0)]
    assert percentile(at_most, 95) <= limit
    one_more = np.r_[np.full(days - allowed - 1, limit), np.full(allowed + 1, 500.0)]
    assert percentile(one_more, 95) > limit
