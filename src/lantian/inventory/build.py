"""Building a year's inventory: the registry's sources × the year's activity data × the factors in
force (+ the CEMS devices of the HJ 212 feed) → one row per source and pollutant, in tonnes.

Each template's rows go through the methods of :mod:`lantian.inventory.methods` that one table,
:data:`CALCULATIONS`, names for it (template → method → columns and factors), as whole columns;
the registry gives each source its town, position and category levels. Where an enterprise has a
CEMS device on the feed, the monitoring method (实测法) replaces the other methods for the
pollutants it measures — the guides' order of preference, measurement before mass balance before
emission factors. Rows that cannot be computed (a factor not given, a parameter missing) are not
guessed: they are listed in :attr:`Built.skipped` with the reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.inventory import methods
from lantian.inventory.activity import FACTOR_UNIT_MASS, TEMPLATES, activity_rows
from lantian.inventory.models import ActivityRow
from lantian.inventory.overrides import (
    FactorInForce,
    construction_coefficients,
    factors_in_force,
    paved_road_k,
)
from lantian.plan.access import Actor, require
from lantian.sources.models import Source

SHORT_TON_IN_TONNES = 0.90718474
"""AP-42's ton (US short ton, 2000 lb) in tonnes (exact by the definition of the pound)."""
EMISSIONS_SCHEMA = pa.schema(
    [
        pa.field("year", pa.int32()),
        pa.field("category", pa.string()),
        pa.field("sector", pa.string()),
        pa.field("fuel_product", pa.string()),
        pa.field("technology", pa.string()),
        pa.field("template", pa.string()),
        pa.field("method", pa.string()),
        pa.field("source_id", pa.int64()),
        pa.field("source_code", pa.string()),
        pa.field("source_name", pa.string()),
        pa.field("town", pa.string()),
        pa.field("longitude", pa.float64()),
        pa.field("latitude", pa.float64()),
        pa.field("pollutant", pa.string()),
        pa.field("tonnes", pa.float64()),
        pa.field("factor_id", pa.string()),
        pa.field("factor_tonnes", pa.float64()),
        pa.field("factor_default", pa.bool_()),
        pa.field("example", pa.bool_()),
    ]
)
"""The inventory's rows; see :func:`lantian.inventory.store.load` for what each column means."""


@dataclass
class Built:
    """A year's inventory as built: its rows, the rows not computed, and the CEMS days."""

    year: int
    emissions: pa.Table
    skipped: list[dict[str, Any]] = field(default_factory=list)
    cems_daily: pa.Table | None = None
    factors: dict[str, FactorInForce] = field(default_factory=dict)


@dataclass
class _Context:
    year: int
    sources: dict[int, Source]
    in_force: dict[str, FactorInForce]
    skipped: list[dict[str, Any]]

    def skip(self, template: str, row: ActivityRow, reason: str) -> None:
        self.skipped.append({"template": template, "row_key": row.row_key, "reason": reason})


def _floats(rows: list[ActivityRow], key: str, default: float = np.nan) -> np.ndarray:
    return np.array(
        [default if r.values.get(key) is None else float(r.values[key]) for r in rows],
        dtype=np.float64,
    )


def _part(
    ctx: _Context,
    rows: list[ActivityRow],
    calculation: Calculation,
    pollutant: str,
    tonnes: np.ndarray,
    factor: FactorInForce | None = None,
    factor_tonnes: np.ndarray | None = None,
) -> pa.Table:
    """Rows of the emissions table for ``rows`` (one pollutant), with the registry's facts."""
    sources = [ctx.sources.get(r.source_id) if r.source_id else None for r in rows]
    level = [
        [lv if isinstance(lv, str) else lv(r, s) for lv in calculation.levels]
        for r, s in zip(rows, sources, strict=True)
    ]
    n = len(rows)
    return pa.table(
        {
            "year": pa.array([ctx.year] * n, pa.int32()),
            "category": [lv[0] for lv in level],
            "sector": [lv[1] for lv in level],
            "fuel_product": [lv[2] for lv in level],
            "technology": [lv[3] for lv in level],
            "template": [calculation.template] * n,
            "method": [calculation.method] * n,
            "source_id": pa.array([r.source_id for r in rows], pa.int64()),
            "source_code": [
                s.code if s else r.values.get("source_code")
                for r, s in zip(rows, sources, strict=True)
            ],
            "source_name": [
                s.name if s else r.values.get("name") for r, s in zip(rows, sources, strict=True)
            ],
            "town": [
                (s.town if s else None) or r.values.get("town")
                for r, s in zip(rows, sources, strict=True)
            ],
            "longitude": pa.array(
                [
                    s.longitude if s else r.values.get("longitude")
                    for r, s in zip(rows, sources, strict=True)
                ],
                pa.float64(),
            ),
            "latitude": pa.array(
                [
                    s.latitude if s else r.values.get("latitude")
                    for r, s in zip(rows, sources, strict=True)
                ],
                pa.float64(),
            ),
            "pollutant": [pollutant] * n,
            "tonnes": pa.array(tonnes, pa.float64()),
            "factor_id": [factor.factor_id if factor else None] * n,
            "factor_tonnes": pa.array(
                (tonnes if factor_tonnes is None else factor_tonnes) if factor else np.zeros(n),
                pa.float64(),
            ),
            "factor_default": pa.array([factor.is_default if factor else None] * n, pa.bool_()),
            "example": [r.example for r in rows],
        },
        schema=EMISSIONS_SCHEMA,
    )


# --- the table of methods: template → method → inputs and factors -------------------------------

Level = Callable[[ActivityRow, Source | None], str]
"""A level of the source tree read from an activity row or its registered source."""
Input = str | tuple[str, float] | Callable[[_Context, list[ActivityRow], str], Any]
"""A method's argument: a column (NaN where empty), ``(column, default where empty)``, or a
function of the rows computed together and their pollutant."""


def _row(key: str) -> Level:
    """The level named in the activity row's column ``key``."""
    return lambda row, source: row.values.get(key) or ""


def _detail(key: str) -> Level:
    """The level named in the registered source's ``details[key]``."""
    return lambda row, source: (source.details.get(key) if source else "") or ""


def _industry(row: ActivityRow, source: Source | None) -> str:
    """The enterprise's industry as registered; 工业 where none is."""
    return (getattr(source, "industry_name", None) or "工业") if source else "工业"


@dataclass(frozen=True)
class Calculation:
    """How a template's rows become emissions: a method of :mod:`lantian.inventory.methods`,
    the columns and factors it takes, the pollutants it gives and the source tree's levels."""

    template: str
    method: str
    """A function of :mod:`lantian.inventory.methods`."""
    inputs: dict[str, Input]
    """The method's parameters by name ← their :data:`Input`."""
    levels: tuple[str | Level, str | Level, str | Level, str | Level]
    """Category, sector, fuel/product, technology: a name, or a :data:`Level`."""
    pollutants: tuple[str, ...] = ()
    """The pollutants computed; empty: each row's own ``pollutant``."""
    required: tuple[str, ...] = ()
    """Columns a row must give, else it is listed as skipped (never guessed)."""
    to_tonnes: float | Callable[[list[ActivityRow]], np.ndarray] = 1.0
    """The method's mass unit in tonnes (or per row, from the rows)."""
    control: str | None = None
    """A column of control efficiency applied to the method's result, × (1 − η) (0 where empty)."""
    factor: Callable[[_Context, list[ActivityRow], str], FactorInForce] | None = None
    """The factor in force it uses (``factor_id``; the Monte Carlo draws it)."""
    factor_tonnes: Callable[[_Context, list[ActivityRow], str], np.ndarray] | None = None
    """The tonnes proportional to that factor [t]; ``None``: all of them."""
    group_by: str | None = None
    """A column whose values are computed apart (their coefficients differ)."""


def _arguments(
    calculation: Calculation, ctx: _Context, rows: list[ActivityRow], pollutant: str
) -> dict[str, Any]:
    arguments = {}
    for name, given in calculation.inputs.items():
        if isinstance(given, str):
            arguments[name] = _floats(rows, given)
        elif isinstance(given, tuple):
            arguments[name] = _floats(rows, *given)
        else:
            arguments[name] = given(ctx, rows, pollutant)
    return arguments


def _groups(
    calculation: Calculation, rows: list[ActivityRow]
) -> list[tuple[str, list[ActivityRow]]]:
    """(pollutant, rows computed together), in the order the rows are stored."""
    if calculation.group_by:
        key = calculation.group_by
        groups = [
            [r for r in rows if r.values.get(key) == value]
            for value in sorted({r.values.get(key) for r in rows})
        ]
    else:
        groups = [rows]
    if calculation.pollutants:
        return [(p, group) for group in groups for p in calculation.pollutants]
    return [(p, found) for group in groups for p, found in _by_pollutant(group).items()]


def _compute(calculation: Calculation, ctx: _Context, rows: list[ActivityRow]) -> list[pa.Table]:
    """The emissions of ``rows`` by ``calculation`` (rows missing a required column skipped)."""
    if calculation.required:
        rows = _with_all(ctx, calculation.template, rows, calculation.required)
    if not rows:
        return []
    method = getattr(methods, calculation.method)
    parts = []
    for pollutant, group in _groups(calculation, rows):
        result = method(**_arguments(calculation, ctx, group, pollutant))
        if calculation.control:
            result = result * (1 - _floats(group, calculation.control, 0.0))
        scale = calculation.to_tonnes
        tonnes = result * (scale if isinstance(scale, float) else scale(group))
        factor = calculation.factor(ctx, group, pollutant) if calculation.factor else None
        share = calculation.factor_tonnes
        parts.append(
            _part(
                ctx,
                group,
                calculation,
                pollutant,
                tonnes,
                factor,
                share(ctx, group, pollutant) if share else None,
            )
        )
    return parts


def _with_all(
    ctx: _Context, template: str, rows: list[ActivityRow], keys: tuple[str, ...]
) -> list[ActivityRow]:
    """The rows with every one of ``keys`` given; the others are listed as skipped."""
    kept = []
    names = {f.key: f.header for f in TEMPLATES[template].table.fields}
    for row in rows:
        missing = [names.get(k, k) for k in keys if row.values.get(k) is None]
        if missing:
            ctx.skip(template, row, "缺少" + "、".join(missing) + "（未计算，不代填）")
        else:
            kept.append(row)
    return kept


def _by_pollutant(rows: list[ActivityRow]) -> dict[str, list[ActivityRow]]:
    found: dict[str, list[ActivityRow]] = {}
    for row in rows:
        found.setdefault(row.values["pollutant"], []).append(row)
    return found


def _site_type(ctx: _Context, rows: list[ActivityRow], pollutant: str) -> str:
    return rows[0].values.get("source_type")


def _site_generation(ctx: _Context, rows: list[ActivityRow], pollutant: str) -> FactorInForce:
    """The generation factor in force for the rows' site type."""
    return construction_coefficients(ctx.in_force, _site_type(ctx, rows, pollutant))[0]


def _site_coefficients(
    ctx: _Context, rows: list[ActivityRow], pollutant: str
) -> tuple[float, dict[str, float]]:
    """(generation, reductions by measure) in force for the rows' site type."""
    generation, reductions = construction_coefficients(
        ctx.in_force, _site_type(ctx, rows, pollutant)
    )
    return generation.value, reductions


def _site_measures(ctx: _Context, rows: list[ActivityRow], pollutant: str) -> dict[str, np.ndarray]:
    """Whether each row's site meets each measure that has a reduction coefficient."""
    _, reductions = _site_coefficients(ctx, rows, pollutant)
    return {m: np.array([bool(r.values.get(m)) for r in rows]) for m in reductions}


def _site_generated(ctx: _Context, rows: list[ActivityRow], pollutant: str) -> np.ndarray:
    """What the generation factor alone gives (before reductions) [t]."""
    generation = _site_generation(ctx, rows, pollutant)
    return generation.value * _floats(rows, "area") * _floats(rows, "months") * 1e-3


ROAD_POLLUTANTS = {"PM2.5": "PM2.5", "PM10": "PM10", "TSP": "PM30"}
"""Inventory pollutant → AP-42 Table 13.2.1-1's size class (PM30 is AP-42's proxy for TSP)."""


def _days_of(year: int) -> float:
    return float((dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days)


def _road_size(ctx: _Context, rows: list[ActivityRow], pollutant: str) -> str:
    return ROAD_POLLUTANTS[pollutant]


def _road_k(ctx: _Context, rows: list[ActivityRow], pollutant: str) -> FactorInForce:
    return paved_road_k(ctx.in_force, ROAD_POLLUTANTS[pollutant])


def _road_k_value(ctx: _Context, rows: list[ActivityRow], pollutant: str) -> float:
    return _road_k(ctx, rows, pollutant).value


def _road_days(ctx: _Context, rows: list[ActivityRow], pollutant: str) -> np.ndarray:
    """The days counted; the year's days where not given."""
    return _floats(rows, "days", _days_of(ctx.year))


def _road_vehicle_km(ctx: _Context, rows: list[ActivityRow], pollutant: str) -> np.ndarray:
    """VKT: length [km] × vehicles a day × days."""
    days = _road_days(ctx, rows, pollutant)
    return _floats(rows, "length_m") / 1000.0 * _floats(rows, "traffic") * days


def _road_weight(ctx: _Context, rows: list[ActivityRow], pollutant: str) -> np.ndarray:
    """W in AP-42's short tons."""
    return _floats(rows, "weight") / SHORT_TON_IN_TONNES


def _catering_efficiency(ctx: _Context, rows: list[ActivityRow], pollutant: str) -> np.ndarray:
    """η as given; else GB 18483-2001 表2's least efficiency where the registry records a
    purifier, 0 where it records none or says nothing (an upper bound)."""
    given = _floats(rows, "efficiency")
    stoves = np.maximum(_floats(rows, "stoves"), 1.0)
    _, least = methods.catering_scale(stoves)
    purifier = np.array(
        [
            bool(ctx.sources[r.source_id].details.get("fume_purifier"))
            if r.source_id in ctx.sources
            else False
            for r in rows
        ]
    )
    return np.where(np.isnan(given), np.where(purifier, least, 0.0), given)


def _factor_unit_mass(rows: list[ActivityRow]) -> np.ndarray:
    """Each row's 排放系数单位's mass (before the ``/``) in tonnes."""
    return np.array([FACTOR_UNIT_MASS[r.values["factor_unit"].split("/")[0].strip()] for r in rows])


COAL = ("化石燃料固定燃烧源", _industry, "燃煤", "")
CALCULATIONS: tuple[Calculation, ...] = (
    Calculation(
        "sites",
        "construction_dust_coefficients",
        {
            "source_type": _site_type,
            "area": "area",
            "months": "months",
            "measures": _site_measures,
            "coefficients": _site_coefficients,
        },
        ("扬尘源", "施工扬尘", _row("source_type"), ""),
        pollutants=("TSP",),
        to_tonnes=1e-3,
        factor=_site_generation,
        factor_tonnes=_site_generated,
        group_by="source_type",
    ),
    Calculation(
        "roads",
        "paved_road_dust",
        {
            "silt_loading": "silt_loading",
            "weight": _road_weight,
            "vehicle_km": _road_vehicle_km,
            "pollutant": _road_size,
            "wet_days": ("wet_days", 0.0),
            "days": _road_days,
            "efficiency": ("efficiency", 0.0),
            "k": _road_k_value,
        },
        ("扬尘源", "道路扬尘", "铺装道路", _detail("cleaning")),
        pollutants=tuple(ROAD_POLLUTANTS),
        to_tonnes=1e-6,
        factor=_road_k,
    ),
    Calculation(
        "yards",
        "stockpile_dust",
        {k: k for k in ("handled", "handling_factor", "surface", "erosion_factor")},
        ("扬尘源", "堆场扬尘", _detail("material"), ""),
        required=("handled", "handling_factor", "surface", "erosion_factor"),
        control="efficiency",
    ),
    Calculation(
        "catering",
        "catering",
        {
            "stoves": "stoves",
            "hours": "hours",
            "factor": "factor",
            "efficiency": _catering_efficiency,
        },
        ("其他排放源", "餐饮油烟", "", ""),
        required=("factor",),
        to_tonnes=1e-6,
    ),
    Calculation(
        "combustion",
        "coal_so2",
        {
            "coal": "coal",
            "sulphur": "sulphur",
            "retention": "retention",
            "efficiency": ("desulphurisation", 0.0),
        },
        COAL,
        pollutants=("SO2",),
        required=("sulphur", "retention"),
    ),
    Calculation(
        "combustion",
        "coal_particulate",
        {
            "coal": "coal",
            "ash": "ash",
            "fly_ash_share": "fly_ash",
            "efficiency": ("dust_removal", 0.0),
        },
        COAL,
        pollutants=("TSP",),
        required=("ash", "fly_ash"),
    ),
    Calculation(
        "open_burning",
        "open_burning",
        {"burned_mass": "straw", "burned_fraction": "burned", "factor": "factor"},
        ("生物质燃烧源", "秸秆露天焚烧", _row("crop"), ""),
        required=("factor",),
        to_tonnes=1e-3,
    ),
    Calculation(
        "emission_factor",
        "emission_factor",
        {"activity": "activity", "factor": "factor", "efficiency": ("efficiency", 0.0)},
        (_row("category"), _row("sector"), _row("fuel_product"), _row("technology")),
        to_tonnes=_factor_unit_mass,
    ),
)
"""Every template's calculations, in the order their rows are built (every template of
``activity.TEMPLATES``; a template may have several, one per method)."""


def _monitored_first(emissions: pa.Table) -> pa.Table:
    """Drop a source's rows of a pollutant that its CEMS measured (measurement comes first)."""
    monitored = emissions.filter(pc.equal(emissions.column("method"), "online_monitoring"))
    if not monitored.num_rows:
        return emissions
    keys = pc.binary_join_element_wise(
        pc.cast(emissions.column("source_id"), pa.string()), emissions.column("pollutant"), "|"
    )
    measured = pc.binary_join_element_wise(
        pc.cast(monitored.column("source_id"), pa.string()), monitored.column("pollutant"), "|"
    )
    replaced = pc.and_(
        pc.fill_null(pc.is_in(keys, value_set=measured), False),
        pc.not_equal(emissions.column("method"), "online_monitoring"),
    )
    return emissions.filter(pc.invert(replaced))


def build(
    db: Session,
    actor: Actor,
    year: int,
    cems: Callable[[Session, int, dict[int, Source]], tuple[pa.Table, pa.Table]] | None = None,
) -> Built:
    """The inventory of ``year`` from the stored activity data, the registry and the factors.

    ``cems`` gives the CEMS rows (``EMISSIONS_SCHEMA``) and their daily emissions
    (:func:`lantian.inventory.monitoring.cems_emissions` over the feed store); ``None``: none.
    """
    require(actor, "inventory.read")
    sources = {s.id: s for s in db.scalars(select(Source))}
    ctx = _Context(year, sources, factors_in_force(db, year), [])
    parts = [EMISSIONS_SCHEMA.empty_table()]
    for template, rows in activity_rows(db, actor, year).items():
        for calculation in (c for c in CALCULATIONS if rows and c.template == template):
            parts += _compute(calculation, ctx, rows)
    daily = None
    if cems is not None:
        monitored, daily = cems(db, year, sources)
        parts.append(monitored)
    emissions = _monitored_first(pa.concat_tables(parts))
    return Built(year, emissions, ctx.skipped, daily, ctx.in_force)
