"""Monthly progress reports (月度进展): filed by a unit's reporter on each of the unit's tasks, with
evidence files; reviewed by the office, which then locks the month.

Rules: a reporter files and edits only reports on their own unit's tasks, only for months from the
plan's first month up to the current one, and only while the month is unlocked; the office reviews
(accepts or returns) while the month is unlocked, and locks or unlocks it. ``quantity`` is the
cumulative amount achieved by the end of the month, in the task's target ``quantity_unit``.
Evidence files are stored under ``LANTIAN_HOME/evidence/<sha256[:2]>/<sha256>`` (content
addressed: the same file is stored once); the ledger keeps the name, size and hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import tempfile
from pathlib import Path, PurePath

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from lantian.plan.access import Actor, require
from lantian.plan.audit import act
from lantian.plan.errors import LedgerValueError, MonthLockedError, NotFoundError
from lantian.plan.models import Case, Evidence, Measure, MonthLock, Plan, Report, Task
from lantian.plan.months import month_of, parse_month
from lantian.plan.plans import get_task
from lantian.plan.vocabulary import code
from lantian.settings import settings
from lantian.times import beijing_date, utc_now

MAX_NARRATIVE = 4000
"""Characters of a report's narrative."""
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
EVIDENCE_SUFFIXES = frozenset(
    {".pdf", ".jpg", ".jpeg", ".png", ".doc", ".docx", ".xls", ".xlsx", ".txt", ".zip"}
)


def evidence_root() -> Path:
    """Where evidence files are kept: ``LANTIAN_HOME/evidence``."""
    return settings().home / "evidence"


def is_locked(db: Session, plan_id: int, month: str) -> bool:
    """Whether ``month`` of plan ``plan_id`` is locked."""
    found = db.scalar(
        select(MonthLock.id).where(MonthLock.plan_id == plan_id, MonthLock.month == month)
    )
    return found is not None


def locked_months(db: Session, plan_id: int) -> set[str]:
    """The locked months of plan ``plan_id``."""
    return set(db.scalars(select(MonthLock.month).where(MonthLock.plan_id == plan_id)))


def _require_unlocked(db: Session, plan_id: int, month: str) -> None:
    if is_locked(db, plan_id, month):
        raise MonthLockedError(
            f"{month} 已锁定，不能再填报、修改或审核", f"{month} is locked", "month"
        )


def _check_month(plan: Plan, month: str, today: dt.date) -> str:
    month = parse_month(month)
    if month < plan.first_month or month > month_of(plan.end):
        raise LedgerValueError(
            f"{month} 不在计划期内（{plan.first_month} 至 {month_of(plan.end)}）",
            f"{month} is outside the plan ({plan.first_month} to {month_of(plan.end)})",
            "month",
        )
    if month > month_of(today):
        raise LedgerValueError(
            f"不能填报未来月份 {month}", f"cannot report on a future month {month}", "month"
        )
    return month


def _check_values(task: Task, quantity: float | None, narrative: str) -> None:
    if quantity is not None:
        if isinstance(quantity, bool) or not isinstance(quantity, int | float):
            raise LedgerValueError(
                "累计完成量应为数值", "the quantity must be a number", "quantity"
            )
        if not math.isfinite(quantity) or quantity < 0:
            raise LedgerValueError("累计完成量应为非负数", "the quantity must be ≥ 0", "quantity")
        if task.target_value is None and task.target is None:
            raise LedgerValueError(
                "该任务没有量化目标，不填完成量",
                "this task has no quantified target: leave the quantity empty",
                "quantity",
            )
    if len(narrative) > MAX_NARRATIVE:
        raise LedgerValueError(
            f"进展情况不超过 {MAX_NARRATIVE} 字", f"at most {MAX_NARRATIVE} characters", "narrative"
        )


def check_quantity_unit(task: Task, quantity_unit: str | None) -> None:
    """Refuse a quantity given in another unit of measurement than the task's target."""
    if quantity_unit in (None, "") or task.target is None:
        return
    if quantity_unit.strip() != task.target.quantity_unit:
        raise LedgerValueError(
            f"计量单位应为“{task.target.quantity_unit}”，不是“{quantity_unit}”",
            f"the quantity is in {task.target.quantity_unit!r}, not {quantity_unit!r}",
            "quantity_unit",
        )


def file_report(
    db: Session,
    actor: Actor,
    task_id: int,
    month: str,
    status: str,
    quantity: float | None = None,
    narrative: str = "",
    quantity_unit: str | None = None,
    now: dt.datetime | None = None,
) -> Report:
    """File (or, if filed, replace) the report of ``task_id`` for ``month`` (the unit's reporter)."""
    task = get_task(db, task_id)
    require(actor, "report.file", unit_id=task.unit_id)
    act(db, actor)
    plan = task.measure.plan
    now = now or utc_now()
    month = _check_month(plan, month, beijing_date(now))
    _require_unlocked(db, plan.id, month)
    status = code("status", status, "status")
    check_quantity_unit(task, quantity_unit)
    _check_values(task, quantity, narrative or "")
    report = db.scalar(select(Report).where(Report.task_id == task.id, Report.month == month))
    if report is None:
        report = Report(task=task, month=month, submitted_by=actor.id, submitted_at=now)
        db.add(report)
    report.status, report.quantity, report.narrative = status, quantity, narrative or ""
    report.updated_at, report.review_status = now, "submitted"
    report.reviewed_by = report.reviewed_at = report.review_comment = None
    db.flush()
    return report


def get_report(db: Session, report_id: int) -> Report:
    """Report ``report_id``."""
    report = db.get(Report, report_id)
    if report is None:
        raise NotFoundError(f"没有报告 {report_id}", f"no report {report_id}", "report_id")
    return report


def update_report(db: Session, actor: Actor, report_id: int, **changes) -> Report:
    """Edit a filed report's ``status``, ``quantity`` or ``narrative`` (its unit's reporter)."""
    report = get_report(db, report_id)
    unknown = set(changes) - {"status", "quantity", "narrative", "quantity_unit", "now"}
    if unknown:
        field = sorted(unknown)[0]
        raise LedgerValueError("不能修改该字段", f"cannot change {field!r}", field)
    values = {"status": report.status, "quantity": report.quantity, "narrative": report.narrative}
    values.update(changes)
    return file_report(db, actor, report.task_id, report.month, **values)


def attach_evidence(
    db: Session, actor: Actor, report_id: int, filename: str, content: bytes
) -> Evidence:
    """Store an evidence file for a report and record it (the report's unit's reporter)."""
    report = get_report(db, report_id)
    require(actor, "report.file", unit_id=report.task.unit_id)
    act(db, actor)
    _require_unlocked(db, report.task.measure.plan_id, report.month)
    evidence = store_evidence(actor, filename, content)
    evidence.report_id = report.id
    db.add(evidence)
    db.flush()
    return evidence


def store_evidence(actor: Actor, filename: str, content: bytes) -> Evidence:
    """Check an evidence file (kind by its name's suffix, size), store it by its SHA-256 and give
    its (not yet added) :class:`Evidence` row — for a report or a case (:mod:`lantian.cases`)."""
    name = PurePath(filename.replace("\\", "/")).name.strip()
    if not name or Path(name).suffix.lower() not in EVIDENCE_SUFFIXES:
        raise LedgerValueError(
            f"证明材料类型应为 {'、'.join(sorted(EVIDENCE_SUFFIXES))}",
            f"evidence must be one of {sorted(EVIDENCE_SUFFIXES)}",
            "filename",
        )
    if not content or len(content) > MAX_EVIDENCE_BYTES:
        raise LedgerValueError(
            f"证明材料应非空且不超过 {MAX_EVIDENCE_BYTES // 2**20} MB",
            f"evidence must be non-empty and at most {MAX_EVIDENCE_BYTES // 2**20} MB",
            "content",
        )
    digest = hashlib.sha256(content).hexdigest()
    _store_file(digest, content)
    return Evidence(filename=name[:255], sha256=digest, size=len(content), uploaded_by=actor.id)


def _store_file(digest: str, content: bytes) -> Path:
    path = evidence_root() / digest[:2] / digest
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
        handle.write(content)
    os.replace(handle.name, path)
    return path


def evidence_unit(db: Session, evidence: Evidence) -> int | None:
    """The unit whose data an evidence file is: its report's task's unit, or its case's unit."""
    if evidence.report_id is not None:
        return get_report(db, evidence.report_id).task.unit_id
    case = db.get(Case, evidence.case_id)
    return case.unit_id if case is not None else None


def read_evidence(db: Session, actor: Actor, evidence_id: int) -> tuple[str, bytes]:
    """The file name and content of an evidence file, checked against its recorded hash (whoever
    may read its report's unit, or its case)."""
    evidence = db.get(Evidence, evidence_id)
    if evidence is None:
        raise NotFoundError(f"没有证明材料 {evidence_id}", f"no evidence {evidence_id}", "evidence")
    action = "unit.read" if evidence.report_id is not None else "case.read"
    require(actor, action, unit_id=evidence_unit(db, evidence))
    content = (evidence_root() / evidence.sha256[:2] / evidence.sha256).read_bytes()
    if hashlib.sha256(content).hexdigest() != evidence.sha256:
        raise LedgerValueError(
            "证明材料文件与登记的哈希不符（文件被改动）",
            "the evidence file does not match its recorded hash",
            "evidence",
        )
    return evidence.filename, content


def review_report(
    db: Session, actor: Actor, report_id: int, decision: str, comment: str | None = None
) -> Report:
    """Accept (``accepted``) or return (``returned``) a report (office), while the month is open."""
    require(actor, "report.review")
    act(db, actor)
    report = get_report(db, report_id)
    _require_unlocked(db, report.task.measure.plan_id, report.month)
    decision = code("review_status", decision, "decision")
    if decision == "submitted":
        raise LedgerValueError("审核结论应为已审核或已退回", "accepted or returned", "decision")
    if decision == "returned" and not (comment or "").strip():
        raise LedgerValueError("退回须写明原因", "a returned report needs a comment", "comment")
    report.review_status, report.review_comment = decision, comment
    report.reviewed_by, report.reviewed_at = actor.id, utc_now()
    db.flush()
    return report


def lock_month(db: Session, actor: Actor, plan: Plan, month: str) -> MonthLock:
    """Lock ``month`` of ``plan`` (office): its reports become final."""
    require(actor, "month.lock")
    act(db, actor)
    month = parse_month(month)
    _require_unlocked(db, plan.id, month)
    lock = MonthLock(plan_id=plan.id, month=month, locked_by=actor.id)
    db.add(lock)
    db.flush()
    return lock


def unlock_month(db: Session, actor: Actor, plan: Plan, month: str) -> None:
    """Unlock ``month`` of ``plan`` (office), e.g. to let a unit correct a report; audited."""
    require(actor, "month.lock")
    act(db, actor)
    month = parse_month(month)
    lock = db.scalar(
        select(MonthLock).where(MonthLock.plan_id == plan.id, MonthLock.month == month)
    )
    if lock is None:
        raise LedgerValueError(f"{month} 未锁定", f"{month} is not locked", "month")
    db.delete(lock)
    db.flush()


def _of_plan(query: Select, plan: Plan, last_month: str | None) -> Select:
    query = query.join(Report.task).join(Task.measure).where(Measure.plan_id == plan.id)
    return query if last_month is None else query.where(Report.month <= last_month)


def filing_times(
    db: Session, plan: Plan, last_month: str | None = None
) -> dict[tuple[int, str], dt.datetime]:
    """When each report of ``plan`` (up to ``last_month``) was first filed:
    (``task_id``, ``month``) → ``submitted_at``."""
    query = _of_plan(select(Report.task_id, Report.month, Report.submitted_at), plan, last_month)
    return {(task_id, month): at for task_id, month, at in db.execute(query)}


def latest_reports(db: Session, plan: Plan, last_month: str) -> dict[int, Report]:
    """Each task's latest report up to ``last_month`` (tasks without one are left out), by task id."""
    latest = (
        _of_plan(select(Report.task_id, func.max(Report.month).label("month")), plan, last_month)
        .group_by(Report.task_id)
        .subquery()
    )
    query = select(Report).join(
        latest, (Report.task_id == latest.c.task_id) & (Report.month == latest.c.month)
    )
    return {report.task_id: report for report in db.scalars(query)}
