"""The inventory's routes attacked over a real socket (``lantian serve`` subprocess): the read
routes of ``/api/v1/inventory`` and the upload of activity data ``/ledger/inventory/activity``.

The server's home holds a seeded ledger (the model plan, a user of each role), the EXAMPLE
registry (示例) and the example activity data (示例数据) built into a 2019 inventory — no
monitoring data is needed. Hostile workbooks are built in the test (:mod:`tests.hostile`).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from lantian.inventory.example import import_example_activity
from lantian.inventory.service import build_inventory
from lantian.plan.access import SYSTEM
from lantian.plan.database import create_ledger_engine, transaction
from lantian.sources.example import import_example
from tests import hostile
from tests.inventory.helpers import headers, row
from tests.web_ledger.conftest import seed_ledger


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """A home with the example inventory of 2019 built (overrides the demo-store home)."""
    folder = tmp_path_factory.mktemp("inventory-attacked") / "home"
    folder.mkdir(parents=True)
    url = f"sqlite:///{folder / 'plan.sqlite3'}"
    seed_ledger(url)
    engine = create_ledger_engine(url)
    with transaction(engine) as db:
        import_example(db, SYSTEM)
        import_example_activity(db, SYSTEM, 2019)
    with transaction(engine) as db:
        build_inventory(db, SYSTEM, 2019, root=folder / "inventory")
    engine.dispose()
    return folder


def workbook(rows: list[list[object]], sheet: str = "道路扬尘") -> bytes:
    book = Workbook()
    book.active.title = sheet
    for line in rows:
        book.active.append(line)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


GOOD = workbook(
    [
        headers("roads"),
        row("roads", source_code="示例DL02", length_m=1400, traffic=100, weight=2, silt_loading=1),
    ]
)


# --- reading ---------------------------------------------------------------------------------------


def test_the_example_inventory_is_served_marked_as_example(visitor):
    http = visitor()
    assert http.get("/api/v1/inventory/years").json() == {"years": [2019]}
    document = http.get("/api/v1/inventory/2019").json()
    assert document["example"] is True
    assert document["year"] == 2019
    grid = http.get("/api/v1/inventory/2019/grid", params={"format": "csv"})
    assert grid.status_code == 200
    assert grid.headers["content-type"].startswith("text/csv")
    assert "示例数据" in grid.text
    assert "source_code" not in http.get("/api/v1/inventory/2019/towns").text  # no per-source rows


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/inventory/2018", 404),
        ("/api/v1/inventory/2018/grid", 404),
        ("/api/v1/inventory/99999", 422),
        ("/api/v1/inventory/-1/towns", 422),
        ("/api/v1/inventory/2019%2F..%2F..%2Fplan.sqlite3", 404),
        ("/api/v1/inventory/..%2F..%2Fplan.sqlite3/grid", 404),
        ("/api/v1/inventory/2019/emissions", 404),
        ("/api/v1/inventory/2019/cems_daily", 404),
        ("/api/v1/inventory/2019/grid?format=pickle", 422),
    ],
)
def test_probes_get_a_clean_refusal_and_no_path(visitor, path, status):
    response = visitor().get(path)
    assert response.status_code == status, response.text[:300]
    assert "/tmp" not in response.text
    assert "plan.sqlite3" not in response.text.replace(path, "")


# --- the upload --------------------------------------------------------------------------------------


def post(http, data: bytes, name: str = "活动水平.xlsx", **form):
    fields = {"year": "2019", "csrf_token": getattr(http, "csrf", ""), **form}
    return http.post(
        "/ledger/inventory/activity",
        data=fields,
        files={"workbook": (name, data, "application/octet-stream")},
        timeout=30,
    )


def test_anonymous_upload_is_refused_unread(visitor):
    assert post(visitor(), GOOD).status_code == 401


def test_a_reporter_may_not_upload(visitor):
    response = post(visitor("hb"), GOOD)
    assert response.status_code == 403
    assert "排放清单" in response.text


def test_without_the_sessions_csrf_token_nothing_is_imported(visitor):
    office = visitor("office")
    office.csrf = "forged"
    assert post(office, GOOD).status_code == 403


def test_the_office_uploads_and_a_mistake_is_refused_by_sheet_row_and_column(visitor):
    office = visitor("office")
    bad = workbook(
        [
            headers("roads"),
            row(
                "roads",
                source_code="示例DL02",
                length_m="长",
                traffic=100,
                weight=2,
                silt_loading=1,
            ),
        ]
    )
    refused = post(office, bad)
    assert refused.status_code == 400
    assert "活动水平.xlsx!道路扬尘" in refused.text
    assert "长度（米）" in refused.text
    done = post(office, GOOD)
    assert done.status_code == 303
    assert "inventory_imported" in done.headers["location"]


@pytest.mark.parametrize(
    ("name", "build", "message"),
    [
        ("entity.xlsx", hostile.doctype_sheet, "DOCTYPE"),
        ("wide.xlsx", lambda: hostile.wide_sheet(4900, 1300), "解压后过大"),
        ("old.xls", lambda: b"\xd0\xcf\x11\xe0" + b"\0" * 1000, ".xls"),
        ("text.csv", lambda: "道路编号\n示例DL01\n".encode(), "template"),
    ],
)
def test_hostile_files_are_refused_with_400_naming_the_file(visitor, name, build, message):
    response = post(visitor("office"), build(), name)
    assert response.status_code == 400, response.text[:500]
    assert name in response.text
    assert message in response.text


def test_unknown_template_and_bad_year_are_refused(visitor):
    office = visitor("office")
    assert post(office, GOOD, template="../../etc").status_code == 400
    assert post(office, GOOD, year="20190").status_code == 400


def test_an_oversized_upload_is_refused_before_it_is_read(visitor):
    """Over the route's 11 MB: 413, whatever the file (the guard counts the bytes received)."""
    response = post(visitor("office"), b"PK\x03\x04" + b"\0" * (12 * 2**20))
    assert response.status_code == 413
