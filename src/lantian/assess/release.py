"""``lantian check-release``: Lantian's hourly AQI against the AQI CNEMC published for the same hours.

CNEMC's hourly release prints, beside each station's six concentrations, its own AQI and primary
pollutant; the importer keeps them in the store (``published``, never an input). This module
recomputes the real-time AQI (HJ 633 实时报, rules by the date of each hour unless a standard is
named) from the stored concentrations and compares, per station-hour:

* ``equal``: the same AQI (both NA counts as equal), hence the same level, and the same primary
  pollutant(s);
* ``not_comparable``: no concentration of the station-hour is stored (nothing to recompute);
* ``different``: anything else, explained by the first class whose alternative reproduces CNEMC's
  values, in this order —

  ================== ===================================================================
  class              the published values are reproduced when …
  ================== ===================================================================
  completeness_rule  (by definition) a pollutant is missing and one side withholds the AQI that
                     the other publishes, as HJ 633-2026 §5.3.1 would for an AQI ≤ 100: CNEMC
                     withheld it (also before 2026-03-01), or Lantian did (``letter``)
  withheld_above_100 (by definition) a pollutant is missing and CNEMC withheld an AQI above 100,
                     which neither the release's practice nor §5.3.1 does
  rule_set           the other HJ 633 version's tables are used (the switch on 2026-03-01)
  o3_column          ozone is taken from the other of the file's two ozone columns
  quality_control    the values Lantian's quality control invalidated are used after all
  rounding           concentrations are rounded half-up instead of GB/T 8170 half-even
  value_replaced     (not reproduced) a stored concentration came from a later file than
                     the published AQI: the data were revised after CNEMC published
  missing_pollutant  (not reproduced) a pollutant is missing in Lantian's data: CNEMC's AQI
                     rests on a value the release did not carry
  unexplained        none of the above
  ================== ===================================================================
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from lantian.standards import (
    BASIC_POLLUTANTS,
    COMPLETENESS,
    aqi_report,
    completeness_default,
    completeness_name,
    level,
    rule_set,
)
from lantian.standards.tables import rule_value
from lantian.store import MeasurementStore
from lantian.times import natural_days

OUTCOMES = ("equal", "different", "not_comparable")
CLASSES = (
    "completeness_rule",
    "withheld_above_100",
    "rule_set",
    "o3_column",
    "quality_control",
    "rounding",
    "value_replaced",
    "missing_pollutant",
    "unexplained",
)
CLASS_NAMES_ZH = {
    "completeness_rule": "缺项发布规则（HJ 633-2026 §5.3.1）",
    "withheld_above_100": "缺项且AQI>100仍未发布",
    "rule_set": "标准版本（2026-03-01切换）",
    "o3_column": "臭氧列对调",
    "quality_control": "质控剔除",
    "rounding": "修约",
    "value_replaced": "数据发布后被更新",
    "missing_pollutant": "缺少污染物数据",
    "unexplained": "未能解释",
}
OUTCOME_NAMES_ZH = {"equal": "一致", "different": "不一致", "not_comparable": "不可比"}
_PRIMARY = {p: i for i, p in enumerate(BASIC_POLLUTANTS)}


@dataclass(frozen=True)
class ReleaseCheck:
    """The comparison, one row per published station-hour, and how it was made."""

    rows: pa.Table
    """``station_code, name, city, ts, standard, complete, published_aqi, published_level,
    published_primary, aqi, level, primary, outcome, class``."""
    completeness: str
    """``release`` or ``letter``: the treatment of a missing pollutant Lantian's AQI used."""

    def summary(self) -> list[dict[str, object]]:
        """Per hour: how many station-hours, how many with all six inputs and of those how many
        equal, the outcomes, and the differences by class."""
        ts = self.rows.column("ts").to_numpy()
        outcome = np.asarray(self.rows.column("outcome").to_pylist(), dtype=object)
        cls = np.asarray(self.rows.column("class").to_pylist(), dtype=object)
        complete = self.rows.column("complete").to_numpy(zero_copy_only=False)
        standard = np.asarray(self.rows.column("standard").to_pylist(), dtype=object)
        result = []
        for hour in np.unique(ts):
            at = ts == hour
            row: dict[str, object] = {
                "ts": hour.astype("datetime64[s]").item(),
                "standard": ",".join(sorted(set(standard[at]))),
                "completeness": self.completeness,
                "stations": int(at.sum()),
                "complete": int((at & complete).sum()),
                "complete_equal": int((at & complete & (outcome == "equal")).sum()),
            }
            row.update({o: int((at & (outcome == o)).sum()) for o in OUTCOMES})
            row.update({c: int((at & (cls == c)).sum()) for c in CLASSES})
            result.append(row)
        return result


def check_release(
    store: MeasurementStore,
    first_day: dt.date,
    last_day: dt.date,
    *,
    city: str | None = None,
    standard: str | None = None,
    completeness: str | None = None,
) -> ReleaseCheck:
    """Compare Lantian's hourly AQI with CNEMC's published one for the natural days asked for.

    Parameters
    ----------
    first_day, last_day : natural days (hours stamped D 01:00 … D+1 00:00).
    city : only the stations of this city (its evaluation stations and control points).
    standard : ``2012`` or ``2026`` to force a rule set; default: the rule set of each hour's date.
    completeness : ``release`` or ``letter``; default the real-time report's (``release``).
    """
    mode = completeness or completeness_default("hourly")
    if mode not in COMPLETENESS:
        raise KeyError(f"unknown completeness {mode!r}; valid: {list(COMPLETENESS)}")
    registry = store.stations()
    stations = _city_stations(registry, city) if city else None
    data = _joined(store, first_day, last_day, stations)
    hj633 = _standards(data.column("ts").to_numpy(), standard)
    values = {p: _floats(data, p) for p in BASIC_POLLUTANTS}
    published_aqi = _floats(data, "published_aqi")
    published_primary = _texts(data, "published_primary")
    aqi, primary, complete = _lantian(values, hj633, mode)
    same = _same(aqi, primary, published_aqi, published_primary)
    has_data = data.column("n_values").to_numpy() > 0
    outcome = np.where(~has_data, "not_comparable", np.where(same, "equal", "different"))
    classes = _classes(data, values, hj633, mode, published_aqi, published_primary, complete)
    cls = np.where(outcome == "different", classes, "")
    names = dict(zip(*(_texts(registry, c) for c in ("station_code", "name")), strict=True))
    cities = dict(zip(*(_texts(registry, c) for c in ("station_code", "city")), strict=True))
    codes = _texts(data, "station_code")
    level_published = _levels(published_aqi, hj633)
    level_lantian = _levels(aqi, hj633)
    rows = pa.table(
        {
            "station_code": codes,
            "name": [names.get(c, "") for c in codes],
            "city": [cities.get(c, "") for c in codes],
            "ts": data.column("ts"),
            "standard": pa.array(hj633, pa.string()),
            "complete": pa.array(complete),
            "published_aqi": _integers(published_aqi),
            "published_level": pa.array(level_published, mask=level_published == 0),
            "published_primary": pa.array(published_primary, pa.string()),
            "aqi": _integers(aqi),
            "level": pa.array(level_lantian, mask=level_lantian == 0),
            "primary": pa.array(primary, pa.string()),
            "outcome": pa.array(outcome.astype(object), pa.string()),
            "class": pa.array(cls.astype(object), pa.string()),
        }
    )
    return ReleaseCheck(rows=rows, completeness=mode)


def completeness_label(completeness: str, language: str = "zh") -> str:
    """What every page and export of the real-time AQI says about the treatment in use."""
    return completeness_name(completeness, "hourly", language)


def _city_stations(registry: pa.Table, city: str) -> list[str]:
    """Every station of ``city`` (control points too: CNEMC publishes their AQI as well)."""
    cities = _texts(registry, "city")
    codes = _texts(registry, "station_code")
    found = sorted(codes[cities == city].tolist())
    if not found:
        known = sorted(set(cities.tolist()) - {""})
        raise KeyError(f"no station of city {city!r} in the registry; cities: {known[:40]}")
    return found


def _joined(
    store: MeasurementStore, first_day: dt.date, last_day: dt.date, stations: list[str] | None
) -> pa.Table:
    """Published rows of the period with the station-hour's stored concentrations beside them."""
    start = dt.datetime.combine(first_day, dt.time())
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time())
    pick = ", ".join(
        f"max(m.value) FILTER (m.pollutant = '{p}' AND m.valid) AS \"{p}\", "
        f"max(m.value) FILTER (m.pollutant = '{p}') AS \"{p}_all\""
        for p in BASIC_POLLUTANTS
    )
    where = "p.ts > $start AND p.ts <= $end"
    parameters: dict[str, object] = {"start": start, "end": end}
    if stations is not None:
        where += " AND p.station_code = ANY($stations)"
        parameters["stations"] = stations
    with store.connect() as connection:
        return connection.sql(
            f"""
            SELECT p.station_code, p.ts, p.aqi AS published_aqi,
                   p.primary_pollutants AS published_primary, p.o3_other, {pick},
                   count(m.value) AS n_values,
                   coalesce(bool_or(m.source <> p.source), false) AS replaced
            FROM published p
            LEFT JOIN measurements m ON m.station_code = p.station_code AND m.ts = p.ts
            WHERE {where}
            GROUP BY ALL ORDER BY p.ts, p.station_code
            """,
            params=parameters,
        ).to_arrow_table()


def _floats(table: pa.Table, name: str) -> npt.NDArray[np.float64]:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)


def _integers(values: np.ndarray) -> pa.Array:
    """AQI values (integers by HJ 633) as int64, null where NaN."""
    missing = np.isnan(values)
    return pa.array(np.where(missing, 0, values).astype(np.int64), mask=missing)


def _texts(table: pa.Table, name: str) -> npt.NDArray[np.object_]:
    if name not in table.column_names:
        return np.full(table.num_rows, "", dtype=object)
    return np.asarray([v or "" for v in table.column(name).to_pylist()], dtype=object)


def _standards(ts: np.ndarray, standard: str | None) -> npt.NDArray[np.object_]:
    """The HJ 633 version of each hour: that of its natural day's rule set (or of ``standard``)."""
    days = natural_days(ts)
    result = np.empty(len(days), dtype=object)
    for day in np.unique(days):
        result[days == day] = rule_set(day.astype(dt.date), standard).hj633
    return result


def _lantian(
    values: dict[str, np.ndarray], hj633: np.ndarray, completeness: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lantian's hourly AQI, primary pollutant(s) and completeness, each hour by its version."""
    aqi = np.full(len(hj633), np.nan)
    primary = np.full(len(hj633), "", dtype=object)
    complete = np.zeros(len(hj633), dtype=bool)
    for version in np.unique(hj633):
        at = hj633 == version
        report = aqi_report(
            {f"{p}_1h": v[at] for p, v in values.items()}, "hourly", version, completeness
        )
        aqi[at], primary[at], complete[at] = (
            report.aqi,
            report.primary_pollutants(),
            report.complete,
        )
    return aqi, primary, complete


def _same(
    aqi: np.ndarray, primary: np.ndarray, published_aqi: np.ndarray, published_primary: np.ndarray
) -> np.ndarray:
    both_na = np.isnan(aqi) & np.isnan(published_aqi)
    same: np.ndarray = both_na | ((aqi == published_aqi) & (primary == published_primary))
    return same


def _levels(aqi: np.ndarray, hj633: np.ndarray) -> np.ndarray:
    result = np.zeros(len(aqi), dtype=np.int8)
    for version in np.unique(hj633):
        at = hj633 == version
        result[at] = level(aqi[at], version)
    return result


def _publish_above(hj633: str) -> float:
    """HJ 633-2026 §5.3.1's threshold (100), whatever the version: CNEMC withholding an incomplete
    hour at or below it is that rule, applied or not by the date."""
    value = rule_value("HJ633-2026", "incomplete_publish_above")
    return float(value if value is not None else np.inf)


def _half_up(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Concentrations rounded half-up to the reporting precision (CO 0.1 mg/m³, others 1 µg/m³)."""
    scale = {p: 10.0 if p == "CO" else 1.0 for p in values}
    return {p: np.floor(v * scale[p] + 0.5) / scale[p] for p, v in values.items()}


def _classes(
    data: pa.Table,
    values: dict[str, np.ndarray],
    hj633: np.ndarray,
    completeness: str,
    published_aqi: np.ndarray,
    published_primary: np.ndarray,
    complete: np.ndarray,
) -> np.ndarray:
    """For every row, the first class whose alternative reproduces the published values."""
    lantian_aqi, _, _ = _lantian(values, hj633, completeness)
    withheld_by_cnemc = ~complete & np.isnan(published_aqi) & ~np.isnan(lantian_aqi)
    withheld_by_lantian = ~complete & ~np.isnan(published_aqi) & np.isnan(lantian_aqi)
    limit = np.asarray([_publish_above(v) for v in hj633], dtype=np.float64)
    result = np.full(len(hj633), "unexplained", dtype=object)
    decided = (withheld_by_cnemc & (lantian_aqi <= limit)) | withheld_by_lantian
    result[decided] = "completeness_rule"
    result[~decided & withheld_by_cnemc] = "withheld_above_100"
    decided |= withheld_by_cnemc
    other_version = np.where(hj633 == "HJ633-2026", "HJ633-2012", "HJ633-2026").astype(object)
    o3_other = _floats(data, "o3_other")
    swapped = {**values, "O3": np.where(np.isnan(o3_other), values["O3"], o3_other)}
    everything = {p: _floats(data, f"{p}_all") for p in BASIC_POLLUTANTS}
    alternatives = {
        "rule_set": (values, other_version),
        "o3_column": (swapped, hj633),
        "quality_control": (everything, hj633),
        "rounding": (_half_up(values), hj633),
    }
    for name, (inputs, versions) in alternatives.items():
        aqi, primary, _ = _lantian(inputs, versions, completeness)
        hit = ~decided & _same(aqi, primary, published_aqi, published_primary)
        result[hit], decided = name, decided | hit
    replaced = data.column("replaced").to_numpy(zero_copy_only=False)
    result[~decided & replaced] = "value_replaced"
    decided |= replaced
    result[~decided & ~complete] = "missing_pollutant"
    return result
