"""Each device's window means beside the threshold its rules judge them against (the site page's
chart: "its devices' last 24 h against the rule's limit").

The same function as the evaluation (:func:`lantian.alarms.evaluate.judged_windows`: the same
rows, window means, completeness counts and thresholds), so a point above its threshold line is
exactly a window the rule counts as an exceedance: for an ``absolute`` rule the limit, for
``tsp_phase`` the limit of the site's phase, for ``difference`` the capped background plus the
limit (DB13/2934-2019 表1: mean − min(background, 150) > 80 ⇔ mean > min(background, 150) + 80).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa

from lantian.alarms.evaluate import (
    JUDGED_KINDS,
    BackgroundHours,
    DeviceFacts,
    Minutes,
    judged_windows,
    rule_minutes,
)
from lantian.alarms.rules import RuleSet

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
        part = rule_minutes(rule, minutes, facts)
        min_count = rules.completeness[rule.window]
        windows = judged_windows(
            rule, part, until, min_count, facts, background, rules.background_stations
        )
        first, threshold = windows.first, windows.threshold
        if len(first) == 0:
            continue
        tables.append(
            pa.table(
                {
                    "rule_id": np.full(len(first), rule.id, object),
                    "mn": part.mn_names[part.mn[first]].astype(str),
                    "pollutant": part.pollutant_names[part.pollutant[first]].astype(str),
                    "ts": windows.start.astype("datetime64[m]").astype("datetime64[s]"),
                    "mean": windows.mean,
                    "threshold": pa.array(threshold, mask=~np.isfinite(threshold)),
                },
                schema=SERIES_SCHEMA,
            )
        )
    return pa.concat_tables(tables)
