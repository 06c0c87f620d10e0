"""Reporting months: the ledger writes a month as ``YYYY-MM`` (text), e.g. ``2019-03``.

A monthly report of month M tells the progress up to the end of M; it is due in month M+1
(方案五（二）：“每月……报送上月实施进展情况”), by the day the rules set (``report_due_day``).
"""

from __future__ import annotations

import datetime as dt

from lantian.plan.errors import LedgerValueError
from lantian.times import first_day, last_day, month_of, months_between, next_month, previous_month
from lantian.times import parse_month as _parse_month

__all__ = [
    "due_date",
    "first_day",
    "last_day",
    "month_of",
    "months_between",
    "next_month",
    "parse_month",
    "previous_month",
]


def parse_month(value: object, field: str = "month") -> str:
    """``value`` as a month ``YYYY-MM`` (:func:`lantian.times.parse_month`), or a
    :class:`LedgerValueError` naming ``field``."""
    try:
        return _parse_month(value)
    except ValueError as error:
        raise LedgerValueError(
            f"“{value}”不是有效月份（应为 YYYY-MM，如 2019-03）",
            f"{value!r} is not a month (expected YYYY-MM, e.g. 2019-03)",
            field,
        ) from error


def parse_day(value: str | dt.date | None, field: str, required: bool = True) -> dt.date | None:
    """A form's or a caller's date (``YYYY-MM-DD``, or a date as it is); empty: ``None``, or a
    :class:`LedgerValueError` naming ``field`` when it is ``required``."""
    if isinstance(value, dt.date):
        return value
    if not (value or "").strip():
        if required:
            raise LedgerValueError("必填日期", "a date is required", field)
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise LedgerValueError(
            f"“{value}”不是有效日期（YYYY-MM-DD）", f"{value!r} is not a date", field
        ) from None


def due_date(month: str, due_day: int) -> dt.date:
    """The day the report of ``month`` is due: day ``due_day`` of the next month."""
    return first_day(next_month(month)).replace(day=due_day)
