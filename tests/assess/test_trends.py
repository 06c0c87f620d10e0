"""Theil–Sen and Mann–Kendall against independent implementations (SciPy's ``theilslopes``;
``pymannkendall.original_test``, Hussain & Mahmud 2019) on constructed monthly series with gaps."""

from __future__ import annotations

import numpy as np
import pymannkendall
import pytest
from scipy.stats import theilslopes

from lantian.assess.trends import deseasonalise, monthly_means, theil_sen


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_theil_sen_and_mann_kendall_match_reference_implementations(seed):
    rng = np.random.default_rng(seed)
    t = np.arange(60)
    values = 50 - 0.2 * t + rng.normal(0, 3, t.size).round(1)
    values[[5, 17, 33]] = np.nan  # missing months
    result = theil_sen(values)
    keep = ~np.isnan(values)
    assert result.slope_per_year == pytest.approx(
        theilslopes(values[keep], t[keep]).slope * 12, rel=1e-12
    )
    reference = pymannkendall.original_test(values[keep])
    assert result.s == reference.s
    assert result.p_value == pytest.approx(reference.p, rel=1e-9)


def test_deseasonalising_removes_a_pure_seasonal_cycle():
    months = np.arange(48) % 12
    cycle = 40 + 15 * np.cos(2 * np.pi * months / 12)
    flat = deseasonalise(cycle, months)
    assert np.allclose(flat, flat[0])
    assert theil_sen(flat).slope_per_year == pytest.approx(0.0)


def test_monthly_means_mark_months_short_of_27_days():
    days = np.arange(np.datetime64("2019-01-01"), np.datetime64("2019-03-01"))
    daily = np.ones(days.size)
    daily[:5] = np.nan  # January: 26 valid days
    months, _, counts, complete = monthly_means(daily, days)
    assert [str(m) for m in months] == ["2019-01", "2019-02"]
    assert counts.tolist() == [26, 28]
    assert complete.tolist() == [False, True]
