"""Warning grades on constructed hourly sequences, at every boundary of standards.md §6.

Each sequence is hours of "AQI of the 24-hour window covering the hour" (docs/forecast.md).
The expected levels are read off the tables of standards.md §6.1 (2018 scheme) and §6.2 (2024).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from lantian.forecast.warnings import (
    Decision,
    decide,
    hourly_from_daily,
    locality,
    notice_zh,
    runs,
    scheme_rows,
    warning_life,
)


def hours(*parts: tuple[float, int]) -> np.ndarray:
    """Concatenate (AQI, hours) blocks, framed by clean air (AQI 50 for 12 h) on both sides."""
    blocks = [np.full(12, 50.0)] + [np.full(n, v, dtype=float) for v, n in parts]
    return np.concatenate([*blocks, np.full(12, 50.0)])


# (scheme, sequence, expected level): boundaries 47/48 h, 200/201, 300/301, 500, 150/151
CASES = [
    # 2018 §6.1 yellow: AQI > 200 lasting ≥ 48 h
    ("2018", hours((201, 48)), "yellow"),
    ("2018", hours((201, 47)), None),
    ("2018", hours((200, 48)), None),
    ("2018", hours((200, 200)), None),
    ("2018", hours((201, 24), (200, 1), (201, 24)), None),  # a 1-hour break splits the episode
    # orange: > 200 ≥ 72 h and > 300 occurring
    ("2018", hours((201, 71), (301, 1)), "orange"),
    ("2018", hours((201, 71), (300, 1)), "yellow"),
    ("2018", hours((201, 70), (301, 1)), "yellow"),
    # red: > 200 ≥ 96 h and > 300 ≥ 48 h
    ("2018", hours((201, 48), (301, 48)), "red"),
    ("2018", hours((201, 49), (301, 47)), "orange"),
    ("2018", hours((201, 47), (301, 48)), "orange"),  # 95 h > 200
    (
        "2018",
        hours((301, 24), (201, 24), (301, 24), (201, 24)),
        "orange",
    ),  # > 300 never 48 h on end
    # the 500 rule: AQI reaching 500 for ≥ 24 h is red on its own
    ("2018", hours((500, 24)), "red"),
    ("2018", hours((500, 23)), None),  # 23 h > 200: not even yellow
    ("2018", hours((499, 24)), None),
    ("2018", hours((201, 24), (500, 23)), None),  # 47 h > 200; 500 only 23 h
    ("2018", hours((201, 25), (500, 23)), "yellow"),
    # 2024 §6.2 yellow: AQI > 200, or > 150 lasting ≥ 48 h
    ("2024", hours((201, 1)), "yellow"),
    ("2024", hours((200, 47)), None),
    ("2024", hours((151, 48)), "yellow"),
    ("2024", hours((151, 47)), None),
    ("2024", hours((150, 100)), None),
    # orange: > 200 lasting 48 h, or > 150 lasting ≥ 72 h
    ("2024", hours((201, 48)), "orange"),
    ("2024", hours((201, 47)), "yellow"),
    ("2024", hours((151, 72)), "orange"),
    ("2024", hours((151, 71)), "yellow"),
    # red: > 200 lasting 72 h and > 300 lasting ≥ 24 h
    ("2024", hours((201, 48), (301, 24)), "red"),
    ("2024", hours((201, 48), (301, 23)), "orange"),
    ("2024", hours((201, 47), (301, 24)), "orange"),
    ("2024", hours((301, 72)), "red"),
    # the 500 rule is the 2018 scheme's only: 24 h at 500 is a one-day episode > 200 in 2024
    ("2024", hours((500, 24)), "yellow"),
    ("2024", hours((500, 48)), "orange"),
]


@pytest.mark.parametrize(("scheme", "sequence", "expected"), CASES)
def test_grade_boundaries(scheme, sequence, expected):
    assert decide(sequence, scheme).level == expected


def test_a_fraction_is_rounded_before_comparing():
    assert decide(hours((200.4, 48)), "2018").level is None
    assert decide(hours((200.5, 48)), "2018").level is None  # np.rint: half to even → 200
    assert decide(hours((200.6, 48)), "2018").level == "yellow"


def test_durations_and_reason_are_reported():
    decision = decide(hours((201, 48), (301, 48)), "2018")
    assert decision.durations == {">200": 96, ">300": 48}
    assert decision.rule == "a"
    assert decision.reason_zh.startswith("预测日均AQI>200将持续4天（96小时）及以上且日均AQI>300")
    assert (decision.episode_start, decision.episode_end) == (12, 108)
    five_hundred = decide(hours((500, 24)), "2018")
    assert five_hundred.rule == "b"
    assert five_hundred.reason_zh.startswith("预测日均AQI达到500")


def test_an_episode_that_ended_before_the_issue_issues_nothing():
    series = hours((201, 48))
    assert decide(series, "2018", forecast_from=len(series) - 6).level is None
    # an ongoing episode: 24 observed hours + 24 forecast hours make 48
    ongoing = np.concatenate([np.full(24, 250.0), np.full(24, 250.0), np.full(24, 80.0)])
    assert decide(ongoing, "2018", forecast_from=24).level == "yellow"


def test_observed_aqi_override_never_withholds_a_met_rule():
    """Issue #17: 48 observed hours > 200 up to the issue meet yellow although the forecast ends
    the episode (all clean hours after the issue): the warning is issued, on the observations."""
    observed = np.concatenate([np.full(24, 80.0), np.full(48, 234.0)])
    forecast = np.full(72, 90.0)
    series = np.concatenate([observed, forecast])
    decision = decide(series, "2018", forecast_from=len(observed))
    assert (decision.level, decision.basis) == ("yellow", "observed")
    assert decision.reason_zh.endswith("（实测已满足）")
    # the forecast's probabilities say "no exceedance" on every forecast hour: still yellow
    masks = {200: np.concatenate([observed > 200, np.zeros(72, dtype=bool)])}
    assert decide(series, "2018", forecast_from=len(observed), exceeds=masks).level == "yellow"
    # 47 observed hours do not meet it, and a forecast below the rule adds nothing
    short = np.concatenate([np.full(25, 80.0), np.full(47, 234.0), forecast])
    assert decide(short, "2018", forecast_from=len(observed)).level is None
    # one more observed clean hour before the issue: the episode is over, nothing is issued
    over = np.concatenate([np.full(23, 80.0), np.full(48, 234.0), [80.0], forecast])
    assert decide(over, "2018", forecast_from=len(observed)).level is None


def test_probabilities_decide_a_forecast_exceedance():
    """A forecast day counts as > 200 when its probability mask says so, whatever its point
    value; conditions without a mask (≥ 500) still read the point forecast."""
    clean = np.full(96, 150.0)
    above = np.zeros(96, dtype=bool)
    above[24:72] = True  # P(AQI > 200) reached the decision probability on 2 forecast days
    decision = decide(clean, "2018", exceeds={200: above})
    assert (decision.level, decision.basis) == ("yellow", "forecast")
    assert decision.durations == {">200": 48}
    assert decide(clean, "2018", exceeds={200: np.zeros(96, dtype=bool)}).level is None
    assert decide(np.full(96, 500.0), "2018", exceeds={200: above, 300: above}).rule == "b"


def test_nan_hours_break_an_episode():
    series = hours((201, 24), (np.nan, 1), (201, 24))
    assert decide(series, "2018").level is None


def test_merging_short_gaps_joins_episodes():
    series = hours((201, 24), (120, 6), (201, 24))
    assert decide(series, "2018").level is None
    assert decide(series, "2018", merge_gap_hours=7).level == "yellow"  # 54 h with the gap
    assert decide(series, "2018", merge_gap_hours=6).level is None


def test_runs():
    starts, ends = runs([True, True, False, True, False, False, True])
    assert starts.tolist() == [0, 3, 6]
    assert ends.tolist() == [2, 4, 7]
    starts, ends = runs([True, True, False, True, False, False, True], merge_gap_hours=2)
    assert starts.tolist() == [0, 6]
    assert ends.tolist() == [4, 7]


def test_local_override_is_stricter():
    overrides = [
        {"scheme": "2018", "level": "yellow", "rule": "a", "condition": 1, "min_hours": 24}
    ]
    assert decide(hours((201, 24)), "2018", overrides=overrides).level == "yellow"
    assert decide(hours((201, 24)), "2018").level is None
    row = next(r for r in scheme_rows("2018", overrides) if r["level"] == "yellow")
    assert row["source"].startswith("local override")


def test_unknown_scheme_lists_the_valid_ones():
    with pytest.raises(KeyError, match="2018"):
        decide(hours((201, 48)), "2030")


def test_daily_values_fill_24_hours():
    assert decide(hourly_from_daily([80, 210, 230, 90]), "2018").level == "yellow"
    assert decide(hourly_from_daily([80, 210, 90, 230]), "2018").level is None


def test_yongzhou_switches_scheme_on_2024_01_23():
    yongzhou = locality("永州")
    assert yongzhou.scheme_on(dt.date(2019, 1, 28)) == "2018"
    assert yongzhou.scheme_on(dt.date(2024, 1, 22)) == "2018"
    assert yongzhou.scheme_on(dt.date(2024, 1, 23)) == "2024"
    assert locality("某市").plan == "重污染天气应急预案"  # [default]


def _at(day: int, decision_level: str | None, scheme: str = "2018") -> tuple:
    time = dt.datetime(2019, 1, day)
    reason = "" if decision_level is None else f"{decision_level} grade"
    return time, Decision(decision_level, scheme, reason_zh=reason)


def test_a_warnings_life():
    decisions = [
        _at(26, None),
        _at(27, "yellow"),
        _at(28, "yellow"),
        _at(29, "orange"),
        _at(30, "yellow"),
        _at(31, None),
    ]
    events = warning_life(decisions)
    assert [(e["time"].day, e["event"], e["from_level"], e["to_level"]) for e in events] == [
        (27, "issued", None, "yellow"),
        (29, "raised", "yellow", "orange"),
        (30, "lowered", "orange", "yellow"),
        (31, "lifted", "yellow", None),
    ]
    assert events[-1]["reason_zh"].startswith("预测不再满足2018方案")


def test_public_notice_text():
    yongzhou = locality("永州")
    issued = warning_life([_at(27, None), _at(28, "yellow")])[0]
    episode = (dt.datetime(2019, 1, 28), dt.datetime(2019, 1, 30))
    text = notice_zh("永州", issued, yongzhou, episode)
    assert text.startswith("永州重污染天气黄色预警公告")
    assert "《永州市重污染天气应急预案（2018年修订）》" in text
    assert "2019年1月28日0时发布重污染天气黄色预警，启动Ⅲ级应急响应" in text
    assert "1月28日0时至1月30日0时" in text
    lifted = warning_life([_at(27, "yellow"), _at(29, None)])[1]
    text = notice_zh("永州", lifted, yongzhou)
    assert "解除重污染天气黄色预警，终止Ⅲ级应急响应" in text


def test_decision_probabilities_are_locality_data(tmp_path):
    """One number applies to every lead, three are per lead; a city inherits [default]'s."""
    path = tmp_path / "localities.toml"
    path.write_text(
        '[default]\nschemes = [{ scheme = "2018", from = "2017-09-20" }]\n'
        "[default.probability_thresholds]\n150 = 0.5\n200 = [0.4, 0.3, 0.2]\n"
        '["甲"]\nschemes = [{ scheme = "2018", from = "2017-09-20" }]\n'
        '["甲".probability_thresholds]\n200 = 0.6\n',
        encoding="utf-8",
    )
    assert locality("乙", path).probability_thresholds == {
        150: (0.5, 0.5, 0.5),
        200: (0.4, 0.3, 0.2),
    }
    assert locality("甲", path).probability_thresholds[200] == (0.6, 0.6, 0.6)
    assert locality("甲", path).probability_thresholds[150] == (0.5, 0.5, 0.5)
    path.write_text(
        path.read_text("utf-8").replace("200 = 0.6", "200 = [0.6, 1.5]"), encoding="utf-8"
    )
    with pytest.raises(ValueError, match=r"probability_thresholds\.200"):
        locality("甲", path)
    # the bundled defaults: one probability per lead for each of 150, 200 and 300
    assert set(locality("永州").probability_thresholds) == {150, 200, 300}
