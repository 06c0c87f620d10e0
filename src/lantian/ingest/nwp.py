"""Forecast meteorology from a numerical weather prediction (NWP) model: a tidy CSV and GRIB2.

Both readers return ``(table, metadata)``: an Arrow table with one row per city, model run and valid
time, in :data:`NWP_COLUMNS` (units in brackets), and a dict (file, rows, rejected rows, skipped
messages).

``city``; ``issue_time`` (the run's reference time, Beijing time, naive: a forecast issued at
00:00 of day D may use runs with ``issue_time`` ≤ D 00:00 only); ``valid_time`` (the instant the
values are forecast for, Beijing time); ``temperature`` [°C], ``relative_humidity`` [%],
``wind_speed`` [m/s], ``wind_u``, ``wind_v`` [m/s, towards east and north],
``boundary_layer_height`` [m], ``precipitation`` [mm in the period ending at ``valid_time``, since
the run's previous valid time], ``pressure`` [hPa]. Missing values are null.

**Tidy CSV** (UTF-8, header row): required ``city, issue_time, valid_time``; any of the numeric
columns, plus ``wind_direction`` [degrees from north, where the wind comes from] from which, with
``wind_speed``, ``wind_u``/``wind_v`` are derived when absent (u = −speed·sin(direction), v =
−speed·cos(direction)), and the speed from u and v when absent. Times as ``2019-01-27T20:00`` or
``2019-01-27 20:00``. A row with a bad time, a valid time before its issue time or a value outside
the plausible ranges (:func:`lantian.ingest.weather.plausible_ranges`, one table for observations
and forecasts) is rejected as a :class:`~lantian.ingest.schema.Rejection` with its line number,
field and reason; the others are kept.

**GRIB2** (WMO FM 92 GRIB edition 2, decoded with ECMWF's ecCodes, the ``eccodes`` package with the
library from ``eccodeslib``): every message whose ecCodes ``shortName`` is in :data:`GRIB_SHORT_NAMES`
(``2t`` 2 m temperature [K], ``2r`` 2 m relative humidity [%], ``10u``/``10v`` 10 m wind [m/s],
``blh`` boundary-layer height [m], ``tp`` total precipitation [kg m⁻² = mm], ``sp`` surface
pressure [Pa]) is read at each city's nearest grid point (ecCodes ``codes_grib_find_nearest``); a
point farther than :data:`MAX_DISTANCE_KM` from the city is outside the grid: null. Reference and
validity times are UTC (GRIB2 section 1) and become Beijing time (+8 h). Precipitation accumulated
from the start of the run (``startStep`` 0, as ECMWF and GFS write ``tp``) is differenced between
consecutive valid times of the run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from lantian.ingest.schema import FormatError
from lantian.ingest.weather import RowChecks, read_table
from lantian.times import to_beijing

FloatArray = npt.NDArray[np.float64]

NWP_VARIABLES = (
    "temperature",
    "relative_humidity",
    "wind_speed",
    "wind_u",
    "wind_v",
    "boundary_layer_height",
    "precipitation",
    "pressure",
)
NWP_COLUMNS = ("city", "issue_time", "valid_time", *NWP_VARIABLES)
REQUIRED = ("city", "issue_time", "valid_time")
GRIB_SHORT_NAMES = {  # shortName: (column, offset, scale): value = (raw + offset) · scale
    "2t": ("temperature", -273.15, 1.0),
    "2r": ("relative_humidity", 0.0, 1.0),
    "10u": ("wind_u", 0.0, 1.0),
    "10v": ("wind_v", 0.0, 1.0),
    "blh": ("boundary_layer_height", 0.0, 1.0),
    "tp": ("precipitation", 0.0, 1.0),
    "sp": ("pressure", 0.0, 0.01),
}
MAX_DISTANCE_KM = 100.0
"""A city farther than this from its nearest grid point is outside the grid (a 1° grid's half
diagonal is about 78 km) [km]."""


def _winds(numbers: dict[str, FloatArray]) -> None:
    """Fill u/v from speed and direction, and the speed from u/v, where absent (in place)."""
    direction = np.deg2rad(numbers.pop("wind_direction"))
    speed = numbers["wind_speed"]
    numbers["wind_u"] = np.where(
        np.isnan(numbers["wind_u"]), -speed * np.sin(direction), numbers["wind_u"]
    )
    numbers["wind_v"] = np.where(
        np.isnan(numbers["wind_v"]), -speed * np.cos(direction), numbers["wind_v"]
    )
    numbers["wind_speed"] = np.where(
        np.isnan(speed), np.hypot(numbers["wind_u"], numbers["wind_v"]), speed
    )


def _table(
    city: Sequence[str] | pa.Array,
    issue: Sequence[dt.datetime] | pa.ChunkedArray,
    valid: Sequence[dt.datetime] | pa.ChunkedArray,
    numbers: dict[str, FloatArray],
) -> pa.Table:
    return pa.table(
        {
            "city": pa.array(city, pa.string()),
            "issue_time": pa.array(issue, pa.timestamp("s")),
            "valid_time": pa.array(valid, pa.timestamp("s")),
            **{
                name: pa.array(numbers[name], pa.float64(), from_pandas=True)
                for name in NWP_VARIABLES
            },
        }
    )


def read_nwp_csv(path: Path | str) -> tuple[pa.Table, dict[str, object]]:
    """Read a tidy forecast-meteorology CSV (see the module docstring)."""
    path = Path(path)
    raw = read_table(path, REQUIRED, REQUIRED)
    checks = RowChecks(raw)
    issue, valid = checks.times("issue_time"), checks.times("valid_time")
    before = np.asarray(pc.fill_null(pc.less(valid, issue), False))
    checks.refuse(before, "valid_time", "before_issue_time")
    numbers = {name: checks.numbers(name) for name in (*NWP_VARIABLES, "wind_direction")}
    _winds(numbers)
    keep = checks.kept
    mask = pa.array(keep)
    table = _table(
        raw["city"].filter(mask),
        issue.filter(mask),
        valid.filter(mask),
        {k: v[keep] for k, v in numbers.items()},
    )
    rejected = checks.rejections(str(path))
    return table, {"file": str(path), "rows": table.num_rows, "rejected": rejected}


def _grib_time(date: int, time: int) -> dt.datetime:
    """A GRIB date (YYYYMMDD) and time (HHMM), UTC, as Beijing time."""
    stamp = dt.datetime.strptime(f"{date:08d}{time:04d}", "%Y%m%d%H%M")
    return to_beijing(stamp.replace(tzinfo=dt.UTC))


def read_nwp_grib(
    path: Path | str, places: dict[str, tuple[float, float]]
) -> tuple[pa.Table, dict[str, object]]:
    """Read a GRIB2 file's forecast meteorology at each city of ``places`` (city → (latitude,
    longitude) [degrees]); see the module docstring."""
    import eccodes  # the ecCodes library is loaded only by commands that read GRIB

    path = Path(path)
    records: dict[tuple[str, dt.datetime, dt.datetime], dict[str, float]] = {}
    accumulated: set[tuple[str, dt.datetime]] = set()
    skipped: dict[str, int] = {}
    with path.open("rb") as handle:
        while True:
            try:
                message = eccodes.codes_grib_new_from_file(handle)
            except eccodes.CodesInternalError as error:
                raise FormatError(path.name, f"not a readable GRIB file ({error})") from error
            if message is None:
                break
            try:
                short_name = str(eccodes.codes_get(message, "shortName"))
                if short_name not in GRIB_SHORT_NAMES:
                    skipped[short_name] = skipped.get(short_name, 0) + 1
                    continue
                column, offset, scale = GRIB_SHORT_NAMES[short_name]
                issue = _grib_time(
                    eccodes.codes_get(message, "dataDate"), eccodes.codes_get(message, "dataTime")
                )
                valid = _grib_time(
                    eccodes.codes_get(message, "validityDate"),
                    eccodes.codes_get(message, "validityTime"),
                )
                from_start = (
                    column == "precipitation" and int(eccodes.codes_get(message, "startStep")) == 0
                )
                for city, value in _at_places(eccodes, message, places).items():
                    records.setdefault((city, issue, valid), {})[column] = (value + offset) * scale
                    if from_start:
                        accumulated.add((city, issue))
            finally:
                eccodes.codes_release(message)
    keys = sorted(records)
    numbers = {
        name: np.asarray([records[k].get(name, np.nan) for k in keys]) for name in NWP_VARIABLES
    }
    numbers["wind_speed"] = np.where(
        np.isnan(numbers["wind_speed"]),
        np.hypot(numbers["wind_u"], numbers["wind_v"]),
        numbers["wind_speed"],
    )
    _difference_accumulations(keys, numbers["precipitation"], accumulated)
    table = _table([k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys], numbers)
    return table, {"file": str(path), "rows": table.num_rows, "rejected": [], "skipped": skipped}


def _at_places(
    eccodes: Any, message: Any, places: dict[str, tuple[float, float]]
) -> dict[str, float]:
    """The value at each place's nearest grid point; NaN outside the grid or missing."""
    missing_value = eccodes.codes_get(message, "missingValue")
    out = {}
    for city, (latitude, longitude) in places.items():
        try:
            nearest = eccodes.codes_grib_find_nearest(message, latitude, longitude)[0]
        except eccodes.CodesInternalError:  # OutOfAreaError: not on a limited-area grid
            out[city] = np.nan
            continue
        value = float(nearest["value"])
        outside = nearest["distance"] > MAX_DISTANCE_KM or value == missing_value
        out[city] = np.nan if outside else value
    return out


def _difference_accumulations(
    keys: list[tuple[str, dt.datetime, dt.datetime]],
    precipitation: FloatArray,
    runs: set[tuple[str, dt.datetime]],
) -> None:
    """Precipitation accumulated since the run's start → the amount since its previous valid time
    (in place; ``keys`` sorted by city, issue and valid time)."""
    if not keys:
        return
    run_keys = [(city, issue) for city, issue, _ in keys]
    codes = {run: k for k, run in enumerate(dict.fromkeys(run_keys))}
    run = np.fromiter((codes[r] for r in run_keys), dtype=np.int64, count=len(keys))
    from_start = np.isin(run, [codes[r] for r in runs if r in codes])
    same_run = np.concatenate([[False], run[1:] == run[:-1]])
    previous = np.concatenate([[np.nan], precipitation[:-1]])
    amount = np.where(same_run, precipitation - previous, precipitation)
    precipitation[:] = np.where(from_start, np.maximum(amount, 0.0), precipitation)


def read_nwp(
    path: Path | str, places: dict[str, tuple[float, float]] | None = None
) -> tuple[pa.Table, dict[str, object]]:
    """Read forecast meteorology: ``.grib2``/``.grb2``/``.grib``/``.grb`` as GRIB (needs
    ``places``), ``.csv`` as the tidy format."""
    suffix = Path(path).suffix.lower()
    if suffix in (".grib2", ".grb2", ".grib", ".grb"):
        if not places:
            raise FormatError(Path(path).name, "reading GRIB needs the cities' coordinates")
        return read_nwp_grib(path, places)
    if suffix == ".csv":
        return read_nwp_csv(path)
    raise FormatError(Path(path).name, "not a forecast-meteorology file (.csv or .grib2)")
