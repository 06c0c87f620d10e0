"""The forecast package's data tables (``tables/*.csv``), read as the standards' tables are.

``warning_schemes.csv`` (warning grades of 环大气〔2017〕86号 / 环办大气函〔2018〕875号 and
环大气〔2024〕6号), ``reduction_shares.csv`` (per-level emission-reduction shares), ``warning_levels.csv``
(names, colours and response grades), ``measure_kinds.csv`` (emergency measure kinds) and
``met_stations.csv`` (weather stations and the city each one serves). Every row cites its source.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

Row = dict[str, str]


@cache
def table(name: str) -> tuple[Row, ...]:
    """All rows of ``tables/<name>.csv`` (strings, as read)."""
    path = resources.files("lantian.forecast").joinpath("tables", f"{name}.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


def rows(name: str, **where: str) -> list[Row]:
    """The rows of table ``name`` whose columns equal every ``where`` value."""
    return [row for row in table(name) if all(row[key] == value for key, value in where.items())]


def known(name: str, column: str) -> list[str]:
    """The distinct values of ``column`` in table ``name``, in table order."""
    return list(dict.fromkeys(row[column] for row in table(name)))
