"""The attainment roadmap's API: ``/api/v1/roadmap`` — the document of the page ``/ledger/roadmap``
(:func:`lantian.web.ledger.roadmap.roadmap_of`, over
:func:`lantian.planning.roadmap.plan_roadmap`, which the CLI and the monthly report also show), as
JSON, CSV or xlsx.

JSON is the document ``lantian plan roadmap --format json`` writes; xlsx is the CLI's workbook (路线图,
措施贡献, 缺口所需削减, 逐月对比, the basis line atop each sheet); CSV is one of those tables
(``table=``), each row with the basis line (``依据``, which says 示例数据 when any input is example
data). Like ``/api/v1/cases`` it needs the ledger's session (the cookie of ``/ledger/login``) and the
permission ``plan.read``; errors are JSON ``{"detail": {"zh", "en", "field"}}``: 401 not logged
in, 403 not allowed, 404 no roadmap (the inventory of the year before not built, no apportionment
for the area), 400 invalid parameters. Per user: never behind the response cache.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from lantian.plan import plans
from lantian.plan.database import transaction
from lantian.planning.outputs import SHEETS, basis_line, roadmap_xlsx
from lantian.web.api.routes import JSONBytes, respond
from lantian.web.case_routes import CaseRoute
from lantian.web.ledger.roadmap import Month, TargetYear, roadmap_of
from lantian.web.ledger.session import ledger_engine, reader
from lantian.web.tables import MEDIA_TYPES, Format, Frame, dumps


class Table(StrEnum):
    """The roadmap's tables (the workbook's sheets), for CSV."""

    summary = "summary"
    measures = "measures"
    needs = "needs"
    monthly = "monthly"


SHEET_OF = dict(zip(Table, SHEETS, strict=True))
"""``table=`` → the workbook's sheet (:data:`lantian.planning.outputs.SHEETS`)."""
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid parameters"},
    401: {"description": "Not logged in"},
    403: {"description": "Not allowed"},
    404: {"description": "No roadmap: the inventory or the apportionment is missing"},
}
TABLES = {"content": {MEDIA_TYPES[Format.csv]: {}, MEDIA_TYPES[Format.xlsx]: {}}}

api_router = APIRouter(
    prefix="/api/v1",
    tags=["planning"],
    route_class=CaseRoute,
    default_response_class=JSONBytes,
    responses=ERRORS,
)


def _frame(doc: dict[str, Any], table: Table) -> Frame:
    rows = SHEETS[SHEET_OF[table]](doc)
    columns = list(rows[0]) if rows else ["（无）"]
    values: dict[str, list[Any]] = {c: [r.get(c) for r in rows] for c in columns}
    values["依据"] = [basis_line(doc)] * len(rows)
    return Frame.of(values, name=f"roadmap-{doc['target_year']}-{table.value}")


@api_router.get(
    "/roadmap",
    summary="The attainment roadmap of the plan's area (达标路线图)",
    responses={200: {"description": "The roadmap", **TABLES}},
)
def roadmap(
    request: Request,
    target_year: TargetYear = None,
    month: Month = None,
    table: Annotated[Table, Query(description="the table for CSV")] = Table.measures,
    output: Annotated[Format, Query(alias="format", description="json, csv or xlsx")] = (
        Format.json
    ),
) -> Response:
    """The PM2.5 cut needed in the plan's area by ``target_year`` (default: the plan's last year;
    inventory of the year before), the linked measures' planned and achieved µg/m³ (achieved as of
    ``month``, YYYY-MM; default: this month, at most the target year's December) ranked by µg/m³
    per 万元, the residual gap and what it would take, the monthly comparison with the observed
    progress, the response model's basis and ``example``. JSON: the document of ``lantian plan
    roadmap --format json``; xlsx: its workbook; CSV: the ``table`` (summary, measures, needs,
    monthly) with Chinese headers."""
    with transaction(ledger_engine(request)) as db:
        actor = reader(db, request)
        doc, why = roadmap_of(
            db, actor, plans.get_plan(db), request.app.state.data.store, target_year, month
        )
    if why is not None:
        raise why
    assert doc is not None
    if output is Format.json:
        return JSONBytes(dumps(doc))
    if output is Format.csv:
        return respond(_frame(doc, table), output)
    name = quote(f"{doc['area']}-{doc['target_year']}-达标路线图.xlsx")
    return Response(
        roadmap_xlsx(doc),
        media_type=MEDIA_TYPES[Format.xlsx],
        headers={
            "Content-Disposition": f'attachment; filename="roadmap-{doc["target_year"]}.xlsx"; '
            f"filename*=UTF-8''{name}"
        },
    )
