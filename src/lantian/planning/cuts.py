"""A measure's expected cut: tonnes removed, planned and achieved (issue #16 part 2).

A measure is linked to inventory rows (:class:`lantian.planning.models.MeasureLink`) with a
quantified change. The fraction f of the rows' emission removed when the change is done in full
follows the emission-factor method's form E = A × EF × (1 − η) (docs/inventory.md), one function per
kind of change (:data:`CHANGE_KINDS`):

* ``activity`` — the activity goes from A₀ to A₁ (320 old trucks retired of 320: A₀ = 320, A₁ = 0;
  coal burned in boilers 12 000 t → 0): f = 1 − A₁/A₀;
* ``efficiency`` — the control efficiency goes from η₀ to η₁ (road dust of swept roads): since
  E ∝ (1 − η), f = 1 − (1 − η₁)/(1 − η₀);
* ``coverage`` — the share of the rows under a control of efficiency η goes from s₀ to s₁ (sites
  meeting 六个百分百, roads swept mechanically): E ∝ 1 − s·η, so f = (s₁ − s₀)·η / (1 − s₀·η).

Planned tonnes = Σ over the selected rows and pollutants of E × f. The **achieved** cut is the
planned one times the share done, read from the ledger's monthly reports on the link's target: for
each task of the target, (q − q₀)/(T − q₀) clipped to [0, 1], with q the latest reported cumulative
quantity, q₀ the link's ``baseline_quantity`` (the quantity in the inventory's year) and T the task's
target value; the share done is the mean over the target's tasks (each lead unit is held to the
target). A link without a target counts the share of the measure's tasks reported 已完成.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc


def _fraction(name: str, value: float) -> float:
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must be a fraction in [0, 1] (85 % → 0.85), got {value}")
    return value


def activity_fraction(before: float, after: float, efficiency: float | None = None) -> float:
    """The fraction f = 1 − A₁/A₀ removed by an activity going from ``before`` to ``after`` [any unit, A₀ > 0]."""
    if before <= 0 or after < 0:
        raise ValueError(f"activity before must be > 0 and after ≥ 0, got {before} → {after}")
    return 1 - after / before


def efficiency_fraction(before: float, after: float, efficiency: float | None = None) -> float:
    """The fraction f = 1 − (1 − η₁)/(1 − η₀) removed by a control efficiency going from η₀ to η₁ [1]."""
    before, after = _fraction("efficiency before", before), _fraction("efficiency after", after)
    if before >= 1:
        raise ValueError("efficiency before must be below 1 (nothing left to remove)")
    return 1 - (1 - after) / (1 - before)


def coverage_fraction(before: float, after: float, efficiency: float | None = None) -> float:
    """The fraction f = (s₁ − s₀)·η / (1 − s₀·η) removed by the share under a control of efficiency η [1]."""
    if efficiency is None:
        raise ValueError("a coverage change needs the control's efficiency (control_efficiency)")
    before, after = _fraction("share before", before), _fraction("share after", after)
    eta = _fraction("control efficiency", efficiency)
    if before * eta >= 1:
        raise ValueError("nothing left to remove at full coverage with efficiency 1")
    return (after - before) * eta / (1 - before * eta)


CHANGE_KINDS: dict[str, Callable[[float, float, float | None], float]] = {
    "activity": activity_fraction,
    "efficiency": efficiency_fraction,
    "coverage": coverage_fraction,
}
CHANGE_KIND_ZH = {
    "activity": "活动水平变化",
    "efficiency": "控制效率提高",
    "coverage": "覆盖率提高",
}


def removed_fraction(kind: str, before: float, after: float, efficiency: float | None) -> float:
    """The fraction of the selected rows' emission removed in full (module docstring)."""
    if kind not in CHANGE_KINDS:
        raise ValueError(f"unknown change_kind {kind!r}; valid: {sorted(CHANGE_KINDS)}")
    return CHANGE_KINDS[kind](before, after, efficiency)


def implementation_share(
    quantity: npt.ArrayLike, baseline: float, target: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """(q − q₀)/(T − q₀) clipped to [0, 1]; a missing report (NaN) counts 0; T = q₀ counts 1."""
    q = np.asarray(quantity, dtype=float)
    t = np.asarray(target, dtype=float)
    span = t - baseline
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(span != 0, (q - baseline) / span, 1.0)
    return np.clip(np.nan_to_num(share, nan=0.0), 0.0, 1.0)


def selected_emissions(
    inventory: pa.Table, selector: Mapping[str, object], pollutants: Sequence[str] | None
) -> pa.Table:
    """The inventory rows matching every ``selector`` column value and ``pollutants``."""
    missing = [column for column in selector if column not in inventory.column_names]
    if missing:
        raise ValueError(
            f"selector columns {missing} are not inventory columns {inventory.column_names}"
        )
    mask = pa.array(np.ones(inventory.num_rows, dtype=bool))
    for column, value in selector.items():
        mask = pc.and_(mask, pc.equal(inventory[column], pa.scalar(value)))
    if pollutants:
        mask = pc.and_(mask, pc.is_in(inventory["pollutant"], pa.array(list(pollutants))))
    return inventory.filter(pc.fill_null(mask, False))


def planned_cut(
    inventory: pa.Table,
    selector: Mapping[str, object],
    pollutants: Sequence[str] | None,
    fraction: float,
) -> pa.Table:
    """Tonnes removed in full by (category, pollutant): the selected rows' emission × ``fraction``."""
    rows = selected_emissions(inventory, selector, pollutants)
    removed = pc.multiply(pc.cast(rows["tonnes"], pa.float64()), fraction)
    cut = pa.table({"category": rows["category"], "pollutant": rows["pollutant"], "t": removed})
    return (
        cut.group_by(["category", "pollutant"])
        .aggregate([("t", "sum")])
        .rename_columns(["category", "pollutant", "t"])
    )
