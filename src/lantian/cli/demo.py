"""``lantian demo``: load the bundled real data into the store (once) and evaluate it."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated

import typer
from rich.table import Table

from lantian.assess.annual import Evaluation, evaluate
from lantian.assess.sources import StationHours, load_year
from lantian.cli.common import console, errors, store
from lantian.demo import CONTROL_POINTS_HUNAN, HUNAN_2019, STATION_LIST, demo_file
from lantian.ingest.cnemc import read_measurements
from lantian.standards import (
    BASIC_POLLUTANTS,
    RuleSet,
    category_table,
    competition_rank,
    rule_set,
    unit,
)
from lantian.standards.evaluation import metric_name
from lantian.standards.ranking import scheme_items
from lantian.store.registry import registry_from_station_list


def ensure_demo_data() -> None:
    """Import the bundled registry and 2019 Hunan data into an empty store."""
    target = store()
    if target.manifest().partitions:
        return
    with console.status("首次运行：导入 2019 年湖南省 81 个国控站点的真实小时数据…"):
        target.put_stations(
            registry_from_station_list(demo_file(STATION_LIST), demo_file(CONTROL_POINTS_HUNAN))
        )
        table, metadata = read_measurements(demo_file(HUNAN_2019))
        summary = target.import_measurements(table, files=list(metadata["files"]))
    errors.print(f"已导入 imported {summary.added:,} hourly values into {target.root}")


def _number(value: float, pollutant: str) -> str:
    if math.isnan(value):
        return "NA"
    return f"{value:.1f}" if unit(pollutant) == "mg/m³" else f"{value:.0f}"


def _shortfall(months: list[int]) -> str:
    return f"（{'、'.join(map(str, months))}月不足）" if months else ""


def evaluation_table(result: Evaluation) -> Table:
    table = Table(title=f"{result.name} {result.rule_set.gb3095} 评价（{result.rule_set.hj663}）")
    for header in ("污染物", "评价指标", "浓度", "标准限值", "达标", "超标倍数", "有效天数"):
        table.add_column(header)
    for item in result.items:
        table.add_row(
            item.pollutant,
            metric_name(item.metric),
            f"{_number(item.value, item.pollutant)} {unit(item.pollutant)}",
            f"{item.limit:g}",
            {True: "达标", False: "超标", None: "NA"}[item.attained],
            "" if math.isnan(item.exceedance_multiple) else f"{item.exceedance_multiple:.2f}",
            f"{item.valid_days}" + _shortfall(item.short_months),
        )
    return table


def days_line(result: Evaluation) -> str:
    categories = [row["category_zh"] for row in category_table(result.rule_set.hj633)]
    counts = "，".join(f"{c} {n} 天" for c, n in zip(categories, result.days_by_level, strict=True))
    primary = "，".join(f"{p} {n}" for p, n in result.primary_days.items() if n)
    return (
        f"有效天数 {result.valid_days}：{counts}；优良天数比例 {result.good_day_ratio:.1f}%；"
        f"首要污染物天数：{primary}；综合指数 {float(result.comprehensive.total):.2f}"
        f"（最大单项指数 {result.comprehensive.largest.item()}）"
    )


def _stations_table(
    data: StationHours, city: str, stations: list[str], rules: RuleSet, year: int
) -> Table:
    index_metric = {row["pollutant"]: row["metric"] for row in scheme_items("ranking-2018")}
    table = Table(title=f"{city} 各评价点位 {year}（综合指数所用统计量）")
    for header in ("点位", "名称", *BASIC_POLLUTANTS, "综合指数"):
        table.add_column(header)
    for code in stations:
        one = evaluate(code, data.station_hourly(code), data.first_day, rules)
        values = {i.pollutant: i for i in one.items if index_metric[i.pollutant] == i.metric}
        table.add_row(
            code,
            data.names.get(code) or "",
            *(_number(values[p].value, p) for p in BASIC_POLLUTANTS),
            f"{float(one.comprehensive.total):.2f}",
        )
    return table


def _ranking_table(data: StationHours, rules: RuleSet, year: int) -> Table:
    cities = sorted({data.cities[s] for s in data.stations if data.cities.get(s)})
    results = [
        evaluate(c, data.area_hourly(data.evaluation_stations(c)), data.first_day, rules)
        for c in cities
    ]
    ranks = competition_rank([float(r.comprehensive.total) for r in results])
    table = Table(title=f"{len(cities)} 个城市 {year} 年环境空气质量综合指数排名（不含对照点）")
    for header in ("排名", "城市", "综合指数", "最大单项指数", "PM2.5 年均", "优良天数比例"):
        table.add_column(header)
    for rank, result in sorted(zip(ranks, results, strict=True), key=lambda pair: pair[0]):
        pm25 = next(i for i in result.items if i.pollutant == "PM2.5" and i.metric == "annual_mean")
        table.add_row(
            str(rank),
            result.name,
            f"{float(result.comprehensive.total):.2f}",
            result.comprehensive.largest.item(),
            _number(pm25.value, "PM2.5"),
            f"{result.good_day_ratio:.1f}%",
        )
    return table


def demo_command(
    city: Annotated[str, typer.Option(help="city of the bundled Hunan data, e.g. 永州")] = "永州",
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="serve the web pages after the summary")
    ] = True,
    host: Annotated[str, typer.Option(help="address to serve on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to serve on")] = 8000,
) -> None:
    """演示 Load the bundled real data (Hunan 2019, CNEMC) into the store if empty, evaluate it, and
    serve the web pages over it (``--no-serve``: only print)."""
    print_demo_summary(city)
    if serve:
        from lantian.cli.web import serve as serve_web

        serve_web(host, port, city)


def print_demo_summary(city: str) -> None:
    """The one-screen summary: the city's evaluation, its stations, the ranking of cities."""
    year = 2019
    ensure_demo_data()
    data = load_year(store(), year)
    rules = rule_set(dt.date(year, 1, 1))
    stations = data.evaluation_stations(city)
    if not stations:
        cities = sorted({data.cities[s] for s in data.stations if data.cities.get(s)})
        raise typer.BadParameter(f"no evaluation station for {city!r}; cities: {', '.join(cities)}")
    result = evaluate(city, data.area_hourly(stations), data.first_day, rules)
    console.print(evaluation_table(result))
    console.print(days_line(result))
    console.print(_stations_table(data, city, stations, rules, year))
    console.print(_ranking_table(data, rules, year))
