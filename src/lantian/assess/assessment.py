"""``lantian assess``: the HJ 663 evaluation of a station, city or area over a period, as data.

The result is a plain dict (the JSON of ``lantian assess --format json`` and of the web API's
``/api/v1/evaluations/{year}``): ``city``, ``area``, ``station``, ``name``, ``year``, ``from``,
``to``, ``standard``, ``rule_set``, ``stations_used``, ``items[]`` (``pollutant``, ``metric``,
``value``, ``unit``, ``limit``, ``attained``, ``exceedance_multiple``, ``valid_days``, ``valid``,
``short_months``), ``attained``, ``days`` (``valid``, ``good``, ``good_ratio``, ``heavy``,
``by_category``, ``by_level``, ``completeness``: the daily AQI's treatment of a missing pollutant,
HJ 633-2026 §5.3.1), ``primary_pollutant_days``, ``comprehensive_index``,
``largest_index``, ``single_indices``, ``completeness`` and ``stations[]`` (the same per station).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from lantian.assess.annual import Evaluation, evaluate
from lantian.assess.scope import Scope
from lantian.assess.sources import StationHours, load_period
from lantian.standards import (
    BASIC_POLLUTANTS,
    HEAVY_POLLUTION_LEVEL,
    category_table,
    period_rule_set,
    unit,
)
from lantian.store import MeasurementStore


def _number(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def evaluation_dict(result: Evaluation) -> dict[str, object]:
    """The JSON-ready fields of one evaluation (without scope and period)."""
    categories = [row["category_zh"] for row in category_table(result.rule_set.hj633)]
    good = sum(result.days_by_level[:2])
    return {
        "items": [
            {
                "pollutant": i.pollutant,
                "metric": i.metric,
                "value": _number(i.value),
                "unit": unit(i.pollutant),
                "limit": i.limit,
                "attained": i.attained,
                "exceedance_multiple": _number(i.exceedance_multiple),
                "valid_days": i.valid_days,
                "valid": i.valid,
                "short_months": i.short_months,
            }
            for i in result.items
        ],
        "attained": all(i.attained for i in result.items) if result.items else None,
        "days": {
            "valid": result.valid_days,
            "good": good,
            "good_ratio": _number(result.good_day_ratio),
            "heavy": sum(result.days_by_level[HEAVY_POLLUTION_LEVEL - 1 :]),
            "by_category": dict(zip(categories, result.days_by_level, strict=True)),
            "by_level": result.days_by_level,
            "completeness": result.daily.aqi.completeness,
        },
        "primary_pollutant_days": result.primary_days,
        "comprehensive_index": _number(float(result.comprehensive.total)),
        "largest_index": str(result.comprehensive.largest.item()),
        "single_indices": {p: round(float(v), 4) for p, v in result.comprehensive.single.items()},
    }


def completeness(hourly: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """Valid hours of each pollutant against the hours of the period (数据完整率)."""
    result = {}
    for pollutant in BASIC_POLLUTANTS:
        values = hourly[pollutant]
        valid = int((~np.isnan(values)).sum())
        result[pollutant] = {
            "hours": valid,
            "hours_possible": int(values.size),
            "ratio": round(valid / values.size, 4),
        }
    return result


def station_document(
    code: str, name: str | None, result: Evaluation, hourly: dict[str, np.ndarray]
) -> dict[str, object]:
    """One evaluation station's entry of ``stations[]``: its evaluation and completeness."""
    return {
        "station_code": code,
        "name": name,
        **evaluation_dict(result),
        "completeness": completeness(hourly),
    }


def assessment_document(
    scope: Scope,
    first_day: dt.date,
    last_day: dt.date,
    result: Evaluation,
    hourly: dict[str, np.ndarray],
    stations: list[dict[str, object]],
) -> dict[str, object]:
    """The whole assessment document (module docstring) of ``scope`` over the natural days
    ``first_day`` … ``last_day``: the one serialisation the CLI and the web API share."""
    rules = result.rule_set
    return {
        "city": scope.city,
        "area": scope.name if scope.kind == "area" else None,
        "station": scope.name if scope.kind == "station" else None,
        "name": scope.name,
        "year": first_day.year if first_day.year == last_day.year else None,
        "from": first_day.isoformat(),
        "to": last_day.isoformat(),
        "standard": rules.name,
        "rule_set": {
            "gb3095": rules.gb3095,
            "gb3095_stage": rules.gb3095_stage,
            "hj633": rules.hj633,
            "hj663": rules.hj663,
        },
        "stations_used": list(scope.stations),
        **evaluation_dict(result),
        "completeness": completeness(hourly),
        "stations": stations,
    }


def assess(
    store: MeasurementStore,
    scope: Scope,
    first_day: dt.date,
    last_day: dt.date,
    standard: str | None = None,
) -> dict[str, object]:
    """The evaluation of ``scope`` over the natural days ``first_day`` … ``last_day``.

    Parameters
    ----------
    standard
        ``2012`` or ``2026``; by default the rule set of the period's dates
        (:func:`lantian.standards.period_rule_set`: a period that spans a change of standard is
        refused with a message naming its parts).
    """
    rules = period_rule_set(first_day, last_day, standard)
    data: StationHours = load_period(store, first_day, last_day, list(scope.stations))
    hourly = data.scope_hourly(scope)
    result = evaluate(scope.name, hourly, first_day, rules)
    stations = []
    if scope.kind != "station":
        for code in scope.stations:
            station_hourly = data.station_hourly(code)
            one = evaluate(code, station_hourly, first_day, rules)
            stations.append(station_document(code, data.names.get(code), one, station_hourly))
    return assessment_document(scope, first_day, last_day, result, hourly, stations)
