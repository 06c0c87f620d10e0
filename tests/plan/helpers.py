"""Small builders shared by the ledger's tests."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook
from sqlalchemy import func, select

from lantian.plan.models import AuditEntry, Measure, Task, Unit
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
