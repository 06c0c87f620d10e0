"""The JSON API under ``/api/v1``: thin routes that validate, call a view, serialise.

Every route that returns a table takes ``format=json|csv|xlsx``; CSV is UTF-8 with a BOM (Excel
opens the Chinese correctly). Times are hour ends in Beijing time (the glossary's ``ts``); natural
day D holds the hours stamped D 01:00 … D+1 00:00. Concentrations in µg/m³, CO in mg/m³.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from lantian.web.api import schemas
from lantian.web.service import AirData, NotFoundError, categories
from lantian.web.tables import MEDIA_TYPES, Format, Frame, dumps
from lantian.web.views import (
    MAX_DAILY_DAYS,
    MAX_HOURLY_DAYS,
    aqi_frame,
    cities_frame,
    daily_frame,
    day_range,
    evaluation_document,
    hourly_frame,
    items_frame,
    monthly_frame,
    now_document,
    now_frame,
    progress_frame,
    ranking_frame,
    station_evaluations_frame,
    stations_frame,
)


class JSONBytes(Response):
    media_type = "application/json"


async def get_data(request: Request) -> AirData:
    """The app's :class:`AirData`. A coroutine, as every dependency that only reads the app's
    state: FastAPI runs a plain function in its thread pool — a thread hop per request for an
    attribute (issue #13)."""
    return request.app.state.data


Data = Annotated[AirData, Depends(get_data)]
City = Annotated[
    str | None,
    Query(max_length=64, description="City name, e.g. 永州 (default: the server's city)"),
]
Station = Annotated[
    str | None,
    Query(max_length=16, description="Station code, e.g. 2478A (takes precedence over city)"),
]
Year = Annotated[int, Path(ge=1900, le=2100, description="Calendar year, e.g. 2019")]
OptionalYear = Annotated[
    int | None, Query(ge=1900, le=2100, description="Whole calendar year (overrides start/end)")
]
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2100, 12, 31)
"""The days a query may name (as the years: 1900–2100); beyond them date arithmetic overflows."""
Start = Annotated[
    dt.date | None,
    Query(ge=FIRST_DAY, le=LAST_DAY, description="First natural day, e.g. 2019-12-01"),
]
End = Annotated[
    dt.date | None,
    Query(ge=FIRST_DAY, le=LAST_DAY, description="Last natural day (inclusive)"),
]
Standard = Annotated[
    Literal["2012", "2026"] | None,
    Query(
        description="Rule set (2012 or 2026); default: the one of the period's dates (a period "
        "that spans 2026-03-01 is refused: evaluate its parts, or name one)"
    ),
]
Output = Annotated[Format, Query(alias="format", description="json, csv or xlsx")]

router = APIRouter(prefix="/api/v1", tags=["data"], default_response_class=JSONBytes)

TABLE_CONTENT = {MEDIA_TYPES[Format.csv]: {}, MEDIA_TYPES[Format.xlsx]: {}}


def documented(model: type, table: bool = True) -> dict[int | str, dict[str, Any]]:
    ok: dict[str, Any] = {"model": model, "description": "OK"}
    if table:
        ok["content"] = TABLE_CONTENT
    return {
        200: ok,
        404: {"model": schemas.Problem, "description": "Unknown city, station or year"},
        422: {"description": "Invalid parameters"},
    }


def respond(frame: Frame, output: Format, document: dict[str, Any] | None = None) -> Response:
    """The frame as ``output``; for JSON the ``document`` instead when one is given."""
    if output is Format.json:
        body = dumps(document) if document is not None else frame.encode(output)
        return JSONBytes(body)
    extension = output.value
    filename = f"{frame.name}.{extension}"
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(
        frame.encode(output),
        media_type=MEDIA_TYPES[output],
        headers={"Content-Disposition": disposition},
    )


@router.get("/years", responses=documented(schemas.YearsPublic, table=False))
def years(data: Data) -> Response:
    """Years with data, the latest stored hour, the default city and the store's version."""
    snap = data.snapshot()
    return JSONBytes(
        dumps(
            {
                "years": snap.years,
                "latest_ts": snap.last_ts.isoformat() if snap.last_ts else None,
                "default_city": data.default_city(),
                "version": snap.version,
            }
        )
    )


@router.get("/stations", responses=documented(schemas.StationsPublic))
def stations(data: Data, city: City = None, output: Output = Format.json) -> Response:
    """Stations with stored data: code, name, city, coordinates, control point or evaluation."""
    return respond(stations_frame(data, city), output)


@router.get("/cities", responses=documented(schemas.CitiesPublic))
def cities(data: Data, output: Output = Format.json) -> Response:
    """Cities with evaluation stations."""
    return respond(cities_frame(data), output)


@router.get("/categories", responses=documented(schemas.CategoriesPublic, table=False))
def aqi_categories(
    standard: Annotated[Literal["HJ633-2012", "HJ633-2026"], Query()] = "HJ633-2012",
) -> Response:
    """The AQI categories of HJ 633: ranges, names, colours, health effects and advice."""
    return JSONBytes(dumps({"standard": standard, "rows": categories(standard)}))


@router.get("/now", responses=documented(schemas.NowPublic))
def now(data: Data, city: City = None, output: Output = Format.json) -> Response:
    """The latest hour: the city's and each of its stations' hourly AQI and concentrations."""
    document = now_document(data, city)
    return respond(now_frame(document), output, document)


def _place(data: AirData, city: str | None, station: str | None):
    return data.place(city=city, station=station)


def _year_range(year: int | None, start: dt.date | None, end: dt.date | None):
    if year is None:
        return start, end
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


@router.get("/hourly", responses=documented(schemas.HourlyPublic))
def hourly(
    data: Data,
    city: City = None,
    station: Station = None,
    start: Start = None,
    end: End = None,
    output: Output = Format.json,
) -> Response:
    """Hourly concentrations and the hourly AQI (实时报); default the last 7 days with data,
    at most 366 days."""
    place = _place(data, city, station)
    first, last = day_range(data, start, end, 7, MAX_HOURLY_DAYS)
    return respond(hourly_frame(data, place, first, last), output)


@router.get("/daily", responses=documented(schemas.DailyPublic))
def daily(
    data: Data,
    city: City = None,
    station: Station = None,
    year: OptionalYear = None,
    start: Start = None,
    end: End = None,
    output: Output = Format.json,
) -> Response:
    """Daily means, O3 MDA8 and daily maximum, and the daily AQI (日报); default the last 365
    days with data."""
    place = _place(data, city, station)
    first, last = day_range(data, *_year_range(year, start, end), 365, MAX_DAILY_DAYS)
    return respond(daily_frame(data, place, first, last), output)


@router.get("/aqi", responses=documented(schemas.AqiPublic))
def aqi(
    data: Data,
    report: Annotated[Literal["hourly", "daily"], Query()] = "daily",
    city: City = None,
    station: Station = None,
    start: Start = None,
    end: End = None,
    output: Output = Format.json,
) -> Response:
    """The AQI series with level, category, colour and primary pollutants."""
    place = _place(data, city, station)
    if report == "hourly":
        first, last = day_range(data, start, end, 7, MAX_HOURLY_DAYS)
        frame = hourly_frame(data, place, first, last)
    else:
        first, last = day_range(data, start, end, 365, MAX_DAILY_DAYS)
        frame = daily_frame(data, place, first, last)
    return respond(aqi_frame(frame), output)


@router.get("/monthly/{year}", responses=documented(schemas.MonthlyPublic))
def monthly(
    data: Data, year: Year, city: City = None, station: Station = None, output: Output = Format.json
) -> Response:
    """Each month's statistics and good-day ratio beside the previous year's same month."""
    place = _place(data, city, station)
    return respond(monthly_frame(data, place, data.check_year(year)), output)


@router.get("/evaluations/{year}", responses=documented(schemas.EvaluationPublic))
def evaluation(
    data: Data,
    year: Year,
    city: City = None,
    station: Station = None,
    standard: Standard = None,
    output: Output = Format.json,
) -> Response:
    """The year's HJ 663 evaluation; CSV and xlsx hold its items table."""
    place = _place(data, city, station)
    document = evaluation_document(data, place, data.check_year(year), standard)
    return respond(items_frame(document), output, document)


@router.get("/evaluations/{year}/stations", responses=documented(schemas.StationEvaluationsPublic))
def station_evaluations(
    data: Data,
    year: Year,
    city: City = None,
    standard: Standard = None,
    output: Output = Format.json,
) -> Response:
    """The evaluation statistics of each of the city's evaluation stations."""
    place = data.place(city=city)
    return respond(
        station_evaluations_frame(data, place.city, data.check_year(year), standard), output
    )


@router.get("/rankings/{year}", responses=documented(schemas.RankingPublic))
def ranking(
    data: Data, year: Year, standard: Standard = None, output: Output = Format.json
) -> Response:
    """Cities ranked by comprehensive index, with PM2.5 and good-day ratio ranks."""
    return respond(ranking_frame(data, data.check_year(year), standard), output)


@router.get("/progress", responses=documented(schemas.ProgressPublic))
def progress(
    data: Data,
    city: City = None,
    date: Annotated[
        dt.date | None,
        Query(
            ge=FIRST_DAY,
            le=LAST_DAY,
            description="Judge on this day (default: the latest day with data)",
        ),
    ] = None,
    output: Output = Format.json,
) -> Response:
    """Progress of the bundled plan's areas in the city against their targets on ``date``:
    year-to-date value, the same period last year, the budget of the remaining days, status."""
    place = data.place(city=city)
    day = date or data.last_day()
    if not 1900 <= day.year <= 2100:
        raise NotFoundError(f"no data for {day}")
    return respond(progress_frame(data, place.city, day), output)
