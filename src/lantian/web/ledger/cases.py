"""The case pages (``/ledger/cases``): the queue per unit with deadlines, a case with its steps,
evidence and the forms of the actions its reader may take now — one post per action of the one
table :data:`lantian.cases.service.CASE_ACTIONS` (dispatch, accept, decline, answer with evidence,
return, close, escalate, add evidence), built by :mod:`lantian.web.case_forms` as the API's are.

Thin routes over :mod:`lantian.cases.service` (the one case workflow; the CLI and the API call
the same functions): each post checks its CSRF token, runs the action inside one transaction (an
answer and its evidence file together: a refused file stores no answer) and answers 303 to the
case. Who may do what is the service's decision (a reporter reads and handles only their unit's
cases; the office dispatches, returns and closes; leaders read).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from lantian.cases import service
from lantian.cases.workflow import ACTIONS, ORIGINS, STATUSES
from lantian.plan import plans
from lantian.plan.database import transaction
from lantian.plan.reports import EVIDENCE_SUFFIXES, MAX_EVIDENCE_BYTES
from lantian.times import to_beijing
from lantian.web.case_forms import add_action_routes, take
from lantian.web.ledger.render import render
from lantian.web.ledger.routing import Id, page_context, router, see_other, unit_names
from lantian.web.ledger.session import ledger_engine, reader, writer

Filter = Annotated[str | None, Query(max_length=100)]


def _case_url(case_id: int) -> str:
    return f"/ledger/cases/{case_id}"


@router.get("/cases")
def case_queue(
    request: Request,
    unit: Filter = None,
    status: Filter = None,
    show: Annotated[str, Query(pattern="^(open|all)$")] = "open",
) -> HTMLResponse:
    """The queue: the cases the reader may see (a reporter: their unit's), by deadline, overdue
    marked; the office and leaders filter by unit and status."""
    with transaction(ledger_engine(request)) as db:
        actor = reader(db, request)
        rows = service.list_cases(
            db,
            actor,
            unit=unit if actor.role != "reporter" else None,
            status=status or None,
            open_only=show == "open" and not status,
        )
        context = page_context(db, actor, plans.get_plan(db))
        units = unit_names(db) if actor.role != "reporter" else []
    return render(
        request,
        "cases.html",
        page="cases",
        rows=rows,
        units=units,
        chosen={"unit": unit or "", "status": status or "", "show": show},
        statuses=STATUSES,
        **context,
    )


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: Id) -> HTMLResponse:
    """A case: what, where, who, the deadline, every step, the evidence, and the forms of the
    actions the reader may take on it now."""
    with transaction(ledger_engine(request)) as db:
        actor = reader(db, request)
        case = service.case_document(db, actor, case_id)
        for step in case["steps"]:  # stored in UTC; shown as Beijing time
            moment = to_beijing(dt.datetime.fromisoformat(step["at"]))
            step["at_beijing"] = moment.isoformat(sep=" ", timespec="minutes")
        context = page_context(db, actor, plans.get_plan(db))
        units = unit_names(db) if "dispatch" in case["actions"] else []
    return render(
        request,
        "case.html",
        page="cases",
        case=case,
        units=units,
        action_names={k: a.zh for k, a in ACTIONS.items()},
        origins=ORIGINS,
        accept=",".join(sorted(EVIDENCE_SUFFIXES)),
        max_mb=MAX_EVIDENCE_BYTES // 2**20,
        **context,
    )


def _take(
    request: Request, action: service.CaseAction, case_id: int, values: dict[str, Any], csrf: str
) -> RedirectResponse:
    """One action of the table in one transaction (an answer and its evidence file together: a
    refused file stores no answer), then back to the case saying what was done."""
    with transaction(ledger_engine(request)) as db:
        take(db, writer(db, request, csrf), action, case_id, values)
    return see_other(_case_url(case_id), done=f"case_{action.done}")


add_action_routes(router, Id, _take, prefix="/cases")
