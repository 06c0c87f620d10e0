"""Each device's window means beside the threshold its rules judge them against (the site page's
chart: "its devices' last 24 h against the rule's limit").

The same functions as the evaluation (:func:`lantian.alarms.evaluate.window_means`, the same
completeness counts, :func:`~lantian.alarms.evaluate.window_background`), so a point above its
threshold line is exactly a window the rule counts as an exceedance: for an ``absolute`` rule the
limit, for ``tsp_phase`` the limit of the site's phase, for ``difference`` the capped background
plus the limit (DB13/2934-2019 表1: mean − min(background, 150) > 80 ⇔ mean > min(background,
150) + 80).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa

from lantian.alarms.evaluate import (
    FEED_UNIT,
    BackgroundHours,
    DeviceFacts,
    Minutes,
    _applies,
    _per_device,
    code_of,
    window_background,
    window_means,
)
from lantian.alarms.rules import Rule, RuleSet
from lantian.feeds.intake import unit_scale

JUDGED_KINDS = ("absolute", "difference", "tsp_phase")
"""The rule kinds judged on window means (the others count outages, runs and flags)."""
SERIES_SCHEMA = pa.schema(
    [
        pa.field("rule_id", pa.string()),
        pa.field("mn", pa.string()),
        pa.field("pollutant", pa.string()),
        pa.field("ts", pa.timestamp("s")),
        pa.field("mean", pa.float64()),
        pa.field("threshold", pa.float64()),
    ]
)
"""One closed window: ``ts`` its start (Beijing), ``mean`` [µg/m³], ``threshold`` the value the
mean must exceed to count [µg/m³] (null where the rule has none: no background that hour)."""


def _thresholds(
    rule: Rule,
    part: Minutes,
    first: np.ndarray,
    start: np.ndarray,
    until: int,
    min_count: int,
    facts: Mapping[str, DeviceFacts],
    background: BackgroundHours,
    stations: tuple[str, ...],
) -> np.ndarray:
    scale = unit_scale(rule.unit, FEED_UNIT)
    if rule.kind == "absolute":
        return np.full(len(first), rule.limit * scale)
    if rule.kind == "tsp_phase":
        by_device = {mn: rule.limits.get(f.phase or "") for mn, f in facts.items() if f.phase}
        limits = _per_device(part, part.mn[first], by_device, None)
        return np.array([np.nan if v is None else v * scale for v in limits], dtype=np.float64)
    measured = window_background(
        rule, part, first, start, until, min_count, facts, background, stations
    )
    return np.minimum(measured, rule.background_cap * scale) + rule.limit * scale


def rule_series(
    rules: RuleSet,
    minutes: Minutes,
    until: int,
    facts: Mapping[str, DeviceFacts] | None = None,
    background: BackgroundHours | None = None,
) -> pa.Table:
    """The closed windows of every judged rule in force over ``minutes`` (:data:`SERIES_SCHEMA`)."""
    facts = facts or {}
    background = background if background is not None else BackgroundHours.empty()
    tables = [SERIES_SCHEMA.empty_table()]
    for rule in (r for r in rules.rules if r.kind in JUDGED_KINDS):
        rows = _applies(rule, minutes, facts)
        if rule.kind == "difference" and rule.background == "device":
            rows |= (minutes.pollutant == code_of(minutes.pollutant_names, rule.pollutant)) & (
                minutes.mn == code_of(minutes.mn_names, rule.reference_device)
            )
        part = minutes.take(np.flatnonzero(rows))
        min_count = rules.completeness[rule.window]
        first, _stop, start, mean = window_means(part, rule.window, min_count, until)
        if len(first) == 0:
            continue
        threshold = _thresholds(
            rule, part, first, start, until, min_count, facts, background,
            rules.background_stations,
        )  # fmt: skip
        tables.append(
            pa.table(
                {
                    "rule_id": np.full(len(first), rule.id, object),
                    "mn": part.mn_names[part.mn[first]].astype(str),
                    "pollutant": part.pollutant_names[part.pollutant[first]].astype(str),
                    "ts": start.astype("datetime64[m]").astype("datetime64[s]"),
                    "mean": mean,
                    "threshold": pa.array(threshold, mask=~np.isfinite(threshold)),
                },
                schema=SERIES_SCHEMA,
            )
        )
    return pa.concat_tables(tables)
