"""Forecast, warning and verification: ``/api/v1/forecast``, ``/api/v1/warning``,
``/api/v1/forecast/verification`` and the analysts' page ``/forecast``.

The public "now" page shows the forecast and the warning through ``static/forecast.js``, which
reads the first two routes (the page itself is cached per store version; the forecast may still be
computing when it is first served). The verification takes about 80 s and runs in one bounded
queue: the route answers 202 (``status: computing``, or ``queued`` with its ``position``) until it is
done, 503 when the queue is full, and the page shows "计算中" and checks again.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from lantian.web.api.routes import FIRST_DAY, LAST_DAY, JSONBytes, respond
from lantian.web.forecast_views import (
    BadDateError,
    ForecastViews,
    Pending,
    event_thresholds,
)
from lantian.web.pages.render import query_url, render
from lantian.web.tables import Format, dumps

RETRY_SECONDS = 10


async def get_views(request: Request) -> ForecastViews:
    return request.app.state.forecasts


Views = Annotated[ForecastViews, Depends(get_views)]
City = Annotated[
    str | None,
    Query(max_length=64, description="City name, e.g. 永州 (default: the server's city)"),
]
Output = Annotated[Format, Query(alias="format", description="json, csv or xlsx")]
Year = Annotated[
    int | None,
    Query(ge=1900, le=2100, description="Year of the backtest (default: the latest year)"),
]
Day = Annotated[
    dt.date | None,
    Query(
        alias="date",
        ge=FIRST_DAY,
        le=LAST_DAY,
        description="The warning at 00:00 of this day (default: the day after the last observed)",
    ),
]

TABLE = {
    "text/csv; charset=utf-8": {},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
}
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown city or year"},
    422: {"description": "Invalid parameters"},
}

api_router = APIRouter(prefix="/api/v1", tags=["forecast"], default_response_class=JSONBytes)
page_router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@api_router.get(
    "/forecast",
    responses={200: {"description": "The forecast", "content": TABLE}, **ERRORS},
)
def forecast(views: Views, city: City = None, output: Output = Format.json) -> Response:
    """The current 3-day forecast of daily AQI (HJ 633 category and colour), PM2.5 and O3 MDA8,
    with persistence and climatology; ``issue_time`` 00:00 of the day after the last observed day.
    The latest stored forecast of that issue time, else a fresh one (stored in its turn)."""
    document = views.forecast(city)
    return respond(views.forecast_frame(document), output, document)


@api_router.get(
    "/warning",
    responses={200: {"description": "The warning", "content": TABLE}, **ERRORS},
)
def warning(
    views: Views, city: City = None, day: Day = None, output: Output = Format.json
) -> Response:
    """The heavy-pollution warning level at 00:00 of ``date``, its reason, the public notice
    (``notice_zh``) of its latest event, the events, and each day's decision since 6 days before
    (``rows``; the CSV/xlsx table)."""
    try:
        document = views.warning(city, day)
    except BadDateError as error:
        raise HTTPException(422, str(error)) from None
    return respond(views.warning_frame(document), output, document)


@api_router.get(
    "/forecast/verification",
    responses={
        200: {"description": "The verification table", "content": TABLE},
        202: {
            "description": "Queued or being computed (about 80 s each, one at a time): "
            "`status` computing or queued, `position` the jobs ahead; ask again after Retry-After"
        },
        503: {"description": "The queue of verifications is full; ask again after Retry-After"},
        **ERRORS,
    },
)
def verification(
    views: Views, city: City = None, year: Year = None, output: Output = Format.json
) -> Response:
    """The rolling-origin backtest of a year: MAE, category accuracy, hit rate and false-alarm
    ratio of AQI > 150 and > 200 per lead, model against persistence and climatology, for the city
    (``scope`` = city) and all cities pooled (``scope`` = ``all``)."""
    result = views.verification(city, year)  # a full queue: 503 (lantian.web.app)
    if isinstance(result, Pending):
        ahead = (
            f"{result.position} job(s) ahead of it"
            if result.position
            else "waiting for another worker process's"
            if result.waiting
            else "being computed"
        )
        return JSONBytes(
            dumps(
                {
                    "status": result.status,
                    "position": result.position,
                    "queued": result.queued,
                    "city": result.city,
                    "year": result.year,
                    "started": result.started.isoformat(timespec="seconds"),
                    "detail": f"the backtest (about 80 s) is queued: {ahead}; ask again",
                }
            ),
            status_code=202,
            headers={"Retry-After": str(RETRY_SECONDS * (1 + result.position))},
        )
    return respond(views.verification_frame(result), output, result)


@page_router.get("/forecast")
def forecast_page(
    request: Request, views: Views, city: City = None, year: Year = None
) -> HTMLResponse:
    """The analysts' page: the backtest's verification table and chart, and the current forecast."""
    result = views.verification(city, year)
    pending = isinstance(result, Pending)
    name = result.city if isinstance(result, Pending) else str(result["city"])
    year = result.year if isinstance(result, Pending) else int(result["year"])
    where = {"city": name, "year": year}
    rows = [] if pending else result["rows"]
    snap = views.data.snapshot()
    return render(
        request,
        "forecast.html",
        "forecast",
        city=name,
        year=year,
        pending=pending,
        doc=None if pending else result,
        rows=rows,
        scopes=list(dict.fromkeys(r["scope"] for r in rows)),
        thresholds=event_thresholds(rows),
        verification_url=query_url("/api/v1/forecast/verification", where),
        forecast_url=query_url("/api/v1/forecast", {"city": name}),
        warning_url=query_url("/api/v1/warning", {"city": name}),
        cities=snap.cities,
        years=snap.years,
    )
