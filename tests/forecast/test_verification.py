"""Verification scores, probability forecasts and calibration on constructed cases (issue #17)."""

from __future__ import annotations

import numpy as np
import pytest

from lantian.forecast.backtest import exceedance_key, model_forecasts
from lantian.forecast.baselines import climatology_exceedance, persistence_exceedance
from lantian.forecast.calendar import calendar
from lantian.forecast.model import Distribution, best_blend
from lantian.forecast.verification import brier, contingency, reliability, scores
from tests.forecast.test_baselines_features import _with_future_changed, synthetic_history


def test_contingency_scores_of_finleys_tornado_forecasts():
    """Wilks (2011) §8.2, Table 8.1 (Finley 1884): a = 28, b = 72, c = 23, d = 2680; Wilks gives
    TS (CSI) = 0.228, POD = 0.549, FAR = 0.720 and GSS (ETS) = 0.216."""
    predicted = np.repeat([True, True, False, False], [28, 72, 23, 2680])
    happened = np.repeat([True, False, True, False], [28, 72, 23, 2680])
    table = contingency(predicted, happened)
    assert (table["hits"], table["false_alarms"], table["misses"]) == (28, 72, 23)
    assert table["csi"] == 0.228
    assert table["hit_rate"] == 0.549
    assert table["false_alarm_ratio"] == 0.72
    assert table["ets"] == 0.216


def test_brier_score_of_a_constructed_case():
    # (1 − 1)², (0 − 0)², (0.5 − 1)², (0.5 − 0)² → 0.5 / 4
    assert brier([1.0, 0.0, 0.5, 0.5], [True, False, True, False]) == 0.125
    assert brier([0.2] * 10, [True] * 2 + [False] * 8) == pytest.approx(0.16)  # 0.2·0.8


def test_reliability_of_a_calibrated_and_of_an_overconfident_forecast():
    # each probability p = 0.05, 0.15, … 0.95 issued 100 times, the event following 100·p times
    p = np.repeat(np.arange(0.05, 1.0, 0.1), 100)
    o = np.concatenate([np.arange(100) < round(100 * q) for q in np.arange(0.05, 1.0, 0.1)])
    points = reliability(p, o)
    assert len(points) == 10
    for point in points:
        assert point["n"] == 100
        assert point["observed_frequency"] == point["forecast_probability"]
    # always 0.9, the event on 10 % of days: one point, far below the diagonal
    (only,) = reliability(np.full(50, 0.9), np.arange(50) < 5)
    assert (only["bin"], only["forecast_probability"], only["observed_frequency"]) == (
        "0.9–1.0",
        0.9,
        0.1,
    )
    assert reliability([1.0], [True])[0]["bin"] == "0.9–1.0"  # p = 1 lies in the last bin


def test_scores_forecast_events_from_probabilities_at_the_decision_threshold():
    observed = np.array([250.0, 250.0, 100.0, 100.0])
    point = np.array([180.0, 180.0, 180.0, 180.0])  # never above 200
    p200 = np.array([0.6, 0.2, 0.35, 0.1])
    deterministic = scores(point, observed, "HJ633-2012")
    assert deterministic["gt200_hits"] == 0
    probabilistic = scores(point, observed, "HJ633-2012", {200: p200}, {200: 0.3})
    assert (probabilistic["gt200_hits"], probabilistic["gt200_false_alarms"]) == (1, 1)
    assert probabilistic["gt200_brier"] == pytest.approx(
        ((0.6 - 1) ** 2 + (0.2 - 1) ** 2 + 0.35**2 + 0.1**2) / 4, abs=1e-4
    )


def test_exceedance_from_the_residual_distribution():
    """y = point · exp(r), r ∈ log{0.5, 1, 2}: with point 100, y ∈ {50, 100, 200}."""
    d = Distribution(np.array([[100.0, np.nan]]), np.sort(np.log([0.5, 1.0, 2.0])))
    assert d.exceedance(150)[0, 0] == pytest.approx(1 / 3)
    assert d.exceedance(60)[0, 0] == pytest.approx(2 / 3)
    assert d.exceedance(40)[0, 0] == 1.0
    assert d.exceedance(250)[0, 0] == 0.0
    assert np.isnan(d.exceedance(150)[0, 1])


def test_baseline_probabilities():
    aqi = np.array([[100.0, 220.0, 90.0, 210.0]])
    assert persistence_exceedance(aqi, 1, 200)[0].tolist()[1:] == [0.0, 1.0, 0.0]
    # 12 known days, 3 of them above 200: the next day's climatological probability is 3/12
    twelve = np.array([[250.0, 90, 90, 210, 90, 90, 90, 230, 90, 90, 90, 90, 500]])
    share = climatology_exceedance(twelve, 1, 200)
    assert share[0, 12] == 0.25
    assert np.isnan(share[0, 9])  # 9 known days: fewer than the climatology's 10


def test_the_blend_falls_back_to_persistence_when_persistence_is_best():
    rng = np.random.default_rng(0)
    observed = rng.uniform(50, 200, 500)
    candidates = np.stack(
        [observed + rng.normal(0, 30, 500), observed, np.full(500, 120.0)], axis=1
    )
    assert best_blend(candidates, observed).tolist() == [0.0, 1.0, 0.0]


def test_probabilities_do_not_look_ahead(monkeypatch):
    """Change every value from the issue day on: neither forecasts nor probabilities move."""
    monkeypatch.setattr("lantian.forecast.model.MIN_BOOSTED_ROWS", 50)
    history = synthetic_history()
    issue = 120
    changed = _with_future_changed(history, issue)
    thresholds = (100, 150)
    first = model_forecasts(history, [issue], thresholds=thresholds)
    second = model_forecasts(changed, [issue], thresholds=thresholds)
    assert (exceedance_key(100), 1) in first
    for key in first:
        assert np.allclose(first[key], second[key], equal_nan=True), key


def test_calendar_of_the_2019_spring_festival():
    days = np.array(["2019-02-04", "2019-02-05", "2019-02-19", "2019-02-20", "2019-10-01"])
    c = calendar(days.astype("datetime64[D]"))
    assert c["fireworks"].tolist() == [1, 1, 1, 0, 0]  # 除夕 … 元宵 (2019-02-19)
    assert c["holiday"].tolist() == [1, 1, 0, 0, 1]  # 春节 4–10 February, 国庆
    assert c["spring_festival_day"][:4].tolist() == [-1, 0, 14, 15]
    unknown = calendar(np.array(["2030-02-05"], dtype="datetime64[D]"))
    assert np.isnan(unknown["holiday"][0])
    assert np.isnan(unknown["fireworks"][0])


def test_forecast_weather_enters_the_design_at_its_issue_and_lead():
    from lantian.forecast.features import design

    history = synthetic_history()
    blh = np.full((3, history.n_days, 3), np.nan)
    blh[1, 40, :] = [500.0, 700.0, 900.0]  # the run known at issue 40 for 乙, leads 1–3
    for lead in (1, 2, 3):
        rows = design(history, lead, [40, 41], {"nwp_boundary_layer_height": blh})
        column = rows.x[:, rows.names.index("nwp_boundary_layer_height")]
        assert column[(rows.city == 1) & (rows.issue == 40)].tolist() == [300.0 + 200 * lead]
        assert np.isnan(column[rows.issue == 41]).all()


def test_level_shift_recovers_a_constructed_drift():
    """r = 0.5 − 0.2·x + e (e symmetric, uncorrelated with x): the drift is recovered exactly; a
    rising drift (not regression towards the mean) is clipped to none."""
    from lantian.forecast.model import level_shift

    level = np.repeat(np.log([50.0, 100.0, 200.0]), 2)
    noise = np.tile([-0.1, 0.1], 3)
    (a, b), rest = level_shift(level, 0.5 - 0.2 * level + noise)
    assert (a, b) == (pytest.approx(0.5), pytest.approx(-0.2))
    assert rest.tolist() == pytest.approx(sorted(noise))
    (a, b), _ = level_shift(level, 0.3 * level)
    assert b == 0.0
    assert a == pytest.approx(0.3 * level.mean())
    # P(y > T) with the drift: ŷ = 100 → log y = log 100 + 0.5 − 0.2·log 100 ± 0.1
    d = Distribution(np.array([[100.0]]), np.array([-0.1, 0.1]), (0.5, -0.2))
    centre = np.exp(np.log(100.0) * 0.8 + 0.5)
    assert d.exceedance(centre)[0, 0] == 0.5
