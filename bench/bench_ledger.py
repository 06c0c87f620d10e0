"""Benchmark: the plan ledger's views and pages on the model plan with a year of monthly reports.

Run: ``scripts/uv run python bench/bench_ledger.py [--repeat 5]`` (under a minute). Builds a SQLite
ledger in a temporary folder the way the tests do (``tests/plan/conftest.py``: migrate, load the
model plan, add a user of each role), then adds a year of the units' work: a report per task and
month 2019-02 … 2020-01 (a task in nine skips a month, so some reports are missing), an evidence
file on every third report, a milestone on every task with a quantified target, two supervision
steps a month, and 2019-02 … 2019-10 locked.

Then times each view function of :mod:`lantian.plan` (on a fresh session each run, as a request
has) and each ledger page (FastAPI ``TestClient``, logged in as the office; the report form as the
unit's reporter), and counts the SQL statements each issues (``before_cursor_execute``). Prints a
table: view, statements, median ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select

import lantian.plan.auth
from lantian.plan import appraisal, plans, views, xlsx
from lantian.plan.access import SYSTEM
from lantian.plan.audit import act
from lantian.plan.auth import actor_of, add_user
from lantian.plan.database import create_ledger_engine, transaction, upgrade
from lantian.plan.models import Case, Evidence, Milestone, MonthLock, Report, User
from lantian.plan.months import months_between
from lantian.web import create_app
from lantian.web.ledger import LedgerOpener

PASSWORD = "correct horse battery"
USERS = {
    "office": ("办公室小王", "office", None),
    "leader": ("区长", "leader", None),
    "hb": ("环保局填报员", "reporter", "区环保局"),
    "zj": ("住建局填报员", "reporter", "区住建局"),
}
"""The users of the tests' seeded ledger (``tests/plan/conftest.py``)."""
MONTHS = months_between("2019-02", "2020-01")
"""The year of monthly reports."""
MONTH, YEAR, UNIT = "2020-01", 2019, "区环保局"
"""The month, year and unit the views and pages show."""
STATUSES = ("in_progress", "in_progress", "in_progress", "completed", "blocked", "not_started")

# argon2 at its production cost takes ~50 ms a hash; the pages' speed is not the hash's.
lantian.plan.auth.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _add_year_of_work(db, office_id: int) -> None:
    """Reports, evidence, milestones, supervision and locks of :data:`MONTHS` (written directly)."""
    plan = plans.get_plan(db)
    tasks = plans.plan_tasks(db, plan)
    for task in tasks:
        quantified = task.target_value is not None
        if quantified:
            db.add(Milestone(task_id=task.id, title="过半", due=dt.date(2019, 9, 30)))
        for index, month in enumerate(MONTHS):
            if (task.id + index) % 9 == 0:
                continue  # not filed: the ledger shows it missing
            share = (index + 1) / len(MONTHS)
            report = Report(
                task_id=task.id,
                month=month,
                status=STATUSES[(task.id + index) % len(STATUSES)],
                quantity=round(task.target_value * share, 1) if quantified else None,
                narrative=f"{month} 推进情况",
                submitted_by=office_id,
                review_status="accepted" if index < 9 else "submitted",
            )
            if (task.id + index) % 3 == 0:
                report.evidence.append(
                    Evidence(
                        filename=f"{month}-{task.id}.pdf",
                        sha256=f"{task.id:032d}{index:032d}",
                        size=1024,
                        uploaded_by=office_id,
                    )
                )
            db.add(report)
    units = sorted({task.unit for task in tasks}, key=lambda unit: unit.id)
    for index, month in enumerate(MONTHS):
        for k in range(2):
            task = tasks[(index * 7 + k * 31) % len(tasks)]
            on = dt.date(int(month[:4]), int(month[5:]), 10 + k)
            db.add(
                Case(  # a supervision step (lantian.cases, origin supervision)
                    origin="supervision",
                    plan_id=plan.id,
                    escalation=("inspect", "assign", "patrol")[(index + k) % 3],
                    status="closed" if index % 2 else "dispatched",
                    unit_id=units[(index + k * 5) % len(units)].id,
                    measure_id=task.measure_id,
                    opened_on=on,
                    title="台账不全",
                    description="台账不全",
                    deadline=on + dt.timedelta(days=30),
                    closed_on=on + dt.timedelta(days=20) if index % 2 else None,
                    closure="已整改" if index % 2 else None,
                    opened_by=office_id,
                )
            )
    for month in MONTHS[:9]:
        db.add(MonthLock(plan_id=plan.id, month=month, locked_by=office_id))


def build_ledger(folder: Path) -> Engine:
    """A SQLite ledger in ``folder``: the model plan, the users, a year of work."""
    engine = create_ledger_engine(f"sqlite:///{folder / 'plan.sqlite3'}")
    upgrade(engine)
    with transaction(engine) as db:
        plans.load_example(db, SYSTEM)
        for name, (display, role, unit) in USERS.items():
            add_user(db, SYSTEM, name, role, PASSWORD, unit=unit, display_name=display)
    with transaction(engine) as db:
        office = db.scalar(select(User).where(User.name == "office"))
        act(db, actor_of(office))
        _add_year_of_work(db, office.id)
    return engine


class StatementCounter:
    """Counts the SQL statements ``engine`` executes while :attr:`active`."""

    def __init__(self, engine: Engine):
        self.count, self.active = 0, False
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args) -> None:
        self.count += self.active


def measure(
    counter: StatementCounter, call: Callable[[], object], repeat: int
) -> tuple[int, float]:
    """(statements of one call, median ms of ``repeat`` calls)."""
    times, counts = [], set()
    for _ in range(repeat):
        counter.count, counter.active = 0, True
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
        counter.active = False
        counts.add(counter.count)
    return max(counts), statistics.median(times)


def view_calls(engine: Engine, counter: StatementCounter, folder: Path) -> dict[str, Callable]:
    """Each view function, called on a fresh session with the plan, unit and actor loaded first."""

    def on_fresh_session(view: Callable, actor_name: str = "office") -> Callable[[], object]:
        def call() -> object:
            active, counter.active = counter.active, False
            with transaction(engine) as db:
                actor = actor_of(db.scalar(select(User).where(User.name == actor_name)))
                plan, unit = plans.get_plan(db), plans.get_unit(db, UNIT)
                counter.active = active
                return view(db, actor, plan, unit)

        return call

    return {
        "views.ledger": on_fresh_session(lambda db, a, p, u: views.ledger(db, a, p, MONTH)),
        "views.unit_page": on_fresh_session(
            lambda db, a, p, u: views.unit_page(db, a, p, u, MONTH)
        ),
        "views.overdue": on_fresh_session(lambda db, a, p, u: views.overdue(db, a, p, MONTH)),
        "views.month_summary": on_fresh_session(
            lambda db, a, p, u: views.month_summary(db, a, p, MONTH)
        ),
        "views.measures": on_fresh_session(lambda db, a, p, u: views.measures(db, a, p)),
        "appraisal.assessment_table": on_fresh_session(
            lambda db, a, p, u: appraisal.assessment_table(db, a, p, YEAR, dt.date(2020, 1, 5))
        ),
        "xlsx.write_report_template": on_fresh_session(
            lambda db, a, p, u: xlsx.write_report_template(db, a, p, folder / "t.xlsx", MONTH)
        ),
        "xlsx.export_views": on_fresh_session(
            lambda db, a, p, u: xlsx.export_views(db, a, p, folder / "e.xlsx", MONTH, YEAR)
        ),
    }


def logged_in(app, name: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    page = client.get("/ledger/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    data = {"name": name, "password": PASSWORD, "csrf_token": token}
    answer = client.post("/ledger/login", data=data)
    assert answer.status_code == 303, answer.text
    return client


def page_calls(engine: Engine, folder: Path) -> dict[str, Callable]:
    """Each ledger page, asked by the office (the report form: by the unit's reporter)."""
    app = create_app(folder / "measurements", warm_up=False)
    app.state.ledger = LedgerOpener(lambda: engine)
    office, reporter = logged_in(app, "office"), logged_in(app, "hb")
    with transaction(engine) as db:
        task_id = min(t.id for t in plans.plan_tasks(db, plans.get_plan(db)) if t.unit.name == UNIT)

    def get(client: TestClient, path: str) -> Callable[[], object]:
        def call() -> object:
            answer = client.get(path)
            assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
            return answer

        return call

    return {
        "GET /ledger": get(office, f"/ledger?month={MONTH}"),
        "GET /ledger/units/{unit}": get(office, f"/ledger/units/{UNIT}?month={MONTH}"),
        "GET /ledger/tasks/{id}/report": get(
            reporter, f"/ledger/tasks/{task_id}/report?month={MONTH}"
        ),
        "GET /ledger/overdue": get(office, f"/ledger/overdue?month={MONTH}"),
        "GET /ledger/summary": get(office, f"/ledger/summary?month={MONTH}"),
        "GET /ledger/supervision": get(office, f"/ledger/supervision?month={MONTH}"),
        "GET /ledger/assessment": get(office, f"/ledger/assessment?year={YEAR}"),
        "GET /ledger/template.xlsx": get(office, f"/ledger/template.xlsx?month={MONTH}"),
        "GET /ledger/export.xlsx": get(office, f"/ledger/export.xlsx?month={MONTH}&year={YEAR}"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each view (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lantian-bench-ledger-") as name:
        folder = Path(name)
        start = time.perf_counter()
        engine = build_ledger(folder)
        with transaction(engine) as db:
            tasks = len(plans.plan_tasks(db, plans.get_plan(db)))
            reports = len(db.scalars(select(Report.id)).all())
        print(
            f"model plan: {tasks} tasks, {reports} reports of {MONTHS[0]}…{MONTHS[-1]}; "
            f"built in {time.perf_counter() - start:.1f} s; month {MONTH}, unit {UNIT}\n"
        )
        counter = StatementCounter(engine)
        calls = view_calls(engine, counter, folder) | page_calls(engine, folder)
        print(f"{'view':<32} {'statements':>10} {'median ms':>10}")
        for label, call in calls.items():
            call()  # warm: templates compiled, statements cached
            statements, median = measure(counter, call, args.repeat)
            print(f"{label:<32} {statements:>10} {median:>10.1f}")
        engine.dispose()


if __name__ == "__main__":
    main()
