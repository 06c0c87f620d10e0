"""Pollutant ids, units and display names (GB 3095 Tables 1 and 2).

The ids ``SO2 NO2 CO O3 PM10 PM2.5`` are the glossary's: they name columns, CLI flags and JSON fields.
Chinese and English display names come from ``tables/pollutants.csv`` and nowhere else.
"""

from __future__ import annotations

from typing import Final

from lantian.standards.tables import one, rows

#: The six basic pollutants of GB 3095 Table 1, in the glossary's order.
BASIC_POLLUTANTS: Final[tuple[str, ...]] = tuple(
    row["pollutant"] for row in rows("pollutants", basic="true")
)


def check_pollutant(pollutant: str) -> str:
    """Return ``pollutant`` if it is a known id, else raise ``KeyError`` listing the valid ids."""
    one("pollutants", pollutant=pollutant)
    return pollutant


def unit(pollutant: str) -> str:
    """The unit of ``pollutant``'s concentrations: ``mg/m³`` for CO, ``µg/m³`` for the others."""
    return one("pollutants", pollutant=pollutant)["unit"]


def display_name(pollutant: str, language: str = "zh") -> str:
    """The pollutant's name in ``language`` (``zh`` or ``en``)."""
    return one("pollutants", pollutant=pollutant)[f"name_{language}"]


def symbol(pollutant: str) -> str:
    """The pollutant's symbol with subscripts, e.g. ``PM₂.₅``."""
    return one("pollutants", pollutant=pollutant)["symbol"]
