"""``lantian import`` and ``lantian stations``: measurements and the station registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pyarrow as pa
import pyarrow.compute as pc
import typer

from lantian.assess.ranking import known_city_names
from lantian.cli.common import OutputFormat, console, errors, progress_bar, store
from lantian.cli.tables import emit
from lantian.ingest.detect import READERS, read_chunks, station_list_kind
from lantian.ingest.schema import FormatError, Rejection
from lantian.store import ImportSummary
from lantian.store.measurements import MeasurementImport
from lantian.store.registry import registry_from_station_list

NETWORKS = ("national", "provincial", "micro")
#: Rejections that are not errors: an identical repeat of a row in the same file; a station whose
#: coordinates changed (the registry takes the latest).
NOTICES = {"repeated", "station_moved"}
REASONS_ZH = {
    "repeated": "同一文件内完全重复（已保留一条）",
    "station_moved": "站点坐标变化（名录已按最新数据更新）",
    "no_hourly_o3": "文件中没有臭氧1小时值",
    "truncated": "文件被截断",
    "wrong_field_count": "字段数不对",
    "wrong_width": "行宽不对（定宽格式）",
    "out_of_range": "超出合理范围",
    "before_issue_time": "预报时效早于起报时间",
    "unknown_station": "未知站点",
    "duplicate": "同一时刻重复且数值不同",
    "not_a_number": "非数值",
    "negative": "负值",
    "future_date": "未来时间",
    "bad_date": "日期错误",
    "bad_time": "时间错误",
    "unknown_pollutant": "未知污染物",
    "empty": "空值",
    "unreadable_file": "文件无法读取",
}


def _register_station_lists(
    paths: list[Path], control_points: Path | None, network: str
) -> list[Path]:
    """Register the station lists among ``paths`` (a control-point list among them serves as
    ``--control-points``); returns the other paths. A control-point list without a station list
    is refused in one line (exit 2): its rows carry no coordinates to register."""
    kinds = {path: station_list_kind(path) for path in paths}
    lists = [p for p, kind in kinds.items() if kind == "stations"]
    controls = [p for p, kind in kinds.items() if kind == "control_points"]
    if controls and (not lists or len(controls) > 1 or control_points is not None):
        errors.print(
            f"[red]✗[/red] {controls[0]}: 这是对照点名单，请与站点名录一起导入 (a control-point list: "
            f"pass it with a station list) — lantian import stations.csv --control-points {controls[0]}",
            soft_wrap=True,
        )
        raise typer.Exit(2)
    if lists and network not in NETWORKS:
        raise typer.BadParameter(f"--network must be one of {', '.join(NETWORKS)}")
    for station_list in lists:
        import_station_list(station_list, control_points or next(iter(controls), None), network)
    return [p for p, kind in kinds.items() if kind is None]


def import_command(
    paths: Annotated[list[Path], typer.Argument(help="files, .zip archives or folders")],
    format: Annotated[
        str | None,
        typer.Option("--format", help=f"reader: {', '.join(READERS)} (default: detected)"),
    ] = None,
    control_points: Annotated[
        Path | None, typer.Option(help="with a station list: the list of control points (对照点)")
    ] = None,
    network: Annotated[
        str, typer.Option(help="with a station list: national, provincial or micro")
    ] = "national",
    hour_beginning: Annotated[
        bool,
        typer.Option(
            "--hour-beginning", help="tidy files: ts marks the start of the hour (default: the end)"
        ),
    ] = False,
    show_rejected: Annotated[int, typer.Option(help="how many rejected rows to list")] = 20,
) -> None:
    """导入监测数据 Import hourly measurements (CNEMC station files, tidy CSV/Parquet/xlsx) or a
    station list. Exit status: 0 all stored, 1 some rows rejected, 2 nothing stored."""
    paths = _register_station_lists(paths, control_points, network)
    if not paths:
        raise typer.Exit(0)
    summary = import_measurement_files(paths, format, hour_beginning=hour_beginning)
    print_summary(summary, show_rejected)
    if status := import_status(summary):
        raise typer.Exit(status)


def import_station_list(
    station_list: Path, control_points: Path | None = None, network: str = "national"
) -> int:
    """Register the stations of a CNEMC station list (the one way of ``lantian import`` and
    ``lantian fetch stations``); returns the registry's size."""
    size = store().put_stations(registry_from_station_list(station_list, control_points, network))
    console.print(
        f"站点名录 {station_list}: 登记 {size} 个站点 (station registry: {size} stations)"
    )
    return size


def import_measurement_files(
    paths: list[Path],
    format: str | None = None,
    *,
    hour_beginning: bool = False,
    only: list[str] | None = None,
) -> ImportSummary:
    """Read ``paths`` (any reader) and store them, with a progress bar: the one import path of
    ``lantian import`` and ``lantian fetch``. ``only``: keep only these stations' values.

    Files are read in pieces (CNEMC station files about a month at a time) and staged by month
    (docs/store.md), so memory holds about one month of values, not the whole input."""
    target = store()
    read = _Read(pa.array(only, pa.string()) if only is not None else None)
    with progress_bar() as progress, target.importing() as session:
        reading = progress.add_task("读取文件 reading", total=len(paths))
        for path in paths:
            read.path(session, path, format, "beginning" if hour_beginning else "ending")
            progress.advance(reading)
        merging = progress.add_task("写入存储 storing", total=None)
        summary = session.commit(
            files=read.files,
            rejected=read.rejected,
            progress=lambda done, total: progress.update(merging, completed=done, total=total),
            stations=pa.concat_tables(read.stations) if read.stations else None,
            published=pa.concat_tables(read.published) if read.published else None,
            city_names=known_city_names(),
        )
    _print_ozone(read.ozone)
    return summary


def _print_ozone(ozone: dict[str, tuple[str | None, str]]) -> None:
    """Which column held the 1-hour ozone value in CNEMC's hourly release files (decided per
    file from the data; docs/formats.md): counts, and every file that was not the usual ``o3``."""
    if not ozone:
        return
    counts: dict[str, int] = {}
    for column, _ in ozone.values():
        counts[str(column)] = counts.get(str(column), 0) + 1
    console.print(
        "  臭氧1小时值所在列 ozone 1-hour column: "
        + ", ".join(f"{column} {n:,}" for column, n in sorted(counts.items()))
    )
    unusual = [(name, c, e) for name, (c, e) in ozone.items() if c != "o3"]
    for name, column, evidence in unusual[:20]:
        console.print(f"    {name}: {column} ({evidence})", highlight=False)


class _Read:
    """What the files of one import gave besides their values: files, rejections, release data."""

    def __init__(self, keep: pa.Array | None):
        self.keep = keep
        self.files: list[str] = []
        self.rejected: list[Rejection] = []
        self.stations: list[pa.Table] = []
        self.published: list[pa.Table] = []
        self.ozone: dict[str, tuple[str | None, str]] = {}

    def path(
        self, session: MeasurementImport, path: Path, format: str | None, convention: str
    ) -> None:
        """Stage one file's values; a file found unreadable part-way is dropped whole."""
        files, rejected, stations, published = [], [], [], []
        ozone: dict[str, tuple[str | None, str]] = {}
        try:
            for table, metadata in read_chunks(path, format, hour_convention=convention):
                session.add(_only(table, self.keep), tag=str(path))
                files += list(metadata.get("files", [str(path)]))
                rejected += list(metadata.get("rejected", []))
                stations += (
                    [_only(metadata["stations"], self.keep)] if "stations" in metadata else []
                )
                published += (
                    [_only(metadata["published"], self.keep)] if "published" in metadata else []
                )
                ozone.update(metadata.get("ozone", {}))
        except FormatError as error:
            session.discard(str(path))
            self.rejected.append(
                Rejection(
                    error.source, error.line or 0, error.field or "file", "", "unreadable_file"
                )
            )
            errors.print(f"[red]✗[/red] {error}")
        except (OSError, ValueError) as error:
            session.discard(str(path))
            self.rejected.append(Rejection(str(path), 0, "file", "", "unreadable_file"))
            errors.print(f"[red]✗[/red] {error}")
        else:
            self.files += files
            self.rejected += rejected
            self.stations += stations
            self.published += published
            self.ozone.update(ozone)


def _only(table: pa.Table, keep: pa.Array | None) -> pa.Table:
    """The rows of ``table`` whose ``station_code`` is in ``keep`` (all when ``keep`` is None)."""
    if keep is None:
        return table
    codes = pc.cast(table["station_code"], pa.string())
    return table.filter(pc.is_in(codes, value_set=keep))


def import_status(summary: ImportSummary) -> int:
    """Exit status of an import: 0 all stored, 1 some rows rejected, 2 nothing stored."""
    if any(r.reason not in NOTICES for r in summary.rejected):
        return 2 if summary.stored == 0 and summary.unchanged == 0 else 1
    return 0


def print_summary(summary, show_rejected: int) -> None:
    notices = sum(1 for r in summary.rejected if r.reason in NOTICES)
    refused = len(summary.rejected) - notices
    console.print(
        f"文件 {len(summary.files)}；新增 {summary.added:,} 条，未变 {summary.unchanged:,} 条，"
        f"替换 {summary.replaced:,} 条，拒收 {refused:,} 条，提示 {notices:,} 条"
    )
    console.print(
        f"files {len(summary.files)}; rows added {summary.added:,}, unchanged {summary.unchanged:,}, "
        f"replaced {summary.replaced:,}, rejected {refused:,}, notices {notices:,}"
    )
    if summary.stations_added:
        console.print(
            f"  新登记站点 stations registered from the files: {summary.stations_added:,}"
        )
    if summary.published:
        p = summary.published
        console.print(
            f"  官方发布AQI published AQI kept for comparison: 新增 added {p['added']:,}, "
            f"未变 unchanged {p['unchanged']:,}, 替换 replaced {p['replaced']:,}"
        )
    for reason, n in sorted(summary.rejected_by_reason().items()):
        kind = "提示 notice" if reason in NOTICES else "拒收 rejected"
        console.print(f"  {kind}: {REASONS_ZH.get(reason, reason)} ({reason}): {n:,}")
    for rule, n in sorted(summary.flagged.items()):
        console.print(f"  质控标记 flagged: {rule}: {n:,}")
    for rejection in summary.rejected[:show_rejected]:
        errors.print(f"  {rejection}")
    if len(summary.rejected) > show_rejected:
        errors.print(f"  … {len(summary.rejected) - show_rejected:,} more")


def stations_command(
    city: Annotated[str | None, typer.Option(help="only this city, e.g. 永州")] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="table, json or csv")
    ] = OutputFormat.table,
) -> None:
    """站点名录 List the station registry."""
    registry = store().stations()
    rows = registry.to_pylist()
    if city:
        rows = [r for r in rows if r.get("city") == city]
    if output is OutputFormat.table:
        rows = [
            {
                "站点编码": r["station_code"],
                "名称": r.get("name"),
                "城市": r.get("city"),
                "经度": r.get("longitude"),
                "纬度": r.get("latitude"),
                "网络": r.get("network"),
                "类型": "对照点" if r.get("control_point") else "评价点",
            }
            for r in rows
        ]
    emit(rows, output, title=f"站点 stations ({len(rows)})")
