"""The ledger's pages (GET): login, the ledger, a unit's page, the report form, the overdue list,
the month's summary, supervision and the year-end assessment. Each reads one plan view as the
logged-in user (the view checks the permission) and renders it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NamedTuple

from fastapi import Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from lantian.plan import appraisal, plans, reports, views
from lantian.plan.access import Actor, allowed, require
from lantian.plan.database import transaction
from lantian.plan.models import Plan
from lantian.plan.reports import EVIDENCE_SUFFIXES, MAX_EVIDENCE_BYTES
from lantian.plan.vocabulary import REPORT_STATUSES, SUPERVISION_STEPS, code
from lantian.planning.links import cut_rows
from lantian.web.ledger.render import login_page, render, unit_url
from lantian.web.ledger.routing import (
    Id,
    chosen_month,
    default_month,
    page_context,
    reporting_months,
    router,
    see_other,
    unit_names,
)
from lantian.web.ledger.session import ledger_engine, reader

Month = Annotated[str | None, Query(max_length=16)]
RAG_COLOURS = ("red", "amber", "green")


class _Reading(NamedTuple):
    """What every page reads first: the transaction's session, the logged-in user, the plan, and
    what every page shows (:func:`page_context`)."""

    db: Session
    actor: Actor
    plan: Plan
    context: dict[str, Any]


@contextmanager
def _read_plan(request: Request) -> Iterator[_Reading]:
    """The plan as the logged-in user reads it, inside one transaction."""
    with transaction(ledger_engine(request)) as db:
        actor = reader(db, request)
        plan = plans.get_plan(db)
        yield _Reading(db, actor, plan, page_context(db, actor, plan))


def _render_page(
    request: Request,
    template: str,
    context: dict[str, Any],
    page: str | None = None,
    **values: Any,
) -> HTMLResponse:
    """``template`` with ``values`` and ``context`` (:class:`_Reading`); ``page``, the navigation's
    current item, is the template's name unless given."""
    current = page or template.removesuffix(".html")
    return render(request, template, page=current, **values, **context)


def _render_month(
    request: Request,
    template: str,
    context: dict[str, Any],
    plan: Plan,
    month: str,
    **values: Any,
) -> HTMLResponse:
    """:func:`_render_page` of one reporting month: ``month`` and the month picker's months."""
    months = reporting_months(plan)
    return _render_page(request, template, context, month=month, months=months, **values)


@router.get("/login")
def login_form(request: Request) -> HTMLResponse:
    """The login form."""
    return login_page(request)


@router.get("")
def ledger_page(
    request: Request, month: Month = None, rag: Annotated[str | None, Query()] = None
) -> Response:
    """The ledger: a row per task, red/amber/green (office, leaders; a reporter goes to their unit)."""
    with _read_plan(request) as (db, actor, plan, context):
        if actor.role == "reporter":
            return see_other(unit_url(context["my_unit"]), month=month)
        month = chosen_month(plan, month)
        rows = views.ledger(db, actor, plan, month)
        locked = reports.is_locked(db, plan.id, month)
        cuts = cut_rows(db, actor, plan, month)
    counts = {colour: sum(r["rag"] == colour for r in rows) for colour in RAG_COLOURS}
    shown = [r for r in rows if r["rag"] == rag] if rag in RAG_COLOURS else rows
    return _render_month(
        request,
        "ledger.html",
        context,
        plan,
        month,
        locked=locked,
        rows=shown,
        counts=counts,
        cuts=cuts,
        rag=rag if rag in RAG_COLOURS else None,
    )


@router.get("/units/{unit}")
def unit_page(
    request: Request, unit: Annotated[str, Path(max_length=100)], month: Month = None
) -> HTMLResponse:
    """A unit's tasks, reports with evidence, and supervision; the reporter's and office's forms."""
    with _read_plan(request) as (db, actor, plan, context):
        month = chosen_month(plan, month)
        unit_row = plans.get_unit(db, unit)
        page = views.unit_page(db, actor, plan, unit_row, month)
        locked = reports.locked_months(db, plan.id)
        locked_months = {r["month"] for r in page["reports"] if r["month"] in locked}
        cuts = cut_rows(db, actor, plan, month, {r["measure"] for r in page["tasks"]})
    return _render_month(
        request,
        "unit.html",
        context,
        plan,
        month,
        unit=page,
        locked_months=locked_months,
        cuts=cuts,
        can_file=allowed(actor, "report.file", unit_row.id),
        can_review=allowed(actor, "report.review"),
        can_supervise=allowed(actor, "supervision.record"),
    )


@router.get("/tasks/{task_id}/report")
def report_form(request: Request, task_id: Id, month: Month = None) -> HTMLResponse:
    """The monthly report form of a task (its unit's reporter), with evidence upload."""
    with _read_plan(request) as (db, actor, plan, context):
        month = chosen_month(plan, month)
        task = plans.get_task(db, task_id)
        require(actor, "report.file", unit_id=task.unit_id)
        page = views.unit_page(db, actor, plan, task.unit, month)
        locked = reports.is_locked(db, plan.id, month)
    row = next(r for r in page["tasks"] if r["task_id"] == task_id)
    existing = next(
        (r for r in page["reports"] if r["task_id"] == task_id and r["month"] == month), None
    )
    return _render_month(
        request,
        "report_form.html",
        context,
        plan,
        month,
        page="unit",
        task=row,
        locked=locked,
        report=existing,
        status=code("status", existing["status"]) if existing else "in_progress",
        statuses=REPORT_STATUSES,
        suffixes=",".join(sorted(EVIDENCE_SUFFIXES)),
        max_mb=MAX_EVIDENCE_BYTES // 2**20,
    )


@router.get("/overdue")
def overdue_page(request: Request, month: Month = None) -> HTMLResponse:
    """Everything overdue at the end of the month, longest first."""
    with _read_plan(request) as (db, actor, plan, context):
        month = chosen_month(plan, month)
        rows = views.overdue(db, actor, plan, month)
    return _render_month(request, "overdue.html", context, plan, month, rows=rows)


@router.get("/summary")
def summary_page(request: Request, month: Month = None) -> HTMLResponse:
    """The month for the joint meeting; the office locks or unlocks it here."""
    with _read_plan(request) as (db, actor, plan, context):
        month = chosen_month(plan, month)
        summary = views.month_summary(db, actor, plan, month)
    can_lock = allowed(actor, "month.lock")
    return _render_month(
        request, "summary.html", context, plan, month, summary=summary, can_lock=can_lock
    )


@router.get("/supervision")
def supervision_page(request: Request, month: Month = None) -> HTMLResponse:
    """The month's supervision steps; the office records and closes them."""
    with _read_plan(request) as (db, actor, plan, context):
        month = chosen_month(plan, month)
        summary = views.month_summary(db, actor, plan, month)
        can_supervise = allowed(actor, "supervision.record")
        measures = views.measures(db, actor, plan) if can_supervise else []
        units = unit_names(db) if can_supervise else []
    return _render_month(
        request,
        "supervision.html",
        context,
        plan,
        month,
        rows=summary["supervision"],
        by_step=summary["supervision_by_step"],
        can_supervise=can_supervise,
        steps=SUPERVISION_STEPS,
        units=units,
        measures=[(m["number"], m["title"]) for m in measures],
    )


@router.get("/assessment")
def assessment_page(
    request: Request, year: Annotated[int | None, Query(ge=1900, le=2100)] = None
) -> HTMLResponse:
    """The year-end table: recorded scores, or provisional ones until the office records them."""
    with _read_plan(request) as (db, actor, plan, context):
        year = year or int(default_month(plan)[:4])
        table = appraisal.assessment_table(db, actor, plan, year)
    return _render_page(
        request,
        "assessment.html",
        context,
        year=year,
        years=list(range(plan.start.year, plan.end.year + 1)),
        table=table,
        can_record=allowed(actor, "assessment.record"),
    )
