"""The emission inventory on the web: ``/api/v1/inventory/…`` (read) and the ledger's upload of
activity data ``/ledger/inventory/activity`` (write).

Read routes serve the district's aggregated inventory — totals by source category and pollutant,
the 1 km grid, towns, months, the Monte Carlo's P5–P95 — from the version in force, the same
document as ``lantian inventory show`` (:func:`lantian.inventory.service.summary`). They do not
serve per-source rows: an enterprise's tonnes stay with the logged-in users and the CLI. An
example inventory says ``example: true`` in every answer (and 示例数据 in its rows' ``data``).

The upload is a ledger form post: the ledger's router refuses it without a session or with a body
over the limit before reading it, the form's CSRF token must be the session's, the permission is
``inventory.manage`` (the office), the workbook is opened within the registers' limits, and the
import is all or nothing (400 listing every problem by sheet, row and column).
"""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated, Any

import pyarrow as pa
from fastapi import APIRouter, File, Form, HTTPException, Path, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from lantian.ingest.schema import FormatError
from lantian.ingest.sheets import MAX_FILE_BYTES
from lantian.inventory.activity import TEMPLATES, ActivityImportError, import_activity
from lantian.inventory.service import summary
from lantian.inventory.store import InventoryNotBuiltError, inventory_root, load_table, years
from lantian.plan.database import transaction
from lantian.plan.errors import CellError, ImportRejectedError, LedgerValueError
from lantian.web.api.routes import JSONBytes, respond
from lantian.web.ledger.routing import router as ledger_router
from lantian.web.ledger.routing import see_other
from lantian.web.ledger.session import ledger_engine, writer
from lantian.web.tables import Format, Frame, dumps

EXAMPLE = "示例数据"
Year = Annotated[int, Path(ge=1900, le=2100, description="The inventory's year, e.g. 2019")]
Output = Annotated[Format, Query(alias="format", description="json, csv or xlsx")]
TABLES = ("grid", "towns", "monthly", "uncertainty")
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No inventory for the year"},
    422: {"description": "Invalid parameters"},
}

api_router = APIRouter(
    prefix="/api/v1/inventory", tags=["inventory"], default_response_class=JSONBytes
)


def _root(request: Request) -> FilePath:
    return inventory_root(request.app.state.home)


PRIVATE = ("built_by", "set_by")
"""Who built a version or set a factor: the ledger's users, kept in the audit chain and the CLI,
not published."""


def _summary(request: Request, year: int) -> dict[str, Any]:
    try:
        document = summary(year, _root(request))
    except InventoryNotBuiltError as error:
        raise HTTPException(status_code=404, detail=str(error)) from None
    document = {k: v for k, v in document.items() if k not in PRIVATE}
    document["factors"] = {
        factor_id: {k: v for k, v in factor.items() if k not in PRIVATE}
        for factor_id, factor in document["factors"].items()
    }
    return document


@api_router.get("/years", responses=ERRORS)
def inventory_years(request: Request) -> Response:
    """The years that have an inventory in force."""
    return JSONBytes(dumps({"years": years(_root(request))}))


@api_router.get("/{year}", responses=ERRORS)
def inventory_summary(request: Request, year: Year) -> Response:
    """Totals by category and pollutant [t] with shares, the comparison with the previous
    version, the rows not computed, the factors (``is_default``), ``example``."""
    return JSONBytes(dumps(_summary(request, year)))


def _table_route(name: str):
    def route(request: Request, year: Year, output: Output = Format.json) -> Response:
        document = _summary(request, year)
        try:
            table: pa.Table = load_table(year, name, root=_root(request))
        except KeyError:
            raise HTTPException(
                status_code=404, detail=f"no {name} in the {year} inventory"
            ) from None
        columns = {c: table.column(c).to_pylist() for c in table.column_names}
        if document["example"]:
            columns["data"] = [EXAMPLE] * table.num_rows
        meta = {"year": year, "version": document["version"], "example": document["example"]}
        return respond(Frame.of(columns, meta, name=f"inventory-{year}-{name}"), output)

    route.__name__ = f"inventory_{name}"
    route.__doc__ = f"The {name} table of the year's inventory (json, csv or xlsx)."
    return route


for _name in TABLES:
    api_router.add_api_route(
        f"/{{year}}/{_name}", _table_route(_name), methods=["GET"], responses=ERRORS
    )


# --- the upload (a ledger form post) -------------------------------------------------------------

TemplateName = Annotated[str, Form(max_length=40)]


def _rejected(name: str, error: ActivityImportError) -> ImportRejectedError:
    return ImportRejectedError(
        name,
        [
            CellError(
                r.source,
                r.line,
                r.field,
                r.message + (f"（{r.value}）" if r.value else ""),
                r.reason,
            )
            for r in error.rejections
        ],
    )


@ledger_router.post("/inventory/activity")
def upload_activity(
    request: Request,
    workbook: Annotated[UploadFile, File()],
    year: Annotated[int, Form(ge=1900, le=2100)],
    template: TemplateName = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> RedirectResponse:
    """Import activity data for a year from an uploaded workbook (or CSV with ``template``)."""
    if template and template not in TEMPLATES:
        raise LedgerValueError(
            f"未知模板“{template}”，可用：{'、'.join(TEMPLATES)}",
            f"unknown template {template!r}",
            "template",
        )
    name = FilePath(workbook.filename or "activity.xlsx").name[:200]
    with transaction(ledger_engine(request)) as db:
        actor = writer(db, request, csrf_token)
        content = workbook.file.read(MAX_FILE_BYTES + 1)
        try:
            counts = import_activity(db, actor, name, content, year, template=template or None)
        except ActivityImportError as error:
            raise _rejected(name, error) from None
        except FormatError as error:
            zh = getattr(error, "reason_zh", None) or error.reason
            raise LedgerValueError(f"无法读取 {name}：{zh}", f"cannot read {error}", name) from None
    return see_other("/ledger", done="inventory_imported", rows=sum(counts.values()))
