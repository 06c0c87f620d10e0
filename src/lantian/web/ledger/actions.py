"""The ledger's form posts: login and logout, a monthly report with evidence, more evidence, review,
month locking, supervision, the year-end scores, and the import of a filled template.

Every post carries the CSRF token of its session (the login form: of its cookie) and is refused
with 403 without it, before anything is read or stored. Each runs one service call (or two: a
report and its evidence) inside one transaction, so a refusal stores nothing; success answers 303
to the page that shows the change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from lantian.plan import appraisal, auth, plans, reports, supervision, xlsx
from lantian.plan.access import Actor
from lantian.plan.audit import LedgerSession
from lantian.plan.database import transaction
from lantian.plan.errors import NotFoundError
from lantian.plan.models import Plan
from lantian.plan.months import month_of, parse_day, parse_month
from lantian.web.ledger.render import safe_next, unit_url
from lantian.web.ledger.routing import (
    MAX_ID,
    Id,
    Year,
    parse_quantity,
    router,
    see_other,
)
from lantian.web.ledger.session import (
    check_login_csrf,
    client_address,
    end_session,
    ledger_engine,
    session_token,
    start_session,
    writer,
)

Csrf = Annotated[str, Form(max_length=200)]
Text = Annotated[str, Form(max_length=reports.MAX_NARRATIVE)]
Short = Annotated[str, Form(max_length=200)]
Upload = Annotated[UploadFile | None, File()]
MonthChange = Callable[[Session, Actor, Plan, str], object]


def _content(upload: UploadFile, limit: int) -> bytes:
    """The upload's bytes, at most ``limit`` + 1 (the service refuses more than ``limit``)."""
    return upload.file.read(limit + 1)


@router.post("/login")
def login(
    request: Request, name: Short, password: Short, csrf_token: Csrf = "", next: Short = ""
) -> RedirectResponse:
    """Log in; every attempt is recorded, also a refused one (it counts towards the limit)."""
    check_login_csrf(request, csrf_token)
    with LedgerSession(ledger_engine(request), expire_on_commit=False) as db:
        session = auth.login(db, name.strip(), password, client_address(request))
    response = see_other(safe_next(next) or "/ledger")
    start_session(response, request, session)
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: Csrf = "") -> RedirectResponse:
    """End the session."""
    with transaction(ledger_engine(request)) as db:
        writer(db, request, csrf_token)
        auth.logout(db, session_token(request))
    response = see_other("/ledger/login", done="logged_out")
    end_session(response)
    return response


@router.post("/logout-everywhere")
def logout_everywhere(request: Request, csrf_token: Csrf = "") -> RedirectResponse:
    """End every session of the logged-in user, on every computer and phone."""
    with transaction(ledger_engine(request)) as db:
        writer(db, request, csrf_token)
        auth.logout_everywhere(db, session_token(request))
    response = see_other("/ledger/login", done="logged_out_everywhere")
    end_session(response)
    return response


@router.post("/reports")
def file_report(
    request: Request,
    task_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    month: Short,
    status: Short,
    quantity: Short = "",
    narrative: Text = "",
    evidence: Upload = None,
    csrf_token: Csrf = "",
) -> RedirectResponse:
    """File (or replace) a task's monthly report, with an optional evidence file (its reporter)."""
    with transaction(ledger_engine(request)) as db:
        actor = writer(db, request, csrf_token)
        report = reports.file_report(
            db, actor, task_id, month, status, parse_quantity(quantity), narrative
        )
        if evidence is not None and evidence.filename:
            content = _content(evidence, reports.MAX_EVIDENCE_BYTES)
            reports.attach_evidence(db, actor, report.id, evidence.filename, content)
        unit, month = report.task.unit.name, report.month
    return see_other(unit_url(unit), month=month, done="filed")


@router.post("/reports/{report_id}/evidence")
def add_evidence(
    request: Request, report_id: Id, evidence: Annotated[UploadFile, File()], csrf_token: Csrf = ""
) -> RedirectResponse:
    """Attach one more evidence file to a report (its reporter, month unlocked)."""
    with transaction(ledger_engine(request)) as db:
        actor = writer(db, request, csrf_token)
        content = _content(evidence, reports.MAX_EVIDENCE_BYTES)
        reports.attach_evidence(db, actor, report_id, evidence.filename or "", content)
        report = reports.get_report(db, report_id)
        unit, month = report.task.unit.name, report.month
    return see_other(unit_url(unit), month=month, done="evidence")


@router.post("/reports/{report_id}/review")
def review(
    request: Request, report_id: Id, decision: Short, comment: Text = "", csrf_token: Csrf = ""
) -> RedirectResponse:
    """Accept or return a report (office, month unlocked)."""
    with transaction(ledger_engine(request)) as db:
        actor = writer(db, request, csrf_token)
        report = reports.review_report(db, actor, report_id, decision, comment.strip() or None)
        unit, month = report.task.unit.name, report.month
    return see_other(unit_url(unit), month=month, done="reviewed")


def _change_lock(
    request: Request, month: str, csrf_token: str, change: MonthChange, done: str
) -> RedirectResponse:
    """Lock or unlock ``month`` with ``change`` (:func:`reports.lock_month` or
    :func:`reports.unlock_month`), then show the month's summary saying ``done``."""
    with transaction(ledger_engine(request)) as db:
        actor = writer(db, request, csrf_token)
        month = parse_month(month)
        change(db, actor, plans.get_plan(db), month)
    return see_other("/ledger/summary", month=month, done=done)


@router.post("/months/{month}/lock")
def lock(request: Request, month: str, csrf_token: Csrf = "") -> RedirectResponse:
    """Lock a month (office): its reports become final."""
    return _change_lock(request, month, csrf_token, reports.lock_month, "locked")


@router.post("/months/{month}/unlock")
def unlock(request: Request, month: str, csrf_token: Csrf = "") -> RedirectResponse:
    """Unlock a month (office), e.g. to let a unit correct a report."""
    return _change_lock(request, month, csrf_token, reports.unlock_month, "unlocked")


@router.post("/supervision")
def record_supervision(
    request: Request,
    step: Short,
    unit: Short,
    on: Short,
    finding: Text,
    follow_up_deadline: Short = "",
    measure: Short = "",
    csrf_token: Csrf = "",
) -> RedirectResponse:
    """Record one step of the five-step method aimed at a unit (office)."""
    with transaction(ledger_engine(request)) as db:
        actor = writer(db, request, csrf_token)
        plan = plans.get_plan(db)
        day = parse_day(on, "on")
        measure_row = None
        if measure.strip():
            measure_row = next((m for m in plan.measures if str(m.number) == measure.strip()), None)
            if measure_row is None:
                raise NotFoundError(f"没有措施 {measure}", f"no measure {measure!r}", "measure")
        supervision.record_supervision(
            db,
            actor,
            plan,
            step,
            plans.get_unit(db, unit.strip()),
            day,
            finding,
            parse_day(follow_up_deadline, "follow_up_deadline", required=False),
            measure=measure_row,
        )
    return see_other("/ledger/supervision", month=month_of(day), done="supervision")


@router.post("/supervision/{supervision_id}/close")
def close_supervision(
    request: Request,
    supervision_id: Id,
    closed_on: Short,
    closure: Text,
    csrf_token: Csrf = "",
) -> RedirectResponse:
    """Close a supervision step whose finding has been remedied (office)."""
    with transaction(ledger_engine(request)) as db:
        actor = writer(db, request, csrf_token)
        action = supervision.close_supervision(
            db, actor, supervision_id, parse_day(closed_on, "closed_on"), closure
        )
        month = month_of(action.opened_on)
    return see_other("/ledger/supervision", month=month, done="closed")


@router.post("/assessment/{year}/record")
def record_assessment(request: Request, year: Year, csrf_token: Csrf = "") -> RedirectResponse:
    """Compute and record the year's scores (office)."""
    with transaction(ledger_engine(request)) as db:
        actor = writer(db, request, csrf_token)
        appraisal.record_assessment(db, actor, plans.get_plan(db), year)
    return see_other("/ledger/assessment", year=year, done="recorded")


@router.post("/import")
def import_reports(
    request: Request, workbook: Annotated[UploadFile, File()], csrf_token: Csrf = ""
) -> RedirectResponse:
    """File the rows of a filled monthly-report template: all or nothing (a unit's reporter)."""
    with transaction(ledger_engine(request)) as db:
        actor = writer(db, request, csrf_token)
        content = _content(workbook, xlsx.MAX_FILE_BYTES)
        filed = xlsx.import_reports(db, actor, content, workbook.filename or "workbook.xlsx")
    return see_other("/ledger", done="imported", filed=filed)
