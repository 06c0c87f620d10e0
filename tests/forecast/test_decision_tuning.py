"""Choosing the model's decision probabilities honestly (issue #17): leave-one-city-out tuning and
the fall-back to persistence, on constructed backtests (made-up AQI series, not measurements)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from lantian.forecast.backtest import (
    PERSISTENCE,
    Backtest,
    cross_validated_decision,
    score_table,
    tuned_decision,
)
from lantian.forecast.history import CityHistory
from lantian.forecast.model import LEADS, MODEL_NAME
from lantian.forecast.verification import contingency
from lantian.forecast.warnings import Locality, decide_daily, locality

THRESHOLDS = (150, 200, 300)


def constructed_backtest(aqi: np.ndarray, model_p: dict[int, np.ndarray]) -> Backtest:
    """A backtest whose persistence forecasts the previous day, climatology 80 everywhere and
    whose model gives ``model_p[T]`` (cities, days) as P(AQI > T) at every lead."""
    cities = [f"城{k}" for k in range(aqi.shape[0])]
    history = CityHistory(cities, dt.date(2019, 1, 1), {"aqi": aqi}, {}, "HJ633-2012")
    issues = np.arange(1, aqi.shape[1])
    forecasts, probabilities = {}, {}
    for lead in LEADS:
        target = np.minimum(issues + lead - 1, aqi.shape[1] - 1)
        last = aqi[:, issues - 1]
        forecasts[(PERSISTENCE, lead)] = last
        forecasts[("climatology", lead)] = np.full_like(last, 80.0)
        forecasts[(MODEL_NAME, lead)] = aqi[:, target] * 0 + 100.0
        probabilities[(PERSISTENCE, lead)] = {t: (np.rint(last) > t) * 1.0 for t in THRESHOLDS}
        probabilities[("climatology", lead)] = {t: np.zeros_like(last) for t in THRESHOLDS}
        probabilities[(MODEL_NAME, lead)] = {t: model_p[t][:, target] for t in THRESHOLDS}
    return Backtest(history, issues, forecasts, probabilities)


def episodes(n_cities: int = 4, n_days: int = 60, seed: int = 0) -> np.ndarray:
    """Made-up daily AQI: calm days at 60–100 and two-day episodes at 220–260."""
    rng = np.random.default_rng(seed)
    aqi = rng.uniform(60, 100, (n_cities, n_days))
    for c in range(n_cities):
        for start in rng.choice(np.arange(2, n_days - 2, 4), 5, replace=False):
            aqi[c, start : start + 2] = rng.uniform(220, 260, 2)
    return np.rint(aqi)


def test_a_model_no_better_than_chance_falls_back_to_persistence():
    aqi = episodes()
    noise = np.random.default_rng(1).uniform(0, 1, aqi.shape)
    backtest = constructed_backtest(aqi, {t: noise for t in THRESHOLDS})
    decision = tuned_decision(backtest)
    assert decision[150][0] == decision[200][0] == PERSISTENCE
    model = next(r for r in score_table(backtest, None, decision) if r["model"] == MODEL_NAME)
    persistence = next(r for r in score_table(backtest) if r["model"] == PERSISTENCE)
    for key in ("hits", "misses", "false_alarms", "ets"):
        assert model[f"gt200_{key}"] == persistence[f"gt200_{key}"]


def test_a_model_that_knows_the_future_keeps_its_probability():
    aqi = episodes()
    knows = {t: (aqi > t) * 0.9 for t in THRESHOLDS}
    decision = tuned_decision(constructed_backtest(aqi, knows))
    assert all(isinstance(decision[200][lead - 1], float) for lead in LEADS)
    assert decision[200][0] <= 0.9


def test_leave_one_city_out_never_sees_the_held_out_city():
    aqi = episodes()
    p = np.clip(np.where(aqi > 200, 0.6, 0.1) + 0.05 * np.arange(4)[:, None], 0, 1)
    before = cross_validated_decision(constructed_backtest(aqi, {t: p for t in THRESHOLDS}))
    changed_p, changed_aqi = p.copy(), aqi.copy()
    changed_p[0] = np.random.default_rng(2).uniform(0, 1, aqi.shape[1])  # city 0 only
    changed_aqi[0, ::3] = 280
    after = cross_validated_decision(
        constructed_backtest(changed_aqi, {t: changed_p for t in THRESHOLDS})
    )
    assert after["城0"] == before["城0"]
    assert set(before) == {"城0", "城1", "城2", "城3"}


def test_each_city_is_scored_with_its_own_decision():
    aqi = episodes()
    p = np.where(aqi > 200, 0.5, 0.2)
    backtest = constructed_backtest(aqi, {t: p for t in THRESHOLDS})
    high = {t: [0.4, 0.4, 0.4] for t in THRESHOLDS}
    by_city = {"城0": {t: [PERSISTENCE] * 3 for t in THRESHOLDS}} | {
        c: high for c in ("城1", "城2", "城3")
    }
    pooled = next(
        r
        for r in score_table(backtest, None, by_city=by_city)
        if r["model"] == MODEL_NAME and r["lead"] == 1
    )
    observed = backtest.observed(1) > 200
    forecast = np.vstack(
        [np.rint(backtest.forecasts[(PERSISTENCE, 1)][:1]) > 200, p[1:, 1:] >= 0.4]
    )
    expected = contingency(forecast.ravel(), observed.ravel())
    assert (pooled["gt200_hits"], pooled["gt200_false_alarms"]) == (
        expected["hits"],
        expected["false_alarms"],
    )


def test_leave_one_city_out_needs_two_cities():
    aqi = episodes(n_cities=1)
    with pytest.raises(ValueError, match="two cities"):
        cross_validated_decision(constructed_backtest(aqi, {t: aqi * 0 for t in THRESHOLDS}))


def test_a_warning_decision_falling_back_to_persistence_reads_the_last_observed_day():
    settings = Locality(
        "甲",
        "预案",
        [(dt.date(2017, 1, 1), "2018")],
        probability_thresholds={200: (PERSISTENCE, PERSISTENCE, 0.5)},
    )
    quiet = {200: [0.0, 0.0, 0.0]}  # the model sees nothing; persistence carries 210 forward
    day = dt.date(2019, 1, 28)
    assert decide_daily([90, 210], [120, 120, 120], settings, day, quiet).level == "yellow"
    assert decide_daily([210, 190], [120, 120, 120], settings, day, quiet).level is None


def test_localities_accept_persistence_and_refuse_other_words(tmp_path):
    path = tmp_path / "localities.toml"
    path.write_text(
        '[default]\nschemes = [{ scheme = "2018", from = "2017-09-20" }]\n'
        '[default.probability_thresholds]\n150 = ["persistence", 0.3, 0.3]\n200 = "persistence"\n',
        encoding="utf-8",
    )
    assert locality("乙", path).probability_thresholds == {
        150: (PERSISTENCE, 0.3, 0.3),
        200: (PERSISTENCE,) * 3,
    }
    path.write_text(
        '[default]\nschemes = [{ scheme = "2018", from = "2017-09-20" }]\n'
        '[default.probability_thresholds]\n200 = "persist"\n',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"probability_thresholds\.200"):
        locality("乙", path)
