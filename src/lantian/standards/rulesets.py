"""Which rules apply: the 2012 rule set before 2026-03-01, the 2026 rule set since.

* **2012**: GB 3095-2012 with its 2018 amendment (reference state 298.15 K from 2018-09-01),
  HJ 633-2012 (AQI) and HJ 663-2013 (assessment).
* **2026**: GB 3095-2026 and HJ 633-2026, in force since 2026-03-01 (GB 3095-2026 前言; HJ 633-2026
  前言), with the GB 3095-2026 transition-stage limits to 2030-12-31 and the final limits from
  2031-01-01 (GB 3095-2026 §4.4), and HJ 663-2026 for assessment.

The dates are rows of ``tables/rule_sets.csv``. A period is judged by the rules of its date unless the
caller names a rule set explicitly (``standard="2012"`` or ``"2026"``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from lantian.standards.tables import known, table

DateLike = dt.date | str


@dataclass(frozen=True)
class RuleSet:
    """The documents that together define one rule set, as standard ids of the rule tables."""

    name: str
    """``2012`` or ``2026``: what users type (``--standard 2012``)."""
    gb3095: str
    """Concentration limits: ``GB3095-2012`` or ``GB3095-2026``."""
    gb3095_stage: str
    """``""`` for GB 3095-2012; ``transition`` or ``final`` for GB 3095-2026 (§4.4)."""
    hj633: str
    """AQI rules: ``HJ633-2012`` or ``HJ633-2026``."""
    hj663: str
    """Assessment rules: ``HJ663-2013`` or ``HJ663-2026``."""
    effective_from: dt.date | None
    effective_to: dt.date | None


def _date(value: DateLike) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _optional_date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _rule_set_of(row: dict[str, str]) -> RuleSet:
    return RuleSet(
        name=row["rule_set"],
        gb3095=row["gb3095"],
        gb3095_stage=row["gb3095_stage"],
        hj633=row["hj633"],
        hj663=row["hj663"],
        effective_from=_optional_date(row["effective_from"]),
        effective_to=_optional_date(row["effective_to"]),
    )


@cache
def _rule_sets() -> tuple[RuleSet, ...]:
    """Every row of ``rule_sets.csv``, in table order (read once: a series asks per run)."""
    return tuple(_rule_set_of(row) for row in table("rule_sets"))


def rule_set_names() -> list[str]:
    """The names a user may give as ``standard``: ``['2012', '2026']``."""
    return known("rule_sets", "rule_set")


def _covers(rule_set: RuleSet, day: dt.date) -> bool:
    after_start = rule_set.effective_from is None or day >= rule_set.effective_from
    before_end = rule_set.effective_to is None or day <= rule_set.effective_to
    return after_start and before_end


def rule_set(date: DateLike, standard: str | None = None) -> RuleSet:
    """The rule set that judges data of ``date``, or the one named by ``standard``.

    Parameters
    ----------
    date
        The day the data belong to (a ``date``, ``datetime`` or ISO string).
    standard
        ``None`` to choose by date; ``"2012"`` or ``"2026"`` to override. With ``"2026"`` the
        GB 3095-2026 stage still follows the date (final from 2031-01-01, transition before).

    Raises
    ------
    KeyError
        For an unknown ``standard``; the message lists the valid names.
    """
    day = _date(date)
    candidates: tuple[RuleSet, ...] = _rule_sets()
    if standard is not None:
        standard = str(standard)
        if standard not in rule_set_names():
            raise KeyError(f"unknown standard {standard!r}; valid: {rule_set_names()}")
        candidates = tuple(c for c in candidates if c.name == standard)
        covering = [c for c in candidates if _covers(c, day)]
        if covering:
            return covering[0]
        # A rule set applied outside its own dates: its stage nearest to the date.
        return candidates[0] if day < (candidates[0].effective_from or day) else candidates[-1]
    for candidate in candidates:
        if _covers(candidate, day):
            return candidate
    raise AssertionError(f"rule_sets.csv leaves {day} uncovered")  # pragma: no cover


def rule_set_runs(
    first_day: DateLike, last_day: DateLike, standard: str | None = None
) -> list[tuple[dt.date, dt.date, RuleSet]]:
    """The one policy for a period: the runs of natural days each judged by one rule set.

    Data follow the rules of their own date, so a period that spans a change of standard
    (2026-03-01) is split at the change: ``[(first, 2026-02-28, 2012 set), (2026-03-01, last,
    2026 set)]``, and so at the GB 3095-2026 stages (2031-01-01); with ``standard`` named, the
    whole period is one run under it (the stage of ``first_day``, as :func:`rule_set`). Each run
    is evaluated on its own: no statistic mixes rule sets (docs/standards-readings.md #14).

    Returns
    -------
    list of (first day, last day, rule set), in order, covering ``first_day`` … ``last_day``.
    """
    first, last = _date(first_day), _date(last_day)
    if last < first:
        raise ValueError(f"the period ends ({last}) before it starts ({first})")
    if standard is not None:
        return [(first, last, rule_set(first, standard))]
    runs: list[tuple[dt.date, dt.date, RuleSet]] = []
    start = first
    while start <= last:
        rules = rule_set(start)
        end = last if rules.effective_to is None else min(last, rules.effective_to)
        runs.append((start, end, rules))
        start = end + dt.timedelta(days=1)
    return runs


class PeriodSpansChangeError(ValueError):
    """A period that one statistic cannot cover: it spans a change of standard. The message
    names the change and the parts to evaluate instead."""


def period_rule_set(
    first_day: DateLike, last_day: DateLike, standard: str | None = None
) -> RuleSet:
    """The one rule set of a period evaluated as a whole (an HJ 663 evaluation, a ranking).

    The policy of :func:`rule_set_runs`: a statistic never mixes rule sets, so a period that spans a
    change of standard is not evaluated whole unless ``standard`` names one rule set.

    Raises
    ------
    PeriodSpansChangeError
        When the period spans a change and ``standard`` is None; the message names the parts.
    """
    runs = rule_set_runs(first_day, last_day, standard)
    if len(runs) > 1:
        parts = "; ".join(f"{a} … {b} ({r.gb3095}, {r.hj633})" for a, b, r in runs)
        raise PeriodSpansChangeError(
            f"the period {runs[0][0]} … {runs[-1][1]} spans a change of standard on "
            f"{runs[1][0]}: evaluate the parts separately ({parts}), or name one rule set with "
            f"standard 2012 or 2026 (评价时段跨越标准变更日 {runs[1][0]}，请分段评价或指定标准)"
        )
    return runs[0][2]
