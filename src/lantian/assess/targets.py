"""A district's plan as data: the one plan file (TOML), its one loader and the schema of what
assessment reads from it — the plan's scope (the area whose value its targets are judged on) and
its air-quality targets.

The plan file is the plan ledger's (:mod:`lantian.plan.plans` stores the same file with its units
and measures); the bundled one is the model district's, ``lantian/plan/data/lengshuitan-2019.toml``
(冷政发〔2019〕1号). What assessment reads:

``[plan]``: ``title``; ``scope`` (the area, e.g. 冷水滩区中心城区), ``scope_city`` and
``scope_stations`` (the national stations whose mean is the area's value).

``[[air_targets]]``: ``pollutant`` (``SO2 NO2 CO O3 PM10 PM2.5``), ``metric`` (``annual_mean``,
or ``attainment``: GB 3095 Grade II attained), ``comparison`` (``<=`` for an annual mean,
``attained``), ``value`` [µg/m³; CO mg/m³], ``baseline`` and ``baseline_year``, the ``years`` it
applies to and ``quote`` (the plan's own words). Every target applies to the plan's scope.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

EXAMPLE_PLAN = "lengshuitan-2019.toml"
"""The bundled model plan, in ``lantian/plan/data``."""
METRICS = {"annual_mean": ("<=",), "attainment": ("attained",)}
"""The metrics of an air target and the comparisons each takes."""


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


def read_plan_file(path: Path | None = None) -> dict[str, Any]:
    """The plan file at ``path`` (without, the bundled model plan) as data: the one loader of plan
    files, for assessment and the plan ledger alike. A file that is not TOML raises
    :class:`PlanFileError` naming it."""
    if path is None:
        resource = resources.files("lantian.plan").joinpath("data", EXAMPLE_PLAN)
        text, source = resource.read_text(encoding="utf-8"), EXAMPLE_PLAN
    else:
        text, source = Path(path).read_text(encoding="utf-8"), str(path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PlanFileError(f"{source}: {error}") from error


def _require(entry: dict[str, Any], key: str, where: str) -> Any:
    if entry.get(key) in (None, "", []):
        raise PlanFileError(f"{where}: missing field {key!r}")
    return entry[key]


def _number(entry: dict[str, Any], key: str) -> float | None:
    return float(entry[key]) if entry.get(key) is not None else None


def _target(entry: dict[str, Any], scope: str, where: str) -> Target:
    metric = str(_require(entry, "metric", where))
    if metric not in METRICS:
        raise PlanFileError(f"{where}: metric {metric!r} is not one of {', '.join(METRICS)}")
    comparison = str(entry.get("comparison", METRICS[metric][0]))
    if comparison not in METRICS[metric]:
        raise PlanFileError(
            f"{where}: comparison {comparison!r} for {metric}: {', '.join(METRICS[metric])}"
        )
    if metric == "annual_mean":
        _require(entry, "value", where)
    return Target(
        area=scope,
        pollutant=str(_require(entry, "pollutant", where)),
        metric=metric,
        target=_number(entry, "value"),
        baseline=_number(entry, "baseline"),
        baseline_year=int(entry["baseline_year"]) if "baseline_year" in entry else None,
        years=[int(y) for y in entry.get("years", [])],
        text=str(entry.get("quote", "")),
    )


def read_plan(path: Path | None = None) -> TargetPlan:
    """The scope and air targets of the plan file at ``path`` (without, the bundled model plan)."""
    source = str(path) if path is not None else EXAMPLE_PLAN
    data = read_plan_file(path)
    head = data.get("plan", {})
    where = f"{source}: [plan]"
    scope = str(_require(head, "scope", where))
    stations = _require(head, "scope_stations", where)
    if not isinstance(stations, list):
        raise PlanFileError(f"{where}: scope_stations must be a list of station codes")
    area = Area(
        name=scope, city=str(head.get("scope_city", "")), stations=[str(s) for s in stations]
    )
    targets = [
        _target(entry, scope, f"{source}: [[air_targets]] #{n}")
        for n, entry in enumerate(data.get("air_targets", []), start=1)
    ]
    name = str(head.get("title", source))
    return TargetPlan(name=name, source=source, areas={scope: area}, targets=targets)
