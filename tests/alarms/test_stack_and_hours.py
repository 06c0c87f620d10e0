"""The stack rule (CEMS hours against the enterprise's permitted limits) and the off-hours rule
(dust activity outside a site's registered working hours) at their boundaries, on constructed
minute series (simulated, not measured); and both facts read from the source registry."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from lantian.alarms.evaluate import DeviceFacts, alarms, inside_hours
from lantian.alarms.rules import RuleFileError, load_rules
from lantian.alarms.scan import permit_limits, working_minutes
from lantian.sources.factors import format_permit_limits, parse_permit_limits
from tests.alarms.minutes import DAY, hours, minute_of, minutes, series

END = minute_of(DAY + dt.timedelta(days=1))
CEMS = DeviceFacts(
    source_kind="enterprise",
    permit_limits={
        "SO2": (100.0, "mg/m3", "GB 13223-2011 表1"),
        "NOx": (100.0, "mg/m3", "GB 13223-2011 表1"),
    },
)
SITE = DeviceFacts(source_kind="site", working_hours=(6 * 60, 22 * 60))


def rules(tmp_path, use: str):
    path = tmp_path / "district.toml"
    path.write_text(f"use = [{use}]\n", encoding="utf-8")
    return load_rules(path)


@pytest.mark.parametrize(
    ("so2_ug", "alarmed"), [(100_000.0, False), (100_001.0, True), (99_000.0, False)]
)
def test_stack_hour_above_the_permitted_limit_is_chaobiao(tmp_path, so2_ug, alarmed):
    """SO2 arrives in the feed in µg/m³ (the glossary's unit), the permit says 100 mg/m³:
    100,000 µg/m³ is within it, 100,001 above — and any hour above is 超标 at once."""
    found = alarms(
        rules(tmp_path, '"stack"'), minutes(series("C1", "SO2", hours(so2_ug))), END, {"C1": CEMS}
    )
    assert found.num_rows == int(alarmed)
    if alarmed:
        row = found.to_pylist()[0]
        assert (row["level"], row["pollutant"], row["limit"]) == ("超标", "SO2", 100_000.0)
        assert "GB 13223-2011 表1" in row["citation"]
        assert "排污许可管理条例" in row["citation"]


def test_stack_judges_each_factor_by_its_own_limit_and_skips_unlimited(tmp_path):
    """NOx is stored in mg/m³ (HJ 212 factor table), so 100 is within and 101 above; a factor
    without a permitted limit (smoke dust here) and a device without a permit are not judged."""
    found = alarms(
        rules(tmp_path, '"stack"'),
        minutes(
            series("C1", "NOx", hours(100.0, 101.0)),
            series("C1", "smoke_dust", hours(500.0)),
            series("C2", "NOx", hours(900.0)),
        ),
        END,
        {"C1": CEMS, "C2": DeviceFacts(source_kind="enterprise")},
    )
    assert [(r["mn"], r["pollutant"], r["ts"].hour) for r in found.to_pylist()] == [
        ("C1", "NOx", 1)
    ]


def test_stack_hour_needs_45_minutes(tmp_path):
    found = alarms(
        rules(tmp_path, '"stack"'),
        minutes(series("C1", "NOx", hours(500.0, minutes_per_hour=44))),
        END,
        {"C1": CEMS},
    )
    assert found.num_rows == 0


def off_hours_day(value_at: dict[int, float]) -> np.ndarray:
    """A day of minutes at 20 µg/m³ except the quarter-hours given (index: quarter of the day)."""
    values = np.full(1440, 20.0)
    for quarter, value in value_at.items():
        values[quarter * 15 : quarter * 15 + 15] = value
    return values


@pytest.mark.parametrize(
    ("quarter", "value", "alarmed"),
    [
        (88, 151.0, True),  # 22:00–22:14: the first quarter after the 06:00–22:00 hours
        (87, 500.0, False),  # 21:45–21:59: inside the hours
        (23, 151.0, True),  # 05:45–05:59: the last quarter before they open
        (24, 500.0, False),  # 06:00–06:14: open
        (0, 150.0, False),  # 00:00–00:14 at the limit: not above it
        (0, 150.5, True),
    ],
)
def test_off_hours_boundaries(tmp_path, quarter, value, alarmed):
    found = alarms(
        rules(tmp_path, '"off-hours"'),
        minutes(series("S1", "PM10", off_hours_day({quarter: value}))),
        END,
        {"S1": SITE},
    )
    assert found.num_rows == int(alarmed)
    if alarmed:
        assert found.column("ts").to_pylist() == [DAY + dt.timedelta(minutes=15 * quarter)]


def test_off_hours_past_midnight_and_unknown_hours(tmp_path):
    """Hours 20:00–04:00 (a night shift): 02:00 is inside, 12:00 outside; a site without
    registered hours is not judged."""
    night = DeviceFacts(source_kind="site", working_hours=(20 * 60, 4 * 60))
    found = alarms(
        rules(tmp_path, '"off-hours"'),
        minutes(
            series("S1", "PM10", off_hours_day({8: 400.0, 48: 400.0})),
            series("S2", "PM10", off_hours_day({48: 400.0})),
        ),
        END,
        {"S1": night, "S2": DeviceFacts(source_kind="site")},
    )
    assert [(r["mn"], r["ts"].hour) for r in found.to_pylist()] == [("S1", 12)]


def test_inside_hours_wraps_midnight():
    minute = np.array([0, 239, 240, 1199, 1200, 1439])
    start, end = np.full(6, 1200), np.full(6, 240)
    assert inside_hours(minute, start, end).tolist() == [True, True, False, False, True, True]


def test_permit_limits_cell_reads_names_codes_and_units():
    limits, problem = parse_permit_limits("烟尘 30 mg/m3、二氧化硫=100 mg/m³；a21002 100mg/m3")
    assert problem is None
    assert limits == {
        "a34013": {"limit": 30.0, "unit": "mg/m3"},
        "a21026": {"limit": 100.0, "unit": "mg/m3"},
        "a21002": {"limit": 100.0, "unit": "mg/m3"},
    }
    assert parse_permit_limits(format_permit_limits(limits))[0] == limits
    for bad in ("二氧化硫 100", "二氧化硫 100 %", "铅 1 mg/m3", "SO2 1 mg/m3、SO2 2 mg/m3"):
        assert parse_permit_limits(bad)[1], bad


def test_registry_facts_of_the_stack_and_hours_rules():
    from types import SimpleNamespace

    permit = SimpleNamespace(
        permit_limits={"a21026": {"limit": 100, "unit": "mg/m3"}, "zz999": {}},
        permit_standard="GB 13223-2011 表1",
        permit_number="许可01",
    )
    assert permit_limits(permit) == {
        "SO2": (100.0, "mg/m3", "GB 13223-2011 表1（排污许可证 许可01）")
    }
    assert working_minutes("06:00-22:00") == (360, 1320)
    assert working_minutes("20:00-24:00") == (1200, 0)
    assert working_minutes(None) is None


def test_a_fixed_level_must_be_a_level(tmp_path):
    path = tmp_path / "district.toml"
    path.write_text(
        'use = ["x"]\n[[rule]]\nid = "x"\nkind = "stack"\nname = "x"\nsource = "x"\n'
        'window = 60\nlevel = "严重"\n',
        encoding="utf-8",
    )
    with pytest.raises(RuleFileError, match="level"):
        load_rules(path)
