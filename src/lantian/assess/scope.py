"""What a question is about: one station, a city's evaluation stations, or a plan's area.

:class:`Scope` is the one "place" of Lantian: the CLI's ``--station/--city/--area``, the web's
``?station=/?city=`` and the reports all resolve to it, and every service of :mod:`lantian.assess`
takes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from lantian.assess.targets import read_plan
from lantian.store.registry import Period, evaluation_stations


@dataclass(frozen=True)
class Scope:
    """A station, a city (the mean of its evaluation stations) or an area of a plan."""

    kind: str
    """``station``, ``city`` or ``area``."""
    name: str
    """What names it: the station's code, the city's or the area's name."""
    stations: tuple[str, ...]
    """The stations whose values make it (a station: itself)."""
    city: str | None
    title: str | None = None
    """How pages print it, when not ``name``: a station's own name (e.g. 冷水滩区环保局)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "stations", tuple(self.stations))

    @property
    def key(self) -> str:
        """``name``: the value of the ``station``/``city``/``area`` parameter that selects it."""
        return self.name

    @property
    def label(self) -> str:
        """The name to print: ``title`` or ``name``."""
        return self.title or self.name


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
        return Scope("station", station, (station,), match[0].get("city"), match[0].get("name"))
    if city:
        stations = evaluation_stations(registry, city, on)
        if not stations:
            cities = sorted({r["city"] for r in rows if r.get("city")})
            raise ScopeError(
                f"no evaluation station in city {city!r}; cities: {', '.join(cities[:40])}"
            )
        return Scope("city", city, tuple(stations), city)
    defined = read_plan(plan).area(str(area))
    return Scope("area", defined.name, tuple(defined.stations), defined.city)
