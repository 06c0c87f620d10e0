"""The rule tables of the standards, read from the CSV files beside this module.

Every number Lantian applies lives in ``tables/*.csv``; each row names the standard it belongs to and
the clause it comes from. Code looks a table up by standard id (``GB3095-2012``, ``HJ633-2026``, …);
no limit, breakpoint or threshold is written in a function body.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources

Row = dict[str, str]


@cache
def table(name: str, package: str = "lantian.standards", folder: str = "tables") -> tuple[Row, ...]:
    """All rows of the rule table ``<folder>/<name>.csv`` of ``package``, as read (strings).

    Other packages keep their own rule tables the same way (``lantian.forecast``'s warning
    schemes; ``lantian.inventory``'s factor tables in ``data/``) and read them through these
    functions with ``package=`` (and ``folder=``).
    """
    path = resources.files(package).joinpath(folder, f"{name}.csv")
    text = path.read_text(encoding="utf-8")
    return tuple(csv.DictReader(io.StringIO(text, newline="")))


def rows(name: str, package: str = "lantian.standards", **where: str) -> list[Row]:
    """The rows of table ``name`` whose columns equal every ``where`` value."""
    return list(_matching(name, package, tuple(sorted(where.items()))))


@cache
def _matching(name: str, package: str, where: tuple[tuple[str, str], ...]) -> tuple[Row, ...]:
    """:func:`rows`, looked up once per question: the tables are read once and never change,
    and the AQI and evaluation functions ask the same few questions for every series (a scan of
    the table each time was most of a short series' cost, issue #13)."""
    return tuple(
        row for row in table(name, package) if all(row[key] == value for key, value in where)
    )


def known(name: str, column: str, package: str = "lantian.standards") -> list[str]:
    """The distinct values of ``column`` in table ``name``, in table order."""
    return list(_known(name, column, package))


@cache
def _known(name: str, column: str, package: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(row[column] for row in table(name, package)))


def one(name: str, **where: str) -> Row:
    """The single row of table ``name`` matching ``where``; a clear error lists the valid keys."""
    found = rows(name, **where)
    if len(found) == 1:
        return found[0]
    if not found:
        choices = {key: known(name, key) for key in where}
        raise KeyError(f"no row in rule table {name!r} for {where}; valid values: {choices}")
    raise KeyError(f"rule table {name!r} has {len(found)} rows for {where}; expected one")


def rule_value(standard: str, rule: str, table_name: str = "aqi_rules") -> float | None:
    """A numeric rule of ``standard`` from a key-value table; ``None`` where the rule is absent."""
    value = one(table_name, standard=standard, rule=rule)["value"]
    return float(value) if value != "" else None
