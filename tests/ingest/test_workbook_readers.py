"""Every reader of a workbook goes through the one guarded reader, ``lantian.ingest.excel``
(``open_workbook``: size, unpacked size, cells, DOCTYPE/entities; ``sheet_rows``), including the
two that live beside their domain — the emergency reduction list (``forecast.emergency_xlsx``) and
the ledger's report template (``plan.xlsx``): a hostile workbook is refused by each with the
guard's reason, naming the file. The workbooks are constructed (tests/hostile.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lantian.forecast.emergency_xlsx import EmergencyImportError, read_emergency_workbook
from lantian.plan.errors import LedgerValueError
from lantian.plan.xlsx import read_workbook
from tests import hostile

SOURCE = Path(__file__).parents[2] / "src" / "lantian"


def test_no_module_outside_ingest_opens_a_workbook_itself():
    """openpyxl's own reader (``load_workbook``) is called in ``lantian.ingest`` only."""
    found = [
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.py")
        if "ingest" not in path.relative_to(SOURCE).parts
        and re.search(r"\bload_workbook\b", path.read_text("utf-8"))
    ]
    assert found == []


@pytest.mark.parametrize(
    ("build", "reason"),
    [(hostile.doctype_sheet, "DOCTYPE"), (lambda: b"PK\x03\x04" + b"\0" * 100, "xlsx")],
)
def test_the_emergency_list_and_the_report_template_are_refused_by_the_guard(
    tmp_path, build, reason
):
    path = tmp_path / "减排清单.xlsx"
    path.write_bytes(build())
    with pytest.raises(EmergencyImportError) as emergency:
        read_emergency_workbook(path, "永州")
    (rejection,) = emergency.value.rejections
    assert rejection.source == "减排清单.xlsx"
    assert reason in str(rejection)
    with pytest.raises(LedgerValueError) as template:
        read_workbook(path)
    assert "减排清单.xlsx" in template.value.zh
    assert reason in template.value.zh
