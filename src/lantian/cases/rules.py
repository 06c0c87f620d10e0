"""The case rules as data (``data/case_rules.toml``, or a district's file: ``LANTIAN_CASE_RULES``)
and the pure decisions taken from them: a case's deadline, its responsible unit by source kind, and
escalation along the five steps (督查 → 交办 → 巡查 → 约谈 → 专项督察, 方案五（四）) when a deadline
passes or an alarm repeats.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from lantian.cases.calendar import WorkingCalendar, deadline
from lantian.cases.workflow import ORIGINS
from lantian.plan.errors import LedgerValueError
from lantian.plan.vocabulary import SUPERVISION_STEPS
from lantian.settings import settings


@dataclass(frozen=True)
class CaseRules:
    """The rules of ``case_rules.toml``, checked (see that file for what each means)."""

    deadlines: dict[str, int]
    steps: tuple[str, ...]
    after_overdue_working_days: int
    repeat_thresholds: tuple[int, ...]
    append_origins: frozenset[str]
    repeat_window_days: int
    direct_close: frozenset[str]
    units: dict[str, str]
    origin_units: dict[str, str]
    alarm_levels: frozenset[str]
    source: str


def _fail(key: str, zh: str, en: str, path: str) -> LedgerValueError:
    return LedgerValueError(f"{path}：{key} {zh}", f"{path}: {key} {en}", key)


def parse_rules(data: dict[str, Any], path: str = "case_rules.toml") -> CaseRules:
    """:class:`CaseRules` from a parsed rule file; an error names the key and the file."""
    try:
        deadlines, escalation = dict(data["deadlines"]), data["escalation"]
        repeats, closing = data["repeats"], data["closing"]
        rules = CaseRules(
            deadlines=deadlines,
            steps=tuple(escalation["steps"]),
            after_overdue_working_days=escalation["after_overdue_working_days"],
            repeat_thresholds=tuple(escalation["repeat_thresholds"]),
            append_origins=frozenset(repeats["append_origins"]),
            repeat_window_days=repeats["window_days"],
            direct_close=frozenset(closing["direct_close"]),
            units=dict(data.get("units", {})),
            origin_units=dict(data.get("origin_units", {})),
            alarm_levels=frozenset(data["alarms"]["levels"]),
            source=data.get("source", path),
        )
    except (KeyError, TypeError) as missing:
        raise _fail(str(missing), "缺失或格式不对", "is missing or malformed", path) from None
    if set(rules.deadlines) != set(ORIGINS):
        raise _fail(
            "deadlines", f"须给出每种来源：{'、'.join(ORIGINS)}", "needs every origin", path
        )
    numbers = [
        *rules.deadlines.values(),
        rules.after_overdue_working_days,
        rules.repeat_window_days,
    ]
    if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in numbers):
        raise _fail("deadlines", "天数须为非负整数", "day counts must be whole numbers ≥ 0", path)
    if list(rules.steps) != list(SUPERVISION_STEPS):
        raise _fail(
            "escalation.steps",
            f"须为五步法的五步、按方案顺序：{'、'.join(SUPERVISION_STEPS)}",
            f"must be the five steps in the plan's order: {list(SUPERVISION_STEPS)}",
            path,
        )
    if list(rules.repeat_thresholds) != sorted(set(rules.repeat_thresholds)) or any(
        n < 2 for n in rules.repeat_thresholds
    ):
        raise _fail(
            "escalation.repeat_thresholds", "须为递增的次数（≥2）", "must rise, each ≥ 2", path
        )
    unknown = (rules.append_origins | rules.direct_close | set(rules.origin_units)) - set(ORIGINS)
    if unknown:
        raise _fail(
            "origins", f"未知来源 {sorted(unknown)}", f"unknown origins {sorted(unknown)}", path
        )
    return rules


@cache
def _read(path: Path | None) -> CaseRules:
    if path is None:
        text = (
            resources.files("lantian.cases").joinpath("data", "case_rules.toml").read_text("utf-8")
        )
        return parse_rules(tomllib.loads(text))
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise LedgerValueError(
            f"案件规则文件 {path} 无法读取：{error}", f"cannot read {path}: {error}", "case_rules"
        ) from None
    return parse_rules(data, str(path))


def case_rules() -> CaseRules:
    """The rules in force: the district's file (``LANTIAN_CASE_RULES``) or the shipped one."""
    return _read(settings().case_rules)


def due_date(
    origin: str, start: dt.date, rules: CaseRules, calendar: WorkingCalendar
) -> tuple[dt.date, str | None]:
    """The deadline of a case of ``origin`` dispatched on ``start`` and a note when the holiday
    table does not cover the period (then Monday–Friday count, see :mod:`.calendar`)."""
    days = rules.deadlines[origin]
    day = deadline(start, days, calendar, weekdays_beyond=True)
    uncovered = sorted({y for y in range(start.year, day.year + 1) if y not in calendar.years})
    note = None
    if uncovered:
        years = "、".join(map(str, uncovered))
        note = f"节假日表未收录 {years} 年，期限按周一至周五计算（{days} 个工作日）"
    return day, note


def escalated_deadline(today: dt.date, rules: CaseRules, calendar: WorkingCalendar) -> dt.date:
    """The new deadline of a case escalated on ``today``: the rules' working days from then."""
    return deadline(today, rules.after_overdue_working_days, calendar, weekdays_beyond=True)


def responsible_unit(
    kind: str | None, registered: str | None, origin: str, rules: CaseRules
) -> str | None:
    """The unit a case goes to: the registry's ``responsible_unit`` of its source if named, else
    the rules' unit for the source's ``kind``, else the origin's unit; ``None``: the office chooses."""
    if registered and registered.strip():
        return registered.strip()
    if kind and kind in rules.units:
        return rules.units[kind]
    return rules.origin_units.get(origin)


def next_step(current: str | None, rules: CaseRules) -> str | None:
    """The step after ``current`` in the five steps (the first if none yet); ``None`` at the top."""
    if current is None:
        return rules.steps[0]
    index = rules.steps.index(current)
    return rules.steps[index + 1] if index + 1 < len(rules.steps) else None


def overdue(deadline_day: dt.date | None, status: str, today: dt.date) -> bool:
    """Whether a case is open past its deadline on ``today`` (the deadline day itself is in time)."""
    return (
        deadline_day is not None and status not in ("verifying", "closed") and today > deadline_day
    )


def escalates_on_repeat(occurrences: int, rules: CaseRules) -> bool:
    """Whether reaching ``occurrences`` reports escalates the case (a threshold of the rules)."""
    return occurrences in rules.repeat_thresholds


def handled_in_time(
    deadline_day: dt.date | None, handled_on: dt.date | None, as_of: dt.date
) -> bool | None:
    """On time (``True``), overdue (``False``) or not yet due (``None``): a case is on time when the
    unit answered (or, for a case the office closed itself, it was closed) by its deadline."""
    if deadline_day is None:
        return None
    if handled_on is not None:
        return handled_on <= deadline_day
    return False if as_of > deadline_day else None
