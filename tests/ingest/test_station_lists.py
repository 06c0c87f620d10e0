"""CNEMC station lists as CSV and as ``.xlsx`` (mirrors publish both): the same table either way.

The national list (1,641 stations) is read from the reference data; its ``.xlsx`` twin is written
here with openpyxl, so nothing third-party is committed."""

from __future__ import annotations

import csv

import openpyxl
import pytest

from lantian.demo import STATION_LIST, demo_file
from lantian.ingest.detect import station_list_kind
from lantian.ingest.stations import StationListError, read_station_list


def as_workbook(path, target, header_rows=()) -> None:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "站点列表"
    for row in header_rows:
        sheet.append(row)
    sheet.append(rows[0])
    for row in rows[1:]:  # coordinates as numbers, "-" kept as text, as a person would type them
        sheet.append(
            [*row[:3], *(float(c) if c not in ("", "-") else c for c in row[3:5]), *row[5:]]
        )
    book.save(target)


def test_an_xlsx_station_list_reads_as_its_csv(tmp_path):
    source = demo_file(STATION_LIST)
    workbook = tmp_path / "站点列表-2020.01.01起.xlsx"
    as_workbook(source, workbook)
    assert station_list_kind(source) == "stations"
    assert station_list_kind(workbook) == "stations"
    from_csv, _ = read_station_list(source)
    from_xlsx, _ = read_station_list(workbook)
    assert from_xlsx.num_rows == from_csv.num_rows == 1641
    assert from_xlsx.schema == from_csv.schema
    assert from_xlsx.equals(from_csv)


def test_a_workbook_that_is_not_a_station_list(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["station_code", "ts", "pollutant", "value"])
    book.save(tmp_path / "hours.xlsx")
    assert station_list_kind(tmp_path / "hours.xlsx") is None
    with pytest.raises(
        StationListError, match=r"hours\.xlsx: line 1: missing column\(s\) 监测点编码"
    ):
        read_station_list(tmp_path / "hours.xlsx")


def test_text_in_a_coordinate_is_named(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["监测点编码", "监测点名称", "城市", "经度", "纬度"])
    book.active.append(["2477A", "零陵南津渡", "永州", "东经111度", 26.2])
    book.save(tmp_path / "list.xlsx")
    with pytest.raises(StationListError, match="column 经度: not a number"):
        read_station_list(tmp_path / "list.xlsx")


def test_a_csv_list_saved_again_as_gb18030_or_with_a_bom_reads_alike(tmp_path):
    """The one decoder (``ingest.text.decode_csv``): Excel on a Chinese Windows saves CSV as
    GB18030; UTF-16 is refused naming the file. The rows are constructed (invented stations)."""
    text = (
        "监测点编码,监测点名称,城市,经度,纬度\n9001A,示例点,永州,111.6,26.2\n9002A,示例二,永州,-,\n"
    )
    tables = []
    for name, data in (
        ("utf8.csv", text.encode("utf-8")),
        ("bom.csv", b"\xef\xbb\xbf" + text.encode("utf-8")),
        ("gbk.csv", text.encode("gb18030")),
    ):
        (tmp_path / name).write_bytes(data)
        assert station_list_kind(tmp_path / name) == "stations"
        tables.append(read_station_list(tmp_path / name)[0])
    assert tables[0].column("name").to_pylist() == ["示例点", "示例二"]
    assert all(table.equals(tables[0]) for table in tables[1:])
    (tmp_path / "utf16.csv").write_bytes(text.encode("utf-16"))
    with pytest.raises(StationListError, match=r"utf16\.csv: UTF-16"):
        read_station_list(tmp_path / "utf16.csv")
