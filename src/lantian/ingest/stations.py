"""CNEMC station lists: the national list (``监测点编码,监测点名称,城市,经度,纬度``) and a list of
control points (``监测点编码,监测点名称,城市,对照点``), read into the glossary's column names."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

STATION_LIST_COLUMNS = {
    "监测点编码": "station_code",
    "监测点名称": "name",
    "城市": "city",
    "经度": "longitude",
    "纬度": "latitude",
}


class StationListError(ValueError):
    """A station list that does not have the expected columns; the message names the file."""


def _read(path: Path, required: list[str]) -> pa.Table:
    """Read a station list; text columns stay text, coordinates are numbers ('-' or empty = none)."""
    table = pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            column_types={
                "监测点编码": pa.string(),
                "监测点名称": pa.string(),
                "城市": pa.string(),
                "经度": pa.float64(),
                "纬度": pa.float64(),
                "对照点": pa.string(),
            },
            null_values=["", "-", "NA"],
            strings_can_be_null=False,
        ),
    )
    missing = [column for column in required if column not in table.column_names]
    if missing:
        raise StationListError(
            f"{path}: line 1: missing column(s) {', '.join(missing)}; found {', '.join(table.column_names)}"
        )
    return table


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
