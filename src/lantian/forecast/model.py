"""The trained forecast model: gradient-boosted regression trees over :mod:`.features`.

One :class:`~sklearn.ensemble.HistGradientBoostingRegressor` per target series (``aqi``,
``PM2.5``, ``O3_8h``) and lead day, pooled over every city of the history (the city is a
categorical feature), trained on the rows whose target day is *before* the issue time. Missing
values (invalid days, absent weather) are left to the trees' native NaN handling.

Each regressor learns the departure from a *damped persistence*: ``c + ρ·(p − c)`` with ``p`` the
series the day before issue, ``c`` its climatology (:func:`.baselines.climatology`) and ``ρ`` the
least-squares coefficient on the training rows (one per target and lead; ``p`` alone where ``c``
is unknown). Damped persistence is the best linear mix of the two baselines; the trees add what
the features explain beyond it. Forecasts are clipped at 0. Retraining is cheap (about 5 s for every target and
lead on a year of 14 cities), so :func:`fit` is simply called again ("retrain on demand"); nothing is
pickled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

from lantian.forecast.baselines import climatology, shift_days
from lantian.forecast.features import design
from lantian.forecast.history import CityHistory

if TYPE_CHECKING:  # scikit-learn takes ~2 s to import: only commands that train load it
    from sklearn.ensemble import HistGradientBoostingRegressor

FloatArray = npt.NDArray[np.float64]

MODEL_NAME = "gbrt"
MODEL_VERSION = "1"
"""Bumped when features or hyper-parameters change; stored with every forecast."""
TARGETS = ("aqi", "PM2.5", "O3_8h")
LEADS = (1, 2, 3)
MIN_TRAINING_ROWS = 60
"""Fewer known rows than this: the lead is forecast as persistence."""
MIN_BOOSTED_ROWS = 700
"""Fewer rows than this (50 days of 14 cities): damped persistence without trees."""
HOLDOUT_SHARE = 0.25
FIT_THREADS = 1
"""A few thousand rows fit fastest on one thread (OpenMP start-up dominates, worse on busy hosts)."""
HYPER_PARAMETERS = {
    "loss": "squared_error",
    "learning_rate": 0.1,
    "max_iter": 100,
    "max_bins": 63,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 20,
    "l2_regularization": 1.0,
    "early_stopping": False,
    "random_state": 0,
}


@dataclass
class ForecastModel:
    """Fitted regressors by (target, lead), and the issue index they were trained for."""

    trained_for_issue: int
    use_weather: bool
    regressors: dict[tuple[str, int], HistGradientBoostingRegressor] = field(default_factory=dict)
    damping: dict[tuple[str, int], float] = field(default_factory=dict)
    """ρ of the damped persistence by (target, lead)."""
    training_rows: dict[tuple[str, int], int] = field(default_factory=dict)


def _baselines(
    history: CityHistory, target: str, city: npt.NDArray[np.int64], issue: npt.NDArray[np.int64]
) -> tuple[FloatArray, FloatArray]:
    """(persistence, climatology) of ``target`` known at each row's issue."""
    series = history.daily[target]
    return shift_days(series, 1)[city, issue], climatology(series, 1)[city, issue]


def damping(observed: FloatArray, last: FloatArray, normal: FloatArray) -> float:
    """Least-squares ρ of ``observed − c ≈ ρ (p − c)`` over rows where ``c`` is known, in [0, 1]."""
    known = ~np.isnan(normal)
    anomaly = (last - normal)[known]
    denominator = float((anomaly**2).sum())
    if denominator == 0.0:
        return 1.0
    return float(np.clip(((observed - normal)[known] * anomaly).sum() / denominator, 0.0, 1.0))


def _damped(last: FloatArray, normal: FloatArray, rho: float) -> FloatArray:
    return np.where(np.isnan(normal), last, normal + rho * (last - normal))


def _new_regressor(city_column: int) -> HistGradientBoostingRegressor:
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(categorical_features=[city_column], **HYPER_PARAMETERS)


def _boosted_correction(
    x: FloatArray, residual: FloatArray, city_column: int
) -> HistGradientBoostingRegressor | None:
    """Trees on the residual of the damped persistence, kept only if they help out of sample.

    Rows come in issue order; the trees are first fitted on the
    earliest ``1 − HOLDOUT_SHARE`` of the rows and scored on the latest: if their mean absolute
    error there is not below that of no correction, the lead keeps the damped persistence alone.
    Otherwise they are refitted on all rows. Fewer than :data:`MIN_BOOSTED_ROWS` rows: no trees.
    """
    if len(residual) < MIN_BOOSTED_ROWS:
        return None
    split = int(len(residual) * (1 - HOLDOUT_SHARE))
    trial = _new_regressor(city_column)
    with threadpool_limits(FIT_THREADS):
        trial.fit(x[:split], residual[:split])
        corrected = np.abs(residual[split:] - trial.predict(x[split:])).mean()
    if corrected >= np.abs(residual[split:]).mean():
        return None
    final = _new_regressor(city_column)
    with threadpool_limits(FIT_THREADS):
        final.fit(x, residual)
    return final


def fit(
    history: CityHistory,
    issue: int,
    weather: dict[str, FloatArray] | None = None,
    targets: tuple[str, ...] = TARGETS,
    leads: tuple[int, ...] = LEADS,
) -> ForecastModel:
    """Train on every row whose target day is known at issue index ``issue`` (days ``< issue``).

    A (target, lead) with fewer than :data:`MIN_TRAINING_ROWS` known rows gets no regressor and
    is forecast as persistence.
    """
    model = ForecastModel(trained_for_issue=issue, use_weather=bool(weather))
    for lead in leads:
        issues = np.arange(1, issue - lead + 1)  # target day issue' + lead − 1 ≤ issue − 1
        rows = design(history, lead, issues, weather)
        target_day = rows.issue + lead - 1
        city_column = rows.names.index("city")
        for target in targets:
            observed = history.daily[target][rows.city, target_day]
            last, normal = _baselines(history, target, rows.city, rows.issue)
            keep = ~np.isnan(observed) & ~np.isnan(last)
            if keep.sum() < MIN_TRAINING_ROWS:
                continue
            rho = damping(observed[keep], last[keep], normal[keep])
            base = _damped(last, normal, rho)
            model.damping[(target, lead)] = rho
            model.training_rows[(target, lead)] = int(keep.sum())
            in_time = np.flatnonzero(keep)[np.argsort(rows.issue[keep], kind="stable")]
            regressor = _boosted_correction(
                rows.x[in_time], (observed - base)[in_time], city_column
            )
            if regressor is not None:
                model.regressors[(target, lead)] = regressor
    return model


def predict(
    model: ForecastModel,
    history: CityHistory,
    issues: npt.ArrayLike,
    weather: dict[str, FloatArray] | None = None,
    targets: tuple[str, ...] = TARGETS,
    leads: tuple[int, ...] = LEADS,
) -> dict[tuple[str, int], FloatArray]:
    """Forecasts by (target, lead), each (cities, issues): NaN where the last day is unknown.

    ``issues`` may not precede the issue the model was trained for: a model never sees a target
    day that a later issue could not have known, but an earlier issue would be trained on its own
    future.
    """
    issue = np.atleast_1d(np.asarray(issues, dtype=np.int64))
    if issue.min() < model.trained_for_issue:
        raise ValueError(
            f"model trained for issue index {model.trained_for_issue} cannot forecast from "
            f"issue {int(issue.min())}: it has seen later days"
        )
    n_cities = len(history.cities)
    out: dict[tuple[str, int], FloatArray] = {}
    for lead in leads:
        rows = design(history, lead, issue, weather if model.use_weather else None)
        for target in targets:
            last, normal = _baselines(history, target, rows.city, rows.issue)
            base = _damped(last, normal, model.damping.get((target, lead), 1.0))
            regressor = model.regressors.get((target, lead))
            change = regressor.predict(rows.x) if regressor is not None else 0.0
            forecast = np.clip(base + change, 0.0, None)
            out[(target, lead)] = forecast.reshape(n_cities, len(issue))
    return out
