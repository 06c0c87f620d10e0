"""The attainment roadmap (达标路线图): from the measures' tonnes to µg/m³, against the target.

For an area, a target year and its PM2.5 target T (35 µg/m³ for 冷水滩区中心城区):

1. the base: the inventory of the base year (default: the year before the target year) and the
   observed annual mean C₀ of that year — read from the progress service of :mod:`lantian.assess`
   on the base year's last day (``ytd``), never recomputed here; without stored data, the plan's
   baseline (stated as such);
2. the response model (:mod:`lantian.planning.response`) of the area's apportionment result — its
   basis (apportionment / inventory / ctm) is named on every output;
3. each linked measure's tonnes removed (:mod:`lantian.planning.links`), planned and achieved as of
   ``month``, turned into µg/m³ and, where costs are entered, µg/m³ per 万元; measures ranked by
   µg/m³ per 万元 (those with a cost first), then by µg/m³;
4. the cut needed C₀ − T, the concentration the measures give done as planned X = C₀ + ΔC, and the
   residual gap Y = X − T, with what Y would take: for each inventory cell, the further share of its
   remaining emission that alone would close Y;
5. month by month over the plan's reporting months, the change the achieved cuts predict against
   the change observed (progress' year-to-date mean against the same period of the year before,
   or the plan's baseline when that year is not stored). Not weather-normalised: meteorology is not
   in the store yet, so a month's difference mixes weather with measures.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from alembic.util import CommandError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lantian.assess.progress import progress
from lantian.assess.scope import Scope
from lantian.plan.access import Actor, require
from lantian.plan.errors import LedgerValueError
from lantian.plan.models import Plan
from lantian.plan.months import last_day, month_of, months_between
from lantian.planning.apportionment import KIND_ZH, components_of, get_apportionment
from lantian.planning.cuts import CHANGE_KIND_ZH
from lantian.planning.links import LinkCut, link_cuts
from lantian.planning.models import Apportionment
from lantian.planning.response import (
    BASIS_ZH,
    EmissionMatrix,
    ResponseMatrix,
    apportionment_response,
    ctm_response,
    inventory_components,
)
from lantian.store import MeasurementStore
from lantian.times import beijing_today

POLLUTANT = "PM2.5"


def response_of(result: Apportionment, inventory: pa.Table, base: float) -> ResponseMatrix:
    """The response matrix of a stored apportionment result over ``inventory`` with C₀ ``base``."""
    emissions = EmissionMatrix.from_inventory(inventory)
    if result.kind == "ctm":
        sensitivities = {
            (s["category"], s["pollutant"]): s["value"] for s in result.sensitivities or []
        }
        return ctm_response(base, sensitivities, emissions, result.name)
    components = components_of(result)
    if result.kind == "inventory":
        regional = sum(c.share for c in components if c.kind == "regional")
        secondary = {c.species: c.share for c in components if c.kind == "secondary"}
        components = inventory_components(emissions, regional, secondary)
        return apportionment_response(base, components, emissions, result.name, basis="inventory")
    return apportionment_response(base, components, emissions, result.name)


def basis_of(result: Apportionment, response: ResponseMatrix) -> dict[str, Any]:
    """What the roadmap's numbers rest on — shown on every output."""
    return {
        "basis": response.basis,
        "basis_zh": BASIS_ZH[response.basis],
        "apportionment": result.name,
        "apportionment_kind": result.kind,
        "apportionment_kind_zh": KIND_ZH[result.kind],
        "apportionment_year": result.year,
        "source": result.source,
        "apportionment_example": bool(result.example),
        "components": [{**c.__dict__, "share": round(c.share, 4)} for c in response.components],
        "notes": list(response.notes),
    }


def _base_concentration(store, scope, base_year, plan_file) -> tuple[float, str, float | None]:
    """C₀ from the progress service on the base year's last day; the plan's baseline otherwise."""
    result = progress(store, scope, dt.date(base_year, 12, 31), plan_file)
    row = next((t for t in result["targets"] if t["pollutant"] == POLLUTANT), None)
    if row is None:
        raise LedgerValueError(
            f"{scope.name} 没有 PM2.5 年均值目标", f"{scope.name} has no PM2.5 target", "area"
        )
    if row["ytd"] is not None:
        return float(row["ytd"]), f"{base_year}年实测年均值", row["target"]
    if row["baseline"] is None:
        raise LedgerValueError(
            f"{base_year} 年无监测数据，计划也无基准值", f"no data for {base_year}", "year"
        )
    return float(row["baseline"]), f"计划基准值（{row['baseline_year']}年）", row["target"]


def _cut_matrix(cuts: list[LinkCut], which: str) -> EmissionMatrix:
    tables = [getattr(c, which) for c in cuts]
    if not tables:
        return EmissionMatrix((), (), np.zeros((0, 0)))
    table = pa.concat_tables(tables)
    return EmissionMatrix.from_rows(
        table["category"].to_pylist(), table["pollutant"].to_pylist(), table["t"].to_numpy()
    )


def _round(value: float, digits: int = 3) -> float:
    """``value`` rounded, without a negative zero."""
    return round(value, digits) + 0.0


def _tonnes(cuts: list[LinkCut], which: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for cut in cuts:
        table = getattr(cut, which)
        for pollutant, tonnes in zip(
            table["pollutant"].to_pylist(), table["t"].to_pylist(), strict=True
        ):
            out[pollutant] = round(out.get(pollutant, 0.0) + tonnes, 3)
    return out


def measure_rows(cuts: list[LinkCut], response: ResponseMatrix) -> list[dict[str, Any]]:
    """A row per linked measure: tonnes and µg/m³ planned and achieved, cost, µg/m³ per 万元."""
    by_measure: dict[int, list[LinkCut]] = {}
    for cut in cuts:
        by_measure.setdefault(cut.link.measure.number, []).append(cut)
    rows = []
    for number, mine in by_measure.items():
        planned = -response.change(_cut_matrix(mine, "planned"))
        achieved = -response.change(_cut_matrix(mine, "achieved"))
        costs = [c.link.cost for c in mine if c.link.cost is not None]
        cost = sum(costs) if costs else None
        rows.append(
            {
                "measure": number,
                "title": mine[0].link.measure.title,
                "changes": [
                    {
                        "link_id": c.link.id,
                        "selector": c.link.selector,
                        "change_kind": c.link.change_kind,
                        "change_kind_zh": CHANGE_KIND_ZH[c.link.change_kind],
                        "removed_fraction": round(c.fraction, 4),
                        "done_share": round(c.done_share, 4),
                        "target": c.link.target.key if c.link.target else None,
                        "basis": c.link.basis,
                        "example": bool(c.link.example),
                    }
                    for c in mine
                ],
                "planned_tonnes": _tonnes(mine, "planned"),
                "achieved_tonnes": _tonnes(mine, "achieved"),
                "planned_ugm3": _round(planned, 3),
                "achieved_ugm3": _round(achieved, 3),
                "cost": cost,
                "ugm3_per_cost": round(planned / cost, 6) if cost else None,
                "example": any(c.link.example for c in mine),
            }
        )
    rows.sort(
        key=lambda r: (r["ugm3_per_cost"] is None, -(r["ugm3_per_cost"] or r["planned_ugm3"]))
    )
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows


def residual_needs(response: ResponseMatrix, planned: EmissionMatrix, gap: float) -> list[dict]:
    """For a gap [µg/m³] > 0: per inventory cell with a weight, the further tonnes and share of its
    remaining emission that alone would close it (smallest share first; above 100 %: cannot)."""
    if gap <= 0:
        return []
    removed = response.emissions.aligned(planned) if planned.categories else 0
    remaining = response.emissions.values - removed
    out = []
    for i, category in enumerate(response.emissions.categories):
        for j, pollutant in enumerate(response.emissions.pollutants):
            weight = response.weights[i, j]
            if weight <= 0 or remaining[i, j] <= 0:
                continue
            tonnes = gap / weight
            out.append(
                {
                    "category": category,
                    "pollutant": pollutant,
                    "tonnes": round(float(tonnes), 2),
                    "share_of_remaining": round(float(tonnes / remaining[i, j]), 4),
                    "possible": bool(tonnes <= remaining[i, j]),
                }
            )
    return sorted(out, key=lambda r: r["share_of_remaining"])


def _months(plan: Plan, month: str) -> list[str]:
    return months_between(plan.first_month, month) if month >= plan.first_month else []


def monthly_comparison(
    db: Session,
    actor: Actor,
    plan: Plan,
    inventory: pa.Table,
    response: ResponseMatrix,
    store: MeasurementStore,
    scope: Scope,
    month: str,
) -> list[dict[str, Any]]:
    """Each reporting month: the change the achieved cuts predict vs the observed change."""
    stored = sorted(store.manifest().partitions)
    last_stored = stored[-1] if stored else ""
    rows = []
    for each in _months(plan, month):
        predicted = response.change(
            _cut_matrix(link_cuts(db, actor, plan, inventory, each), "achieved")
        )
        observed = reference = None
        basis = None
        status = None
        if each <= last_stored:
            result = progress(store, scope, last_day(each))
            row = next((t for t in result["targets"] if t["pollutant"] == POLLUTANT), None)
            if row and row["ytd"] is not None:
                reference = row["previous_year_same_period"]
                basis = "去年同期"
                if reference is None:
                    reference, basis = row["baseline"], f"计划基准值（{row['baseline_year']}年）"
                observed = row["ytd"]
                status = row["status"]
        rows.append(
            {
                "month": each,
                "predicted_change": _round(predicted, 3),
                "observed_ytd": observed,
                "reference": reference,
                "reference_basis": basis,
                "observed_change": round(observed - reference, 3)
                if observed is not None and reference is not None
                else None,
                "status": status,
            }
        )
    return rows


def roadmap(
    db: Session,
    actor: Actor,
    plan: Plan,
    store: MeasurementStore,
    scope: Scope,
    inventory: pa.Table,
    target_year: int,
    *,
    base_year: int | None = None,
    target: float | None = None,
    month: str | None = None,
    apportionment: str | None = None,
    plan_file=None,
    monthly: bool = True,
) -> dict[str, Any]:
    """The roadmap document (module docstring): what the CLI, the page, the API and the report show."""
    require(actor, "plan.read")
    base_year = base_year or target_year - 1
    result = get_apportionment(db, scope.name, apportionment)
    if result is None:
        raise LedgerValueError(
            f"{scope.name} 尚无源解析结果：导入源解析（lantian plan apportionment import），"
            "或设定区域传输和二次组分比例（lantian plan apportionment state）",
            f"no apportionment result for {scope.name}: import one or state the fractions",
            "apportionment",
        )
    base, base_basis, plan_target = _base_concentration(store, scope, base_year, plan_file)
    target = float(target if target is not None else plan_target)
    response = response_of(result, inventory, base)
    month = month or min(month_of(beijing_today()), f"{target_year}-12", month_of(plan.end))
    cuts = link_cuts(db, actor, plan, inventory, month)
    rows = measure_rows(cuts, response)
    planned = _cut_matrix(cuts, "planned")
    planned_change = response.change(planned)
    achieved_change = response.change(_cut_matrix(cuts, "achieved"))
    after = base + planned_change
    gap = after - target
    example = bool(result.example) or any(c.link.example for c in cuts) or _example(inventory)
    return {
        "area": scope.name,
        "pollutant": POLLUTANT,
        "target_year": target_year,
        "base_year": base_year,
        "month": month,
        "target": target,
        "base_concentration": round(base, 1),
        "base_concentration_basis": base_basis,
        "cut_needed": round(max(base - target, 0.0), 2),
        "planned_change": _round(planned_change, 3),
        "achieved_change": _round(achieved_change, 3),
        "after_planned": round(after, 2),
        "after_achieved": round(base + achieved_change, 2),
        "residual_gap": round(max(gap, 0.0), 2),
        "attained_as_planned": gap <= 0,
        "summary_zh": _summary(scope.name, base, after, target, gap, len(rows), len(plan.measures)),
        "example": example,
        **basis_of(result, response),
        "measures": rows,
        "unlinked_measures": sorted(
            {m.number for m in plan.measures} - {r["measure"] for r in rows}
        ),
        "residual_needs": residual_needs(response, planned, gap)[:10],
        "monthly": monthly_comparison(db, actor, plan, inventory, response, store, scope, month)
        if monthly
        else [],
        "weather_normalised": False,
    }


def _example(inventory: pa.Table) -> bool:
    if "example" not in inventory.column_names or inventory.num_rows == 0:
        return False
    return bool(pc.any(inventory["example"]).as_py())


def _summary(area, base, after, target, gap, linked, measures) -> str:
    text = (
        f"{area}：{measures} 项措施中已关联清单的 {linked} 项如期完成，"
        f"PM2.5 由 {base:.1f} 降至 {after:.1f} µg/m³"
    )
    if gap <= 0:
        return text + f"，达到 {target:g} µg/m³ 的目标。"
    return (
        text + f"；距目标 {target:g} µg/m³ 尚差 {gap:.1f} µg/m³，需另行削减（见“缺口所需削减”）。"
    )


def plan_roadmap(
    db: Session,
    actor: Actor,
    plan: Plan,
    store: MeasurementStore,
    target_year: int | None = None,
    **options: Any,
) -> dict[str, Any]:
    """:func:`roadmap` of the plan's own area (``plan.scope``) for ``target_year`` (default: the
    plan's last year) on the inventory of the year before — what the page and the report show.
    Raises :class:`lantian.inventory.InventoryNotBuiltError` when that inventory is not built."""
    from lantian.assess.scope import ScopeError, resolve_scope
    from lantian.inventory import load

    target_year = target_year or plan.end.year
    try:
        scope = resolve_scope(store.stations(), area=plan.scope or "")
    except (ScopeError, KeyError) as error:
        raise LedgerValueError(
            f"计划范围“{plan.scope}”不是已定义的评价区域", str(error), "area"
        ) from error
    inventory = load(target_year - 1)
    return roadmap(db, actor, plan, store, scope, inventory, target_year, **options)


def report_roadmap(
    store: MeasurementStore, scope: Scope, month: str
) -> tuple[dict[str, Any] | None, str | None]:
    """The roadmap for the monthly report of ``month`` (the plan's final year as target year,
    achieved cuts as of ``month``, no monthly table): (document, None), or (None, why not)."""
    from lantian.inventory import InventoryNotBuiltError, load
    from lantian.plan.access import SYSTEM
    from lantian.plan.database import ledger_exists, open_ledger, transaction
    from lantian.plan.plans import get_plan

    if scope.kind != "area":
        return None, None
    if not ledger_exists():
        return None, "计划台账尚未建立，无法给出达标路线图（lantian plan load-example）。"
    try:
        engine = open_ledger()
    except (CommandError, SQLAlchemyError) as error:  # e.g. a ledger of another Lantian version
        return None, f"计划台账无法打开，未给出达标路线图：{error}"
    with transaction(engine) as db:
        try:
            plan = get_plan(db)
        except LedgerValueError:
            return None, "计划台账中没有计划，无法给出达标路线图。"
        target_year = plan.end.year
        try:
            inventory = load(target_year - 1)
            doc = roadmap(
                db, SYSTEM, plan, store, scope, inventory, target_year, month=month, monthly=False
            )
        except InventoryNotBuiltError as error:
            return None, f"无法给出达标路线图：{error}"
        except LedgerValueError as error:
            return None, f"无法给出达标路线图：{error.zh}"
    if not doc["measures"]:
        return None, "尚无措施关联排放清单（lantian plan links），无法测算措施的减排效果。"
    return doc, None
