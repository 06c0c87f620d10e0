"""A measure's fraction removed and its share done (lantian.planning.cuts), computed by hand on a
small constructed inventory."""

from __future__ import annotations

import pyarrow as pa
import pytest

from lantian.planning.cuts import (
    activity_fraction,
    coverage_fraction,
    efficiency_fraction,
    implementation_share,
    planned_cut,
    removed_fraction,
)

#: A constructed inventory in lantian.inventory.load's columns (the ones a link reads).
INVENTORY = pa.table(
    {
        "category": ["扬尘源", "扬尘源", "扬尘源", "化石燃料固定燃烧源"],
        "sector": ["道路扬尘", "道路扬尘", "施工扬尘", ""],
        "pollutant": ["PM2.5", "PM10", "PM2.5", "SO2"],
        "tonnes": [100.0, 400.0, 50.0, 800.0],
    }
)


def test_activity_320_of_320_old_trucks_retired_removes_all():
    assert activity_fraction(320, 0) == 1.0
    assert activity_fraction(12000, 9000) == pytest.approx(0.25)


def test_efficiency_from_60_to_85_percent():
    # (1 − 0.85)/(1 − 0.60) = 0.375 of the emission stays: 0.625 removed.
    assert efficiency_fraction(0.60, 0.85) == pytest.approx(0.625)


def test_coverage_of_swept_roads_from_60_to_85_percent_at_eta_half():
    # E ∝ 1 − s·η: 1 − 0.30 = 0.70 before, 1 − 0.425 = 0.575 after: (0.70 − 0.575)/0.70.
    assert coverage_fraction(0.60, 0.85, 0.5) == pytest.approx(0.125 / 0.70)


@pytest.mark.parametrize(
    ("kind", "before", "after", "eta", "message"),
    [
        ("efficiency", 60, 85, None, "fraction"),
        ("coverage", 0.6, 0.85, None, "efficiency"),
        ("activity", 0, 1, None, "> 0"),
        ("sweeping", 0.6, 0.85, None, "unknown change_kind"),
    ],
)
def test_bad_changes_are_refused(kind, before, after, eta, message):
    with pytest.raises(ValueError, match=message):
        removed_fraction(kind, before, after, eta)


def test_share_done_from_reported_quantities():
    # Sweeping rate: baseline 60 %, target 85 %; reported 72.5 → half; none → 0; 90 → capped at 1.
    share = implementation_share([72.5, float("nan"), 90.0], 60.0, [85.0, 85.0, 85.0])
    assert share.tolist() == [0.5, 0.0, 1.0]


def test_planned_cut_selects_rows_and_pollutants():
    cut = planned_cut(INVENTORY, {"category": "扬尘源", "sector": "道路扬尘"}, ["PM2.5"], 0.5)
    assert cut.to_pylist() == [{"category": "扬尘源", "pollutant": "PM2.5", "t": 50.0}]
    everything = planned_cut(INVENTORY, {"category": "扬尘源"}, None, 0.1)
    tonnes = {r["pollutant"]: r["t"] for r in everything.to_pylist()}
    assert tonnes == pytest.approx({"PM2.5": 15.0, "PM10": 40.0})
    with pytest.raises(ValueError, match="not inventory columns"):
        planned_cut(INVENTORY, {"town": "x"}, None, 0.1)
