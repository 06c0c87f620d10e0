"""The hotspot rule: a micro-station above the micro-network's mean by more than N µg/m³ for M
consecutive hours (shipped: PM2.5, 30, 3), naming the nearest registered sources — at its
boundaries, on constructed minute series (simulated, not measured)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from lantian.alarms.evaluate import DeviceFacts, alarms
from lantian.alarms.rules import load_rules
from tests.alarms.minutes import DAY, hours, minute_of, minutes, series

END = minute_of(DAY + dt.timedelta(days=1))
NEAR = (("示例GD01", "示例工地01", 0.42), ("示例QY01", "示例企业甲", 1.3))
FACTS = {
    "M1": DeviceFacts(network="micro", nearest_sources=NEAR),
    "M2": DeviceFacts(network="micro"),
    "M3": DeviceFacts(network="micro"),
    "D1": DeviceFacts(source_kind="site", network="dust"),
}


def rules(tmp_path):
    path = tmp_path / "district.toml"
    path.write_text('use = ["hotspot"]\n', encoding="utf-8")
    return load_rules(path)


def network(m1: list[float], others: float = 40.0, dust: float = 900.0):
    """M1's hours against two micro-stations at ``others`` (and a dust monitor, not in the
    network). The network's mean includes M1: M1 = 40 + 1.5 x is x above it."""
    n = len(m1)
    return minutes(
        series("M1", "PM2.5", hours(*m1)),
        series("M2", "PM2.5", hours(*[others] * n)),
        series("M3", "PM2.5", hours(*[others] * n)),
        series("D1", "PM2.5", hours(*[dust] * n)),
    )


@pytest.mark.parametrize(
    ("excess", "alarmed"), [(30.0, False), (31.0, True), (30.5, True), (29.0, False)]
)
def test_more_than_30_above_the_network_mean(tmp_path, excess, alarmed):
    m1 = 40.0 + 1.5 * excess
    found = alarms(rules(tmp_path), network([m1, m1, m1]), END, FACTS)
    assert found.num_rows == int(alarmed)
    if alarmed:
        row = found.to_pylist()[0]
        assert row["mn"] == "M1"
        assert row["ts"] == DAY + dt.timedelta(hours=2)  # rings when the 3rd hour closes
        assert np.isclose(row["value"], excess)
        assert np.isclose(row["background"], 40.0 + excess / 2)
        assert json.loads(row["sources"]) == [list(s) for s in NEAR]
        assert len(json.loads(row["readings"])) == 180


@pytest.mark.parametrize(
    ("pattern", "rings"),
    [
        ([100, 100, 40], []),  # 2 hours: not yet
        ([100, 100, 100], [2]),  # 3 hours
        ([100, 100, 100, 100, 100, 100], [2]),  # one alarm per run
        ([100, 100, 100, 40, 100, 100, 100], [2, 6]),  # a new run after a break
        ([100, 100, 40, 100, 100, 100], [5]),
    ],
)
def test_three_consecutive_hours(tmp_path, pattern, rings):
    found = alarms(rules(tmp_path), network([float(v) for v in pattern]), END, FACTS)
    assert [r["ts"].hour for r in found.to_pylist()] == rings


def test_a_missing_hour_breaks_the_run(tmp_path):
    """An hour short of 45 minutes has no mean: the run restarts after it."""
    m1 = np.r_[np.full(120, 100.0), np.full(30, 100.0), np.full(180, 100.0)]
    valid = np.r_[np.ones(120, bool), np.zeros(30, bool), np.ones(180, bool)]
    others = np.full(330, 40.0)
    found = alarms(
        rules(tmp_path),
        minutes(
            series("M1", "PM2.5", m1, valid=valid),
            series("M2", "PM2.5", others),
            series("M3", "PM2.5", others),
        ),
        END,
        FACTS,
    )
    assert [r["ts"].hour for r in found.to_pylist()] == []  # hours 0,1 | 2 has 30 valid | 3,4
