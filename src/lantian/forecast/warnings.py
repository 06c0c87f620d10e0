"""Heavy-pollution warning levels (重污染天气预警分级), a warning's life and its public notice.

The grades are rows of ``tables/warning_schemes.csv`` (standards.md §6): scheme ``2018`` (the
national unified grading of 环大气〔2017〕86号 / 环办大气函〔2018〕875号) and scheme ``2024``
(环大气〔2024〕6号). Which scheme a city applies from which date, stricter local thresholds and
the episode-merging gap come from ``data/localities.toml`` or a file of the same form.

**Reading of "AQI > 200 lasting 48 h"** (the grades speak of forecast daily-mean AQI, "AQI日均值
按连续24小时（可以跨自然日）的均值计算"): the input is an *hourly* series in which each hour
carries the AQI of the 24-hour window that covers it — a daily forecast fills its 24 hours with
its value, a forecaster of windows that cross midnight fills its own hours. A condition "AQI > X
for ≥ H hours" holds on a run of at least H consecutive hours above X; "AQI ≥ 500" likewise. A
grade's second condition (e.g. "and AQI > 300 for ≥ 48 h") must hold inside the same episode
(the run of its first condition). An episode counts only if it reaches into the forecast part of
the series (hours at or after ``forecast_from``): observed hours before the issue time extend an
ongoing episode, as the Xiangxi 2025 notice counted 21 observed hours (standards.md §6.3), but an
episode wholly in the past issues nothing. Runs separated by fewer than ``merge_gap_hours`` hours
are one episode (MEP slides 2017-09-20), the gap counting in its length. AQI values are rounded
to integers first (np.rint), so 200.4 is 200 and does not exceed 200.

**Probabilities.** A probabilistic forecast says "AQI > X" on a forecast day when its probability
P(AQI > X) reaches the locality's decision probability for X (``probability_thresholds`` in
``data/localities.toml``: a district's choice between missed episodes and false alarms; the
default maximises the equitable threat score on the 2019 backtest, docs/forecast.md). Such
exceedances are passed to :func:`decide` as hourly masks (``exceeds``); a condition whose AQI
has no mask (AQI ≥ 500) is judged on the point forecast.

**Observed-AQI override.** A warning is never withheld while the observations already meet the
rule: an episode whose run reaches the last observed hour (an episode still going at issue time)
counts even if the forecast ends it, and its decision says so (``basis`` ``observed``). An
episode that ended before the issue still issues nothing.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lantian.forecast.tables import known, rows
from lantian.standards import HEAVY_POLLUTION_LEVEL, category_table, rule_set
from lantian.times import natural_day

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

COMPARISONS = {">": np.greater, ">=": np.greater_equal}
EVENTS_ZH = {"issued": "发布", "raised": "升级", "lowered": "降级", "lifted": "解除"}


# ----------------------------------------------------------------------------- localities
@dataclass(frozen=True)
class Locality:
    """A city's warning settings (see ``data/localities.toml``)."""

    name: str
    plan: str
    schemes: list[tuple[dt.date, str]]
    """(from, scheme), ascending."""
    merge_gap_hours: int = 0
    overrides: list[dict] = field(default_factory=list)
    reduction_shares: dict[str, float] = field(default_factory=dict)
    probability_thresholds: dict[int, tuple[float | str, ...]] = field(default_factory=dict)
    """AQI threshold → the probability of exceeding it at which a forecast day counts as above,
    per lead (day 1, 2, 3 of the forecast), or :data:`PERSISTENCE`: the day counts as above when
    the last observed day was (the model falls back to persistence for that event and lead)."""

    def scheme_on(self, day: dt.date) -> str:
        """The scheme in force on ``day``."""
        in_force = [scheme for start, scheme in self.schemes if start <= day]
        if not in_force:
            raise KeyError(f"{self.name}: no warning scheme in force on {day}")
        return in_force[-1]


def _locality_of(name: str, section: dict, default: dict | None = None) -> Locality:
    schemes = sorted(
        (dt.date.fromisoformat(str(s["from"])), str(s["scheme"])) for s in section["schemes"]
    )
    for _, scheme in schemes:
        if scheme not in known("warning_schemes", "scheme"):
            raise KeyError(f"{name}: unknown scheme {scheme!r}; valid: {scheme_names()}")
    return Locality(
        name=name,
        plan=str(section.get("plan", "重污染天气应急预案")),
        schemes=schemes,
        merge_gap_hours=int(section.get("merge_gap_hours", 0)),
        overrides=list(section.get("overrides", [])),
        reduction_shares={str(k): float(v) for k, v in section.get("reduction_shares", {}).items()},
        probability_thresholds=_probability_thresholds(name, section, default or {}),
    )


LEADS_WARNED = 3
"""Forecast days a decision looks at (leads 1–3)."""
PERSISTENCE = "persistence"


def _decision_value(value: object) -> float | str:
    return PERSISTENCE if value == PERSISTENCE else float(value)


def _probability_thresholds(
    name: str, section: dict, default: dict
) -> dict[int, tuple[float, ...]]:
    """AQI threshold → decision probability (or ``"persistence"``) per lead; one value applies to
    every lead."""
    merged = {
        **default.get("probability_thresholds", {}),
        **section.get("probability_thresholds", {}),
    }
    out = {}
    for key, value in merged.items():
        try:
            per_lead = tuple(
                _decision_value(v) for v in (value if isinstance(value, list) else [value])
            )
        except (TypeError, ValueError):
            per_lead = ()
        if len(per_lead) == 1:
            per_lead *= LEADS_WARNED
        if len(per_lead) != LEADS_WARNED or not all(
            v == PERSISTENCE or 0.0 < v <= 1.0 for v in per_lead
        ):
            raise ValueError(
                f"{name}: probability_thresholds.{key} must be a probability in (0, 1] or "
                f'"{PERSISTENCE}", or {LEADS_WARNED} of them (one per lead), got {value!r}'
            )
        out[int(key)] = per_lead
    return out


@cache
def _bundled_localities() -> dict:
    text = (
        resources.files("lantian.forecast").joinpath("data", "localities.toml").read_text("utf-8")
    )
    return tomllib.loads(text)


def locality(city: str, path: Path | None = None) -> Locality:
    """The settings of ``city`` from ``path`` (default: the bundled file); ``[default]`` otherwise."""
    data = tomllib.loads(path.read_text("utf-8")) if path else _bundled_localities()
    section = data.get(city) or data.get("default")
    if section is None:
        raise KeyError(f"no [{city}] or [default] section in the localities file")
    return _locality_of(city, section, data.get("default"))


def scheme_names() -> list[str]:
    """The warning schemes Lantian knows: ``['2018', '2024']``."""
    return known("warning_schemes", "scheme")


def scheme_rows(scheme: str, overrides: list[dict] | None = None) -> list[dict[str, object]]:
    """The conditions of ``scheme``, with local ``overrides`` applied (aqi, min_hours)."""
    if scheme not in scheme_names():
        raise KeyError(f"unknown warning scheme {scheme!r}; valid: {scheme_names()}")
    out = []
    for row in rows("warning_schemes", scheme=scheme):
        condition = {**row, "aqi": float(row["aqi"]), "min_hours": int(row["min_hours"])}
        for override in overrides or []:
            key = ("scheme", "level", "rule", "condition")
            if all(str(override.get(k)) == str(row[k]) for k in key):
                condition.update({k: override[k] for k in ("aqi", "min_hours") if k in override})
                condition["source"] = f"local override of {row['source']}"
        out.append(condition)
    return out


def level_table() -> list[dict[str, str]]:
    """Warning levels, lowest first (yellow, orange, red) with names, colours and responses."""
    return sorted(rows("warning_levels"), key=lambda r: int(r["severity"]))


def level_row(level: str) -> dict[str, str]:
    found = [r for r in level_table() if r["level"] == level]
    if not found:
        raise KeyError(
            f"unknown warning level {level!r}; valid: {[r['level'] for r in level_table()]}"
        )
    return found[0]


# ----------------------------------------------------------------------------- runs of hours
def runs(mask: npt.ArrayLike, merge_gap_hours: int = 0) -> tuple[IntArray, IntArray]:
    """Start and end (exclusive) of each run of True hours; runs with gaps < ``merge_gap_hours`` joined."""
    m = np.asarray(mask, dtype=np.int8)
    edges = np.diff(np.concatenate([[0], m, [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if merge_gap_hours > 0 and len(starts) > 1:
        joined = (starts[1:] - ends[:-1]) < merge_gap_hours
        starts = starts[np.concatenate([[True], ~joined])]
        ends = ends[np.concatenate([~joined, [True]])]
    return starts, ends


def _longest_inside(mask: npt.NDArray[np.bool_], starts: IntArray, ends: IntArray) -> IntArray:
    """For each episode [start, end), the longest run of ``mask`` inside it [h]."""
    inner_starts, inner_ends = runs(mask)
    owner = np.searchsorted(starts, inner_starts, side="right") - 1
    inside = (owner >= 0) & (inner_ends <= ends[np.maximum(owner, 0)])
    longest = np.zeros(len(starts), dtype=np.int64)
    np.maximum.at(longest, owner[inside], (inner_ends - inner_starts)[inside])
    return longest


@dataclass(frozen=True)
class Decision:
    """The warning level a series calls for, and why."""

    level: str | None
    """``yellow``, ``orange``, ``red`` or ``None``."""
    scheme: str
    rule: str | None = None
    episode_start: int | None = None
    """Hour index of the episode's first hour; ``episode_end`` is exclusive."""
    episode_end: int | None = None
    reason_zh: str = ""
    durations: dict[str, int] = field(default_factory=dict)
    """Hours of each condition in the episode (``">200": 96``, ``">300": 48``)."""
    basis: str | None = None
    """``forecast`` (the episode reaches the forecast hours) or ``observed`` (the observations
    alone already meet the grade: the override)."""


def decide(
    aqi_hourly: npt.ArrayLike,
    scheme: str,
    forecast_from: int = 0,
    merge_gap_hours: int = 0,
    overrides: list[dict] | None = None,
    exceeds: Mapping[float, npt.ArrayLike] | None = None,
) -> Decision:
    """The highest warning level whose grade holds on an episode reaching the forecast hours, or
    on one still going at the last observed hour (the observed-AQI override).

    Parameters
    ----------
    aqi_hourly
        AQI of the 24-hour window covering each hour [AQI]; NaN = unknown (breaks a run).
    scheme
        ``2018`` or ``2024`` (``tables/warning_schemes.csv``).
    forecast_from
        Index of the first forecast hour; earlier hours are observations.
    exceeds
        AQI threshold X → for each hour, whether it counts as "AQI > X" (from probabilities);
        conditions "> X" use it instead of comparing ``aqi_hourly``.
    """
    aqi = np.rint(np.asarray(aqi_hourly, dtype=np.float64))
    masks = {float(k): np.asarray(v, dtype=bool) for k, v in (exceeds or {}).items()}
    conditions = scheme_rows(scheme, overrides)
    for level in reversed([r["level"] for r in level_table()]):
        rules = dict.fromkeys(c["rule"] for c in conditions if c["level"] == level)
        for rule in rules:
            found = _grade_holds(
                aqi,
                [c for c in conditions if c["level"] == level and c["rule"] == rule],
                forecast_from,
                merge_gap_hours,
                masks,
            )
            if found is not None:
                start, end, durations, reason = found
                basis = "forecast" if end > forecast_from else "observed"
                if basis == "observed":
                    reason = f"{reason}（实测已满足）"
                return Decision(level, scheme, rule, start, end, reason, durations, basis)
    return Decision(None, scheme)


def _condition_mask(aqi: FloatArray, condition: dict, masks: dict[float, npt.NDArray[np.bool_]]):
    if condition["comparison"] == ">" and condition["aqi"] in masks:
        return masks[condition["aqi"]]
    with np.errstate(invalid="ignore"):
        return COMPARISONS[condition["comparison"]](aqi, condition["aqi"])


def _grade_holds(
    aqi: FloatArray,
    grade: list[dict],
    forecast_from: int,
    gap: int,
    masks: dict[float, npt.NDArray[np.bool_]],
):
    grade = sorted(grade, key=lambda c: c["condition"])
    first, rest = grade[0], grade[1:]
    starts, ends = runs(_condition_mask(aqi, first, masks), gap)
    ok = (ends - starts) >= first["min_hours"]
    inner: dict[str, IntArray] = {}
    for condition in rest:
        longest = _longest_inside(_condition_mask(aqi, condition, masks), starts, ends)
        inner[f"{condition['comparison']}{condition['aqi']:g}"] = longest
        ok &= longest >= condition["min_hours"]
    reaching = ok & (ends > forecast_from)
    ongoing = ok & (ends == forecast_from) & (forecast_from > 0)  # the observed-AQI override
    if not (reaching.any() or ongoing.any()):
        return None
    k = int(np.flatnonzero(reaching if reaching.any() else ongoing)[0])
    durations = {f"{first['comparison']}{first['aqi']:g}": int(ends[k] - starts[k])}
    durations.update({key: int(v[k]) for key, v in inner.items()})
    reason = "".join(c["text_zh"] for c in grade).removeprefix("或")
    return int(starts[k]), int(ends[k]), durations, reason


def hourly_from_daily(daily_aqi: npt.ArrayLike) -> FloatArray:
    """A daily AQI series spread over its days' 24 hours each (for :func:`decide`)."""
    return np.repeat(np.asarray(daily_aqi, dtype=np.float64), 24)


def decide_daily(
    observed: npt.ArrayLike,
    forecast: npt.ArrayLike,
    settings: Locality,
    day: dt.date,
    probabilities: Mapping[int, npt.ArrayLike] | None = None,
) -> Decision:
    """The decision at 00:00 of ``day`` from daily values: the ``observed`` days before it joined
    to the ``forecast`` days from it, under ``settings`` (scheme on ``day``, overrides, gap).

    With ``probabilities`` (P(AQI > T) of each forecast day, by T), a forecast day counts as
    above T when its probability reaches ``settings.probability_thresholds[T]`` (of its lead), or,
    where that is :data:`PERSISTENCE`, when the last observed day (rounded) is above T; an
    observed day when it is above T.
    """
    observed = np.asarray(observed, dtype=np.float64)
    last = np.rint(observed[-1]) if len(observed) else np.nan
    exceeds = {}
    for t, p in (probabilities or {}).items():
        if t in settings.probability_thresholds:
            p = np.asarray(p, dtype=np.float64)
            chosen = settings.probability_thresholds[t][: len(p)]
            fallback = np.asarray([c == PERSISTENCE for c in chosen], dtype=bool)
            level = np.asarray([np.nan if f else c for c, f in zip(chosen, fallback, strict=True)])
            with np.errstate(invalid="ignore"):
                forecast_above = np.where(fallback, last > t, p >= level)
            exceeds[t] = np.repeat(np.concatenate([observed > t, forecast_above]), 24)
    return decide(
        hourly_from_daily(np.concatenate([observed, np.asarray(forecast, dtype=np.float64)])),
        settings.scheme_on(day),
        forecast_from=24 * len(observed),
        merge_gap_hours=settings.merge_gap_hours,
        overrides=settings.overrides,
        exceeds=exceeds,
    )


# ----------------------------------------------------------------------------- life
def warning_life(decisions: list[tuple[dt.datetime, Decision]]) -> list[dict[str, object]]:
    """The events of a warning over successive issues: issued, raised, lowered, lifted.

    ``decisions`` are (issue time, decision) in time order. Each change of level is an event with
    its time, the levels before and after, and the reason (the grade that now holds, or for a
    lift, that no grade holds any more).
    """
    severity = {r["level"]: int(r["severity"]) for r in level_table()}
    events: list[dict[str, object]] = []
    previous: str | None = None
    for time, decision in decisions:
        now = decision.level
        if now == previous:
            continue
        before, after = severity.get(previous or "", 0), severity.get(now or "", 0)
        kind = (
            "issued"
            if before == 0
            else "lifted"
            if after == 0
            else "raised"
            if after > before
            else "lowered"
        )
        reason = decision.reason_zh or f"预测不再满足{decision.scheme}方案任何预警等级的条件"
        events.append(
            {
                "time": time,
                "event": kind,
                "event_zh": EVENTS_ZH[kind],
                "from_level": previous,
                "to_level": now,
                "scheme": decision.scheme,
                "reason_zh": reason,
                "durations": decision.durations,
            }
        )
        previous = now
    return events


# ----------------------------------------------------------------------------- notice
def _heavy_advice(day: dt.date) -> str:
    """The health advice of 重度污染 in the HJ 633 in force on ``day``."""
    table = category_table(rule_set(day).hj633)
    return next(r["advice_zh"] for r in table if int(r["level"]) == HEAVY_POLLUTION_LEVEL)


def notice_zh(
    city: str,
    event: dict[str, object],
    locality_settings: Locality,
    episode: tuple[dt.datetime, dt.datetime] | None = None,
) -> str:
    """The public notice (公告) of a warning event, in Chinese.

    The health advice is that of 重度污染 in the HJ 633 in force on the event's day (HJ 633-2012
    Table 2, HJ 633-2026 Table 1; from the standards' category table).
    """
    time = event["time"]
    stamp = f"{time:%Y年%-m月%-d日%-H时}"
    plan = locality_settings.plan
    if event["event"] == "lifted":
        old = level_row(str(event["from_level"]))
        return (
            f"{city}重污染天气{old['name_zh']}解除公告\n"
            f"经会商研判，{event['reason_zh']}。根据《{plan}》，{city}重污染天气应急指挥部决定于"
            f"{stamp}解除重污染天气{old['name_zh']}，终止{old['response_zh']}。"
        )
    new = level_row(str(event["to_level"]))
    verb = {"issued": "发布", "raised": "将预警级别提升为", "lowered": "将预警级别调整为"}[
        str(event["event"])
    ]
    span = ""
    if episode is not None:
        span = f"{episode[0]:%-m月%-d日%-H时}至{episode[1]:%-m月%-d日%-H时}，"
    return (
        f"{city}重污染天气{new['name_zh']}公告\n"
        f"据预测，{span}{city}将出现重污染天气过程（{event['reason_zh']}）。根据《{plan}》，"
        f"{city}重污染天气应急指挥部决定于{stamp}{verb}重污染天气{new['name_zh']}，启动"
        f"{new['response_zh']}。请各有关单位按照应急减排清单落实减排措施。健康防护提示："
        f"{_heavy_advice(natural_day(time))}。"
    )
