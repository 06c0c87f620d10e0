"""The FastAPI application: pages, ``/api/v1``, static files, and the response cache."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import threading
from collections.abc import AsyncIterator, Iterable
from concurrent.futures import CancelledError
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message

from lantian import __version__ as lantian_version
from lantian.plan.database import open_ledger
from lantian.settings import settings
from lantian.standards import PeriodSpansChangeError
from lantian.store import MeasurementStore
from lantian.web.api import router as api_router
from lantian.web.api.docs import api_docs
from lantian.web.assets import serve_asset
from lantian.web.cache import ResponseCache
from lantian.web.case_routes import router as case_router
from lantian.web.device_routes import api_router as device_api_router
from lantian.web.device_routes import page_router as device_page_router
from lantian.web.forecast_routes import api_router as forecast_api_router
from lantian.web.forecast_routes import page_router as forecast_page_router
from lantian.web.forecast_views import ForecastViews, QueueFullError
from lantian.web.guard import guarded
from lantian.web.inventory_routes import api_router as inventory_api_router
from lantian.web.ledger import LedgerOpener
from lantian.web.ledger import router as ledger_router
from lantian.web.pages import router as pages_router
from lantian.web.pages.render import render
from lantian.web.roadmap_routes import api_router as roadmap_api_router
from lantian.web.service import AirData, NotFoundError
from lantian.web.shared import computed_once, shared_folder
from lantian.web.site_routes import boundary_router, live_router
from lantian.web.site_routes import page_router as site_page_router
from lantian.web.site_views import LiveFolders
from lantian.web.views import BadRangeError, daily_frame, day_range

log = logging.getLogger("lantian.web")

DESCRIPTION = """蓝天 Lantian: the air-quality data of a city's national monitoring stations, the
HJ 633 AQI and the HJ 663 evaluation, as JSON, CSV and xlsx.

Times are hour ends in Beijing time (`ts`; natural day D holds D 01:00 … D+1 00:00);
concentrations in µg/m³, CO in mg/m³; pollutant ids `SO2 NO2 CO O3 PM10 PM2.5`."""


def warm(data: AirData) -> None:
    """Compute what the first visitors will ask for: the latest year's grids, the default city's
    series and evaluation, the ranking. Runs in a background thread at start-up."""
    try:
        city = data.default_city()
        if city is None:
            return
        year = data.latest_year()
        data.now(city)
        place = data.place(city=city)
        start, end = day_range(data, None, None, 365, 3660)
        daily_frame(data, place, start, end)
        data.ranking(year)
        data.month_evaluations(place, year)
        for code in place.stations:
            data.evaluation(data.place(station=code), year)
    except Exception:  # warming is an optimisation; a failure shows on the request instead
        log.exception("warming the caches failed")


WARM_ALL_PLACES = 400
"""Stores with at most this many stations and cities have every place's daily table, year
evaluation and monthly evaluations of the latest year computed at start-up (a province: a few
seconds of a core, split between the worker processes); a national store only the default
city's."""
PLACES_A_PART = 8
"""Places per part of :func:`warm_places`' work that one worker computes for all
(:func:`lantian.web.shared.computed_once`)."""


def warm_places(data: AirData, shared: Path | None = None) -> None:
    """Compute, after :func:`warm`, what any station's or city's pages and API ask of the latest
    year, so that a varied load finds it in memory (runs in the background thread). With
    ``shared`` (the run's folder of ``lantian serve --workers N``) the workers split the places
    between them and read each other's results instead of each computing all."""
    try:
        snap = data.snapshot()
        if not snap.years or len(snap.stations) + len(snap.cities) > WARM_ALL_PLACES:
            return
        year = snap.years[-1]
        places = [data.place(city=c) for c in snap.cities]
        places += [data.place(station=code) for code in snap.stations]
        parts = [places[i : i + PLACES_A_PART] for i in range(0, len(places), PLACES_A_PART)]
        names = [f"places-v{snap.version}-{year}-{i}" for i in range(len(parts))]
        for _, answers in computed_once(shared, names, lambda i: data.year_answers(parts[i], year)):
            data.hold(answers)
    except Exception:  # as warm()
        log.exception("warming every place failed")


PREFILLED = ("/", "/now", "/api/v1/now")
"""What everyone asks at once on a heavy-pollution day: the default city's "now", answered from
the response cache of every worker from its start on."""


async def prefill(app: ASGIApp, paths: Iterable[str]) -> None:
    """Ask ``app`` itself for each of ``paths`` (a GET from the loopback, answer discarded), so
    that the response cache holds them before the first visitor asks."""

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def discard(message: Message) -> None:
        return None

    for path in paths:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"127.0.0.1")],
            "client": ("127.0.0.1", 0),
            "server": ("127.0.0.1", 0),
        }
        try:
            await app(scope, receive, discard)
        except Exception:  # prefilling is an optimisation; a failure shows on the request
            log.exception("prefilling %s failed", path)


class Warming:
    """The start-up work in background threads — :func:`warm`, the response cache's prefill and
    :func:`warm_places` in one, the default city's forecast in another — done at start and again
    whenever the store has a new version (an import), so that the visitors after an import find
    the answers computed as those after a start."""

    def __init__(self, app: ASGIApp, data: AirData, forecasts: ForecastViews, shared: Path | None):
        self.app, self.data, self.forecasts, self.shared = app, data, forecasts, shared
        self.wakes: list[threading.Event] = []
        self.stopping = False
        self.loop: asyncio.AbstractEventLoop | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        for name, work in (
            ("lantian-warm", self.answers),
            ("lantian-warm-forecast", self.forecast),
        ):
            wake = threading.Event()
            self.wakes.append(wake)
            threading.Thread(target=self._run, args=(wake, work), name=name, daemon=True).start()
        self.data.source.on_new_version.append(self.again)
        self.again()

    def again(self, *_: object) -> None:
        """Do the work again (each thread once more, after what it is doing)."""
        for wake in self.wakes:
            wake.set()

    def stop(self) -> None:
        self.stopping = True
        self.again()

    def _run(self, wake: threading.Event, work) -> None:
        while True:
            wake.wait()
            wake.clear()
            if self.stopping:
                return
            work()

    def answers(self) -> None:
        snapshot = self.data.snapshot()  # one version throughout (the prefill asks as visitors)
        with self.data.source.pinned(snapshot):
            warm(self.data)
        if self.loop is not None:
            with contextlib.suppress(RuntimeError, TimeoutError, CancelledError):
                # (the server stopped meanwhile)
                asyncio.run_coroutine_threadsafe(prefill(self.app, PREFILLED), self.loop).result(
                    300
                )
        with self.data.source.pinned(snapshot):
            warm_places(self.data, self.shared)
        hold_still()

    def forecast(self) -> None:
        self.forecasts.warm()


def hold_still() -> None:
    """Collect the garbage once, then take what is left — the grids and answers just computed,
    a few hundred thousand objects — out of the garbage collector's view (``gc.freeze``): a full
    collection walked them all, ≈ 130 ms in which the worker answered nobody, every few seconds
    under load (a p99 of its own). Objects freed later are still freed by their reference
    counts; what an earlier freeze held is looked at again here (``gc.unfreeze``), so the
    answers of a replaced version do not stay."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class LantianApp(FastAPI):
    """The FastAPI app with :func:`lantian.web.guard.guarded` outermost: the guards see every
    request first and every response last, the 500 of an unexpected error included."""

    def build_middleware_stack(self) -> ASGIApp:
        return guarded(super().build_middleware_stack())


def create_app(
    store_path: Path | str | None = None,
    *,
    default_city: str = "永州",
    warm_up: bool = True,
    shared: Path | None = None,
) -> FastAPI:
    """The app over the measurement store at ``store_path`` (default: the settings' store);
    forecasts are kept in the home that holds it (``<home>/measurements``). With ``warm_up`` it
    computes the first visitors' answers in the background (:class:`Warming`); ``shared``: the
    folder of ``lantian serve --workers N``'s run in which its workers share that work
    (:mod:`lantian.web.shared`)."""
    store_path = Path(store_path or settings().store_path)
    data = AirData(MeasurementStore(store_path), default_city)
    forecasts = ForecastViews(data, store_path.parent, shared)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        warming = Warming(app, data, forecasts, shared)
        if warm_up:
            warming.start(asyncio.get_running_loop())
        try:
            yield
        finally:
            warming.stop()

    app = LantianApp(
        title="蓝天 Lantian API",
        version=lantian_version,
        description=DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # FastAPI's Swagger UI and ReDoc load from a CDN: /api/v1/docs instead
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.data = data
    app.state.forecasts = forecasts
    app.include_router(api_router)
    app.include_router(forecast_api_router)
    app.include_router(pages_router)
    app.include_router(forecast_page_router)
    app.include_router(ledger_router)  # with the inventory's upload (lantian.web.inventory_routes)
    app.state.home = store_path.parent
    app.include_router(inventory_api_router)
    app.state.feeds = store_path.parent / "feeds"
    app.include_router(device_api_router)  # live data: not behind the store-version cache
    app.include_router(device_page_router)
    app.state.live = LiveFolders.of_home(store_path.parent)
    app.include_router(boundary_router)
    app.include_router(live_router)  # the alarm store's: not behind the store-version cache
    app.include_router(site_page_router)
    app.include_router(case_router)  # the ledger's cases: per user, never cached
    app.include_router(roadmap_api_router)  # the ledger's roadmap: per user, never cached
    app.state.ledger = LedgerOpener(lambda: open_ledger(settings().ledger_url))
    app.add_api_route("/static/{name:path}", serve_asset, include_in_schema=False)
    app.add_api_route("/api/v1/docs", api_docs, include_in_schema=False)
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(BadRangeError, _bad_range)
    app.add_exception_handler(PeriodSpansChangeError, _bad_range)
    app.add_exception_handler(QueueFullError, _busy)
    cached_routes = [
        *api_router.routes,
        *forecast_api_router.routes,
        *pages_router.routes,
        *forecast_page_router.routes,
        *boundary_router.routes,
    ]
    in_memory = [*api_router.routes, *pages_router.routes]  # (not the forecasts' model fits)
    app.add_middleware(ResponseCache, source=data.source, routes=cached_routes, in_turn=in_memory)
    return app


def served_app() -> FastAPI:
    """The app of ``lantian serve``'s worker processes (``--workers N``): over the settings'
    store, opening on the settings' city (``LANTIAN_HOME``, ``LANTIAN_CITY``, which the command
    sets before it starts them), sharing their start-up work in the run's folder
    (:data:`lantian.web.shared.SHARED_ENV`)."""
    return create_app(settings().store_path, default_city=settings().city, shared=shared_folder())


def _not_found(request: Request, error: Exception) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": str(error)}, status_code=404)
    return render(request, "error.html", "error", message=str(error), city=None, status_code=404)


def _bad_range(request: Request, error: Exception) -> Response:
    return JSONResponse({"detail": str(error)}, status_code=422)


def _busy(request: Request, error: Exception) -> Response:
    headers = {"Retry-After": "60"}
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": str(error)}, status_code=503, headers=headers)
    response = render(
        request, "error.html", "error", message=str(error), city=None, status_code=503
    )
    response.headers.update(headers)
    return response
