"""The ``lantian`` command: parse, call a service, print."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lantian.assess.annual import Evaluation, evaluate
from lantian.assess.sources import load_cnemc_year
from lantian.cli.plan import plan_app, users_app
from lantian.demo import CONTROL_POINTS_HUNAN, HUNAN_2019, STATION_LIST, demo_file
from lantian.standards import BASIC_POLLUTANTS, category_table, competition_rank, rule_set, unit
from lantian.standards.ranking import scheme_items

app = typer.Typer(
    help="蓝天 Lantian: air-quality attainment under GB 3095 / HJ 633 / HJ 663.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()


app.add_typer(plan_app, name="plan")
app.add_typer(users_app, name="users")


@app.callback()
def main() -> None:
    """蓝天 Lantian: air-quality attainment under GB 3095 / HJ 633 / HJ 663."""


METRIC_ZH = {
    "annual_mean": "年平均",
    "p98_daily": "日均值第98百分位",
    "p95_daily": "日均值第95百分位",
    "p90_mda8": "日最大8小时第90百分位",
}


def _number(value: float, pollutant: str) -> str:
    if math.isnan(value):
        return "NA"
    return f"{value:.1f}" if unit(pollutant) == "mg/m³" else f"{value:.0f}"


def _evaluation_table(result: Evaluation) -> Table:
    table = Table(title=f"{result.name} {result.rule_set.gb3095} 评价（{result.rule_set.hj663}）")
    for header in ("污染物", "评价指标", "浓度", "标准限值", "达标", "超标倍数", "有效天数"):
        table.add_column(header)
    for item in result.items:
        table.add_row(
            item.pollutant,
            METRIC_ZH[item.metric],
            f"{_number(item.value, item.pollutant)} {unit(item.pollutant)}",
            f"{item.limit:g}",
            {True: "达标", False: "超标", None: "NA"}[item.attained],
            "" if math.isnan(item.exceedance_multiple) else f"{item.exceedance_multiple:.2f}",
            f"{item.valid_days}" + _shortfall(item.short_months),
        )
    return table


def _shortfall(months: list[int]) -> str:
    return f"（{'、'.join(map(str, months))}月不足）" if months else ""


def _days_line(result: Evaluation) -> str:
    categories = [row["category_zh"] for row in category_table(result.rule_set.hj633)]
    counts = "，".join(f"{c} {n} 天" for c, n in zip(categories, result.days_by_level, strict=True))
    primary = "，".join(f"{p} {n}" for p, n in result.primary_days.items() if n)
    return (
        f"有效天数 {result.valid_days}：{counts}；优良天数比例 {result.good_day_ratio:.1f}%；"
        f"首要污染物天数：{primary}；综合指数 {float(result.comprehensive.total):.2f}"
        f"（最大单项指数 {result.comprehensive.largest.item()}）"
    )


@app.command()
def demo(
    city: Annotated[str, typer.Option(help="city of the bundled Hunan data, e.g. 永州")] = "永州",
) -> None:
    """Evaluate the bundled real data: Hunan's 2019 CNEMC hourly data (HJ 663, GB 3095-2012)."""
    year = 2019
    with console.status("读取 2019 年湖南省国控站点小时数据…"):
        data = load_cnemc_year(
            demo_file(HUNAN_2019), demo_file(STATION_LIST), demo_file(CONTROL_POINTS_HUNAN), year
        )
    rules = rule_set(dt.date(year, 1, 1))
    stations = data.evaluation_stations(city)
    if not stations:
        cities = sorted({data.cities[s] for s in data.stations if s in data.cities})
        raise typer.BadParameter(f"no evaluation station for {city!r}; cities: {', '.join(cities)}")
    result = evaluate(city, data.area_hourly(stations), data.first_day, rules)
    console.print(_evaluation_table(result))
    console.print(_days_line(result))
    per_station = Table(title=f"{city} 各评价点位 {year}（综合指数所用统计量）")
    for header in ("点位", "名称", *(f"{p}" for p in BASIC_POLLUTANTS), "综合指数"):
        per_station.add_column(header)
    for code in stations:
        one = evaluate(code, data.station_hourly(code), data.first_day, rules)
        index_metric = {row["pollutant"]: row["metric"] for row in scheme_items("ranking-2018")}
        values = {i.pollutant: i for i in one.items if index_metric[i.pollutant] == i.metric}
        per_station.add_row(
            code,
            data.names.get(code, ""),
            *(_number(values[p].value, p) for p in BASIC_POLLUTANTS),
            f"{float(one.comprehensive.total):.2f}",
        )
    console.print(per_station)
    _print_ranking(data, rules, year)


def _print_ranking(data, rules, year: int) -> None:
    cities = sorted({data.cities[s] for s in data.stations if s in data.cities})
    results = [
        evaluate(c, data.area_hourly(data.evaluation_stations(c)), data.first_day, rules)
        for c in cities
    ]
    totals = [float(r.comprehensive.total) for r in results]
    ranks = competition_rank(totals)
    table = Table(
        title=f"湖南省 {len(cities)} 个城市 {year} 年环境空气质量综合指数排名（不含对照点）"
    )
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
    console.print(table)
