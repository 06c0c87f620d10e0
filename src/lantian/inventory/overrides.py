"""The district's own factor values: set, list, and the factors in force for a year.

A default row of ``data/factors.csv`` is what Lantian ships (``is_default`` = true, with its
source). The district may replace any of them, or add a factor the defaults lack, from a year on
(:func:`set_override`): the value, optionally a range (low–high) for the Monte Carlo, its unit and
where it comes from. The row is written through the ORM in the ledger's database, so the audit
chain (``lantian audit verify``) records who set it and when; ``set_by`` and ``set_at`` repeat
that on the row for reports. :func:`factors_in_force` gives every factor of a year with
``is_default`` true for a shipped value and false for the district's, so every output can mark
defaults visibly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.inventory.factors import factors
from lantian.inventory.models import FactorOverride
from lantian.plan.access import Actor, require
from lantian.plan.audit import act


@dataclass(frozen=True)
class FactorInForce:
    """One factor as used for a year."""

    factor_id: str
    method: str
    parameter: str
    pollutant: str
    source_type: str
    value: float
    low: float | None
    high: float | None
    unit: str
    source: str
    is_default: bool
    set_by: str | None = None
    set_at: str | None = None


def _number(text: str) -> float | None:
    return float(text) if text not in ("", None) else None


def set_override(
    db: Session,
    actor: Actor,
    *,
    factor_id: str,
    value: float,
    source: str,
    from_year: int,
    low: float | None = None,
    high: float | None = None,
    unit: str | None = None,
    method: str | None = None,
    parameter: str | None = None,
    pollutant: str | None = None,
    source_type: str | None = None,
    note: str | None = None,
    example: bool = False,
) -> FactorOverride:
    """Set the district's value of ``factor_id`` from ``from_year`` on (audited).

    A ``factor_id`` of the default table takes its method, parameter, pollutant, source type and
    unit from there (a different unit is refused: the formula expects the default's); a new id
    needs them all. ``source`` (where the value comes from) is required; ``low ≤ value ≤ high``.
    """
    require(actor, "inventory.manage")
    if not source or not source.strip():
        raise ValueError("source: say where the district's value comes from")
    numbers = [v for v in (low, value, high) if v is not None]
    if not all(math.isfinite(v) and v >= 0 for v in numbers):
        raise ValueError("value, low, high: finite numbers ≥ 0 are expected")
    if (low is None) != (high is None) or (low is not None and not low <= value <= high):
        raise ValueError("low, high: give both, with low ≤ value ≤ high")
    default = next((row for row in factors() if row["factor_id"] == factor_id), None)
    if default is not None:
        if unit not in (None, default["unit"]):
            raise ValueError(f"unit: {factor_id} is in {default['unit']}, not {unit}")
        method, parameter = default["method"], default["parameter"]
        pollutant, source_type, unit = default["pollutant"], default["source_type"], default["unit"]
    missing = [
        name
        for name, given in {
            "method": method,
            "parameter": parameter,
            "pollutant": pollutant,
            "source_type": source_type,
            "unit": unit,
        }.items()
        if not given
    ]
    if missing:
        raise ValueError(f"a factor not in the defaults needs {', '.join(missing)}")
    act(db, actor)
    row = db.scalar(
        select(FactorOverride).where(
            FactorOverride.factor_id == factor_id, FactorOverride.from_year == from_year
        )
    )
    values: dict[str, Any] = {
        "method": method,
        "parameter": parameter,
        "pollutant": pollutant,
        "source_type": source_type,
        "value": value,
        "low": low,
        "high": high,
        "unit": unit,
        "source": source.strip(),
        "set_by": actor.name,
        "note": note,
        "example": example,
    }
    if row is None:
        row = FactorOverride(factor_id=factor_id, from_year=from_year, **values)
        db.add(row)
    else:
        for key, given in values.items():
            setattr(row, key, given)
    db.flush()
    return row


def overrides(db: Session, actor: Actor) -> list[FactorOverride]:
    """Every override the district set, by factor and year."""
    require(actor, "inventory.read")
    return list(
        db.scalars(
            select(FactorOverride).order_by(FactorOverride.factor_id, FactorOverride.from_year)
        )
    )


def factors_in_force(db: Session | None, year: int) -> dict[str, FactorInForce]:
    """Every factor for ``year``: the defaults, each replaced by the district's latest override
    from a year ≤ ``year``, plus the district's own factors. Keyed by ``factor_id``."""
    found = {
        row["factor_id"]: FactorInForce(
            row["factor_id"],
            row["method"],
            row["parameter"],
            row["pollutant"],
            row["source_type"],
            float(row["value"]),
            _number(row.get("low", "")),
            _number(row.get("high", "")),
            row["unit"],
            f"{row['source']} {row['clause']}".strip(),
            is_default=True,
        )
        for row in factors()
        if row["is_default"] == "true"
    }
    if db is None:
        return found
    rows = db.scalars(
        select(FactorOverride)
        .where(FactorOverride.from_year <= year)
        .order_by(FactorOverride.from_year)
    )
    for row in rows:  # later years replace earlier ones
        found[row.factor_id] = FactorInForce(
            row.factor_id,
            row.method,
            row.parameter,
            row.pollutant,
            row.source_type,
            row.value,
            row.low,
            row.high,
            row.unit,
            row.source,
            is_default=False,
            set_by=row.set_by,
            set_at=row.set_at.isoformat(timespec="seconds"),
        )
    return found


def paved_road_k(in_force: dict[str, FactorInForce], pollutant: str) -> FactorInForce:
    """The k of AP-42 Table 13.2.1-1 in force for ``pollutant`` (PM2.5, PM10, PM15, PM30)."""
    found = [
        f
        for f in in_force.values()
        if (f.method, f.parameter, f.pollutant) == ("paved_road_dust", "k", pollutant)
    ]
    if len(found) != 1:
        raise KeyError(f"no single paved-road k for {pollutant!r}")
    return found[0]


def construction_coefficients(
    in_force: dict[str, FactorInForce], source_type: str
) -> tuple[FactorInForce, dict[str, float]]:
    """The generation factor row and the reduction coefficients in force for ``source_type``."""
    rows = [
        f
        for f in in_force.values()
        if f.method == "construction_dust_coefficients" and f.source_type == source_type
    ]
    generation = [f for f in rows if f.parameter == "generation"]
    if len(generation) != 1:
        raise KeyError(f"no construction dust coefficients for {source_type!r}")
    reductions = {
        f.parameter.removeprefix("reduction:"): f.value
        for f in rows
        if f.parameter.startswith("reduction:")
    }
    return generation[0], reductions
