"""``lantian.times``: the one module of Lantian's time conventions, and the places that used to
write them again now agreeing with it (issue #12 item 3)."""

from __future__ import annotations

import calendar
import datetime as dt
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lantian import times
from lantian.plan import months as ledger_months
from lantian.web.formatting import hour_end_label

days = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31))
months = days.map(times.month_of)


def test_natural_day_is_the_hours_ending_0100_to_the_next_midnight():
    """Day D is the hours stamped D 01:00 … D+1 00:00 (the README's convention, CNEMC's stamps)."""
    first, last = times.day_hours(dt.date(2019, 12, 31))
    assert (first, last) == (dt.datetime(2019, 12, 31, 1), dt.datetime(2020, 1, 1, 0))
    assert times.natural_day(dt.datetime(2020, 1, 1, 0)) == dt.date(2019, 12, 31)
    assert times.natural_day(dt.datetime(2020, 1, 1, 1)) == dt.date(2020, 1, 1)
    assert hour_end_label(dt.datetime(2020, 1, 1, 0)) == "2019年12月31日 24时"


@given(days, st.integers(0, 23))
def test_every_hour_of_a_day_maps_back_to_it(day, hour):
    first, last = times.day_hours(day)
    stamp = first + dt.timedelta(hours=hour)
    assert first <= stamp <= last
    assert times.natural_day(stamp) == day
    column = times.natural_days(np.array([stamp], dtype="datetime64[s]"))
    assert column[0] == np.datetime64(day, "D")


@given(days, st.integers(1, 800))
def test_hour_grid_index_zero_ends_at_0100_and_whole_days_end_at_midnight(day, n_days):
    stamps = times.hour_ends(day, 24 * n_days)
    assert stamps[0].astype(dt.datetime) == times.day_hours(day)[0]
    assert stamps[-1].astype(dt.datetime) == times.day_end(day + dt.timedelta(days=n_days - 1))
    assert set(times.natural_days(stamps[::24]).astype(dt.date)) == {
        day + dt.timedelta(days=k) for k in range(n_days)
    }


@given(months)
def test_month_arithmetic_agrees_with_the_calendar(month):
    first, last = times.month_days(month)
    assert last.day == calendar.monthrange(first.year, first.month)[1]
    assert times.first_day(times.next_month(month)) == last + dt.timedelta(days=1)
    assert times.previous_month(times.next_month(month)) == month
    assert times.months_between(month, times.next_month(month)) == [month, times.next_month(month)]
    hours = times.hour_ends(first, 24 * times.days_between(first, last))
    assert set(times.month_of_stamps(hours)) == {month}


@pytest.mark.parametrize("text", ["2019-03", "2019-3", "2019/03", "2019.3", "2019年3月"])
def test_month_spellings(text):
    assert times.parse_month(text) == "2019-03"
    assert ledger_months.parse_month(text) == "2019-03"


@pytest.mark.parametrize("text", ["2019-13", "2019-00", "19-03", "March"])
def test_not_a_month(text):
    with pytest.raises(ValueError, match=text):
        times.parse_month(text)


def test_beijing_is_utc_plus_8_and_naive_stamps_are_beijing(monkeypatch):
    monkeypatch.delenv("LANTIAN_NOW", raising=False)  # the real clock, even under a stopped one
    utc = dt.datetime(2019, 12, 31, 16, 30, tzinfo=dt.UTC)
    assert times.to_beijing(utc) == dt.datetime(2020, 1, 1, 0, 30)
    assert times.beijing_date(utc) == dt.date(2020, 1, 1)
    assert times.to_beijing(dt.datetime(2020, 1, 1, 0, 30)) == dt.datetime(2020, 1, 1, 0, 30)
    assert times.epoch_seconds(utc) == int(utc.timestamp()) + 8 * 3600
    assert abs(times.beijing_now() - times.to_beijing(dt.datetime.now(dt.UTC))) < dt.timedelta(
        seconds=5
    )


@pytest.mark.parametrize(
    ("setting", "beijing", "utc"),
    [  # Beijing's 00:05 of New Year is 16:05 UTC of the day before: the dates differ
        ("2027-01-01T00:05:00", dt.datetime(2027, 1, 1, 0, 5), dt.datetime(2026, 12, 31, 16, 5)),
        (" 2027-01-01 00:05 ", dt.datetime(2027, 1, 1, 0, 5), dt.datetime(2026, 12, 31, 16, 5)),
        (
            "2026-12-31T16:05:00+00:00",
            dt.datetime(2027, 1, 1, 0, 5),
            dt.datetime(2026, 12, 31, 16, 5),
        ),
    ],
)
def test_the_setting_lantian_now_stops_the_one_clock_at_a_beijing_time(
    monkeypatch, setting, beijing, utc
):
    monkeypatch.setenv("LANTIAN_NOW", setting)
    assert times.beijing_now() == times.beijing_now(precise=True) == beijing
    assert times.beijing_today() == beijing.date()
    assert times.utc_now() == utc.replace(tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "setting", ["tomorrow", "2027-13-01T00:00", "01/01/2027 00:05", "2027-01-01T25:00"]
)
def test_a_malformed_lantian_now_is_refused_naming_the_setting(monkeypatch, setting):
    monkeypatch.setenv("LANTIAN_NOW", setting)
    with pytest.raises(ValueError, match=f"LANTIAN_NOW='{setting}' is not a Beijing time"):
        times.beijing_now()


def test_the_stopped_clock_reaches_the_processes_a_test_starts():
    """A test that starts a server or a command sets ``LANTIAN_NOW`` once; its children inherit it
    and read the same stopped clock (a malformed setting stops the child with its message)."""
    import os
    import subprocess
    import sys

    code = "from lantian import times; print(times.beijing_now(), times.beijing_today())"
    env = {**os.environ, "LANTIAN_NOW": "2027-01-01T00:05:00"}
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert run.stdout.strip() == "2027-01-01 00:05:00 2027-01-01"
    env["LANTIAN_NOW"] = "midnight"
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert run.returncode == 1
    assert "ValueError: LANTIAN_NOW='midnight' is not a Beijing time" in run.stderr


def _lantian(tmp_path, setting: str, *args: str):
    """``lantian --home HOME ARGS`` started with ``LANTIAN_NOW=setting`` (a real process)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "LANTIAN_NOW": setting, "COLUMNS": "400"}
    env.pop("LANTIAN_DATABASE_URL", None)
    command = [sys.executable, "-m", "lantian", "--home", str(tmp_path / "home"), *args]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.parametrize("command", [["serve"], ["receive"], ["stations"]])
def test_a_malformed_lantian_now_stops_the_command_line_at_once(tmp_path, command):
    """Checked once when the command starts (exit 2, naming the setting), not at the first clock
    read (where ``receive`` raised at every commit round)."""
    process = _lantian(tmp_path, "midnight", *command)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 2, (out, err)
    assert "LANTIAN_NOW='midnight' is not a Beijing time" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", [["serve", "--workers", "1"], ["receive"]])
def test_serve_and_receive_warn_on_a_stopped_clock(tmp_path, command):
    """A server on the stopped clock (sessions never expire, locked names stay locked) says so in
    both languages as it starts; the test stops it once it has."""
    import threading

    from tests.browsing import free_port

    process = _lantian(tmp_path, "2027-01-01T00:05:00", *command, "--port", str(free_port()))
    lines: list[str] = []
    warned = threading.Event()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            if "WARNING: LANTIAN_NOW" in line:
                warned.set()
        warned.set()  # it ended without the warning

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        warned.wait(120)
    finally:
        process.terminate()
        process.wait(120)
        reader.join(30)
    warning = [line for line in lines if "WARNING: LANTIAN_NOW" in line]
    assert warning, lines
    assert "警告：LANTIAN_NOW 已设置，时钟停在 2027-01-01 00:05:00" in warning[0]
    assert "never set it on a server" in warning[0]


def test_the_ledger_s_current_month_is_beijing_s_on_a_utc_server(monkeypatch):
    """At 00:05 on New Year's Day in Beijing a UTC server's ``date.today()`` is still 31 December:
    the ledger listed December as the newest month and defaulted to November's reports (proved
    under libfaketime); read from the one clock, January is listed and December's reports are due."""
    from types import SimpleNamespace

    from lantian.web.ledger.routing import default_month, reporting_months

    monkeypatch.setenv("LANTIAN_NOW", "2027-01-01T00:05")
    plan = SimpleNamespace(first_month="2026-10", end=dt.date(2027, 12, 31))
    assert reporting_months(plan) == ["2027-01", "2026-12", "2026-11", "2026-10"]
    assert default_month(plan) == "2026-12"


def test_no_module_reads_a_clock_of_its_own():
    """``lantian.times`` is the one clock (and the one place ``LANTIAN_NOW`` is honoured): a
    ``date.today()`` or ``datetime.now()`` elsewhere is a second clock, a day behind Beijing on a
    UTC server until 08:00 and deaf to the setting. (Migrations stamp rows once, at upgrade.)"""
    from pathlib import Path

    source = Path(times.__file__).parent
    found = [
        f"{path.relative_to(source)}:{number}: {line.strip()}"
        for path in sorted(source.rglob("*.py"))
        if path.name != "times.py" and "migrations" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\b(date\.today|datetime\.(now|utcnow|today))\(|\btime\.time\(", line)
    ]
    assert found == []


def test_a_forecast_issue_lines_up_with_the_data_it_used(hunan_store, tmp_path):
    """The forecast issued at 00:00 of D uses the natural days up to D−1, whose last hour is stamped
    D 00:00 — the issue time; it is stored on the store's clock (Beijing time, as the store stamps
    its imports), not in UTC as it was."""
    from lantian.forecast.service import city_forecast, last_observed_day
    from lantian.forecast.storage import read_forecasts

    result = city_forecast(hunan_store, "永州", home=tmp_path)
    last_day = last_observed_day(hunan_store, "永州")
    assert result["issue_time"] == times.day_end(last_day)
    assert result["recent"][-1]["day"] == times.natural_day(result["issue_time"])
    with hunan_store.connect() as connection:
        (last_ts,) = connection.execute("SELECT max(ts) FROM measurements").fetchone()
        (imported_at,) = connection.execute("SELECT max(imported_at) FROM imports").fetchone()
    assert times.natural_day(last_ts) == last_day  # the data end inside the day before the issue
    assert last_ts <= result["issue_time"] < last_ts + dt.timedelta(days=1)
    stored = read_forecasts(tmp_path, "永州").to_pylist()
    assert {row["issue_time"] for row in stored} == {result["issue_time"]}
    created = max(row["created_at"] for row in stored)
    assert dt.timedelta(0) <= created - imported_at < dt.timedelta(hours=1)
    assert abs(created - times.beijing_now()) < dt.timedelta(minutes=5)


@settings(deadline=None)  # under CI's load a draw may take longer than hypothesis' 200 ms
@given(
    st.lists(
        st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1)),
        min_size=1,
        max_size=50,
    )
)
def test_the_fast_month_of_stamps_agrees_with_the_calendar_per_row(stamps):
    """The month lookup (once per hour of the span; was ``store.staging.natural_months``, while
    ``month_of_stamps`` converted every row through the calendar) gives the month of each row's
    natural day, also for stamps between whole hours and at midnight of a month's first day."""
    ts = np.asarray(stamps, dtype="datetime64[s]")
    per_row = [times.month_of(times.natural_day(s.replace(microsecond=0))) for s in stamps]
    assert list(times.month_of_stamps(ts)) == per_row
    numbers = times.natural_months(times.hour_numbers(ts))
    assert list(times.month_labels(numbers)) == per_row
    hourly = times.hour_numbers(ts).min() + np.arange(24 * 62)  # a dense column: the lookup
    dense = times.natural_months(hourly)
    assert list(dense) == list(
        (hourly - 1).astype("datetime64[h]").astype("datetime64[M]").astype(int)
    )
    assert list(times.month_first_days(numbers)) == [
        (times.first_day(m) - dt.date(1970, 1, 1)).days for m in per_row
    ]


def test_the_store_stages_by_the_times_module_month():
    """The store's staging and its month labels use ``lantian.times`` (one implementation)."""
    from lantian.store import measurements, staging

    assert staging.natural_months is times.natural_months
    assert measurements.month_of_stamps is times.month_of_stamps
    edge = np.asarray(["2020-01-01T00:00", "2020-01-01T01:00"], dtype="datetime64[s]")
    assert list(times.month_of_stamps(edge)) == ["2019-12", "2020-01"]
