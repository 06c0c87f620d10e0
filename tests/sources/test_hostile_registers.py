"""Register files built to hurt (constructed here; nothing is real data): every one is refused with
an error naming the file, quickly and without reading it whole, and nothing is stored.

The xlsx packages are those of ``tests/hostile.py`` (issue #11's attacks), renamed to the sheet a
register is read from; the CSV ones are written here. Exported registers keep user text as text:
a name that Excel would take for a formula stays a text cell.
"""

from __future__ import annotations

import time

import pytest
from openpyxl import load_workbook

from lantian.ingest.schema import FormatError
from lantian.ingest.sheets import read_table_file
from tests import hostile


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (hostile.wide_sheet(1, 1), ""),
        (hostile.shared_strings_bomb(64), "unpack"),
        (hostile.doctype_sheet(), "DOCTYPE"),
        (b"PK\x03\x04" + bytes(64), ""),
    ],
    ids=["no-bomb-control", "shared-strings-bomb", "doctype", "truncated-zip"],
)
def test_hostile_workbooks_are_refused_naming_the_file(data, words):
    if not words and len(data) > 100:  # the control: a harmless tiny workbook reads
        assert read_table_file("企业.xlsx", data).header == ["1"]
        return
    start = time.perf_counter()
    with pytest.raises(FormatError, match=r"企业\.xlsx") as raised:
        read_table_file("企业.xlsx", data)
    assert words.lower() in str(raised.value).lower()
    assert time.perf_counter() - start < 10


def test_a_wide_workbook_is_cut_at_the_register_columns():
    sheet = read_table_file("企业.xlsx", hostile.wide_sheet(3, 300))
    assert len(sheet.header) <= 64


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"x" * (11 * 2**20), "larger than 10 MB"),
        (",".join(f"c{i}" for i in range(65)).encode(), "more than 64 columns"),
        (b"a\n" + b"1\n" * 50_001, "more than 50000 rows"),
        (b'a\n"' + b"x" * 200_000 + b'"\n', "not readable as CSV"),
        (b"\xff\xfea\x00", "UTF-16"),
        (b"\xd0\xcf\x11\xe0" + bytes(512), "old Excel"),
    ],
    ids=["oversized", "wide", "long", "huge-field", "utf16", "xls"],
)
def test_hostile_csv_files_are_refused_naming_the_file(data, words):
    with pytest.raises(FormatError, match=r"登记\.csv") as raised:
        read_table_file("登记.csv", data)
    assert words in str(raised.value)


def test_exported_text_that_looks_like_a_formula_stays_text(tmp_path):
    from lantian.plan.access import SYSTEM
    from lantian.plan.database import create_ledger_engine, transaction, upgrade
    from lantian.sources.workbook import import_file, write_workbook
    from tests.sources.helpers import csv_bytes, example_rows

    engine = create_ledger_engine(f"sqlite:///{tmp_path / 'l.sqlite3'}")
    upgrade(engine)
    rows = example_rows("catering")
    rows[1][rows[0].index("店名")] = '=HYPERLINK("http://example.invalid","示例")'
    with transaction(engine) as db:
        import_file(db, SYSTEM, "餐饮.csv", csv_bytes(rows), register="catering")
        write_workbook(db, SYSTEM, tmp_path / "out.xlsx", ["catering"])
    cell = load_workbook(tmp_path / "out.xlsx")["餐饮单位"]["B2"]
    assert cell.data_type == "s"
    assert cell.value.startswith("=HYPERLINK")
    engine.dispose()
