"""Forecast verification: MAE, category accuracy, hit rate and false-alarm ratio.

Definitions (Wilks, *Statistical Methods in the Atmospheric Sciences*, 3rd ed., §8.2, 2×2
contingency table; the same as the WMO/WWRP verification working group's):

* ``mae``: mean absolute error of the daily AQI [AQI];
* ``category_accuracy``: share of days whose forecast AQI level (HJ 633 一级 … 六级, forecast
  rounded to an integer) equals the observed one;
* for an event "AQI > threshold": ``hits`` (forecast and observed), ``misses``, ``false_alarms``;
  ``hit_rate`` = hits / (hits + misses) (probability of detection) and ``false_alarm_ratio`` =
  false_alarms / (hits + false_alarms); ``None`` when the denominator is 0.

The event thresholds are the upper bounds of HJ 633's level 3 and level 4 (150 and 200: 中度 and
重度污染 begin at 151 and 201), read from the category table, not written here.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from lantian.standards import category_table, level

FloatArray = npt.NDArray[np.float64]

EVENT_LEVELS = (3, 4)
"""Events are "AQI above the top of level 3 (轻度污染)" and "above the top of level 4 (中度污染)"."""


def event_thresholds(standard: str) -> list[int]:
    """The AQI thresholds of the verified events under ``standard`` (``[150, 200]``)."""
    table = {int(row["level"]): int(row["aqi_max"]) for row in category_table(standard)}
    return [table[k] for k in EVENT_LEVELS]


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 3) if denominator else None


def contingency(forecast: FloatArray, observed: FloatArray, threshold: float) -> dict[str, object]:
    """Hits, misses, false alarms, hit rate and false-alarm ratio of the event AQI > ``threshold``."""
    predicted = np.rint(forecast) > threshold
    happened = observed > threshold
    hits = int((predicted & happened).sum())
    misses = int((~predicted & happened).sum())
    false_alarms = int((predicted & ~happened).sum())
    return {
        "observed": hits + misses,
        "forecast": hits + false_alarms,
        "hits": hits,
        "hit_rate": _ratio(hits, hits + misses),
        "false_alarm_ratio": _ratio(false_alarms, hits + false_alarms),
    }


def scores(forecast: npt.ArrayLike, observed: npt.ArrayLike, standard: str) -> dict[str, object]:
    """Every score of one forecast series against observations (pairs with a NaN are dropped).

    Parameters
    ----------
    forecast, observed
        Daily AQI, same shape [AQI].
    standard
        ``HJ633-2012`` or ``HJ633-2026``: the category table for levels and event thresholds.
    """
    f = np.asarray(forecast, dtype=np.float64).ravel()
    o = np.asarray(observed, dtype=np.float64).ravel()
    keep = ~np.isnan(f) & ~np.isnan(o)
    f, o = f[keep], o[keep]
    result: dict[str, object] = {
        "n": int(keep.sum()),
        "mae": round(float(np.abs(f - o).mean()), 2) if keep.any() else None,
        "category_accuracy": _ratio(
            int((level(np.rint(f), standard) == level(o, standard)).sum()), len(o)
        ),
    }
    for threshold in event_thresholds(standard):
        for key, value in contingency(f, o, threshold).items():
            result[f"gt{threshold}_{key}"] = value
    return result
