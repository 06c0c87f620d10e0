"""Incremental evaluation equals the batch scan: random minute streams (simulated, not measured),
split at random points and fed in time order, give exactly the batch's alarms."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lantian.alarms.evaluate import BackgroundHours, DeviceFacts, alarms, minutes_from_arrow
from lantian.alarms.incremental import IncrementalEvaluator
from lantian.alarms.rules import load_rules
from tests.alarms.minutes import DAY, minute_of

SMALL_RULES = """
use = ["*"]
[[rule]]
id = "absolute-5"
template = "test"
kind = "absolute"
name = "PM10 5 分钟 > 100"
pollutant = "PM10"
window = 5
limit = 100
unit = "ug/m3"
per_day = 2
source = "test"
[[rule]]
id = "reference-device-pm10-difference"
template = "reference-device"
kind = "difference"
name = "PM10 对参照设备"
pollutant = "PM10"
window = 15
limit = 30
unit = "ug/m3"
background = "device"
reference_device = "R"
background_cap = 150
per_day = 1
source = "test"
[[rule]]
id = "hotspot-5"
template = "hotspot"
kind = "hotspot"
name = "热点"
pollutant = "PM10"
window = 5
limit = 40
unit = "ug/m3"
hours = 2
network = "micro"
source = "test"
[[rule]]
id = "offline-60"
template = "data-quality"
kind = "offline"
name = "离线"
minutes = 4
source = "test"
[[rule]]
id = "stuck-30"
template = "data-quality"
kind = "stuck"
name = "卡滞"
readings = 3
source = "test"
[[rule]]
id = "flag-mcd-120"
template = "data-quality"
kind = "flag"
name = "标记"
flags = ["M", "C", "D"]
minutes = 2
source = "test"
"""
DEVICES = ["A", "B", "R"]
FACTS = {
    "A": DeviceFacts(source_kind="site", phase="土方", nearest_station="X", network="micro"),
    "B": DeviceFacts(source_kind="plant", nearest_station="X", network="micro"),
    "R": DeviceFacts(network="micro", nearest_sources=(("GD01", "工地01", 0.4),)),
}


@st.composite
def streams(draw):
    """Up to ~3 h of minutes of three devices around midnight, with gaps, repeats and flags."""
    n = draw(st.integers(1, 400))
    start = DAY - dt.timedelta(minutes=draw(st.integers(0, 200)))
    device = draw(st.lists(st.sampled_from(DEVICES), min_size=n, max_size=n))
    offset = np.cumsum(
        draw(st.lists(st.sampled_from([0, 0, 1, 1, 1, 2, 7]), min_size=n, max_size=n))
    )
    value = draw(
        st.lists(st.sampled_from([20.0, 60.0, 120.0, 120.0, 200.0]), min_size=n, max_size=n)
    )
    flag = draw(st.lists(st.sampled_from(["N", "N", "N", "M", "C", "D"]), min_size=n, max_size=n))
    ts = np.datetime64(start, "s") + offset.astype(np.int64) * np.timedelta64(60, "s")
    table = pa.table(
        {
            "mn": device,
            "ts": pa.array(ts, pa.timestamp("s")),
            "pollutant": ["PM10"] * n,
            "value": value,
            "valid": [f == "N" for f in flag],
            "flag": flag,
        }
    )
    # one row per (device, minute): the feed store de-duplicates frames
    keys = table.group_by(["mn", "ts"], use_threads=False).aggregate(
        [("value", "first"), ("flag", "first")]
    )
    first = pa.table(
        {
            "mn": keys.column("mn"),
            "ts": keys.column("ts"),
            "pollutant": ["PM10"] * keys.num_rows,
            "value": keys.column("value_first"),
            "valid": [f == "N" for f in keys.column("flag_first").to_pylist()],
            "flag": keys.column("flag_first"),
        }
    ).sort_by([("ts", "ascending"), ("mn", "ascending")])
    cuts = sorted(draw(st.lists(st.integers(0, first.num_rows), max_size=8)))
    return first, cuts


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(stream=streams())
def test_incremental_equals_batch(tmp_path, stream):
    table, cuts = stream
    path = tmp_path / "rules.toml"
    path.write_text(SMALL_RULES, encoding="utf-8")
    rules = load_rules(path)
    background = BackgroundHours.empty()
    last = int(table.column("ts").to_numpy().astype("datetime64[m]").astype(np.int64).max())
    until = last + 30
    evaluator = IncrementalEvaluator(rules, FACTS, background)
    pieces = [
        evaluator.feed(table.slice(a, b - a))
        for a, b in zip([0, *cuts], [*cuts, table.num_rows], strict=True)
    ]
    pieces.append(evaluator.finish(until))
    incremental = pa.concat_tables(pieces).sort_by(
        [("ts", "ascending"), ("mn", "ascending"), ("rule_id", "ascending")]
    )
    batch = alarms(rules, minutes_from_arrow(table), until, FACTS, background)
    assert incremental.to_pylist() == batch.to_pylist()


def test_the_stream_raises_every_rule_kind_somewhere():
    """The property above is not vacuous: a fixed stream of its kind raises every kind."""
    path_rules = load_rules_from_text()
    n = 120
    ts = np.datetime64(DAY, "s") + np.r_[np.arange(60), np.arange(70, 130)] * np.timedelta64(
        60, "s"
    )
    values = np.r_[[200.0] * 10, [20.0] * 110]
    flags = ["N"] * 100 + ["M"] * 20
    site = pa.table(
        {
            "mn": ["A"] * n,
            "ts": pa.array(ts, pa.timestamp("s")),
            "pollutant": ["PM10"] * n,
            "value": values,
            "valid": [f == "N" for f in flags],
            "flag": flags,
        }
    )
    reference = site.set_column(0, "mn", pa.array(["R"] * n)).set_column(
        3, "value", pa.array([20.0] * n)
    )
    both = pa.concat_tables([site, reference])
    found = alarms(path_rules, minutes_from_arrow(both), minute_of(DAY) + 200, FACTS)
    assert set(found.column("kind").to_pylist()) == {
        "absolute",
        "difference",
        "offline",
        "stuck",
        "flag",
        "hotspot",
    }


def load_rules_from_text():
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rules.toml"
        path.write_text(SMALL_RULES, encoding="utf-8")
        return load_rules(path)


def test_a_minute_split_between_calls_is_not_yet_an_outage():
    """The newest minute may still be arriving: device A's minute 5 comes in the call after
    device B's. Batch: A missed minutes 1–4 (4, not more than the rule's 4), no alarm; so the
    incremental evaluator must not judge minute 5 as missing when B's minute 5 arrives first."""
    rules = load_rules_from_text()

    def rows(mn: str, minute: int) -> pa.Table:
        ts = np.datetime64(DAY, "s") + np.timedelta64(60 * minute, "s")
        return pa.table(
            {
                "mn": [mn],
                "ts": pa.array([ts], pa.timestamp("s")),
                "pollutant": ["PM10"],
                "value": [float(minute)],
                "valid": [True],
                "flag": ["N"],
            }
        )

    evaluator = IncrementalEvaluator(rules, FACTS)
    first = evaluator.feed(pa.concat_tables([rows("A", 0), rows("R", 0), rows("B", 5)]))
    second = evaluator.feed(pa.concat_tables([rows("A", 5), rows("R", 5)]))
    assert first.num_rows + second.num_rows == 0
