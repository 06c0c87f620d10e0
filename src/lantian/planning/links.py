"""The measures' links to the inventory in the ledger, and their tonnes planned and achieved.

Services take a ledger session and an :class:`~lantian.plan.access.Actor` and check the permission
first (linking is managing the plan, ``plan.manage``; reading is ``plan.read``); the audit log
records every change in the same transaction. The arithmetic is :mod:`lantian.planning.cuts`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from lantian.plan.access import Actor, require
from lantian.plan.audit import act
from lantian.plan.errors import LedgerValueError, NotFoundError
from lantian.plan.models import Measure, Plan, Target, Task
from lantian.plan.plans import plan_tasks
from lantian.plan.reports import latest_reports
from lantian.planning.cuts import (
    CHANGE_KINDS,
    implementation_share,
    planned_cut,
    removed_fraction,
    selected_emissions,
)
from lantian.planning.models import MeasureLink

LINK_FIELDS = (
    "selector",
    "pollutants",
    "change_kind",
    "value_before",
    "value_after",
    "control_efficiency",
    "baseline_quantity",
    "cost",
    "basis",
)


def _measure(db: Session, plan: Plan, number: int) -> Measure:
    measure = db.scalar(select(Measure).where(Measure.plan_id == plan.id, Measure.number == number))
    if measure is None:
        raise NotFoundError(f"计划中没有第 {number} 项措施", f"no measure {number}", "measure")
    return measure


def _target(db: Session, measure: Measure, key: str | None) -> Target | None:
    if not key:
        return None
    target = db.scalar(select(Target).where(Target.measure_id == measure.id, Target.key == key))
    if target is None:
        known = [t.key for t in measure.targets]
        raise LedgerValueError(
            f"第 {measure.number} 项措施没有量化目标 {key}（有：{known}）",
            f"measure {measure.number} has no target {key!r} (known: {known})",
            "target",
        )
    return target


def check_link(values: Mapping[str, Any]) -> float:
    """The link's full-implementation fraction; a clear error naming the field otherwise."""
    if not isinstance(values.get("selector"), dict) or not values["selector"]:
        raise LedgerValueError(
            "须指明清单行（如 category=扬尘源）", "selector must name inventory columns", "selector"
        )
    kind = values.get("change_kind")
    if kind not in CHANGE_KINDS:
        raise LedgerValueError(
            f"变化类型须为 {sorted(CHANGE_KINDS)}",
            f"change_kind must be one of {sorted(CHANGE_KINDS)}",
            "change_kind",
        )
    try:
        fraction = removed_fraction(
            kind, values["value_before"], values["value_after"], values.get("control_efficiency")
        )
    except (ValueError, TypeError, KeyError) as error:
        raise LedgerValueError(f"变化数值有误：{error}", str(error), "value_after") from error
    if not -1 <= fraction <= 1:
        raise LedgerValueError("削减比例超出范围", f"removed fraction {fraction}", "value_after")
    if values.get("cost") is not None and values["cost"] < 0:
        raise LedgerValueError("费用不能为负", "cost must be ≥ 0", "cost")
    if not str(values.get("basis") or "").strip():
        raise LedgerValueError(
            "须写明依据", "basis (where the numbers come from) is required", "basis"
        )
    return fraction


def add_link(
    db: Session,
    actor: Actor,
    plan: Plan,
    measure_number: int,
    values: Mapping[str, Any],
    target_key: str | None = None,
    example: bool = False,
) -> MeasureLink:
    """Link measure ``measure_number`` to inventory rows with a quantified change (office)."""
    require(actor, "plan.manage")
    act(db, actor)
    measure = _measure(db, plan, measure_number)
    check_link(values)
    link = MeasureLink(
        measure_id=measure.id,
        target_id=(t.id if (t := _target(db, measure, target_key)) else None),
        example=example,
        **{key: values.get(key) for key in LINK_FIELDS},
    )
    if link.baseline_quantity is None:
        link.baseline_quantity = 0.0
    db.add(link)
    db.flush()
    return link


def remove_link(db: Session, actor: Actor, link_id: int) -> None:
    """Remove a link (office); the audit log keeps what it was."""
    require(actor, "plan.manage")
    act(db, actor)
    link = db.get(MeasureLink, link_id)
    if link is None:
        raise NotFoundError(f"没有关联 {link_id}", f"no link {link_id}", "link")
    db.delete(link)
    db.flush()


def plan_links(db: Session, plan: Plan) -> list[MeasureLink]:
    """Every link of ``plan``'s measures, by measure number, with measure and target loaded."""
    query = (
        select(MeasureLink)
        .join(MeasureLink.measure)
        .where(Measure.plan_id == plan.id)
        .order_by(Measure.number, MeasureLink.id)
        .options(joinedload(MeasureLink.measure), joinedload(MeasureLink.target))
    )
    return list(db.scalars(query).unique())


def load_example_links(db: Session, actor: Actor, plan: Plan) -> int:
    """Store the bundled EXAMPLE links (``data/example-links.toml``, 示例数据); returns how many."""
    text = (
        resources.files("lantian.planning")
        .joinpath("data", "example-links.toml")
        .read_text(encoding="utf-8")
    )
    for existing in plan_links(db, plan):
        if existing.example:
            remove_link(db, actor, existing.id)
    rows = tomllib.loads(text)["links"]
    for row in rows:
        values = {key: row.get(key) for key in LINK_FIELDS}
        add_link(db, actor, plan, row["measure"], values, row.get("target"), example=True)
    return len(rows)


@dataclass(frozen=True)
class LinkCut:
    """One link's tonnes removed [t/a] by (category, pollutant): in full and as done by ``month``."""

    link: MeasureLink
    fraction: float
    done_share: float
    planned: pa.Table
    achieved: pa.Table


def done_share(link: MeasureLink, tasks: list[Task], latest: Mapping[int, Any]) -> float:
    """The share of the link's change done, from the latest reports (:mod:`.cuts` docstring)."""
    if link.target_id is not None:
        mine = [t for t in tasks if t.target_id == link.target_id and t.target_value is not None]
        if mine:
            quantity = [
                latest[t.id].quantity
                if t.id in latest and latest[t.id].quantity is not None
                else np.nan
                for t in mine
            ]
            shares = implementation_share(
                quantity, link.baseline_quantity, [t.target_value for t in mine]
            )
            return float(np.mean(shares))
    mine = [t for t in tasks if t.measure_id == link.measure_id]
    if not mine:
        return 0.0
    return sum(t.id in latest and latest[t.id].status == "completed" for t in mine) / len(mine)


def link_cuts(
    db: Session, actor: Actor, plan: Plan, inventory: pa.Table, month: str
) -> list[LinkCut]:
    """Each link's tonnes removed, in full and achieved per the reports up to ``month``."""
    require(actor, "plan.read")
    tasks = plan_tasks(db, plan)
    latest = latest_reports(db, plan, month)
    out = []
    for link in plan_links(db, plan):
        fraction = removed_fraction(
            link.change_kind, link.value_before, link.value_after, link.control_efficiency
        )
        planned = planned_cut(inventory, link.selector, link.pollutants, fraction)
        share = done_share(link, tasks, latest)
        achieved = planned.set_column(2, "t", pc.multiply(planned["t"], share))
        out.append(LinkCut(link, fraction, share, planned, achieved))
    return out


def matched_rows(inventory: pa.Table, link: MeasureLink) -> int:
    """How many inventory rows a link selects (0: the link removes nothing — worth a warning)."""
    return selected_emissions(inventory, link.selector, link.pollutants).num_rows


def inventory_for(month: str) -> pa.Table | None:
    """The inventory the links are read against in ``month``: the newest year built up to the
    month's year (else the newest built); ``None`` when no inventory is built."""
    from lantian.inventory import load
    from lantian.inventory.store import years

    built = years()
    if not built:
        return None
    earlier = [y for y in built if y <= int(month[:4])]
    return load(earlier[-1] if earlier else built[-1])


def cut_rows(
    db: Session, actor: Actor, plan: Plan, month: str, measure_numbers: set[int] | None = None
) -> list[dict[str, Any]]:
    """The tonnes each link removes, planned and achieved by ``month``, as rows for the ledger's
    pages (only ``measure_numbers``' links when given); empty without links or inventory."""
    require(actor, "plan.read")
    if not plan_links(db, plan):
        return []
    inventory = inventory_for(month)
    if inventory is None:
        return []
    rows = []
    for cut in link_cuts(db, actor, plan, inventory, month):
        if measure_numbers is not None and cut.link.measure.number not in measure_numbers:
            continue
        planned = dict(
            zip(cut.planned["pollutant"].to_pylist(), cut.planned["t"].to_pylist(), strict=True)
        )
        achieved = dict(
            zip(cut.achieved["pollutant"].to_pylist(), cut.achieved["t"].to_pylist(), strict=True)
        )
        rows.append(
            {
                "measure": cut.link.measure.number,
                "selector": "，".join(f"{v}" for v in cut.link.selector.values()),
                "change_kind": cut.link.change_kind,
                "done_share": round(cut.done_share, 3),
                "tonnes": [
                    {"pollutant": p, "planned": round(t, 3), "achieved": round(achieved[p], 3)}
                    for p, t in planned.items()
                ],
                "example": bool(cut.link.example),
            }
        )
    return rows
