"""Benchmark: the monitoring radius (监测点辐射区) and nearest stations, whole-matrix NumPy vs. a loop.

Run: ``uv run python bench/bench_sources.py [--sources N]``. Places N sources (constructed, not real:
uniformly over Hunan's box) and measures, against every national station of CNEMC's list (reference
data, ``lantian.demo.demo_file``, ~1,600 stations), the distances that
``lantian.sources.registry.monitoring_radius`` and ``nearest_stations`` compute as one haversine
matrix, and the same with a Python loop over (station, source) pairs calling ``math`` — the way a
row-by-row implementation would. The loop is timed on a sample of sources and scaled (its cost per
pair does not depend on N). Prints both throughputs and their ratio, measured in the same run.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from lantian.demo import STATION_LIST, demo_file
from lantian.ingest.stations import read_station_list
from lantian.sources.coordinates import EARTH_RADIUS_KM, within
from lantian.sources.registry import _station_arrays, nearest_stations


def loop_within(stations, lon, lat, km: float) -> int:
    found = 0
    for s_lon, s_lat in stations:
        for x, y in zip(lon, lat, strict=True):
            p1, p2 = math.radians(s_lat), math.radians(y)
            a = (
                math.sin((p2 - p1) / 2) ** 2
                + math.cos(p1) * math.cos(p2) * math.sin(math.radians(x - s_lon) / 2) ** 2
            )
            found += 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a)) <= km
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sources", type=int, default=20_000)
    parser.add_argument("--sample", type=int, default=200)
    options = parser.parse_args()
    stations = read_station_list(demo_file(STATION_LIST))[0]
    codes, _, s_lon, s_lat = _station_arrays(stations)
    rng = np.random.default_rng(14)
    lon = rng.uniform(108.8, 114.3, options.sources)
    lat = rng.uniform(24.6, 30.1, options.sources)
    pairs = len(codes) * options.sources

    start = time.perf_counter()
    found = len(within(s_lon, s_lat, lon, lat, 3.0)[0])
    radius_seconds = time.perf_counter() - start
    start = time.perf_counter()
    nearest_stations(lon, lat, stations)
    nearest_seconds = time.perf_counter() - start

    sample = options.sample
    start = time.perf_counter()
    looped = loop_within(list(zip(s_lon, s_lat, strict=True)), lon[:sample], lat[:sample], 3.0)
    loop_seconds = (time.perf_counter() - start) * options.sources / sample
    assert looped == len(within(s_lon, s_lat, lon[:sample], lat[:sample], 3.0)[0])

    print(f"{len(codes):,} stations × {options.sources:,} sources = {pairs:,} pairs")
    print(
        f"radius, NumPy matrix : {radius_seconds:8.3f} s  ({pairs / radius_seconds / 1e6:7.1f} M pairs/s)"
    )
    print(
        f"radius, Python loop  : {loop_seconds:8.3f} s  ({pairs / loop_seconds / 1e6:7.1f} M pairs/s, {sample} sources)"
    )
    print(f"ratio                : {loop_seconds / radius_seconds:8.1f}×")
    print(f"nearest station, NumPy matrix: {nearest_seconds:.3f} s; {found} pairs within 3 km")


if __name__ == "__main__":
    main()
