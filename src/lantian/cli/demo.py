"""``lantian demo``: load the real data into the store (once), evaluate it, serve it."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated

import typer

from lantian.assess.assessment import assess
from lantian.assess.ranking import province_cities, rank
from lantian.assess.scope import ScopeError, resolve_scope
from lantian.cli.assess import print_assessment, print_ranking
from lantian.cli.common import console, errors, store
from lantian.demo import (
    CONTROL_POINTS_HUNAN,
    DEMO_FILES,
    HUNAN_2019,
    STATION_LIST,
    demo_file,
    missing_files,
)
from lantian.ingest.cnemc import read_measurements
from lantian.settings import settings
from lantian.store.registry import registry_from_station_list

WHAT = {
    HUNAN_2019: "湖南 81 个国控站点 2019 年小时数据 CNEMC hourly data of Hunan's 81 stations, 2019",
    STATION_LIST: "全国国控站点名录 the national station list",
    CONTROL_POINTS_HUNAN: "湖南各市对照点 Hunan's control points (对照点)",
}


def missing_data_message() -> str | None:
    """What the demo lacks and how to get it (Chinese and English), or ``None`` when all is there."""
    missing = missing_files(DEMO_FILES)
    if not missing:
        return None
    folder = settings().reference_folder
    where = str(folder) if folder else "未设置 not set"
    lines = [
        f"找不到演示数据 demo data not found (LANTIAN_REFERENCE_DATA: {where}). 需要 needed:",
        *(f"  {name}  {WHAT[name]}" for name in missing),
        "获取方法 how to get them:",
        "  · 把参考数据放在仓库旁的 ../shared/reference，或设置 LANTIAN_REFERENCE_DATA=目录，"
        "或运行 lantian demo --data 目录",
        "    put the reference data in ../shared/reference beside the checkout, or set"
        " LANTIAN_REFERENCE_DATA=DIR, or run lantian demo --data DIR",
        "  · 或从 CNEMC 公开数据的镜像下载自己的数据 or fetch your own from a mirror of CNEMC's release:",
        "    lantian fetch stations && lantian fetch cnemc --from 2019-01-01 --to 2019-12-31"
        " --province 湖南",
    ]
    return "\n".join(lines)


def ensure_demo_data() -> None:
    """Import the reference station list and 2019 Hunan data into an empty store."""
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


def demo_command(
    city: Annotated[str, typer.Option(help="city of the real Hunan data, e.g. 永州")] = "永州",
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="serve the web pages after the summary")
    ] = True,
    host: Annotated[str, typer.Option(help="address to serve on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to serve on")] = 8000,
    hj212_port: Annotated[
        int | None,
        typer.Option(
            help="HJ 212 port of the receiver, fed by the example devices (模拟数据); 0: none"
        ),
    ] = 9212,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="folder of the demo data (default: LANTIAN_REFERENCE_DATA or ../shared/reference)",
        ),
    ] = None,
) -> None:
    """演示 Load the real data (Hunan 2019, CNEMC) into the store if empty, evaluate it, register
    the 冷水滩区 EXAMPLE sources and devices (示例) if the registry is empty and build their example
    2019 emission inventory (示例数据) if there is none, print the roadmap on EXAMPLE data
    (inventory → measures → roadmap, 示例数据), and serve the web
    pages over it (``--no-serve``: only print). Exit status 2 when the store is empty and the demo
    data are not found."""
    if data is not None:
        os.environ["LANTIAN_REFERENCE_DATA"] = str(data)
        settings.cache_clear()
    if not store().manifest().partitions and (message := missing_data_message()):
        errors.print(message, markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    print_demo_summary(city)
    from lantian.cli.sources import ensure_example_registry

    ensure_example_registry()
    from lantian.cli.inventory import ensure_example_inventory

    ensure_example_inventory()
    from lantian.cli.planning import print_demo_roadmap

    print_demo_roadmap()
    if serve:
        from lantian.cli.web import serve as serve_web

        serve_web(host, port, city, hj212_port=hj212_port or None, simulate=bool(hj212_port))


def print_demo_summary(city: str) -> None:
    """The one-screen summary: the city's evaluation and its stations, then the ranking of
    Hunan's cities — the same services and tables as ``lantian assess`` and ``lantian rank``."""
    ensure_demo_data()
    first, last = dt.date(2019, 1, 1), dt.date(2019, 12, 31)
    try:
        scope = resolve_scope(store().stations(), city=city)
    except ScopeError as error:
        raise typer.BadParameter(str(error)) from error
    print_assessment(assess(store(), scope, first, last))
    print_ranking(rank(store(), province_cities("湖南"), first, last))
