"""The questions the pages and the API ask, answered from the store through ``lantian.assess`` and
``lantian.standards``; every answer is memoised per store manifest version (:mod:`.snapshot`).

Nothing here computes a standard's statistic or a series itself: places are
:class:`lantian.assess.scope.Scope`, hourly and daily series come from
:mod:`lantian.assess.series`, evaluations and rankings from :mod:`lantian.assess` — the services
the CLI calls. This module keeps the year grids in memory and memoises the answers.

Rule sets: one policy, :func:`lantian.standards.rule_set_runs` — hours and days follow the rule
set of their own date; a period that spans a change of standard is split at it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Hashable
from typing import Any

import numpy as np
import numpy.typing as npt

from lantian.assess.annual import Evaluation, evaluate, month_evaluations
from lantian.assess.progress import progress as assess_progress
from lantian.assess.ranking import ranked_rows
from lantian.assess.scope import Scope
from lantian.assess.series import daily_table, hourly_columns, hourly_table
from lantian.assess.sources import StationHours, load_year
from lantian.assess.targets import read_plan
from lantian.standards import (
    BASIC_POLLUTANTS,
    RuleSet,
    area_mean,
    category_table,
    period_rule_set,
    rule_set,
)
from lantian.standards.aqi import level_attribute
from lantian.store import MeasurementStore
from lantian.times import days_between, natural_day, year_days
from lantian.web.snapshot import Snapshot, SnapshotSource, Station

FloatArray = npt.NDArray[np.float64]
Columns = dict[str, np.ndarray]
HOUR = np.timedelta64(1, "h")


class NotFoundError(LookupError):
    """A station, city or year the store does not hold; the message lists the valid ones."""


def _joined(parts: list[Columns]) -> Columns:
    if len(parts) == 1:
        return parts[0]
    return {k: np.concatenate([part[k] for part in parts]) for k in parts[0]} if parts else {}


def _year_days(year: int) -> tuple[dt.date, int]:
    first, last = year_days(year)
    return first, days_between(first, last)


class AirData:
    """Questions about the air, answered from one measurement store."""

    def __init__(self, store: MeasurementStore, default_city: str = "永州"):
        self.store = store
        self.source = SnapshotSource(store)
        self.preferred_city = default_city

    # ------------------------------------------------------------------ what exists
    def snapshot(self) -> Snapshot:
        return self.source.current()

    def default_city(self) -> str | None:
        cities = self.snapshot().cities
        if self.preferred_city in cities:
            return self.preferred_city
        return cities[0] if cities else None

    def latest_year(self) -> int:
        years = self.snapshot().years
        if not years:
            raise NotFoundError(
                "the store holds no data yet (run `lantian demo` or `lantian import`)"
            )
        return years[-1]

    def check_year(self, year: int) -> int:
        years = self.snapshot().years
        if year not in years:
            raise NotFoundError(
                f"no data for year {year}; years: {', '.join(map(str, years)) or '—'}"
            )
        return year

    def place(self, city: str | None = None, station: str | None = None) -> Scope:
        """The station ``station``, else the city ``city``, else the default city."""
        snap = self.snapshot()
        if station is not None:
            found = snap.stations.get(station)
            if found is None:
                raise NotFoundError(
                    f"unknown station {station!r}; stations: {', '.join(sorted(snap.stations))}"
                )
            return Scope("station", station, (station,), found.city, found.name)
        city = city if city is not None else self.default_city()
        if city is None or city not in snap.cities:
            raise NotFoundError(f"unknown city {city!r}; cities: {', '.join(snap.cities) or '—'}")
        return Scope("city", city, tuple(snap.evaluation_stations(city)), city)

    # ------------------------------------------------------------------ hourly values
    def year_hours(self, year: int) -> StationHours:
        """Every station's valid hourly values over the natural days of ``year``."""
        snap = self.snapshot()
        return snap.years_memo.get(year, lambda: load_year(self.store, year))

    def hourly_values(self, place: Scope, year: int) -> dict[str, FloatArray]:
        """The place's hourly values by pollutant over ``year`` (a city: its stations' mean, kept
        per version: the stations' own are views of the year grids)."""
        if place.kind == "station":
            return self._hourly_values(place, year)
        return self.snapshot().memo.get(
            ("values", place, year), lambda: self._hourly_values(place, year)
        )

    def _hourly_values(self, place: Scope, year: int) -> dict[str, FloatArray]:
        data = self.year_hours(year)
        n_hours = _year_days(year)[1] * 24
        present = [s for s in place.stations if s in data.stations]
        if not present or data.values["PM2.5"].shape[-1] != n_hours:
            return {p: np.full(n_hours, np.nan) for p in BASIC_POLLUTANTS}
        if place.kind == "station":
            return data.station_hourly(place.key)
        return data.area_hourly(present)

    def hourly_series(self, place: Scope, first_day: dt.date, last_day: dt.date) -> Columns:
        """Hourly concentrations and the hourly AQI report (实时报) of ``place`` over the natural
        days ``first_day`` … ``last_day`` that fall in years with data: the period's slice of the
        in-memory year grids, through :func:`lantian.assess.series.hourly_table` — only the
        hours asked for are computed."""
        parts = []
        for year, first, last in self._held_parts(first_day, last_day):
            offset = (first - dt.date(year, 1, 1)).days * 24
            hours = slice(offset, offset + ((last - first).days + 1) * 24)
            values = {p: v[hours] for p, v in self.hourly_values(place, year).items()}
            parts.append(hourly_table(values, first))
        return _joined(parts)

    # ------------------------------------------------------------------ daily values
    def daily_series(self, place: Scope, first_day: dt.date, last_day: dt.date) -> Columns:
        """Daily values and the daily AQI report (日报) of ``place`` over the natural days
        ``first_day`` … ``last_day`` that fall in years with data: slices of each year's daily
        table (:meth:`daily_frame`, kept per version — a day's statistics use only its own
        hours, so a slice of the year is the period's table)."""
        parts = []
        for year, first, last in self._held_parts(first_day, last_day):
            days = slice((first - dt.date(year, 1, 1)).days, (last - dt.date(year, 1, 1)).days + 1)
            parts.append({k: v[days] for k, v in self.daily_frame(place, year).items()})
        return _joined(parts)

    def _held_parts(
        self, first_day: dt.date, last_day: dt.date
    ) -> list[tuple[int, dt.date, dt.date]]:
        """The period cut at new year, the years the store holds only: (year, first, last)."""
        held = set(self.snapshot().years)
        return [
            (y, max(first_day, dt.date(y, 1, 1)), min(last_day, dt.date(y, 12, 31)))
            for y in range(first_day.year, last_day.year + 1)
            if y in held
        ]

    def daily_frame(self, place: Scope, year: int) -> dict[str, np.ndarray]:
        """Daily values and the daily AQI report (日报) of ``place`` over ``year``."""
        return self.snapshot().memo.get(
            ("daily", place, year), lambda: self._daily_frame(place, year)
        )

    def _daily_frame(self, place: Scope, year: int) -> dict[str, np.ndarray]:
        return daily_table(self.hourly_values(place, year), _year_days(year)[0])

    # ------------------------------------------------------------------ evaluations
    def evaluation(self, place: Scope, year: int, standard: str | None = None) -> Evaluation:
        """The HJ 663 evaluation of ``place`` over ``year`` (or the months given)."""
        return self.snapshot().memo.get(
            ("evaluation", place, year, standard),
            lambda: self._evaluate(place, year, standard),
        )

    def _evaluate(self, place: Scope, year: int, standard: str | None) -> Evaluation:
        first, last = year_days(year)
        rules = period_rule_set(first, last, standard)
        return evaluate(place.name, self.hourly_values(place, year), first, rules)

    def month_evaluations(self, place: Scope, year: int) -> list[Evaluation]:
        """One evaluation per month of ``year`` (the month's statistics and day counts)."""
        return self.snapshot().memo.get(
            ("months", place, year),
            lambda: month_evaluations(place.name, self.hourly_values(place, year), year),
        )

    def year_answers(self, places: list[Scope], year: int) -> list[tuple[Hashable, Any]]:
        """The daily table, evaluation and monthly evaluations of each of ``places`` over
        ``year`` (and a city's hourly values), computed here as the requests would, as the
        memo's entries: what :meth:`hold` takes in another worker process
        (:func:`lantian.web.app.warm_places`)."""
        keys: list[Hashable] = []
        for place in places:
            self.daily_frame(place, year)
            self.evaluation(place, year)
            self.month_evaluations(place, year)
            keys += [("daily", place, year), ("evaluation", place, year, None)]
            keys += [("months", place, year)]
            if place.kind != "station":
                keys.append(("values", place, year))
        return self.snapshot().memo.items(keys)

    def hold(self, answers: list[tuple[Hashable, Any]]) -> None:
        """Keep answers of :meth:`year_answers` (of this snapshot's version) as if computed
        here."""
        memo = self.snapshot().memo
        for key, value in answers:
            memo.put(key, value)

    def station_evaluations(
        self, city: str, year: int, standard: str | None = None
    ) -> list[tuple[Scope, Evaluation]]:
        """The evaluation of each of ``city``'s evaluation stations."""
        places = [self.place(station=code) for code in self.place(city=city).stations]
        return [(p, self.evaluation(p, year, standard)) for p in places]

    def ranking(self, year: int, standard: str | None = None) -> list[dict[str, object]]:
        """Cities ranked by comprehensive index (ties share a rank), with PM2.5 and good-day ranks."""
        return self.snapshot().memo.get(
            ("ranking", year, standard), lambda: self._ranking(year, standard)
        )

    def _ranking(self, year: int, standard: str | None) -> list[dict[str, object]]:
        snap = self.snapshot()
        results = {c: self.evaluation(self.place(city=c), year, standard) for c in snap.cities}
        previous = (
            {c: self.evaluation(self.place(city=c), year - 1, standard) for c in snap.cities}
            if year - 1 in snap.years
            else {}
        )
        return ranked_rows(results, previous)

    # ------------------------------------------------------------------ progress
    def last_day(self, year: int | None = None) -> dt.date:
        """The latest natural day with data (within ``year`` when given)."""
        last = self.snapshot().last_ts
        if last is None:
            raise NotFoundError("the store holds no data yet")
        day = natural_day(last)
        return day if year is None or day.year <= year else dt.date(year, 12, 31)

    def progress(self, city: str, date: dt.date) -> list[dict[str, object]]:
        """Progress against the targets of the bundled plan's areas in ``city`` on ``date``
        (:func:`lantian.assess.progress.progress`); empty when the plan has no area there."""
        return self.snapshot().memo.get(
            ("progress", city, date), lambda: self._progress(city, date)
        )

    def _progress(self, city: str, date: dt.date) -> list[dict[str, object]]:
        areas = [a for a in read_plan().areas.values() if a.city == city]
        return [
            assess_progress(self.store, Scope("area", a.name, a.stations, a.city), date)
            for a in areas
        ]

    # ------------------------------------------------------------------ now
    def now(self, city: str | None = None) -> dict[str, object]:
        """The latest hour: the city's and each of its stations' hourly AQI, and every city's."""
        place = self.place(city=city)
        return self.snapshot().memo.get(("now", place), lambda: self._now(place))

    def _now(self, place: Scope) -> dict[str, object]:
        latest = self.snapshot().memo.get(("latest",), self._latest)
        snap = self.snapshot()
        codes, grid, rules, last = latest["codes"], latest["grid"], latest["rules"], latest["ts"]
        mine = [i for i, code in enumerate(codes) if snap.stations[code].city == place.city]
        station_values = {p: grid[p][mine] for p in BASIC_POLLUTANTS}
        station_rows = [
            {
                **row,
                "longitude": snap.stations[row["station_code"]].longitude,
                "latitude": snap.stations[row["station_code"]].latitude,
                "control_point": snap.stations[row["station_code"]].control_point,
            }
            for row in now_rows(
                station_values,
                rules,
                [(codes[i], snap.stations[codes[i]].name, place.city) for i in mine],
                grid["ts"][mine],
            )
        ]
        city_rows = latest["city_rows"]
        return {
            "city": place.city,
            "ts": last.isoformat(),
            "standard": rules.hj633,
            "city_now": next(row for row in city_rows if row["city"] == place.city),
            "stations": station_rows,
            "cities": city_rows,
        }

    def _latest(self) -> dict[str, Any]:
        """The latest hour of every station and every city (read once per version, shared by
        the "now" answers of all cities)."""
        snap = self.snapshot()
        last = snap.last_ts
        assert last is not None  # a place exists, so data exists
        table = self.store.read(start=last - dt.timedelta(hours=24), end=last)
        table = table.filter(table.column("valid"))
        codes = sorted(snap.stations)
        grid = latest_hours(table, codes)
        rules = rule_set(natural_day(last))
        at_last = {
            p: np.where(grid["ts"] == np.datetime64(last, "s"), grid[p], np.nan)
            for p in BASIC_POLLUTANTS
        }
        today = natural_day(last)
        by_city = {
            c: [codes.index(s) for s in snap.evaluation_stations(c, today)] for c in snap.cities
        }
        city_values = {
            p: np.array(
                [area_mean(at_last[p][rows]) if rows else np.nan for rows in by_city.values()]
            )
            for p in BASIC_POLLUTANTS
        }
        city_rows = now_rows(city_values, rules, [(c, c, c) for c in by_city], last)
        return {"codes": codes, "grid": grid, "rules": rules, "ts": last, "city_rows": city_rows}


# ---------------------------------------------------------------------- pure layout helpers
def latest_hours(table, codes: list[str]) -> dict[str, np.ndarray]:
    """Each station's latest hour with any valid value in ``table``: its ``ts`` and values."""
    position = {code: i for i, code in enumerate(codes)}
    station = np.array([position.get(c, -1) for c in table.column("station_code").to_pylist()])
    ts = table.column("ts").to_numpy().astype("datetime64[s]")
    latest = np.full(len(codes), np.datetime64("NaT"), dtype="datetime64[s]")
    known = station >= 0
    if known.any():
        order = np.lexsort((ts[known], station[known]))
        last_of = np.r_[np.diff(station[known][order]) != 0, True]
        latest[station[known][order][last_of]] = ts[known][order][last_of]
    pollutant = np.asarray(table.column("pollutant").to_pylist(), dtype=object)
    value = table.column("value").to_numpy()
    at_latest = known & (ts == latest[np.maximum(station, 0)])
    grid: dict[str, np.ndarray] = {"ts": latest}
    for p in BASIC_POLLUTANTS:
        column = np.full(len(codes), np.nan)
        rows = at_latest & (pollutant == p)
        column[station[rows]] = value[rows]
        grid[p] = column
    return grid


def now_rows(
    values: dict[str, FloatArray],
    rules: RuleSet,
    names: list[tuple[str, str, str]],
    ts: dt.datetime | np.ndarray,
) -> list[dict[str, object]]:
    """Rows of the "now" table: code, name, city, time, AQI report, concentrations, advice."""
    columns = hourly_columns(values, rules)
    levels = np.where(columns["level"] == None, 0, columns["level"]).astype(np.int64)  # noqa: E711
    health = {
        f"{key}_{language}": level_attribute(levels, f"{key}_{language}", rules.hj633)
        for key in ("health", "advice")
        for language in ("zh", "en")
    }
    times = (
        np.full(len(names), np.datetime64(ts, "s")) if isinstance(ts, dt.datetime) else ts
    ).astype("datetime64[s]")
    rows = []
    for i, (code, name, city) in enumerate(names):
        row: dict[str, object] = {"station_code": code, "name": name, "city": city}
        row["ts"] = None if np.isnat(times[i]) else times[i].astype(dt.datetime).isoformat()
        for key, column in {**columns, **health}.items():
            value = column[i].item() if hasattr(column[i], "item") else column[i]
            row[key] = None if isinstance(value, float) and np.isnan(value) else value
        rows.append(row)
    return rows


def categories(standard: str) -> list[dict[str, object]]:
    """The category table of ``standard`` (HJ 633) as the API and the pages' legends show it."""
    keys = ("level", "aqi_min", "aqi_max", "category_zh", "category_en", "hex")
    keys += ("health_zh", "advice_zh", "health_en", "advice_en")
    return [
        {k: int(row[k]) if k in ("level", "aqi_min", "aqi_max") else row[k] for k in keys}
        for row in category_table(standard)
    ]


def station_public(station: Station) -> dict[str, object]:
    """A station as the API lists it (its times as ISO text)."""
    return dataclasses.asdict(station) | {
        "first_ts": station.first_ts.isoformat(),
        "last_ts": station.last_ts.isoformat(),
    }
