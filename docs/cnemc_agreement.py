"""Print how closely Lantian reproduces CNEMC's published columns on the bundled 2019 Hunan data.

Run: ``scripts/uv run python docs/cnemc_agreement.py``. The same comparisons are asserted in
``tests/real_data/``; this prints the figures quoted in the docs and in issue notes.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow.compute as pc

from lantian.assess.grid import hour_grids
from lantian.demo import HUNAN_2019, demo_file
from lantian.ingest.cnemc import read_station_files
from lantian.standards import aqi_report, mda8, moving_average, moving_average_8h, round_gbt8170

POLLUTANTS = ("SO2", "NO2", "CO", "O3", "PM10", "PM2.5")


def share(computed, published, where) -> str:
    where = where & ~np.isnan(published)
    equal = int((computed[where] == published[where]).sum())
    return f"{equal:,} / {int(where.sum()):,} = {100 * equal / max(1, where.sum()):.3f} %"


def main() -> None:
    table, _ = read_station_files(demo_file(HUNAN_2019))
    stations = sorted(pc.unique(pc.cast(table["station_code"], "string")).to_pylist())
    g = {
        k: v.values
        for k, v in hour_grids(
            table, stations, dt.date(2018, 12, 31), dt.date(2019, 12, 31)
        ).items()
    }
    complete = np.all([~np.isnan(g[p]) for p in POLLUTANTS], axis=0)
    aqi = aqi_report({f"{p}_1h": g[p] for p in POLLUTANTS}, "hourly", "HJ633-2012").aqi
    print("hourly AQI, all six present:      ", share(aqi, g["AQI"], complete))
    print("hourly AQI, some missing:         ", share(aqi, g["AQI"], ~complete & ~np.isnan(aqi)))
    for p in ("PM2.5", "PM10", "SO2", "NO2", "CO"):
        means, counts = moving_average(g[p], 24, 24)
        computed = round_gbt8170(means, 1 if p == "CO" else 0)
        print(
            f"{p + '_24h':<9} complete 24-h windows: ", share(computed, g[f"{p}_24h"], counts == 24)
        )
        means, counts = moving_average(g[p], 24, 1)
        computed = round_gbt8170(means, 1 if p == "CO" else 0)
        print(
            f"{p + '_24h':<9} all published values:  ", share(computed, g[f"{p}_24h"], counts >= 1)
        )
    averages, counts = moving_average_8h(g["O3"])
    inside = (np.arange(averages.shape[1]) % 24) >= 7
    print(
        "O3_8h, complete windows in the day:",
        share(round_gbt8170(averages, 0), g["O3_8h"], inside & (counts == 8)),
    )
    day_mda8, _ = mda8(g["O3"])
    full = (~np.isnan(g["O3"])).reshape(len(stations), -1, 24).all(axis=2)
    print(
        "O3_8h_24h at 00 = MDA8, full days:",
        share(round_gbt8170(day_mda8, 0), g["O3_8h_24h"][:, 23::24], full),
    )


if __name__ == "__main__":
    main()
