"""Property tests (Hypothesis) for GB/T 8170 rounding, the IAQI, the AQI and the HJ 663 percentile.

Oracles written here, independent of the package:

* GB/T 8170-2008 §3.3 四舍六入五成双 = ``decimal.ROUND_HALF_EVEN`` on the exact decimal string
  (standards.md §5: "Python decimal.ROUND_HALF_EVEN on the exact decimal string implements it").
* HJ 633 Eq. 1 and Eq. 2 (AQI = max IAQI; standards.md §2.2), HJ 633-2026 §4.1.1 (range 1～500).
* HJ 663-2013 Appendix A percentile (standards.md §3.3): k = 1 + (n − 1)·p%, s = ⌊k⌋,
  m_p = X(s) + (X(s+1) − X(s))·(k − s); equal to ``numpy.percentile(method="linear")``.
"""

from __future__ import annotations

import math
import warnings
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lantian.standards import aqi_report, iaqi, percentile, round_gbt8170

# --------------------------------------------------------------------------------------------------
# GB/T 8170 rounding.
# --------------------------------------------------------------------------------------------------

#: Floats written as decimals: n / 10**k, up to 10 significant digits (concentrations, means, …).
#: Within this range every value is either an exact decimal half or ≥ 10**-k from one, far outside
#: the package's half-recognition tolerance (1e-10 × magnitude).
decimal_floats = st.builds(
    lambda n, k: n / 10**k,
    st.integers(min_value=-(10**9), max_value=10**9),
    st.integers(min_value=0, max_value=6),
)
#: Exact halves on the kept grid are the interesting case: n + 0.5 units of the last kept place.
decimal_halves = st.builds(
    lambda n, d: (n + Fraction(1, 2)) / 10**d,
    st.integers(min_value=-(10**6), max_value=10**6),
    st.integers(min_value=0, max_value=3),
)
places = st.integers(min_value=0, max_value=3)


def half_even(x: float, decimals: int) -> float:
    """GB/T 8170 on the decimal the float was written as (``str`` gives the shortest repr)."""
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(str(x)).quantize(quantum, rounding=ROUND_HALF_EVEN))


@settings(deadline=None)
@given(x=decimal_floats, decimals=places)
def test_round_matches_decimal_half_even(x: float, decimals: int) -> None:
    """GB/T 8170 §3.3 == Decimal ROUND_HALF_EVEN on the decimal string (standards.md §5)."""
    assert float(round_gbt8170(x, decimals)) == half_even(x, decimals)


@settings(deadline=None)
@given(half=decimal_halves, decimals=places)
def test_round_exact_halves_go_to_even(half: Fraction, decimals: int) -> None:
    """An exact trailing 5 goes to the even neighbour (五成双), at any kept precision."""
    x = float(half)
    assert float(round_gbt8170(x, decimals)) == half_even(x, decimals)


@settings(deadline=None)
@given(x=decimal_floats, decimals=places)
def test_round_is_idempotent(x: float, decimals: int) -> None:
    """Rounding a rounded value changes nothing."""
    once = round_gbt8170(x, decimals)
    assert float(round_gbt8170(once, decimals)) == float(once)


@settings(deadline=None)
@given(x=decimal_floats, y=decimal_floats, decimals=places)
def test_round_is_monotone_on_decimals(x: float, y: float, decimals: int) -> None:
    """x ≤ y ⇒ round(x) ≤ round(y) (decimal-string inputs)."""
    lo, hi = sorted((x, y))
    assert float(round_gbt8170(lo, decimals)) <= float(round_gbt8170(hi, decimals))


@settings(deadline=None)
@given(
    x=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    y=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    decimals=places,
)
def test_round_is_monotone_on_any_float(x: float, y: float, decimals: int) -> None:
    """Monotone for arbitrary binary floats too, including those within tolerance of a half."""
    lo, hi = sorted((x, y))
    assert float(round_gbt8170(lo, decimals)) <= float(round_gbt8170(hi, decimals))


@settings(max_examples=50, deadline=None)
@given(values=st.lists(decimal_floats.filter(lambda v: abs(v) <= 1e5), min_size=1, max_size=20))
def test_round_array_equals_elementwise(values: list[float]) -> None:
    """Rounding a whole column equals rounding each value alone (realistic magnitudes ≤ 1e5)."""
    got = round_gbt8170(values, 1)
    np.testing.assert_array_equal(got, [half_even(v, 1) for v in values])


def test_round_does_not_depend_on_other_elements() -> None:
    """GB/T 8170 rounds each number on its own: 3.4999 → 3, whatever else is in the array.

    Regression guard: a half tolerance scaled by the array's largest magnitude once made
    round_gbt8170([3.4999, 1e7]) give [4, 1e7].
    """
    np.testing.assert_array_equal(round_gbt8170([3.4999, 1e7], 0), [3.0, 1e7])
    np.testing.assert_array_equal(round_gbt8170([2.45, 1e9], 1), [2.4, 1e9])


def test_round_nan_only_input_warns_nothing() -> None:
    """An all-missing column rounds to NaN without a RuntimeWarning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(round_gbt8170(np.nan, 1))
        assert np.all(np.isnan(round_gbt8170([np.nan, np.nan], 0)))
        assert np.isnan(iaqi(np.nan, "CO_24h", "HJ633-2026"))


def test_round_nan_passes_through() -> None:
    """NaN (missing) stays NaN."""
    got = round_gbt8170([np.nan, 2.25], 1)
    assert np.isnan(got[0])
    assert got[1] == 2.2


# --------------------------------------------------------------------------------------------------
# IAQI and AQI.
# --------------------------------------------------------------------------------------------------

#: Top breakpoint of each column (HJ 633-2012 Table 1 / HJ 633-2026 Table 3; standards.md §2.1, §2.6).
TOPS = {
    "HJ633-2012": {
        "SO2_24h": 2620,
        "SO2_1h": 800,
        "NO2_24h": 940,
        "NO2_1h": 3840,
        "PM10_24h": 600,
        "CO_24h": 60,
        "CO_1h": 150,
        "O3_1h": 1200,
        "O3_8h": 800,
        "PM2.5_24h": 500,
    },
    "HJ633-2026": {
        "SO2_24h": 2620,
        "SO2_1h": 800,
        "NO2_24h": 940,
        "NO2_1h": 3840,
        "CO_24h": 60,
        "CO_1h": 150,
        "O3_8h": 800,
        "O3_1h": 1200,
        "PM10_24h": 600,
        "PM2.5_24h": 500,
    },
}
#: HJ 633-2012 Table 1 notes 2–3: no IAQI computed above 800 (another indicator's IAQI is used).
NOT_COMPUTED_ABOVE_800_2012 = {"SO2_1h", "O3_8h"}
ALL_COLUMNS = [(s, n) for s in TOPS for n in TOPS[s]]


def domain_top(standard: str, name: str) -> float:
    """Largest concentration tested: 20 % above the column top, or 800 where 2012 stops computing."""
    if standard == "HJ633-2012" and name in NOT_COMPUTED_ABOVE_800_2012:
        return 800.0
    return 1.2 * TOPS[standard][name]


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_iaqi_monotone_and_in_range(data: st.DataObject) -> None:
    """IAQI is non-decreasing in concentration, an integer, and within 0..500 for every column."""
    standard, name = data.draw(st.sampled_from(ALL_COLUMNS), label="column")
    top = domain_top(standard, name)
    values = data.draw(
        st.lists(st.floats(min_value=0, max_value=top, allow_nan=False), min_size=1, max_size=40),
        label="concentrations",
    )
    c = np.sort(np.asarray(values))
    got = iaqi(c, name, standard)
    assert not np.any(np.isnan(got))
    assert np.all(np.diff(got) >= 0)
    assert np.all((got >= 0) & (got <= 500))
    np.testing.assert_array_equal(got, np.floor(got))


@pytest.mark.parametrize(("standard", "name"), ALL_COLUMNS)
def test_iaqi_monotone_on_whole_reporting_grid(standard: str, name: str) -> None:
    """Every grid point 0 … top + 20 % (1 µg/m³, CO 0.1 mg/m³): non-decreasing, within 0..500."""
    step = 0.1 if name.startswith("CO_") else 1.0
    c = np.arange(0, round(domain_top(standard, name) / step) + 1) * step
    got = iaqi(c, name, standard)
    assert not np.any(np.isnan(got))
    assert np.all(np.diff(got) >= 0)
    assert got[0] == 0
    assert np.all((got >= 0) & (got <= 500))


def concentration(name: str, standard: str = "HJ633-2026") -> st.SearchStrategy[float]:
    """A concentration for an indicator, up to 20 % above its column top (µg/m³; CO mg/m³)."""
    column = {"PM10_1h": "PM10_24h", "PM2.5_1h": "PM2.5_24h"}.get(name, name)
    return st.floats(min_value=0, max_value=1.2 * TOPS[standard][column], allow_nan=False)


#: Indicators per report (HJ 633-2012 §5.1.2–5.1.3 as the package reads them; HJ 633-2026 §4.2.2–4.2.3)
#: with their breakpoint columns (PM 1-h values on the daily columns, HJ 633-2026 §4.2.4).
REPORT_INDICATORS = {
    ("HJ633-2012", "daily"): {
        "SO2_24h": "SO2_24h",
        "NO2_24h": "NO2_24h",
        "CO_24h": "CO_24h",
        "O3_8h": "O3_8h",
        "O3_1h": "O3_1h",
        "PM10_24h": "PM10_24h",
        "PM2.5_24h": "PM2.5_24h",
    },
    ("HJ633-2026", "daily"): {
        "SO2_24h": "SO2_24h",
        "NO2_24h": "NO2_24h",
        "CO_24h": "CO_24h",
        "O3_8h": "O3_8h",
        "PM10_24h": "PM10_24h",
        "PM2.5_24h": "PM2.5_24h",
    },
    ("HJ633-2026", "hourly"): {
        "SO2_1h": "SO2_1h",
        "NO2_1h": "NO2_1h",
        "CO_1h": "CO_1h",
        "O3_1h": "O3_1h",
        "PM10_1h": "PM10_24h",
        "PM2.5_1h": "PM2.5_24h",
    },
}
#: Indicator whose IAQI the 2012 rules use above 800 µg/m³ (HJ 633-2012 Table 1 notes 2–3).
SUBSTITUTE_2012 = {"O3_8h": "O3_1h", "SO2_1h": "SO2_24h"}


@pytest.mark.parametrize(("standard", "report"), list(REPORT_INDICATORS))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_aqi_is_max_of_iaqi(standard: str, report: str, data: st.DataObject) -> None:
    """HJ 633 Eq. 2: AQI = max(IAQI_P) over complete inputs; under 2026 at least 1 (§4.1.1)."""
    indicators = REPORT_INDICATORS[(standard, report)]
    inputs = {
        name: data.draw(concentration(column), label=name) for name, column in indicators.items()
    }
    expected_iaqi = {}
    for name, column in indicators.items():
        value = float(iaqi(inputs[name], column, standard))
        if math.isnan(value) and standard == "HJ633-2012":  # > 800: the 2012 substitute
            substitute = SUBSTITUTE_2012[name]
            value = float(iaqi(inputs[substitute], indicators[substitute], standard))
        expected_iaqi[name] = value
    expected = max(expected_iaqi.values())
    if standard == "HJ633-2026":
        expected = max(expected, 1.0)
    got = aqi_report(inputs, report, standard)
    assert float(got.aqi) == expected
    assert {k: float(v) for k, v in got.indicator_iaqi.items()} == expected_iaqi
    assert bool(got.complete)
    # The primary pollutants are exactly those at the maximum, when AQI > 50 (HJ 633 §4.4.2/§4.3.1).
    tied = {name.rsplit("_", 1)[0] for name, value in expected_iaqi.items() if value == expected}
    primary = set(filter(None, str(got.primary_pollutants()).split(",")))
    assert primary == (tied if expected > 50 else set())


# --------------------------------------------------------------------------------------------------
# HJ 663 Appendix A percentile.
# --------------------------------------------------------------------------------------------------


def appendix_a_percentile(values: list[float], p: float) -> Fraction:
    """HJ 663-2013 Appendix A, written out in exact arithmetic (standards.md §3.3).

    1. Sort ascending X(1) ≤ … ≤ X(n). 2. k = 1 + (n − 1)·p%. 3. s = integer part of k.
    4. m_p = X(s) + (X(s+1) − X(s))·(k − s).
    """
    x = sorted(Fraction(v) for v in values)
    n = len(x)
    k = 1 + (n - 1) * Fraction(p) / 100
    s = math.floor(k)
    if s >= n:  # k = n: the largest value (X(s+1) does not exist and k − s = 0)
        return x[n - 1]
    return x[s - 1] + (x[s] - x[s - 1]) * (k - s)


sample_values = st.lists(
    st.floats(min_value=-1e4, max_value=1e4, allow_nan=False), min_size=1, max_size=60
)
percent = st.one_of(
    st.sampled_from([0.0, 50.0, 90.0, 95.0, 98.0, 100.0]),
    st.floats(min_value=0, max_value=100, allow_nan=False),
)


@settings(deadline=None)
@given(values=sample_values, p=percent)
def test_percentile_equals_appendix_a_and_numpy_linear(values: list[float], p: float) -> None:
    """HJ 663 Appendix A == numpy ``method="linear"`` == ``lantian.standards.percentile``."""
    got = float(percentile(values, p))
    tolerance = 1e-9 * max(1.0, max(abs(v) for v in values))
    assert got == pytest.approx(float(appendix_a_percentile(values, p)), abs=tolerance)
    assert got == pytest.approx(float(np.percentile(values, p, method="linear")), abs=tolerance)


@settings(deadline=None)
@given(values=sample_values, p=percent, missing=st.integers(min_value=1, max_value=10))
def test_percentile_ignores_missing(values: list[float], p: float, missing: int) -> None:
    """NaN days are left out: n counts valid values only."""
    with_gaps = values + [math.nan] * missing
    assert float(percentile(with_gaps, p)) == float(percentile(values, p))


@settings(deadline=None)
@given(values=sample_values)
def test_percentile_bounds(values: list[float]) -> None:
    """P0 is the minimum and P100 the maximum (k = 1 and k = n)."""
    assert float(percentile(values, 0)) == min(values)
    assert float(percentile(values, 100)) == max(values)


def test_percentile_along_axis_and_all_nan() -> None:
    """Per row along the last axis; an all-NaN row gives NaN; p outside 0–100 is an error."""
    got = percentile([[3, 4, 8, 2, 5, 4], [np.nan] * 6], 90)
    assert got[0] == 6.5  # standards.md §8.2
    assert np.isnan(got[1])
    with pytest.raises(ValueError, match="0–100"):
        percentile([1, 2], 101)
