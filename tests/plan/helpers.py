"""Small builders shared by the ledger's tests."""

from __future__ import annotations

import copy
import datetime as dt
import io

from openpyxl import Workbook
from sqlalchemy import func, select

from lantian.plan.access import Actor
from lantian.plan.audit import act
from lantian.plan.models import (
    AuditEntry,
    Case,
    Evidence,
    Measure,
    Milestone,
    Plan,
    Report,
    Task,
    Unit,
)
from lantian.plan.plans import example_plan_data, plan_tasks
from lantian.plan.vocabulary import COLUMNS
from lantian.plan.xlsx import REPORT_COLUMNS

NOW = dt.datetime(2019, 12, 20, 2, 0, tzinfo=dt.UTC)
"""A moment inside the plan (2019-12-20 10:00 Beijing) for services that check “not in the future”."""


def task_of(db, unit: str, measure: int, target_key: str | None = None) -> Task:
    """The task of ``unit`` on measure ``measure`` (for its target ``target_key``, if given)."""
    tasks = db.scalars(
        select(Task).join(Measure).join(Unit).where(Unit.name == unit, Measure.number == measure)
    ).all()
    for task in tasks:
        if (task.target.key if task.target else None) == target_key:
            return task
    raise LookupError((unit, measure, target_key))


def audit_count(db) -> int:
    return db.scalar(select(func.count(AuditEntry.id)))


def report_workbook(rows: list[dict], header: list[str] | None = None) -> bytes:
    """A filled monthly-report template: ``rows`` of field → value under the template's headers."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "月度进展"
    keys = list(REPORT_COLUMNS)
    sheet.append(header or [COLUMNS[key] for key in keys])
    for row in rows:
        sheet.append([row.get(key) for key in keys])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def doubled_plan_data() -> dict:
    """The model plan with every measure twice (the copy numbered 100 higher): 54 measures."""
    data = copy.deepcopy(example_plan_data())
    data["plan"]["code"] += "-doubled"
    data["measures"] += [{**m, "number": m["number"] + 100} for m in data["measures"]]
    return data


def add_work(db, actor: Actor, plan: Plan, months: list[str]) -> None:
    """A report on every task of ``plan`` for each of ``months`` (evidence on every other one), a
    milestone on every quantified task and a supervision step a month, written directly."""
    act(db, actor)
    tasks = plan_tasks(db, plan)
    for task in tasks:
        if task.target_value is not None:
            db.add(Milestone(task_id=task.id, title="过半", due=dt.date(2019, 3, 31)))
        for index, month in enumerate(months):
            report = Report(
                task_id=task.id,
                month=month,
                status="in_progress",
                quantity=task.target_value / 2 if task.target_value is not None else None,
                submitted_by=actor.id,
            )
            if (task.id + index) % 2:
                report.evidence.append(
                    Evidence(filename="台账.pdf", sha256="0" * 64, size=1, uploaded_by=actor.id)
                )
            db.add(report)
    for index, month in enumerate(months):
        task = tasks[index * 7 % len(tasks)]
        on = dt.date(int(month[:4]), int(month[5:]), 10)
        db.add(
            Case(
                origin="supervision",
                plan_id=plan.id,
                escalation="assign",
                status="dispatched",
                unit_id=task.unit_id,
                measure_id=task.measure_id,
                opened_on=on,
                title="台账不全",
                description="台账不全",
                deadline=on + dt.timedelta(days=10),
                opened_by=actor.id,
            )
        )
    db.flush()
