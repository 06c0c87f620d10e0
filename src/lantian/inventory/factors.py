"""The inventory's factor tables, kept as data in ``data/*.csv``.

- ``factors.csv`` — emission factors and multipliers: one row per factor with its method,
  parameter, pollutant, the source type it applies to (``source_type``: 铺装道路, 建筑施工, …),
  value, unit, source and clause, applicability, quality grade, whether it is a shipped default
  (``is_default``; a district's own value replaces it) and what the value was checked against.
  A factor whose published value could not be found is left out (``docs/inventory.md``).
- ``method_rules.csv`` — the constants a method's published formula fixes (exponents, divisors,
  validity thresholds), each citing its source.
- ``catering_scale.csv`` — GB 18483-2001's sizes of catering premises by 基准灶头 count (表1)
  with the highest allowed fume concentration and the purifier's least removal efficiency (表2).
- ``source_classification.csv`` — the four-level source classification (category → sector →
  fuel/product → technology), only the rows that can be cited so far.

The tables are read through :func:`lantian.standards.tables.table`, the one reader of rule tables.
"""

from __future__ import annotations

from lantian.standards.tables import Row, table

PACKAGE = "lantian.inventory"
FOLDER = "data"

#: The columns every row of ``factors.csv`` must fill (``quality_grade`` may be blank: unknown).
FACTOR_REQUIRED = (
    "factor_id",
    "method",
    "parameter",
    "pollutant",
    "source_type",
    "value",
    "unit",
    "source",
)
LEVELS = ("category", "sector", "fuel_product", "technology")


def factors() -> tuple[Row, ...]:
    """All rows of ``data/factors.csv``, as read (strings)."""
    return table("factors", PACKAGE, FOLDER)


def method_rules() -> tuple[Row, ...]:
    """All rows of ``data/method_rules.csv``, as read (strings)."""
    return table("method_rules", PACKAGE, FOLDER)


def source_classification() -> tuple[Row, ...]:
    """All rows of ``data/source_classification.csv`` (category → sector → fuel/product → technology)."""
    return table("source_classification", PACKAGE, FOLDER)


def catering_scale_table() -> tuple[Row, ...]:
    """All rows of ``data/catering_scale.csv`` (GB 18483-2001 表1 and 表2), smallest first."""
    return table("catering_scale", PACKAGE, FOLDER)


def method_rule(method: str, rule: str) -> float:
    """The numeric constant ``rule`` of ``method`` from ``data/method_rules.csv``."""
    found = [row for row in method_rules() if row["method"] == method and row["rule"] == rule]
    if len(found) != 1:
        known = sorted({(row["method"], row["rule"]) for row in method_rules()})
        raise KeyError(f"no single method rule {method}/{rule}; known: {known}")
    return float(found[0]["value"])


def factor(method: str, parameter: str, pollutant: str) -> Row:
    """The default factor row of ``method``'s ``parameter`` for ``pollutant``; lists what exists."""
    found = [
        row
        for row in factors()
        if (row["method"], row["parameter"], row["pollutant"]) == (method, parameter, pollutant)
        and row["is_default"] == "true"
    ]
    if len(found) != 1:
        known = [
            row["pollutant"]
            for row in factors()
            if (row["method"], row["parameter"]) == (method, parameter)
        ]
        raise KeyError(
            f"no default factor {method}/{parameter} for {pollutant!r}; "
            f"published values shipped for: {known or 'none'}"
        )
    return found[0]


def paved_road_k(pollutant: str) -> float:
    """AP-42 §13.2.1 Table 13.2.1-1's particle-size multiplier k for ``pollutant`` [g/VKT]."""
    return float(factor("paved_road_dust", "k", pollutant)["value"])


def construction_coefficients(source_type: str) -> tuple[float, dict[str, float]]:
    """The 产生/削减系数 of ``source_type`` (建筑施工 or 市政(拆迁)施工) [kg/(m²·month)].

    Returns the generation coefficient and the reduction coefficient of each control measure,
    from the 施工扬尘产生、削减系数表 rows of ``data/factors.csv``.
    """
    found = [
        row
        for row in factors()
        if row["method"] == "construction_dust_coefficients"
        and row["source_type"] == source_type
        and row["is_default"] == "true"
    ]
    generation = [float(row["value"]) for row in found if row["parameter"] == "generation"]
    if len(generation) != 1:
        known = list(
            dict.fromkeys(
                row["source_type"]
                for row in factors()
                if row["method"] == "construction_dust_coefficients"
            )
        )
        raise KeyError(f"no construction dust coefficients for {source_type!r}; known: {known}")
    reductions = {
        row["parameter"].removeprefix("reduction:"): float(row["value"])
        for row in found
        if row["parameter"].startswith("reduction:")
    }
    return generation[0], reductions
