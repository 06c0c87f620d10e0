"""Benchmark: alarm rules over minute data, whole-column (``lantian.alarms``) vs pandas.

Run: ``uv run python bench/bench_alarms.py [--devices N] [--days D]``. Constructs (simulated, not
measured) PM10 minute values of N dust monitors over D days, with gaps, stuck runs and flagged
stretches, and judges them by the same rules two ways in the same run:

* Lantian: ``lantian.alarms.evaluate.alarms`` — the absolute rule (Wuhan, PM10 hourly > 150 with
  the 45-minute completeness rule), the Hebei difference rule (against a background station),
  offline, stuck and flag rules, with levels — from the Arrow table of minutes;
* baseline: a straightforward pandas implementation of the same rules, device by device
  (``groupby`` → ``resample('60min')`` mean and count, ``rolling(N)`` max == min for stuck values,
  ``diff`` of timestamps for outages, ``cumcount`` for levels).

Both run once untimed on a small slice first (imports and first-call costs).
Prints both times, minutes per second and the ratio (the issue's goal: ≥ 20×), and checks that
both found the same number of exceedances of the hourly rules.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lantian.alarms.evaluate import BackgroundHours, DeviceFacts, alarms, minutes_from_arrow
from lantian.alarms.incremental import IncrementalEvaluator
from lantian.alarms.rules import load_rules

START = dt.datetime(2026, 11, 1)
RULES = 'use = ["wuhan-pm10-hour-warning", "hebei", "data-quality"]\n'


def minute_table(devices: int, days: int, seed: int = 1) -> pa.Table:
    """Constructed minute values: lognormal PM10, 2 % of minutes missing, some stuck and M runs."""
    rng = np.random.default_rng(seed)
    n = days * 1440
    minute = np.tile(np.arange(n), devices)
    device = np.repeat(np.arange(devices), n)
    value = np.round(rng.lognormal(np.log(80), 0.6, devices * n), 1)
    stuck = rng.random(devices * n) < 0.0005
    value[np.flatnonzero(stuck)[:, None] + np.arange(40)] = 42.0 if stuck.any() else value[:0]
    flag = np.where(rng.random(devices * n) < 0.001, "M", "N")
    keep = rng.random(devices * n) > 0.02
    keep &= ~((minute % 1440 > 600) & (minute % 1440 < 700) & (device % 50 == 0))  # outages
    ts = np.datetime64(START, "s") + minute[keep].astype(np.int64) * np.timedelta64(60, "s")
    names = np.array([f"SIM{d:05d}" for d in range(devices)])
    return pa.table(
        {
            "mn": names[device[keep]],
            "ts": pa.array(ts, pa.timestamp("s")),
            "pollutant": np.full(keep.sum(), "PM10"),
            "value": value[: devices * n][keep],
            "valid": flag[keep] == "N",
            "flag": flag[keep],
        }
    )


def background(days: int) -> BackgroundHours:
    hours = np.datetime64(START, "m").astype(np.int64) + 60 * np.arange(days * 24)
    values = 60 + 40 * np.sin(np.arange(days * 24) / 5)
    return BackgroundHours(np.full(len(hours), "BG", object), hours, values)


def pandas_baseline(frame: pd.DataFrame, bg: BackgroundHours, until: pd.Timestamp) -> int:
    """The same rules, straightforwardly in pandas, device by device; returns hourly exceedances."""
    bg_series = pd.Series(
        bg.value, index=pd.to_datetime(bg.start.astype("datetime64[m]")), name="bg"
    ).clip(upper=150)
    hourly_found = 0
    alarms_rows = []
    for mn, one in frame.groupby("mn"):
        one = one.set_index("ts").sort_index()
        good = one["value"].where(one["valid"])
        hours = good.resample("60min").agg(["mean", "count"])
        hours = hours[(hours["count"] >= 45) & (hours.index + pd.Timedelta("60min") <= until)]
        absolute = hours[hours["mean"] > 150]
        joined = hours.join(bg_series, how="inner")
        difference = joined[joined["mean"] - joined["bg"] > 80]
        hourly_found += len(absolute) + len(difference)
        for found in (absolute, difference):
            day = found.index.normalize()
            occurrence = found.groupby(day).cumcount() + 1
            alarms_rows.append(pd.DataFrame({"mn": mn, "occurrence": occurrence}))
        gaps = one.index.to_series().diff().dt.total_seconds().div(60).sub(1)
        alarms_rows.append(pd.DataFrame({"mn": mn, "gap": gaps[gaps > 60]}))
        valid = one["value"].where(one["valid"]).dropna()
        same = valid.rolling(30).max() == valid.rolling(30).min()
        alarms_rows.append(pd.DataFrame({"mn": mn, "stuck": same[same]}))
        marked = one["flag"].isin(["M", "C", "D"]).astype(int)
        alarms_rows.append(pd.DataFrame({"mn": mn, "flag": marked.rolling(121).sum() == 121}))
    return hourly_found


def incremental_frames_per_second(table: pa.Table, rules, facts, bg, minutes: int = 90) -> float:
    """Minute frames per second the incremental evaluator takes when fed one minute of every
    device per call, after the rest of the data (its buffer of the day) was fed at once; the
    90 minutes include the close of an hour (the hourly rules' windows)."""
    ts = table.column("ts").to_numpy()
    cut = ts.max() - np.timedelta64(minutes * 60, "s")
    order = np.argsort(ts, kind="stable")
    table, ts = table.take(order), ts[order]
    evaluator = IncrementalEvaluator(rules, facts, bg)
    evaluator.feed(table.filter(pa.array(ts <= cut)))
    chunks = [  # cut before the clock starts: the evaluator's time only
        table.filter(pa.array(ts == cut + np.timedelta64(step * 60, "s")))
        for step in range(1, minutes + 1)
    ]
    frames = sum(chunk.num_rows for chunk in chunks)
    began = time.perf_counter()
    for chunk in chunks:
        evaluator.feed(chunk)
    return frames / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--days", type=int, default=2)
    args = parser.parse_args()
    table = minute_table(args.devices, args.days)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rules.toml"
        path.write_text(RULES + '[background]\nstations = ["BG"]\n', encoding="utf-8")
        rules = load_rules(path)
        # each side gets the minutes as its own reader returns them from a Parquet file (not
        # timed): lantian's feed reader keeps Parquet's dictionary encoding of the text columns
        # (lantian.alarms.scan.feed_minutes), pandas' read_parquet gives strings
        stored = Path(folder) / "minutes.parquet"
        pq.write_table(table, stored)
        received = table  # the live path gets the receiver's rows: plain strings
        table = pq.read_table(stored, read_dictionary=["mn", "pollutant", "flag"])
        frame = pd.read_parquet(stored)
    facts = {mn: DeviceFacts(source_kind="site") for mn in set(table.column("mn").to_pylist())}
    bg = background(args.days)
    bg = BackgroundHours(np.full(len(bg.key), "district", object), bg.start, bg.value)
    end = START + dt.timedelta(days=args.days)
    until = int(np.datetime64(end, "m").astype(np.int64))

    warm = table.slice(0, 5000)  # first calls load code paths of both libraries: not timed
    alarms(rules, minutes_from_arrow(warm), until, facts, bg)
    pandas_baseline(frame.iloc[:5000], bg, pd.Timestamp(end))

    began = time.perf_counter()
    found = alarms(rules, minutes_from_arrow(table), until, facts, bg)
    lantian_seconds = time.perf_counter() - began
    began = time.perf_counter()
    baseline_hourly = pandas_baseline(frame, bg, pd.Timestamp(end))
    pandas_seconds = time.perf_counter() - began

    kinds = found.column("kind").to_pylist()
    hourly = kinds.count("absolute") + kinds.count("difference")
    rows = table.num_rows
    print(f"{args.devices} devices × {args.days} days: {rows:,} minute values (simulated)")
    print(
        f"lantian.alarms: {lantian_seconds:.2f} s ({rows / lantian_seconds:,.0f} minutes/s), "
        f"{found.num_rows} alarms ({hourly} hourly)"
    )
    print(
        f"pandas baseline: {pandas_seconds:.2f} s ({rows / pandas_seconds:,.0f} minutes/s), "
        f"{baseline_hourly} hourly exceedances"
    )
    print(f"ratio: {pandas_seconds / lantian_seconds:.1f}× (goal ≥ 20×)")
    rate = incremental_frames_per_second(received, rules, facts, bg)
    print(
        f"incremental: {rate:,.0f} minute frames/s fed one minute of all devices per call "
        f"over 90 minutes (goal 5,000 frames/s)"
    )
    if hourly != baseline_hourly:
        print(f"WARNING: hourly exceedances differ ({hourly} vs {baseline_hourly})")


if __name__ == "__main__":
    main()
