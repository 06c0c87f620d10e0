"""``lantian fetch`` and ``lantian update``: CNEMC's public release from a mirror, checked, imported.

Every fetched day file is kept under ``<home>/downloads/cnemc/`` and imported through the same code
as ``lantian import`` (:func:`lantian.cli.data.import_measurement_files`), so fetching a day again
changes nothing; a file holding all 24 hours is not downloaded again.

``--format hourly-2022`` fetches CNEMC's current hourly release instead (one file per hour for the
whole country, ``<base>/YYYY-MM-DD/YYYY-MM-DDTHH.csv``, kept under ``<home>/downloads/cnemc-hourly/``):
the hours of the natural days asked for (D 01:00 … E+1 00:00), each checked, then imported with the
``cnemc-hourly`` reader (stations registered from the files, CNEMC's published AQI kept).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import pyarrow.compute as pc
import typer
from rich.markup import escape

from lantian.assess.ranking import RankingError, province_cities
from lantian.cli.common import console, errors, progress_bar, store
from lantian.cli.data import import_measurement_files, import_station_list, import_status
from lantian.cli.data import print_summary as print_import_summary
from lantian.ingest import mirror as releases
from lantian.settings import settings
from lantian.times import natural_day

fetch_app = typer.Typer(
    help="下载 Fetch CNEMC's public release from a mirror, check it and import it.",
    no_args_is_help=True,
)

Mirror = Annotated[
    str | None,
    typer.Option(
        "--mirror",
        help="base URL (http(s)://, file://) or folder of the mirror "
        "(default: LANTIAN_CNEMC_MIRROR, https://quotsoft.net/air/data)",
    ),
]
Province = Annotated[
    str | None, typer.Option("--province", help="only this province's stations, e.g. 湖南")
]
Stations = Annotated[
    list[str] | None,
    typer.Option("--stations", help="only these stations, e.g. 2477A,2478A (repeatable)"),
]
#: ``--format`` → (reader of ``lantian import``, download folder, the setting of the mirror).
FORMATS = {
    "daily": ("cnemc", "cnemc", "cnemc_mirror"),
    "hourly-2022": ("cnemc-hourly", "cnemc-hourly", "cnemc_hourly_mirror"),
}
ReleaseFormat = Annotated[
    str,
    typer.Option(
        "--format",
        help="daily (china_sites_YYYYMMDD.csv, default) or hourly-2022 (CNEMC's current release, "
        "YYYY-MM-DD/YYYY-MM-DDTHH.csv, mirror LANTIAN_CNEMC_HOURLY_MIRROR)",
    ),
]
Retries = Annotated[
    int, typer.Option("--retries", min=0, help="attempts more per file when a transfer breaks")
]

#: The outcomes of one day, in the order the summary lists them.
OUTCOMES = {
    "downloaded": "下载",
    "resumed": "续传",
    "cached": "已有",
    "missing": "无此文件",
    "refused": "拒收",
    "failed": "失败",
}


@dataclass
class Fetched:
    """What a fetch got: the checked day files (in day order) and each day's outcome."""

    files: list[Path] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    problems: list[str] = field(default_factory=list)


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise typer.BadParameter(f"{text!r} is not a date like 2019-01-31") from error


def _folder(kind: str = "cnemc") -> Path:
    return settings().downloads / kind


@dataclass(frozen=True)
class Wanted:
    """One file to fetch: its name on the mirror, where it is kept, and its check (which returns
    True when the file is complete, so that a kept copy need not be fetched again)."""

    name: str
    target: Path
    check: Callable[[Path, str | None], bool]


def wanted_days(first: dt.date, last: dt.date) -> list[Wanted]:
    """The daily files of ``first`` … ``last`` (complete: all 24 hours)."""
    return [
        Wanted(
            releases.day_name(day),
            _folder() / releases.day_name(day),
            lambda path, source, day=day: (
                releases.check_day_file(path, day, source) == releases.HOURS
            ),
        )
        for day in releases.days(first, last)
    ]


def wanted_hours(first: dt.date, last: dt.date) -> list[Wanted]:
    """The hourly release files of the natural days ``first`` … ``last`` (complete once checked)."""
    return [
        Wanted(
            releases.hour_name(ts),
            _folder("cnemc-hourly") / releases.hour_name(ts),
            lambda path, source, ts=ts: releases.check_hour_file(path, ts, source) >= 0,
        )
        for ts in releases.hours(first, last)
    ]


def _fetch_file(wanted: Wanted, base: str, retries: int, note) -> tuple[str, Path | None, str]:
    """Fetch, check and keep one file: (outcome, file, problem)."""
    target = wanted.target
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        try:
            if wanted.check(target, None):
                return "cached", target, ""
        except releases.FetchError:
            pass  # a damaged copy: fetch it again
    source = releases.source_of(base, wanted.name)
    try:
        how = releases.download_retrying(source, target, retries, on_bytes=note)
    except releases.NotOnMirror as error:
        return "missing", None, str(error)
    except releases.FetchError as error:
        return "failed", None, str(error)
    part = releases.part_of(target)
    try:
        wanted.check(part, source)
    except releases.FetchError as error:
        part.unlink()
        return "refused", None, str(error)
    return how, releases.finish(target), ""


def fetch_files(wanted: list[Wanted], base: str, retries: int) -> Fetched:
    """Fetch ``wanted`` from ``base``, with a progress bar."""
    fetched = Fetched()
    with progress_bar() as progress:
        task = progress.add_task("下载 fetching", total=len(wanted))
        for item in wanted:
            name, received = item.name, [0]

            def note(n: int, total: int | None, name=name, received=received) -> None:
                received[0] += n
                size = f"/{total / 1e6:.1f}" if total else ""
                progress.update(task, description=f"下载 {name} {received[0] / 1e6:.1f}{size} MB")

            outcome, path, problem = _fetch_file(item, base, retries, note)
            fetched.outcomes[outcome] += 1
            if path is not None:
                fetched.files.append(path)
            if problem:
                fetched.problems.append(problem)
                errors.print(f"[red]✗[/red] {escape(problem)}", highlight=False, soft_wrap=True)
            progress.advance(task)
        progress.update(task, description="下载 fetching")
    return fetched


def fetch_days(first: dt.date, last: dt.date, base: str, retries: int) -> Fetched:
    """Fetch the day files ``first`` … ``last`` from ``base``, with a progress bar."""
    return fetch_files(wanted_days(first, last), base, retries)


def station_codes(province: str | None, stations: list[str] | None) -> list[str] | None:
    """The stations whose columns to keep: ``--stations`` and the registry's stations in the cities
    of ``--province`` (``assess/data/provinces.csv``); ``None`` = all."""
    if not province and not stations:
        return None
    codes = [c.strip() for text in stations or [] for c in text.split(",") if c.strip()]
    if province:
        try:
            cities = province_cities(province, county_level=True)
        except RankingError as error:
            raise typer.BadParameter(str(error), param_hint="--province") from error
        registry = store().stations()
        if registry.num_rows == 0:
            errors.print(
                "站点名录为空，无法按省筛选 the station registry is empty, so --province has no"
                " stations: run `lantian fetch stations` (or `lantian import stations.csv`) first",
                highlight=False,
            )
            raise typer.Exit(2)
        in_province = pc.is_in(pc.cast(registry["city"], pa.string()), pa.array(cities))
        codes += pc.cast(registry.filter(in_province)["station_code"], pa.string()).to_pylist()
    return sorted(set(codes))


def _remembered() -> dict:
    path = _folder() / "fetch.json"
    return json.loads(path.read_text("utf-8")) if path.exists() else {}


def _remember(
    base: str, province: str | None, stations: list[str] | None, format: str = "daily"
) -> None:
    _folder().mkdir(parents=True, exist_ok=True)
    chosen = {"mirror": base, "province": province, "stations": stations, "format": format}
    (_folder() / "fetch.json").write_text(json.dumps(chosen, ensure_ascii=False), "utf-8")


def _run(
    first: dt.date,
    last: dt.date,
    base: str,
    province: str | None,
    stations: list[str] | None,
    retries: int,
    format: str = "daily",
) -> None:
    if format not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}, not {format!r}")
    if last < first:
        raise typer.BadParameter(f"--to {last} is before --from {first}")
    if last > releases.today():
        raise typer.BadParameter(f"--to {last} is after today ({releases.today()}, Beijing)")
    codes = station_codes(province, stations)
    _remember(base, province, stations, format)
    wanted = wanted_hours(first, last) if format == "hourly-2022" else wanted_days(first, last)
    fetched = fetch_files(wanted, base, retries)
    counts = fetched.outcomes
    console.print(
        "；".join(f"{OUTCOMES[k]} {v}" for k, v in counts.items()) + f"（{first}～{last}，{base}）"
    )
    console.print(", ".join(f"{k} {v}" for k, v in counts.items()) + f" ({first} … {last}, {base})")
    status = 1 if fetched.problems else 0
    if fetched.files:
        summary = import_measurement_files(fetched.files, FORMATS[format][0], only=codes)
        print_import_summary(summary, 20)
        status = max(status, import_status(summary))
    elif fetched.problems:
        status = 2
    if status:
        raise typer.Exit(status)


@fetch_app.command("cnemc")
def fetch_cnemc_command(
    first: Annotated[str, typer.Option("--from", help="first day, e.g. 2019-01-01")],
    last: Annotated[str, typer.Option("--to", help="last day (included)")],
    province: Province = None,
    stations: Stations = None,
    mirror: Mirror = None,
    retries: Retries = 2,
    format: ReleaseFormat = "daily",
) -> None:
    """下载 CNEMC 发布文件 Fetch CNEMC's real-time release from a mirror — the daily files
    china_sites_YYYYMMDD.csv, or with --format hourly-2022 the current hourly release
    YYYY-MM-DD/YYYY-MM-DDTHH.csv (the hours of the natural days asked for) — resumable, each file
    checked, and import them as ``lantian import`` does. Exit status: 0 all stored, 1 some files
    missing or refused or rows rejected, 2 nothing."""
    if format not in FORMATS:
        raise typer.BadParameter(f"must be one of {', '.join(FORMATS)}", param_hint="--format")
    base = mirror or getattr(settings(), FORMATS[format][2])
    _run(_day(first), _day(last), base, province, stations, retries, format)


@fetch_app.command("stations")
def fetch_stations_command(
    name: Annotated[
        str | None,
        typer.Argument(help="the list's name on the mirror (default: LANTIAN_STATION_LIST_NAME)"),
    ] = None,
    mirror: Mirror = None,
    retries: Retries = 2,
) -> None:
    """下载站点名录 Fetch CNEMC's station list from the mirror, check it and register it."""
    base = mirror or settings().cnemc_mirror
    name = name or settings().station_list_name
    target = settings().downloads / "stations" / Path(name).name
    source = releases.source_of(base, name)
    try:
        releases.download_retrying(source, target, retries)
        releases.check_station_list(releases.part_of(target), source)
    except releases.FetchError as error:
        releases.part_of(target).unlink(missing_ok=True)
        errors.print(f"[red]✗[/red] {escape(str(error))}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from error
    import_station_list(releases.finish(target))


def last_stored_hour() -> dt.datetime | None:
    """The latest hour in the store, or ``None`` when it is empty."""
    if not store().manifest().partitions:
        return None
    with store().connect() as connection:
        return connection.execute("SELECT max(ts) FROM measurements").fetchone()[0]


def update_command(
    province: Province = None,
    stations: Stations = None,
    mirror: Mirror = None,
    retries: Retries = 2,
    until: Annotated[
        str | None, typer.Option("--to", help="last day (default: today, Beijing time)")
    ] = None,
    max_days: Annotated[
        int, typer.Option("--max-days", min=1, help="refuse to fetch more days than this")
    ] = 92,
) -> None:
    """更新 Fetch what is new since the last stored hour (the day of that hour up to today, with the
    mirror and stations of the last ``lantian fetch cnemc`` unless given): for a daily job."""
    last = last_stored_hour()
    if last is None:
        errors.print(
            "存储为空，先运行 the store is empty: run `lantian fetch cnemc --from D --to D` first",
            highlight=False,
        )
        raise typer.Exit(2)
    saved = _remembered()
    if province is None and stations is None:
        province, stations = saved.get("province"), saved.get("stations")
    format = saved.get("format") or "daily"
    base = mirror or saved.get("mirror") or getattr(settings(), FORMATS[format][2])
    first = last.date() if format == "daily" else natural_day(last)
    end = _day(until) if until else releases.today()
    if (end - first).days + 1 > max_days:
        errors.print(
            f"最后存储的小时是 {last}，到 {end} 共 {(end - first).days + 1} 天，超过 --max-days {max_days}："
            f"请用 lantian fetch cnemc --from {first} --to {end} 补齐 (the last stored hour is {last};"
            f" {(end - first).days + 1} days to {end} exceed --max-days {max_days}: back-fill with"
            f" lantian fetch cnemc --from {first} --to {end})",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(2)
    _run(first, end, base, province, stations, retries, format)
