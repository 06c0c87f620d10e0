"""The devices of the live feeds: ``/api/v1/devices``, ``/api/v1/devices/{mn}/minutes``,
``/api/v1/devices/{mn}/hourly``, the operators' page ``/devices`` and a device's page
``/devices/{mn}``.

Thin routes over :mod:`lantian.feeds.status`, :mod:`lantian.feeds.hourly` and
:mod:`lantian.alarms.calibration` (the same services ``lantian devices status`` and ``lantian
alarms calibrate`` use); a device's hours are computed once (:func:`device_hours`), for the API,
and the device's page charts that API's answer. Periods follow the one rule of every route
(:func:`lantian.web.views.period`). Every row of a simulated device says 模拟数据 (``data``) and
``simulated: true``; the pages mark them too; calibrated values are labelled 指示性数据. Minutes:
one day per request; hours: at most :data:`MAX_DEVICE_DAYS` days.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import pyarrow.compute as pc
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi import Path as PathParameter
from fastapi.responses import HTMLResponse, Response

from lantian.alarms.calibration import (
    DRIFT_BIAS,
    DRIFT_SLOPE,
    INDICATIVE,
    FitStore,
    calibrated_hours,
)
from lantian.feeds.hourly import hourly_values
from lantian.feeds.status import SIMULATED, device_values, feed_store, recent_device_status
from lantian.plan.database import ledger_exists, transaction
from lantian.web.api.routes import FIRST_DAY, LAST_DAY, JSONBytes, respond
from lantian.web.pages.render import query_url, render
from lantian.web.site_views import device_registration
from lantian.web.tables import Format, Frame
from lantian.web.views import BadRangeError, period

MAX_DEVICE_DAYS = 31


async def get_feeds(request: Request) -> Path:
    return request.app.state.feeds


Feeds = Annotated[Path, Depends(get_feeds)]
MN = Annotated[
    str,
    PathParameter(
        pattern=r"^[A-Za-z0-9_.\-]{1,64}$",
        description="The device's HJ 212 id (MN), e.g. LTSIM2120000000000000001",
    ),
]
Day = Annotated[
    dt.date | None,
    Query(alias="date", ge=FIRST_DAY, le=LAST_DAY, description="The day (default: the latest)"),
]
Start = Annotated[dt.date | None, Query(ge=FIRST_DAY, le=LAST_DAY, description="First day")]
End = Annotated[dt.date | None, Query(ge=FIRST_DAY, le=LAST_DAY, description="Last day")]
Output = Annotated[Format, Query(alias="format", description="json, csv or xlsx")]
TABLE = {
    "text/csv; charset=utf-8": {},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
}
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown device"},
    422: {"description": "Invalid parameters"},
}

api_router = APIRouter(prefix="/api/v1", tags=["devices"], default_response_class=JSONBytes)
page_router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


def status_frame(feeds: Path) -> Frame:
    as_of, rows = recent_device_status(feeds)
    columns = list(rows[0]) if rows else ["mn", "station_code", "network", "data"]
    frame = Frame.of({c: [r[c] for r in rows] for c in columns}, {"as_of": as_of}, "devices")
    frame.columns["simulated"] = [r["data"] == SIMULATED for r in rows]
    return frame


def table_frame(table: pa.Table, name: str, simulated: bool) -> Frame:
    columns = {n: table.column(n).to_pylist() for n in table.column_names}
    for key in ("ts",):
        if key in columns:
            columns[key] = [v.isoformat(sep=" ") if v else None for v in columns[key]]
    columns["data"] = [SIMULATED if simulated else "实测"] * table.num_rows
    return Frame.of(columns, {"simulated": simulated}, name=name)


def _device(feeds: Path, mn: str) -> dict[str, Any]:
    for row in recent_device_status(feeds)[1]:
        if row["mn"] == mn:
            return row
    raise HTTPException(404, f"unknown device {mn!r}")


@api_router.get("/devices", responses={200: {"description": "Devices", "content": TABLE}, **ERRORS})
def devices(feeds: Feeds, output: Output = Format.json) -> Response:
    """Every device seen on the feeds: last frame (received, DataTime), minute frames in the
    last hour, minutes of today without a frame, today's data flags other than N, and whether
    its data are simulated (``data`` 模拟数据 / 实测); ``as_of``: when this state was read (at
    most 10 s before: one scan of the feed store serves every request meanwhile)."""
    return respond(status_frame(feeds), output)


@api_router.get(
    "/devices/{mn}/minutes",
    responses={200: {"description": "Minute values", "content": TABLE}, **ERRORS},
)
def minutes(feeds: Feeds, mn: MN, day: Day = None, output: Output = Format.json) -> Response:
    """One device's minute values (CN 2051) of one day: ``ts`` (DataTime, Beijing), ``factor``
    (HJ 212-2017 code), ``pollutant``, ``value`` (µg/m³; CO mg/m³), ``min``, ``max``, ``flag``,
    ``valid``."""
    device = _device(feeds, mn)
    if day is None:
        day = dt.date.fromisoformat(str(device["last_data_time"])[:10])
    start = dt.datetime.combine(day, dt.time())
    table = device_values(feeds, mn, "2051", start, start + dt.timedelta(days=1))
    return respond(table_frame(table, f"minutes-{mn}", device["data"] == SIMULATED), output)


def hours_period(
    device: dict[str, Any], start: dt.date | None, end: dt.date | None, default_days: int = 1
) -> tuple[dt.date, dt.date]:
    """The days asked of a device's hours (:func:`lantian.web.views.period`: by default the
    ``default_days`` days up to its last day with data; at most :data:`MAX_DEVICE_DAYS`)."""
    last = dt.date.fromisoformat(str(device["last_data_time"])[:10])
    return period(last, start, end, default_days, MAX_DEVICE_DAYS)


def device_fits(feeds: Path, mn: str) -> pa.Table:
    """The device's stored calibration fits (``lantian alarms calibrate``), by pollutant and month."""
    fits = FitStore(feeds.parent / "calibration").read()
    return fits.filter(pc.equal(fits.column("mn"), mn))


def device_hours(feeds: Path, device: dict[str, Any], start: dt.date, end: dt.date) -> pa.Table:
    """One device's hours of the days ``start`` … ``end`` (hour ends, Beijing) as the measurement
    store holds them (:func:`lantian.feeds.hourly.hourly_values`); with a stored fit, the
    calibrated values beside them (:func:`lantian.alarms.calibration.calibrated_hours`)."""
    days = [start + dt.timedelta(days=n) for n in range((end - start).days + 2)]
    table = hourly_values(feed_store(feeds), days)
    table = table.filter(pc.equal(table.column("station_code"), device["station_code"]))
    table = table.select(["ts", "pollutant", "value", "source"])
    fits = device_fits(feeds, str(device["mn"]))
    if fits.num_rows:  # a micro-station with a stored fit
        calibrated = calibrated_hours(feed_store(feeds), days, str(device["mn"]), fits)
        table = table.cast(
            pa.schema([pa.field("ts", pa.timestamp("s")), *list(table.schema)[1:]])
        ).join(calibrated, ["ts", "pollutant"], join_type="left outer")
        table = table.sort_by([("ts", "ascending"), ("pollutant", "ascending")])
    return table


def _fit_rows(fits: pa.Table) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "mn"} for row in fits.to_pylist()]


@api_router.get(
    "/devices/{mn}/hourly",
    responses={200: {"description": "Hourly values", "content": TABLE}, **ERRORS},
)
def hourly(
    feeds: Feeds, mn: MN, start: Start = None, end: End = None, output: Output = Format.json
) -> Response:
    """One device's hourly values as stored in the measurement store: from its hourly frames
    (CN 2061), or the mean of at least 45 valid minutes; ``ts`` is the hour's end (Beijing).
    A micro-station with a stored fit (``lantian alarms calibrate``) gets ``calibrated`` beside
    ``value``, the ``fit`` month used and ``calibrated_label`` 指示性数据 (indicative: ``value``
    stays the raw, stored one); the JSON's ``fits`` are its stored fits (``pollutant``,
    ``month``, coefficients, ``pairs``, ``residual_scale``, ``drift``). At most
    :data:`MAX_DEVICE_DAYS` days; default the device's last day."""
    device = _device(feeds, mn)
    start, end = hours_period(device, start, end)  # BadRangeError: 422
    table = device_hours(feeds, device, start, end)
    frame = table_frame(table, f"hourly-{mn}", device["data"] == SIMULATED)
    frame.meta.update(
        start=start.isoformat(),
        end=end.isoformat(),
        calibrated_label=INDICATIVE,
        fits=_fit_rows(device_fits(feeds, mn)),
    )
    return respond(frame, output)


@page_router.get("/devices")
def devices_page(request: Request, feeds: Feeds) -> HTMLResponse:
    """The operators' page: each device's state (its MN links to its page); simulated devices
    marked 模拟数据."""
    as_of, rows = recent_device_status(feeds)
    return render(
        request,
        "devices.html",
        "devices",
        rows=rows,
        as_of=as_of,
        simulated_label=SIMULATED,
        city=request.app.state.data.default_city(),
    )


PAGE_DAYS = 7
"""The days a device's page shows by default (up to its last day with data)."""
Pollutant = Annotated[
    str, Query(pattern="^(SO2|NO2|CO|O3|PM10|PM2\\.5)$", description="The pollutant charted")
]


def _registration(request: Request, mn: str) -> dict[str, Any] | None:
    """The registry's facts of the device; None without a ledger (never created by a visit)."""
    if not ledger_exists():
        return None
    with transaction(request.app.state.ledger.engine()) as db:
        return device_registration(db, mn)


@page_router.get("/devices/{mn}")
def device_page(
    request: Request,
    feeds: Feeds,
    mn: MN,
    start: Start = None,
    end: End = None,
    pollutant: Pollutant = "PM2.5",
) -> HTMLResponse:
    """A device's page, phone-sized: its state, registration and calibration fits (month, drift)
    and a chart of its hours from ``/api/v1/devices/{mn}/hourly`` — the raw values (模拟数据 for a
    simulated device) and, beside them, the calibrated ones (指示性数据)."""
    city = request.app.state.data.default_city()
    try:
        device = _device(feeds, mn)
        start, end = hours_period(device, start, end, PAGE_DAYS)
    except (HTTPException, BadRangeError) as error:
        status = getattr(error, "status_code", 422)
        message = getattr(error, "detail", str(error))
        return render(
            request, "error.html", "error", message=message, city=city, status_code=status
        )
    query = {"start": start.isoformat(), "end": end.isoformat()}
    return render(
        request,
        "device.html",
        "devices",
        device=device,
        registered=_registration(request, mn),
        fits=_fit_rows(device_fits(feeds, mn)),
        hourly_url=query_url(f"/api/v1/devices/{mn}/hourly", query),
        start=start,
        end=end,
        max_days=MAX_DEVICE_DAYS,
        pollutant=pollutant,
        simulated_label=SIMULATED,
        indicative_label=INDICATIVE,
        drift_slope=DRIFT_SLOPE,
        drift_bias=DRIFT_BIAS,
        city=city,
    )
