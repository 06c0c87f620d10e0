"""``lantian store``: maintenance of the measurement store."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lantian.cli.common import console, errors, store

store_app = typer.Typer(
    help="测量数据存储 The measurement store (docs/store.md).", no_args_is_help=True
)


@store_app.command("migrate")
def migrate_command() -> None:
    """迁移存储 Rewrite month files of the older long layout in the grid layout (every hour of every
    station and pollutant present, so that reading a grid is a reshape). Values, flags and sources
    are kept; one atomic commit, safe to interrupt."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
    ) as progress:
        task = progress.add_task("迁移 migrating", total=None)
        count = store().migrate(
            progress=lambda done, total: progress.update(task, completed=done, total=total)
        )
    console.print(
        f"已迁移 {count} 个月份文件 (month files rewritten in the grid layout: {count})"
        if count
        else "存储已是网格布局 (the store is already in the grid layout)"
    )
