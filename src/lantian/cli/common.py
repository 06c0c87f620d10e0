"""What every command shares: the console, the store of ``--home``, the output formats.

The one console module: every command prints through :data:`console` (stdout) and :data:`errors`
(stderr), never a ``Console`` of its own.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, ConsoleDimensions
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lantian.settings import settings
from lantian.store import MeasurementStore


class RunConsole(Console):
    """A Rich console sized at each print, not once at import.

    Rich reads ``COLUMNS``/``LINES`` when a console is made and keeps them; a module-level console
    made in one run (or in one test) then prints every later run in the same process at that
    width. This one reads ``COLUMNS``/``LINES`` of the moment at each print (a pipe or a "dumb"
    terminal too), else asks the terminal, as Rich does; a width given explicitly is kept.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._width, self._height = options.get("width"), options.get("height")

    @property
    def size(self) -> ConsoleDimensions:
        """The width and height of the moment: ``COLUMNS``/``LINES`` when set, else the terminal's."""
        columns = self._environ.get("COLUMNS", "")
        if self._width is None and columns.isdigit():
            lines = self._environ.get("LINES", "")
            height = self._height or (int(lines) if lines.isdigit() else 25)
            return ConsoleDimensions(int(columns), height)
        return super().size

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size


console = RunConsole()
errors = RunConsole(stderr=True)


def progress_bar() -> Progress:
    """The progress bar of long work (reading, storing, fetching), on stderr."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
    )


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class FileFormat(StrEnum):
    """Rows for the terminal, for programs (JSON: glossary keys) or for Excel (CSV, xlsx)."""

    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


FileFormatOption = Annotated[FileFormat, typer.Option("--format", help="table, json, csv or xlsx")]
OutputOption = Annotated[Path | None, typer.Option("--output", "-o", help="file to write")]


def store() -> MeasurementStore:
    """The measurement store of the current ``--home`` / ``LANTIAN_HOME``."""
    return MeasurementStore(settings().store_path)


def warn_if_clock_stopped() -> None:
    """A server (``serve``, ``receive``) on the stopped clock of ``LANTIAN_NOW`` (tests and demos
    only) says so loudly on stderr: sessions never expire, a locked name stays locked, the login
    limits never reset, every stamp is the same moment."""
    from lantian.times import NOW_SETTING, stopped_clock, to_beijing

    moment = stopped_clock()
    if moment is not None:
        errors.print(
            f"[bold red]警告：{NOW_SETTING} 已设置，时钟停在 {to_beijing(moment):%Y-%m-%d %H:%M:%S}"
            "（仅供测试和演示；会话永不过期、锁定的账号不会解锁，切勿在服务器上设置）"
            f" WARNING: {NOW_SETTING} is set, the clock is stopped (tests and demos only: sessions "
            "never expire, a locked name stays locked; never set it on a server)[/bold red]",
            soft_wrap=True,
        )
