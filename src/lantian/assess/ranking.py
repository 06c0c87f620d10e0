"""``lantian rank``: cities ranked by the comprehensive index, by PM2.5 and by the good-day ratio,
and by the year-on-year change of the comprehensive index (城市环境空气质量排名技术规定,
环办监测〔2018〕19号; 变化程度排名方案 2017).

* Comprehensive index: ascending, two decimals, equal values share the rank (并列).
* PM2.5: ascending by the period mean at its reported precision.
* Good-day ratio (优良天数比例): descending.
* Change rate ΔI% = (I_now − I_previous)/I_previous × 100, ranked ascending (most improved first);
  the previous value is the same period one year earlier, when the store holds it.

City values come from evaluation stations only; control points are left out.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from importlib import resources
from typing import Any

import numpy as np

from lantian.assess.annual import Evaluation, evaluate
from lantian.assess.sources import StationHours, load_period
from lantian.standards import competition_rank, period_rule_set, round_gbt8170, rule_set
from lantian.standards.rulesets import RuleSet
from lantian.store import MeasurementStore


class RankingError(ValueError):
    """Unknown province or cities without data; the message lists what is known."""


def _province_rows() -> list[dict[str, str]]:
    path = resources.files("lantian.assess").joinpath("data", "provinces.csv")
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def known_city_names() -> list[str]:
    """Every city of ``data/provinces.csv`` by its CNEMC name (``永州``, ``阿坝州``, ``临夏州``)."""
    return [row["city"] for row in _province_rows()]


def province_cities(province: str, county_level: bool = False) -> list[str]:
    """The cities of ``province`` by their CNEMC names (``data/provinces.csv``).

    A provincial ranking covers the prefecture-level cities (地级及以上城市); the county-level
    cities the national network reports separately (e.g. 寿光, 昆山) join with ``county_level``.
    """
    rows = _province_rows()
    levels = {"prefecture", "county"} if county_level else {"prefecture"}
    cities = [r["city"] for r in rows if r["province"] == province and r["level"] in levels]
    if not cities:
        raise RankingError(
            f"unknown province {province!r}; known: {sorted({r['province'] for r in rows})}"
        )
    return cities


def _evaluate_cities(
    data: StationHours, cities: list[str], first_day: dt.date, rules: RuleSet
) -> dict[str, Evaluation]:
    results = {}
    for city in cities:
        stations = data.evaluation_stations(city)
        if stations:
            results[city] = evaluate(city, data.area_hourly(stations), first_day, rules)
    return results


def _shift_year(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def ranked_rows(
    results: dict[str, Evaluation], previous: dict[str, Evaluation]
) -> list[dict[str, object]]:
    """Rows of the ranking of the cities of ``results``, best first (module docstring).

    ``previous`` holds the same period one year earlier (cities missing from it get no change
    rate). The one serialisation of a ranking the CLI and the web API share: ``rank``, ``city``,
    ``comprehensive_index``, ``largest_index``, ``pm25``, ``pm25_rank``, ``good_ratio``,
    ``good_ratio_rank``, ``previous_index``, ``change_rate`` (%), ``change_rank``, ``valid_days``,
    ``completeness`` (the daily AQI's treatment of a missing pollutant behind ``good_ratio``).
    """
    names = list(results)
    index = np.asarray([float(results[c].comprehensive.total) for c in names])
    pm25 = np.asarray([results[c].value_of("PM2.5", "annual_mean") for c in names])
    good = np.asarray([results[c].good_day_ratio for c in names])
    before = np.asarray(
        [
            float(previous[c].comprehensive.total)
            if c in previous and previous[c].valid_days
            else np.nan
            for c in names
        ]
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        change = round_gbt8170((index - before) / before * 100.0, 2)
    rows: list[dict[str, Any]] = [
        {
            "rank": int(r),
            "city": c,
            "comprehensive_index": float(index[k]),
            "largest_index": str(results[c].comprehensive.largest.item()),
            "pm25": float(pm25[k]),
            "pm25_rank": int(pr),
            "good_ratio": float(good[k]),
            "good_ratio_rank": int(gr),
            "previous_index": None if np.isnan(before[k]) else float(before[k]),
            "change_rate": None if np.isnan(change[k]) else float(change[k]),
            "change_rank": None if np.isnan(change[k]) else int(cr),
            "valid_days": results[c].valid_days,
            "completeness": results[c].daily.aqi.completeness,
        }
        for k, (c, r, pr, gr, cr) in enumerate(
            zip(
                names,
                competition_rank(index),
                competition_rank(pm25),
                competition_rank(-good),
                competition_rank(change),
                strict=True,
            )
        )
    ]
    return sorted(rows, key=lambda row: (row["rank"], row["city"]))


def rank(
    store: MeasurementStore,
    cities: list[str],
    first_day: dt.date,
    last_day: dt.date,
    standard: str | None = None,
) -> dict[str, object]:
    """Rank ``cities`` over the natural days ``first_day`` … ``last_day``."""
    rules = period_rule_set(first_day, last_day, standard)
    data = load_period(store, first_day, last_day)
    results = _evaluate_cities(data, cities, first_day, rules)
    if not results:
        raise RankingError(f"no data for any of {', '.join(cities)} in {first_day} … {last_day}")
    previous_first, previous_last = _shift_year(first_day, -1), _shift_year(last_day, -1)
    previous = _evaluate_cities(
        load_period(store, previous_first, previous_last),
        list(results),
        previous_first,
        rule_set(previous_first, standard),
    )
    return {
        "from": first_day.isoformat(),
        "to": last_day.isoformat(),
        "standard": rules.name,
        "scheme": "ranking-2018",
        "cities": ranked_rows(results, previous),
    }
