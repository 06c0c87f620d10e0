"""The case pages (``/ledger/cases``): the queue per unit with deadlines, a case with its steps,
evidence and the forms of the actions its reader may take now — dispatch, accept, decline, answer
with evidence, return, close, escalate, add evidence.

Thin routes over :mod:`lantian.cases.service` (the one case workflow; the CLI and the API call
the same functions): each post checks its CSRF token, runs the service inside one transaction (an
answer and its evidence file together: a refused file stores no answer) and answers 303 to the
case. Who may do what is the service's decision (a reporter reads and handles only their unit's
cases; the office dispatches, returns and closes; leaders read).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse

from lantian.cases import service
from lantian.cases.workflow import ACTIONS, ORIGINS, STATUSES
from lantian.plan import plans
from lantian.plan.database import transaction
from lantian.plan.reports import EVIDENCE_SUFFIXES, MAX_EVIDENCE_BYTES, MAX_NARRATIVE
from lantian.times import to_beijing
from lantian.web.ledger.render import render
from lantian.web.ledger.routing import Id, page_context, parse_day, router, see_other, unit_names
from lantian.web.ledger.session import ledger_engine, reader, writer

Csrf = Annotated[str, Form(max_length=200)]
Note = Annotated[str, Form(max_length=MAX_NARRATIVE)]
Short = Annotated[str, Form(max_length=200)]
Upload = Annotated[UploadFile | None, File()]
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


def _evidence(db: Any, actor: Any, case_id: int, upload: UploadFile | None, note: str = "") -> None:
    if upload is not None and upload.filename:
        content = upload.file.read(MAX_EVIDENCE_BYTES + 1)
        service.attach_evidence(db, actor, case_id, upload.filename, content, note)


def _done(case_id: int, done: str) -> RedirectResponse:
    return see_other(_case_url(case_id), done=done)


@router.post("/cases/{case_id}/dispatch")
def dispatch_case(
    request: Request,
    case_id: Id,
    unit: Short = "",
    deadline: Short = "",
    note: Note = "",
    csrf_token: Csrf = "",
) -> RedirectResponse:
    """Send the case to a unit (office); the deadline by the rules unless one is given."""
    with transaction(ledger_engine(request)) as db:
        actor = writer(db, request, csrf_token)
        day = parse_day(deadline, "deadline", required=False)
        service.dispatch(db, actor, case_id, unit or None, day, note)
    return _done(case_id, "case_dispatched")


@router.post("/cases/{case_id}/accept")
def accept_case(
    request: Request, case_id: Id, note: Note = "", csrf_token: Csrf = ""
) -> RedirectResponse:
    """The unit takes the case in hand (签收)."""
    with transaction(ledger_engine(request)) as db:
        service.accept(db, writer(db, request, csrf_token), case_id, note)
    return _done(case_id, "case_accepted")


@router.post("/cases/{case_id}/decline")
def decline_case(
    request: Request, case_id: Id, note: Note = "", csrf_token: Csrf = ""
) -> RedirectResponse:
    """The unit hands the case back to the office as not its own (申请改派)."""
    with transaction(ledger_engine(request)) as db:
        service.decline(db, writer(db, request, csrf_token), case_id, note)
    return _done(case_id, "case_declined")


@router.post("/cases/{case_id}/answer")
def answer_case(
    request: Request,
    case_id: Id,
    answer: Note = "",
    evidence: Upload = None,
    csrf_token: Csrf = "",
) -> RedirectResponse:
    """The unit's answer with an evidence file (photo, document): one transaction."""
    with transaction(ledger_engine(request)) as db:
        actor = writer(db, request, csrf_token)
        _evidence(db, actor, case_id, evidence)
        service.answer(db, actor, case_id, answer)
    return _done(case_id, "case_answered")


@router.post("/cases/{case_id}/evidence")
def case_evidence(
    request: Request,
    case_id: Id,
    evidence: Annotated[UploadFile, File()],
    note: Note = "",
    csrf_token: Csrf = "",
) -> RedirectResponse:
    """One more evidence file (the unit's reporter or the office)."""
    with transaction(ledger_engine(request)) as db:
        _evidence(db, writer(db, request, csrf_token), case_id, evidence, note)
    return _done(case_id, "case_evidence")


@router.post("/cases/{case_id}/return")
def return_case(
    request: Request, case_id: Id, reason: Note = "", csrf_token: Csrf = ""
) -> RedirectResponse:
    """The office sends the answer back to the unit (退回)."""
    with transaction(ledger_engine(request)) as db:
        service.return_case(db, writer(db, request, csrf_token), case_id, reason)
    return _done(case_id, "case_returned")


@router.post("/cases/{case_id}/close")
def close_case(
    request: Request,
    case_id: Id,
    closure: Note = "",
    closed_on: Short = "",
    csrf_token: Csrf = "",
) -> RedirectResponse:
    """The office verifies the remedy and closes the case (办结)."""
    with transaction(ledger_engine(request)) as db:
        actor = writer(db, request, csrf_token)
        day = parse_day(closed_on, "closed_on", required=False)
        service.close(db, actor, case_id, closure, day)
    return _done(case_id, "case_closed")


@router.post("/cases/{case_id}/escalate")
def escalate_case(
    request: Request, case_id: Id, reason: Note = "", csrf_token: Csrf = ""
) -> RedirectResponse:
    """One step up the five steps (督查 → 交办 → 巡查 → 约谈 → 专项督察), with a new deadline."""
    with transaction(ledger_engine(request)) as db:
        service.escalate(db, writer(db, request, csrf_token), case_id, reason)
    return _done(case_id, "case_escalated")
