"""Each rule kind at its boundaries, on constructed minute series (simulated, not measured)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from lantian.alarms.evaluate import BackgroundHours, DeviceFacts, alarms
from lantian.alarms.rules import KINDS, RuleFileError, load_rules
from lantian.standards.averages import validity_threshold
from tests.alarms.minutes import DAY, hours, minute_of, minutes, series

SITE = DeviceFacts(source_kind="site", phase="主体", nearest_station="2481A")
END = minute_of(DAY + dt.timedelta(days=1))


REFERENCE_RULE = """
[[rule]]
id = "reference-device-pm10-difference"
template = "reference-device"
kind = "difference"
name = "PM10 小时均值超出参照设备 80"
pollutant = "PM10"
window = 60
limit = 80
unit = "ug/m3"
background = "device"
reference_device = "R1"
background_cap = 150
per_day = 2
sources = ["site"]
source = "DB13/2934-2019 的差值判定（测试）"
"""


def rule_set(tmp_path, use: str, extra: str = ""):
    path = tmp_path / "district.toml"
    path.write_text(f"use = [{use}]\n{extra}", encoding="utf-8")
    return load_rules(path)


def background(*values: float, key: str = "2481A") -> BackgroundHours:
    start = minute_of(DAY) + 60 * np.arange(len(values))
    return BackgroundHours(np.full(len(values), key, object), start, np.asarray(values, float))


def test_hour_completeness_is_hj663s_hourly_count():
    """The rule file's 60-minute count is the validity table's (GB 3095-2012 表4, 45 minutes)."""
    assert load_rules().completeness[60] == validity_threshold("hourly_min_minutes")


@pytest.mark.parametrize(
    ("excess", "alarmed"), [(80.0, False), (81.0, True), (80.5, True), (79.0, False)]
)
def test_hebei_difference_80_vs_81(tmp_path, excess, alarmed):
    """DB13/2934-2019 表1: the difference must exceed 80 µg/m³ (80 is within the limit)."""
    rules = rule_set(tmp_path, '"hebei"')
    found = alarms(
        rules, minutes(series("S1", "PM10", hours(60 + excess))), END, {"S1": SITE}, background(60)
    )
    assert (found.num_rows == 1) is alarmed
    if alarmed:
        row = found.to_pylist()[0]
        assert row["value"] == excess
        assert row["background"] == 60
        assert row["level"] == "预警"
        assert "DB13/2934-2019" in row["citation"]
        assert len(json.loads(row["readings"])) == 60


@pytest.mark.parametrize(
    ("measured", "site", "alarmed"),
    [(200.0, 230.0, False), (200.0, 231.0, True), (150.0, 231.0, True)],
)
def test_hebei_background_capped_at_150(tmp_path, measured, site, alarmed):
    """Background above 150 µg/m³ counts as 150: site 231 over a measured 200 is 81 over."""
    rules = rule_set(tmp_path, '"hebei"')
    found = alarms(
        rules, minutes(series("S1", "PM10", hours(site))), END, {"S1": SITE}, background(measured)
    )
    assert (found.num_rows == 1) is alarmed
    if alarmed:
        row = found.to_pylist()[0]
        assert (row["background"], row["background_measured"]) == (150, measured)


def test_hebei_two_exceedances_allowed_the_third_is_chaobiao(tmp_path):
    """达标判定 ≤ 2 次/天: 1st 预警, 2nd 报警, 3rd 超标 (and the 4th); the next day starts over."""
    rules = rule_set(tmp_path, '"hebei"')
    values = np.tile(hours(200, 100, 200, 200, 200, *[100] * 19), 2)
    found = alarms(
        rules,
        minutes(series("S1", "PM10", values)),
        minute_of(DAY + dt.timedelta(days=2)),
        {"S1": SITE},
        background(*[100] * 48),
    )
    rows = found.to_pylist()
    assert [r["level"] for r in rows] == ["预警", "报警", "超标", "超标"] * 2
    assert [r["occurrence"] for r in rows] == [1, 2, 3, 4] * 2
    assert [r["ts"].hour for r in rows[:4]] == [0, 2, 3, 4]


@pytest.mark.parametrize(("valid_minutes", "alarmed"), [(44, False), (45, True)])
def test_hourly_mean_needs_45_minutes(tmp_path, valid_minutes, alarmed):
    """GB 3095-2012 表4 (HJ 663): an hour with 44 valid minutes has no mean, with 45 it has."""
    rules = rule_set(tmp_path, '"wuhan-pm10-hour-warning"')
    valid = np.arange(60) < valid_minutes
    found = alarms(rules, minutes(series("S1", "PM10", hours(151), valid=valid)), END, {"S1": SITE})
    assert (found.num_rows == 1) is alarmed


def test_open_window_is_not_judged(tmp_path):
    """An hour is judged once closed: ``until`` before its end leaves it out."""
    rules = rule_set(tmp_path, '"wuhan-pm10-hour-warning"')
    data = minutes(series("S1", "PM10", hours(151)))
    assert alarms(rules, data, minute_of(DAY) + 59, {"S1": SITE}).num_rows == 0
    assert alarms(rules, data, minute_of(DAY) + 60, {"S1": SITE}).num_rows == 1


@pytest.mark.parametrize(
    ("mean", "grades"), [(150, []), (151, ["warning"]), (201, ["action", "warning"])]
)
def test_wuhan_150_warning_200_action(tmp_path, mean, grades):
    rules = rule_set(tmp_path, '"wuhan"')
    found = alarms(rules, minutes(series("S1", "PM10", hours(mean))), END, {"S1": SITE})
    ids = sorted(found.column("rule_id").to_pylist())
    assert ids == [f"wuhan-pm10-hour-{grade}" for grade in grades]


def test_wuhan_rule_skips_micro_stations(tmp_path):
    rules = rule_set(tmp_path, '"wuhan"')
    facts = {"M1": DeviceFacts(source_kind=None)}
    assert alarms(rules, minutes(series("M1", "PM10", hours(300))), END, facts).num_rows == 0


@pytest.mark.parametrize(
    ("phase", "value", "alarmed"),
    [
        ("土方", 800.0, False),
        ("土方", 801.0, True),
        ("主体", 700.0, False),
        ("主体", 701.0, True),
        ("装饰", 750.0, True),
        ("完工", 5000.0, False),
    ],
)
def test_shaanxi_tsp_by_phase_in_mg(tmp_path, phase, value, alarmed):
    """DB61/1078-2017: 0.8 mg/m³ (土方), 0.7 mg/m³ (基础/主体/装饰), against the feed's µg/m³."""
    rules = rule_set(tmp_path, '"shaanxi"')
    facts = {"S1": DeviceFacts(source_kind="site", phase=phase)}
    found = alarms(rules, minutes(series("S1", "TSP", hours(value))), END, facts)
    assert (found.num_rows == 1) is alarmed
    if alarmed:
        assert found.column("limit")[0].as_py() == {"土方": 800, "主体": 700, "装饰": 700}[phase]


def test_reference_device_background(tmp_path):
    rules = rule_set(tmp_path, '"reference-device-pm10-difference"', REFERENCE_RULE)
    data = minutes(series("S1", "PM10", hours(181, 180)), series("R1", "PM10", hours(100, 100)))
    rows = alarms(rules, data, END, {"S1": SITE, "R1": DeviceFacts()}).to_pylist()
    assert [(r["mn"], r["value"], r["background"]) for r in rows] == [("S1", 81.0, 100.0)]


@pytest.mark.parametrize(("gap", "alarmed"), [(60, False), (61, True)])
def test_offline_more_than_60_minutes(tmp_path, gap, alarmed):
    rules = rule_set(tmp_path, '"offline-60"')
    before = series("S1", "PM10", [50.0] * 10)
    after = series("S1", "PM10", [50.0] * 10, start=DAY + dt.timedelta(minutes=10 + gap))
    found = alarms(rules, minutes(before, after), minute_of(DAY) + 10 + gap + 10)
    assert (found.num_rows == 1) is alarmed
    if alarmed:
        assert found.column("ts")[0].as_py() == DAY + dt.timedelta(minutes=10)


def test_offline_until_the_scan_end(tmp_path):
    rules = rule_set(tmp_path, '"offline-60"')
    data = minutes(series("S1", "PM10", [50.0] * 10))
    assert alarms(rules, data, minute_of(DAY) + 70).num_rows == 0
    assert alarms(rules, data, minute_of(DAY) + 71).num_rows == 1


@pytest.mark.parametrize(("repeats", "count"), [(29, 0), (30, 1), (65, 1)])
def test_stuck_for_30_readings(tmp_path, repeats, count):
    rules = rule_set(tmp_path, '"stuck-30"')
    values = [1.0, 2.0, *[42.0] * repeats, 3.0]
    assert alarms(rules, minutes(series("S1", "PM10", values)), END).num_rows == count


@pytest.mark.parametrize(("run", "count"), [(120, 0), (121, 1)])
def test_flags_m_c_d_for_more_than_120_minutes(tmp_path, run, count):
    rules = rule_set(tmp_path, '"flag-mcd-120"')
    flags = ["N", *(["M", "C", "D"] * 50)[:run], "N"]
    data = minutes(
        series("S1", "PM10", [1.0] * len(flags), valid=[f == "N" for f in flags], flags=flags)
    )
    assert alarms(rules, data, END).num_rows == count


def test_unknown_use_names_the_valid_templates(tmp_path):
    with pytest.raises(RuleFileError, match=r"district\.toml: use names unknown hunan"):
        rule_set(tmp_path, '"hunan"')


def test_reference_device_template_needs_its_device(tmp_path):
    with pytest.raises(RuleFileError, match="reference_device"):
        rule_set(tmp_path, '"reference-device"')


def test_every_shipped_rule_cites_a_source(tmp_path):
    rules = rule_set(tmp_path, '"*"', REFERENCE_RULE).rules
    kinds = {r.kind for r in rules}
    assert kinds == set(KINDS)  # every kind has a shipped rule
    assert all(r.source for r in rules)


def test_alarms_rules_lists_the_district_choice_with_sources(tmp_path):
    from typer.testing import CliRunner

    from lantian.cli import app

    path = tmp_path / "district.toml"
    path.write_text('use = ["shaanxi", "offline-60"]\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["alarms", "rules", "--rules", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["id"] for r in rows] == ["shaanxi-tsp-phase", "offline-60"]
    assert rows[0]["limit"] == "土方 0.8、基础 0.7、主体 0.7、装饰 0.7"
    assert "DB61/1078-2017" in rows[0]["source"]
