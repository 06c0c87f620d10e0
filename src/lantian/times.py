"""Lantian's time conventions, in one place: Beijing time, hour-ending stamps, natural days, months.

* **Beijing time** (北京时间, UTC+8, no daylight saving): every stamp Lantian stores or prints is
  naive Beijing time, as CNEMC publishes its hourly data. :func:`beijing_now` and
  :func:`beijing_today` read the clock; :func:`to_beijing` converts an aware moment.
* **The clock** is read here and nowhere else: :func:`utc_now` (aware; what the ledger stamps its
  rows with), :func:`beijing_now`, :func:`beijing_today`. For tests and demos the setting
  ``LANTIAN_NOW`` (a Beijing time, ``2027-01-01T00:05:00``) stops the clock at that moment in every
  Lantian process that inherits it, so a test and the server it starts agree on "today" and
  "the last hour" whatever the real time is.
* **Hour-ending stamps** (the glossary's ``ts``): the hour stamped ``D 01:00`` holds the
  measurements of 00:00–01:00 of D, as CNEMC labels its hourly data.
* **The natural day** (自然日; GB 3095-2026 §3.10 and HJ 633-2026 §5.2.1 use the term without
  defining it; HJ 633-2012 §5.1.2 reports "当日零点前 24 小时"): day D is the hours stamped
  ``D 01:00`` … ``D+1 00:00`` (docs/primary-text-readings.md, item 7 of its findings).
  :func:`natural_day` maps a stamp to its day, :func:`day_hours` a day to its first and last stamp;
  :func:`hour_ends` lays whole days out as an hour grid (index 0 is the hour ending 01:00 of the
  first day), the layout of :mod:`lantian.standards.averages`.
* **Months** are written ``YYYY-MM`` (the ledger's reporting month, ``--month``); a month's days are
  its natural days, so its hours run from ``M-01 01:00`` to ``(M+1)-01 00:00``.

Pure functions over ``datetime``/NumPy; nothing here reads a file or a store (the clock reads
only its setting).
"""

from __future__ import annotations

import calendar
import datetime as dt
import os
import re

import numpy as np
import numpy.typing as npt

BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
"""Beijing time, UTC+8 (no daylight saving time)."""
BEIJING_OFFSET = np.timedelta64(8, "h")
"""What to add to a UTC stamp to get Beijing time (whole columns)."""
HOUR = np.timedelta64(1, "h")
ONE_HOUR = dt.timedelta(hours=1)
ONE_DAY = dt.timedelta(days=1)

_MONTH = re.compile(r"^(\d{4})\s*[-/年.]\s*(\d{1,2})\s*月?$")


NOW_SETTING = "LANTIAN_NOW"
"""The setting that stops the clock at a Beijing time, for tests and demos (never in production)."""


# ---------------------------------------------------------------------- the clock
def utc_now() -> dt.datetime:
    """Now, aware UTC: the real clock, or the moment the setting ``LANTIAN_NOW`` names.

    ``LANTIAN_NOW`` is a Beijing time in ISO form (``2027-01-01T00:05:00``, or ``2027-01-01
    00:05``; an explicit offset is honoured) at which the clock stands still, for tests and demos
    that must give the same answer at any time of day. A malformed value raises ``ValueError``
    naming the setting and the value: a typo must not silently run on the real clock.
    """
    return stopped_clock() or dt.datetime.now(dt.UTC)


def stopped_clock() -> dt.datetime | None:
    """The moment (aware UTC) the setting ``LANTIAN_NOW`` stops the clock at, ``None`` if it is
    unset; a malformed value raises ``ValueError`` naming the setting. The command line checks it
    once at its start (:mod:`lantian.cli.main`), and ``serve``/``receive`` warn when it is set."""
    setting = os.environ.get(NOW_SETTING, "").strip()
    if not setting:
        return None
    try:
        moment = dt.datetime.fromisoformat(setting)
    except ValueError:
        raise ValueError(
            f"{NOW_SETTING}={setting!r} is not a Beijing time "
            "(expected YYYY-MM-DDTHH:MM[:SS], e.g. 2027-01-01T00:05:00; unset it for the real clock)"
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)).astimezone(dt.UTC)


def beijing_now(precise: bool = False) -> dt.datetime:
    """The current Beijing time, naive, to the second (how the store stamps imports and issues);
    ``precise``: to the microsecond (how the raw log stamps what it received)."""
    now = to_beijing(utc_now())
    return now if precise else now.replace(microsecond=0)


def beijing_today() -> dt.date:
    """Today's date in Beijing (a server on UTC is a day behind from 00:00 to 08:00 Beijing)."""
    return beijing_now().date()


# ---------------------------------------------------------------------- Beijing time


def to_beijing(moment: dt.datetime) -> dt.datetime:
    """``moment`` as naive Beijing time: an aware moment is converted, a naive one is taken as
    Beijing time already."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(BEIJING).replace(tzinfo=None)


def beijing_date(moment: dt.datetime) -> dt.date:
    """The calendar date in Beijing of ``moment`` (aware; naive is taken as Beijing time)."""
    return to_beijing(moment).date()


def epoch_seconds(moment: dt.datetime) -> int:
    """Seconds from 1970-01-01 00:00 to the naive (Beijing) ``moment``, counted on its own clock."""
    return (to_beijing(moment) - dt.datetime(1970, 1, 1)) // dt.timedelta(seconds=1)


# ---------------------------------------------------------------------- hours and natural days
def natural_day(ts: dt.datetime) -> dt.date:
    """The natural day of the hour-ending stamp ``ts``: ``2020-01-01 00:00`` → 2019-12-31."""
    return (ts - ONE_HOUR).date()


def natural_days(ts: npt.ArrayLike) -> npt.NDArray[np.datetime64]:
    """:func:`natural_day` over a whole column of hour-ending stamps (``datetime64[D]``)."""
    return (np.asarray(ts).astype("datetime64[s]") - HOUR).astype("datetime64[D]")


def day_hours(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The first and last hour-ending stamp of natural ``day``: ``D 01:00`` and ``D+1 00:00``."""
    start = dt.datetime.combine(day, dt.time())
    return start + ONE_HOUR, start + ONE_DAY


def day_end(day: dt.date) -> dt.datetime:
    """The stamp that closes natural ``day`` (``D+1 00:00``): a forecast issued then has all of D."""
    return day_hours(day)[1]


def hour_ends(first_day: dt.date, n_hours: int) -> npt.NDArray[np.datetime64]:
    """The hour-ending stamps of an hour grid that starts with natural ``first_day``
    (``datetime64[s]``; index 0 is ``first_day 01:00``)."""
    return (np.datetime64(first_day, "h") + HOUR * np.arange(1, n_hours + 1)).astype(
        "datetime64[s]"
    )


def days_between(first_day: dt.date, last_day: dt.date) -> int:
    """How many natural days ``first_day`` … ``last_day`` holds (both included)."""
    return (last_day - first_day).days + 1


def year_days(year: int) -> tuple[dt.date, dt.date]:
    """The first and last natural day of ``year``."""
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


# ---------------------------------------------------------------------- months
def parse_month(value: object) -> str:
    """``value`` as a month ``YYYY-MM``: a date, ``YYYY-MM``, ``YYYY/MM``, ``YYYY.M`` or ``YYYY年M月``.

    Raises ``ValueError`` naming the value when it is not a month.
    """
    if isinstance(value, dt.date):
        return month_of(value)
    match = _MONTH.match(str(value).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"{value!r} is not a month (expected YYYY-MM, e.g. 2019-03)")
    return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}"


def month_of(day: dt.date) -> str:
    """The month ``YYYY-MM`` that contains ``day``."""
    return f"{day.year:04d}-{day.month:02d}"


def first_day(month: str) -> dt.date:
    """The first day of ``month`` (``YYYY-MM``)."""
    return dt.date(int(month[:4]), int(month[5:7]), 1)


def last_day(month: str) -> dt.date:
    """The last day of ``month`` (``YYYY-MM``)."""
    year, number = int(month[:4]), int(month[5:7])
    return dt.date(year, number, calendar.monthrange(year, number)[1])


def month_days(month: str) -> tuple[dt.date, dt.date]:
    """The first and last natural day of ``month`` (``YYYY-MM``)."""
    return first_day(month), last_day(month)


def next_month(month: str) -> str:
    """The month after ``month``."""
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def previous_month(month: str) -> str:
    """The month before ``month``."""
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - (number == 1):04d}-{(number - 2) % 12 + 1:02d}"


def months_between(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last``, both included (empty when ``last`` < ``first``)."""
    months, month = [], first
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def hour_numbers(ts: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Hour number (whole hours since 1970-01-01 00:00, on the stamps' own clock) of each stamp:
    the hour-ending stamp ``D 01:00`` is the hour number *h* that ends at ``h:00``."""
    stamps = np.asarray(ts)
    if stamps.dtype == np.dtype("datetime64[s]"):  # the stored unit: integer division, no copy
        seconds: npt.NDArray[np.int64] = stamps.view(np.int64) // 3600
        return seconds
    hours: npt.NDArray[np.int64] = stamps.astype("datetime64[h]").view(np.int64)
    return hours


def natural_months(hours: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Month number (months since 1970-01) of the natural day of each hour-ending hour number.

    Hour number *h* ends at ``h:00``; the hour ending ``D+1 00:00`` belongs to day D. Computed once
    per hour of the span (a calendar conversion per row would be slow), then looked up; a column
    whose span is much longer than itself is converted row by row instead.
    """
    if not len(hours):
        return np.empty(0, dtype=np.int64)
    first, last = int(hours.min()), int(hours.max())
    if last - first > 4 * len(hours):  # a few stamps far apart: convert each (a short column)
        direct = (hours - 1).astype("datetime64[h]").astype("datetime64[M]").astype(np.int64)
        return direct
    span = np.arange(first - 1, last, dtype=np.int64)
    table = span.astype("datetime64[h]").astype("datetime64[M]").astype(np.int64)
    months: npt.NDArray[np.int64] = table[hours - first]
    return months


def month_labels(months: npt.NDArray[np.int64]) -> npt.NDArray[np.str_]:
    """``YYYY-MM`` of each month number (months since 1970-01), one label made per month."""
    if not len(months):
        return np.empty(0, dtype="<U7")
    first = int(months.min())
    labels = np.arange(first, int(months.max()) + 1).astype("datetime64[M]").astype("<U7")
    picked: npt.NDArray[np.str_] = labels[months - first]
    return picked


def month_first_days(months: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Day number (days since 1970-01-01) of the first day of each month number."""
    if not len(months):
        return np.empty(0, dtype=np.int64)
    first = int(months.min())
    table = np.arange(first, int(months.max()) + 1).astype("datetime64[M]").astype("datetime64[D]")
    days: npt.NDArray[np.int64] = table.astype(np.int64)[months - first]
    return days


def month_of_stamps(ts: npt.ArrayLike) -> npt.NDArray[np.str_]:
    """``YYYY-MM`` of the natural day of each hour-ending stamp (whole columns): the labels of
    :func:`natural_months` of the stamps' :func:`hour_numbers`."""
    return month_labels(natural_months(hour_numbers(ts)))
