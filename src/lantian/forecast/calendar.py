"""The calendar of a target day as the forecast sees it: weekday, public holidays, fireworks window.

Holidays are data (``tables/holidays.csv``, each row citing the State Council's notice): kind
``public_holiday`` (the days off of 元旦, 春节, 清明, 劳动节, 端午, 中秋, 国庆) and kind ``fireworks``
(除夕 to 元宵, when fireworks are set off where permitted; the day after its first day is 正月初一).
A day of a year the table does not cover gets NaN, not 0: "no holiday known" is not "no holiday".
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from lantian.forecast.tables import rows

FloatArray = npt.NDArray[np.float64]

SPRING_FESTIVAL_SPAN = (-20, 40)
"""Days before and after 正月初一 over which ``spring_festival_day`` counts; NaN outside."""


def _ranges(kind: str) -> tuple[npt.NDArray[np.datetime64], npt.NDArray[np.datetime64]]:
    found = rows("holidays", kind=kind)
    first = np.asarray([r["first_day"] for r in found], dtype="datetime64[D]")
    last = np.asarray([r["last_day"] for r in found], dtype="datetime64[D]")
    return first, last


def _years(days: npt.NDArray[np.datetime64]) -> npt.NDArray[np.int64]:
    return days.astype("datetime64[Y]").astype(np.int64) + 1970


def _flag(days: npt.NDArray[np.datetime64], kind: str) -> FloatArray:
    """1 on a day inside a range of ``kind``, 0 outside, NaN in a year without such rows."""
    first, last = _ranges(kind)
    inside = ((days[:, None] >= first) & (days[:, None] <= last)).any(axis=1)
    covered = np.isin(_years(days), np.unique(_years(last)))
    return np.where(covered, inside.astype(np.float64), np.nan)


def spring_festival_day(days: npt.ArrayLike) -> FloatArray:
    """Days from 正月初一 of the day's own season (−20 … 40), NaN outside or where unknown."""
    d = np.asarray(days, dtype="datetime64[D]")
    new_year = _ranges("fireworks")[0] + np.timedelta64(1, "D")
    offsets = (d[:, None] - new_year).astype(np.float64)
    low, high = SPRING_FESTIVAL_SPAN
    inside = (offsets >= low) & (offsets <= high)  # seasons lie ~a year apart: one at most
    return np.where(inside.any(axis=1), np.where(inside, offsets, 0.0).sum(axis=1), np.nan)


def calendar(days: npt.ArrayLike) -> dict[str, FloatArray]:
    """``weekday`` (0 = Monday), ``holiday``, ``fireworks`` (0/1/NaN), ``spring_festival_day``."""
    d = np.asarray(days, dtype="datetime64[D]")
    return {
        "weekday": ((d.astype(np.int64) + 3) % 7).astype(np.float64),  # 1970-01-01: a Thursday
        "holiday": _flag(d, "public_holiday"),
        "fireworks": _flag(d, "fireworks"),
        "spring_festival_day": spring_festival_day(d),
    }
