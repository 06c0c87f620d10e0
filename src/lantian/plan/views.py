"""The ledger's views as plain data (lists of dicts, JSON-ready): what the web pages, the xlsx export
and the CLI show. Each view checks the reader's permission first.

* :func:`ledger` — a row per task with its latest report and red/amber/green (:mod:`.status`);
* :func:`unit_page` — one unit's tasks, reports, supervision and open follow-ups;
* :func:`overdue` — tasks past deadline, milestones past due, follow-ups past deadline, missing reports;
* :func:`month_summary` — the month at a glance, for the monthly joint meeting (联席会议);
* :func:`assessment_table` — the year-end score of each unit (:mod:`.scoring`).

``month`` is the reporting month ``YYYY-MM``: a view of month M reads the reports up to M and judges
deadlines on ``as_of``, by default the last day of M.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from lantian.plan.access import Actor, require
from lantian.plan.models import Case, Measure, MeasureUnit, Plan, Report, Task, Unit
from lantian.plan.months import due_date, last_day, month_of, months_between, previous_month
from lantian.plan.plans import plan_tasks
from lantian.plan.reports import filing_times, is_locked, latest_reports
from lantian.plan.rules import scoring_rules
from lantian.plan.status import TaskFacts, achieved_share, rag, target_met
from lantian.plan.supervision import plan_supervisions
from lantian.plan.vocabulary import name_zh
from lantian.times import beijing_today


@dataclass(frozen=True)
class Context:
    """Everything a view of ``plan`` at ``month``/``as_of`` reads, loaded once."""

    plan: Plan
    month: str
    as_of: dt.date
    rules: dict
    tasks: list[Task]
    latest: dict[int, Report]
    filed: set[tuple[int, str]]


def load_context(
    db: Session, plan: Plan, month: str | None = None, as_of: dt.date | None = None
) -> Context:
    """Load ``plan``'s tasks and reports for a view of ``month`` (default: the month of today)."""
    month = month or month_of(as_of or beijing_today())
    as_of = as_of or last_day(month)
    return Context(
        plan=plan,
        month=month,
        as_of=as_of,
        rules=scoring_rules(db, plan.scoring_rule),
        tasks=plan_tasks(db, plan),
        latest=latest_reports(db, plan, month),
        filed=set(filing_times(db, plan, month)),
    )


def last_due_month(ctx: Context) -> str | None:
    """The latest month whose report was due on or before ``as_of`` (``None`` before the first)."""
    month = previous_month(month_of(ctx.as_of))
    if due_date(month, ctx.rules["reporting"]["report_due_day"]) > ctx.as_of:
        month = previous_month(month)
    return month if month >= ctx.plan.first_month else None


def _report_missing(ctx: Context, task: Task) -> bool:
    due = last_due_month(ctx)
    if due is None or (task.start is not None and due < month_of(task.start)):
        return False
    return (task.id, due) not in ctx.filed


def task_facts(ctx: Context, task: Task) -> TaskFacts:
    """The facts :func:`lantian.plan.status.rag` judges a task on."""
    report = ctx.latest.get(task.id)
    overdue = sum(1 for m in task.milestones if m.done_on is None and m.due < ctx.as_of)
    return TaskFacts(
        start=task.start or ctx.plan.start,
        deadline=task.deadline,
        comparison=task.target.comparison if task.target else None,
        target_value=task.target_value,
        quantity=report.quantity if report else None,
        status=report.status if report else None,
        milestones_overdue=overdue,
        report_missing=_report_missing(ctx, task),
    )


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def ledger_row(ctx: Context, task: Task) -> dict:
    """One task's row of the ledger."""
    facts = task_facts(ctx, task)
    colour, reason = rag(facts, ctx.as_of, ctx.rules["rag"])
    report = ctx.latest.get(task.id)
    share = achieved_share(facts)
    return {
        "task_id": task.id,
        "measure": task.measure.number,
        "category": task.measure.category.title,
        "measure_title": task.measure.title,
        "unit": task.unit.name,
        "role": name_zh("unit_role", task.role),
        "title": task.title,
        "comparison": facts.comparison,
        "target_value": task.target_value,
        "quantity_unit": task.target.quantity_unit if task.target else None,
        "deadline": _iso(task.deadline),
        "month": report.month if report else None,
        "status": name_zh("status", report.status) if report else "未报送",
        "quantity": facts.quantity,
        "progress": round(share, 4) if share is not None else None,
        "review_status": name_zh("review_status", report.review_status) if report else None,
        "rag": colour,
        "rag_reason": reason,
        "milestones_overdue": facts.milestones_overdue,
        "report_missing": facts.report_missing,
    }


def ledger(
    db: Session, actor: Actor, plan: Plan, month: str | None = None, as_of: dt.date | None = None
) -> list[dict]:
    """The ledger (台账): a row per task, by measure number (office and leaders)."""
    require(actor, "ledger.read")
    ctx = load_context(db, plan, month, as_of)
    return [ledger_row(ctx, task) for task in ctx.tasks]


def measures(db: Session, actor: Actor, plan: Plan) -> list[dict]:
    """The plan's measures with their units and quantified targets (anyone with a role)."""
    require(actor, "plan.read")
    rows = []
    query = (
        select(Measure)
        .where(Measure.plan_id == plan.id)
        .order_by(Measure.number)
        .options(
            joinedload(Measure.category),
            selectinload(Measure.links).joinedload(MeasureUnit.unit),
            selectinload(Measure.targets),
        )
    )
    for measure in db.scalars(query):
        units = {role: [] for role in ("lead", "cooperate", "implement", "participate")}
        for link in measure.links:
            units[link.role].append(link.unit.name)
        rows.append(
            {
                "number": measure.number,
                "category": measure.category.number,
                "category_title": measure.category.title,
                "title": measure.title,
                "content": measure.content,
                **units,
                "units_as_written": measure.units_as_written,
                "targets": [
                    {
                        "key": t.key,
                        "indicator": t.indicator,
                        "comparison": t.comparison,
                        "value": t.value,
                        "quantity_unit": t.quantity_unit,
                        "start": _iso(t.start),
                        "deadline": _iso(t.deadline),
                        "quote": t.quote,
                    }
                    for t in measure.targets
                ],
            }
        )
    return rows


def _supervision_row(action: Case, as_of: dt.date) -> dict:
    open_past = action.closed_on is None and action.deadline is not None and action.deadline < as_of
    return {
        "supervision_id": action.id,
        "step": name_zh("step", action.escalation),
        "unit": action.unit.name,
        "measure": action.measure.number if action.measure else None,
        "on": action.opened_on.isoformat(),
        "finding": action.description,
        "follow_up_deadline": _iso(action.deadline),
        "closed_on": _iso(action.closed_on),
        "closure": action.closure,
        "overdue": open_past,
    }


def unit_page(
    db: Session,
    actor: Actor,
    plan: Plan,
    unit: Unit,
    month: str | None = None,
    as_of: dt.date | None = None,
) -> dict:
    """One unit's page: its tasks (ledger rows), reports, supervision (its reporter, office, leaders)."""
    require(actor, "unit.read", unit_id=unit.id)
    ctx = load_context(db, plan, month, as_of)
    tasks = [task for task in ctx.tasks if task.unit_id == unit.id]
    reports = db.scalars(
        select(Report)
        .where(Report.task_id.in_([task.id for task in tasks]), Report.month <= ctx.month)
        .order_by(Report.month.desc(), Report.task_id)
        .options(selectinload(Report.evidence))
    )
    actions = [a for a in plan_supervisions(db, plan) if a.unit_id == unit.id]
    return {
        "unit": unit.name,
        "kind": name_zh("unit_kind", unit.kind),
        "month": ctx.month,
        "locked": is_locked(db, plan.id, ctx.month),
        "tasks": [ledger_row(ctx, task) for task in tasks],
        "reports": [
            {
                "report_id": r.id,
                "task_id": r.task_id,
                "month": r.month,
                "status": name_zh("status", r.status),
                "quantity": r.quantity,
                "narrative": r.narrative,
                "review_status": name_zh("review_status", r.review_status),
                "review_comment": r.review_comment,
                "evidence": [
                    {
                        "evidence_id": e.id,
                        "filename": e.filename,
                        "size": e.size,
                        "sha256": e.sha256,
                    }
                    for e in r.evidence
                ],
            }
            for r in reports
        ],
        "supervision": [_supervision_row(a, ctx.as_of) for a in actions],
    }


def _overdue_tasks(ctx: Context) -> list[dict]:
    rows = []
    for task in ctx.tasks:
        report = ctx.latest.get(task.id)
        done = (
            report is not None
            and report.status == "completed"
            and target_met(
                task.target.comparison if task.target else None, task.target_value, report.quantity
            )
        )
        if task.deadline is not None and task.deadline < ctx.as_of and not done:
            rows.append(
                _overdue_row(
                    "task",
                    task.unit.name,
                    task.measure.number,
                    task.title,
                    task.deadline,
                    ctx.as_of,
                )
            )
        for milestone in task.milestones:
            if milestone.done_on is None and milestone.due < ctx.as_of:
                rows.append(
                    _overdue_row(
                        "milestone",
                        task.unit.name,
                        task.measure.number,
                        f"{task.title}：{milestone.title}",
                        milestone.due,
                        ctx.as_of,
                    )
                )
    return rows


def _overdue_row(
    kind: str, unit: str, measure: int | None, item: str, due: dt.date, as_of: dt.date
) -> dict:
    return {
        "kind": kind,
        "kind_zh": OVERDUE_KINDS[kind],
        "unit": unit,
        "measure": measure,
        "item": item,
        "due": due.isoformat(),
        "days_overdue": (as_of - due).days,
    }


OVERDUE_KINDS = {
    "task": "任务超期",
    "milestone": "节点逾期",
    "follow_up": "督办整改逾期",
    "report": "进展未报送",
}


def _missing_reports(ctx: Context) -> list[dict]:
    due_month = last_due_month(ctx)
    if due_month is None:
        return []
    missing = Counter(task.unit.name for task in ctx.tasks if _report_missing(ctx, task))
    due = due_date(due_month, ctx.rules["reporting"]["report_due_day"])
    return [
        _overdue_row(
            "report", unit, None, f"{due_month} 有 {count} 项任务进展未报送", due, ctx.as_of
        )
        for unit, count in sorted(missing.items())
    ]


def overdue(
    db: Session, actor: Actor, plan: Plan, month: str | None = None, as_of: dt.date | None = None
) -> list[dict]:
    """Everything overdue on ``as_of``, longest overdue first (office and leaders)."""
    require(actor, "ledger.read")
    ctx = load_context(db, plan, month, as_of)
    rows = _overdue_tasks(ctx) + _missing_reports(ctx)
    for action in plan_supervisions(db, plan):
        row = _supervision_row(action, ctx.as_of)
        if row["overdue"]:
            rows.append(
                _overdue_row(
                    "follow_up",
                    action.unit.name,
                    row["measure"],
                    f"{row['step']}：{action.description}",
                    action.deadline,
                    ctx.as_of,
                )
            )
    return sorted(rows, key=lambda r: (-r["days_overdue"], r["unit"], r["item"]))


def month_summary(db: Session, actor: Actor, plan: Plan, month: str) -> dict:
    """The month for the joint meeting: reports filed and missing by unit, colours, supervision."""
    require(actor, "ledger.read")
    ctx = load_context(db, plan, month)
    rows = [ledger_row(ctx, task) for task in ctx.tasks]
    month_reports = [r for t in ctx.tasks if (r := ctx.latest.get(t.id)) and r.month == month]
    units = {}
    for task, row in zip(ctx.tasks, rows, strict=True):
        entry = units.setdefault(task.unit.name, Counter())
        entry["tasks"] += 1
        entry["filed"] += (task.id, month) in ctx.filed
        entry[row["rag"]] += 1
    actions = [a for a in plan_supervisions(db, plan) if month_of(a.opened_on) == month]
    return {
        "plan": plan.code,
        "month": month,
        "as_of": ctx.as_of.isoformat(),
        "locked": is_locked(db, plan.id, month),
        "tasks": len(ctx.tasks),
        "reports_filed": len(month_reports),
        "by_status": dict(Counter(name_zh("status", r.status) for r in month_reports)),
        "by_review": dict(
            Counter(name_zh("review_status", r.review_status) for r in month_reports)
        ),
        "rag": {
            colour: sum(r["rag"] == colour for r in rows) for colour in ("red", "amber", "green")
        },
        "units": [
            {
                "unit": name,
                "tasks": c["tasks"],
                "filed": c["filed"],
                "missing": c["tasks"] - c["filed"],
                "red": c["red"],
                "amber": c["amber"],
                "green": c["green"],
            }
            for name, c in sorted(units.items(), key=lambda item: (-item[1]["red"], item[0]))
        ],
        "red_tasks": [r for r in rows if r["rag"] == "red"],
        "supervision": [_supervision_row(a, ctx.as_of) for a in actions],
        "supervision_by_step": dict(Counter(name_zh("step", a.escalation) for a in actions)),
    }


def report_months(plan: Plan, year: int, as_of: dt.date, due_day: int) -> list[str]:
    """The months of ``year`` in the plan whose reports were due by ``as_of``."""
    first = max(plan.first_month, f"{year}-01")
    last = min(month_of(plan.end), f"{year}-12")
    return [m for m in months_between(first, last) if due_date(m, due_day) <= as_of]
