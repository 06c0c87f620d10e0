"""A district's areas and targets as data: a plan file in TOML.

``[[areas]]`` name a set of evaluation stations (``name``, ``city``, ``stations``); ``[[targets]]``
give, per area, a ``pollutant`` and ``metric`` (``annual_mean``, or ``attainment`` with pollutant
``*`` for "all six attain Grade II"), the ``target`` value [µg/m³; CO mg/m³], the ``baseline`` and
its year, the ``years`` it applies to and the plan's own ``text``. The bundled example is the model
district's plan (``data/lengshuitan-2019.toml``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

EXAMPLE_PLAN = "lengshuitan-2019.toml"
METRICS = ("annual_mean", "attainment")


class PlanFileError(ValueError):
    """A plan file with a missing or wrong field; the message names the file and the field."""


@dataclass(frozen=True)
class Area:
    """An area of a plan: its name, its city and the stations whose mean is its value."""

    name: str
    city: str
    stations: list[str]


@dataclass(frozen=True)
class Target:
    """One target of a plan: the area's ``pollutant``/``metric`` to reach ``target`` by ``years``."""

    area: str
    pollutant: str
    metric: str
    target: float | None
    baseline: float | None
    baseline_year: int | None
    years: list[int]
    text: str


@dataclass(frozen=True)
class TargetPlan:
    """A plan file: its areas and targets (``source`` names the file)."""

    name: str
    source: str
    areas: dict[str, Area] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)

    def area(self, name: str) -> Area:
        """The area ``name``; a ``KeyError`` listing the plan's areas when there is none."""
        if name not in self.areas:
            raise KeyError(f"no area {name!r} in {self.source}; areas: {', '.join(self.areas)}")
        return self.areas[name]


def _require(entry: dict[str, object], key: str, where: str) -> object:
    if key not in entry:
        raise PlanFileError(f"{where}: missing field {key!r}")
    return entry[key]


def read_plan(path: Path | None = None) -> TargetPlan:
    """Read a plan file; without ``path``, the bundled example plan."""
    if path is None:
        resource = resources.files("lantian.assess").joinpath("data", EXAMPLE_PLAN)
        text, source = resource.read_text(encoding="utf-8"), EXAMPLE_PLAN
    else:
        text, source = Path(path).read_text(encoding="utf-8"), str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PlanFileError(f"{source}: {error}") from error
    areas = {}
    for n, entry in enumerate(data.get("areas", []), start=1):
        where = f"{source}: [[areas]] #{n}"
        name = str(_require(entry, "name", where))
        stations = _require(entry, "stations", where)
        if not isinstance(stations, list) or not stations:
            raise PlanFileError(f"{where}: stations must be a non-empty list of station codes")
        areas[name] = Area(
            name=name, city=str(entry.get("city", "")), stations=[str(s) for s in stations]
        )
    targets = []
    for n, entry in enumerate(data.get("targets", []), start=1):
        where = f"{source}: [[targets]] #{n}"
        metric = str(_require(entry, "metric", where))
        if metric not in METRICS:
            raise PlanFileError(f"{where}: metric {metric!r} is not one of {', '.join(METRICS)}")
        area = str(_require(entry, "area", where))
        if area not in areas:
            raise PlanFileError(f"{where}: area {area!r} is not defined in [[areas]]")
        targets.append(
            Target(
                area=area,
                pollutant=str(_require(entry, "pollutant", where)),
                metric=metric,
                target=float(entry["target"]) if "target" in entry else None,
                baseline=float(entry["baseline"]) if "baseline" in entry else None,
                baseline_year=int(entry["baseline_year"]) if "baseline_year" in entry else None,
                years=[int(y) for y in entry.get("years", [])],
                text=str(entry.get("text", "")),
            )
        )
    name = str(data.get("plan", {}).get("name", source))
    return TargetPlan(name=name, source=source, areas=areas, targets=targets)
