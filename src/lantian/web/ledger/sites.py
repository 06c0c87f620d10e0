"""The logged-in map of sources, devices and open alarms (``/ledger/map``) and a source's page
(``/ledger/sites/{id}``): thin routes over :mod:`lantian.web.site_views`.

These two pages draw ECharts charts (served by Lantian, ``static/sites.js``), so their
Content-Security-Policy allows this server's scripts (``lantian.web.guard.LEDGER_CHART_PATHS``);
their data come from ``…/data`` and ``…/series`` (JSON, the session required like every ledger
route). Every role that reads the registry (``sources.read``) may see them.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from lantian.cases import service as cases
from lantian.plan import plans
from lantian.plan.database import transaction
from lantian.web.api.routes import JSONBytes
from lantian.web.ledger.render import render
from lantian.web.ledger.routing import Id, page_context, router
from lantian.web.ledger.session import ledger_engine, reader
from lantian.web.site_views import LiveFolders, map_document, site_document, site_series
from lantian.web.tables import dumps


def _live(request: Request) -> LiveFolders:
    return request.app.state.live


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/map")
def map_page(request: Request) -> HTMLResponse:
    """The map: registered sources, devices and the open alarms over the city's boundaries."""
    with transaction(ledger_engine(request)) as db:
        actor = reader(db, request)
        document = map_document(db, actor, _live(request))
        context = page_context(db, actor, plans.get_plan(db))
    data = request.app.state.data
    city = data.default_city() or data.preferred_city
    return render(request, "map.html", page="map", doc=document, city=city, **context)


@router.get("/map/data")
def map_data(request: Request) -> Response:
    """The map's data as JSON (the page polls it)."""
    with transaction(ledger_engine(request)) as db:
        document = map_document(db, reader(db, request), _live(request))
    return _no_store(JSONBytes(dumps(document)))


@router.get("/sites/{source_id}")
def site_page(request: Request, source_id: Id) -> HTMLResponse:
    """A source's page: facts, checklist, devices and their chart, its cases (those the reader
    may see: a reporter their unit's), alarms."""
    with transaction(ledger_engine(request)) as db:
        actor = reader(db, request)
        document = site_document(db, actor, _live(request), source_id)
        rows = cases.list_cases(db, actor, source=source_id)
        context = page_context(db, actor, plans.get_plan(db))
    return render(request, "site.html", page="site", doc=document, cases=rows, **context)


@router.get("/sites/{source_id}/series")
def site_series_data(request: Request, source_id: Id) -> Response:
    """A source's devices over the last 24 h: window means and thresholds (JSON)."""
    with transaction(ledger_engine(request)) as db:
        document = site_series(db, reader(db, request), _live(request), source_id)
    return _no_store(JSONBytes(dumps(document)))
