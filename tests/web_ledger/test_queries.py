"""The pages read the ledger in a fixed number of SQL statements, however many reports it holds.

Regression: the pages loaded related rows one at a time (each task's unit, measure, target and
milestones, each report's evidence and lock state): the model plan's ledger page took 228
statements, a unit's page with a year of reports 581 (bench/bench_ledger.py).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event, select

from lantian.plan.database import transaction
from lantian.plan.models import Task, Unit
from lantian.plan.months import months_between
from lantian.plan.plans import get_plan
from lantian.plan.reports import attach_evidence, file_report, lock_month

from .helpers import actor

MONTH = "2019-11"
UNIT = "区环保局"
NOW = dt.datetime(2019, 12, 20, 2, 0, tzinfo=dt.UTC)


def file_months(engine, months: list[str]) -> int:
    """A report with an evidence file on each of :data:`UNIT`'s first five tasks for each month,
    the first half of the months locked; the first task's id."""
    with transaction(engine) as db:
        tasks = sorted(db.scalars(select(Task.id).join(Unit).where(Unit.name == UNIT)))[:5]
        reporter = actor(db, "hb")
        for task_id in tasks:
            for month in months:
                report = file_report(db, reporter, task_id, month, "in_progress", now=NOW)
                attach_evidence(db, reporter, report.id, f"{month}.pdf", month.encode())
        for month in months[: len(months) // 2]:
            lock_month(db, actor(db, "office"), get_plan(db), month)
    return tasks[0]


def test_pages_issue_as_many_statements_with_a_year_of_reports_as_with_one(engine, login):
    task_id = file_months(engine, [MONTH])
    office, _ = login("office")
    reporter, _ = login("hb")
    pages = {
        f"/ledger?month={MONTH}": office,
        f"/ledger/units/{UNIT}?month={MONTH}": office,
        f"/ledger/tasks/{task_id}/report?month={MONTH}": reporter,
        f"/ledger/overdue?month={MONTH}": office,
        f"/ledger/summary?month={MONTH}": office,
        f"/ledger/supervision?month={MONTH}": office,
        "/ledger/assessment?year=2019": office,
    }
    seen = []

    def record(connection, cursor, statement, *args) -> None:
        seen.append(statement)

    def counts() -> dict[str, int]:
        result = {}
        for path, client in pages.items():
            seen.clear()
            assert client.get(path).status_code == 200, path
            result[path] = len(seen)
        return result

    event.listen(engine, "before_cursor_execute", record)
    try:
        one_month = counts()
        file_months(engine, months_between("2019-02", "2019-10"))
        ten_months = counts()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert ten_months == one_month
    assert max(one_month.values()) <= 20, one_month
