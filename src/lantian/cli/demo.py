"""``lantian demo``: load the real data into the store (once), evaluate it, serve it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from lantian.assess.assessment import assess
from lantian.assess.ranking import province_cities, rank
from lantian.assess.scope import ScopeError, resolve_scope
from lantian.cli.assess import print_assessment, print_ranking
from lantian.cli.common import console, errors, store
from lantian.demo import CONTROL_POINTS_HUNAN, HUNAN_2019, STATION_LIST, demo_file
from lantian.ingest.cnemc import read_measurements
from lantian.store.registry import registry_from_station_list


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
) -> None:
    """演示 Load the real data (Hunan 2019, CNEMC) into the store if empty, evaluate it, and
    serve the web pages over it (``--no-serve``: only print)."""
    print_demo_summary(city)
    if serve:
        from lantian.cli.web import serve as serve_web

        serve_web(host, port, city)


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
