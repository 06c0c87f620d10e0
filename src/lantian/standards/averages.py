"""Averages of hourly concentrations per GB 3095 §3 and Table 4 and HJ 663: daily mean, 8-hour moving
average, MDA8 and daily maximum 1-hour value.

**Layout.** Hourly data come as dense arrays whose last axis is hours of consecutive natural days:
index 0 is the hour *ending* at 01:00 of the first day, Beijing time, so natural day *d* is indices
``24·d … 24·d+23`` — the hours stamped D 01:00 … D+1 00:00 in CNEMC's hour-ending convention (the
national platform: "16时的小时均值为15:00-16:00的算术平均值"). NaN marks a missing or invalid hour.
Leading axes are free (stations, pollutants, …). Validity thresholds come from
``tables/validity.csv``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from lantian.standards.limits import limit
from lantian.standards.rounding import round_gbt8170
from lantian.standards.tables import one, rows

FloatArray = npt.NDArray[np.float64]
CountArray = npt.NDArray[np.int64]

HOURS_PER_DAY = 24
WINDOW_HOURS = 8
#: The 8-hour windows that make up MDA8 end at 08:00 … 24:00 of the natural day (HJ 663): with
#: hour-ending labels these are the windows ending at day-hour indices 7 … 23 (17 windows).
FIRST_MDA8_WINDOW_END = 7


def valid_mean(values: npt.ArrayLike, axis: int = -1) -> FloatArray:
    """The mean of the valid (non-NaN) values along ``axis``; NaN where there is none.

    Like ``np.nanmean`` but without its warning, which is not thread-safe to silence (the web
    app computes in threads).
    """
    x = np.asarray(values, dtype=np.float64)
    valid = ~np.isnan(x)
    total = np.where(valid, x, 0.0).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean: FloatArray = total / valid.sum(axis=axis)
    return mean


def validity_threshold(rule: str, standard: str = "HJ663-2013") -> int:
    """A minimum count of ``tables/validity.csv`` (e.g. ``daily_min_hours`` → 20)."""
    return int(one("validity", standard=standard, rule=rule)["value"])


def _by_day(hourly: npt.ArrayLike) -> FloatArray:
    values = np.asarray(hourly, dtype=np.float64)
    if values.shape[-1] % HOURS_PER_DAY:
        raise ValueError(
            f"hourly data must cover whole natural days: {values.shape[-1]} hours is not a "
            f"multiple of {HOURS_PER_DAY}"
        )
    return values.reshape(*values.shape[:-1], values.shape[-1] // HOURS_PER_DAY, HOURS_PER_DAY)


def daily_mean(
    hourly: npt.ArrayLike, standard: str = "HJ663-2013"
) -> tuple[FloatArray, CountArray]:
    """Daily (24-hour) means of the natural days, valid with ≥ 20 hourly values.

    GB 3095-2012 §3.7 and Table 4 (GB 3095-2026 §3.10 and Table 4): the mean of the hourly means
    of a natural day; "每日至少有20个小时平均浓度值".

    Parameters
    ----------
    hourly
        Hourly concentrations, last axis hours of whole natural days [µg/m³; CO mg/m³].
    standard
        ``HJ663-2013`` or ``HJ663-2026``: where the threshold is looked up.

    Returns
    -------
    (means, counts): the daily means, NaN where fewer than the minimum hours are valid, and the
    number of valid hours of each day; last axis days.
    """
    days = _by_day(hourly)
    valid = ~np.isnan(days)
    counts = valid.sum(axis=-1)
    sums = np.where(valid, days, 0.0).sum(axis=-1)
    enough = counts >= validity_threshold("daily_min_hours", standard)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(enough, sums / counts, np.nan)
    return means, counts


def daily_max_1h(
    hourly: npt.ArrayLike, standard: str = "HJ663-2013"
) -> tuple[FloatArray, CountArray]:
    """The daily maximum 1-hour value (O3 日最大1小时平均, HJ 633-2012 §5.1.2's daily report).

    Valid, as Lantian reads GB 3095 Table 4, when the day has ≥ 20 hourly values (the daily rule):
    a maximum over fewer hours could miss the peak. Returns (maxima, counts of valid hours).
    """
    days = _by_day(hourly)
    valid = ~np.isnan(days)
    counts = valid.sum(axis=-1)
    enough = counts >= validity_threshold("daily_min_hours", standard)
    maxima = np.where(valid, days, -np.inf).max(axis=-1)
    return np.where(enough, maxima, np.nan), counts


def moving_average(
    hourly: npt.ArrayLike, window_hours: int, min_hours: int
) -> tuple[FloatArray, CountArray]:
    """Trailing moving averages: the mean of the valid values of hours *t−w+1 … t*, for every *t*.

    Hours before the start of the array count as missing. Returns (averages, counts), NaN where
    fewer than ``min_hours`` values are valid; last axis hours, as the input.
    """
    values = np.asarray(hourly, dtype=np.float64)
    valid = ~np.isnan(values)
    pad = [(0, 0)] * (values.ndim - 1) + [(window_hours, 0)]
    cumulative_sum = np.cumsum(np.pad(np.where(valid, values, 0.0), pad), axis=-1)
    cumulative_count = np.cumsum(np.pad(valid.astype(np.int64), pad), axis=-1)
    sums = cumulative_sum[..., window_hours:] - cumulative_sum[..., :-window_hours]
    counts = cumulative_count[..., window_hours:] - cumulative_count[..., :-window_hours]
    with np.errstate(invalid="ignore", divide="ignore"):
        averages = np.where(counts >= min_hours, sums / counts, np.nan)
    return averages, counts


def moving_average_8h(
    hourly: npt.ArrayLike, standard: str = "HJ663-2013"
) -> tuple[FloatArray, CountArray]:
    """8-hour moving averages ending at each hour, valid with ≥ 6 of the 8 hourly values.

    GB 3095-2012 §3.8 (2026 §3.8): "连续8小时平均浓度的算术平均值，也称8小时滑动平均"; Table 4:
    "每8小时至少有6小时平均浓度值". The window ending at hour *t* holds hours *t−7 … t*.
    """
    return moving_average(hourly, WINDOW_HOURS, validity_threshold("window_8h_min_hours", standard))


def moving_average_24h(
    hourly: npt.ArrayLike, standard: str = "HJ663-2013"
) -> tuple[FloatArray, CountArray]:
    """24-hour moving averages ending at each hour (HJ 633-2012 §5.1.3: PM 24小时滑动平均), valid
    with ≥ 20 of the 24 hourly values (GB 3095 Table 4's 24-hour rule).

    CNEMC's published ``PM2.5_24h``-style columns use the same window with no minimum count
    (docs/cnemc-derived-columns.md).
    """
    return moving_average(hourly, HOURS_PER_DAY, validity_threshold("daily_min_hours", standard))


def _mda8_limit(standard: str) -> float:
    gb3095 = rows("rule_sets", hj663=standard)[0]
    return limit("O3", "mda8", standard=gb3095["gb3095"], stage=gb3095["gb3095_stage"])


def mda8(
    hourly_o3: npt.ArrayLike,
    standard: str = "HJ663-2013",
    limit_value: float | None = None,
) -> tuple[FloatArray, CountArray]:
    """O3 daily maximum 8-hour average (MDA8, 日最大8小时平均) of each natural day.

    GB 3095-2026 §3.9: the maximum of the 8-hour moving averages within one natural day. HJ 663:
    the 17 windows ending 08:00 … 24:00 of the day (hours 01–08 … 17–24, all inside the day);
    the day is valid with ≥ 14 valid windows, and with fewer still counts when its maximum, rounded
    as reported (GB/T 8170, integer µg/m³), exceeds the limit: an exceedance cannot be undone by
    more data.

    Parameters
    ----------
    hourly_o3
        Hourly O3 [µg/m³], last axis hours of whole natural days.
    standard
        ``HJ663-2013`` or ``HJ663-2026``.
    limit_value
        The MDA8 limit for the exceedance exception [µg/m³]; by default the Grade II limit of the
        GB 3095 paired with ``standard`` (160).

    Returns
    -------
    (mda8, valid_windows): NaN where the day is invalid; last axis days.
    """
    averages, _ = moving_average_8h(hourly_o3, standard)
    windows = _by_day(averages)[..., FIRST_MDA8_WINDOW_END:]
    valid = ~np.isnan(windows)
    counts = valid.sum(axis=-1)
    maxima = np.where(valid, windows, -np.inf).max(axis=-1)
    maxima = np.where(counts > 0, maxima, np.nan)
    threshold = _mda8_limit(standard) if limit_value is None else limit_value
    reported = round_gbt8170(
        maxima, int(one("rounding", standard=standard, pollutant="O3")["decimals"])
    )
    keep = (counts >= validity_threshold("mda8_min_windows", standard)) | (reported > threshold)
    return np.where(keep, maxima, np.nan), counts
