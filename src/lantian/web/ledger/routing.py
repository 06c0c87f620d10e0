"""The ledger's router: every route refuses an oversized or unmeasured body, and every form post
but the login a request without a live session, before the body is read; it maps the plan's errors
to HTTP statuses with their message shown. (The bytes actually received are counted, and the
security headers sent, by :mod:`lantian.web.guard` for the whole app.)

Statuses: not logged in 401 (the login form), too many failed logins 429, not allowed / CSRF /
locked month 403, unknown plan, unit, task, report or file 404, invalid input 400, body over
:data:`MAX_REQUEST_BYTES` 413, a POST without ``Content-Length`` 411.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from lantian.plan.access import Actor
from lantian.plan.database import transaction
from lantian.plan.errors import LedgerError, LedgerValueError
from lantian.plan.models import Plan, Unit
from lantian.plan.months import month_of, months_between, parse_month, previous_month
from lantian.plan.reports import MAX_EVIDENCE_BYTES
from lantian.times import beijing_today
from lantian.web.ledger.render import (
    error_page,
    language_of,
    query_url,
    render,
)
from lantian.web.ledger.session import ledger_engine, reader

MAX_ID = 2**31 - 1
"""The largest row id (the ledger's ids are 32-bit integers on PostgreSQL)."""
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
"""A row id in a path: a larger number is refused (400), never sent to the database."""
Year = Annotated[int, Path(ge=1900, le=2100)]

MAX_REQUEST_BYTES = MAX_EVIDENCE_BYTES + 256 * 1024
"""The largest request body accepted [bytes]: one evidence file at the plan's limit, plus fields."""


def body_refusal(request: Request) -> tuple[int, str, str] | None:
    """(status, 中文, English) refusing a POST without ``Content-Length`` (411) or above
    :data:`MAX_REQUEST_BYTES` (413), before its body is read; ``None`` to go on."""
    if request.method != "POST":
        return None
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        return 411, "请求须注明长度（Content-Length）", "Content-Length is required"
    if int(length) > MAX_REQUEST_BYTES:
        limit = MAX_REQUEST_BYTES // 2**20
        return (
            413,
            f"上传内容过大：每次不超过约 {limit} MB",
            f"the upload is too large: at most about {limit} MB",
        )
    return None


def _too_large(request: Request) -> Response | None:
    refused = body_refusal(request)
    if refused is None:
        return None
    status, zh, en = refused
    message = zh if language_of(request) == "zh-CN" else en
    field = "content" if status == 413 else None
    return render(request, "error.html", status, message=message, field=field, details=[])


PUBLIC_POSTS = frozenset({"/ledger/login"})
"""The form posts that need no session (every other post is refused unread without one)."""


def session_first(request: Request) -> None:
    """Raise :class:`NotAuthenticatedError` for a post without a live session, before its body
    is parsed (an anonymous client cannot make the server spool a form)."""
    if request.method != "POST" or request.url.path in PUBLIC_POSTS:
        return
    with transaction(ledger_engine(request)) as db:
        reader(db, request)


class LedgerRoute(APIRoute):
    """An API route with the ledger's size and session guards and its error pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            refused = _too_large(request)
            if refused is not None:
                return refused
            try:
                await run_in_threadpool(session_first, request)
                response = await handler(request)
            except LedgerError as error:
                return error_page(request, error)
            except RequestValidationError as error:
                fields = sorted({str(e["loc"][-1]) for e in error.errors()})
                return error_page(
                    request,
                    LedgerValueError(
                        f"表单或参数无效：{'、'.join(fields)}",
                        f"invalid form or parameters: {', '.join(fields)}",
                        ",".join(fields),
                    ),
                )
            return response

        return guarded


router = APIRouter(
    prefix="/ledger",
    route_class=LedgerRoute,
    include_in_schema=False,
    default_response_class=HTMLResponse,
)


def see_other(path: str, **params: Any) -> RedirectResponse:
    """The redirect after a successful form post (303: the browser GETs ``path``)."""
    return RedirectResponse(query_url(path, params), status_code=303)


def reporting_months(plan: Plan, today: dt.date | None = None) -> list[str]:
    """The plan's months up to the current one, newest first."""
    last = min(month_of(plan.end), month_of(today or beijing_today()))
    return list(reversed(months_between(plan.first_month, last)))


def default_month(plan: Plan, today: dt.date | None = None) -> str:
    """Last month (whose reports are due now), within the plan's reporting months."""
    months = reporting_months(plan, today)
    wanted = previous_month(month_of(today or beijing_today()))
    return next((m for m in months if m <= wanted), plan.first_month)


def chosen_month(plan: Plan, month: str | None) -> str:
    return parse_month(month) if month else default_month(plan)


def page_context(db: Session, actor: Actor, plan: Plan) -> dict[str, Any]:
    """What every logged-in page shows: who, their unit, the plan."""
    unit = db.get(Unit, actor.unit_id) if actor.unit_id else None
    return {
        "actor": actor,
        "my_unit": unit.name if unit else None,
        "plan": {"code": plan.code, "title": plan.title},
    }


def unit_names(db: Session) -> list[str]:
    return list(db.scalars(select(Unit.name).order_by(Unit.name)))


def parse_quantity(value: str) -> float | None:
    """A form's cumulative quantity: empty for none."""
    text = value.strip().replace(",", "")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise LedgerValueError(
            "累计完成量应为数值", "the quantity must be a number", "quantity"
        ) from None
