"""Averages, data validity, the annual evaluation, limits and rule sets.

Sources of the expected values (copied here; nothing is read from the reference files):

* GB 3095-2012 / GB 3095-2026 Table 4 (standards.md §1.4): daily mean ≥ 20 hourly values; 8-h mean
  ≥ 6 of 8 hours; a year ≥ 324 daily values and ≥ 27 per month (February ≥ 25).
* HJ 663 as quoted in standards.md §3.2 and §11: MDA8 from the 17 windows ending 08:00 … 24:00 of
  the natural day, valid with ≥ 14 valid windows, or with fewer when above the limit.
* Hour layout (averages.py docstring, standards.md §11): index 0 of a day is the hour ending 01:00,
  so the window "ending 08:00" is day-hour indices 0 … 7 and "ending 24:00" is 16 … 23.
* GB 3095-2012 Table 1 (standards.md §1.1) and GB 3095-2026 Table 1 (standards.md §1.3) limits.
* GB 3095-2026 前言 and §4.4 (standards.md, "The biggest finding"): 2026 rules from 2026-03-01,
  transition limits to 2030-12-31, final limits from 2031-01-01.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings

import numpy as np
import pytest

from lantian.standards import (
    annual_evaluation,
    aqi_report,
    area_mean,
    comprehensive_index,
    daily_max_1h,
    daily_mean,
    display_name,
    iaqi,
    individual_indices,
    limit,
    limit_in,
    mda8,
    moving_average_8h,
    period_valid,
    rule_set,
    rule_set_names,
    unit,
)

HOURS = 24

# ==================================================================================================
# Daily mean (GB 3095 Table 4: ≥ 20 hourly values per day).
# ==================================================================================================


def one_day(missing: list[int]) -> np.ndarray:
    """Hours valued 1 … 24 (index 0 = hour ending 01:00), with ``missing`` indices set to NaN."""
    values = np.arange(1.0, 25.0)
    values[missing] = np.nan
    return values


@pytest.mark.parametrize(
    ("missing", "expected_mean", "expected_count"),
    [
        pytest.param([], 12.5, 24, id="24 valid: mean of 1..24 = 12.5"),
        pytest.param([20, 21, 22, 23], 10.5, 20, id="20 valid (last 4 missing): mean of 1..20"),
        pytest.param([0, 1, 2, 3], 14.5, 20, id="20 valid (first 4 missing): mean of 5..24"),
        pytest.param([19, 20, 21, 22, 23], math.nan, 19, id="19 valid → invalid (GB 3095 Table 4)"),
        pytest.param(list(range(24)), math.nan, 0, id="0 valid → invalid"),
    ],
)
def test_daily_mean_validity(missing: list[int], expected_mean: float, expected_count: int) -> None:
    """GB 3095 Table 4 "每日至少有20个小时平均浓度值": 20 valid hours suffice, 19 do not."""
    means, counts = daily_mean(one_day(missing))
    assert counts.tolist() == [expected_count]
    if math.isnan(expected_mean):
        assert np.isnan(means[0])
    else:
        assert means[0] == pytest.approx(expected_mean)


def test_daily_mean_natural_days_and_leading_axes() -> None:
    """Days are indices 24·d … 24·d + 23; leading axes (stations) are kept.

    Station 0: day 0 all 10, day 1 all 30 except index 24 (the first hour of day 1) = 54 → 31.
    Station 1: day 0 has 19 valid hours → NaN; day 1 all 5.
    """
    hourly = np.empty((2, 48))
    hourly[0, :24] = 10.0
    hourly[0, 24:] = 30.0
    hourly[0, 24] = 54.0  # (54 + 23·30)/24 = 31
    hourly[1, :24] = 7.0
    hourly[1, :5] = np.nan
    hourly[1, 24:] = 5.0
    means, counts = daily_mean(hourly, "HJ663-2026")
    np.testing.assert_allclose(means, [[10.0, 31.0], [np.nan, 5.0]])
    np.testing.assert_array_equal(counts, [[24, 24], [19, 24]])


def test_daily_mean_needs_whole_days() -> None:
    """Hourly data must cover whole natural days."""
    with pytest.raises(ValueError, match="whole natural days"):
        daily_mean(np.ones(25))


# ==================================================================================================
# Daily maximum 1-hour value (O3, HJ 633-2012 §5.1.2), same 20-hour rule.
# ==================================================================================================


@pytest.mark.parametrize(
    ("missing", "expected"),
    [
        pytest.param([], 24.0, id="24 valid → 24"),
        pytest.param([23, 22, 21, 20], 20.0, id="20 valid → max of 1..20"),
        pytest.param([23, 22, 21, 20, 19], math.nan, id="19 valid → invalid"),
    ],
)
def test_daily_max_1h(missing: list[int], expected: float) -> None:
    """Daily max of the hourly values, valid with ≥ 20 hours (the package's reading of Table 4)."""
    maxima, counts = daily_max_1h(one_day(missing))
    assert counts.tolist() == [24 - len(missing)]
    if math.isnan(expected):
        assert np.isnan(maxima[0])
    else:
        assert maxima[0] == expected


# ==================================================================================================
# 8-hour moving average (GB 3095 §3.8 and Table 4: ≥ 6 of 8 hours).
# ==================================================================================================


def test_moving_average_window_is_t_minus_7_to_t() -> None:
    """Window ending at t holds hours t−7 … t: with values 1, 2, …, the mean at t ≥ 7 is t − 2.5.

    Before the array starts the hours count as missing: at t = 5 six hours (1..6, mean 3.5) are
    valid; at t = 4 only five → NaN.
    """
    hourly = np.arange(1.0, 49.0)
    averages, counts = moving_average_8h(hourly)
    t = np.arange(7, 48)
    np.testing.assert_allclose(averages[7:], t - 2.5)
    np.testing.assert_array_equal(counts[:8], [1, 2, 3, 4, 5, 6, 7, 8])
    assert np.all(np.isnan(averages[:5]))
    assert averages[5] == pytest.approx(3.5)
    assert averages[6] == pytest.approx(4.0)


def test_moving_average_spike_enters_eight_windows() -> None:
    """A single spike at hour 12 raises exactly the windows ending at 12 … 19."""
    hourly = np.zeros(48)
    hourly[12] = 80.0
    averages, _ = moving_average_8h(hourly)
    raised = np.flatnonzero(np.nan_to_num(averages) > 0)
    np.testing.assert_array_equal(raised, np.arange(12, 20))
    np.testing.assert_allclose(averages[12:20], 10.0)


@pytest.mark.parametrize(
    ("missing", "expected", "expected_count"),
    [
        # Window ending at t = 20 holds hours 13 … 20, whose values (index + 1) are 14 … 21.
        pytest.param([], 17.5, 8, id="8 of 8 valid → mean(14..21) = 17.5"),
        pytest.param([13, 14], 18.5, 6, id="6 of 8 valid → mean(16..21) = 18.5"),
        pytest.param([13, 20], 17.5, 6, id="6 of 8 valid, both ends missing → mean(15..20)"),
        pytest.param([13, 14, 15], math.nan, 5, id="5 of 8 valid → invalid (GB 3095 Table 4)"),
        pytest.param([6, 13, 14, 15], math.nan, 5, id="hour 6 is outside the window"),
    ],
)
def test_moving_average_validity(missing: list[int], expected: float, expected_count: int) -> None:
    """GB 3095 Table 4 "每8小时至少有6小时平均浓度值": 6 of 8 valid suffices, 5 does not."""
    hourly = np.arange(1.0, 49.0)
    hourly[missing] = np.nan
    averages, counts = moving_average_8h(hourly)
    assert counts[20] == expected_count
    if math.isnan(expected):
        assert np.isnan(averages[20])
    else:
        assert averages[20] == pytest.approx(expected)


# ==================================================================================================
# MDA8 (HJ 663: windows ending 08:00 … 24:00 = day indices 7 … 23; ≥ 14 valid windows).
# ==================================================================================================


def two_days(value: float = 100.0) -> np.ndarray:
    return np.full(2 * HOURS, value)


def test_mda8_constant_day() -> None:
    """A constant day: MDA8 = the constant, 17 valid windows (ending 08:00 … 24:00)."""
    result, counts = mda8(two_days(100.0))
    np.testing.assert_allclose(result, [100.0, 100.0])
    np.testing.assert_array_equal(counts, [17, 17])


def test_mda8_first_window_ends_at_day_index_7() -> None:
    """The window ending 08:00 (day indices 0 … 7) counts: day 1 indices 0 … 7 at 200 → MDA8 200."""
    hourly = two_days(50.0)
    hourly[HOURS : HOURS + 8] = 200.0
    result, _ = mda8(hourly)
    np.testing.assert_allclose(result, [50.0, 200.0])


def test_mda8_last_window_ends_at_day_index_23() -> None:
    """The window ending 24:00 (day indices 16 … 23) counts: day 0 indices 16 … 23 at 200 → 200."""
    hourly = two_days(50.0)
    hourly[16:24] = 200.0
    result, _ = mda8(hourly)
    np.testing.assert_allclose(result, [200.0, 50.0])


def test_mda8_ignores_windows_reaching_into_the_previous_day() -> None:
    """Windows ending at day indices 0 … 6 span the previous day and are not the day's windows.

    Day 0 indices 17 … 23 = 300, everything else 50. Day 0: window ending 23 = (50 + 7·300)/8 =
    268.75. Day 1: all its own hours are 50, so MDA8 = 50 (the window ending at day-1 index 0,
    hours 17 … 24, would give 268.75 if it were counted).
    """
    hourly = two_days(50.0)
    hourly[17:24] = 300.0
    result, _ = mda8(hourly)
    np.testing.assert_allclose(result, [268.75, 50.0])


@pytest.mark.parametrize(
    ("missing_first_hours", "value", "expected", "expected_windows"),
    [
        # k missing hours at the start of the day: window ending at j (≥ 7) is valid iff j ≥ k + 5.
        pytest.param(4, 100.0, 100.0, 15, id="4 missing → 15 windows → valid"),
        pytest.param(5, 100.0, 100.0, 14, id="5 missing → 14 windows → valid (HJ 663 ≥ 14)"),
        pytest.param(6, 100.0, math.nan, 13, id="6 missing → 13 windows → invalid"),
        pytest.param(6, 160.0, math.nan, 13, id="13 windows, max = 160 (not above) → invalid"),
        pytest.param(6, 161.0, 161.0, 13, id="13 windows, max 161 > 160 → still counts"),
        pytest.param(6, 200.0, 200.0, 13, id="13 windows, max 200 > 160 → still counts"),
        pytest.param(12, 300.0, 300.0, 7, id="7 windows, max 300 > 160 → still counts"),
    ],
)
@pytest.mark.parametrize("standard", ["HJ663-2013", "HJ663-2026"])
def test_mda8_window_validity(
    standard: str,
    missing_first_hours: int,
    value: float,
    expected: float,
    expected_windows: int,
) -> None:
    """HJ 663 (standards.md §3.2, §11): ≥ 14 valid 8-h windows, or fewer when above the 160 limit."""
    hourly = np.concatenate([np.full(HOURS, 50.0), np.full(HOURS, value)])
    hourly[HOURS : HOURS + missing_first_hours] = np.nan
    result, counts = mda8(hourly, standard)
    assert counts[1] == expected_windows
    assert result[0] == 50.0
    if math.isnan(expected):
        assert np.isnan(result[1])
    else:
        assert result[1] == pytest.approx(expected)


def test_mda8_explicit_limit() -> None:
    """``limit_value`` replaces the Grade II 160 for the exceedance exception (e.g. Grade I 100)."""
    hourly = np.full(HOURS, 150.0)
    hourly[:6] = np.nan  # 13 valid windows
    assert np.isnan(mda8(hourly)[0][0])
    assert mda8(hourly, limit_value=100.0)[0][0] == pytest.approx(150.0)


def test_mda8_all_missing() -> None:
    """A day without any valid window is NaN with 0 windows."""
    result, counts = mda8(np.full(HOURS, np.nan))
    assert np.isnan(result[0])
    assert counts[0] == 0


# ==================================================================================================
# Area mean (standards.md §3.4: mean of the valid evaluation stations in each hour).
# ==================================================================================================


def test_area_mean() -> None:
    """Mean of valid stations per hour; an hour without any station is NaN, without a warning."""
    stations = np.array([[1.0, np.nan, 3.0, 10.0], [3.0, np.nan, np.nan, 20.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = area_mean(stations)
        got_t = area_mean(stations.T, station_axis=1)
    np.testing.assert_array_equal(got, [2.0, np.nan, 3.0, 15.0])
    np.testing.assert_array_equal(got_t, got)


# ==================================================================================================
# Period validity (GB 3095 Table 4: 324 days a year, 27 per month, February 25).
# ==================================================================================================

#: A non-leap year, 2025: days per month.
DAYS_IN_MONTH_2025 = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
MONTHS_2025 = np.repeat(np.arange(1, 13), DAYS_IN_MONTH_2025)


def valid_days(valid_per_month: list[int]) -> np.ndarray:
    """A 365-day validity mask with the first ``valid_per_month[m]`` days of each month valid."""
    mask = []
    for n_days, n_valid in zip(DAYS_IN_MONTH_2025, valid_per_month, strict=True):
        mask += [True] * n_valid + [False] * (n_days - n_valid)
    return np.asarray(mask)


@pytest.mark.parametrize(
    ("valid_per_month", "expected"),
    [
        pytest.param(DAYS_IN_MONTH_2025, True, id="all 365 valid"),
        pytest.param([29, 25] + [27] * 10, True, id="324 days, Feb 25, others ≥ 27 → valid"),
        pytest.param([28, 25] + [27] * 10, False, id="323 days (months all OK) → invalid"),
        pytest.param([27, 25] + [27] * 10, False, id="every month at its minimum = 322 → invalid"),
        pytest.param([31, 25, *DAYS_IN_MONTH_2025[2:]], True, id="February 25 → valid"),
        pytest.param([31, 24, *DAYS_IN_MONTH_2025[2:]], False, id="February 24 → invalid"),
        pytest.param([31, 28, 31, 27, *DAYS_IN_MONTH_2025[4:]], True, id="April 27 → valid"),
        pytest.param([31, 28, 31, 26, *DAYS_IN_MONTH_2025[4:]], False, id="April 26 → invalid"),
        pytest.param([26, *DAYS_IN_MONTH_2025[1:]], False, id="January 26 → invalid"),
    ],
)
def test_period_valid(valid_per_month: list[int], expected: bool) -> None:
    """GB 3095 Table 4 (standards.md §1.4): ≥ 324 daily values, ≥ 27 per month, February ≥ 25."""
    assert period_valid(valid_days(valid_per_month), MONTHS_2025) is expected
    assert period_valid(valid_days(valid_per_month), MONTHS_2025, "HJ663-2026") is expected


# ==================================================================================================
# Annual evaluation on a constructed 365-day year (HJ 663-2013 Table 1; standards.md §3.1).
# ==================================================================================================


def constructed_year() -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Daily means and MDA8 of 2025 chosen so every statistic can be computed by hand.

    SO2   355 days at 10, 10 days at 200.
          mean = (355·10 + 10·200)/365 = 5550/365 = 15.21 → 15.
          P98: k = 1 + 364·0.98 = 357.72; sorted X(356 … 365) = 200 → 200.
    NO2   day i (0-based) = (i + 1)/5, i.e. 0.2, 0.4, …, 73.0.
          mean = 183/5 = 36.6 → 37. P98: X(s) = s/5, k = 357.72 → 71.544 → 72.
    CO    345 days at 0.5, 20 days at 4.5 mg/m³.
          P95: k = 1 + 364·0.95 = 346.8; X(346 … 365) = 4.5 → 4.5.
    O3    MDA8 of day i = i + 1 (1 … 365). P90: k = 1 + 364·0.9 = 328.6 → 328.6 → 329.
    PM10  70 every valid day; 42 invalid days (3 in every month, 1 more in Jan, Mar, May, Jul, Aug,
          Oct) → 323 valid days, every month ≥ 27 (February 25) but < 324 → not valid.
          mean 70, P95 70.
    PM2.5 219 days at 35, 146 days at 36: mean = (7665 + 5256)/365 = 35.4 → 35 (GB/T 8170);
          P95: k = 346.8, X(220 … 365) = 36 → 36.
    """
    n = 365
    so2 = np.full(n, 10.0)
    so2[180:190] = 200.0
    no2 = np.arange(1, n + 1) / 5.0
    co = np.full(n, 0.5)
    co[200:220] = 4.5
    o3 = np.arange(1.0, n + 1)
    pm10 = np.full(n, 70.0)
    starts = np.concatenate([[0], np.cumsum(DAYS_IN_MONTH_2025)[:-1]])
    for month, start in enumerate(starts, start=1):
        extra = 1 if month in (1, 3, 5, 7, 8, 10) else 0
        pm10[start : start + 3 + extra] = np.nan
    pm25 = np.full(n, 35.0)
    pm25[::5] = 36.0  # 73 days
    pm25[1::5] = 36.0  # 73 more: 146 days at 36, 219 at 35
    rng = np.random.default_rng(2025)  # order within the year must not matter
    daily = {
        "SO2": rng.permutation(so2),
        "NO2": rng.permutation(no2),
        "CO": rng.permutation(co),
        "PM10": pm10,
        "PM2.5": rng.permutation(pm25),
    }
    return daily, rng.permutation(o3)


#: Expected items under the 2012 rules (GB 3095-2012 Grade II limits, standards.md §1.1):
#: (pollutant, metric, value, limit, attained, exceedance multiple (C − S)/S to 2 decimals,
#: valid days, valid).
EXPECTED_2012 = [
    ("SO2", "annual_mean", 15, 60, True, math.nan, 365, True),
    ("SO2", "p98_daily", 200, 150, False, 0.33, 365, True),  # 50/150 = 0.333
    ("NO2", "annual_mean", 37, 40, True, math.nan, 365, True),
    ("NO2", "p98_daily", 72, 80, True, math.nan, 365, True),
    ("CO", "p95_daily", 4.5, 4, False, 0.12, 365, True),  # 0.125 → 0.12 (half to even)
    ("O3", "p90_mda8", 329, 160, False, 1.06, 365, True),  # 169/160 = 1.05625
    ("PM10", "annual_mean", 70, 70, True, math.nan, 323, False),  # equal to the limit attains
    ("PM10", "p95_daily", 70, 150, True, math.nan, 323, False),
    ("PM2.5", "annual_mean", 35, 35, True, math.nan, 365, True),  # 35.4 → 35 ≤ 35
    ("PM2.5", "p95_daily", 36, 75, True, math.nan, 365, True),
]


def test_annual_evaluation_2012() -> None:
    """HJ 663-2013 Table 1 items on the constructed year, 2012 rules (values worked by hand)."""
    daily, o3 = constructed_year()
    items = annual_evaluation(daily, o3, MONTHS_2025, rule_set("2025-07-01"))
    got = [
        (
            i.pollutant,
            i.metric,
            i.value,
            i.limit,
            i.attained,
            i.exceedance_multiple,
            i.valid_days,
            i.valid,
        )
        for i in items
    ]
    assert len(got) == len(EXPECTED_2012)
    for row, expected in zip(got, EXPECTED_2012, strict=True):
        assert row[:2] == expected[:2]
        assert row[2] == pytest.approx(expected[2])
        assert row[3] == expected[3]
        assert row[4] is expected[4], row
        if math.isnan(expected[5]):
            assert math.isnan(row[5]), row
        else:
            assert row[5] == pytest.approx(expected[5]), row
        assert row[6:] == expected[6:], row


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        # GB 3095-2026 transition Grade II (standards.md §1.3): PM10 annual 60, daily 120;
        # PM2.5 annual 30, daily 60; the others as 2012.
        pytest.param(
            "2027-07-01",
            {
                ("SO2", "p98_daily"): (150, False),
                ("NO2", "annual_mean"): (40, True),
                ("PM10", "annual_mean"): (60, False),  # 70 > 60: (70 − 60)/60 = 0.17
                ("PM10", "p95_daily"): (120, True),
                ("PM2.5", "annual_mean"): (30, False),  # 35 > 30
                ("PM2.5", "p95_daily"): (60, True),
            },
            id="GB3095-2026 transition",
        ),
        # Final Grade II: SO2 annual 20, daily 50; NO2 annual 30, daily 50; PM10 50/100;
        # PM2.5 25/50.
        pytest.param(
            "2031-07-01",
            {
                ("SO2", "annual_mean"): (20, True),  # 15 ≤ 20
                ("SO2", "p98_daily"): (50, False),
                ("NO2", "annual_mean"): (30, False),  # 37 > 30
                ("NO2", "p98_daily"): (50, False),  # 72 > 50
                ("PM10", "p95_daily"): (100, True),
                ("PM2.5", "annual_mean"): (25, False),
                ("PM2.5", "p95_daily"): (50, True),  # 36 ≤ 50
            },
            id="GB3095-2026 final",
        ),
    ],
)
def test_annual_evaluation_2026_limits(date: str, expected: dict) -> None:
    """The same year judged against the GB 3095-2026 limits of the rule set of ``date``."""
    daily, o3 = constructed_year()
    items = {
        (i.pollutant, i.metric): i
        for i in annual_evaluation(daily, o3, MONTHS_2025, rule_set(date))
    }
    for key, (limit_value, attained) in expected.items():
        assert items[key].limit == limit_value, key
        assert items[key].attained is attained, key
    assert items[("PM10", "annual_mean")].exceedance_multiple == (
        pytest.approx(0.17) if date < "2031" else pytest.approx(0.4)
    )


def test_annual_evaluation_missing_pollutant() -> None:
    """A pollutant without any valid day: value NaN, attained None, 0 valid days, not valid."""
    daily, o3 = constructed_year()
    daily["CO"] = np.full(365, np.nan)
    items = {
        (i.pollutant, i.metric): i
        for i in annual_evaluation(daily, o3, MONTHS_2025, rule_set("2025-07-01"))
    }
    co = items[("CO", "p95_daily")]
    assert math.isnan(co.value)
    assert co.attained is None
    assert co.valid_days == 0
    assert co.valid is False


# ==================================================================================================
# Limits (GB 3095-2012 Table 1; GB 3095-2026 Table 1 transition and final).
# ==================================================================================================

#: GB 3095-2012 Table 1 (standards.md §1.1): (pollutant, averaging) → (Grade I, Grade II).
GB3095_2012_TABLE_1 = {
    ("SO2", "annual"): (20, 60),
    ("SO2", "daily"): (50, 150),
    ("SO2", "1h"): (150, 500),
    ("NO2", "annual"): (40, 40),
    ("NO2", "daily"): (80, 80),
    ("NO2", "1h"): (200, 200),
    ("CO", "daily"): (4, 4),
    ("CO", "1h"): (10, 10),
    ("O3", "mda8"): (100, 160),
    ("O3", "1h"): (160, 200),
    ("PM10", "annual"): (40, 70),
    ("PM10", "daily"): (50, 150),
    ("PM2.5", "annual"): (15, 35),
    ("PM2.5", "daily"): (35, 75),
}
#: GB 3095-2026 Table 1 (standards.md §1.3):
#: (pollutant, averaging) → (transition I, transition II, final I, final II).
GB3095_2026_TABLE_1 = {
    ("SO2", "annual"): (20, 60, 20, 20),
    ("SO2", "daily"): (50, 150, 50, 50),
    ("SO2", "1h"): (150, 500, 150, 150),
    ("NO2", "annual"): (40, 40, 30, 30),
    ("NO2", "daily"): (80, 80, 50, 50),
    ("NO2", "1h"): (200, 200, 200, 200),
    ("CO", "daily"): (4, 4, 4, 4),
    ("CO", "1h"): (10, 10, 10, 10),
    ("O3", "mda8"): (100, 160, 100, 160),
    ("O3", "1h"): (160, 200, 160, 200),
    ("PM10", "annual"): (40, 60, 20, 50),
    ("PM10", "daily"): (50, 120, 50, 100),
    ("PM2.5", "annual"): (15, 30, 10, 25),
    ("PM2.5", "daily"): (35, 60, 25, 50),
}


@pytest.mark.parametrize(
    ("pollutant", "averaging", "grade_1", "grade_2"),
    [pytest.param(*key, *v, id=f"GB3095-2012 {key}") for key, v in GB3095_2012_TABLE_1.items()],
)
def test_limits_gb3095_2012(pollutant: str, averaging: str, grade_1: int, grade_2: int) -> None:
    """GB 3095-2012 Table 1, Grade I and II (standards.md §1.1)."""
    assert limit(pollutant, averaging, standard="GB3095-2012", grade=1) == grade_1
    assert limit(pollutant, averaging, standard="GB3095-2012", grade=2) == grade_2
    assert limit(pollutant, averaging) == grade_2  # defaults: GB3095-2012, Grade II


@pytest.mark.parametrize(
    ("pollutant", "averaging", "values"),
    [pytest.param(*key, v, id=f"GB3095-2026 {key}") for key, v in GB3095_2026_TABLE_1.items()],
)
def test_limits_gb3095_2026(pollutant: str, averaging: str, values: tuple[int, ...]) -> None:
    """GB 3095-2026 Table 1, transition and final stages, Grade I and II (standards.md §1.3)."""
    got = tuple(
        limit(pollutant, averaging, standard="GB3095-2026", stage=stage, grade=grade)
        for stage in ("transition", "final")
        for grade in (1, 2)
    )
    assert got == values


@pytest.mark.parametrize(
    ("date", "table", "column"),
    [
        pytest.param("2026-02-28", GB3095_2012_TABLE_1, 1, id="2026-02-28 → GB3095-2012"),
        pytest.param("2026-03-01", GB3095_2026_TABLE_1, 1, id="2026-03-01 → transition"),
        pytest.param("2031-01-01", GB3095_2026_TABLE_1, 3, id="2031-01-01 → final"),
    ],
)
def test_limit_in_rule_set(date: str, table: dict, column: int) -> None:
    """``limit_in`` applies the Grade II limits of the rule set of the date."""
    rules = rule_set(date)
    for (pollutant, averaging), values in table.items():
        assert limit_in(rules, pollutant, averaging) == values[column], (pollutant, averaging)


@pytest.mark.parametrize(
    ("pollutant", "averaging"),
    [("CO", "annual"), ("O3", "annual"), ("O3", "daily"), ("PM2.5", "1h")],
)
def test_no_such_limit(pollutant: str, averaging: str) -> None:
    """GB 3095 Table 1 has no CO or O3 annual limit, no O3 daily and no PM 1-h limit."""
    with pytest.raises(KeyError, match="valid values"):
        limit(pollutant, averaging)


# ==================================================================================================
# Rule sets by date.
# ==================================================================================================


@pytest.mark.parametrize(
    ("date", "standard", "expected"),
    [
        pytest.param("2013-01-01", None, ("2012", "GB3095-2012", "", "HJ633-2012", "HJ663-2013")),
        pytest.param("2026-02-28", None, ("2012", "GB3095-2012", "", "HJ633-2012", "HJ663-2013")),
        pytest.param(
            "2026-03-01",
            None,
            ("2026", "GB3095-2026", "transition", "HJ633-2026", "HJ663-2026"),
        ),
        pytest.param(
            dt.datetime(2026, 3, 1, 0, 30),
            None,
            ("2026", "GB3095-2026", "transition", "HJ633-2026", "HJ663-2026"),
            id="datetime 2026-03-01 00:30",
        ),
        pytest.param(
            dt.date(2030, 12, 31),
            None,
            ("2026", "GB3095-2026", "transition", "HJ633-2026", "HJ663-2026"),
            id="date 2030-12-31",
        ),
        pytest.param(
            "2031-01-01", None, ("2026", "GB3095-2026", "final", "HJ633-2026", "HJ663-2026")
        ),
        # Explicit override: the named rule set whatever the date; the 2026 stage follows the date.
        pytest.param("2026-06-01", "2012", ("2012", "GB3095-2012", "", "HJ633-2012", "HJ663-2013")),
        pytest.param("2035-06-01", "2012", ("2012", "GB3095-2012", "", "HJ633-2012", "HJ663-2013")),
        pytest.param(
            "2020-06-01",
            "2026",
            ("2026", "GB3095-2026", "transition", "HJ633-2026", "HJ663-2026"),
        ),
        pytest.param(
            "2035-06-01", "2026", ("2026", "GB3095-2026", "final", "HJ633-2026", "HJ663-2026")
        ),
    ],
)
def test_rule_set_by_date(date, standard: str | None, expected: tuple[str, ...]) -> None:
    """GB 3095-2026 前言 and §4.4, HJ 633-2026 前言: 2026 rules from 2026-03-01; transition
    limits to 2030-12-31, final from 2031-01-01; before that the 2012 rules."""
    got = rule_set(date, standard)
    assert (got.name, got.gb3095, got.gb3095_stage, got.hj633, got.hj663) == expected


def test_rule_set_dates_and_names() -> None:
    """The 2012 set ends 2026-02-28; the 2026 transition stage runs 2026-03-01 … 2030-12-31."""
    assert rule_set_names() == ["2012", "2026"]
    assert rule_set("2020-01-01").effective_to == dt.date(2026, 2, 28)
    transition = rule_set("2028-01-01")
    assert (transition.effective_from, transition.effective_to) == (
        dt.date(2026, 3, 1),
        dt.date(2030, 12, 31),
    )
    assert rule_set("2040-01-01").effective_from == dt.date(2031, 1, 1)
    assert rule_set("2040-01-01").effective_to is None


# ==================================================================================================
# Unknown keys raise KeyError listing the valid values.
# ==================================================================================================


@pytest.mark.parametrize(
    ("call", "listed"),
    [
        pytest.param(lambda: limit("PM25", "annual"), ["PM2.5", "SO2"], id="limit pollutant"),
        pytest.param(lambda: limit("PM2.5", "weekly"), ["annual", "daily"], id="limit averaging"),
        pytest.param(
            lambda: limit("PM2.5", "daily", standard="GB3095-2099"),
            ["GB3095-2012", "GB3095-2026"],
            id="limit standard",
        ),
        pytest.param(
            lambda: limit("PM2.5", "daily", standard="GB3095-2026", stage="interim"),
            ["transition", "final"],
            id="limit stage",
        ),
        pytest.param(lambda: rule_set("2026-01-01", "2020"), ["2012", "2026"], id="rule_set"),
        pytest.param(
            lambda: iaqi(10, "PM2.5_24h", "HJ633-2099"),
            ["HJ633-2012", "HJ633-2026"],
            id="iaqi standard",
        ),
        pytest.param(lambda: iaqi(10, "PM2.5_8h", "HJ633-2012"), ["PM2.5_24h"], id="iaqi column"),
        pytest.param(
            lambda: individual_indices({"PM25_24h": 10}, "daily", "HJ633-2012"),
            ["PM2.5_24h", "O3_8h"],
            id="report input",
        ),
        pytest.param(
            lambda: aqi_report({"PM2.5_24h": 10}, "weekly", "HJ633-2012"),
            ["hourly", "daily"],
            id="report kind",
        ),
        pytest.param(
            lambda: daily_mean(np.ones(24), "HJ663-2099"),
            ["HJ663-2013", "HJ663-2026"],
            id="validity standard",
        ),
        pytest.param(
            lambda: comprehensive_index({}, scheme="weighted-2099"),
            ["ranking-2018", "weighted-2026"],
            id="comprehensive scheme",
        ),
        pytest.param(lambda: unit("PM25"), ["PM2.5"], id="unit"),
        pytest.param(lambda: display_name("PM25"), ["PM2.5"], id="display_name"),
    ],
)
def test_unknown_keys_raise_key_error_listing_valid_values(call, listed: list[str]) -> None:
    """A mistyped id is a KeyError whose message names the valid choices."""
    with pytest.raises(KeyError) as raised:
        call()
    message = str(raised.value)
    for valid in listed:
        assert valid in message, message
