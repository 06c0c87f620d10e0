"""``lantian assess``, ``aqi``, ``rank``, ``progress`` and ``trend``: the assessment of issue #4."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from lantian.assess.aqi_series import aqi_series
from lantian.assess.assessment import assess
from lantian.assess.progress import STATUS_NAMES, progress
from lantian.assess.ranking import RankingError, province_cities, rank
from lantian.assess.scope import ScopeError, resolve_scope
from lantian.assess.series import DAILY_CONCENTRATIONS
from lantian.assess.targets import PlanFileError
from lantian.assess.trends import trend
from lantian.cli.common import console, errors, store
from lantian.cli.tables import write_rows
from lantian.standards import (
    BASIC_POLLUTANTS,
    PeriodSpansChangeError,
    completeness_name,
    index_statistics,
)
from lantian.standards.evaluation import metric_name
from lantian.times import month_days, parse_month, year_days


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"
    html = "html"


StationOpt = Annotated[str | None, typer.Option("--station", help="station code, e.g. 2478A")]
CityOpt = Annotated[
    str | None, typer.Option("--city", help="city (evaluation stations only), e.g. 永州")
]
AreaOpt = Annotated[
    str | None, typer.Option("--area", help="an area of the plan file, e.g. 冷水滩区中心城区")
]
PlanOpt = Annotated[
    Path | None, typer.Option("--plan", help="plan file (TOML); default: the bundled example")
]
YearOpt = Annotated[int | None, typer.Option("--year", help="calendar year")]
MonthOpt = Annotated[str | None, typer.Option("--month", help="month, e.g. 2019-08")]
FromOpt = Annotated[
    dt.datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="first day")
]
ToOpt = Annotated[dt.datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="last day")]
StandardOpt = Annotated[
    str | None, typer.Option("--standard", help="2012 or 2026 (default: by date)")
]
FormatOpt = Annotated[Format, typer.Option("--format", help="table, json, csv, xlsx or html")]
CompletenessOpt = Annotated[
    str | None,
    typer.Option(
        "--completeness",
        help="with a pollutant missing: release (the AQI of those present, as CNEMC publishes; "
        "the hourly default) or letter (HJ 633-2026 §5.3.1: NA unless above 100; the daily default)",
    ),
]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="file for csv/xlsx/html (default: stdout)")
]


def period(
    year: int | None, month: str | None, first: dt.datetime | None, last: dt.datetime | None
) -> tuple[dt.date, dt.date]:
    """The natural days asked for by --year, --month or --from/--to."""
    if month:
        try:
            return month_days(parse_month(month))
        except ValueError as error:
            raise typer.BadParameter(f"--month must look like 2019-08, got {month!r}") from error
    if first and last:
        if last < first:
            raise typer.BadParameter("--to is before --from")
        return first.date(), last.date()
    if year:
        return year_days(year)
    raise typer.BadParameter("give --year, --month, or --from and --to")


def _scope(station, city, area, plan):
    try:
        return resolve_scope(store().stations(), station=station, city=city, area=area, plan=plan)
    except (ScopeError, PlanFileError, KeyError) as error:
        errors.print(f"[red]✗[/red] {error}")
        raise typer.Exit(2) from error


@contextlib.contextmanager
def _refused(*kinds: type[Exception]) -> Iterator[None]:
    """Errors of ``kinds`` as one red line on stderr and exit status 2 (no traceback)."""
    try:
        yield
    except kinds as error:
        errors.print(f"[red]✗[/red] {error}")
        raise typer.Exit(2) from error


def _index(value: float | None) -> str:
    """A comprehensive index as published: two decimals (3.70, not 3.7)."""
    return "" if value is None else f"{value:.2f}"


def _json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=1, default=str) + "\n")


def _item_rows(result: dict) -> list[dict[str, object]]:
    rows = []
    for item in result["items"]:
        rows.append(
            {
                "污染物": item["pollutant"],
                "评价指标": metric_name(item["metric"]),
                "浓度": item["value"],
                "标准限值": item["limit"],
                "达标情况": {True: "达标", False: "超标", None: "NA"}[item["attained"]],
                "超标倍数": item["exceedance_multiple"],
                "有效天数": item["valid_days"],
                "数据有效性": "有效"
                if item["valid"]
                else f"不足（{'、'.join(map(str, item['short_months']))}月）",
            }
        )
    return rows


def _station_values(station: dict) -> dict[str, object]:
    """The statistic each pollutant enters the comprehensive index with (annual mean; CO P95; O3 P90)."""
    index_metric = index_statistics()
    return {
        i["pollutant"]: i["value"]
        for i in station["items"]
        if i["metric"] == index_metric[i["pollutant"]]
    }


def assess_command(
    station: StationOpt = None,
    city: CityOpt = None,
    area: AreaOpt = None,
    plan: PlanOpt = None,
    year: YearOpt = None,
    month: MonthOpt = None,
    first: FromOpt = None,
    last: ToOpt = None,
    standard: StandardOpt = None,
    output: FormatOpt = Format.table,
    file: OutputOpt = None,
) -> None:
    """达标评价 HJ 663 evaluation of a station, city or area over a period."""
    first_day, last_day = period(year, month, first, last)
    scope = _scope(station, city, area, plan)
    with _refused(PeriodSpansChangeError, KeyError):
        result = assess(store(), scope, first_day, last_day, standard)
    if output is Format.json:
        _json(result)
        return
    print_assessment(result, output, file)


def print_assessment(result: dict, output: Format = Format.table, file: Path | None = None) -> None:
    """An assessment as tables: the items, a line of day counts and index, then each station."""
    rows = _item_rows(result)
    rules = result["rule_set"]
    title = f"{result['name']} {result['from']}～{result['to']} 环境空气质量评价（{rules['gb3095']}，{rules['hj663']}）"
    if output is not Format.table:
        write_rows(rows, output.value, file, title)
        return
    write_rows(rows, "table", None, title)
    days = result["days"]
    by_category = "，".join(f"{k} {v}" for k, v in days["by_category"].items())
    console.print(
        f"有效天数 {days['valid']}（{by_category}）；优良天数比例 {days['good_ratio']}%；重污染天数 {days['heavy']}；"
        f"综合指数 {_index(result['comprehensive_index'])}（最大单项指数 {result['largest_index']}）；"
        f"六项污染物{'全部达标' if result['attained'] else '未全部达标'}"
    )
    if result["stations"]:
        station_rows = [
            {
                "点位": s["station_code"],
                "名称": s["name"],
                **_station_values(s),
                "综合指数": _index(s["comprehensive_index"]),
            }
            for s in result["stations"]
        ]
        write_rows(station_rows, "table", None, "各点位（综合指数所用统计量）")


def aqi_command(
    station: StationOpt = None,
    city: CityOpt = None,
    area: AreaOpt = None,
    plan: PlanOpt = None,
    year: YearOpt = None,
    month: MonthOpt = None,
    first: FromOpt = None,
    last: ToOpt = None,
    hourly: Annotated[
        bool, typer.Option("--hourly/--daily", help="hourly (实时报) or daily (日报) AQI")
    ] = False,
    standard: StandardOpt = None,
    completeness: CompletenessOpt = None,
    output: FormatOpt = Format.table,
    file: OutputOpt = None,
) -> None:
    """空气质量指数 The AQI series with level, category and primary pollutant(s)."""
    first_day, last_day = period(year, month, first, last)
    scope = _scope(station, city, area, plan)
    try:
        table = aqi_series(store(), scope, first_day, last_day, hourly, standard, completeness)
    except KeyError as error:
        errors.print(f"[red]✗[/red] {error.args[0]}")
        raise typer.Exit(2) from error
    rows = table.to_pylist()
    if output is Format.json:
        _json(rows)
        return
    if output is Format.table:
        label = "ts" if hourly else "day"
        if rows:
            mode = str(rows[0]["completeness"])
            report = "hourly" if hourly else "daily"
            console.print(f"完整性规则 completeness: {mode} — {completeness_name(mode, report)}")
        rows = [
            {
                "时间" if hourly else "日期": r[label],
                "AQI": r["aqi"],
                "级别": r["level"],
                "类别": r["category_zh"],
                "首要污染物": r["primary_pollutants"],
                **{p: r[p] for p in (BASIC_POLLUTANTS if hourly else DAILY_CONCENTRATIONS)},
            }
            for r in rows
        ]
    write_rows(rows, output.value, file, "空气质量指数 AQI")


def rank_command(
    province: Annotated[str | None, typer.Option("--province", help="e.g. 湖南")] = None,
    cities: Annotated[
        str | None, typer.Option("--cities", help="comma-separated city names")
    ] = None,
    year: YearOpt = None,
    month: MonthOpt = None,
    first: FromOpt = None,
    last: ToOpt = None,
    standard: StandardOpt = None,
    output: FormatOpt = Format.table,
    file: OutputOpt = None,
) -> None:
    """城市排名 Cities ranked by comprehensive index, PM2.5, good-day ratio and change rate."""
    first_day, last_day = period(year, month, first, last)
    try:
        names = cities.split(",") if cities else province_cities(province or "")
        result = rank(store(), [c.strip() for c in names], first_day, last_day, standard)
    except (RankingError, PeriodSpansChangeError, KeyError) as error:
        errors.print(f"[red]✗[/red] {error}")
        raise typer.Exit(2) from error
    if output is Format.json:
        _json(result)
        return
    print_ranking(result, output, file)


def print_ranking(result: dict, output: Format = Format.table, file: Path | None = None) -> None:
    """A ranking as a table (or csv/xlsx/html)."""
    rows = [
        {
            "排名": r["rank"],
            "城市": r["city"],
            "综合指数": _index(r["comprehensive_index"]),
            "最大单项指数": r["largest_index"],
            "PM2.5": r["pm25"],
            "PM2.5排名": r["pm25_rank"],
            "优良天数比例%": r["good_ratio"],
            "优良排名": r["good_ratio_rank"],
            "同比变化率%": r["change_rate"],
            "变化排名": r["change_rank"],
        }
        for r in result["cities"]
    ]
    if all(r["change_rate"] is None for r in result["cities"]):  # no previous year stored
        rows = [
            {k: v for k, v in row.items() if k not in ("同比变化率%", "变化排名")} for row in rows
        ]
    if output is not Format.table:  # a file says which daily AQI its good-day ratios rest on
        for row, city in zip(rows, result["cities"], strict=True):
            row["缺项时的AQI"] = city["completeness"]
    write_rows(rows, output.value, file, f"城市环境空气质量排名 {result['from']}～{result['to']}")


def progress_command(
    station: StationOpt = None,
    city: CityOpt = None,
    area: AreaOpt = None,
    plan: PlanOpt = None,
    date: Annotated[
        dt.datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="as of this day")
    ] = ...,
    standard: StandardOpt = None,
    output: FormatOpt = Format.table,
    file: OutputOpt = None,
) -> None:
    """目标进度 Year-to-date progress against the plan's targets, with the remaining budget."""
    try:
        result = progress(store(), _scope(station, city, area, plan), date.date(), plan, standard)
    except PlanFileError as error:
        errors.print(f"[red]✗[/red] {error}")
        raise typer.Exit(2) from error
    if output is Format.json:
        _json(result)
        return
    rows = [
        {
            "污染物": t["pollutant"],
            "目标": t["target"],
            "年初至今": t["ytd"],
            "去年同期": t["previous_year_same_period"],
            "剩余天数": t["remaining_days"],
            "剩余可用均值": t["budget_remaining_mean"],
            "剩余时段常年均值": t["expected_remaining_mean"],
            "超标日已有": t["days_above_daily_limit"],
            "尚可超标日": t["days_above_limit_remaining"],
            "状态": STATUS_NAMES[t["status"]][0],
        }
        for t in result["targets"]
    ]
    write_rows(rows, output.value, file, f"{result['name']} 截至 {result['date']} 目标进度")


def trend_command(
    station: StationOpt = None,
    city: CityOpt = None,
    area: AreaOpt = None,
    plan: PlanOpt = None,
    pollutant: Annotated[
        str, typer.Option("--pollutant", help="SO2 NO2 CO O3 PM10 PM2.5")
    ] = "PM2.5",
    year: YearOpt = None,
    first: FromOpt = None,
    last: ToOpt = None,
    standard: StandardOpt = None,
    output: FormatOpt = Format.table,
    file: OutputOpt = None,
) -> None:
    """变化趋势 Monthly series, year-on-year change and Theil–Sen trend of one pollutant."""
    if pollutant not in BASIC_POLLUTANTS:
        raise typer.BadParameter(f"--pollutant must be one of {', '.join(BASIC_POLLUTANTS)}")
    first_day, last_day = period(year, None, first, last)
    scope = _scope(station, city, area, plan)
    result = trend(store(), scope, pollutant, first_day, last_day, standard)
    if output is Format.json:
        _json(result)
        return
    write_rows(result["months"], output.value, file, f"{scope.name} {pollutant} 月均值")
    if output is Format.table:
        console.print(
            f"Theil–Sen 斜率 {result['theil_sen_slope_per_year']} /年（Mann–Kendall p = {result['mann_kendall_p']}，"
            f"{result['months_used']} 个月）"
        )


def report_command(
    city: CityOpt = None,
    area: AreaOpt = None,
    plan: PlanOpt = None,
    month: Annotated[str, typer.Option("--month", help="e.g. 2019-11")] = ...,
    output: Annotated[str, typer.Option("--format", help="html or pdf")] = "html",
    file: OutputOpt = None,
) -> None:
    """月报 The monthly report (Chinese; HTML opens offline; PDF via headless Chromium)."""
    from lantian.reports.monthly import html_to_pdf, render_html, report_data

    if output not in ("html", "pdf"):
        raise typer.BadParameter("--format must be html or pdf")
    period(None, month, None, None)  # validates the month
    scope = _scope(None, city, area, plan)
    html = render_html(report_data(store(), scope, month))
    target = file or Path(f"{scope.name}-{month}-月报.{output}")
    if output == "html":
        target.write_text(html, encoding="utf-8")
    else:
        try:
            html_to_pdf(html, target.resolve())
        except RuntimeError as error:
            errors.print(f"[red]✗[/red] {error}")
            raise typer.Exit(2) from error
    console.print(f"已写入 written: {target}")
