"""Concentration limits of GB 3095 (2012: Tables 1–2; 2026: Tables 1–2, transition and final stages).

``averaging`` is one of ``annual``, ``daily`` (24-hour / 日平均), ``mda8`` (daily maximum 8-hour mean),
``1h`` and ``quarterly``. Values are in the pollutant's unit: µg/m³, CO mg/m³.
"""

from __future__ import annotations

from lantian.standards.rulesets import RuleSet
from lantian.standards.tables import one


def limit(
    pollutant: str,
    averaging: str,
    *,
    standard: str = "GB3095-2012",
    grade: int = 2,
    stage: str = "",
) -> float:
    """The concentration limit of ``pollutant`` for ``averaging`` in ``standard``.

    Parameters
    ----------
    pollutant
        Glossary id, e.g. ``PM2.5``.
    averaging
        ``annual``, ``daily``, ``mda8``, ``1h`` or ``quarterly``.
    standard
        ``GB3095-2012`` or ``GB3095-2026``.
    grade
        1 (Class 1 zones) or 2 (Class 2 zones: the grade a city is assessed against).
    stage
        For GB 3095-2026: ``transition`` (2026-03-01 to 2030-12-31) or ``final`` (from 2031);
        empty for GB 3095-2012.

    Returns
    -------
    The limit [µg/m³; CO mg/m³].
    """
    row = one(
        "limits",
        standard=standard,
        stage=stage,
        pollutant=pollutant,
        averaging=averaging,
        grade=str(grade),
    )
    return float(row["value"])


def limit_in(rule_set: RuleSet, pollutant: str, averaging: str, grade: int = 2) -> float:
    """The limit that ``rule_set`` applies to ``pollutant`` and ``averaging`` [µg/m³; CO mg/m³]."""
    return limit(
        pollutant, averaging, standard=rule_set.gb3095, grade=grade, stage=rule_set.gb3095_stage
    )
