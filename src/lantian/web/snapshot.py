"""What the web knows about the store, read once per manifest version, and a memo for what it
computes from it.

The store commits every import by replacing ``manifest.json`` atomically, so a change of the file
(inode, size, modification time) is the only thing a request needs to look at; the version it holds
keys every cached result. A new version starts an empty memo: nothing computed from older data is
ever served.

A request looks once (:class:`lantian.web.cache.ResponseCache`) and is answered from that snapshot
throughout (:meth:`SnapshotSource.pinned`): one ``stat`` a request, not one per question it asks,
and one version in each answer even when an import commits meanwhile.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pyarrow as pa

from lantian.store import MeasurementStore
from lantian.store.manifest import MANIFEST
from lantian.store.registry import Period, evaluation_mask, evaluation_stations

T = TypeVar("T")


@dataclass(frozen=True)
class Station:
    """A station of the registry that has stored data."""

    station_code: str
    name: str
    city: str
    longitude: float | None
    latitude: float | None
    control_point: bool
    evaluation: bool
    first_ts: dt.datetime
    last_ts: dt.datetime


class Memo:
    """A bounded, thread-safe memo: each key is computed once even under concurrent requests."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._guard:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._guard:
                if key in self._values:
                    return self._values[key]
            value = compute()
            with self._guard:
                self._values[key] = value
                while len(self._values) > self.capacity:
                    self._values.popitem(last=False)
                self._locks.pop(key, None)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        """Hold ``value`` for ``key`` unless it is held already (results computed elsewhere: the
        same for the same key)."""
        with self._guard:
            if key not in self._values:
                self._values[key] = value
                while len(self._values) > self.capacity:
                    self._values.popitem(last=False)

    def items(self, keys: list[Hashable]) -> list[tuple[Hashable, Any]]:
        """The held ``(key, value)`` of ``keys`` (those held)."""
        with self._guard:
            return [(k, self._values[k]) for k in keys if k in self._values]


@dataclass
class Snapshot:
    """The store at one manifest version: stations with data, years, the latest hour."""

    version: int
    stations: dict[str, Station]
    years: list[int]
    last_ts: dt.datetime | None
    registry: pa.Table = field(
        default_factory=lambda: pa.table({"station_code": pa.array([], pa.string())})
    )
    memo: Memo = field(default_factory=lambda: Memo(2048))
    """Answers computed from this version: a province's every place × (daily table, evaluation,
    monthly evaluations) fits (lantian.web.app.WARM_ALL_PLACES)."""
    years_memo: Memo = field(default_factory=lambda: Memo(3))
    """Hour grids of whole years (tens of MB each): the three most recently used."""

    @property
    def cities(self) -> list[str]:
        """Cities with at least one evaluation station with data, in Unicode order."""
        return sorted({s.city for s in self.stations.values() if s.evaluation and s.city})

    def evaluation_stations(self, city: str, on: Period = None) -> list[str]:
        """The city's evaluation stations with data (on ``on``), by code
        (:func:`lantian.store.registry.evaluation_stations`)."""
        return self.memo.get(
            ("evaluation_stations", city, on),
            lambda: [c for c in evaluation_stations(self.registry, city, on) if c in self.stations],
        )


def read_snapshot(store: MeasurementStore) -> Snapshot:
    """Stations with data, the years with at least a day of hours, and the latest hour."""
    version = store.manifest().version
    if not store.manifest().partitions:
        return Snapshot(version=version, stations={}, years=[], last_ts=None)
    with store.connect() as connection:
        coverage = connection.sql(
            "SELECT station_code, min(ts), max(ts) FROM measurements GROUP BY station_code"
        ).fetchall()
        years = connection.sql(
            "SELECT year(ts - INTERVAL 1 HOUR) AS y FROM measurements "
            "GROUP BY y HAVING count(DISTINCT ts) >= 24 ORDER BY y"
        ).fetchall()
        registry = connection.sql("SELECT * FROM stations").to_arrow_table()
    evaluation = dict(
        zip(registry.column("station_code").to_pylist(), evaluation_mask(registry), strict=True)
    )
    known = {row["station_code"]: row for row in registry.to_pylist()}
    stations = {}
    for code, first, last in sorted(coverage):
        row = known.get(code, {})
        stations[code] = Station(
            station_code=code,
            name=row.get("name") or code,
            city=row.get("city") or "",
            longitude=row.get("longitude"),
            latitude=row.get("latitude"),
            control_point=bool(row.get("control_point")),
            evaluation=bool(evaluation.get(code, True)),
            first_ts=first,
            last_ts=last,
        )
    last_ts = max((s.last_ts for s in stations.values()), default=None)
    return Snapshot(version, stations, [int(y) for (y,) in years], last_ts, registry)


_PINNED: contextvars.ContextVar[tuple[SnapshotSource, Snapshot] | None] = contextvars.ContextVar(
    "lantian_pinned_snapshot", default=None
)
"""The snapshot a request (or a warm-up) is answered from: it follows the request into the thread
pool, as every context variable does."""


class SnapshotSource:
    """The current :class:`Snapshot` of a store, re-read only when ``manifest.json`` changes;
    ``on_new_version`` functions are called (in the thread that noticed) when it changed."""

    def __init__(self, store: MeasurementStore):
        self.store = store
        self._signature: tuple[int, int, int] | None = None
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()
        self.on_new_version: list[Callable[[Snapshot], None]] = []

    @contextmanager
    def pinned(self, snapshot: Snapshot) -> Iterator[Snapshot]:
        """Within the block (and the threads it hands work to), :meth:`current` is ``snapshot``."""
        token = _PINNED.set((self, snapshot))
        try:
            yield snapshot
        finally:
            _PINNED.reset(token)

    def _file_signature(self) -> tuple[int, int, int]:
        try:
            info = os.stat(self.store.root / MANIFEST)
        except FileNotFoundError:
            return (0, 0, 0)
        return (info.st_ino, info.st_size, info.st_mtime_ns)

    @property
    def version(self) -> int | None:
        """The version of the latest snapshot read (None before the first)."""
        snapshot = self._snapshot
        return None if snapshot is None else snapshot.version

    def peek(self) -> Snapshot | None:
        """The snapshot if the manifest file is unchanged since it was read (one ``stat``), else
        None: then :meth:`current` must re-read it (slow: call it off the event loop)."""
        snapshot = self._snapshot
        return snapshot if self._file_signature() == self._signature else None

    def current(self) -> Snapshot:
        pinned = _PINNED.get()
        if pinned is not None and pinned[0] is self:
            return pinned[1]
        signature = self._file_signature()
        snapshot = self._snapshot
        if snapshot is not None and signature == self._signature:
            return snapshot
        with self._lock:
            previous = self._snapshot
            if previous is None or signature != self._signature:
                fresh = read_snapshot(self.store)
                if previous is None or fresh.version != previous.version:
                    self._snapshot = fresh
                self._signature = signature
            current = self._snapshot
        if previous is not None and current is not previous:
            for listener in self.on_new_version:
                listener(current)
        return current
