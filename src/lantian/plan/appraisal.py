"""Year-end appraisal of the responsible units (年度考核, 方案五（八）): each unit's facts for the
year, its score under the plan's scoring rules (:mod:`.scoring`), the office's recording of the
scores, and the table. (Not :mod:`lantian.assess.assessment`, the HJ 663 evaluation of the air.)

The year's facts are read on ``as_of``, by default the day December's reports are due (or today, if
earlier): reports due are the unit's task-months of the year whose due day has passed; on time
means filed (first filing, Beijing day) by the due day; task colours are the ledger's at the end of
December; supervision counts the steps aimed at the unit during the year — a supervision item's
step on its date, a case's escalation on the day it was escalated; cases (:mod:`lantian.cases`, any
origin) count as on time or overdue in the year of their deadline (answered — or, a supervision
item, closed — by it, or not), as repeats in the year they were opened.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.plan.access import Actor, require
from lantian.plan.audit import act
from lantian.plan.models import Assessment, Case, CaseStep, Plan, Task, Unit
from lantian.plan.months import due_date, month_of
from lantian.plan.reports import filing_times
from lantian.plan.rules import scoring_rules
from lantian.plan.scoring import UnitYear, score
from lantian.plan.status import rag, target_met
from lantian.plan.views import load_context, report_months, task_facts
from lantian.plan.vocabulary import name_zh
from lantian.standards import competition_rank
from lantian.times import beijing_date, beijing_today


def default_as_of(plan: Plan, year: int, db: Session) -> dt.date:
    """The day the year's December reports are due, or today if that is later than today."""
    due_day = scoring_rules(db, plan.scoring_rule)["reporting"]["report_due_day"]
    return min(due_date(f"{year}-12", due_day), beijing_today())


def _target_share(task: Task, quantity: float | None) -> float:
    comparison = task.target.comparison
    if comparison == ">=":
        return min((quantity or 0.0) / task.target_value, 1.0) if task.target_value else 1.0
    return (
        1.0 if quantity is not None and target_met(comparison, task.target_value, quantity) else 0.0
    )


def unit_years(db: Session, plan: Plan, year: int, as_of: dt.date) -> dict[Unit, UnitYear]:
    """Every unit's year, for the units that have tasks in ``plan``."""
    rules = scoring_rules(db, plan.scoring_rule)
    due_day = rules["reporting"]["report_due_day"]
    months = report_months(plan, year, as_of, due_day)
    year_end = min(as_of, dt.date(year, 12, 31))
    ctx = load_context(db, plan, month_of(year_end), year_end)
    filed = {key: beijing_date(at) for key, at in filing_times(db, plan, f"{year}-12").items()}
    by_unit: dict[Unit, list[Task]] = {}
    for task in ctx.tasks:
        by_unit.setdefault(task.unit, []).append(task)
    cases = case_counts(db, [unit.id for unit in by_unit], year, as_of)
    years = {}
    for unit, tasks in by_unit.items():
        due = [
            (t.id, m) for t in tasks for m in months if t.start is None or m >= month_of(t.start)
        ]
        facts = [task_facts(ctx, t) for t in tasks]
        years[unit] = UnitYear(
            reports_due=len(due),
            reports_on_time=sum(
                key in filed and filed[key] <= due_date(key[1], due_day) for key in due
            ),
            task_colours=[rag(f, ctx.as_of, rules["rag"])[0] for f in facts],
            target_shares=[
                _target_share(t, f.quantity)
                for t, f in zip(tasks, facts, strict=True)
                if t.target is not None
            ],
            **cases[unit.id],
        )
    return years


def case_counts(db: Session, unit_ids: list[int], year: int, as_of: dt.date) -> dict[int, dict]:
    """Each unit's supervision steps of ``year`` (by step) and its cases on time, overdue and
    repeated (:func:`lantian.cases.rules.handled_in_time`) judged on ``as_of``, by unit id — in one
    statement however many units and cases there are."""
    from lantian.cases.rules import handled_in_time

    rows = db.execute(
        select(Case, CaseStep.escalation, CaseStep.at)
        .outerjoin(CaseStep, (CaseStep.case_id == Case.id) & (CaseStep.action == "escalate"))
        .where(Case.unit_id.in_(unit_ids))
    ).all()
    cases = list({case.id: case for case, _, _ in rows}.values())
    escalations = [(c.unit_id, step, at) for c, step, at in rows if step is not None]
    counts = {}
    for unit_id in unit_ids:
        mine = [c for c in cases if c.unit_id == unit_id]
        steps = Counter(
            c.escalation for c in mine if c.origin == "supervision" and c.opened_on.year == year
        )
        steps.update(
            step for u, step, at in escalations if u == unit_id and beijing_date(at).year == year
        )
        timely = [
            handled_in_time(c.deadline, c.answered_on or c.closed_on, as_of)
            for c in mine
            if c.deadline is not None and c.deadline.year == year
        ]
        counts[unit_id] = {
            "supervision_steps": dict(steps),
            "cases_on_time": timely.count(True),
            "cases_overdue": timely.count(False),
            "cases_repeat": sum(c.repeat_of is not None and c.opened_on.year == year for c in mine),
        }
    return counts


def compute_scores(db: Session, plan: Plan, year: int, as_of: dt.date | None = None) -> list[dict]:
    """Each unit's score for ``year`` under the plan's rule set, best first, with ranks (并列)."""
    as_of = as_of or default_as_of(plan, year, db)
    scoring = scoring_rules(db, plan.scoring_rule)["scoring"]
    rows = [
        {"unit": unit.name, "unit_kind": name_zh("unit_kind", unit.kind), **score(facts, scoring)}
        for unit, facts in unit_years(db, plan, year, as_of).items()
    ]
    ranks = competition_rank([-row["score"] for row in rows]) if rows else np.array([])
    for row, rank in zip(rows, ranks, strict=True):
        row["rank"] = int(rank)
    return sorted(rows, key=lambda row: (row["rank"], row["unit"]))


def record_assessment(
    db: Session, actor: Actor, plan: Plan, year: int, as_of: dt.date | None = None
) -> list[Assessment]:
    """Compute and record the year's scores (office); recording again replaces them (audited)."""
    require(actor, "assessment.record")
    act(db, actor)
    units = {u.name: u for u in db.scalars(select(Unit))}
    existing = {
        a.unit_id: a
        for a in db.scalars(
            select(Assessment).where(Assessment.plan_id == plan.id, Assessment.year == year)
        )
    }
    recorded = []
    for row in compute_scores(db, plan, year, as_of):
        unit = units[row["unit"]]
        entry = existing.get(unit.id) or Assessment(plan_id=plan.id, year=year, unit_id=unit.id)
        entry.rule_code, entry.score, entry.grade = plan.scoring_rule, row["score"], row["grade"]
        entry.components, entry.recorded_by = row, actor.id
        db.add(entry)
        recorded.append(entry)
    db.flush()
    return recorded


def assessment_table(
    db: Session, actor: Actor, plan: Plan, year: int, as_of: dt.date | None = None
) -> dict:
    """The year-end table: the recorded scores if the office has recorded them, else provisional."""
    require(actor, "ledger.read")
    stored = list(
        db.scalars(select(Assessment).where(Assessment.plan_id == plan.id, Assessment.year == year))
    )
    if stored:
        rows = sorted((a.components for a in stored), key=lambda r: (r["rank"], r["unit"]))
    else:
        rows = compute_scores(db, plan, year, as_of)
    return {
        "plan": plan.code,
        "year": year,
        "rule": plan.scoring_rule,
        "recorded": bool(stored),
        "rows": rows,
    }
