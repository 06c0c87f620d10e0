"""Year-end assessment (年度考核): a unit's score from its year, under the plan's rule set.

Pure function over a unit's facts; the weights, points, deductions and grade bands are data (the
``scoring`` table of a rule set, ``data/rules.toml``). The score is::

    base = Σ weight_c × share_c over the components c the unit can be scored on, the weights of the
           others given to these in proportion (so the full score stays reachable)
    score = max(0, base − min(Σ deductions, max_deduction)), rounded half up to 0.1

with ``reporting`` the share of due reports filed on time, ``progress`` the mean points of the
unit's tasks by year-end colour, ``targets`` the mean achieved share of its quantified targets
(capped at 1; a ``<=`` target counts 1 when met, else 0). The deductions are per supervision
step aimed at the unit in the year (``deductions``, by step) and per case of the unit's
(:mod:`lantian.cases`, any origin) that was overdue or a repeat (``cases``: ``overdue``,
``repeat``); cases handled on time are counted and shown, not scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from lantian.plan.rules import COMPONENTS


@dataclass(frozen=True)
class UnitYear:
    """What the year-end assessment looks at for one unit."""

    reports_due: int
    reports_on_time: int
    task_colours: list[str]
    target_shares: list[float]
    supervision_steps: dict[str, int] = field(default_factory=dict)
    cases_on_time: int = 0
    cases_overdue: int = 0
    cases_repeat: int = 0


def component_shares(facts: UnitYear, progress_points: dict[str, float]) -> dict[str, float | None]:
    """Each component's share achieved [0–1], ``None`` where the unit has nothing to score."""
    return {
        "reporting": facts.reports_on_time / facts.reports_due if facts.reports_due else None,
        "progress": (
            sum(progress_points[c] for c in facts.task_colours) / len(facts.task_colours)
            if facts.task_colours
            else None
        ),
        "targets": (
            sum(min(s, 1.0) for s in facts.target_shares) / len(facts.target_shares)
            if facts.target_shares
            else None
        ),
    }


def _round(value: float) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def score(facts: UnitYear, scoring: dict) -> dict:
    """The unit's score, grade and every component behind them (plain data)."""
    shares = component_shares(facts, scoring["progress_points"])
    present = {c: scoring["weights"][c] for c in COMPONENTS if shares[c] is not None}
    scale = scoring["full_score"] / sum(present.values()) if present else 0.0
    points = {
        c: _round(present[c] * scale * shares[c]) if c in present else None for c in COMPONENTS
    }
    deduction = sum(
        scoring["deductions"].get(step, 0) * count
        for step, count in facts.supervision_steps.items()
    )
    deduction += scoring["cases"]["overdue"] * facts.cases_overdue
    deduction += scoring["cases"]["repeat"] * facts.cases_repeat
    deduction = min(deduction, scoring["max_deduction"])
    base = sum(present[c] * scale * shares[c] for c in present)
    total = _round(max(0.0, base - deduction))
    grade = next(name for bound, name in scoring["grades"] if total >= bound)
    return {
        "score": total,
        "grade": grade,
        "points": points,
        "shares": shares,
        "deduction": deduction,
        "reports_due": facts.reports_due,
        "reports_on_time": facts.reports_on_time,
        "tasks": len(facts.task_colours),
        "targets": len(facts.target_shares),
        "supervision_steps": dict(facts.supervision_steps),
        "cases_on_time": facts.cases_on_time,
        "cases_overdue": facts.cases_overdue,
        "cases_repeat": facts.cases_repeat,
    }
