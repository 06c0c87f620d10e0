"""The roadmap page (``/ledger/roadmap``): the plan area's cut needed, the measures' planned and
achieved µg/m³ ranked by µg/m³ per 万元, the residual gap and the monthly comparison — the document
of :func:`lantian.planning.roadmap.plan_roadmap`, which the CLI and the monthly report also show.

``/ledger/roadmap.xlsx`` downloads it (the CLI's workbook); ``POST /ledger/roadmap/apportionment``
takes an apportionment workbook (the office; all or nothing, errors by sheet, row and column). The
page draws its chart with this server's ECharts (``static/roadmap.js``), reading the chart's numbers
from a JSON data block of the page (no inline script: ``lantian.web.guard.LEDGER_CHART_PATHS``).
Every role that reads the plan (``plan.read``) may see it.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import File, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from lantian.inventory import InventoryNotBuiltError
from lantian.plan import plans
from lantian.plan.access import Actor, allowed
from lantian.plan.database import transaction
from lantian.plan.errors import LedgerValueError, NotFoundError
from lantian.plan.models import Plan
from lantian.plan.months import parse_month
from lantian.planning.apportionment import LIMITS, import_workbook
from lantian.planning.outputs import roadmap_context, roadmap_xlsx
from lantian.planning.roadmap import plan_roadmap
from lantian.store import MeasurementStore
from lantian.web.ledger.actions import Csrf
from lantian.web.ledger.render import render
from lantian.web.ledger.routing import page_context, router, see_other
from lantian.web.ledger.session import ledger_engine, reader, writer

TargetYear = Annotated[int | None, Query(ge=2000, le=2100)]
Month = Annotated[str | None, Query(max_length=16)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def roadmap_of(
    db: Session, actor: Actor, plan: Plan, store: MeasurementStore, target_year, month
) -> tuple[dict[str, Any] | None, NotFoundError | None]:
    """The roadmap of ``plan``'s area as ``actor`` reads it — what the page, its download and
    ``/api/v1/roadmap`` show: (document, None), or (None, why not) when the inventory of the year
    before is not built or the plan has no area or apportionment. A bad ``month`` (``YYYY-MM``)
    or a reader without ``plan.read`` raises."""
    month = parse_month(month) if month else None
    try:
        return plan_roadmap(db, actor, plan, store, target_year, month=month), None
    except InventoryNotBuiltError as error:
        zh, _, en = str(error).partition(" / ")
        return None, NotFoundError(zh, en, "inventory")
    except LedgerValueError as error:
        if error.field not in ("apportionment", "area", "year"):
            raise
        return None, NotFoundError(error.zh, error.en, error.field)


def _document(request: Request, target_year: int | None, month: str | None):
    """(document or None, why not, page context, may import) as the logged-in user reads it."""
    with transaction(ledger_engine(request)) as db:
        actor = reader(db, request)
        plan = plans.get_plan(db)
        context = page_context(db, actor, plan)
        can_import = allowed(actor, "plan.manage")
        store = request.app.state.data.store
        doc, why = roadmap_of(db, actor, plan, store, target_year, month)
    return doc, why.zh if why else None, context, can_import


@router.get("/roadmap")
def roadmap_page(
    request: Request, target_year: TargetYear = None, month: Month = None
) -> HTMLResponse:
    """The roadmap of the plan's area (default: the plan's last year, cuts achieved by today)."""
    doc, why, context, can_import = _document(request, target_year, month)
    values: dict[str, Any] = roadmap_context(doc) if doc else {"rm": None}
    return render(
        request,
        "roadmap.html",
        page="roadmap",
        why=why,
        can_import=can_import,
        max_mb=LIMITS.file_bytes // 2**20,
        **values,
        **context,
    )


@router.get("/roadmap.xlsx")
def roadmap_download(
    request: Request, target_year: TargetYear = None, month: Month = None
) -> Response:
    """The roadmap as the CLI's workbook (路线图, 措施贡献, 缺口所需削减, 逐月对比)."""
    doc, why, _, _ = _document(request, target_year, month)
    if doc is None:
        raise LedgerValueError(why or "无法生成", "no roadmap", "roadmap")
    name = quote(f"{doc['area']}-{doc['target_year']}-达标路线图.xlsx")
    return Response(
        roadmap_xlsx(doc),
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )


@router.post("/roadmap/apportionment")
def import_apportionment(
    request: Request, workbook: Annotated[UploadFile, File()], csrf_token: Csrf = ""
) -> RedirectResponse:
    """Store an apportionment workbook (the office): all or nothing."""
    with transaction(ledger_engine(request)) as db:
        actor = writer(db, request, csrf_token)
        content = workbook.file.read(LIMITS.file_bytes + 1)
        name = (workbook.filename or "workbook.xlsx")[-200:]
        import_workbook(db, actor, name, content)
    return see_other("/ledger/roadmap", done="apportionment_imported")
