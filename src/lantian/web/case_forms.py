"""The case actions' form posts, built from the one action table
(:data:`lantian.cases.service.CASE_ACTIONS`) for the JSON API (``/api/v1/cases/{case_id}/{action}``,
:mod:`lantian.web.case_routes`) and the pages (``/ledger/cases/{case_id}/{action}``,
:mod:`lantian.web.ledger.cases`) alike: one route per action, its form fields those of the table
(``text`` and ``day`` ≤ 200 characters, ``narrative`` ≤ the ledger's narrative limit, ``file`` an
upload), so that a new action or field is added to the table only. Each layer says what the
route does with the values (:data:`Respond`): the API answers the case's JSON document, the pages
redirect to the case.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Header, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile as ReceivedFile

from lantian.cases.service import CASE_ACTIONS, ActionField, CaseAction, perform
from lantian.cases.workflow import STATUSES
from lantian.plan.access import Actor
from lantian.plan.models import Case
from lantian.plan.reports import MAX_EVIDENCE_BYTES, MAX_NARRATIVE

FORM_TYPES: dict[str, Any] = {
    "text": Annotated[str, Form(max_length=200)],
    "day": Annotated[str, Form(max_length=200)],
    "narrative": Annotated[str, Form(max_length=MAX_NARRATIVE)],
}
"""A field's kind → its form parameter (``file``: an upload)."""

Respond = Callable[[Request, CaseAction, int, dict[str, Any], str], Response]
"""``respond(request, action, case_id, values, csrf)``: what a layer does with a post (the
values by field name, uploads as received: :func:`take` reads them)."""


def _parameter(field: ActionField, required: bool) -> inspect.Parameter:
    """The endpoint's parameter of ``field``: required in the form when ``required`` and the
    table says so, else empty by default (the service refuses an empty required field)."""
    needed = required and field.required
    if field.kind == "file":
        annotation: Any = (
            Annotated[UploadFile, File()] if needed else Annotated[UploadFile | None, File()]
        )
        default = inspect.Parameter.empty if needed else None
    else:
        annotation = FORM_TYPES[field.kind]
        default = inspect.Parameter.empty if needed else ""
    return inspect.Parameter(
        field.name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
    )


def take(
    db: Session, actor: Actor, action: CaseAction, case_id: int, values: Mapping[str, Any]
) -> Case:
    """:func:`lantian.cases.service.perform` with each upload as ``(filename, content)`` (at most
    the evidence limit + 1 bytes: the service refuses more than the limit); call it once the
    writer (and its CSRF token) is checked, inside the post's one transaction."""
    given = {
        name: (value.filename or "", value.file.read(MAX_EVIDENCE_BYTES + 1))
        if isinstance(value, ReceivedFile)
        else value
        for name, value in values.items()
    }
    return perform(db, actor, case_id, action.name, given)


def _description(action: CaseAction) -> str:
    before = "、".join(STATUSES[s] for s in STATUSES if s in action.from_statuses)
    after = STATUSES[action.to_status] if action.to_status else "状态不变"
    if action.name == "close":
        # transition(): the case rules' direct_close origins close from any open status
        before += (
            "（督办事项等 direct_close 来源：任一未办结状态 / supervision items: any open status）"
        )
    required = ", ".join(f"`{name}`" for name in action.required) or "none"
    return f"{action.rule.zh}: {before} → {after}. Required: {required}."


def add_action_routes(
    router: APIRouter,
    case_id: Any,
    respond: Respond,
    prefix: str = "",
    api: bool = False,
) -> None:
    """Add ``POST {prefix}/{case_id}/{action}`` to ``router`` for every action of the table:
    ``case_id`` the path parameter's type. Each post takes the session's CSRF token in the form
    field ``csrf_token`` (the API: or the header ``X-CSRF-Token``); the API's form requires the
    table's required fields (documented in its schema), the pages' leave them to the service
    (which refuses them empty with its own message)."""
    for action in CASE_ACTIONS.values():
        router.add_api_route(
            f"{prefix}/{{case_id}}/{action.name}",
            _endpoint(action, case_id, respond, api),
            methods=["POST"],
            summary=action.summary,
            description=_description(action),
            name=f"case_{action.name}",
        )


CSRF_FIELD = inspect.Parameter(
    "csrf_token", inspect.Parameter.KEYWORD_ONLY, default="", annotation=FORM_TYPES["text"]
)
CSRF_HEADER = inspect.Parameter(
    "x_csrf_token",
    inspect.Parameter.KEYWORD_ONLY,
    default="",
    annotation=Annotated[str, Header(alias="X-CSRF-Token", max_length=200)],
)


def _endpoint(
    action: CaseAction, case_id: Any, respond: Respond, api: bool
) -> Callable[..., Response]:
    def endpoint(
        request: Request, case_id: int, csrf_token: str = "", x_csrf_token: str = "", **form: Any
    ) -> Response:
        return respond(request, action, case_id, form, csrf_token or x_csrf_token)

    parameters = [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
        inspect.Parameter("case_id", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=case_id),
        *(_parameter(field, api) for field in action.fields),
        CSRF_FIELD,
        *([CSRF_HEADER] if api else []),
    ]
    endpoint.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    endpoint.__name__ = f"{action.name}_case"
    endpoint.__doc__ = _description(action)
    return endpoint
