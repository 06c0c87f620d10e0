"""What every command shares: the console, the store of ``--home``, the output formats."""

from __future__ import annotations

from enum import StrEnum

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lantian.settings import settings
from lantian.store import MeasurementStore

console = Console()
errors = Console(stderr=True)


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


def store() -> MeasurementStore:
    """The measurement store of the current ``--home`` / ``LANTIAN_HOME``."""
    return MeasurementStore(settings().store_path)
