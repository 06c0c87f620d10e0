"""The case workflow's API: ``/api/v1/cases`` (list as JSON, CSV or xlsx; one case as JSON) and its
actions (``POST /api/v1/cases`` to open, ``POST /api/v1/cases/{case_id}/{action}`` for each action
of the one table :data:`lantian.cases.service.CASE_ACTIONS` — dispatch, accept, decline, answer,
return, close, escalate, evidence —, built by :mod:`lantian.web.case_forms` as the pages' are).

Thin routes over :mod:`lantian.cases.service` (the same calls as ``lantian cases …`` and the pages). Every route
needs the ledger's session (the cookie ``lantian_session`` of ``/ledger/login``); a POST also needs
the session's CSRF token, in the form field ``csrf_token`` or the header ``X-CSRF-Token``. Before
a POST's body is read, one without ``Content-Length`` is refused (411), one over the limit (413),
one without a live session (401). Errors are JSON ``{"detail": {"zh", "en", "field"}}``: 401 not
logged in, 403 not allowed (role, another unit's case, CSRF), 404 no such case, unit or source, 409
the case's status does not allow the action, 400 invalid input. A reporter reads and acts on their
own unit's cases only; another unit's case answers 403, as any case they may not read.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Form, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from lantian.cases import service
from lantian.cases.workflow import ORIGINS, STATUSES, CaseTransitionError
from lantian.plan.database import transaction
from lantian.plan.errors import LedgerError, LedgerValueError
from lantian.plan.reports import MAX_NARRATIVE
from lantian.web.api.routes import JSONBytes, respond
from lantian.web.case_forms import add_action_routes, take
from lantian.web.ledger.render import status_of
from lantian.web.ledger.routing import MAX_ID, body_refusal, session_first
from lantian.web.ledger.session import ledger_engine, reader, writer
from lantian.web.tables import Format, Frame, dumps


def _problem(status: int, zh: str, en: str, field: str | None) -> Response:
    return JSONBytes(dumps({"detail": {"zh": zh, "en": en, "field": field}}), status_code=status)


class CaseRoute(APIRoute):
    """A JSON route with the ledger's guards: body size and session before the body is read, the
    ledger's errors as JSON with their status."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            refused = body_refusal(request)
            if refused is not None:
                return _problem(*refused, "content")
            try:
                await run_in_threadpool(session_first, request)
                return await handler(request)
            except CaseTransitionError as error:
                return _problem(409, error.zh, error.en, error.field)
            except LedgerError as error:
                return _problem(status_of(error), error.zh, error.en, error.field)
            except RequestValidationError as error:
                fields = sorted({str(e["loc"][-1]) for e in error.errors()})
                return _problem(
                    400,
                    f"表单或参数无效：{'、'.join(fields)}",
                    f"invalid form or parameters: {', '.join(fields)}",
                    ",".join(fields),
                )

        return guarded


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid input"},
    401: {"description": "Not logged in"},
    403: {"description": "Not allowed (role, another unit's case, CSRF)"},
    404: {"description": "No such case, unit or source"},
    409: {"description": "The case's status does not allow the action"},
}
router = APIRouter(
    prefix="/api/v1/cases",
    tags=["cases"],
    route_class=CaseRoute,
    default_response_class=JSONBytes,
    responses=ERRORS,
)

CaseId = Annotated[int, Path(ge=1, le=MAX_ID, description="The case's number (案件编号)")]
Short = Annotated[str, Form(max_length=200)]
Long = Annotated[str, Form(max_length=MAX_NARRATIVE)]
CsrfField = Annotated[str, Form(max_length=200)]
CsrfHeader = Annotated[str, Header(alias="X-CSRF-Token", max_length=200)]
Output = Annotated[Format, Query(alias="format", description="json, csv or xlsx")]
Filter = Annotated[str | None, Query(max_length=100)]


def _number(value: str, field: str) -> float | None:
    if not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        raise LedgerValueError("应为数值", "must be a number", field) from None


@router.get("", summary="Cases the logged-in user may read (a reporter: their unit's)")
def list_cases(
    request: Request,
    status: Annotated[str | None, Query(max_length=20, description=", ".join(STATUSES))] = None,
    origin: Annotated[str | None, Query(max_length=30, description=", ".join(ORIGINS))] = None,
    unit: Filter = None,
    source: Filter = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
    output: Output = Format.json,
) -> Response:
    """The cases by deadline (none last); CSV and xlsx with the offices' Chinese headers."""
    with transaction(ledger_engine(request)) as db:
        actor = reader(db, request)
        rows = service.list_cases(
            db, actor, status=status, origin=origin, unit=unit, source=source, open_only=open_only
        )
    if output is Format.json:
        return JSONBytes(dumps({"cases": rows}))
    columns = {zh: [row[key] for row in rows] for key, zh in service.COLUMNS.items()}
    return respond(Frame.of(columns, name="cases"), output)


@router.get("/{case_id}", summary="One case with its steps, evidence and the actions allowed now")
def show_case(request: Request, case_id: CaseId) -> Response:
    """The case document of ``lantian cases show --format json``; evidence files download from
    ``/ledger/evidence/{evidence_id}``."""
    with transaction(ledger_engine(request)) as db:
        document = service.case_document(db, reader(db, request), case_id)
    return JSONBytes(dumps(document))


def _act(request: Request, csrf: str, action: Callable, status: int = 200) -> Response:
    """Run one service call as the session's user (CSRF checked first) in one transaction and
    answer the case's document as it is after."""
    with transaction(ledger_engine(request)) as db:
        actor = writer(db, request, csrf)
        case = action(db, actor)
        document = service.case_document(db, actor, case.id)
    return JSONBytes(dumps(document), status_code=status)


def _csrf(field: str, header: str) -> str:
    return field or header


@router.post("", status_code=201, summary="Open a case (office): 待派发")
def open_case(
    request: Request,
    origin: Annotated[str, Form(max_length=30)],
    title: Short,
    source: Short = "",
    longitude: Short = "",
    latitude: Short = "",
    town: Short = "",
    unit: Short = "",
    description: Long = "",
    ref: Short = "",
    csrf_token: CsrfField = "",
    x_csrf_token: CsrfHeader = "",
) -> Response:
    """A case on a registered source (its registry code) or a place (longitude/latitude WGS-84,
    town); the unit by the rules unless given."""
    return _act(
        request,
        _csrf(csrf_token, x_csrf_token),
        lambda db, actor: service.open_case(
            db,
            actor,
            origin.strip(),
            title,
            description=description,
            source=source.strip() or None,
            longitude=_number(longitude, "longitude"),
            latitude=_number(latitude, "latitude"),
            town=town,
            unit=unit.strip() or None,
            origin_ref=ref,
        ),
        201,
    )


def _take(
    request: Request, action: service.CaseAction, case_id: int, values: dict[str, Any], csrf: str
) -> Response:
    """One action of the table; the case's document after."""
    return _act(request, csrf, lambda db, actor: take(db, actor, action, case_id, values))


add_action_routes(router, CaseId, _take, api=True)
