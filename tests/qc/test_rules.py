"""Quality control (``lantian.qc``): each rule of ``qc_rules.csv`` on constructed hourly grids —
at its threshold, just past it, and below its floor — with the thresholds read from the table, so
a changed row changes what these tests expect (issue #12 items 4 and 8)."""

from __future__ import annotations

import numpy as np
import pytest

from lantian.qc import QC_RULES, describe_flags, invalidating_mask, quality_flags
from lantian.standards import limit


def rule(name: str, pollutant: str = "*") -> dict[str, str]:
    rows = [r for r in QC_RULES if r["rule"] == name and r["pollutant"] in (pollutant, "*")]
    return rows[0]


def bit(name: str) -> int:
    return 1 << int(next(r["bit"] for r in QC_RULES if r["rule"] == name))


def flags_of(pollutant: str, values: list[float]) -> np.ndarray:
    return quality_flags({pollutant: np.array([values], dtype=float)})[pollutant][0]


def test_negative_values_are_invalid():
    flags = flags_of("SO2", [5.0, -1.0, 0.0])
    assert (flags & bit("negative")).tolist() == [0, bit("negative"), 0]
    assert invalidating_mask() & bit("negative")


@pytest.mark.parametrize("pollutant", ["SO2", "NO2", "CO", "O3", "PM10", "PM2.5"])
def test_impossible_above_the_table_ceiling(pollutant):
    ceiling = float(rule("impossible", pollutant)["threshold"])
    flags = flags_of(pollutant, [ceiling, ceiling * 1.01])
    assert (flags & bit("impossible")).tolist() == [0, bit("impossible")]


def test_co_unit_mix_up():
    threshold = float(rule("co_unit", "CO")["threshold"])
    flags = flags_of("CO", [threshold, threshold + 1])
    assert (flags & bit("co_unit")).tolist() == [0, bit("co_unit")]


@pytest.mark.parametrize("pollutant", ["CO", "PM2.5"])
def test_stuck_runs_above_the_floor_only(pollutant):
    run = int(float(rule("stuck", pollutant)["threshold"]))
    floor = float(rule("stuck", pollutant)["floor"])
    assert floor == (1.0 if pollutant == "CO" else 10.0)  # ten reporting steps (the table's source)
    at_floor = flags_of(pollutant, [floor] * run)
    below = flags_of(pollutant, [floor * 0.9] * run)
    short = flags_of(pollutant, [floor] * (run - 1) + [floor + 1])
    assert (at_floor & bit("stuck")).all()
    assert not (below & bit("stuck")).any()
    assert not (short & bit("stuck")).any()
    assert not invalidating_mask() & bit("stuck")  # a warning


def test_isolated_spike():
    ratio = float(rule("spike")["threshold"])
    jump = limit("PM10", "daily")
    neighbour = 50.0
    spike = max(ratio * neighbour, neighbour + jump) + 1
    flags = flags_of("PM10", [neighbour, spike, neighbour])
    assert (flags & bit("spike")).tolist() == [0, bit("spike"), 0]
    low = flags_of("PM10", [neighbour, neighbour + jump - 1, neighbour])
    assert not (low & bit("spike")).any()


def test_pm25_above_pm10_flags_both_and_keeps_them_valid():
    flags = quality_flags({"PM2.5": np.array([[40.0, 80.0]]), "PM10": np.array([[60.0, 70.0]])})
    for pollutant in ("PM2.5", "PM10"):
        assert (flags[pollutant][0] & bit("pm25_gt_pm10")).tolist() == [0, bit("pm25_gt_pm10")]
    assert not invalidating_mask() & bit("pm25_gt_pm10")
    assert describe_flags(bit("pm25_gt_pm10"), "en") == ["PM2.5 above PM10 in the same hour"]
