"""The real 2019 CNEMC data of Hunan's 81 national stations (reference data), laid on hour grids.

Source: CNEMC real-time release, as mirrored in the public repository Feryt/IntroML-Final-Project
(commit 79a21d7), cut to Hunan (see src/lantian/demo/README.md). The grid starts on 2018-12-31
so that the value stamped 2019-01-01 00:00 (the last hour of 2018-12-31) has a column.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow.compute as pc
import pytest

from lantian.assess.grid import hour_grids
from lantian.demo import HUNAN_2019, demo_file
from lantian.ingest.cnemc import read_station_files

FIRST_DAY = dt.date(2018, 12, 31)
LAST_DAY = dt.date(2019, 12, 31)
POLLUTANTS = ("SO2", "NO2", "CO", "O3", "PM10", "PM2.5")


@pytest.fixture(scope="session")
def hunan_2019() -> dict[str, np.ndarray]:
    """CNEMC ``type`` → (81 stations, hours) array; NaN where the file has no value."""
    table, _ = read_station_files(demo_file(HUNAN_2019))
    stations = sorted(pc.unique(pc.cast(table["station_code"], "string")).to_pylist())
    grids = hour_grids(table, stations, FIRST_DAY, LAST_DAY)
    return {name: grid.values for name, grid in grids.items()}


def stamp(hour_index: int) -> np.datetime64:
    """The CNEMC time stamp (end of hour) of a grid column."""
    return np.datetime64(FIRST_DAY, "h") + np.timedelta64(hour_index + 1, "h")
