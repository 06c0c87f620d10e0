"""The views: ledger, unit page, overdue list, month summary, year-end table — and who may read them.

Scenario: 区环保局 reports on measure 11 (“2019年完成……等20个行业企业排污许可证核发”, deadline
2019-12-31) each month; the office sets a milestone and supervises.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event

from lantian.plan import plans, reports, supervision
from lantian.plan.access import SYSTEM
from lantian.plan.appraisal import assessment_table, record_assessment
from lantian.plan.errors import LedgerPermissionError
from lantian.plan.models import Plan
from lantian.plan.views import ledger, measures, month_summary, overdue, unit_page
from lantian.plan.xlsx import write_report_template

from .helpers import add_work, doubled_plan_data, task_of


def filed(month: str, day: int = 3) -> dt.datetime:
    """A filing moment on ``day`` of the month after ``month`` (Beijing morning)."""
    year, number = int(month[:4]), int(month[5:])
    year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    return dt.datetime(year, number, day, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def scenario(db, actors):
    plan = plans.get_plan(db)
    permits = task_of(db, "区环保局", 11, "discharge-permits")
    plans.update_task(db, actors["office"], permits, start=dt.date(2019, 2, 18))
    for month, quantity in [("2019-02", 1), ("2019-03", 3), ("2019-04", 6), ("2019-05", 8)]:
        reports.file_report(
            db,
            actors["hb"],
            permits.id,
            month,
            "in_progress",
            quantity,
            f"累计{quantity}个行业",
            now=filed(month),
        )
    db.commit()
    return {"plan": plan, "permits": permits}


def _row(rows, task_id):
    return next(row for row in rows if row["task_id"] == task_id)


def test_ledger_row_per_task(db, actors, scenario):
    rows = ledger(db, actors["office"], scenario["plan"], "2019-05")
    assert len(rows) == 141
    row = _row(rows, scenario["permits"].id)
    assert (row["measure"], row["unit"], row["role"]) == (11, "区环保局", "牵头")
    assert (row["target_value"], row["quantity_unit"], row["deadline"]) == (
        20,
        "个行业",
        "2019-12-31",
    )
    assert (row["month"], row["status"], row["quantity"], row["progress"]) == (
        "2019-05",
        "推进中",
        8,
        0.4,
    )
    # 2019-05-31: 0.336 of 2019-02-18…2019-12-31 elapsed, 0.40 achieved → on track
    assert row["rag"] == "green"


def test_the_colour_changes_with_progress_and_deadline(db, actors, scenario):
    plan, permits = scenario["plan"], scenario["permits"]
    # by 2019-09 (0.71 of the time) 8 of 20 = 0.40 is 0.31 behind → red
    assert _row(ledger(db, actors["office"], plan, "2019-09"), permits.id)["rag"] == "red"
    reports.file_report(
        db, actors["hb"], permits.id, "2019-09", "in_progress", 13, now=filed("2019-09")
    )
    assert _row(ledger(db, actors["office"], plan, "2019-09"), permits.id)["rag"] == "amber"
    reports.file_report(
        db, actors["hb"], permits.id, "2019-10", "completed", 20, now=filed("2019-10")
    )
    row = _row(ledger(db, actors["leader"], plan, "2019-10"), permits.id)
    assert (row["rag"], row["rag_reason"]) == ("green", "已完成")


def test_a_month_without_report_turns_amber(db, actors, scenario):
    # as of 2019-07-10 the June report (due 07-05) is missing; quantities are on track
    general = task_of(db, "区环保局", 12)
    rows = ledger(db, actors["office"], scenario["plan"], "2019-07", as_of=dt.date(2019, 7, 10))
    assert (_row(rows, general.id)["rag"], _row(rows, general.id)["rag_reason"]) == (
        "amber",
        "上月进展未报送",
    )


def test_overdue_list(db, actors, scenario):
    plan, permits = scenario["plan"], scenario["permits"]
    plans.add_milestone(db, actors["office"], permits, "完成10个行业", dt.date(2019, 6, 30), 10)
    supervision.record_supervision(
        db,
        actors["office"],
        plan,
        "交办",
        permits.unit,
        dt.date(2019, 7, 2),
        "核发进度滞后",
        dt.date(2019, 8, 1),
    )
    rows = overdue(db, actors["leader"], plan, "2020-01", as_of=dt.date(2020, 1, 10))
    kinds = {(row["kind"], row["unit"]) for row in rows}
    assert ("task", "区环保局") in kinds  # permits not completed by 2019-12-31
    assert ("milestone", "区环保局") in kinds
    assert ("follow_up", "区环保局") in kinds
    assert ("report", "区住建局") in kinds  # nobody else reported December
    task_row = next(r for r in rows if r["kind"] == "task" and r["item"] == permits.title)
    assert (task_row["due"], task_row["days_overdue"]) == ("2019-12-31", 10)
    assert rows[0]["days_overdue"] == max(r["days_overdue"] for r in rows)


def test_month_summary(db, actors, scenario):
    plan = scenario["plan"]
    reports.lock_month(db, actors["office"], plan, "2019-04")
    supervision.record_supervision(
        db,
        actors["office"],
        plan,
        "督查",
        scenario["permits"].unit,
        dt.date(2019, 4, 20),
        "台账不全",
    )
    summary = month_summary(db, actors["office"], plan, "2019-04")
    assert summary["locked"] is True
    assert (summary["tasks"], summary["reports_filed"]) == (141, 1)
    assert summary["by_status"] == {"推进中": 1}
    assert sum(summary["rag"].values()) == 141
    hb = next(u for u in summary["units"] if u["unit"] == "区环保局")
    assert (hb["tasks"], hb["filed"], hb["missing"]) == (24, 1, 23)
    assert summary["supervision_by_step"] == {"督查": 1}


def test_unit_page(db, actors, scenario):
    unit = scenario["permits"].unit
    page = unit_page(db, actors["hb"], scenario["plan"], unit, "2019-05")
    assert page["unit"] == "区环保局"
    assert len(page["tasks"]) == 24
    assert [r["month"] for r in page["reports"]] == ["2019-05", "2019-04", "2019-03", "2019-02"]
    with pytest.raises(LedgerPermissionError):
        unit_page(db, actors["zj"], scenario["plan"], unit, "2019-05")


@pytest.mark.parametrize("view", [ledger, overdue])
@pytest.mark.parametrize("role", ["hb", "zj"])
def test_reporters_do_not_read_the_whole_ledger(db, actors, scenario, view, role):
    with pytest.raises(LedgerPermissionError):
        view(db, actors[role], scenario["plan"], "2019-05")


def test_year_end_assessment(db, actors, scenario):
    plan = scenario["plan"]
    table = assessment_table(db, actors["leader"], plan, 2019, as_of=dt.date(2020, 1, 5))
    assert table["recorded"] is False
    rows = {row["unit"]: row for row in table["rows"]}
    assert len(rows) == 29  # every unit with a task
    hb = rows["区环保局"]
    # 24 tasks × 11 months (2019-02…12) due; 4 filed on time (the 3rd of the next month)
    assert (hb["reports_due"], hb["reports_on_time"]) == (264, 4)
    assert rows["区环保局"]["score"] > rows["区住建局"]["score"]
    assert [row["rank"] for row in table["rows"]] == sorted(row["rank"] for row in table["rows"])
    record_assessment(db, actors["office"], plan, 2019, as_of=dt.date(2020, 1, 5))
    db.commit()
    recorded = assessment_table(db, actors["leader"], plan, 2019)
    assert recorded["recorded"] is True
    assert recorded["rows"] == table["rows"]


def test_late_reports_are_not_on_time(db, actors, scenario):
    permits = scenario["permits"]
    reports.file_report(
        db, actors["hb"], permits.id, "2019-06", "in_progress", 9, now=filed("2019-06", day=6)
    )  # due 07-05
    table = assessment_table(
        db, actors["office"], scenario["plan"], 2019, as_of=dt.date(2020, 1, 5)
    )
    hb = next(row for row in table["rows"] if row["unit"] == "区环保局")
    assert hb["reports_on_time"] == 4


@pytest.fixture
def statements(db):
    """The SQL statements ``db`` executes, appended as they run (the test clears the list)."""
    seen = []

    def record(connection, cursor, statement, *args) -> None:
        seen.append(statement)

    bind = db.get_bind()  # SQLite: the engine; PostgreSQL: the test's connection
    event.listen(bind, "before_cursor_execute", record)
    yield seen
    event.remove(bind, "before_cursor_execute", record)


def test_views_issue_as_many_statements_for_54_measures_as_for_27(db, actors, statements, tmp_path):
    """The views load what they read in a fixed number of statements, however big the plan.

    Regression: they loaded each task's unit, measure, target and milestones, each report's
    evidence and each supervision step's unit one at a time (N+1: on the model plan with a year of
    reports the ledger took 223 statements, a unit's page 320, the export 918 — bench_ledger.py).
    """
    model = plans.get_plan(db)
    doubled = plans.store_plan(db, SYSTEM, doubled_plan_data())
    for plan in (model, doubled):
        add_work(db, actors["office"], plan, ["2019-02", "2019-03", "2019-04", "2019-05"])
    db.commit()
    assert len(doubled.measures) == 2 * len(model.measures) == 54
    month, office = "2019-05", actors["office"]
    views = {
        "ledger": lambda plan, unit: ledger(db, office, plan, month),
        "unit_page": lambda plan, unit: unit_page(db, office, plan, unit, month),
        "overdue": lambda plan, unit: overdue(db, office, plan, month),
        "month_summary": lambda plan, unit: month_summary(db, office, plan, month),
        "measures": lambda plan, unit: measures(db, office, plan),
        "assessment_table": lambda plan, unit: assessment_table(
            db, office, plan, 2019, as_of=dt.date(2019, 6, 5)
        ),
        "report_template": lambda plan, unit: write_report_template(
            db, office, plan, tmp_path / "template.xlsx", month
        ),
    }
    counts = {}
    for plan_id in (model.id, doubled.id):
        for name, view in views.items():
            db.expunge_all()  # nothing loaded yet, as in a request's session
            plan, unit = db.get(Plan, plan_id), plans.get_unit(db, "区环保局")
            statements.clear()
            assert view(plan, unit)
            counts[plan_id, name] = len(statements)
    assert {name: counts[doubled.id, name] for name in views} == {
        name: counts[model.id, name] for name in views
    }
    assert max(counts.values()) <= 10, counts
