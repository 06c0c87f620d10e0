"""The tables and documents the API serves and the pages show, laid out from :mod:`.service`.

One function per view; the API encodes its result (JSON, CSV, xlsx) and the pages render the same
result, so a number on a page is the number the API gives.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from lantian.assess.assessment import assessment_document, station_document
from lantian.assess.scope import Scope
from lantian.assess.series import AQI_COLUMNS
from lantian.standards import (
    BASIC_POLLUTANTS,
    RuleSet,
    index_statistics,
    limit_in,
    rule_set,
    rule_set_runs,
    unit,
)
from lantian.times import natural_day
from lantian.web.service import AirData, NotFoundError, categories, station_public
from lantian.web.tables import Frame

MAX_HOURLY_DAYS = 366
MAX_DAILY_DAYS = 3660


class BadRangeError(ValueError):
    """A period the API refuses (end before start, or too long)."""


def place_meta(place: Scope) -> dict[str, Any]:
    return {"kind": place.kind, "key": place.key, "name": place.label, "city": place.city}


def units() -> dict[str, str]:
    return {p: unit(p) for p in BASIC_POLLUTANTS}


def stations_frame(data: AirData, city: str | None = None) -> Frame:
    """Stations with stored data (optionally one city's), with coordinates and roles."""
    snap = data.snapshot()
    if city is not None and city not in {s.city for s in snap.stations.values()}:
        raise NotFoundError(f"unknown city {city!r}; cities: {', '.join(snap.cities)}")
    rows = [station_public(s) for s in snap.stations.values() if city in (None, s.city)]
    keys = list(rows[0]) if rows else ["station_code", "name", "city"]
    return Frame.of({k: [r[k] for r in rows] for k in keys}, name="stations")


def cities_frame(data: AirData) -> Frame:
    """Cities with evaluation stations, and how many stations each has."""
    snap = data.snapshot()
    cities = snap.cities
    evaluation = [len(snap.evaluation_stations(c)) for c in cities]
    total = [sum(1 for s in snap.stations.values() if s.city == c) for c in cities]
    return Frame.of(
        {"city": cities, "evaluation_stations": evaluation, "stations": total}, name="cities"
    )


def day_range(
    data: AirData, start: dt.date | None, end: dt.date | None, default_days: int, limit: int
) -> tuple[dt.date, dt.date]:
    """The natural days asked for; by default the last ``default_days`` days with data."""
    snap = data.snapshot()
    if snap.last_ts is None:
        raise NotFoundError("the store holds no data yet")
    return period(natural_day(snap.last_ts), start, end, default_days, limit)


def period(
    last_day: dt.date, start: dt.date | None, end: dt.date | None, default_days: int, limit: int
) -> tuple[dt.date, dt.date]:
    """The days ``start`` … ``end`` asked for, of data whose last day is ``last_day``: without
    ``end``, up to ``last_day`` (at most ``limit`` days after ``start``); without ``start``, the
    ``default_days`` days up to ``end``. :class:`BadRangeError` when ``end`` is before ``start`` or
    the period is longer than ``limit`` days — the one rule of every route's period."""
    end = end or (last_day if start is None else min(last_day, start + dt.timedelta(limit - 1)))
    start = start or end - dt.timedelta(days=default_days - 1)
    if end < start:
        raise BadRangeError(f"end {end} is before start {start}")
    if (end - start).days + 1 > limit:
        raise BadRangeError(f"at most {limit} days at once ({start} … {end} is longer)")
    return start, end


def hourly_frame(data: AirData, place: Scope, start: dt.date, end: dt.date) -> Frame:
    """Hourly concentrations and the hourly AQI of ``place`` over natural days start … end."""
    columns = data.hourly_series(place, start, end)
    meta = {
        "place": place_meta(place),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "report": "hourly",
        "standard": rule_set(end).hj633,
        "standards": standards_of(start, end),
        "units": units(),
        "limits": limits(end, "1h"),
        "daily_limits": limits(end, "daily"),
    }
    return Frame.of(columns, meta, name=f"hourly-{place.key}")


def daily_frame(data: AirData, place: Scope, start: dt.date, end: dt.date) -> Frame:
    """Daily values and the daily AQI of ``place`` over natural days start … end."""
    columns = data.daily_series(place, start, end)
    meta = {
        "place": place_meta(place),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "report": "daily",
        "standard": rule_set(end).hj633,
        "standards": standards_of(start, end),
        "units": {**units(), "O3_8h": unit("O3"), "O3_1h": unit("O3")},
        "limits": limits(end, "daily"),
    }
    return Frame.of(columns, meta, name=f"daily-{place.key}")


def standards_of(start: dt.date, end: dt.date) -> list[dict[str, str]]:
    """The runs of days of ``start`` … ``end`` and the HJ 633 each follows (the rows' ``standard``):
    two when the period spans a change of standard (:func:`lantian.standards.rule_set_runs`)."""
    return [
        {"start": a.isoformat(), "end": b.isoformat(), "standard": rules.hj633}
        for a, b, rules in rule_set_runs(start, end)
    ]


def aqi_frame(frame: Frame) -> Frame:
    """The AQI columns of an hourly or daily frame, with the rule set and the treatment of a
    missing pollutant (``completeness``) of each row."""
    keys = [k for k in frame.columns if k in ("ts", "day")]
    keys += [*AQI_COLUMNS, "standard", "completeness"]
    columns = {k: frame.columns.get(k, []) for k in keys}
    return Frame(columns, frame.meta, frame.name + "-aqi", frame.plain & set(keys))


def limits(day: dt.date, averaging: str) -> dict[str, float]:
    """The Grade II limits the charts draw: 1-hour or daily (O3: MDA8 and 1-hour)."""
    return dict(_limits(rule_set(day), averaging))


@cache
def _limits(rules: RuleSet, averaging: str) -> dict[str, float]:
    """:func:`limits` of a rule set, looked up once (every series' answer carries them)."""
    found = {}
    for pollutant in BASIC_POLLUTANTS:
        wanted = "mda8" if (pollutant == "O3" and averaging == "daily") else averaging
        try:
            found[pollutant] = limit_in(rules, pollutant, wanted)
        except KeyError:
            continue
    if averaging == "daily":
        found["O3_8h"] = limit_in(rules, "O3", "mda8")
        found["O3_1h"] = limit_in(rules, "O3", "1h")
    return found


def monthly_frame(data: AirData, place: Scope, year: int) -> Frame:
    """Each month's statistics (the comprehensive index's: means; CO P95; O3 P90 of MDA8) and
    good-day ratio, beside the same month of the previous year."""
    metrics = index_statistics()
    current = data.month_evaluations(place, year)
    previous = (
        data.month_evaluations(place, year - 1) if year - 1 in data.snapshot().years else None
    )
    columns: dict[str, list[Any]] = {"month": list(range(1, 13))}
    for pollutant in BASIC_POLLUTANTS:
        metric = metrics[pollutant]
        columns[pollutant] = [e.value_of(pollutant, metric) for e in current]
        columns[f"{pollutant}_previous"] = [
            e.value_of(pollutant, metric) if previous else None for e in previous or current
        ]
    columns["good_ratio"] = [e.good_day_ratio for e in current]
    columns["good_ratio_previous"] = [
        e.good_day_ratio if previous else None for e in previous or current
    ]
    columns["comprehensive_index"] = [float(e.comprehensive.total) for e in current]
    columns["completeness"] = [e.daily.aqi.completeness for e in current]
    meta = {
        "place": place_meta(place),
        "year": year,
        "previous_year": year - 1,
        "metrics": metrics,
        "units": units(),
    }
    return Frame.of(columns, meta, name=f"monthly-{place.key}-{year}")


def evaluation_document(
    data: AirData, place: Scope, year: int, standard: str | None = None
) -> dict[str, Any]:
    """The year's evaluation as ``lantian assess --format json`` writes it (one serialisation:
    :func:`lantian.assess.assessment.assessment_document`), plus ``place``."""
    first_day, last_day = dt.date(year, 1, 1), dt.date(year, 12, 31)
    stations = []
    if place.kind == "city":
        for station, result in data.station_evaluations(place.city, year, standard):
            hourly = data.hourly_values(station, year)
            stations.append(station_document(station.key, station.label, result, hourly))
    document = assessment_document(
        place,
        first_day,
        last_day,
        data.evaluation(place, year, standard),
        data.hourly_values(place, year),
        stations,
    )
    return {**document, "place": place_meta(place)}


def category_days(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Each HJ 633 category of an evaluation document's rule set with its days, in level order."""
    table = categories(document["rule_set"]["hj633"])
    return [{**c, "days": n} for c, n in zip(table, document["days"]["by_level"], strict=True)]


def items_frame(document: dict[str, Any]) -> Frame:
    """An evaluation document's items (HJ 663 Table 1) as a table."""
    items = document["items"]
    keys = list(items[0]) if items else ["pollutant", "metric", "value"]
    columns = {k: [i[k] for i in items] for k in keys}
    return Frame.of(columns, name=f"evaluation-{document['name']}")


def station_evaluations_frame(
    data: AirData, city: str, year: int, standard: str | None = None
) -> Frame:
    """Each evaluation station of ``city``: the index statistics, the index, the good-day ratio."""
    metrics = index_statistics()
    pairs = data.station_evaluations(city, year, standard)
    columns: dict[str, list[Any]] = {
        "station_code": [p.key for p, _ in pairs],
        "name": [p.label for p, _ in pairs],
    }
    for pollutant in BASIC_POLLUTANTS:
        columns[pollutant] = [e.value_of(pollutant, metrics[pollutant]) for _, e in pairs]
    columns["comprehensive_index"] = [float(e.comprehensive.total) for _, e in pairs]
    columns["good_ratio"] = [e.good_day_ratio for _, e in pairs]
    columns["valid_days"] = [e.valid_days for _, e in pairs]
    columns["completeness"] = [e.daily.aqi.completeness for _, e in pairs]
    return Frame.of(columns, {"city": city, "year": year}, name=f"stations-{city}-{year}")


def ranking_frame(data: AirData, year: int, standard: str | None = None) -> Frame:
    """Cities ranked by comprehensive index (control points left out)."""
    rows = data.ranking(year, standard)
    keys = list(rows[0]) if rows else ["rank", "city"]
    meta = {"year": year, "scheme": "ranking-2018", "order": "comprehensive_index ascending"}
    return Frame.of({k: [r[k] for r in rows] for k in keys}, meta, name=f"ranking-{year}")


def now_document(data: AirData, city: str | None = None) -> dict[str, Any]:
    """The latest hour of ``city``, its stations and every city."""
    return {**data.now(city), "units": units()}


def now_frame(document: dict[str, Any]) -> Frame:
    """The "now" table for download: the city first, then its stations."""
    rows = [document["city_now"], *document["stations"]]
    keys = list(document["stations"][0]) if document["stations"] else list(rows[0])
    return Frame.of({k: [r.get(k) for r in rows] for k in keys}, name=f"now-{document['city']}")


def progress_frame(data: AirData, city: str, date: dt.date) -> Frame:
    """Each target of the plan's areas in ``city``: year-to-date value, budget, status."""
    documents = data.progress(city, date)
    rows = [{"area": d["name"], **target} for d in documents for target in d["targets"]]
    keys = list(rows[0]) if rows else ["area", "pollutant", "metric", "target", "ytd", "status"]
    meta = {"city": city, "date": date.isoformat(), "areas": documents}
    return Frame.of({k: [r.get(k) for r in rows] for k in keys}, meta, name=f"progress-{city}")
