"""``month_evaluations`` cuts one daily series of the year into months (issue #13: twelve
evaluations from hourly values were most of the web's monthly statistics). A month cut from the
year must be exactly the month evaluated on its own hours — also in 2026, whose months before and
after 1 March follow different rule sets. The hourly values are constructed here (a seeded random
series with gaps), not measured data."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from lantian.assess.annual import evaluate, month_evaluations
from lantian.standards import BASIC_POLLUTANTS, period_rule_set
from lantian.times import month_days, year_days

SCALE = {"SO2": 10, "NO2": 30, "CO": 0.8, "O3": 90, "PM10": 70, "PM2.5": 45}


def constructed_year(year: int, seed: int) -> dict[str, np.ndarray]:
    """A year of hourly values [µg/m³; CO mg/m³] with missing hours and a missing week."""
    first, last = year_days(year)
    n_hours = ((last - first).days + 1) * 24
    rng = np.random.default_rng(seed)
    values = {}
    for pollutant in BASIC_POLLUTANTS:
        series = rng.gamma(2.0, SCALE[pollutant] / 2.0, n_hours)
        series[rng.random(n_hours) < 0.08] = np.nan  # scattered missing hours
        series[2000:2168] = np.nan  # a week without data: short months, invalid days
        values[pollutant] = np.round(series, 1 if pollutant == "CO" else 0)
    return values


@pytest.mark.parametrize(("year", "seed"), [(2019, 1), (2026, 2)])
def test_each_month_cut_from_the_year_is_the_month_evaluated_alone(year, seed):
    hourly = constructed_year(year, seed)
    cut = month_evaluations("constructed", hourly, year)
    assert len(cut) == 12
    for month, result in enumerate(cut, start=1):
        first, last = month_days(f"{year:04d}-{month:02d}")
        offset = (first - dt.date(year, 1, 1)).days * 24
        hours = slice(offset, offset + ((last - first).days + 1) * 24)
        rules = period_rule_set(first, last)
        alone = evaluate("constructed", {p: v[hours] for p, v in hourly.items()}, first, rules)
        assert result.rule_set == alone.rule_set == rules
        assert repr(result.items) == repr(alone.items)  # NaN exceedance multiples: by text
        assert result.valid_days == alone.valid_days
        assert result.days_by_level == alone.days_by_level
        assert result.good_day_ratio == alone.good_day_ratio or (
            np.isnan(result.good_day_ratio) and np.isnan(alone.good_day_ratio)
        )
        assert result.primary_days == alone.primary_days
        assert repr(result.comprehensive) == repr(alone.comprehensive)
        np.testing.assert_array_equal(result.daily.days, alone.daily.days)
        np.testing.assert_array_equal(result.daily.aqi.aqi, alone.daily.aqi.aqi)
    assert {r.rule_set.name for r in cut} == ({"2012", "2026"} if year == 2026 else {"2012"})
