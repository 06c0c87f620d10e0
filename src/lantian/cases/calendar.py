"""Working days (工作日) and deadlines counted in them, with the national holiday calendar as data.

The calendar is the table ``holidays.csv`` of :mod:`lantian.forecast` (one holiday table for the
whole of Lantian), each row citing the 国务院办公厅 notice of its year (``国办发明电〔YYYY〕N号``):
kind ``public_holiday`` (the days off, weekends inside them included) and kind
``adjusted_workday`` (调休上班: a Saturday or Sunday that is a working day). A day is a working day
when it is an adjusted working day, or a Monday–Friday that is not a public holiday.

The table covers the years whose notices we have checked (:attr:`WorkingCalendar.years`; see
``docs/cases.md``). A deadline that runs into a year it does not cover is refused
(:class:`CalendarNotCoveredError`) unless the caller asks for ``weekdays_beyond=True``, which counts
Monday–Friday there — the service does so and says it in the case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from lantian.plan.errors import LedgerValueError
from lantian.standards.tables import table


class CalendarNotCoveredError(LedgerValueError):
    """The holiday table has no notice for a year the count runs into."""


@dataclass(frozen=True)
class WorkingCalendar:
    """Public holidays, adjusted working days (调休上班) and the years the notices cover."""

    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]
    years: frozenset[int]

    def covers(self, day: dt.date) -> bool:
        return day.year in self.years

    def is_working_day(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day (in a covered year; else Monday–Friday)."""
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


def _days(first: str, last: str) -> list[dt.date]:
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


@cache
def national_calendar() -> WorkingCalendar:
    """The calendar of the State Council's notices (``holidays.csv`` of :mod:`lantian.forecast`).

    A year is covered when the table has its 元旦, 春节 and 国庆节 holidays (a notice is read whole
    or not at all)."""
    rows = table("holidays", package="lantian.forecast")
    holidays = [
        d
        for r in rows
        if r["kind"] == "public_holiday"
        for d in _days(r["first_day"], r["last_day"])
    ]
    workdays = [
        d
        for r in rows
        if r["kind"] == "adjusted_workday"
        for d in _days(r["first_day"], r["last_day"])
    ]
    named: dict[int, set[str]] = {}
    for r in rows:
        if r["kind"] == "public_holiday":
            named.setdefault(int(r["last_day"][:4]), set()).update(r["name_zh"].split("、"))
    years = {y for y, names in named.items() if {"元旦", "春节"} <= names and "国庆节" in names}
    return WorkingCalendar(frozenset(holidays), frozenset(workdays), frozenset(years))


def deadline(
    start: dt.date, working_days: int, calendar: WorkingCalendar, *, weekdays_beyond: bool = False
) -> dt.date:
    """The day ``working_days`` working days after ``start`` [days ≥ 0]: the deadline of a time
    limit of that many working days set on ``start``.

    The day the limit is set is not counted (民法典 第二百零一条: “按照年、月、日计算期间的，开始的当日
    不计入，自下一日开始计算”); the count runs over working days of ``calendar`` only, so a limit set
    before National Day or the Spring Festival skips the holiday and includes its 调休 Saturdays.
    ``working_days = 0`` gives ``start``. A year ``calendar`` does not cover raises
    :class:`CalendarNotCoveredError` unless ``weekdays_beyond`` (then Monday–Friday count there).
    """
    if isinstance(working_days, bool) or not isinstance(working_days, int) or working_days < 0:
        raise LedgerValueError(
            "工作日数应为非负整数", "working_days must be a whole number ≥ 0", "working_days"
        )
    day, left = start, working_days
    while left:
        day += dt.timedelta(days=1)
        if not calendar.covers(day) and not weekdays_beyond:
            raise CalendarNotCoveredError(
                f"节假日表未收录 {day.year} 年的国务院办公厅通知，无法按工作日计算期限"
                f"（已收录：{'、'.join(str(y) for y in sorted(calendar.years))}）",
                f"the holiday table has no notice for {day.year} "
                f"(covered: {', '.join(str(y) for y in sorted(calendar.years))})",
                "deadline",
            )
        left -= calendar.is_working_day(day)
    return day
