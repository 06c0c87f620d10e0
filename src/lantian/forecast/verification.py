"""Forecast verification: MAE, category accuracy, the 2×2 event scores, Brier score, reliability.

Definitions (Wilks, *Statistical Methods in the Atmospheric Sciences*, 3rd ed., §8.2 and §8.4; the
same as the WMO/WWRP Joint Working Group on Forecast Verification Research's):

* ``mae``: mean absolute error of the daily AQI [AQI];
* ``category_accuracy``: share of days whose forecast AQI level (HJ 633 一级 … 六级, forecast
  rounded to an integer) equals the observed one;
* for an event "AQI > threshold" (2×2 table, Wilks §8.2.2–8.2.3): ``hits`` a (forecast and
  observed), ``misses`` c, ``false_alarms`` b, n all days; ``hit_rate`` = a / (a + c)
  (probability of detection), ``false_alarm_ratio`` = b / (a + b), ``csi`` = a / (a + b + c)
  (critical success index, threat score) and ``ets`` = (a − a_r) / (a + b + c − a_r) with
  a_r = (a + b)(a + c) / n (equitable threat score, Gilbert skill score); ``None`` when the
  denominator is 0;
* for a probability forecast p of the event (Wilks §8.4.2–8.4.4): ``brier`` = mean of (p − o)²
  with o = 1 if the event happened, else 0; :func:`reliability` gives the reliability diagram's
  points (per probability bin: mean forecast probability, observed frequency, count).

A deterministic forecast (a baseline) forecasts the event when its rounded AQI exceeds the threshold,
and its probability is 1 or 0 (climatology's is its window's frequency, :mod:`.baselines`). A
probability forecast forecasts the event when p reaches the decision threshold (a district's
choice, ``data/localities.toml``).

The event thresholds are the upper bounds of HJ 633's levels 3, 4 and 5 (150, 200 and 300: 中度,
重度 and 严重污染 begin at 151, 201 and 301), read from the category table, not written here.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from lantian.standards import category_table, level

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

EVENT_LEVELS = (3, 4)
"""Verified 2×2 events: AQI above the top of level 3 (轻度污染) and of level 4 (中度污染)."""
PROBABILITY_LEVELS = (3, 4, 5)
"""Events forecast as probabilities: also above the top of level 5 (重度污染)."""
RELIABILITY_BINS = 10


def _tops(standard: str, levels: tuple[int, ...]) -> list[int]:
    table = {int(row["level"]): int(row["aqi_max"]) for row in category_table(standard)}
    return [table[k] for k in levels]


def event_thresholds(standard: str) -> list[int]:
    """The AQI thresholds of the verified events under ``standard`` (``[150, 200]``)."""
    return _tops(standard, EVENT_LEVELS)


def probability_thresholds(standard: str) -> list[int]:
    """The AQI thresholds forecast as probabilities under ``standard`` (``[150, 200, 300]``)."""
    return _tops(standard, PROBABILITY_LEVELS)


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 3) if denominator else None


def contingency(predicted: BoolArray, happened: BoolArray) -> dict[str, object]:
    """The 2×2 table of an event and its scores (see the module docstring)."""
    hits = int((predicted & happened).sum())
    misses = int((~predicted & happened).sum())
    false_alarms = int((predicted & ~happened).sum())
    n = len(happened)
    random_hits = (hits + false_alarms) * (hits + misses) / n if n else 0.0
    return {
        "observed": hits + misses,
        "forecast": hits + false_alarms,
        "hits": hits,
        "misses": misses,
        "false_alarms": false_alarms,
        "hit_rate": _ratio(hits, hits + misses),
        "false_alarm_ratio": _ratio(false_alarms, hits + false_alarms),
        "csi": _ratio(hits, hits + misses + false_alarms),
        "ets": _ratio(hits - random_hits, hits + misses + false_alarms - random_hits),
    }


def brier(probability: npt.ArrayLike, happened: npt.ArrayLike) -> float | None:
    """Brier score of probabilities [0–1] against 0/1 outcomes (Wilks Eq. 8.36); None if empty."""
    p = np.asarray(probability, dtype=np.float64)
    o = np.asarray(happened, dtype=np.float64)
    return round(float(((p - o) ** 2).mean()), 4) if len(p) else None


def reliability(
    probability: npt.ArrayLike, happened: npt.ArrayLike, bins: int = RELIABILITY_BINS
) -> list[dict[str, object]]:
    """The reliability diagram's points: per bin [k/bins, (k+1)/bins) (the last one closed), the
    count, the mean forecast probability and the observed relative frequency (Wilks §8.4.4).
    Empty bins are left out."""
    p = np.asarray(probability, dtype=np.float64)
    o = np.asarray(happened, dtype=np.float64)
    which = np.minimum((p * bins).astype(np.int64), bins - 1)
    count = np.bincount(which, minlength=bins)
    forecast = np.bincount(which, weights=p, minlength=bins)
    observed = np.bincount(which, weights=o, minlength=bins)
    return [
        {
            "bin": f"{k / bins:.1f}–{(k + 1) / bins:.1f}",
            "n": int(count[k]),
            "forecast_probability": round(float(forecast[k] / count[k]), 3),
            "observed_frequency": round(float(observed[k] / count[k]), 3),
        }
        for k in np.flatnonzero(count)
    ]


def scores(
    forecast: npt.ArrayLike,
    observed: npt.ArrayLike,
    standard: str,
    probability: Mapping[int, npt.ArrayLike] | None = None,
    decision: Mapping[int, float] | None = None,
    events: Mapping[int, npt.ArrayLike] | None = None,
) -> dict[str, object]:
    """Every score of one forecast series against observations (pairs with a NaN are dropped).

    Parameters
    ----------
    forecast, observed
        Daily AQI, same shape [AQI].
    standard
        ``HJ633-2012`` or ``HJ633-2026``: the category table for levels and event thresholds.
    probability
        P(AQI > T) by threshold T, same shape [0–1]: adds ``gt<T>_brier``.
    decision
        The probability at or above which the event AQI > T is forecast, by T; an event without
        one is forecast from the rounded AQI.
    events
        The forecast event AQI > T itself (booleans, same shape), by T: overrides ``decision``
        (a decision made otherwise, e.g. persistence's event where the model falls back to it).
    """
    f = np.asarray(forecast, dtype=np.float64).ravel()
    o = np.asarray(observed, dtype=np.float64).ravel()
    keep = ~np.isnan(f) & ~np.isnan(o)
    probability = {
        t: np.asarray(p, dtype=np.float64).ravel() for t, p in (probability or {}).items()
    }
    for p in probability.values():
        keep &= ~np.isnan(p)
    f, o = f[keep], o[keep]
    result: dict[str, object] = {
        "n": int(keep.sum()),
        "mae": round(float(np.abs(f - o).mean()), 2) if keep.any() else None,
        "category_accuracy": _ratio(
            int((level(np.rint(f), standard) == level(o, standard)).sum()), len(o)
        ),
    }
    for threshold in event_thresholds(standard):
        if events and threshold in events:
            predicted = np.asarray(events[threshold], dtype=bool).ravel()[keep]
        elif decision and threshold in decision and threshold in probability:
            predicted = probability[threshold][keep] >= decision[threshold]
        else:
            predicted = np.rint(f) > threshold
        for key, value in contingency(predicted, o > threshold).items():
            result[f"gt{threshold}_{key}"] = value
    for threshold, p in probability.items():
        result[f"gt{threshold}_brier"] = brier(p[keep], o > threshold)
    return result
