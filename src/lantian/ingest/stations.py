"""CNEMC station lists: the national list (``监测点编码,监测点名称,城市,经度,纬度``) and a list of
control points (``监测点编码,监测点名称,城市,对照点``), read into the glossary's column names."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from lantian.ingest.excel import WorkbookLimits, open_workbook, read_sheet, sheet_rows
from lantian.ingest.schema import FormatError
from lantian.ingest.text import decode_csv

STATION_LIST_COLUMNS = {
    "监测点编码": "station_code",
    "监测点名称": "name",
    "城市": "city",
    "经度": "longitude",
    "纬度": "latitude",
}


class StationListError(ValueError):
    """A station list that does not have the expected columns; the message names the file."""


#: Columns read as numbers; the rest are text. ``-``, ``NA`` or an empty cell is no value.
NUMBER_COLUMNS = ("经度", "纬度")
NO_VALUE = ["", "-", "NA"]
STATION_LIST_LIMITS = WorkbookLimits(rows=20_000, cells=400_000)
"""A workbook station list: the national list has ~2,000 rows of five to ten columns."""


def station_list_header(path: Path) -> list[str] | None:
    """The header of ``path`` when it is a station list — a CSV or ``.xlsx`` whose first row begins
    ``监测点编码`` — else ``None``."""
    if not path.is_file() or path.suffix.lower() not in {".csv", ".xlsx"}:
        return None
    if path.suffix.lower() == ".csv":
        with open(path, "rb") as handle:
            line = handle.readline()
        try:
            header = decode_csv(str(path), line)[0].decode("utf-8").strip().split(",")
        except FormatError:
            return None  # the measurement readers will say what is wrong with it
    else:
        header = _workbook_header(path)
    return header if header and header[0] == "监测点编码" else None


def _workbook_header(path: Path) -> list[str]:
    if path.stat().st_size > STATION_LIST_LIMITS.file_bytes:
        return []  # larger than any station list: a measurement workbook
    try:
        workbook = open_workbook(str(path), path.read_bytes(), STATION_LIST_LIMITS)
    except FormatError:
        return []  # the measurement readers will say what is wrong with it
    try:
        title = workbook.worksheets[0].title
        for row in sheet_rows(workbook, title, str(path), STATION_LIST_LIMITS):
            if any(value is not None for value in row):
                return [str(value).strip() if value is not None else "" for value in row]
        return []
    except FormatError:
        return []
    finally:
        workbook.close()


def _read(path: Path, required: list[str]) -> pa.Table:
    """Read a station list, CSV (UTF-8) or ``.xlsx`` (told apart by content, not by name); text
    columns stay text, coordinates are numbers ('-' or empty = none)."""
    with open(path, "rb") as handle:
        workbook = handle.read(4) == b"PK\x03\x04"
    table = _read_workbook(path) if workbook else _read_csv(path)
    missing = [column for column in required if column not in table.column_names]
    if missing:
        raise StationListError(
            f"{path}: line 1: missing column(s) {', '.join(missing)}; found {', '.join(table.column_names)}"
        )
    return table


def _read_csv(path: Path) -> pa.Table:
    """A CSV station list, decoded by the one decoder (:func:`lantian.ingest.text.decode_csv`:
    BOM, UTF-8 or GB18030 as Excel saves it)."""
    try:
        text, _ = decode_csv(str(path), path.read_bytes())
        return _parse_csv(text)
    except FormatError as error:
        raise StationListError(str(error)) from error
    except pa.ArrowInvalid as error:
        raise StationListError(f"{path}: {error}") from error


def _parse_csv(text: bytes) -> pa.Table:
    return pacsv.read_csv(
        io.BytesIO(text),
        convert_options=pacsv.ConvertOptions(
            column_types={
                "监测点编码": pa.string(),
                "监测点名称": pa.string(),
                "城市": pa.string(),
                "经度": pa.float64(),
                "纬度": pa.float64(),
                "对照点": pa.string(),
            },
            null_values=NO_VALUE,
            strings_can_be_null=False,
        ),
    )


def _read_workbook(path: Path) -> pa.Table:
    """The first sheet of an ``.xlsx`` station list, through the one guarded way to open workbooks."""
    try:
        sheet = read_sheet(str(path), path.read_bytes(), limits=STATION_LIST_LIMITS)
    except FormatError as error:
        raise StationListError(str(error)) from error
    columns = {}
    for name, column in zip(sheet.header, sheet.columns, strict=True):
        if name in NUMBER_COLUMNS:  # text cells as published (names keep their spaces)
            text = pc.utf8_trim_whitespace(column)
            blank = pc.is_in(text, value_set=pa.array(NO_VALUE))
            try:
                column = pc.cast(pc.if_else(blank, None, text), pa.float64())
            except pa.ArrowInvalid as error:
                raise StationListError(f"{path}: column {name}: not a number ({error})") from error
        columns[name] = column
    return pa.table(columns)


def read_station_list(path: str | Path) -> tuple[pa.Table, dict[str, object]]:
    """The national station list as ``station_code, name, city, longitude, latitude``."""
    table = _read(Path(path), list(STATION_LIST_COLUMNS))
    table = table.select(list(STATION_LIST_COLUMNS)).rename_columns(
        list(STATION_LIST_COLUMNS.values())
    )
    return table, {"file": str(path), "stations": table.num_rows}


def read_control_points(path: str | Path) -> tuple[pa.Table, dict[str, object]]:
    """Control points (对照点) as ``station_code, name, city, control_point`` (bool)."""
    table = _read(Path(path), ["监测点编码", "监测点名称", "城市", "对照点"])
    flag = pc.equal(pc.cast(table.column("对照点"), pa.string()), "是")
    result = pa.table(
        {
            "station_code": table.column("监测点编码"),
            "name": table.column("监测点名称"),
            "city": table.column("城市"),
            "control_point": flag,
        }
    )
    return result, {"file": str(path), "stations": result.num_rows}
