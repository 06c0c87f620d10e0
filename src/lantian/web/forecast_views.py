"""What the forecast pages and routes show, from :mod:`lantian.forecast.service`, cached per store
manifest version.

* the 3-day forecast of a city: the latest **stored** forecast (``LANTIAN_HOME/forecasts/``) if it
  was issued at or after the issue time the store's data call for (00:00 of the day after the
  last observed day), else a fresh one (a model fit, several seconds; it is stored in its turn);
* the warning of a city at 00:00 of a day (a few seconds: the model is refitted). Fits not yet
  memoised run at most :data:`MAX_FITS` at a time (any city, any stored day can be asked for by
  anyone); a request that cannot start one within :data:`FIT_WAIT_SECONDS` is answered 503;
* the rolling-origin verification of a year (~80 s): never computed inside a request. Requests
  put it in one bounded queue served by one worker thread (so however many cities and years
  anonymous clients ask for, one backtest runs at a time and at most :data:`MAX_QUEUED` wait);
  the worker threads of ``serve --workers N`` take turns on a file lock beside the forecasts, so
  one backtest runs at a time in the whole server, not one per process. Requests are told where
  theirs stands — ``computing``, or ``queued`` with the number of jobs ahead (0: waiting for
  another process's) (HTTP 202) — and get the table once it is done; a full queue answers 503.
  (The fit slots above are per process: at most ``2 × N`` fits at once.)

Every result is keyed by the manifest version, so an import makes the next request recompute.
The functions of :mod:`lantian.forecast.service` are looked up at call time (tests replace them).
"""

from __future__ import annotations

import ctypes
import datetime as dt
import hashlib
import logging
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lantian.forecast import service as forecast_service
from lantian.forecast.service import FORECAST_COLUMNS
from lantian.forecast.warnings import level_row
from lantian.times import beijing_now
from lantian.web.service import AirData, NotFoundError, categories
from lantian.web.shared import computed_once, one_process_at_a_time
from lantian.web.tables import Frame

log = logging.getLogger("lantian.web.forecast")

# looked up through this module so that tests may replace them
current_forecast = forecast_service.current_forecast
city_warning = forecast_service.city_warning
city_backtest = forecast_service.city_backtest
last_observed_day = forecast_service.last_observed_day


MAX_QUEUED = 16
"""Verifications that may wait for the worker (the one computing included)."""
MAX_FITS = 2
"""Forecasts and warnings (a model fit of a few seconds each) computed at once."""
FIT_WAIT_SECONDS = 30.0
"""How long a request waits for a free fit before it is answered 503."""
WORKER_NAME = "lt-verify-"
"""The verification worker thread's name, followed by how many workers this server has started
(``lt-verify-1``; a worker restarted after it died: ``lt-verify-2``). It is given to the operating
system too (Linux: ``comm`` of ``/proc/<pid>/task/<tid>``, at most 15 bytes), where the threads
that the backtest's libraries start from the worker inherit it: one worker and its helpers carry
one name, so the workers are counted from outside the server by their distinct names."""


def name_os_thread(name: str) -> None:
    """Give the calling thread ``name`` in the operating system as well (Linux
    ``prctl(PR_SET_NAME)``, first 15 bytes; Python before 3.14 names only its own thread object);
    elsewhere, nothing."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME = 15
    except (OSError, AttributeError):  # not Linux: no prctl
        return


class BadDateError(ValueError):
    """A warning date outside the stored data (answered with 422)."""


class QueueFullError(RuntimeError):
    """The verification queue holds :data:`MAX_QUEUED` jobs, or no fit slot came free in time
    (answered with 503)."""


@dataclass
class Pending:
    """A verification waiting for the worker or being computed by it."""

    city: str
    year: int
    started: dt.datetime
    """When it was first asked for."""
    position: int = 0
    """Jobs ahead of it in the queue (0: being computed, or next)."""
    queued: int = 1
    """Jobs in the queue."""
    waiting: bool = False
    """Next, but waiting for another worker process's backtest (``serve --workers``)."""

    @property
    def status(self) -> str:
        return "computing" if self.position == 0 and not self.waiting else "queued"


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _category(level: int | None, standard: str) -> dict[str, Any]:
    found = next((c for c in categories(standard) if c["level"] == level), None)
    if found is None:
        return {"category_zh": None, "category_en": None, "colour": None}
    return {
        "category_zh": found["category_zh"],
        "category_en": found["category_en"],
        "colour": found["hex"],
    }


class ForecastViews:
    """Forecasts, warnings and verifications of the store behind ``data``; forecasts kept in
    ``home``."""

    def __init__(self, data: AirData, home: Path, shared: Path | None = None):
        self.data = data
        self.home = Path(home)
        self.shared = shared
        """The run's folder of ``lantian serve --workers N`` (:mod:`lantian.web.shared`): a
        warning is computed by one worker and read by the others."""
        self._jobs: dict[tuple, Pending] = {}  # in queue order; the first is being computed
        self._results: dict[tuple, dict[str, Any] | BaseException] = {}
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._worker: threading.Thread | None = None
        self._workers_started = 0
        self._fits = threading.BoundedSemaphore(MAX_FITS)

    # ------------------------------------------------------------------ helpers
    def city(self, city: str | None) -> str:
        """The city asked for (default: the server's), 404 when it has no evaluation stations."""
        return self.data.place(city=city).city

    def _memo(self, key: tuple, compute):
        return self.data.snapshot().memo.get(("forecast-views", *key), compute)

    def _fit(self, compute):
        """``compute`` (a model fit) once one of the :data:`MAX_FITS` slots is free."""
        if not self._fits.acquire(timeout=FIT_WAIT_SECONDS):
            raise QueueFullError("the server is busy computing forecasts; ask again shortly")
        try:
            return compute()
        finally:
            self._fits.release()

    def last_day(self, city: str) -> dt.date:
        """The last natural day with a daily AQI of ``city``."""
        store = self.data.store

        def compute() -> dt.date:
            try:
                return last_observed_day(store, city)
            except LookupError as error:
                raise NotFoundError(str(error)) from error

        return self._memo(("last-day", city), compute)

    def issue_day(self, city: str) -> dt.date:
        """The day whose 00:00 is the current issue time: the day after the last observed day."""
        return self.last_day(city) + dt.timedelta(days=1)

    # ------------------------------------------------------------------ forecast
    def forecast(self, city: str | None) -> dict[str, Any]:
        """The current 3-day forecast document of ``city`` (JSON-ready)."""
        name = self.city(city)
        return self._memo(("forecast", name), lambda: self._fit(lambda: self._forecast(name)))

    def _forecast(self, city: str) -> dict[str, Any]:
        """The forecast service's current forecast, dates as ISO text, levels with their category."""
        digest = hashlib.blake2b(city.encode(), digest_size=8).hexdigest()
        # the workers of `lantian serve --workers N` are asked for the same city's forecast (each
        # warms the default city's): the first computes and stores it (≈ 15 s of a core), the
        # others wait for it and then read it from the store
        with one_process_at_a_time(self.home / f".forecast-{digest}.lock"):
            document = current_forecast(self.data.store, city, self.issue_day(city), self.home)
        standard = document["standard"]
        rows = [
            {
                "lead": int(r["lead"]),
                "day": _iso(r["day"]),
                "aqi": r["aqi"],
                "level": r["level"],
                **_category(r["level"], standard),
                **{k: r[k] for k in FORECAST_COLUMNS[4:]},
            }
            for r in document["rows"]
        ]
        return {
            "city": city,
            "issue_time": _iso(document["issue_time"]),
            "last_observed_day": _iso(self.last_day(city)),
            **{k: document[k] for k in ("standard", "model", "model_version", "source")},
            "rows": rows,
        }

    def forecast_frame(self, document: dict[str, Any]) -> Frame:
        rows = document["rows"]
        names = list(rows[0]) if rows else ["lead", "day", "aqi"]
        meta = {k: v for k, v in document.items() if k != "rows"}
        columns = {k: [r[k] for r in rows] for k in names}
        return Frame.of(columns, meta, name="forecast")

    # ------------------------------------------------------------------ warning
    def check_day(self, city: str, day: dt.date | None) -> dt.date:
        """``day`` (default: the current issue day) if the store's data reach it, else 422."""
        issue_day = self.issue_day(city)
        if day is None:
            return issue_day
        years = self.data.snapshot().years
        first = dt.date(years[0], 1, 2) if years else issue_day
        if not first <= day <= issue_day:
            raise BadDateError(
                f"date must lie between {first.isoformat()} and {issue_day.isoformat()} "
                "(the day after the last observed day)"
            )
        return day

    def warning(self, city: str | None, day: dt.date | None = None) -> dict[str, Any]:
        """The warning document of ``city`` at 00:00 of ``day`` (JSON-ready)."""
        name = self.city(city)
        day = self.check_day(name, day)
        return self._memo(
            ("warning", name, day), lambda: self._fit(lambda: self._shared_warning(name, day))
        )

    def _shared_warning(self, city: str, day: dt.date) -> dict[str, Any]:
        """:meth:`_warning`, computed once between the worker processes (each warms the
        default city's at start: a model fit of seconds, the most of a worker's start-up)."""
        digest = hashlib.blake2b(city.encode(), digest_size=8).hexdigest()
        part = f"warning-v{self.data.snapshot().version}-{digest}-{day.isoformat()}"
        ((_, document),) = computed_once(self.shared, [part], lambda i: self._warning(city, day))
        return document

    def _warning(self, city: str, day: dt.date) -> dict[str, Any]:
        result = city_warning(self.data.store, city, day)
        level = result.get("level")
        row = level_row(level) if level else None
        events = [{k: _iso(v) for k, v in event.items()} for event in result.get("events", [])]
        return {
            "city": city,
            "day": _iso(result["day"]),
            "issue_time": _iso(dt.datetime.combine(day, dt.time())),
            "scheme": result.get("scheme"),
            "plan": result.get("plan"),
            "level": level,
            "level_zh": row["name_zh"] if row else None,
            "level_en": row["name_en"] if row else None,
            "colour": row["hex"] if row else None,
            "response_zh": row["response_zh"] if row else None,
            "reason_zh": result.get("reason_zh") or "",
            "notice_zh": result.get("notice_zh"),
            "events": events,
            "rows": [
                {
                    "issue_time": _iso(d["issue_time"]),
                    "level": d["level"],
                    "level_zh": level_row(d["level"])["name_zh"] if d["level"] else None,
                    "reason_zh": d["reason_zh"],
                }
                for d in result.get("decisions", [])
            ],
        }

    def warning_frame(self, document: dict[str, Any]) -> Frame:
        rows = document["rows"]
        names = ["issue_time", "level", "level_zh", "reason_zh"]
        meta = {k: v for k, v in document.items() if k != "rows"}
        return Frame.of({k: [r[k] for r in rows] for k in names}, meta, name="warning")

    # ------------------------------------------------------------------ verification
    def verification(self, city: str | None, year: int | None) -> dict[str, Any] | Pending:
        """The backtest document of ``city`` and ``year``, or :class:`Pending` (where it stands
        in the queue) while it waits or is being computed; :class:`QueueFullError` when the
        queue is full."""
        name = self.city(city)
        year = self.data.check_year(year if year is not None else self.data.latest_year())
        key = (self.data.snapshot().version, name, year)
        with self._lock:
            result = self._results.get(key)
            if isinstance(result, BaseException):
                del self._results[key]  # reported once; the next request tries again
                raise result
            if result is not None:
                return result
            if key not in self._jobs:
                if len(self._jobs) >= MAX_QUEUED:
                    raise QueueFullError(f"{MAX_QUEUED} verifications are queued; ask later")
                self._jobs[key] = Pending(name, year, beijing_now())
                self._start_worker()
                self._wake.notify()
            order = list(self._jobs)
            return replace(self._jobs[key], position=order.index(key), queued=len(order))

    def _start_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._workers_started += 1
            name = f"{WORKER_NAME}{self._workers_started}"
            self._worker = threading.Thread(
                target=self._work,
                args=(name,),
                name=name,
                daemon=True,  # never holds up the server's exit
            )
            self._worker.start()

    def _work(self, name: str) -> None:
        """The one worker: computes the queue's jobs one at a time, oldest first."""
        name_os_thread(name)
        while True:
            with self._wake:
                while not self._jobs:
                    self._wake.wait()
                key = next(iter(self._jobs))
            self._verify(key)

    def _verify(self, key: tuple) -> None:
        """Compute one job — once no other worker process of the server computes one: the
        queue is per process, the bound of one backtest at a time is the server's."""
        _, city, year = key
        try:
            with self._lock:
                self._jobs[key].waiting = True
            with one_process_at_a_time(self.home / ".verification.lock"):
                with self._lock:
                    self._jobs[key].waiting = False
                result: dict[str, Any] | BaseException = self._verification_document(
                    city_backtest(self.data.store, city, year)
                )
        except Exception as error:  # shown to the next request
            log.exception("the %s backtest of %s failed", year, city)
            result = error
        with self._lock:
            stale = [k for k in self._results if k[0] != key[0]]
            for k in stale:
                del self._results[k]
            self._results[key] = result
            self._jobs.pop(key, None)

    @staticmethod
    def _verification_document(result: dict[str, Any]) -> dict[str, Any]:
        document = {k: _iso(v) for k, v in result.items() if k != "rows"}
        document["rows"] = [{k: _iso(v) for k, v in row.items()} for row in result["rows"]]
        return document

    def verification_frame(self, document: dict[str, Any]) -> Frame:
        rows = document["rows"]
        names = list(dict.fromkeys(k for r in rows for k in r)) or ["scope", "lead", "model"]
        meta = {k: v for k, v in document.items() if k != "rows"}
        return Frame.of(
            {k: [r.get(k) for r in rows] for k in names}, meta, name="forecast_verification"
        )

    # ------------------------------------------------------------------ start-up
    def warm(self) -> None:
        """Compute the default city's forecast and warning (run in a background thread)."""
        try:
            city = self.data.default_city()
            if city is None:
                return
            self.forecast(city)
            self.warning(city)
        except Exception:  # an optimisation; a failure shows on the request instead
            log.exception("warming the forecast failed")


def event_thresholds(rows: list[dict[str, Any]]) -> list[int]:
    """The event thresholds present in verification rows (``gt150_hit_rate`` → 150)."""
    found = {
        int(k[2:].split("_", 1)[0])
        for r in rows
        for k in r
        if k.startswith("gt") and k[2:].split("_", 1)[0].isdigit()
    }
    return sorted(found)
