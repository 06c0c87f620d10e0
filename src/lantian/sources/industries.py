"""Industries of GB/T 4754-2017《国民经济行业分类》: 门类 (sections A–T) and 大类 (divisions 01–97).

``data/gbt4754-2017.csv`` holds the 20 sections and 97 divisions of the standard (国家统计局,
GB/T 4754-2017, 表 1), each with its section. A register's industry code is a section letter,
optionally followed by the 2-digit division, 3-digit group (中类) or 4-digit class (小类) code
(``C``, ``C30``, ``C301``, ``C3011``; the letter may be left out: ``3011``). It is checked down
to the division — the division must exist and belong to the section given; groups and classes
below it are checked for shape only (the table does not list them yet).
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources

_CODE = re.compile(r"^(?P<section>[A-T])?(?P<digits>\d{2}|\d{3}|\d{4})?$")


@cache
def industry_table() -> dict[str, dict[str, str]]:
    """Code (``C`` or ``30``) → its row (``code, section, level, name``)."""
    path = resources.files("lantian.sources") / "data" / "gbt4754-2017.csv"
    with path.open(encoding="utf-8") as handle:
        return {row["code"]: row for row in csv.DictReader(handle)}


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
        section = division["section"]
    elif section not in table:
        return None
    return f"{section}{digits or ''}"


def industry_name(code: str) -> str | None:
    """The name of a section or division (``C30`` → 非金属矿物制品业); ``None`` below or unknown."""
    normal = normalise_industry_code(code)
    if normal is None:
        return None
    row = industry_table().get(normal[1:] or normal[:1])
    return row["name"] if row and len(normal) <= 3 else None
