"""Deadlines in working days across the national holidays and their 调休 working days, against the
State Council's notices (the table's rows cite them; the dates below are read from the notices)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lantian.cases.calendar import CalendarNotCoveredError, deadline, national_calendar
from lantian.plan.errors import LedgerValueError
from lantian.standards.tables import table

D = dt.date
CAL = national_calendar()


@pytest.mark.parametrize(
    ("start", "days", "expected", "why"),
    [
        # 国办发明电〔2018〕15号: 国庆节 10-01…10-07, 上班 9-29 (Sun) and 10-12 (Sat)
        (D(2019, 9, 27), 1, D(2019, 9, 29), "the Sunday 9-29 is a working day"),
        (D(2019, 9, 27), 2, D(2019, 9, 30), "Monday"),
        (D(2019, 9, 27), 3, D(2019, 10, 8), "10-01…10-07 off"),
        (D(2019, 10, 8), 4, D(2019, 10, 12), "Wed–Fri, then the Saturday 10-12 works"),
        # 国办发明电〔2023〕7号: 春节 2-10…2-17, 上班 2-04 (Sun) and 2-18 (Sun)
        (D(2024, 2, 2), 1, D(2024, 2, 4), "the Sunday 2-04 works"),
        (D(2024, 2, 8), 2, D(2024, 2, 18), "2-09 works (除夕 not a holiday), then 2-18"),
        (D(2024, 2, 8), 3, D(2024, 2, 19), "Monday after"),
        # 国办发明电〔2024〕12号: 春节 1-28…2-04, 上班 1-26 (Sun) and 2-08 (Sat)
        (D(2025, 1, 24), 3, D(2025, 2, 5), "1-26 and 1-27 work, 1-28…2-04 off"),
        (D(2025, 2, 5), 3, D(2025, 2, 8), "Wed, Thu, Fri … the Saturday 2-08 is the 3rd"),
        # 国办发明电〔2019〕16号 as extended by 国办发明电〔2020〕1号: 2-01 (Sat) no longer worked
        (D(2020, 1, 23), 1, D(2020, 2, 3), "春节 to 2-02"),
        # a plain week: the start day is not counted (民法典 第二百零一条)
        (D(2021, 3, 5), 1, D(2021, 3, 8), "Friday + 1 = Monday"),
        (D(2021, 3, 5), 0, D(2021, 3, 5), "no time"),
        (D(2021, 3, 6), 5, D(2021, 3, 12), "from a Saturday: Mon–Fri"),
    ],
)
def test_deadline_across_holidays(start, days, expected, why):
    assert deadline(start, days, CAL) == expected, why


def test_years_covered_are_the_checked_notices():
    assert sorted(CAL.years) == [2019, 2020, 2021, 2022, 2023, 2024, 2025]


def test_a_year_without_its_notice_is_refused_unless_weekdays_are_asked_for():
    with pytest.raises(CalendarNotCoveredError, match="2026"):
        deadline(D(2025, 12, 30), 5, CAL)
    # 2025-12-31 (Wed) works; 2026 counted Monday–Friday: Thu 1-01, Fri 1-02, Mon 1-05, Tue 1-06
    assert deadline(D(2025, 12, 30), 5, CAL, weekdays_beyond=True) == D(2026, 1, 6)


@pytest.mark.parametrize("days", [-1, 1.5, True, "3"])
def test_the_count_must_be_a_whole_number(days):
    with pytest.raises(LedgerValueError):
        deadline(D(2021, 3, 5), days, CAL)


def test_every_adjusted_working_day_is_a_weekend_day_and_cites_its_notice():
    rows = [
        r for r in table("holidays", package="lantian.forecast") if r["kind"] == "adjusted_workday"
    ]
    assert len(rows) >= 45
    for row in rows:
        assert D.fromisoformat(row["first_day"]).weekday() >= 5, row
        assert "国办发明电" in row["source"], row


def test_no_day_is_both_a_holiday_and_a_working_day():
    assert not CAL.holidays & CAL.workdays


@given(
    start=st.dates(min_value=D(2019, 1, 1), max_value=D(2025, 11, 30)),
    days=st.integers(min_value=0, max_value=20),
)
def test_the_deadline_is_the_nth_working_day_after_the_start(start, days):
    """Invariants over the covered years: the deadline is a working day (for n > 0) and exactly n
    working days lie after the start up to and including it; one more day of time never gives an
    earlier deadline."""
    end = deadline(start, days, CAL)
    span = [start + dt.timedelta(days=k) for k in range(1, (end - start).days + 1)]
    assert sum(CAL.is_working_day(d) for d in span) == days
    if days:
        assert CAL.is_working_day(end)
    assert deadline(start, days + 1, CAL) > end
