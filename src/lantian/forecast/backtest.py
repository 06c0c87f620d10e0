"""Rolling-origin backtest: every forecast made as it would have been, from data before its issue.

For each issue index *i* from ``start`` to the end of the history: the model last trained at an
issue *i₀ ≤ i* (retrained every ``retrain_days``; trained only on target days before *i₀*)
forecasts leads 1 … 3 from features of days ``< i``; persistence and climatology forecast the
same days. Scores (:mod:`.verification`) are computed on the pairs all three have, per lead, for
one city and for every city of the history pooled.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lantian.forecast.baselines import BASELINES
from lantian.forecast.history import CityHistory
from lantian.forecast.model import LEADS, MODEL_NAME, fit, predict
from lantian.forecast.verification import scores

FloatArray = npt.NDArray[np.float64]

WARM_UP_DAYS = 28
"""Default first issue: day 29 of the history (2019-01-29 for a calendar year), so that the winter
episodes are scored; until :data:`.model.MIN_BOOSTED_ROWS` rows are known the model is the damped
persistence alone."""
RETRAIN_DAYS = 7


@dataclass(frozen=True)
class Backtest:
    """The forecasts of a backtest: ``forecasts[(model, lead)]`` is (cities, issues) of daily AQI."""

    history: CityHistory
    issues: npt.NDArray[np.int64]
    forecasts: dict[tuple[str, int], FloatArray]

    def observed(self, lead: int) -> FloatArray:
        """Observed AQI of each forecast's target day, (cities, issues); NaN past the history."""
        target = self.issues + lead - 1
        inside = target < self.history.n_days
        values = np.full((len(self.history.cities), len(self.issues)), np.nan)
        values[:, inside] = self.history.daily["aqi"][:, target[inside]]
        return values


def run_backtest(
    history: CityHistory,
    start: int = WARM_UP_DAYS,
    retrain_days: int = RETRAIN_DAYS,
    weather: dict[str, FloatArray] | None = None,
) -> Backtest:
    """Forecast daily AQI from every issue index ``start … n_days − 1`` with every model."""
    if not 1 <= start < history.n_days:
        raise ValueError(f"start must be within 1 … {history.n_days - 1}, got {start}")
    issues = np.arange(start, history.n_days)
    forecasts: dict[tuple[str, int], FloatArray] = {}
    for name, method in BASELINES.items():
        for lead in LEADS:
            by_target = method(history.daily["aqi"], lead)
            target = np.minimum(issues + lead - 1, history.n_days - 1)
            values = by_target[:, target]
            values[:, issues + lead - 1 >= history.n_days] = np.nan
            forecasts[(name, lead)] = values
    predicted = model_forecasts(history, issues, retrain_days, weather, targets=("aqi",))
    for lead in LEADS:
        forecasts[(MODEL_NAME, lead)] = predicted[("aqi", lead)]
    return Backtest(history, issues, forecasts)


def model_forecasts(
    history: CityHistory,
    issues: npt.ArrayLike,
    retrain_days: int = RETRAIN_DAYS,
    weather: dict[str, FloatArray] | None = None,
    targets: tuple[str, ...] = ("aqi",),
) -> dict[tuple[str, int], FloatArray]:
    """The model's forecasts from consecutive ``issues``, retrained every ``retrain_days``.

    Each block of issues is forecast by a model trained for the block's first issue, i.e. on
    target days before it: no forecast uses a day at or after its own issue.
    """
    issue = np.asarray(issues, dtype=np.int64)
    blocks: dict[tuple[str, int], list[FloatArray]] = {}
    for first in range(int(issue[0]), int(issue[-1]) + 1, retrain_days):
        block = issue[(issue >= first) & (issue < first + retrain_days)]
        model = fit(history, first, weather, targets=targets)
        for key, values in predict(model, history, block, weather, targets=targets).items():
            blocks.setdefault(key, []).append(values)
    return {key: np.concatenate(parts, axis=1) for key, parts in blocks.items()}


def score_table(backtest: Backtest, city: str | None = None) -> list[dict[str, object]]:
    """One row per (lead, model): the scores of ``city`` (or of all cities pooled, ``None``).

    Every model is scored on the same (city, target day) pairs: those where the observation and
    all models' forecasts exist.
    """
    rows_of = slice(None) if city is None else [backtest.history.city_index(city)]
    models = list(dict.fromkeys(name for name, _ in backtest.forecasts))
    table = []
    for lead in LEADS:
        observed = backtest.observed(lead)[rows_of]
        forecasts = {m: backtest.forecasts[(m, lead)][rows_of] for m in models}
        common = ~np.isnan(observed)
        for values in forecasts.values():
            common &= ~np.isnan(values)
        for name in models:
            table.append(
                {
                    "scope": city or "all",
                    "lead": lead,
                    "model": name,
                    **scores(forecasts[name][common], observed[common], backtest.history.standard),
                }
            )
    return table


def issue_days(backtest: Backtest) -> list[dt.date]:
    """The issue dates of a backtest (each forecast issued at 00:00 of its day)."""
    return [backtest.history.first_day + dt.timedelta(days=int(i)) for i in backtest.issues]
