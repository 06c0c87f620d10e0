"""Rolling-origin backtest: every forecast made as it would have been, from data before its issue.

For each issue index *i* from ``start`` to the end of the history: the model last trained at an
issue *i₀ ≤ i* (retrained every ``retrain_days``; trained only on target days before *i₀*)
forecasts leads 1 … 3 from features of days ``< i``; persistence and climatology forecast the
same days. Scores (:mod:`.verification`) are computed on the pairs all three have, per lead, for
one city and for every city of the history pooled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lantian.forecast.baselines import BASELINES, EXCEEDANCE
from lantian.forecast.history import CityHistory
from lantian.forecast.model import LEADS, MODEL_NAME, distributions, fit
from lantian.forecast.verification import (
    contingency,
    event_thresholds,
    probability_thresholds,
    reliability,
    scores,
)
from lantian.forecast.warnings import PERSISTENCE, Locality, decide_daily, level_table

FloatArray = npt.NDArray[np.float64]

WARM_UP_DAYS = 28
"""Default first issue: day 29 of the history (2019-01-29 for a calendar year), so that the winter
episodes are scored; until :data:`.model.MIN_BOOSTED_ROWS` rows are known the model is the damped
persistence alone."""
RETRAIN_DAYS = 7
DECISION_GRID = np.round(np.arange(0.05, 0.951, 0.025), 3)
"""Probability thresholds tried by :func:`tuned_decision`."""


def exceedance_key(threshold: float) -> str:
    """The key of the forecast probability of AQI > ``threshold`` (``aqi>200``)."""
    return f"aqi>{threshold:g}"


@dataclass(frozen=True)
class Backtest:
    """The forecasts of a backtest: ``forecasts[(model, lead)]`` is (cities, issues) of daily AQI,
    ``probabilities[(model, lead)][T]`` of P(AQI > T)."""

    history: CityHistory
    issues: npt.NDArray[np.int64]
    forecasts: dict[tuple[str, int], FloatArray]
    probabilities: dict[tuple[str, int], dict[int, FloatArray]]
    weather: bool = False

    def observed(self, lead: int) -> FloatArray:
        """Observed AQI of each forecast's target day, (cities, issues); NaN past the history."""
        target = self.issues + lead - 1
        inside = target < self.history.n_days
        values = np.full((len(self.history.cities), len(self.issues)), np.nan)
        values[:, inside] = self.history.daily["aqi"][:, target[inside]]
        return values

    @property
    def models(self) -> list[str]:
        return list(dict.fromkeys(name for name, _ in self.forecasts))


def _on_issues(by_target: FloatArray, issues: npt.NDArray[np.int64], lead: int) -> FloatArray:
    """A baseline's (cities, target days) array picked at each issue's target day."""
    n_days = by_target.shape[1]
    values = by_target[:, np.minimum(issues + lead - 1, n_days - 1)]
    values[:, issues + lead - 1 >= n_days] = np.nan
    return values


def run_backtest(
    history: CityHistory,
    start: int = WARM_UP_DAYS,
    retrain_days: int = RETRAIN_DAYS,
    weather: dict[str, FloatArray] | None = None,
) -> Backtest:
    """Forecast daily AQI and its exceedance probabilities from every issue index
    ``start … n_days − 1`` with every model."""
    if not 1 <= start < history.n_days:
        raise ValueError(f"start must be within 1 … {history.n_days - 1}, got {start}")
    issues = np.arange(start, history.n_days)
    thresholds = probability_thresholds(history.standard)
    aqi = history.daily["aqi"]
    forecasts: dict[tuple[str, int], FloatArray] = {}
    probabilities: dict[tuple[str, int], dict[int, FloatArray]] = {}
    for name, method in BASELINES.items():
        for lead in LEADS:
            forecasts[(name, lead)] = _on_issues(method(aqi, lead), issues, lead)
            probabilities[(name, lead)] = {
                t: _on_issues(EXCEEDANCE[name](aqi, lead, t), issues, lead) for t in thresholds
            }
    predicted = model_forecasts(history, issues, retrain_days, weather, ("aqi",), thresholds)
    for lead in LEADS:
        forecasts[(MODEL_NAME, lead)] = predicted[("aqi", lead)]
        probabilities[(MODEL_NAME, lead)] = {
            t: predicted[(exceedance_key(t), lead)] for t in thresholds
        }
    return Backtest(history, issues, forecasts, probabilities, bool(weather))


def model_forecasts(
    history: CityHistory,
    issues: npt.ArrayLike,
    retrain_days: int = RETRAIN_DAYS,
    weather: dict[str, FloatArray] | None = None,
    targets: tuple[str, ...] = ("aqi",),
    thresholds: tuple[int, ...] | list[int] = (),
) -> dict[tuple[str, int], FloatArray]:
    """The model's forecasts from consecutive ``issues``, retrained every ``retrain_days``.

    Keys ``(target, lead)``: the point forecast (median); ``(exceedance_key(T), lead)``: P(AQI >
    T) for each of ``thresholds`` (needs ``aqi`` among the targets). Each block of issues is
    forecast by a model trained for the block's first issue, i.e. on target days before it: no
    forecast uses a day at or after its own issue.
    """
    issue = np.asarray(issues, dtype=np.int64)
    blocks: dict[tuple[str, int], list[FloatArray]] = {}
    for first in range(int(issue[0]), int(issue[-1]) + 1, retrain_days):
        block = issue[(issue >= first) & (issue < first + retrain_days)]
        model = fit(history, first, weather, targets=targets)
        for (target, lead), found in distributions(
            model, history, block, weather, targets=targets
        ).items():
            blocks.setdefault((target, lead), []).append(found.point)
            if target == "aqi":
                for t in thresholds:
                    blocks.setdefault((exceedance_key(t), lead), []).append(found.exceedance(t))
    return {key: np.concatenate(parts, axis=1) for key, parts in blocks.items()}


def _common(backtest: Backtest, lead: int, rows_of) -> npt.NDArray[np.bool_]:
    """Pairs where the observation and every model's forecast and probabilities exist."""
    common = ~np.isnan(backtest.observed(lead)[rows_of])
    for model in backtest.models:
        common &= ~np.isnan(backtest.forecasts[(model, lead)][rows_of])
        for values in backtest.probabilities[(model, lead)].values():
            common &= ~np.isnan(values[rows_of])
    return common


def _rows_of(backtest: Backtest, city: str | None):
    return slice(None) if city is None else [backtest.history.city_index(city)]


EventDecision = Mapping[int, Sequence[float | str]]
"""AQI threshold T → per lead, the decision probability at which the model forecasts AQI > T, or
:data:`PERSISTENCE` (the event is forecast when persistence's AQI exceeds T)."""


def model_events(backtest: Backtest, lead: int, t: int, decision: Sequence[float | str]):
    """The model's forecast of the event AQI > ``t`` at ``lead``, (cities, issues): its
    probability at or above ``decision[lead − 1]``, or persistence's rounded AQI above ``t``."""
    chosen = decision[lead - 1]
    if chosen == PERSISTENCE:
        return np.rint(backtest.forecasts[(PERSISTENCE, lead)]) > t
    with np.errstate(invalid="ignore"):
        return backtest.probabilities[(MODEL_NAME, lead)][t] >= float(chosen)


def score_table(
    backtest: Backtest,
    city: str | None = None,
    decision: EventDecision | None = None,
    by_city: Mapping[str, EventDecision] | None = None,
) -> list[dict[str, object]]:
    """One row per (lead, model): the scores of ``city`` (or of all cities pooled, ``None``).

    Every model is scored on the same (city, target day) pairs: those where the observation and
    all models' forecasts exist. The model forecasts an event as :func:`model_events` does with
    ``decision`` — or with ``by_city[c]`` on city c's rows (each city's own decision, e.g. one
    chosen without it) — and by default from its point forecast, as the baselines do.
    """
    rows_of = _rows_of(backtest, city)
    decisions = [by_city[c] for c in backtest.history.cities] if by_city else None
    table = []
    for lead in LEADS:
        observed = backtest.observed(lead)[rows_of]
        common = _common(backtest, lead, rows_of)
        for name in backtest.models:
            probability = {
                t: p[rows_of][common] for t, p in backtest.probabilities[(name, lead)].items()
            }
            events = None
            if name == MODEL_NAME and (decision or decisions):
                events = {
                    t: _events(backtest, lead, t, decision, decisions)[rows_of][common]
                    for t in (decision or decisions[0])
                    if t in probability
                }
            table.append(
                {
                    "scope": city or "all",
                    "lead": lead,
                    "model": name,
                    **scores(
                        backtest.forecasts[(name, lead)][rows_of][common],
                        observed[common],
                        backtest.history.standard,
                        probability,
                        events=events,
                    ),
                }
            )
    return table


def _events(backtest, lead, t, decision, decisions) -> npt.NDArray[np.bool_]:
    if decisions is None:
        return model_events(backtest, lead, t, decision[t])
    rows = [model_events(backtest, lead, t, d[t])[k] for k, d in enumerate(decisions)]
    return np.stack(rows)


def reliability_table(backtest: Backtest, city: str | None = None) -> list[dict[str, object]]:
    """The reliability diagram's points per (lead, model, threshold) of ``city`` or all cities."""
    rows_of = _rows_of(backtest, city)
    table = []
    for lead in LEADS:
        observed = backtest.observed(lead)[rows_of]
        common = _common(backtest, lead, rows_of)
        for name in backtest.models:
            for t, p in backtest.probabilities[(name, lead)].items():
                for point in reliability(p[rows_of][common], observed[common] > t):
                    table.append(
                        {"scope": city or "all", "lead": lead, "model": name, "threshold": t}
                        | point
                    )
    return table


def tuned_decision(
    backtest: Backtest, cities: Sequence[str] | None = None
) -> dict[int, list[float | str]]:
    """Per probability threshold T and lead, the decision among :data:`DECISION_GRID` and
    :data:`PERSISTENCE` with the best equitable threat score of AQI > T pooled over ``cities``
    (default all) among those whose hit rate is at least and whose false-alarm ratio at most
    persistence's (a model that neither misses nor false-alarms more than persistence; persistence
    itself always qualifies, so the model falls back to it where no probability beats it); where
    no ETS is defined, the best ETS of all. Ties: the lowest probability, persistence last.
    Leads without an observed event keep the previous lead's (lead 1: the grid's middle)."""
    rows = slice(None) if cities is None else [backtest.history.city_index(c) for c in cities]
    best: dict[int, list[float | str]] = {}
    for t in probability_thresholds(backtest.history.standard):
        best[t] = []
        for lead in LEADS:
            common = _common(backtest, lead, rows)
            happened = backtest.observed(lead)[rows][common] > t
            p = backtest.probabilities[(MODEL_NAME, lead)][t][rows][common]
            persistence = np.rint(backtest.forecasts[(PERSISTENCE, lead)][rows][common]) > t
            reference = contingency(persistence, happened)
            tables = [contingency(p >= g, happened) for g in DECISION_GRID] + [reference]
            candidates = [float(g) for g in DECISION_GRID] + [PERSISTENCE]
            ets = np.asarray([-np.inf if k["ets"] is None else k["ets"] for k in tables])
            if not happened.any() or not np.isfinite(ets).any():
                best[t].append(best[t][-1] if best[t] else float(np.median(DECISION_GRID)))
                continue
            no_worse = np.asarray([_no_worse(k, reference) for k in tables])
            pool = np.where(no_worse, ets, -np.inf) if no_worse.any() else ets
            best[t].append(candidates[int(np.argmax(pool))])
    return best


def cross_validated_decision(backtest: Backtest) -> dict[str, dict[int, list[float | str]]]:
    """Leave-one-city-out: per city, the decision :func:`tuned_decision` chooses on every *other*
    city of the backtest, so that scoring each city with its own (:func:`score_table`
    ``by_city``) scores the tuning out of sample. Needs at least two cities."""
    cities = backtest.history.cities
    if len(cities) < 2:
        raise ValueError("leave-one-city-out needs at least two cities")
    return {c: tuned_decision(backtest, [o for o in cities if o != c]) for c in cities}


def _no_worse(table: dict[str, object], reference: dict[str, object]) -> bool:
    """Hit rate ≥ and false-alarm ratio ≤ the reference's (an undefined ratio counts as worst)."""
    hit, far = table["hit_rate"], table["false_alarm_ratio"]
    reference_hit = reference["hit_rate"] or 0.0
    reference_far = (
        1.0 if reference["false_alarm_ratio"] is None else reference["false_alarm_ratio"]
    )
    return hit is not None and far is not None and hit >= reference_hit and far <= reference_far


NO_WARNING = "none"
OBSERVED_DAYS = 4
"""Observed days before the issue joined to the forecast in a warning decision (as the service)."""


def warning_levels(
    backtest: Backtest,
    settings: Callable[[str], Locality],
    city: str | None = None,
) -> dict[str, npt.NDArray[np.object_]]:
    """The warning level each model's forecast calls for at each (city, issue), and the level
    the observed AQI calls for (a perfect forecast: ``observed``), for issues whose three target
    days are all observed and forecast. ``settings(city)`` gives the city's locality (scheme,
    decision probabilities). Levels are ``yellow`` … or :data:`NO_WARNING`.
    """
    history = backtest.history
    cities = history.cities if city is None else [city]
    aqi = history.daily["aqi"]
    found: dict[str, list[str]] = {name: [] for name in ["observed", *backtest.models]}
    for name in cities:
        row = history.city_index(name)
        local = settings(name)
        for k, issue in enumerate(backtest.issues):
            if issue + max(LEADS) > history.n_days:
                continue
            truth = aqi[row, issue : issue + max(LEADS)]
            forecasts = {
                m: [backtest.forecasts[(m, lead)][row, k] for lead in LEADS]
                for m in backtest.models
            }
            if np.isnan(truth).any() or any(np.isnan(v).any() for v in forecasts.values()):
                continue
            day = history.first_day + dt.timedelta(days=int(issue))
            before = aqi[row, max(issue - OBSERVED_DAYS, 0) : issue]
            found["observed"].append(decide_daily(before, truth, local, day).level or NO_WARNING)
            for model, values in forecasts.items():
                probabilities = None
                if model == MODEL_NAME:
                    probabilities = {
                        t: [backtest.probabilities[(model, lead)][t][row, k] for lead in LEADS]
                        for t in backtest.probabilities[(model, LEADS[0])]
                    }
                decision = decide_daily(before, np.rint(values), local, day, probabilities)
                found[model].append(decision.level or NO_WARNING)
    return {name: np.asarray(levels, dtype=object) for name, levels in found.items()}


def warning_confusion(levels: dict[str, npt.NDArray[np.object_]]) -> list[dict[str, object]]:
    """Per model, the count of each (forecast level, observed level) pair, every pair listed."""
    names = [NO_WARNING, *(r["level"] for r in level_table())]
    observed = levels["observed"]
    return [
        {
            "model": model,
            "forecast_level": forecast_level,
            **{
                f"observed_{o}": int(((values == forecast_level) & (observed == o)).sum())
                for o in names
            },
        }
        for model, values in levels.items()
        if model != "observed"
        for forecast_level in names
    ]


def issue_days(backtest: Backtest) -> list[dt.date]:
    """The issue dates of a backtest (each forecast issued at 00:00 of its day)."""
    return [backtest.history.first_day + dt.timedelta(days=int(i)) for i in backtest.issues]


__all__ = ["event_thresholds"]
