"""The ledger's downloads: evidence files, the xlsx export of the views, the monthly-report template,
and the pages' stylesheet. Files are sent as attachments (never rendered by the browser)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import Query, Request
from fastapi.responses import Response

from lantian.plan import plans, reports, xlsx
from lantian.plan.database import transaction
from lantian.web.ledger.render import stylesheet_file
from lantian.web.ledger.routing import Id, chosen_month, router
from lantian.web.ledger.session import ledger_engine, reader

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(content: bytes, filename: str, media_type: str) -> Response:
    """``content`` as a download named ``filename`` (RFC 6266, UTF-8 name for Chinese)."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


def _workbook_bytes(write) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ledger.xlsx"
        write(path)
        return path.read_bytes()


@router.get("/evidence/{evidence_id}")
def evidence_file(request: Request, evidence_id: Id) -> Response:
    """An evidence file (its unit's reporter, the office, leaders), checked against its hash."""
    with transaction(ledger_engine(request)) as db:
        actor = reader(db, request)
        name, content = reports.read_evidence(db, actor, evidence_id)
    return attachment(content, name, "application/octet-stream")


@router.get("/export.xlsx")
def export(
    request: Request,
    month: Annotated[str | None, Query(max_length=16)] = None,
    year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
) -> Response:
    """The views of a month as one workbook: 台账, 逾期清单, 月度汇总, 督查督办, 年度考核, 措施清单."""
    with transaction(ledger_engine(request)) as db:
        actor = reader(db, request)
        plan = plans.get_plan(db)
        month = chosen_month(plan, month)
        content = _workbook_bytes(
            lambda path: xlsx.export_views(db, actor, plan, path, month, year)
        )
    return attachment(content, f"台账-{plan.code}-{month}.xlsx", XLSX)


@router.get("/template.xlsx")
def template(
    request: Request,
    month: Annotated[str | None, Query(max_length=16)] = None,
    unit: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The monthly-report template: the reporter's unit's tasks (the office: all, or ``unit``)."""
    with transaction(ledger_engine(request)) as db:
        actor = reader(db, request)
        plan = plans.get_plan(db)
        month = chosen_month(plan, month)
        unit_id = plans.get_unit(db, unit).id if unit else None
        content = _workbook_bytes(
            lambda path: xlsx.write_report_template(db, actor, plan, path, month, unit_id)
        )
    return attachment(content, f"月度进展-{month}.xlsx", XLSX)


@router.get("/static/ledger.css")
def stylesheet() -> Response:
    """The ledger pages' few styles beyond ``lantian.css``."""
    body, digest = stylesheet_file()
    return Response(
        body,
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=31536000, immutable", "ETag": f'"{digest}"'},
    )
