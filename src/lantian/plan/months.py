"""Reporting months: the ledger writes a month as ``YYYY-MM`` (text), e.g. ``2019-03``.

A monthly report of month M tells the progress up to the end of M; it is due in month M+1
(方案五（二）：“每月……报送上月实施进展情况”), by the day the rules set (``report_due_day``).
"""

from __future__ import annotations

import datetime as dt
import re

from lantian.plan.errors import LedgerValueError

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(value: object, field: str = "month") -> str:
    """``value`` as a month ``YYYY-MM`` (also accepts a date, ``YYYY/MM`` and ``YYYY年M月``)."""
    if isinstance(value, dt.date):
        return f"{value.year:04d}-{value.month:02d}"
    text = str(value).strip()
    match = re.match(r"^(\d{4})\s*[-/年.]\s*(\d{1,2})\s*月?$", text)
    if match and 1 <= int(match.group(2)) <= 12:
        text = f"{int(match.group(1)):04d}-{int(match.group(2)):02d}"
    if not _MONTH.match(text):
        raise LedgerValueError(
            f"“{value}”不是有效月份（应为 YYYY-MM，如 2019-03）",
            f"{value!r} is not a month (expected YYYY-MM, e.g. 2019-03)",
            field,
        )
    return text


def month_of(day: dt.date) -> str:
    """The month ``YYYY-MM`` that contains ``day``."""
    return f"{day.year:04d}-{day.month:02d}"


def first_day(month: str) -> dt.date:
    """The first day of ``month``."""
    return dt.date(int(month[:4]), int(month[5:7]), 1)


def next_month(month: str) -> str:
    """The month after ``month``."""
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def previous_month(month: str) -> str:
    """The month before ``month``."""
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - (number == 1):04d}-{(number - 2) % 12 + 1:02d}"


def last_day(month: str) -> dt.date:
    """The last day of ``month``."""
    return first_day(next_month(month)) - dt.timedelta(days=1)


def months_between(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last``, both included (empty when ``last`` < ``first``)."""
    months, month = [], first
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def due_date(month: str, due_day: int) -> dt.date:
    """The day the report of ``month`` is due: day ``due_day`` of the next month."""
    return first_day(next_month(month)).replace(day=due_day)
