"""The tidy format as Excel (.xlsx), Parquet and zip archives: the same rules, the sources' own rows."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lantian.ingest.schema import MEASUREMENT_SCHEMA, FormatError
from lantian.ingest.tidy import parse_tidy, read_tidy
from tests.ingest.helpers import HEADER, NOW, YONGZHOU_HOUR, xlsx_bytes

CHINESE_HEADER = ["站点编码", "时间", "污染物", "浓度"]


def parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def test_xlsx_with_date_cells_numbers_and_text_cells():
    rows = [
        CHINESE_HEADER,
        ["2477A", dt.datetime(2019, 1, 1, 1), "PM2.5", 48],
        ["2477A", "2019-01-01 01:00", "CO", 0.9],
        ["2477A", dt.datetime(2019, 1, 1, 1, 30), "O3", 22],
        ["2477A", dt.datetime(2019, 1, 1, 1), "SO2", "#N/A"],
    ]
    table, metadata = parse_tidy(xlsx_bytes(rows), "永州.xlsx", now=NOW)
    assert table.schema == MEASUREMENT_SCHEMA
    assert table.select(["ts", "pollutant", "value", "line"]).to_pylist() == [
        {"ts": dt.datetime(2019, 1, 1, 1), "pollutant": "PM2.5", "value": 48.0, "line": 2},
        {"ts": dt.datetime(2019, 1, 1, 1), "pollutant": "CO", "value": 0.9, "line": 3},
    ]
    assert [(r.line, r.field, r.reason) for r in metadata["rejected"]] == [
        (4, "时间", "bad_time"),
        (5, "浓度", "not_a_number"),
    ]
    assert metadata["rows"] == 4


def test_xlsx_line_is_the_sheet_row_skipping_blank_rows():
    rows = [[], [], CHINESE_HEADER, ["2477A", "2019-01-01 01:00", "PM2.5", 48], []]
    rows += [["2477A", "2019-01-01 01:00", "PM10", -1]]
    _, metadata = parse_tidy(xlsx_bytes(rows), "永州.xlsx", now=NOW)
    assert [(r.line, r.field, r.reason) for r in metadata["rejected"]] == [(6, "浓度", "negative")]
    assert metadata["rows"] == 2


def test_xlsx_cells_right_of_the_header_reject_the_row():
    rows = [CHINESE_HEADER, ["2477A", "2019-01-01 01:00", "PM2.5", 48, "多余"]]
    table, metadata = parse_tidy(xlsx_bytes(rows), "永州.xlsx", now=NOW)
    assert table.num_rows == 0
    assert [(r.line, r.field, r.reason) for r in metadata["rejected"]] == [
        (2, "column 5", "wrong_field_count")
    ]


def test_xlsx_named_sheet_and_a_missing_one():
    data = xlsx_bytes(
        [["说明"], ["小时数据见第二页"]],
        title="说明",
        extra_sheets=[("小时数据", [CHINESE_HEADER, ["2478A", "2019-01-01 01:00", "NO2", 31]])],
    )
    table, _ = parse_tidy(data, "永州.xlsx", sheet="小时数据", now=NOW)
    assert table["station_code"].to_pylist() == ["2478A"]
    with pytest.raises(FormatError, match="no sheet '日数据'; sheets: 说明, 小时数据"):
        parse_tidy(data, "永州.xlsx", sheet="日数据")
    with pytest.raises(FormatError, match="unknown column '说明'") as raised:
        parse_tidy(data, "永州.xlsx")  # the first sheet is not a tidy table
    assert (raised.value.line, raised.value.field) == (1, "说明")


def test_an_empty_sheet_is_a_format_error():
    with pytest.raises(FormatError, match="empty sheet"):
        parse_tidy(xlsx_bytes([]), "空.xlsx")


def test_parquet_with_typed_columns():
    table = pa.table(
        {
            "station_code": ["2477A", "2477A", "2477A"],
            "ts": pa.array([dt.datetime(2019, 1, 1, 1)] * 2 + [dt.datetime(2019, 1, 1, 1, 0, 1)]),
            "pollutant": ["PM2.5", "PM10", "SO2"],
            "value": [48.0, float("nan"), 9.0],
        }
    )
    result, metadata = parse_tidy(parquet_bytes(table), "yongzhou.parquet", now=NOW)
    assert result.select(["ts", "pollutant", "value", "line"]).to_pylist() == [
        {"ts": dt.datetime(2019, 1, 1, 1), "pollutant": "PM2.5", "value": 48.0, "line": 1}
    ]
    assert [(r.line, r.field, r.reason) for r in metadata["rejected"]] == [
        (2, "value", "empty"),
        (3, "ts", "bad_time"),
    ]


def test_parquet_utc_timestamps_become_beijing_time():
    table = pa.table(
        {
            "station_code": ["2477A"],
            "ts": pa.array([dt.datetime(2018, 12, 31, 17)], pa.timestamp("ms", tz="UTC")),
            "pollutant": ["O3"],
            "value": pa.array([22], pa.int64()),
        }
    )
    result, _ = parse_tidy(parquet_bytes(table), "utc.parquet", now=NOW)
    assert result["ts"].to_pylist() == [dt.datetime(2019, 1, 1, 1)]
    assert result["value"].to_pylist() == [22.0]


def test_parquet_of_text_columns_follows_the_csv_rules():
    table = pa.table(
        {"站点编码": ["2477A"], "时间": ["2019/01/01 01:00"], "污染物": ["pm25"], "浓度": ["48"]}
    )
    result, _ = parse_tidy(parquet_bytes(table), "text.parquet", now=NOW)
    assert result.select(["pollutant", "value"]).to_pylist() == [
        {"pollutant": "PM2.5", "value": 48.0}
    ]


def test_parquet_missing_column_and_truncation_are_format_errors():
    table = pa.table({"station_code": ["2477A"], "ts": ["2019-01-01 01:00"], "pollutant": ["O3"]})
    with pytest.raises(FormatError, match="missing column") as raised:
        parse_tidy(parquet_bytes(table), "x.parquet")
    assert raised.value.field == "value"
    data = parquet_bytes(table.append_column("value", pa.array([1.0])))
    with pytest.raises(FormatError, match="truncated or damaged Parquet"):
        parse_tidy(data[: len(data) - 20], "x.parquet")


def test_a_zip_of_csv_parquet_and_xlsx_members(write):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a/2477A.csv", HEADER + YONGZHOU_HOUR)
        archive.writestr("a/", b"")  # a folder entry
        archive.writestr(
            "b.xlsx", xlsx_bytes([CHINESE_HEADER, ["2478A", "2019-01-01 01:00", "PM2.5", "x"]])
        )
        # the same key as in a/2477A.csv with another value: duplicates are judged per file
        archive.writestr("c.csv", HEADER + "2477A,2019-01-01 01:00,PM2.5,50\n")
    path = write("永州.zip", buffer.getvalue())
    table, metadata = read_tidy(path, now=NOW)
    source = str(path)
    assert metadata["files"] == [f"{source}!a/2477A.csv", f"{source}!b.xlsx", f"{source}!c.csv"]
    assert metadata["rows"] == 8
    assert table.num_rows == 7
    assert [(r.source, r.line, r.reason) for r in metadata["rejected"]] == [
        (f"{source}!b.xlsx", 2, "not_a_number")
    ]
    assert len(metadata["flags"]) == 7


def test_a_damaged_zip_member_is_a_format_error_naming_it():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("2477A.csv", (HEADER + YONGZHOU_HOUR) * 50)
    data = bytearray(buffer.getvalue())
    data[60:70] = b"\x00" * 10  # inside the compressed member
    with pytest.raises(FormatError, match=r"archive\.zip!2477A\.csv"):
        parse_tidy(bytes(data), "archive.zip")
