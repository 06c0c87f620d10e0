"""Monitoring factors (监测因子) of HJ 212: one table for the frames and the registers.

``tables/hj212_factors.csv`` holds, per HJ 212-2017 附录B code (``a34004``, ``LA``, …): the
glossary's id (``pollutant``: ``PM2.5``, ``SO2``, ``wind_speed``, …), the Chinese name, the unit
assumed when a device's register names none, and three kinds of other spellings:

* ``hj212_2005``: the code of HJ 212-2005 (the old-code column of HJ 212-2017 表B.2: ``02`` for
  SO2), which older devices still send;
* ``vendor_codes``: codes dust-monitor firmware sends in frames (``PM25-Rtd``, ``WS-Rtd``, …);
* ``aliases``: what an office's register may write in a 监测因子 cell (``总悬浮颗粒物``, ``PM25``).

A frame's factor code is read through :func:`frame_codes` (the standard's codes, the 2005 codes and
the vendors' codes, case as sent); a register cell through :func:`register_spellings` (codes, ids,
names and aliases, case-insensitive). Both are views of the one table.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from lantian.standards.tables import table

STANDARD = "HJ212-2017"


@dataclass(frozen=True)
class Factor:
    """A factor of HJ 212-2017 附录B that Lantian knows."""

    code: str
    name: str
    """The Chinese name (总悬浮颗粒物)."""
    pollutant: str
    """The glossary's id (``PM2.5``, ``SO2``, …) or a descriptive id (``TSP``, ``wind_speed``)."""
    unit: str
    """The unit assumed when the device's registry entry names none."""
    source: str
    """The clause of HJ 212-2017 it comes from."""


def _split(cell: str) -> list[str]:
    return [part for part in cell.split("|") if part]


@cache
def factors() -> dict[str, Factor]:
    """The factor table by HJ 212-2017 code."""
    return {
        row["code"]: Factor(
            row["code"], row["name_zh"], row["pollutant"], row["unit"], row["clause"]
        )
        for row in table("hj212_factors")
        if row["standard"] == STANDARD
    }


@cache
def frame_codes() -> dict[str, str]:
    """Factor codes a frame may carry that are not HJ 212-2017's own → the 2017 code: the 2005
    codes and the vendors' codes."""
    return {
        alias: row["code"]
        for row in table("hj212_factors")
        for alias in (*_split(row["hj212_2005"]), *_split(row["vendor_codes"]))
    }


@cache
def register_spellings() -> dict[str, str]:
    """Every spelling a register's 监测因子 cell may use, upper-cased → the HJ 212-2017 code:
    the code, the glossary id, the Chinese name and the aliases."""
    spellings = {}
    for row in table("hj212_factors"):
        for spelling in (row["code"], row["pollutant"], row["name_zh"], *_split(row["aliases"])):
            spellings[spelling.upper()] = row["code"]
    return spellings
