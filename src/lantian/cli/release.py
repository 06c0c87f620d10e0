"""``lantian check-release``: Lantian's hourly AQI against CNEMC's published one."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated

import typer

from lantian.assess.release import (
    CLASS_NAMES_ZH,
    CLASSES,
    OUTCOME_NAMES_ZH,
    ReleaseCheck,
    check_release,
    completeness_label,
)
from lantian.cli.assess import (
    CompletenessOpt,
    Format,
    FormatOpt,
    FromOpt,
    MonthOpt,
    OutputOpt,
    StandardOpt,
    ToOpt,
    YearOpt,
    period,
)
from lantian.cli.common import console, errors, store
from lantian.cli.tables import write_rows


class Rows(StrEnum):
    summary = "summary"
    differences = "differences"
    all = "all"


def check_release_command(
    city: Annotated[str | None, typer.Option("--city", help="only this city, e.g. 永州")] = None,
    year: YearOpt = None,
    month: MonthOpt = None,
    first: FromOpt = None,
    last: ToOpt = None,
    standard: StandardOpt = None,
    completeness: CompletenessOpt = None,
    rows: Annotated[
        Rows,
        typer.Option("--rows", help="summary (per hour), differences or all (per station-hour)"),
    ] = Rows.summary,
    output: FormatOpt = Format.table,
    file: OutputOpt = None,
) -> None:
    """核对官方发布 Lantian's hourly AQI, level and primary pollutant against CNEMC's published
    ones (from CNEMC's hourly release files): equal, different (each explained by class) or not
    comparable. Days are natural days: hours stamped D 01:00 … D+1 00:00."""
    first_day, last_day = period(year, month, first, last)
    try:
        result = check_release(
            store(),
            first_day,
            last_day,
            city=city,
            standard=standard,
            completeness=completeness,
        )
    except KeyError as error:
        errors.print(f"[red]✗[/red] {error.args[0]}")
        raise typer.Exit(2) from error
    if not result.rows.num_rows:
        errors.print(
            "[red]✗[/red] 所选时段没有官方发布的AQI（请先导入CNEMC逐小时发布文件）; no published AQI "
            "stored for these days: import CNEMC's hourly release files first"
        )
        raise typer.Exit(2)
    table = _rows(result, rows)
    label = completeness_label(result.completeness)
    if output is Format.json:
        document = {
            "completeness": result.completeness,
            "completeness_label": label,
            "summary": result.summary(),
            "rows": table if rows is not Rows.summary else [],
        }
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=1, default=str) + "\n")
        return
    if output is Format.table:
        console.print(f"完整性规则 completeness: {result.completeness} — {label}")
        table = [_zh(r, rows) for r in table]
    write_rows(table, output.value, file, "核对官方发布 check-release")


def _rows(result: ReleaseCheck, rows: Rows) -> list[dict[str, object]]:
    if rows is Rows.summary:
        summary = result.summary()
        unused = {c for c in CLASSES if not any(r[c] for r in summary)}
        return [{k: v for k, v in r.items() if k not in unused} for r in summary]
    found = result.rows.to_pylist()
    if rows is Rows.differences:
        found = [r for r in found if r["outcome"] == "different"]
    return [{**r, "completeness": result.completeness} for r in found]


def _zh(row: dict[str, object], rows: Rows) -> dict[str, object]:
    row = {**row, "ts": f"{row['ts']:%Y-%m-%d %H:%M}"}
    if rows is Rows.summary:
        row.pop("completeness")  # printed above the table
        names = {
            "ts": "时间",
            "standard": "标准",
            "completeness": "完整性规则",
            "stations": "站点数",
            "complete": "六项齐全",
            "complete_equal": "六项齐全且一致",
            **OUTCOME_NAMES_ZH,
            **CLASS_NAMES_ZH,
        }
        return {names.get(k, k): v for k, v in row.items()}
    return {
        "时间": row["ts"],
        "站点": row["station_code"],
        "名称": row["name"],
        "城市": row["city"],
        "发布AQI": row["published_aqi"],
        "发布首要污染物": row["published_primary"],
        "蓝天AQI": row["aqi"],
        "蓝天首要污染物": row["primary"],
        "结果": OUTCOME_NAMES_ZH[str(row["outcome"])],
        "原因": CLASS_NAMES_ZH.get(str(row["class"]), ""),
    }
