"""What every command shares: the console, the store of ``--home``, the output formats."""

from __future__ import annotations

from enum import StrEnum

from rich.console import Console

from lantian.settings import settings
from lantian.store import MeasurementStore

console = Console()
errors = Console(stderr=True)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def store() -> MeasurementStore:
    """The measurement store of the current ``--home`` / ``LANTIAN_HOME``."""
    return MeasurementStore(settings().store_path)
