"""Red, amber or green: a task's standing against its deadline and target, as of a day.

Pure functions over a task's facts; the thresholds come from the plan's rule set (``rag`` table of
``data/rules.toml``). The rules, in order (the first that applies decides):

1. completed (status 已完成) and the target met (or no target) → green;
2. a ``<=`` target exceeded (e.g. a boiler approved where none may be) → red;
3. past the deadline and not completed → red;
4. blocked (受阻) → red;
5. a quantified ``>=`` target with start and deadline whose achieved share lags the elapsed share of
   the time by more than ``red_behind`` → red, by more than ``amber_behind`` → amber;
6. a milestone past due and not done → amber;
7. the last due month's report missing → amber;
8. the deadline within ``due_soon_days`` and not completed → amber;
9. otherwise green.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class TaskFacts:
    """What the ledger knows of a task as of a day (the latest report up to then)."""

    start: dt.date | None
    deadline: dt.date | None
    comparison: str | None
    target_value: float | None
    quantity: float | None
    status: str | None
    milestones_overdue: int = 0
    report_missing: bool = False


def target_met(comparison: str | None, target_value: float | None, quantity: float | None) -> bool:
    """Whether ``quantity`` meets the target (``True`` when there is no target)."""
    if comparison is None or target_value is None:
        return True
    if quantity is None:
        return False
    return {
        ">=": quantity >= target_value,
        "<=": quantity <= target_value,
        "=": quantity == target_value,
    }[comparison]


def achieved_share(facts: TaskFacts) -> float | None:
    """Achieved quantity over target [1] for a positive ``>=`` target; ``None`` otherwise."""
    if facts.comparison != ">=" or not facts.target_value or facts.quantity is None:
        return None
    return facts.quantity / facts.target_value


def elapsed_share(facts: TaskFacts, as_of: dt.date) -> float | None:
    """Share of the time from start to deadline that has passed on ``as_of`` [0–1]."""
    if facts.start is None or facts.deadline is None or facts.deadline <= facts.start:
        return None
    share = (as_of - facts.start).days / (facts.deadline - facts.start).days
    return min(max(share, 0.0), 1.0)


def rag(facts: TaskFacts, as_of: dt.date, rules: dict) -> tuple[str, str]:
    """The task's colour (``green``/``amber``/``red``) on ``as_of`` and the reason, in Chinese."""
    met = target_met(facts.comparison, facts.target_value, facts.quantity)
    if facts.status == "completed" and met:
        return "green", "已完成"
    if facts.comparison == "<=" and facts.quantity is not None and not met:
        return "red", "超过控制目标"
    if facts.deadline is not None and as_of > facts.deadline:
        return "red", "超过完成时限未完成"
    if facts.status == "blocked":
        return "red", "推进受阻"
    lag = _lag(facts, as_of)
    if lag is not None and lag > rules["red_behind"]:
        return "red", f"进度滞后于时序 {lag:.0%}"
    if lag is not None and lag > rules["amber_behind"]:
        return "amber", f"进度滞后于时序 {lag:.0%}"
    if facts.milestones_overdue:
        return "amber", f"{facts.milestones_overdue} 个节点逾期"
    if facts.report_missing:
        return "amber", "上月进展未报送"
    if facts.deadline is not None and (facts.deadline - as_of).days <= rules["due_soon_days"]:
        return "amber", "临近完成时限"
    return "green", "正常推进"


def _lag(facts: TaskFacts, as_of: dt.date) -> float | None:
    elapsed = elapsed_share(facts, as_of)
    if elapsed is None or facts.comparison != ">=" or not facts.target_value:
        return None
    achieved = achieved_share(facts) or 0.0
    return elapsed - achieved
