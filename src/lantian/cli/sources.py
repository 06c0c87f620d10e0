"""``lantian sources …``: the source registry — import, export, list, monitoring radius (issue #14).

Every command works on the ledger's database (``LANTIAN_DATABASE_URL``, default SQLite in
``LANTIAN_HOME``), migrating it first, and acts as the server's administrator (``system``) unless
``--user NAME`` names a ledger user. Imports are all or nothing: every problem is printed as
``file!sheet 第N行 column：reason（value）`` and nothing is stored.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import pyarrow.compute as pc
import typer

from lantian.cli.common import (
    FileFormat,
    FileFormatOption,
    OutputOption,
    console,
    errors,
    store,
)
from lantian.cli.plan import Home, UserName, _actor, _ledger, _set_home, import_all_or_nothing
from lantian.cli.tables import write_json, write_rows
from lantian.sources.coordinates import TO_WGS84
from lantian.sources.example import import_example
from lantian.sources.registry import (
    ImportSummary,
    monitoring_radius,
    refresh_nearest_stations,
    register_rows,
)
from lantian.sources.vocabulary import EXTRA_HEADERS, TABLES
from lantian.sources.workbook import import_file, register_csv, write_workbook

sources_app = typer.Typer(
    help="污染源登记 The source registry: enterprises, sites, yards, roads, catering, devices.",
    no_args_is_help=True,
)

Register = StrEnum("Register", {name: name for name in TABLES})  # type: ignore[misc]
Crs = StrEnum("Crs", {name: name for name in TO_WGS84})  # type: ignore[misc]


@sources_app.callback()
def sources_options(home: Home = None) -> None:
    """污染源登记 The source registry: enterprises, sites, yards, roads, catering, devices."""
    _set_home(home)


def national_stations() -> pa.Table:
    """Stations to measure distances to: the store's national stations, else CNEMC's list.

    The national station list of the reference data (``lantian.demo.STATION_LIST``, 2020-01-01)
    holds every national station, so a fresh installation finds the nearest station before any
    data are imported; without either, no distance is computed (an empty table).
    """
    stations = store().stations()
    if stations.num_rows and "longitude" in stations.column_names:
        if "network" in stations.column_names:
            stations = stations.filter(pc.equal(stations.column("network"), "national"))
        if stations.num_rows:
            return stations
    from lantian.demo import STATION_LIST, MissingReferenceDataError, demo_file
    from lantian.ingest.stations import read_station_list

    try:
        return read_station_list(demo_file(STATION_LIST))[0]
    except MissingReferenceDataError as error:
        errors.print(f"未找到国控站点列表，不计算最近国控站 / {error}", markup=False)
        return pa.table(
            {
                "station_code": pa.array([], pa.string()),
                "name": pa.array([], pa.string()),
                "longitude": pa.array([], pa.float64()),
                "latitude": pa.array([], pa.float64()),
            }
        )


def _print_summaries(summaries: list[ImportSummary], note: str = "") -> None:
    for s in summaries:
        console.print(
            f"✓ {TABLES[s.register].sheet}：新增 {s.added}，更新 {s.updated}，未变 {s.unchanged}{note}"
            f" / {s.register}: {s.added} added, {s.updated} updated, {s.unchanged} unchanged"
        )


def _import(user: str | None, work) -> None:
    _print_summaries(import_all_or_nothing(user, work))


@sources_app.command("import")
def import_command(
    file: Annotated[
        Path | None, typer.Argument(help="CSV or xlsx register (omit with --example)")
    ] = None,
    kind: Annotated[
        Register | None,
        typer.Option("--kind", help="which register (a workbook without it: every known sheet)"),
    ] = None,
    crs: Annotated[
        Crs, typer.Option("--crs", help="coordinate system of the positions and boundaries")
    ] = Crs.wgs84,  # type: ignore[attr-defined]
    example: Annotated[
        bool, typer.Option("--example", help="register the bundled 冷水滩区 EXAMPLE (示例)")
    ] = False,
    user: UserName = None,
) -> None:
    """导入 a register (all or nothing; every error by sheet, row and column)."""
    if example == (file is not None):
        raise typer.BadParameter("give a FILE or --example (not both)")
    stations = national_stations()
    if example:
        _import(user, lambda db, actor: import_example(db, actor, stations))
        return
    if not file.is_file():
        raise typer.BadParameter(f"no such file: {file}")
    data = file.read_bytes()
    _import(
        user,
        lambda db, actor: import_file(
            db,
            actor,
            file.name,
            data,
            register=kind.value if kind else None,
            crs=crs.value,
            stations=stations,
        ),
    )


@sources_app.command("export")
def export_command(
    output: Annotated[Path, typer.Option("--output", "-o", help=".xlsx (all) or .csv (--kind)")],
    kind: Annotated[Register | None, typer.Option("--kind", help="only this register")] = None,
    user: UserName = None,
) -> None:
    """导出 the registers in the offices' layout (an export imports again unchanged)."""
    with _ledger() as db:
        actor = _actor(db, user)
        if output.suffix.lower() == ".csv":
            if kind is None:
                raise typer.BadParameter("a CSV holds one register: give --kind")
            output.write_bytes(register_csv(db, actor, kind.value))
        else:
            write_workbook(db, actor, output, [kind.value] if kind else None)
    console.print(f"已写入 written: {output}")


@sources_app.command("list")
def list_command(
    kind: Annotated[Register, typer.Option("--kind", help="which register")],
    output_format: FileFormatOption = FileFormat.table,
    output: OutputOption = None,
    user: UserName = None,
) -> None:
    """列表 one register (JSON: glossary keys; table, CSV, xlsx: the offices' Chinese headers)."""
    with _ledger() as db:
        rows = register_rows(db, _actor(db, user), kind.value)
    if output_format is FileFormat.json:
        write_json(rows, output)
        return
    table = TABLES[kind.value]
    if output_format is FileFormat.table:
        headers = {f.key: f.header for f in table.fields} | EXTRA_HEADERS
        shown = [{headers[key]: row[key] for key in table.summary} for row in rows]
    else:
        shown = [{f.header: row[f.key] for f in table.fields} for row in rows]
    title = f"{table.sheet}（{len(rows)}）"
    write_rows(shown, output_format.value, output, title)


@sources_app.command("nearest-stations")
def nearest_stations_command(user: UserName = None) -> None:
    """最近国控站 recompute each device's nearest national station (after the stations changed)."""
    stations = national_stations()
    with _ledger() as db:
        changed = refresh_nearest_stations(db, _actor(db, user), stations)
    console.print(f"✓ {changed} 台设备的最近国控站已更新 / {changed} devices changed")


@sources_app.command("monitoring-radius")
def monitoring_radius_command(
    km: Annotated[
        float, typer.Option("--km", help="radius around each national station [km]")
    ] = 3.0,
    station: Annotated[
        list[str] | None, typer.Option("--station", help="only this station (repeatable)")
    ] = None,
    output_format: FileFormatOption = FileFormat.table,
    output: OutputOption = None,
    user: UserName = None,
) -> None:
    """监测点辐射区 the registered sources within N km of each national station (方案 二（三）)."""
    if km <= 0:
        raise typer.BadParameter("--km must be positive")
    stations = national_stations()
    if station:
        stations = stations.filter(pc.is_in(stations.column("station_code"), pa.array(station)))
    with _ledger() as db:
        rows = monitoring_radius(db, _actor(db, user), stations, km)
    if output_format is FileFormat.json:
        write_json(rows, output)
        return
    headers = {
        "station_code": "站点编码",
        "station_name": "站点名称",
        "kind_zh": "类型",
        "code": "编号",
        "name": "名称",
        "distance_km": "距离（千米）",
    }
    shown = [{zh: row[key] for key, zh in headers.items()} for row in rows]
    write_rows(shown, output_format.value, output, f"监测点 {km:g} 千米辐射区内的污染源")


def ensure_example_registry() -> None:
    """Register the 冷水滩区 EXAMPLE (示例) when the registry is empty (``lantian demo``)."""
    from sqlalchemy import func, select

    from lantian.plan.access import SYSTEM
    from lantian.sources.models import Source

    with _ledger() as db:
        if db.scalar(select(func.count(Source.id))):
            return
        summaries = import_example(db, SYSTEM, national_stations())
    registered = "，".join(f"{TABLES[s.register].sheet} {s.added}" for s in summaries)
    errors.print(f"已登记冷水滩区示例污染源和设备（示例数据，非真实）：{registered}")
