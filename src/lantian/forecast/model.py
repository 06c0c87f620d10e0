"""The trained forecast model: a distribution of each target around a damped persistence.

For each target series (``aqi``, ``PM2.5``, ``O3_8h``) and lead day, pooled over every city of the
history (the city is a categorical feature), trained on the rows whose target day is *before* the
issue time:

1. **Anchor** — a *damped persistence* ``b = c + ρ·(p − c)``, with ``p`` the series the day before
   issue, ``c`` its climatology (:func:`.baselines.climatology`) and ``ρ`` the least-squares
   coefficient on the training rows (``p`` alone where ``c`` is unknown). ρ = 1 is persistence.
2. **Location** — gradient-boosted regression trees (scikit-learn
   :class:`~sklearn.ensemble.HistGradientBoostingRegressor`) on the *log ratio* ``log(y / b)`` of
   the observation to the anchor, over :mod:`.features`. Working in ratios makes an error of 20 on a
   day of 250 as small as one of 4 on a day of 50, so the trees are not pulled towards the mean by
   the many clean days; rows of heavy days (observed or last AQI above the top of HJ 633 level 3)
   weigh :data:`HEAVY_WEIGHT` times more. The trees are kept only when they lower the mean absolute
   error of the anchor on the latest :data:`HOLDOUT_SHARE` of the rows after being fitted on the
   earlier ones; otherwise the model *is* the damped persistence — persistence is a special case
   the model falls back to, not a baseline it cannot reach.
3. **Spread** — the predictive distribution of ``log(y / b)`` is the location plus the empirical
   distribution of *out-of-sample* residuals: those of the trial trees on the held-out rows (or of
   the anchor alone when there are no trees; with fewer than :data:`MIN_RESIDUALS` held-out rows,
   all rows), after removing their least-squares drift with the forecast's level (a + b·log ŷ,
   b ≤ 0: a high forecast overshoots more often than a low one). ``P(AQI > T)`` is the share of
   that distribution, drift restored, above ``log(T / ŷ)`` — a
   non-parametric, heteroscedastic (multiplicative) distribution that needs no assumption on the
   tails, calibrated on errors the model actually made on days it had not seen.

The point forecast is the distribution's **median** (``b·exp(location + median residual)``): the
mean absolute error, by which forecasts are scored, is smallest at the median; the distribution's
mean is :func:`predict`'s ``mean`` output. Forecasts are clipped at 0. A fit of every target and
lead on a year of 14 cities takes a few seconds, so :func:`fit` is simply called again ("retrain
on demand"); nothing is pickled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

from lantian.forecast.baselines import climatology, shift_days
from lantian.forecast.features import Design, design
from lantian.forecast.history import CityHistory
from lantian.forecast.verification import event_thresholds

if TYPE_CHECKING:  # scikit-learn takes ~2 s to import: only commands that train load it
    from sklearn.ensemble import HistGradientBoostingRegressor

FloatArray = npt.NDArray[np.float64]

MODEL_NAME = "gbrt"
MODEL_VERSION = "3"
"""Bumped when features or hyper-parameters change; stored with every forecast.
2: blend with the baselines, out-of-sample residual distribution, exceedance probabilities;
3: the residuals' drift with the forecast's level."""
TARGETS = ("aqi", "PM2.5", "O3_8h")
LEADS = (1, 2, 3)
MIN_TRAINING_ROWS = 60
"""Fewer known rows than this: the lead is forecast as persistence."""
MIN_BOOSTED_ROWS = 700
"""Fewer rows than this (50 days of 14 cities): damped persistence without trees."""
MIN_RESIDUALS = 300
"""Fewer held-out residuals than this: the spread comes from all training rows."""
HOLDOUT_SHARE = 0.25
BLEND_STEP = 0.1
"""Step of the blend weights of boosted forecast, persistence and climatology [1]."""
HEAVY_WEIGHT = 3.0
"""Weight of a heavy-day row (observed or last AQI above the top of HJ 633 level 3) [1]."""
FLOOR = 1.0
"""Values are floored at this before taking logs [AQI; µg/m³]."""
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
    """Fitted parts by (target, lead), and the issue index they were trained for."""

    trained_for_issue: int
    use_weather: bool
    regressors: dict[tuple[str, int], HistGradientBoostingRegressor] = field(default_factory=dict)
    damping: dict[tuple[str, int], float] = field(default_factory=dict)
    """ρ of the damped persistence by (target, lead)."""
    blend: dict[tuple[str, int], FloatArray] = field(default_factory=dict)
    """Weights of (boosted forecast, persistence, climatology) by (target, lead)."""
    residuals: dict[tuple[str, int], FloatArray] = field(default_factory=dict)
    """Sorted out-of-sample residuals of ``log(y / ŷ)`` by (target, lead), level drift removed."""
    shift: dict[tuple[str, int], tuple[float, float]] = field(default_factory=dict)
    """(a, b) of the log ratio's drift a + b·log ŷ with the forecast's level, by (target, lead)."""
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


def _log(values: FloatArray) -> FloatArray:
    return np.log(np.maximum(values, FLOOR))


def _new_regressor(city_column: int) -> HistGradientBoostingRegressor:
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(categorical_features=[city_column], **HYPER_PARAMETERS)


def _fitted(x: FloatArray, y: FloatArray, weight: FloatArray, city_column: int):
    regressor = _new_regressor(city_column)
    with threadpool_limits(FIT_THREADS):
        regressor.fit(x, y, sample_weight=weight)
    return regressor


def blend_grid(step: float = BLEND_STEP) -> FloatArray:
    """Every (model, persistence, climatology) weight triple on the simplex, ``step`` apart."""
    n = round(1 / step)
    triples = [(i, j, n - i - j) for i in range(n + 1) for j in range(n + 1 - i)]
    return np.asarray(triples, dtype=np.float64) / n


def best_blend(candidates: FloatArray, observed: FloatArray) -> FloatArray:
    """The weights of :func:`blend_grid` whose mix of ``candidates`` (rows, 3) has the least mean
    absolute error against ``observed``; ties go to the first (the most model-heavy) triple."""
    grid = blend_grid()
    errors = np.abs(candidates @ grid.T - observed[:, None]).mean(axis=0)
    return grid[int(np.argmin(errors))]


def _candidates(boosted: FloatArray, last: FloatArray, normal: FloatArray) -> FloatArray:
    """(rows, 3): the boosted forecast, persistence, climatology (persistence where unknown)."""
    return np.stack([boosted, last, np.where(np.isnan(normal), last, normal)], axis=1)


def _location_and_spread(
    x: FloatArray,
    observed: FloatArray,
    anchor: FloatArray,
    baselines: tuple[FloatArray, FloatArray],
    weight: FloatArray,
    city_column: int,
) -> tuple[HistGradientBoostingRegressor | None, FloatArray, FloatArray]:
    """Trees on the anchor's residual, the blend weights and the spread, from held-out rows.

    Rows come in issue order. Trial trees are fitted on the earliest ``1 − HOLDOUT_SHARE`` of
    the rows; on the latest, the blend of their forecast with persistence and climatology of the
    least mean absolute error is chosen (:func:`best_blend`; weight 1 on persistence *is*
    persistence), and the held-out log ratios ``log(y / ŷ)`` of the blend are the spread. The
    trees are then refitted on all rows. With fewer than :data:`MIN_BOOSTED_ROWS` rows there are
    no trees (the anchor stands for them); with fewer than :data:`MIN_RESIDUALS` held-out rows,
    blend and spread come from all rows.
    """
    split = int(len(observed) * (1 - HOLDOUT_SHARE))
    residual = observed - anchor
    last, normal = baselines
    if len(observed) < MIN_BOOSTED_ROWS:
        regressor, boosted = None, anchor
        if len(observed) - split < MIN_RESIDUALS:
            split = 0
    else:
        trial = _fitted(x[:split], residual[:split], weight[:split], city_column)
        with threadpool_limits(FIT_THREADS):
            boosted = np.concatenate([anchor[:split], anchor[split:] + trial.predict(x[split:])])
        regressor = _fitted(x, residual, weight, city_column)
    held_out = slice(split, None)
    candidates = _candidates(np.maximum(boosted, 0.0), last, normal)[held_out]
    weights = best_blend(candidates, observed[held_out])
    blended = candidates @ weights
    shift, spread = level_shift(_log(blended), _log(observed[held_out]) - _log(blended))
    return regressor, weights, shift, spread


def level_shift(level: FloatArray, ratio: FloatArray) -> tuple[tuple[float, float], FloatArray]:
    """The log ratio's drift with the forecast's level, and what is left: ``r = a + b·log ŷ + e``
    by least squares, b in [−1, 0] (a high forecast overshoots more than a low one: regression
    towards the mean); returns ((a, b), sorted e). Without spread in the levels, b = 0."""
    centred = level - level.mean()
    denominator = float((centred**2).sum())
    slope = float(np.clip((centred * ratio).sum() / denominator, -1.0, 0.0)) if denominator else 0.0
    intercept = float((ratio - slope * level).mean())
    return (intercept, slope), np.sort(ratio - intercept - slope * level)


def _heavy_rows(history: CityHistory, rows: Design, lead: int) -> npt.NDArray[np.bool_]:
    """Rows whose observed or last-known AQI is above the top of HJ 633 level 3."""
    heavy = event_thresholds(history.standard)[0]
    aqi = history.daily["aqi"]
    observed = aqi[rows.city, rows.issue + lead - 1]
    last = shift_days(aqi, 1)[rows.city, rows.issue]
    with np.errstate(invalid="ignore"):
        return (observed > heavy) | (last > heavy)


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
        weight = np.where(_heavy_rows(history, rows, lead), HEAVY_WEIGHT, 1.0)
        for target in targets:
            observed = history.daily[target][rows.city, target_day]
            last, normal = _baselines(history, target, rows.city, rows.issue)
            keep = ~np.isnan(observed) & ~np.isnan(last)
            if keep.sum() < MIN_TRAINING_ROWS:
                continue
            rho = damping(observed[keep], last[keep], normal[keep])
            anchor = _damped(last, normal, rho)
            model.damping[(target, lead)] = rho
            model.training_rows[(target, lead)] = int(keep.sum())
            in_time = np.flatnonzero(keep)[np.argsort(rows.issue[keep], kind="stable")]
            regressor, weights, shift, spread = _location_and_spread(
                rows.x[in_time],
                observed[in_time],
                anchor[in_time],
                (last[in_time], normal[in_time]),
                weight[in_time],
                city_column,
            )
            model.blend[(target, lead)] = weights
            model.residuals[(target, lead)] = spread
            model.shift[(target, lead)] = shift
            if regressor is not None:
                model.regressors[(target, lead)] = regressor
    return model


@dataclass(frozen=True)
class Distribution:
    """Forecast distributions of one (target, lead) over (cities, issues): ``y = point · exp(r)``
    with ``r`` drawn from ``residuals`` (sorted log ratios)."""

    point: FloatArray
    residuals: FloatArray
    shift: tuple[float, float] = (0.0, 0.0)
    """(a, b): log y = log ŷ + a + b·log ŷ + e, e drawn from ``residuals``."""

    def exceedance(self, threshold: float) -> FloatArray:
        """P(y > ``threshold``) [0–1]; NaN where the forecast is unknown."""
        if not len(self.residuals):
            return np.where(np.isnan(self.point), np.nan, self.point > threshold)
        intercept, slope = self.shift
        with np.errstate(invalid="ignore"):
            level = _log(self.point)
            needed = np.log(threshold) - level - intercept - slope * level
        below = np.searchsorted(self.residuals, needed, side="right")
        share = 1.0 - below / len(self.residuals)
        return np.where(np.isnan(self.point), np.nan, share)


def distributions(
    model: ForecastModel,
    history: CityHistory,
    issues: npt.ArrayLike,
    weather: dict[str, FloatArray] | None = None,
    targets: tuple[str, ...] = TARGETS,
    leads: tuple[int, ...] = LEADS,
) -> dict[tuple[str, int], Distribution]:
    """Forecast distributions by (target, lead), each over (cities, issues).

    ``issues`` may not precede the issue the model was trained for: a model never sees a target
    day that a later issue could not have known, but an earlier issue would be trained on its own
    future. A (target, lead) the model could not train is persistence with no spread.
    """
    issue = np.atleast_1d(np.asarray(issues, dtype=np.int64))
    if issue.min() < model.trained_for_issue:
        raise ValueError(
            f"model trained for issue index {model.trained_for_issue} cannot forecast from "
            f"issue {int(issue.min())}: it has seen later days"
        )
    n_cities = len(history.cities)
    out: dict[tuple[str, int], Distribution] = {}
    for lead in leads:
        rows = design(history, lead, issue, weather if model.use_weather else None)
        for target in targets:
            last, normal = _baselines(history, target, rows.city, rows.issue)
            anchor = _damped(last, normal, model.damping.get((target, lead), 1.0))
            regressor = model.regressors.get((target, lead))
            change = regressor.predict(rows.x) if regressor is not None else 0.0
            weights = model.blend.get((target, lead), np.array([1.0, 0.0, 0.0]))
            point = _candidates(np.maximum(anchor + change, 0.0), last, normal) @ weights
            out[(target, lead)] = Distribution(
                point.reshape(n_cities, len(issue)),
                model.residuals.get((target, lead), np.empty(0)),
                model.shift.get((target, lead), (0.0, 0.0)),
            )
    return out


def predict(
    model: ForecastModel,
    history: CityHistory,
    issues: npt.ArrayLike,
    weather: dict[str, FloatArray] | None = None,
    targets: tuple[str, ...] = TARGETS,
    leads: tuple[int, ...] = LEADS,
) -> dict[tuple[str, int], FloatArray]:
    """Point forecasts (the medians) by (target, lead), each (cities, issues): NaN where the last
    day is unknown. See :func:`distributions`."""
    found = distributions(model, history, issues, weather, targets, leads)
    return {key: d.point for key, d in found.items()}
