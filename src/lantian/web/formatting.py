"""Dates and numbers as the pages print them, in Chinese (first) or English.

Time stamps are hour ends (Beijing time, the glossary's ``ts``): the hour stamped
2020-01-01 00:00 is the last hour of 31 December, which Chinese bulletins write
``2019年12月31日 24时``.
"""

from __future__ import annotations

import datetime as dt
import math

from lantian.standards import unit
from lantian.times import natural_day

ZH = "zh-CN"
EN = "en"
LANGUAGES = (ZH, EN)


def hour_end_label(ts: dt.datetime | str | None, language: str = ZH) -> str:
    """An hour-ending time stamp as people write it: ``2019年12月31日 24时`` / ``2019-12-31 24:00``."""
    if ts is None:
        return ""
    moment = dt.datetime.fromisoformat(ts) if isinstance(ts, str) else ts
    day = natural_day(moment)
    hour = moment.hour or 24
    if language == ZH:
        return f"{day.year}年{day.month}月{day.day}日 {hour}时"
    return f"{day.isoformat()} {hour:02d}:00"


def day_label(day: dt.date | str | None, language: str = ZH) -> str:
    """A natural day: ``2019年12月31日`` / ``2019-12-31``."""
    if day is None:
        return ""
    value = dt.date.fromisoformat(day[:10]) if isinstance(day, str) else day
    if language == ZH:
        return f"{value.year}年{value.month}月{value.day}日"
    return value.isoformat()


def month_label(year: int, month: int, language: str = ZH) -> str:
    """``2019年12月`` / ``2019-12``."""
    return f"{year}年{month}月" if language == ZH else f"{year}-{month:02d}"


def concentration(value: float | None, pollutant: str) -> str:
    """A concentration at its reporting precision: integer µg/m³, CO one decimal mg/m³."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.1f}" if unit(pollutant) == "mg/m³" else f"{value:.0f}"


def number(value: float | None, decimals: int = 0, suffix: str = "") -> str:
    """A number with fixed decimals, ``—`` when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{decimals}f}{suffix}"
