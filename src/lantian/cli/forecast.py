"""``lantian forecast`` (and ``forecast backtest``), ``lantian warning`` and ``lantian emergency``.

Parse, call :mod:`lantian.forecast.service` (or the emergency list), print. See docs/forecast.md.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from lantian.cli.common import OutputFormat, console, errors, store
from lantian.cli.tables import emit
from lantian.forecast import emergency
from lantian.forecast.emergency_xlsx import (
    EmergencyImportError,
    read_emergency_workbook,
    write_emergency_workbook,
)
from lantian.forecast.service import city_backtest, city_forecast, city_warning
from lantian.forecast.warnings import level_row, locality
from lantian.settings import settings
from lantian.times import beijing_today

forecast_app = typer.Typer(help="3 天空气质量预报 3-day AQI forecast; `backtest` verifies it.")
emergency_app = typer.Typer(
    help="应急减排清单 the emergency reduction list: import, export, check."
)

CityOpt = Annotated[str, typer.Option("--city", help="city, e.g. 永州")]
DateOpt = Annotated[
    dt.datetime | None, typer.Option("--date", formats=["%Y-%m-%d"], help="issue day (00:00)")
]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="table, json or csv")]
WeatherOpt = Annotated[
    list[Path] | None,
    typer.Option("--weather", help="weather file (ISD-Lite, or tidy .csv); repeatable"),
]
LocalitiesOpt = Annotated[
    Path | None, typer.Option("--localities", help="localities TOML (default: bundled)")
]


def _json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=1, default=str) + "\n")


def _fail(error: Exception, code: int = 2) -> typer.Exit:
    errors.print(f"[red]✗[/red] {error}")
    return typer.Exit(code)


@forecast_app.callback(invoke_without_command=True)
def forecast_command(
    ctx: typer.Context,
    city: Annotated[str | None, typer.Option("--city", help="city, e.g. 永州")] = None,
    date: DateOpt = None,
    weather: WeatherOpt = None,
    output: FormatOpt = OutputFormat.table,
) -> None:
    """空气质量预报 the daily AQI, PM2.5 and O3 of the next 3 days, stored with its issue time."""
    if ctx.invoked_subcommand is not None:
        return
    if not city:
        raise _fail(ValueError("give --city"))
    try:
        result = city_forecast(
            store(), city, date.date() if date else None, weather, home=settings().home
        )
    except (KeyError, LookupError, ValueError) as error:
        raise _fail(error) from error
    if output is OutputFormat.json:
        _json(result)
        return
    rows = [
        {
            "日期": r["day"],
            "预报AQI": int(r["aqi"]),
            "类别": r["category"],
            "PM2.5": r["PM2.5"],
            "O3_8h": r["O3_8h"],
            **{f"P>{k[4:]}": v for k, v in r.items() if k.startswith("p_gt")},
            "持续性": r["persistence"],
            "气候态": r["climatology"],
            "实测": r["observed"],
        }
        for r in result["forecast"]
    ]
    emit(rows, output, f"{city} 空气质量预报（发布时间 {result['issue_time']:%Y-%m-%d %H:%M}）")


@forecast_app.command("backtest")
def backtest_command(
    city: CityOpt,
    year: Annotated[int, typer.Option("--year", help="calendar year of the store")],
    retrain_days: Annotated[int, typer.Option("--retrain-days", help="retrain every N days")] = 7,
    weather: WeatherOpt = None,
    localities: LocalitiesOpt = None,
    output: FormatOpt = OutputFormat.table,
) -> None:
    """滚动回测 rolling-origin backtest: MAE, hit/false-alarm rates, CSI, ETS, Brier, reliability,
    warning-level confusion, each against persistence and climatology."""
    try:
        result = city_backtest(
            store(), city, year, retrain_days, weather_files=weather, localities=localities
        )
    except (KeyError, LookupError, ValueError) as error:
        raise _fail(error) from error
    if output is OutputFormat.json:
        _json(result)
        return
    keys = ["scope", "lead", "model", "n", "mae", "category_accuracy"]
    keys += [
        f"gt{t}_{k}"
        for t in (150, 200)
        for k in ("observed", "hit_rate", "false_alarm_ratio", "csi", "ets", "brier")
    ]
    rows = [{k: r.get(k) for k in keys} for r in result["rows"]]
    period = f"{result['first_issue']}～{result['last_issue']}"
    emit(rows, output, f"{city} {year} 滚动回测（{period}）")
    if output is not OutputFormat.table:
        return
    emit(
        [{k: r.get(k) for k in keys} for r in result["in_sample_rows"]],
        output,
        "gbrt, decisions tuned on this backtest (in sample, optimistic)",
    )
    emit(
        [{k: r.get(k) for k in keys} for r in result["cross_validated"]["rows"]],
        output,
        "gbrt, decisions tuned on the other cities (leave-one-city-out, out of sample)",
    )
    emit(
        result["cross_validated"]["warning_confusion"],
        output,
        "预警等级 gbrt out of sample × observed level (all cities)",
    )
    emit(
        [r for r in result["reliability"] if r["model"] == "gbrt" and r["scope"] == "all"],
        output,
        "可靠性 reliability (gbrt, all cities)",
    )
    emit(result["warning_confusion"], output, "预警等级 forecast level × observed level")
    console.print(
        f"weather: {'used' if result['weather'] else 'none'}; "
        f"decision probabilities: {result['probability_thresholds']} "
        f"(ETS-maximising on this backtest: {result['tuned_probability_thresholds']})"
    )
    console.print(f"climatology: {result['climatology']}")


def warning_command(
    city: CityOpt,
    date: Annotated[dt.datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="day")],
    since: Annotated[
        dt.datetime | None,
        typer.Option("--since", formats=["%Y-%m-%d"], help="first day of the warning's life"),
    ] = None,
    localities: LocalitiesOpt = None,
    output: FormatOpt = OutputFormat.table,
) -> None:
    """重污染天气预警 the warning level on a day, its life (issued/raised/lowered/lifted), the notice."""
    try:
        result = city_warning(
            store(), city, date.date(), since.date() if since else None, localities
        )
    except (KeyError, LookupError, ValueError) as error:
        raise _fail(error) from error
    if output is OutputFormat.json:
        _json(result)
        return
    level = result["level"]
    name = level_row(level)["name_zh"] if level else "无预警"
    basis = {"forecast": "依据预报", "observed": "实测已满足"}.get(result["basis"] or "", "")
    console.print(
        f"{city} {result['day']}：{name}（{result['scheme']} 方案{'，' + basis if basis else ''}）"
        f"{result['reason_zh']}"
    )
    thresholds = result["probability_thresholds"]
    rule = "；".join(
        f"P>{t} 达到 {'/'.join('前一日实测(persistence)' if v == 'persistence' else f'{v:g}' for v in p)}"
        for t, p in thresholds.items()
    )
    decisions = [
        {
            "发布": f"{d['issue_time']:%m-%d}" if f["lead"] == 1 else "",
            "级别": (level_row(d["level"])["name_zh"] if d["level"] else "无预警")
            if f["lead"] == 1
            else "",
            "依据": {"forecast": "预报", "observed": "实测"}.get(d["basis"] or "", "")
            if f["lead"] == 1
            else "",
            "预报日": f"{f['day']:%m-%d}",
            "AQI": int(f["aqi"]),
            **{f"P>{t}": f[f"p_gt{t}"] for t in thresholds},
        }
        for d in result["decisions"]
        for f in d["forecast"]
    ]
    emit(decisions, output, f"每日预警判定：预报 AQI 与超过概率（第1/2/3天{rule}即计为超过）")
    rows = [
        {
            "时间": e["time"],
            "事件": e["event_zh"],
            "原级别": level_row(e["from_level"])["name_zh"] if e["from_level"] else "",
            "新级别": level_row(e["to_level"])["name_zh"] if e["to_level"] else "",
            "原因": e["reason_zh"],
        }
        for e in result["events"]
    ]
    if rows:
        emit(rows, output, "预警过程")
    if result["notice_zh"] and output is OutputFormat.table:
        console.print(result["notice_zh"])


def _home() -> Path:
    return settings().home


@emergency_app.command("import")
def emergency_import(
    file: Annotated[
        Path, typer.Argument(help="xlsx workbook (sheets 排放总量, 企业清单, 减排措施)")
    ],
    city: CityOpt,
) -> None:
    """导入 import a city's list; every problem is listed by sheet, row and column."""
    try:
        parsed = read_emergency_workbook(file, city)
    except EmergencyImportError as error:
        from lantian.cli.plan import print_rejected

        print_rejected(error)
        raise typer.Exit(1) from None
    _register_enterprises(parsed, file.name)
    path = emergency.save(_home(), parsed)
    console.print(
        f"✓ {city}: {len(parsed.enterprises)} 家企业，{len(parsed.measures)} 条措施 → {path}"
    )


def _register_enterprises(parsed: emergency.EmergencyList, source: str) -> None:
    """The list's enterprises into the source registry (the one enterprise table), or exit 1."""
    from lantian.cli.plan import _ledger
    from lantian.plan.access import SYSTEM
    from lantian.sources.registry import link_enterprises
    from lantian.sources.tables import RegisterImportError

    rows = [
        {
            "code": e.enterprise_id,
            "name": e.name,
            "industry_name": e.industry,
            "address": e.location,
            "emergency_grade": e.grade,
            "line": line,
        }
        for line, e in enumerate(parsed.enterprises, start=2)
    ]
    try:
        with _ledger() as db:
            summary = link_enterprises(db, SYSTEM, rows, source=f"{source}!企业清单")
    except RegisterImportError as error:
        for rejection in error.rejections:
            errors.print(str(rejection), markup=False)
        raise typer.Exit(1) from error
    console.print(
        f"✓ 污染源登记：新增企业 {summary.added}，更新 {summary.updated} / registry: "
        f"{summary.added} enterprises added, {summary.updated} linked"
    )


def _registered_grades(listed: emergency.EmergencyList) -> emergency.EmergencyList:
    from lantian.cli.plan import _ledger
    from lantian.plan.access import SYSTEM
    from lantian.sources.registry import registered_enterprises

    with _ledger() as db:
        return emergency.with_registry(listed, registered_enterprises(db, SYSTEM))


def _check(city: str, day: dt.date | None) -> tuple[emergency.EmergencyList, dict]:
    listed = _registered_grades(emergency.load(_home(), city))
    settings_of = locality(city)
    scheme = settings_of.scheme_on(day or beijing_today())
    shares = emergency.required_shares(scheme, settings_of.reduction_shares)
    return listed, {"scheme": scheme, **emergency.check(listed, shares)}


@emergency_app.command("check")
def emergency_check(
    city: CityOpt,
    date: DateOpt = None,
    output: FormatOpt = OutputFormat.table,
) -> None:
    """核算 whether each level's reductions reach the required shares (10/20/30 %) and what is missing."""
    try:
        _, result = _check(city, date.date() if date else None)
    except (KeyError, FileNotFoundError) as error:
        raise _fail(error) from error
    if output is OutputFormat.json:
        _json(result)
    else:
        emit(result["levels"], output, f"{city} 应急减排核算（{result['scheme']} 方案）")
        for problem in result["missing"]:
            console.print(f"• {problem['text_zh']}")
    raise typer.Exit(0 if result["ok"] else 1)


@emergency_app.command("export")
def emergency_export(
    city: CityOpt,
    file: Annotated[Path, typer.Option("--output", "-o", help="xlsx file to write")],
    date: DateOpt = None,
) -> None:
    """导出 the city's list with its check as an xlsx workbook."""
    try:
        listed, result = _check(city, date.date() if date else None)
    except (KeyError, FileNotFoundError) as error:
        raise _fail(error) from error
    write_emergency_workbook(listed, file, result)
    console.print(f"✓ {file}")
