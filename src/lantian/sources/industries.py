"""Industries of GB/T 4754-2017《国民经济行业分类》: sections (门类), divisions (大类), groups (中类)
and classes (小类).

``data/gbt4754-2017.csv`` holds all 20 sections and 97 divisions, and the groups and classes of the
divisions 01–50 (sections A–E: agriculture, mining, manufacturing, energy and water, construction —
where a district's registered enterprises and sites are); the groups and classes of divisions 51–97
are not listed yet (``data/README.md`` gives the source). A register's industry code is a section
letter, optionally followed by a 2-digit division, 3-digit group or 4-digit class code (``C``,
``C30``, ``C301``, ``C3011``; the letter may be left out: ``3011``). The division must exist and
belong to the section given; in a division whose classes are listed, the group or class must be
one of them; in the others it is checked for shape only.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources

_CODE = re.compile(r"^(?P<section>[A-T])?(?P<digits>\d{2}|\d{3}|\d{4})?$")


@cache
def industry_table() -> dict[str, dict[str, str]]:
    """Code (``C``, ``30``, ``301``, ``3011``) → its row (``code, section, level, name``)."""
    path = resources.files("lantian.sources") / "data" / "gbt4754-2017.csv"
    with path.open(encoding="utf-8") as handle:
        return {row["code"]: row for row in csv.DictReader(handle)}


@cache
def divisions_with_classes() -> frozenset[str]:
    """The divisions whose groups and classes the table lists."""
    return frozenset(code[:2] for code in industry_table() if len(code) == 4)


def normalise_industry_code(code: str) -> str | None:
    """``3011`` → ``C3011`` (the section of its division); ``None`` if not a code of the table."""
    match = _CODE.match(code.strip().upper())
    if not match or not (match["section"] or match["digits"]):
        return None
    section, digits = match["section"], match["digits"]
    table = industry_table()
    if digits:
        division = table.get(digits[:2])
        if division is None or (section and division["section"] != section):
            return None
        if len(digits) > 2 and digits[:2] in divisions_with_classes() and digits not in table:
            return None
        section = division["section"]
    elif section not in table:
        return None
    return f"{section}{digits or ''}"


def industry_name(code: str) -> str | None:
    """The name of a section, division, group or class (``C3011`` → 水泥制造); ``None`` if the
    table does not list it."""
    normal = normalise_industry_code(code)
    if normal is None:
        return None
    row = industry_table().get(normal[1:] or normal[:1])
    return row["name"] if row else None
