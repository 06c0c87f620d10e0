"""Air quality index (AQI), level, category, primary and exceedance pollutants (HJ 633).

* AQI = max of the individual indices (HJ 633-2012 §4.3 Eq. 2; HJ 633-2026 §4.2.5).
* Level and category from the AQI (HJ 633-2012 Table 2; HJ 633-2026 Table 1), with colours from
  Appendix A.
* Primary pollutant (首要污染物): the pollutant(s) with the largest IAQI when AQI > 50, ties all listed
  (HJ 633-2012 §4.4.2; HJ 633-2026 §4.3.1).
* Exceedance pollutant (超标污染物): IAQI > 100 (HJ 633-2012 §4.4.2; deleted by HJ 633-2026).
* Completeness: HJ 633-2026 §5.3.1 publishes an AQI computed without a missing pollutant only when it
  exceeds 100; HJ 633-2012 gives no such rule (missing indicators are "NA"). CNEMC's real-time
  release does not follow §5.3.1: it publishes the AQI of the pollutants present, 100 or less
  included. ``completeness`` chooses: ``release`` (as CNEMC publishes; the real-time report's
  default) or ``letter`` (§5.3.1 as written; the daily report's default) — ``tables/
  aqi_completeness.csv`` holds the defaults, the display names and the evidence.

Every function works on whole arrays. Pollutant sets are bit masks over :data:`BASIC_POLLUTANTS`
(bit *i* = the *i*-th pollutant) so that ties stay exact and columnar; :func:`pollutant_names`
turns them into text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cache

import numpy as np
import numpy.typing as npt

from lantian.standards.iaqi import individual_indices, report_inputs
from lantian.standards.pollutants import BASIC_POLLUTANTS
from lantian.standards.tables import known, rows, rule_value

FloatArray = npt.NDArray[np.float64]
MaskArray = npt.NDArray[np.uint8]
HEAVY_POLLUTION_LEVEL = 5
"""HJ 633 level 五级 (重度污染): heavy pollution is this level and worse (HJ 633-2012 Table 2,
HJ 633-2026 Table 1; both rule sets number the levels alike)."""


@dataclass(frozen=True)
class AqiReport:
    """The AQI of a set of hours or days, every field an array of the inputs' shape."""

    standard: str
    """``HJ633-2012`` or ``HJ633-2026``."""
    report: str
    """``hourly`` (实时报) or ``daily`` (日报)."""
    aqi: FloatArray
    """AQI (integer values); NaN where nothing can be published."""
    level: npt.NDArray[np.int8]
    """Level 1–6 (一级…六级); 0 where the AQI is NaN."""
    iaqi: dict[str, FloatArray]
    """IAQI per pollutant id (for O3 under HJ 633-2012's daily report: the larger of 8-h and 1-h)."""
    indicator_iaqi: dict[str, FloatArray]
    """IAQI per report indicator (``O3_8h``, ``O3_1h``, ``PM2.5_1h``, …)."""
    primary: MaskArray
    """Primary pollutant(s) as a bit mask over ``BASIC_POLLUTANTS``; 0 = none (AQI ≤ 50 or NA)."""
    exceedance: MaskArray
    """Exceedance pollutants (IAQI > 100) as a bit mask; always 0 under HJ 633-2026."""
    complete: npt.NDArray[np.bool_]
    """True where all six pollutants have an IAQI."""
    completeness: str = "letter"
    """How an AQI with a pollutant missing was treated: ``release`` or ``letter``
    (:func:`completeness_name` gives the text every page and export shows)."""

    def cut(self, part: slice) -> AqiReport:
        """The report of the hours or days ``part`` (a slice of the last axis)."""
        return replace(
            self,
            aqi=self.aqi[..., part],
            level=self.level[..., part],
            iaqi={k: v[..., part] for k, v in self.iaqi.items()},
            indicator_iaqi={k: v[..., part] for k, v in self.indicator_iaqi.items()},
            primary=self.primary[..., part],
            exceedance=self.exceedance[..., part],
            complete=self.complete[..., part],
        )

    def primary_pollutants(self, separator: str = ",") -> npt.NDArray[np.object_]:
        """The primary pollutant ids as text, e.g. ``"PM2.5"`` or ``"O3,PM2.5"``; ``""`` for none."""
        return pollutant_names(self.primary, separator)

    def category(self, language: str = "zh") -> npt.NDArray[np.object_]:
        """The category (优, 良, …; ``Excellent``, ``Good``, …); ``""`` where the AQI is NaN."""
        return level_attribute(self.level, f"category_{language}", self.standard)

    def colour(self) -> npt.NDArray[np.object_]:
        """The category colour as hex (``#00E400`` …), from Appendix A; ``""`` where the AQI is NaN."""
        return level_attribute(self.level, "hex", self.standard)


def level(aqi: npt.ArrayLike, standard: str) -> npt.NDArray[np.int8]:
    """AQI level 1–6 of each AQI (HJ 633-2012 Table 2; HJ 633-2026 Table 1); 0 for NaN.

    Level *k* covers ``aqi_min ≤ AQI ≤ aqi_max`` of ``tables/aqi_categories.csv``: 50 is 一级 (优),
    51 二级 (良), 101 三级, 151 四级, 201 五级, 301 六级.
    """
    a = np.asarray(aqi, dtype=np.float64)
    upper = np.asarray([float(r["aqi_max"]) for r in _categories(standard)])
    found = np.searchsorted(upper, a, side="left") + 1
    found = np.minimum(found, len(upper))
    return np.where(np.isnan(a), 0, found).astype(np.int8)


@cache
def _categories(standard: str) -> tuple[dict[str, str], ...]:
    found = tuple(rows("aqi_categories", standard=standard))
    if not found:
        raise KeyError(f"no AQI categories for {standard!r}")
    return found


def category_table(standard: str) -> list[dict[str, str]]:
    """The rows of the category table of ``standard`` (level, range, names, colours, health texts)."""
    return [dict(row) for row in _categories(standard)]


def level_attribute(
    levels: npt.ArrayLike, attribute: str, standard: str
) -> npt.NDArray[np.object_]:
    """A column of the category table (``category_zh``, ``hex``, ``advice_en``, …) for each level."""
    lookup = np.asarray([""] + [row[attribute] for row in _categories(standard)], dtype=object)
    return lookup[np.asarray(levels, dtype=np.int64)]


@cache
def _names_by_mask(separator: str) -> npt.NDArray[np.object_]:
    names = [
        separator.join(p for bit, p in enumerate(BASIC_POLLUTANTS) if mask >> bit & 1)
        for mask in range(1 << len(BASIC_POLLUTANTS))
    ]
    return np.asarray(names, dtype=object)


def pollutant_names(mask: npt.ArrayLike, separator: str = ",") -> npt.NDArray[np.object_]:
    """Decode pollutant bit masks into ids joined by ``separator``, in the glossary's order."""
    return np.asarray(_names_by_mask(separator)[np.asarray(mask, dtype=np.int64)], dtype=object)


def _pollutant_indices(
    indicator_iaqi: Mapping[str, FloatArray], report: str, standard: str
) -> dict[str, FloatArray]:
    by_pollutant: dict[str, FloatArray] = {}
    for spec in report_inputs(report, standard):
        values = indicator_iaqi[spec["input"]]
        known_value = by_pollutant.get(spec["pollutant"])
        by_pollutant[spec["pollutant"]] = (
            values if known_value is None else np.fmax(known_value, values)
        )
    return by_pollutant


def _mask_where(
    by_pollutant: Mapping[str, FloatArray],
    condition: Callable[[FloatArray], npt.NDArray[np.bool_]],
) -> MaskArray:
    shape = next(iter(by_pollutant.values())).shape
    mask = np.zeros(shape, dtype=np.uint8)
    for bit, pollutant in enumerate(BASIC_POLLUTANTS):
        values = by_pollutant.get(pollutant)
        if values is not None:
            mask |= np.where(condition(values), np.uint8(1 << bit), np.uint8(0))
    return mask


COMPLETENESS = ("release", "letter")
"""The two treatments of an AQI with a pollutant missing (``tables/aqi_completeness.csv``)."""


def _completeness_row(completeness: str, report: str) -> dict[str, str]:
    if completeness not in COMPLETENESS:
        raise KeyError(f"unknown completeness {completeness!r}; valid: {list(COMPLETENESS)}")
    found = rows("aqi_completeness", completeness=completeness, report=report)
    if not found:
        raise KeyError(
            f"no AQI report {report!r}; valid reports: {known('aqi_completeness', 'report')}"
        )
    return found[0]


def completeness_default(report: str) -> str:
    """The completeness treatment a ``report`` uses unless told otherwise (``release`` for the
    real-time report, ``letter`` for the daily report; ``tables/aqi_completeness.csv``)."""
    found = rows("aqi_completeness", report=report, default="yes")
    if len(found) != 1:
        raise KeyError(
            f"no AQI report {report!r}; valid reports: {known('aqi_completeness', 'report')}"
        )
    return found[0]["completeness"]


def completeness_name(completeness: str, report: str, language: str = "zh") -> str:
    """The sentence pages and exports show for the treatment in use (``language`` ``zh``/``en``)."""
    return _completeness_row(completeness, report)[f"name_{language}"]


def aqi_report(
    inputs: Mapping[str, npt.ArrayLike],
    report: str,
    standard: str,
    completeness: str | None = None,
) -> AqiReport:
    """The hourly (实时报) or daily (日报) AQI with its level, category and pollutants.

    Parameters
    ----------
    inputs
        Concentrations by indicator [µg/m³; CO mg/m³], see
        :func:`lantian.standards.iaqi.individual_indices`; arrays of one shape, NaN = missing.
    report
        ``hourly`` or ``daily``.
    standard
        ``HJ633-2012`` or ``HJ633-2026``.
    completeness
        ``release``, ``letter`` or ``None`` for the report's default (:func:`completeness_default`).

    Edge rules
    ----------
    * AQI is the largest IAQI present. With ``letter``, HJ 633-2026 §5.3.1: with a pollutant
      missing, the AQI is published only when above 100 (else NaN). With ``release`` (and always
      under HJ 633-2012): the AQI of the indicators present, as CNEMC publishes it.
    * HJ 633-2026 §4.1.1: the AQI ranges over 1–500, so an all-zero hour reports 1.
    * Primary pollutant only when AQI > 50; every pollutant tied at the maximum is listed.
    """
    mode = completeness or completeness_default(report)
    _completeness_row(mode, report)  # validates the name
    indicator_iaqi = individual_indices(inputs, report, standard)
    by_pollutant = _pollutant_indices(indicator_iaqi, report, standard)
    stacked = np.stack([by_pollutant[p] for p in BASIC_POLLUTANTS])
    present = ~np.isnan(stacked)
    complete = np.asarray(present.all(axis=0), dtype=bool)
    any_present = present.any(axis=0)
    aqi = np.where(any_present, np.nanmax(np.where(present, stacked, -np.inf), axis=0), np.nan)
    floor = rule_value(standard, "aqi_range_min")
    aqi = np.where(any_present, np.maximum(aqi, 0.0 if floor is None else floor), np.nan)
    publish_above = rule_value(standard, "incomplete_publish_above") if mode == "letter" else None
    if publish_above is not None:
        aqi = np.where(complete | (aqi > publish_above), aqi, np.nan)
    primary_above = rule_value(standard, "primary_pollutant_above")
    primary_floor = np.nan if primary_above is None else primary_above
    primary = _mask_where(by_pollutant, lambda v: (v == aqi) & (aqi > primary_floor))
    exceedance_above = rule_value(standard, "exceedance_pollutant_above")
    exceedance = (
        _mask_where(by_pollutant, lambda v: v > exceedance_above)
        if exceedance_above is not None
        else np.zeros(aqi.shape, dtype=np.uint8)
    )
    return AqiReport(
        standard=standard,
        report=report,
        aqi=aqi,
        level=level(aqi, standard),
        iaqi=by_pollutant,
        indicator_iaqi=indicator_iaqi,
        primary=primary,
        exceedance=exceedance,
        complete=complete,
        completeness=mode,
    )
