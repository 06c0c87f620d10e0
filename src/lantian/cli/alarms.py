"""``lantian alarms scan|list``: judge the feed store's minutes by the alarm rules, list alarms."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from lantian.cli.common import (
    FileFormat,
    FileFormatOption,
    OutputOption,
    console,
    progress_bar,
    store,
)
from lantian.cli.tables import write_json, write_rows
from lantian.settings import settings

alarms_app = typer.Typer(help="报警 Alarms: the feeds judged by the alarm rules (docs/alarms.md).")

COLUMNS = {
    "alarm_id": "报警编号",
    "level": "级别",
    "rule_id": "规则",
    "mn": "设备编号（MN）",
    "pollutant": "因子",
    "ts": "时段开始",
    "window": "时段（分钟）",
    "occurrence": "当日第几次",
    "value": "值",
    "limit": "限值",
    "background": "背景值（封顶后）",
    "background_measured": "背景实测值",
    "citation": "依据",
    "sources": "附近污染源",
    "readings": "触发读数",
}
"""Alarm column → the offices' Chinese header (table, CSV, xlsx); JSON keeps the glossary keys."""


RulesOption = Annotated[
    Path | None,
    typer.Option("--rules", help="a district's rule file (default: LANTIAN_ALARM_RULES)"),
]
FromOption = Annotated[dt.datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="first day")]
ToOption = Annotated[dt.datetime, typer.Option("--to", formats=["%Y-%m-%d"], help="last day")]


def _rules(path: Path | None):
    from lantian.alarms.rules import RuleFileError, load_rules

    try:
        return load_rules(path or settings().alarm_rules)
    except RuleFileError as error:
        console.print(f"[red]✗ {error}[/red]")
        raise typer.Exit(2) from error


@alarms_app.command("scan")
def scan_command(
    first: FromOption,
    last: ToOption,
    rules: RulesOption = None,
    cases: Annotated[
        bool,
        typer.Option(
            "--cases", help="open cases from the alarms found (each once; repeats append)"
        ),
    ] = False,
) -> None:
    """扫描 judge the feed store's minutes of --from … --to by the rules and store the alarms
    (a rescan replaces those days' alarms); with --cases, the alarms open cases."""
    from sqlalchemy.orm import Session

    from lantian.alarms.scan import device_facts, scan
    from lantian.alarms.store import AlarmStore
    from lantian.feeds.store import FeedStore
    from lantian.plan.database import open_ledger
    from lantian.times import beijing_now

    rule_set = _rules(rules)
    if last < first:
        console.print(f"[red]✗ --to {last.date()} is before --from {first.date()}[/red]")
        raise typer.Exit(2)
    days = (last.date() - first.date()).days + 1
    with Session(open_ledger()) as db:
        facts = device_facts(db)
    with progress_bar() as bar:
        task = bar.add_task("扫描 scanning", total=days)
        found = scan(
            FeedStore(settings().feeds_path / "store"),
            AlarmStore(settings().alarms_path),
            rule_set,
            first.date(),
            last.date(),
            facts=facts,
            measurements=store(),
            now=beijing_now(),
            progress=lambda _day: bar.advance(task),
        )
    levels = found.column("level").to_pylist()
    counts = "，".join(f"{level} {levels.count(level)}" for level in ("预警", "报警", "超标"))
    console.print(f"✓ {days} 天，{found.num_rows} 条报警（{counts}）/ {found.num_rows} alarms")
    if cases:
        from lantian.alarms.live import open_cases
        from lantian.plan.database import transaction

        with transaction(open_ledger()) as db:
            done = open_cases(db, found)
        console.print(
            f"✓ 案件：新开 {done['opened']}，追加 {done['appended']}，升级 {done['escalated']}，"
            f"已有 {done['duplicate']}，未登记设备 {done['unregistered']} / cases {dict(done)}"
        )


@alarms_app.command("list")
def list_command(
    first: FromOption,
    last: ToOption,
    level: Annotated[str | None, typer.Option("--level", help="预警, 报警 or 超标")] = None,
    mn: Annotated[str | None, typer.Option("--mn", help="one device")] = None,
    output_format: FileFormatOption = FileFormat.table,
    output: OutputOption = None,
) -> None:
    """列表 the stored alarms of --from … --to (JSON: glossary keys; table, CSV, xlsx: Chinese
    headers; the table leaves out the triggering readings)."""
    from lantian.alarms.store import AlarmStore

    table = AlarmStore(settings().alarms_path).read(first.date(), last.date())
    rows = [
        row
        for row in table.to_pylist()
        if (level is None or row["level"] == level) and (mn is None or row["mn"] == mn)
    ]
    if output_format is FileFormat.json:
        write_json(rows, output)
        return
    keys = [k for k in COLUMNS if output_format is not FileFormat.table or k != "readings"]
    shown = [{COLUMNS[k]: row[k] for k in keys} for row in rows]
    write_rows(shown, output_format.value, output, f"报警（{len(rows)}）")


RULE_COLUMNS = {
    "id": "规则",
    "template": "模板",
    "kind": "类型",
    "name": "名称",
    "pollutant": "因子",
    "window": "时段（分钟）",
    "limit": "限值",
    "unit": "单位",
    "per_day": "每日允许次数",
    "source": "依据",
}


def _limit_text(rule) -> str | float:
    """A rule's limit as the table shows it (per phase; from the registry for stack rules)."""
    if rule.limits:
        return "、".join(f"{k} {v:g}" for k, v in rule.limits.items())
    if rule.kind == "stack":
        return "排污许可证（登记）"
    return rule.limit


@alarms_app.command("rules")
def rules_command(
    rules: RulesOption = None,
    output_format: FileFormatOption = FileFormat.table,
    output: OutputOption = None,
) -> None:
    """规则 the alarm rules in force (the shipped file with the district's), with their sources."""
    rule_set = _rules(rules)
    rows = [
        {
            "id": rule.id,
            "template": rule.template,
            "kind": rule.kind,
            "name": rule.name,
            "pollutant": rule.pollutant,
            "window": rule.window or rule.minutes or rule.readings,
            "limit": _limit_text(rule),
            "unit": rule.unit if rule.pollutant else "",
            "per_day": rule.per_day,
            "source": rule.source,
        }
        for rule in rule_set.rules
    ]
    if output_format is FileFormat.json:
        write_json(rows, output)
        return
    shown = [{RULE_COLUMNS[k]: row[k] for k in RULE_COLUMNS} for row in rows]
    write_rows(shown, output_format.value, output, f"报警规则（{len(rows)}）")


FIT_COLUMNS = {
    "mn": "设备编号（MN）",
    "pollutant": "因子",
    "month": "月份",
    "intercept": "截距",
    "slope": "斜率",
    "humidity_coefficient": "湿度系数",
    "humidity": "湿度来源",
    "pairs": "配对小时数",
    "residual_scale": "残差尺度",
    "bias_of_previous": "上月拟合偏差",
    "slope_change": "斜率变化",
    "drift": "漂移",
}


@alarms_app.command("calibrate")
def calibrate_command(
    first: FromOption,
    last: ToOption,
    device: Annotated[str | None, typer.Option("--device", help="one micro-station (MN)")] = None,
    pollutant: Annotated[str, typer.Option("--pollutant", help="PM2.5 or PM10")] = "PM2.5",
    output_format: FileFormatOption = FileFormat.table,
    output: OutputOption = None,
) -> None:
    """校准 fit each micro-station (network micro) against its nearest national station, per
    month (Huber regression with the device's humidity), store the fits and print them with
    drift flags. Calibrated values are 指示性数据 (indicative), never official values."""
    import pyarrow as pa
    from sqlalchemy.orm import Session

    from lantian.alarms.calibration import (
        STORED_SCHEMA,
        FitStore,
        device_hours,
        fit_monthly,
        pairs_with_reference,
        previous_fits,
    )
    from lantian.alarms.scan import device_facts
    from lantian.feeds.store import FeedStore
    from lantian.plan.database import open_ledger

    if last < first:
        console.print(f"[red]✗ --to {last.date()} is before --from {first.date()}[/red]")
        raise typer.Exit(2)
    with Session(open_ledger()) as db:
        facts = device_facts(db)
    nearest = {
        mn: f.nearest_station
        for mn, f in facts.items()
        if f.network == "micro" and f.nearest_station and (device is None or mn == device)
    }
    if not nearest:
        console.print("[red]✗ 没有登记最近国控站的小微站 / no micro-station with a nearest "
                      "national station in the registry[/red]")  # fmt: skip
        raise typer.Exit(1)
    days = [first.date() + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    hours = device_hours(FeedStore(settings().feeds_path / "store"), days, list(nearest), pollutant)
    pairs, humidity = pairs_with_reference(hours, nearest, store(), pollutant)
    fit_store = FitStore(settings().home / "calibration")
    before = previous_fits(fit_store.read(), pollutant, f"{first:%Y-%m}")
    fits = fit_monthly(pairs, before) if pairs.num_rows else pa.Table.from_pylist([])
    count = fits.num_rows
    if count:
        fits = fits.append_column("pollutant", pa.array([pollutant] * count, pa.string()))
        fits = fits.append_column(
            "humidity", pa.array([humidity[m] for m in fits.column("mn").to_pylist()], pa.string())
        )
        fit_store.save(fits.select(STORED_SCHEMA.names))
    rows = [
        {k: None if isinstance(v, float) and v != v else v for k, v in row.items()}
        for row in (fits.select(STORED_SCHEMA.names).to_pylist() if count else [])
    ]
    if output_format is FileFormat.json:
        write_json(rows, output)
        return
    shown = [{FIT_COLUMNS[k]: row[k] for k in FIT_COLUMNS} for row in rows]
    drifted = sum(bool(r["drift"]) for r in rows)
    write_rows(shown, output_format.value, output,
               f"小微站校准（指示性数据）：{count} 个拟合，漂移 {drifted}")  # fmt: skip
