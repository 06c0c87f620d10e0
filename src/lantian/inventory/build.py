"""Building a year's inventory: the registry's sources × the year's activity data × the factors in
force (+ the CEMS devices of the HJ 212 feed) → one row per source and pollutant, in tonnes.

Each template's rows go through its method in :mod:`lantian.inventory.methods` as whole columns;
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
    template: str,
    method: str,
    pollutant: str,
    tonnes: np.ndarray,
    levels: Callable[[ActivityRow, Source | None], tuple[str, str, str, str]],
    factor: FactorInForce | None = None,
    factor_tonnes: np.ndarray | None = None,
) -> pa.Table:
    """Rows of the emissions table for ``rows`` (one pollutant), with the registry's facts."""
    sources = [ctx.sources.get(r.source_id) if r.source_id else None for r in rows]
    level = [levels(r, s) for r, s in zip(rows, sources, strict=True)]
    n = len(rows)
    return pa.table(
        {
            "year": pa.array([ctx.year] * n, pa.int32()),
            "category": [lv[0] for lv in level],
            "sector": [lv[1] for lv in level],
            "fuel_product": [lv[2] for lv in level],
            "technology": [lv[3] for lv in level],
            "template": [template] * n,
            "method": [method] * n,
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


# --- the templates' methods ----------------------------------------------------------------------


def _sites(ctx: _Context, rows: list[ActivityRow]) -> list[pa.Table]:
    parts = []
    for source_type in sorted({r.values.get("source_type") for r in rows}):
        group = [r for r in rows if r.values.get("source_type") == source_type]
        generation, reductions = construction_coefficients(ctx.in_force, source_type)
        measures = {m: np.array([bool(r.values.get(m)) for r in group]) for m in reductions}
        kg = methods.construction_dust_coefficients(
            source_type,
            _floats(group, "area"),
            _floats(group, "months"),
            measures,
            coefficients=(generation.value, reductions),
        )
        generated = generation.value * _floats(group, "area") * _floats(group, "months") * 1e-3
        parts.append(
            _part(
                ctx,
                group,
                "sites",
                "construction_dust_coefficients",
                "TSP",
                kg * 1e-3,
                lambda r, s: ("扬尘源", "施工扬尘", r.values.get("source_type") or "", ""),
                generation,
                generated,
            )
        )
    return parts


ROAD_POLLUTANTS = {"PM2.5": "PM2.5", "PM10": "PM10", "TSP": "PM30"}
"""Inventory pollutant → AP-42 Table 13.2.1-1's size class (PM30 is AP-42's proxy for TSP)."""


def _days_of(year: int) -> float:
    return float((dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days)


def _roads(ctx: _Context, rows: list[ActivityRow]) -> list[pa.Table]:
    days = _floats(rows, "days", _days_of(ctx.year))
    vkt = _floats(rows, "length_m") / 1000.0 * _floats(rows, "traffic") * days
    weight = _floats(rows, "weight") / SHORT_TON_IN_TONNES
    parts = []
    for pollutant, size in ROAD_POLLUTANTS.items():
        k = paved_road_k(ctx.in_force, size)
        grams = methods.paved_road_dust(
            _floats(rows, "silt_loading"),
            weight,
            vkt,
            size,
            wet_days=_floats(rows, "wet_days", 0.0),
            days=days,
            efficiency=_floats(rows, "efficiency", 0.0),
            k=k.value,
        )
        parts.append(
            _part(
                ctx,
                rows,
                "roads",
                "paved_road_dust",
                pollutant,
                grams * 1e-6,
                lambda r, s: (
                    "扬尘源",
                    "道路扬尘",
                    "铺装道路",
                    (s.details.get("cleaning") if s else "") or "",
                ),
                k,
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


def _yards(ctx: _Context, rows: list[ActivityRow]) -> list[pa.Table]:
    rows = _with_all(
        ctx, "yards", rows, ("handled", "handling_factor", "surface", "erosion_factor")
    )
    return [
        _part(
            ctx,
            group,
            "yards",
            "stockpile_dust",
            pollutant,
            methods.stockpile_dust(
                _floats(group, "handled"),
                _floats(group, "handling_factor"),
                _floats(group, "surface"),
                _floats(group, "erosion_factor"),
            )
            * (1 - _floats(group, "efficiency", 0.0)),
            lambda r, s: ("扬尘源", "堆场扬尘", (s.details.get("material") if s else "") or "", ""),
        )
        for pollutant, group in _by_pollutant(rows).items()
    ]


def _catering_efficiency(ctx: _Context, rows: list[ActivityRow]) -> np.ndarray:
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


def _catering(ctx: _Context, rows: list[ActivityRow]) -> list[pa.Table]:
    rows = _with_all(ctx, "catering", rows, ("factor",))
    return [
        _part(
            ctx,
            group,
            "catering",
            "catering",
            pollutant,
            methods.catering(
                _floats(group, "stoves"),
                _floats(group, "hours"),
                _floats(group, "factor"),
                _catering_efficiency(ctx, group),
            )
            * 1e-6,
            lambda r, s: ("其他排放源", "餐饮油烟", "", ""),
        )
        for pollutant, group in _by_pollutant(rows).items()
    ]


def _enterprise_levels(
    fuel: str,
) -> Callable[[ActivityRow, Source | None], tuple[str, str, str, str]]:
    def levels(row: ActivityRow, source: Source | None) -> tuple[str, str, str, str]:
        sector = (getattr(source, "industry_name", None) or "工业") if source else "工业"
        return ("化石燃料固定燃烧源", sector, fuel, "")

    return levels


def _combustion(ctx: _Context, rows: list[ActivityRow]) -> list[pa.Table]:
    parts = []
    so2 = _with_all(ctx, "combustion", rows, ("sulphur", "retention"))
    if so2:
        tonnes = methods.coal_so2(
            _floats(so2, "coal"),
            _floats(so2, "sulphur"),
            _floats(so2, "retention"),
            _floats(so2, "desulphurisation", 0.0),
        )
        parts.append(
            _part(ctx, so2, "combustion", "coal_so2", "SO2", tonnes, _enterprise_levels("燃煤"))
        )
    pm = _with_all(ctx, "combustion", rows, ("ash", "fly_ash"))
    if pm:
        tonnes = methods.coal_particulate(
            _floats(pm, "coal"),
            _floats(pm, "ash"),
            _floats(pm, "fly_ash"),
            _floats(pm, "dust_removal", 0.0),
        )
        parts.append(
            _part(
                ctx, pm, "combustion", "coal_particulate", "TSP", tonnes, _enterprise_levels("燃煤")
            )
        )
    return parts


def _open_burning(ctx: _Context, rows: list[ActivityRow]) -> list[pa.Table]:
    rows = _with_all(ctx, "open_burning", rows, ("factor",))
    return [
        _part(
            ctx,
            group,
            "open_burning",
            "open_burning",
            pollutant,
            methods.open_burning(
                _floats(group, "straw"), _floats(group, "burned"), _floats(group, "factor")
            )
            * 1e-3,
            lambda r, s: ("生物质燃烧源", "秸秆露天焚烧", r.values.get("crop") or "", ""),
        )
        for pollutant, group in _by_pollutant(rows).items()
    ]


def _emission_factor(ctx: _Context, rows: list[ActivityRow]) -> list[pa.Table]:
    scale = np.array(
        [FACTOR_UNIT_MASS[r.values["factor_unit"].split("/")[0].strip()] for r in rows]
    )
    return [
        _part(
            ctx,
            [rows[i] for i in index],
            "emission_factor",
            "emission_factor",
            pollutant,
            methods.emission_factor(
                _floats(group, "activity"),
                _floats(group, "factor"),
                _floats(group, "efficiency", 0.0),
            )
            * scale[index],
            lambda r, s: (
                r.values.get("category") or "",
                r.values.get("sector") or "",
                r.values.get("fuel_product") or "",
                r.values.get("technology") or "",
            ),
        )
        for pollutant, group in _by_pollutant(rows).items()
        for index in [
            np.array([i for i, r in enumerate(rows) if r.values["pollutant"] == pollutant])
        ]
    ]


TEMPLATE_METHODS: dict[str, Callable[[_Context, list[ActivityRow]], list[pa.Table]]] = {
    "sites": _sites,
    "roads": _roads,
    "yards": _yards,
    "catering": _catering,
    "combustion": _combustion,
    "open_burning": _open_burning,
    "emission_factor": _emission_factor,
}
"""Template → the function computing its rows (every template of ``activity.TEMPLATES``)."""


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
        if rows:
            parts += TEMPLATE_METHODS[template](ctx, rows)
    daily = None
    if cems is not None:
        monitored, daily = cems(db, year, sources)
        parts.append(monitored)
    emissions = _monitored_first(pa.concat_tables(parts))
    return Built(year, emissions, ctx.skipped, daily, ctx.in_force)
