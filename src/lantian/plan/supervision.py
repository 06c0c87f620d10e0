"""Supervision by the five-step method (督查、交办、巡查、约谈、专项督察, 方案五（四）): the office
records each step aimed at a unit (optionally about a measure or task), with its finding and a
follow-up deadline, and closes it when the unit has remedied the finding.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from lantian.plan.access import Actor, require
from lantian.plan.audit import act
from lantian.plan.errors import LedgerValueError, NotFoundError
from lantian.plan.models import Measure, Plan, Supervision, Task, Unit
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
) -> Supervision:
    """Record one supervision step (office)."""
    require(actor, "supervision.record")
    act(db, actor)
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
    action = Supervision(
        plan_id=plan.id,
        step=step,
        unit=unit,
        measure=measure or (task.measure if task else None),
        task_id=task.id if task else None,
        on=on,
        finding=finding.strip(),
        follow_up_deadline=follow_up_deadline,
        recorded_by=actor.id,
    )
    db.add(action)
    db.flush()
    return action


def close_supervision(
    db: Session, actor: Actor, supervision_id: int, closed_on: dt.date, closure: str
) -> Supervision:
    """Close a supervision step: the finding has been remedied (office)."""
    require(actor, "supervision.record")
    act(db, actor)
    action = db.get(Supervision, supervision_id)
    if action is None:
        raise NotFoundError(
            f"没有督办记录 {supervision_id}", f"no supervision {supervision_id}", "supervision_id"
        )
    if action.closed_on is not None:
        raise LedgerValueError("该督办已办结", "already closed", "closed_on")
    if closed_on < action.on:
        raise LedgerValueError("办结日期早于督办日期", "closed before it was opened", "closed_on")
    if not (closure or "").strip():
        raise LedgerValueError("须写明整改情况", "a closure note is required", "closure")
    action.closed_on, action.closure = closed_on, closure.strip()
    db.flush()
    return action


def plan_supervisions(db: Session, plan: Plan) -> list[Supervision]:
    """Every supervision step of ``plan``, by date, with its unit and measure loaded."""
    query = (
        select(Supervision)
        .where(Supervision.plan_id == plan.id)
        .order_by(Supervision.on, Supervision.id)
        .options(joinedload(Supervision.unit), joinedload(Supervision.measure))
    )
    return list(db.scalars(query))
