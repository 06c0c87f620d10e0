"""Reference forecasts every model must beat: persistence and climatology.

Both are pure functions over a (…, days) array of observed daily values and return, for every
target day *t*, the forecast issued ``lead`` days ahead: issued at the start of day *t − lead + 1*,
knowing days up to *t − lead* only. NaN where nothing was known.

* **persistence**: the last known day, ``value[t − lead]``.
* **climatology**: the mean of the last ``window`` known days, ``value[t − lead − window + 1 …
  t − lead]``, with at least ``min_days`` valid. A climatology proper averages the same season
  of earlier years; a store holding one year (the bundled 2019 data) has none, so Lantian's
  climatology is the trailing mean of the same year's earlier days — documented in
  ``docs/forecast.md``.

As probability forecasts of an event "value > T" (:data:`EXCEEDANCE`): persistence says 1 or 0
(the last known day was above T or not); climatology gives the share of the same ``window``
known days above T — the reference forecast of the Brier skill score (Wilks §8.4.2).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from lantian.standards import moving_average

FloatArray = npt.NDArray[np.float64]

CLIMATOLOGY_WINDOW_DAYS = 30
CLIMATOLOGY_MIN_DAYS = 10


def shift_days(values: npt.ArrayLike, days: int) -> FloatArray:
    """``out[…, t] = values[…, t − days]``; NaN where ``t − days`` is before the start."""
    x = np.asarray(values, dtype=np.float64)
    out = np.full_like(x, np.nan)
    if days <= 0:
        raise ValueError(f"a shift into the past needs days ≥ 1, got {days}")
    if days < x.shape[-1]:
        out[..., days:] = x[..., :-days]
    return out


def persistence(values: npt.ArrayLike, lead: int) -> FloatArray:
    """Persistence forecast of every day at ``lead`` [days]: the last day known at issue."""
    return shift_days(values, lead)


def climatology(
    values: npt.ArrayLike,
    lead: int,
    window: int = CLIMATOLOGY_WINDOW_DAYS,
    min_days: int = CLIMATOLOGY_MIN_DAYS,
) -> FloatArray:
    """Trailing-mean climatology of every day at ``lead`` [days] over ``window`` known days."""
    means, _ = moving_average(values, window, min_days)
    return shift_days(means, lead)


def _above(values: npt.ArrayLike, threshold: float) -> FloatArray:
    x = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(np.isnan(x), np.nan, (x > threshold).astype(np.float64))


def persistence_exceedance(values: npt.ArrayLike, lead: int, threshold: float) -> FloatArray:
    """P(value > ``threshold``) of persistence at ``lead``: 1 or 0 [1]."""
    return persistence(_above(values, threshold), lead)


def climatology_exceedance(values: npt.ArrayLike, lead: int, threshold: float) -> FloatArray:
    """P(value > ``threshold``) of climatology at ``lead``: the share of the window above it [1]."""
    return climatology(_above(values, threshold), lead)


BASELINES: dict[str, Callable[[npt.ArrayLike, int], FloatArray]] = {
    "persistence": persistence,
    "climatology": climatology,
}
"""The baselines by name (the ``model`` column of stored forecasts and backtest tables)."""
EXCEEDANCE: dict[str, Callable[[npt.ArrayLike, int, float], FloatArray]] = {
    "persistence": persistence_exceedance,
    "climatology": climatology_exceedance,
}
"""The baselines' probability of an exceedance, by the same names."""


def baseline(name: str) -> Callable[[npt.ArrayLike, int], FloatArray]:
    """The baseline called ``name``; the error lists the valid names."""
    if name not in BASELINES:
        raise KeyError(f"unknown baseline {name!r}; valid: {', '.join(BASELINES)}")
    return BASELINES[name]
