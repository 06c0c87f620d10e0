"""The public pages: now (``/``), history (``/history``) and attainment (``/attainment``).

Tables are rendered on the server from the same views the API serves; charts (ECharts, served
locally) fetch their data from the API, whose URLs the pages also offer as CSV and xlsx downloads.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, NamedTuple

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from lantian.assess.scope import Scope
from lantian.standards import BASIC_POLLUTANTS, rule_set, rule_set_names, rule_set_runs
from lantian.times import month_days, natural_day
from lantian.web.api.routes import get_data
from lantian.web.pages.render import query_url, render
from lantian.web.service import AirData
from lantian.web.views import (
    category_days,
    evaluation_document,
    monthly_frame,
    now_document,
    progress_frame,
    ranking_frame,
    station_evaluations_frame,
)

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
Data = Annotated[AirData, Depends(get_data)]
City = Annotated[str | None, Query(max_length=64)]
Station = Annotated[str | None, Query(max_length=16)]
Year = Annotated[int | None, Query(ge=1900, le=2100)]
Pollutant = Annotated[str, Query(max_length=8)]
StandardPick = Annotated[str | None, Query(max_length=8)]


class Picks(NamedTuple):
    """What a page's pickers chose: a city, or one of its stations, and a year (None: default)."""

    city: str | None
    station: str | None
    year: int | None

    def resolve(self, data: AirData) -> tuple[Scope, int]:
        """The place (the server's city by default) and the year (the latest by default)."""
        place = data.place(city=self.city, station=self.station)
        return place, data.check_year(self.year if self.year is not None else data.latest_year())


async def _picks(city: City = None, station: Station = None, year: Year = None) -> Picks:
    return Picks(city, station, year)


Picked = Annotated[Picks, Depends(_picks)]


def _selectors(data: AirData, city: str) -> dict[str, object]:
    snap = data.snapshot()
    stations = [
        (code, s.name, s.control_point)
        for code, s in sorted(snap.stations.items())
        if s.city == city
    ]
    return {"cities": snap.cities, "years": snap.years, "city_stations": stations}


def _place_context(data: AirData, place: Scope, year: int) -> dict[str, object]:
    """What a page about ``place`` in ``year`` shows in its pickers and heading."""
    station = place.key if place.kind == "station" else None
    return {
        "place": place,
        "city": place.city,
        "station": station,
        "year": year,
        **_selectors(data, place.city),
    }


def year_standard(year: int, standard: str | None) -> str | None:
    """The rule set a year's evaluation is judged by on the pages: the one picked (``2012`` or
    ``2026``), else the year's own; a year that spans the change of standard (2026) is judged
    whole by the one in force on its last day unless the other is picked. None when it is the
    year's own rule set (the API's default: the same evaluation, the same cache)."""
    runs = rule_set_runs(dt.date(year, 1, 1), dt.date(year, 12, 31))
    own = runs[-1][2].name
    picked = standard if standard in rule_set_names() else own
    return None if len(runs) == 1 and picked == own else picked


def _api_place(place: Scope) -> dict[str, str]:
    """The API's query parameters naming ``place``."""
    return {place.kind: place.key}


@router.get("/")
@router.get("/now")
def now_page(request: Request, data: Data, city: City = None) -> HTMLResponse:
    """Each station's and the city's latest hourly AQI, on a map and in a table."""
    document = now_document(data, city)
    hj633 = document["standard"]
    return render(
        request,
        "now.html",
        "now",
        doc=document,
        city=document["city"],
        hj633=hj633,
        api_url=query_url("/api/v1/now", {"city": document["city"]}),
        **_selectors(data, document["city"]),
    )


@router.get("/history")
def history_page(
    request: Request,
    data: Data,
    picks: Picked,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
    pollutant: Pollutant = "PM2.5",
) -> HTMLResponse:
    """The calendar of daily AQI, daily and hourly series with limits, months vs last year."""
    place, year = picks.resolve(data)
    pollutant = pollutant if pollutant in BASIC_POLLUTANTS else "PM2.5"
    last = data.snapshot().last_ts
    last_day = natural_day(last) if last else dt.date(year, 12, 31)
    month = month or (last_day.month if last_day.year == year else 12)
    first, month_end = month_days(f"{year:04d}-{month:02d}")
    where = _api_place(place)
    monthly = monthly_frame(data, place, year)
    return render(
        request,
        "history.html",
        "history",
        month=month,
        pollutant=pollutant,
        hj633=rule_set(dt.date(year, 12, 31)).hj633,
        monthly=monthly,
        daily_url=query_url("/api/v1/daily", {**where, "year": year}),
        hourly_url=query_url(
            "/api/v1/hourly", {**where, "start": first.isoformat(), "end": month_end.isoformat()}
        ),
        monthly_url=query_url(f"/api/v1/monthly/{year}", where),
        **_place_context(data, place, year),
    )


@router.get("/attainment")
def attainment_page(
    request: Request, data: Data, picks: Picked, standard: StandardPick = None
) -> HTMLResponse:
    """The year's evaluation, its stations, the ranking of cities, and (soon) progress."""
    place, year = picks.resolve(data)
    standard = year_standard(year, standard)
    document = evaluation_document(data, place, year, standard)
    return render(
        request,
        "attainment.html",
        "attainment",
        doc=document,
        hj633=document["rule_set"]["hj633"],
        category_days=category_days(document),
        station_rows=station_evaluations_frame(data, place.city, year, standard).rows()
        if place.kind == "city"
        else [],
        ranking=ranking_frame(data, year, standard).rows(),
        progress=progress_frame(data, place.city, data.last_day(year)),
        progress_url=query_url("/api/v1/progress", {"city": place.city}),
        evaluation_url=query_url(
            f"/api/v1/evaluations/{year}", {**_api_place(place), "standard": standard}
        ),
        stations_url=query_url(
            f"/api/v1/evaluations/{year}/stations", {"city": place.city, "standard": standard}
        ),
        ranking_url=query_url(f"/api/v1/rankings/{year}", {"standard": standard}),
        standards=[(name, f"GB 3095-{name}") for name in rule_set_names()],
        standard=standard or rule_set(dt.date(year, 12, 31)).name,
        **_place_context(data, place, year),
    )
