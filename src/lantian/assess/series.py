"""The hourly (实时报) and daily (日报) series of a place: concentrations at their reporting
precision and the HJ 633 AQI report, laid out as columns — the one implementation behind
``lantian aqi``, the API's ``/hourly``, ``/daily`` and ``/aqi``, the pages' charts and the monthly
report.

Columns (the glossary's names, the same in every output):

* ``ts`` (hourly: the end of the hour) or ``day`` (daily: the natural day);
* concentrations [µg/m³; CO mg/m³] rounded per HJ 633 (GB/T 8170): hourly ``SO2 NO2 CO O3 PM10
  PM2.5``; daily the daily means ``SO2 NO2 CO PM10 PM2.5``, ``O3_8h`` (MDA8) and ``O3_1h`` (the daily
  maximum 1-hour value);
* ``{pollutant}_iaqi``: the individual AQI (IAQI, HJ 633) of each of the six pollutants;
* ``aqi``, ``level`` (1–6, null when there is no AQI), ``category_zh``, ``category_en``, ``colour``
  (HJ 633 Appendix A), ``primary_pollutants`` (ids joined by ``,``);
* ``standard``: the HJ 633 the row follows;
* ``completeness``: how an hour or day with a pollutant missing was treated — ``release`` (the AQI
  of the pollutants present, as CNEMC publishes; the hourly default) or ``letter`` (HJ 633-2026
  §5.3.1 as written; the daily default) — on every row, so that every export says it
  (docs/cnemc-release-check.md).

Rule sets (:func:`lantian.standards.rule_set_runs`, the one policy): every hour and day follows the
rules of its own date — a period that spans 2026-03-01 is split there and each row says which
standard it follows — unless ``standard`` names one rule set for the whole period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from lantian.assess.annual import daily_series
from lantian.standards import (
    BASIC_POLLUTANTS,
    AqiReport,
    RuleSet,
    aqi_report,
    round_concentration,
    rule_set_runs,
)
from lantian.times import hour_ends

FloatArray = npt.NDArray[np.float64]
Columns = dict[str, np.ndarray]
DAILY_CONCENTRATIONS = ("SO2", "NO2", "CO", "PM10", "PM2.5", "O3_8h", "O3_1h")
"""Daily concentration columns: daily means, the O3 MDA8 and the O3 daily maximum 1-hour value."""
AQI_COLUMNS = ("aqi", "level", "category_zh", "category_en", "colour", "primary_pollutants")


def _text(values: np.ndarray, missing: npt.NDArray[np.bool_]) -> np.ndarray:
    """Strings as an object array with ``None`` where ``missing``."""
    text = np.array(values, dtype=object)
    text[missing] = None
    return text


def aqi_columns(report: AqiReport, hj633: str) -> Columns:
    """The AQI columns of an AQI report (module docstring), ``standard`` included."""
    none = report.level <= 0
    level = report.level.astype(object)
    level[none] = None
    primary = report.primary_pollutants()
    return {
        **{f"{p}_iaqi": report.iaqi[p] for p in BASIC_POLLUTANTS},
        "aqi": report.aqi,
        "level": level,
        "category_zh": _text(report.category("zh"), none),
        "category_en": _text(report.category("en"), none),
        "colour": _text(report.colour(), none),
        "primary_pollutants": _text(primary, report.primary == 0),
        "standard": np.full(len(report.aqi), hj633, dtype=object),
        "completeness": np.full(len(report.aqi), report.completeness, dtype=object),
    }


def hourly_columns(
    hourly: dict[str, FloatArray], rules: RuleSet, completeness: str | None = None
) -> Columns:
    """Hourly concentrations at reporting precision and the hourly AQI report, one rule set."""
    report = aqi_report(
        {f"{p}_1h": hourly[p] for p in BASIC_POLLUTANTS}, "hourly", rules.hj633, completeness
    )
    columns = {p: round_concentration(hourly[p], p, rules.hj633) for p in BASIC_POLLUTANTS}
    return {**columns, **aqi_columns(report, rules.hj633)}


def daily_columns(
    hourly: dict[str, FloatArray],
    first_day: dt.date,
    rules: RuleSet,
    completeness: str | None = None,
) -> Columns:
    """Daily concentrations at reporting precision and the daily AQI report, one rule set."""
    series = daily_series(hourly, first_day, rules, completeness)
    values = {**series.means, "O3_8h": series.mda8, "O3_1h": series.o3_max_1h}
    columns = {
        name: round_concentration(values[name], name.split("_")[0], rules.hj633)
        for name in DAILY_CONCENTRATIONS
    }
    return {**columns, **aqi_columns(series.aqi, rules.hj633)}


def _runs(
    first_day: dt.date, n_days: int, standard: str | None
) -> Iterator[tuple[int, int, dt.date, RuleSet]]:
    last_day = first_day + dt.timedelta(days=n_days - 1)
    for first, last, rules in rule_set_runs(first_day, last_day, standard):
        yield (first - first_day).days, (last - first_day).days + 1, first, rules


def _joined(parts: list[Columns]) -> Columns:
    return {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}


def hourly_table(
    hourly: dict[str, FloatArray],
    first_day: dt.date,
    standard: str | None = None,
    completeness: str | None = None,
) -> Columns:
    """The hourly series of whole natural days from ``first_day`` (hour grids of
    :mod:`lantian.times`), each hour by the rules of its day unless ``standard`` is given;
    ``completeness`` ``release`` (default) or ``letter``."""
    n_days = len(hourly["PM2.5"]) // 24
    parts = [
        hourly_columns(
            {p: v[start * 24 : end * 24] for p, v in hourly.items()}, rules, completeness
        )
        for start, end, _, rules in _runs(first_day, n_days, standard)
    ]
    return {"ts": hour_ends(first_day, n_days * 24), **_joined(parts)}


def daily_table(
    hourly: dict[str, FloatArray],
    first_day: dt.date,
    standard: str | None = None,
    completeness: str | None = None,
) -> Columns:
    """The daily series of whole natural days from ``first_day``, each day by the rules of its
    date unless ``standard`` is given; ``completeness`` ``letter`` (default) or ``release``."""
    n_days = len(hourly["PM2.5"]) // 24
    parts = [
        daily_columns(
            {p: v[start * 24 : end * 24] for p, v in hourly.items()}, first, rules, completeness
        )
        for start, end, first, rules in _runs(first_day, n_days, standard)
    ]
    days = np.datetime64(first_day, "D") + np.arange(n_days)
    return {"day": days, **_joined(parts)}
