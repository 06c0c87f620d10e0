"""The public notice quotes the 重度污染 health advice of the HJ 633 in force on the event's day,
read from the standards' category table (issue #12 item 4: it was hard-wired to HJ 633-2012)."""

from __future__ import annotations

import datetime as dt

import pytest

from lantian.forecast.warnings import Decision, locality, notice_zh, warning_life
from lantian.standards import HEAVY_POLLUTION_LEVEL, category_table


def _advice(standard: str) -> str:
    rows = category_table(standard)
    return next(r["advice_zh"] for r in rows if int(r["level"]) == HEAVY_POLLUTION_LEVEL)


@pytest.mark.parametrize(("year", "standard"), [(2019, "HJ633-2012"), (2026, "HJ633-2026")])
def test_the_notice_quotes_the_advice_of_its_date(year, standard):
    decisions = [
        (dt.datetime(year, 12, 27), Decision(None, "2024", reason_zh="")),
        (dt.datetime(year, 12, 28), Decision("yellow", "2024", reason_zh="yellow grade")),
    ]
    issued = warning_life(decisions)[0]
    text = notice_zh("永州", issued, locality("永州"))
    assert _advice(standard) in text
    other = "HJ633-2026" if standard == "HJ633-2012" else "HJ633-2012"
    assert _advice(other) not in text
