"""What an assessment covers: one station, a city's evaluation stations, or a plan's area."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from lantian.assess.targets import read_plan
from lantian.store.registry import Period, evaluation_stations


@dataclass(frozen=True)
class Scope:
    kind: str
    """``station``, ``city`` or ``area``."""
    name: str
    stations: list[str]
    city: str | None


class ScopeError(ValueError):
    """An unknown station, city or area; the message lists what is known."""


def resolve_scope(
    registry: pa.Table,
    *,
    station: str | None = None,
    city: str | None = None,
    area: str | None = None,
    plan: Path | None = None,
    on: Period = None,
) -> Scope:
    """The stations behind ``--station``, ``--city`` or ``--area`` (exactly one must be given).

    A city's value uses its evaluation stations only (during ``on``, a day or a period, when
    given): :func:`lantian.store.registry.evaluation_stations`.
    """
    given = [x for x in (station, city, area) if x]
    if len(given) != 1:
        raise ScopeError("give exactly one of --station, --city or --area")
    rows = registry.to_pylist()
    if station:
        match = [r for r in rows if r["station_code"] == station]
        if not match:
            raise ScopeError(f"unknown station {station!r}; see `lantian stations`")
        return Scope("station", station, [station], match[0].get("city"))
    if city:
        stations = evaluation_stations(registry, city, on)
        if not stations:
            cities = sorted({r["city"] for r in rows if r.get("city")})
            raise ScopeError(
                f"no evaluation station in city {city!r}; cities: {', '.join(cities[:40])}"
            )
        return Scope("city", city, sorted(stations), city)
    defined = read_plan(plan).area(str(area))
    return Scope("area", defined.name, list(defined.stations), defined.city)
