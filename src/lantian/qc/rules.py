"""The quality-control rules, over dense (stations, hours) grids per pollutant."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt

from lantian.standards import limit

Grid = npt.NDArray[np.float64]
Flags = npt.NDArray[np.int32]


@cache
def _rules() -> tuple[dict[str, str], ...]:
    path = resources.files("lantian.qc").joinpath("qc_rules.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


QC_RULES: tuple[dict[str, str], ...] = _rules()


def _bit(rule: str) -> int:
    return 1 << int(next(r["bit"] for r in _rules() if r["rule"] == rule))


def _threshold(rule: str, pollutant: str, column: str = "threshold") -> float | None:
    """The ``column`` of ``rule``'s row for ``pollutant`` (its own row before the ``*`` row)."""
    for row in _rules():
        if row["rule"] == rule and row["pollutant"] in (pollutant, "*"):
            return float(row[column]) if row[column] else None
    return None


def invalidating_mask() -> int:
    """The bits of the rules that make a value invalid."""
    return sum(
        1 << int(r["bit"])
        for r in {r["rule"]: r for r in _rules()}.values()
        if r["invalidates"] == "true"
    )


def describe_flags(flag: int, language: str = "zh") -> list[str]:
    """The reasons of a flag bit mask, in ``language``."""
    seen: dict[int, str] = {}
    for row in _rules():
        seen.setdefault(int(row["bit"]), row[f"reason_{language}"])
    return [text for bit, text in sorted(seen.items()) if flag >> bit & 1]


def _stuck(values: Grid, hours: int) -> npt.NDArray[np.bool_]:
    """True where a value belongs to a run of ≥ ``hours`` identical consecutive values."""
    same_as_previous = np.zeros(values.shape, dtype=bool)
    same_as_previous[:, 1:] = values[:, 1:] == values[:, :-1]
    # run id increments where a run starts; run length by bincount over ids
    starts = ~same_as_previous
    run_id = np.cumsum(starts.ravel()).reshape(values.shape) - 1
    lengths = np.bincount(run_id.ravel())
    return (lengths[run_id] >= hours) & ~np.isnan(values)


def _spike(values: Grid, ratio: float, jump: float) -> npt.NDArray[np.bool_]:
    previous = np.full(values.shape, np.nan)
    following = np.full(values.shape, np.nan)
    previous[:, 1:] = values[:, :-1]
    following[:, :-1] = values[:, 1:]
    with np.errstate(invalid="ignore"):
        neighbours = np.fmax(previous, following)
        return (values > ratio * neighbours) & (values > neighbours + jump)


def quality_flags(grids: dict[str, Grid]) -> dict[str, Flags]:
    """Flag bit masks per pollutant for hourly grids (stations, hours) of the same stations/hours.

    Parameters
    ----------
    grids
        Hourly values by pollutant id [µg/m³; CO mg/m³]; NaN = no value.

    Returns
    -------
    A flag grid (int32 bit mask, 0 = no flag) per pollutant given.
    """
    flags: dict[str, Flags] = {}
    for pollutant, values in grids.items():
        f = np.zeros(values.shape, dtype=np.int32)
        with np.errstate(invalid="ignore"):
            f |= np.where(values < 0, _bit("negative"), 0).astype(np.int32)
            ceiling = _threshold("impossible", pollutant)
            if ceiling is not None:
                f |= np.where(values > ceiling, _bit("impossible"), 0).astype(np.int32)
            unit_mix = _threshold("co_unit", pollutant) if pollutant == "CO" else None
            if unit_mix is not None:
                f |= np.where(values > unit_mix, _bit("co_unit"), 0).astype(np.int32)
        run = _threshold("stuck", pollutant)
        if run is not None and values.shape[-1] >= run:
            floor = _threshold("stuck", pollutant, "floor") or 0.0  # ten reporting steps
            with np.errstate(invalid="ignore"):
                stuck = _stuck(values, int(run)) & (values >= floor)
            f |= np.where(stuck, _bit("stuck"), 0).astype(np.int32)
        ratio = _threshold("spike", pollutant)
        if ratio is not None:
            averaging = "mda8" if pollutant == "O3" else "daily"
            jump = limit(pollutant, averaging)
            f |= np.where(_spike(values, ratio, jump), _bit("spike"), 0).astype(np.int32)
        flags[pollutant] = f
    if "PM2.5" in grids and "PM10" in grids:
        with np.errstate(invalid="ignore"):
            inverted = grids["PM2.5"] > grids["PM10"]
        bit = np.where(inverted, _bit("pm25_gt_pm10"), 0).astype(np.int32)
        flags["PM2.5"] |= bit
        flags["PM10"] |= bit
    return flags
