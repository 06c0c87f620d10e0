"""Supervision by the five-step method (督查、交办、巡查、约谈、专项督察, 方案五（四）): the office
records each step aimed at a unit (optionally about a measure or task), with its finding and a
follow-up deadline, and closes it when the unit has remedied the finding.

A supervision item is a case of origin ``supervision`` (:mod:`lantian.cases`, one workflow for
every finding): recorded, it is dispatched to the unit at once with its step as the case's
``escalation``; the unit may answer it like any case; the office closes it from any open status.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from lantian.plan.access import Actor, require
from lantian.plan.errors import LedgerValueError, NotFoundError
from lantian.plan.models import Case, Measure, Plan, Task, Unit
from lantian.plan.vocabulary import code


def record_supervision(
    db: Session,
    actor: Actor,
    plan: Plan,
    step: str,
    unit: Unit,
    on: dt.date,
    finding: str,
    follow_up_deadline: dt.date | None = None,
    measure: Measure | None = None,
    task: Task | None = None,
) -> Case:
    """Record one supervision step (office): a case of origin ``supervision``, dispatched to ``unit``."""
    from lantian.cases import service

    require(actor, "supervision.record")
    step = code("step", step, "step")
    if not (finding or "").strip():
        raise LedgerValueError("须写明发现的问题", "a finding is required", "finding")
    if follow_up_deadline is not None and follow_up_deadline < on:
        raise LedgerValueError(
            "整改期限不能早于督办日期",
            "the follow-up deadline is before the date",
            "follow_up_deadline",
        )
    if not plan.start <= on <= plan.end:
        raise LedgerValueError("日期不在计划期内", "the date is outside the plan", "on")
    if measure is not None and measure.plan_id != plan.id:
        raise LedgerValueError("措施不属于该计划", "the measure is not the plan's", "measure")
    if task is not None and task.unit_id != unit.id:
        raise LedgerValueError("任务不属于该单位", "the task is not the unit's", "task")
    finding = finding.strip()
    case = service.open_case(
        db,
        actor,
        "supervision",
        finding[: service.MAX_TITLE],
        description=finding,
        unit=unit,
        plan=plan,
        measure=measure or (task.measure if task else None),
        task=task,
        escalation=step,
        opened_on=on,
    )
    return service.record_dispatch(db, actor, case, unit, follow_up_deadline, "")


def _supervision(db: Session, supervision_id: int) -> Case:
    case = db.get(Case, supervision_id)
    if case is None or case.origin != "supervision":
        raise NotFoundError(
            f"没有督办记录 {supervision_id}", f"no supervision {supervision_id}", "supervision_id"
        )
    return case


def close_supervision(
    db: Session, actor: Actor, supervision_id: int, closed_on: dt.date, closure: str
) -> Case:
    """Close a supervision step: the finding has been remedied (office)."""
    from lantian.cases import service

    require(actor, "supervision.record")
    case = _supervision(db, supervision_id)
    if case.closed_on is not None:
        raise LedgerValueError("该督办已办结", "already closed", "closed_on")
    if closed_on < case.opened_on:
        raise LedgerValueError("办结日期早于督办日期", "closed before it was opened", "closed_on")
    if not (closure or "").strip():
        raise LedgerValueError("须写明整改情况", "a closure note is required", "closure")
    return service.close(db, actor, case.id, closure, closed_on)


def plan_supervisions(db: Session, plan: Plan) -> list[Case]:
    """Every supervision step of ``plan`` (cases of origin ``supervision``), by date, with its
    unit and measure loaded."""
    query = (
        select(Case)
        .where(Case.plan_id == plan.id, Case.origin == "supervision")
        .order_by(Case.opened_on, Case.id)
        .options(joinedload(Case.unit), joinedload(Case.measure))
    )
    return list(db.scalars(query))
