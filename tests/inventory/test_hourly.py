"""Hourly profiles: the hourly totals are the per-profile sums spread by each profile's weights,
computed here by hand for two profiles of four hours (constructed)."""

from __future__ import annotations

import numpy as np
import pytest

from lantian.inventory.allocation import hourly_totals


def test_hourly_totals_by_hand():
    """Sources 0 and 2 follow profile 0 (¼ each hour), source 1 profile 1 (all in hour 3).
    Pollutant A: 4 + 8 = 12 t on profile 0 → 3 t an hour, plus 2 t at hour 3 → [3, 3, 3, 5]."""
    tonnes = np.array([[4.0, 1.0], [2.0, 0.0], [8.0, 3.0]])
    profiles = np.array([[0.25, 0.25, 0.25, 0.25], [0.0, 0.0, 0.0, 1.0]])
    result = hourly_totals(tonnes, np.array([0, 1, 0]), profiles)
    assert result[0] == pytest.approx([3.0, 3.0, 3.0, 5.0])
    assert result[1] == pytest.approx([1.0, 1.0, 1.0, 1.0])
    assert result.sum() == pytest.approx(tonnes.sum())
