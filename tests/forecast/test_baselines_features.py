"""Baselines on hand-made series, and the no-look-ahead rule of features and model."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from lantian.forecast.baselines import baseline, climatology, persistence, shift_days
from lantian.forecast.features import design, issue_features
from lantian.forecast.history import CityHistory
from lantian.forecast.model import damping, fit, predict

nan = np.nan


def test_persistence_is_the_last_known_day():
    values = np.array([[10.0, 20.0, 30.0, 40.0]])
    assert np.array_equal(persistence(values, 1), [[nan, 10, 20, 30]], equal_nan=True)
    assert np.array_equal(persistence(values, 3), [[nan, nan, nan, 10]], equal_nan=True)


def test_climatology_is_the_trailing_mean_of_known_days():
    values = np.arange(1.0, 41.0)[np.newaxis]  # days 0 … 39 hold 1 … 40
    forecast = climatology(values, lead=2, window=30, min_days=10)
    # target day 35 at lead 2 knows days ≤ 33: mean of days 4 … 33 = mean(5 … 34) = 19.5
    assert forecast[0, 35] == pytest.approx(19.5)
    # target day 11 at lead 2 knows days 0 … 9: 10 days, the minimum
    assert forecast[0, 11] == pytest.approx(5.5)
    assert np.isnan(forecast[0, 10])  # 9 days known


def test_unknown_baseline_lists_the_names():
    with pytest.raises(KeyError, match="persistence, climatology"):
        baseline("analogue")


def test_shift_refuses_the_future():
    with pytest.raises(ValueError, match="days ≥ 1"):
        shift_days(np.zeros(3), 0)


def synthetic_history(n_days: int = 160, seed: int = 1, sunday: float = 60.0) -> CityHistory:
    """Three cities of AR(1) AQI plus ``sunday`` on Sundays (which only the trees can learn, from the
    weekday feature); the other series derived from it. 2021-01-01 was a Friday."""
    rng = np.random.default_rng(seed)
    aqi = np.empty((3, n_days))
    aqi[:, 0] = 80
    for t in range(1, n_days):
        aqi[:, t] = 80 + 0.7 * (aqi[:, t - 1] - 80) + rng.normal(0, 15, 3)
    aqi = np.clip(aqi + sunday * (np.arange(n_days) % 7 == 2), 10, 500)
    daily = {
        "aqi": aqi,
        "PM2.5": aqi * 0.6,
        "PM10": aqi * 0.9,
        "O3_8h": 200 - aqi * 0.5,
        "NO2": aqi * 0.2,
        "SO2": aqi * 0.05,
        "CO": aqi * 0.01,
    }
    evening = {p: daily.get(p, aqi)[:, :] * 1.1 for p in ("PM2.5", "PM10", "NO2")}
    evening["O3"] = daily["O3_8h"] * 0.8
    return CityHistory(["甲", "乙", "丙"], dt.date(2021, 1, 1), daily, evening, "HJ633-2012")


def _with_future_changed(history: CityHistory, issue: int) -> CityHistory:
    daily = {k: v.copy() for k, v in history.daily.items()}
    evening = {k: v.copy() for k, v in history.evening.items()}
    for values in (*daily.values(), *evening.values()):
        values[:, issue:] = 999.0
    return CityHistory(history.cities, history.first_day, daily, evening, history.standard)


def test_issue_features_use_only_days_before_the_issue():
    history = synthetic_history()
    issue = 100
    before = issue_features(history).values[:, :, issue]
    after = issue_features(_with_future_changed(history, issue)).values[:, :, issue]
    assert np.array_equal(before, after, equal_nan=True)


def test_the_model_never_sees_the_issue_day_or_later(monkeypatch):
    monkeypatch.setattr("lantian.forecast.model.MIN_BOOSTED_ROWS", 50)
    history = synthetic_history()
    issue = 120
    changed = _with_future_changed(history, issue)
    only = {"targets": ("aqi",), "leads": (1, 3)}
    model = fit(history, issue, **only)
    assert model.regressors  # the trees are in play, not only the damped persistence
    first = predict(model, history, [issue], **only)
    second = predict(fit(changed, issue, **only), changed, [issue], **only)
    for key in first:
        assert np.allclose(first[key], second[key]), key
    with pytest.raises(ValueError, match="has seen later days"):
        predict(model, history, [issue - 1], **only)


def test_damping_recovers_an_ar1_coefficient():
    history = synthetic_history(n_days=2000, seed=3, sunday=0.0)
    aqi = history.daily["aqi"]
    observed, last = aqi[:, 1:].ravel(), aqi[:, :-1].ravel()
    rho = damping(observed, last, np.full_like(last, 80.0))
    assert rho == pytest.approx(0.7, abs=0.03)  # the generating coefficient, within sampling error


def test_design_rows_and_columns():
    history = synthetic_history()
    rows = design(history, lead=2, issues=[10, 11])
    assert rows.x.shape[0] == 6
    assert rows.names[-1] == "city"
    assert "aqi_lag1@乙" in rows.names
    assert "weekday" in rows.names
    # the weekday is the target day's: 2021-01-12 (issue 10 + lead 2 − 1 = day 11) was a Tuesday
    assert rows.x[0, rows.names.index("weekday")] == 1
