"""Builders shared by the ledger pages' tests: the seeded ledger's objects, what it stores."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import Engine, func, select

from lantian.plan.auth import actor_of
from lantian.plan.database import transaction
from lantian.plan.models import (
    Assessment,
    AuditEntry,
    Case,
    Evidence,
    LoginSession,
    MonthLock,
    Report,
    Task,
    Unit,
    User,
)
from lantian.plan.plans import get_plan, get_unit
from lantian.plan.reports import file_report, lock_month
from lantian.plan.supervision import record_supervision
from lantian.plan.vocabulary import COLUMNS
from lantian.plan.xlsx import REPORT_COLUMNS

MONTH = "2019-05"
"""The reporting month the tests file in (inside the model plan, 2019-02 … 2020-12)."""
LOCKED_MONTH = "2019-04"


def general_task(engine: Engine, unit: str) -> int:
    """The id of ``unit``'s first task without a quantified target."""
    with transaction(engine) as db:
        tasks = db.scalars(
            select(Task).join(Unit).where(Unit.name == unit, Task.target_id.is_(None))
        )
        return min(task.id for task in tasks)


def actor(db, name: str):
    return actor_of(db.scalar(select(User).where(User.name == name)))


def prepare(engine: Engine) -> dict[str, int]:
    """A report of 区环保局 for :data:`MONTH`, :data:`LOCKED_MONTH` locked, an open supervision."""
    task_id = general_task(engine, "区环保局")
    with transaction(engine) as db:
        plan = get_plan(db)
        report = file_report(db, actor(db, "hb"), task_id, MONTH, "in_progress", narrative="推进")
        lock_month(db, actor(db, "office"), plan, LOCKED_MONTH)
        action = record_supervision(
            db,
            actor(db, "office"),
            plan,
            "assign",
            get_unit(db, "区住建局"),
            dt.date(2019, 5, 10),
            "道路扬尘",
            dt.date(2019, 6, 10),
        )
        return {"task_id": task_id, "report_id": report.id, "supervision_id": action.id}


def stored(engine: Engine, home: Path) -> dict[str, object]:
    """Everything a write could change: row counts, closed supervision, the evidence files."""
    with transaction(engine) as db:
        counts = {
            model.__tablename__: db.scalar(select(func.count()).select_from(model))
            for model in (Report, Evidence, MonthLock, Case, Assessment, AuditEntry)
        }
        counts["closed"] = db.scalar(
            select(func.count()).select_from(Case).where(Case.closed_on.isnot(None))
        )
        counts["reviewed"] = db.scalar(
            select(func.count()).select_from(Report).where(Report.review_status != "submitted")
        )
        counts["sessions"] = db.scalar(select(func.count()).select_from(LoginSession))
    folder = home / "evidence"
    counts["files"] = sorted(p.name for p in folder.rglob("*") if p.is_file())
    return counts


def report_workbook(task_id: int, unit: str, month: str = MONTH) -> bytes:
    """A filled monthly-report template with one row: task ``task_id`` in progress."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "月度进展"
    sheet.append([COLUMNS[key] for key in REPORT_COLUMNS])
    row = {"task_id": task_id, "month": month, "unit": unit, "status": "推进中"}
    row["narrative"] = "按模板报送"
    sheet.append([row.get(key) for key in REPORT_COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
