"""Weather data for the forecast: NOAA ISD-Lite station files and Lantian's tidy weather format.

Readers follow the ``read_*`` (a file) / ``parse_*`` (text) pattern and return ``(table, metadata)``:
an Arrow table in the glossary's names, one row per observation, and a dict (station, counts,
rejected lines).

Columns of every weather table (units in brackets):

``station_id`` (ISD ``USAF-WBAN`` or the tidy file's id), ``city`` (may be null), ``ts``
(observation time, Beijing time UTC+8, naive; an instant, not an hour period),
``temperature`` [°C], ``dew_point`` [°C], ``relative_humidity`` [%], ``pressure`` [hPa],
``wind_speed`` [m/s], ``wind_direction`` [degrees from north, 0 = calm], ``precipitation``
[mm since the previous observation, may be null], ``boundary_layer_height`` [m, may be null].

ISD-Lite (NOAA/NCEI, "ISD-Lite Technical Document"): fixed width, 61 characters, UTC; year (1–4),
month (6–7), day (9–10), hour (12–13), then eight right-aligned 6-character fields: air
temperature (×10 °C), dew point (×10 °C), sea-level pressure (×10 hPa), wind direction (degrees),
wind speed (×10 m/s), sky cover code, 1-hour and 6-hour liquid precipitation (×10 mm); −9999 =
missing, −1 = trace (read as 0 mm). ``precipitation`` is the 1-hour amount, or where it is missing
the 6-hour amount at the synoptic hours 00, 06, 12 and 18 UTC only (so that 6-hour totals
reported at 3-hourly observations are not counted twice). Relative humidity is derived from temperature and dew point
with the Magnus formula of Alduchov & Eskridge (1996, J. Appl. Meteor. 35, Eq. 21:
e_s = 6.1094 exp(17.625 T / (T + 243.04)) hPa), stated valid for −40 … 50 °C; outside it the
humidity is left null.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from lantian.forecast.tables import rows as table_rows
from lantian.times import BEIJING_OFFSET

FloatArray = npt.NDArray[np.float64]

ISD_LINE_WIDTH = 61
ISD_MISSING = -9999
ISD_TRACE = -1
ISD_FIELDS = (  # (name, divisor to the unit)
    ("temperature", 10),
    ("dew_point", 10),
    ("pressure", 10),
    ("wind_direction", 1),
    ("wind_speed", 10),
    ("sky_cover", 1),
    ("precipitation_1h", 10),
    ("precipitation_6h", 10),
)
MAGNUS_VALID_CELSIUS = (-40.0, 50.0)

WEATHER_COLUMNS = (
    "temperature",
    "dew_point",
    "relative_humidity",
    "pressure",
    "wind_speed",
    "wind_direction",
    "precipitation",
    "boundary_layer_height",
)
"""The numeric columns of a weather table, in order."""
TIDY_REQUIRED = ("station_id", "ts", "temperature", "wind_speed", "wind_direction", "pressure")
TIDY_RANGES = {
    "temperature": (-60.0, 60.0),
    "dew_point": (-80.0, 40.0),
    "relative_humidity": (0.0, 100.0),
    "pressure": (500.0, 1100.0),
    "wind_speed": (0.0, 75.0),
    "wind_direction": (0.0, 360.0),
    "precipitation": (0.0, 500.0),
    "boundary_layer_height": (0.0, 6000.0),
}
"""Plausible ranges of the tidy format's columns; a value outside rejects its row."""


class WeatherFormatError(ValueError):
    """A weather file that cannot be read at all (not a row-level problem)."""


def relative_humidity(temperature: npt.ArrayLike, dew_point: npt.ArrayLike) -> FloatArray:
    """Relative humidity from temperature and dew point (Alduchov & Eskridge 1996, Eq. 21) [%].

    Parameters
    ----------
    temperature, dew_point
        [°C]; outside −40 … 50 °C the result is NaN (the formula's stated range).
    """
    t = np.asarray(temperature, dtype=np.float64)
    td = np.asarray(dew_point, dtype=np.float64)

    def saturation(x: FloatArray) -> FloatArray:
        return 6.1094 * np.exp(17.625 * x / (x + 243.04))

    low, high = MAGNUS_VALID_CELSIUS
    inside = (t >= low) & (t <= high) & (td >= low) & (td <= high)
    with np.errstate(invalid="ignore", over="ignore"):
        rh = np.minimum(100.0 * saturation(td) / saturation(t), 100.0)
    return np.where(inside, rh, np.nan)


def _city_of(station_id: str) -> str | None:
    found = [r for r in table_rows("met_stations") if r["station_id"] == station_id]
    return found[0]["city"] if found else None


def parse_isd_lite(text: str, station_id: str) -> tuple[pa.Table, dict[str, object]]:
    """Parse the text of an ISD-Lite file of station ``station_id`` (``USAF-WBAN``)."""
    lines = np.asarray(text.splitlines(), dtype=object)
    widths = np.fromiter((len(line.rstrip()) for line in lines), dtype=np.int64, count=len(lines))
    good = widths == ISD_LINE_WIDTH
    rejected = [{"line": int(n) + 1, "reason": "not 61 characters"} for n in np.flatnonzero(~good)]
    fixed = np.asarray([line.rstrip() for line in lines[good]], dtype=f"S{ISD_LINE_WIDTH}")
    chars = fixed.view("S1").reshape(len(fixed), ISD_LINE_WIDTH)

    def field(start: int, stop: int) -> npt.NDArray[np.int64]:
        joined = np.ascontiguousarray(chars[:, start:stop]).view(f"S{stop - start}").ravel()
        return joined.astype(np.int64)

    year, month, day, hour = field(0, 4), field(5, 7), field(8, 10), field(11, 13)
    stamps = (
        (year - 1970).astype("datetime64[Y]").astype("datetime64[M]")
        + (month - 1).astype("timedelta64[M]")
    ).astype("datetime64[D]") + (day - 1).astype("timedelta64[D]")
    ts = stamps.astype("datetime64[h]") + hour.astype("timedelta64[h]") + BEIJING_OFFSET
    raw = {}
    for k, (name, scale) in enumerate(ISD_FIELDS):
        values = field(13 + 6 * k, 19 + 6 * k).astype(np.float64)
        values = np.where(values == ISD_MISSING, np.nan, values)
        if name.startswith("precipitation"):
            values = np.where(values == ISD_TRACE, 0.0, values)
        raw[name] = values / scale
    columns = {
        "station_id": pa.array([station_id] * len(ts), pa.string()),
        "city": pa.array([_city_of(station_id)] * len(ts), pa.string()),
        "ts": pa.array(ts.astype("datetime64[s]")),
        "temperature": raw["temperature"],
        "dew_point": raw["dew_point"],
        "relative_humidity": relative_humidity(raw["temperature"], raw["dew_point"]),
        "pressure": raw["pressure"],
        "wind_speed": raw["wind_speed"],
        "wind_direction": raw["wind_direction"],
        "precipitation": np.where(
            np.isnan(raw["precipitation_1h"]) & (hour % 6 == 0),
            raw["precipitation_6h"],
            raw["precipitation_1h"],
        ),
        "boundary_layer_height": np.full(len(ts), np.nan),
    }
    table = pa.table(
        {
            k: pa.array(v, from_pandas=True) if isinstance(v, np.ndarray) else v
            for k, v in columns.items()
        }
    )
    metadata = {"station_id": station_id, "rows": table.num_rows, "rejected": rejected}
    return table, metadata


def read_isd_lite(path: Path | str) -> tuple[pa.Table, dict[str, object]]:
    """Read an ISD-Lite file; the station id is taken from a name like ``578660-99999-2021``."""
    path = Path(path)
    parts = path.name.split("-")
    if len(parts) < 2 or not (parts[0].isdigit() and parts[1].isdigit()):
        raise WeatherFormatError(f"{path.name}: expected an ISD-Lite name like 578660-99999-2021")
    table, metadata = parse_isd_lite(path.read_text("ascii"), f"{parts[0]}-{parts[1]}")
    metadata["file"] = str(path)
    return table, metadata


def read_weather_csv(path: Path | str) -> tuple[pa.Table, dict[str, object]]:
    """Read a tidy weather CSV (UTF-8, header row; see ``docs/forecast.md``).

    Required columns: ``station_id, ts, temperature, wind_speed, wind_direction, pressure``;
    optional: ``city``, ``dew_point``, ``relative_humidity`` (derived from the dew point when
    absent), ``precipitation``, ``boundary_layer_height``. ``ts`` is Beijing time (ISO 8601).
    Rows with an unparsable time or a value outside :data:`TIDY_RANGES` are rejected, each with
    its line number (the header is line 1) and reason; the other rows are kept.
    """
    path = Path(path)
    try:
        raw = pacsv.read_csv(
            path, convert_options=pacsv.ConvertOptions(column_types={"ts": pa.string()})
        )
    except pa.ArrowInvalid as error:
        raise WeatherFormatError(f"{path.name}: {error}") from error
    missing = [c for c in TIDY_REQUIRED if c not in raw.column_names]
    if missing:
        raise WeatherFormatError(f"{path.name}: missing column(s) {', '.join(missing)}")
    n = raw.num_rows
    reasons = np.full(n, "", dtype=object)
    ts = pc.strptime(raw["ts"], format="%Y-%m-%dT%H:%M", unit="s", error_is_null=True)
    ts_alt = pc.strptime(raw["ts"], format="%Y-%m-%d %H:%M", unit="s", error_is_null=True)
    ts = pc.coalesce(ts, ts_alt)
    reasons[np.asarray(pc.is_null(ts))] = "ts: not a time like 2021-01-01T08:00"
    numbers: dict[str, FloatArray] = {}
    for name in WEATHER_COLUMNS:
        if name not in raw.column_names:
            numbers[name] = np.full(n, np.nan)
            continue
        column = raw[name]
        try:
            values = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            reasons[reasons == ""] = f"{name}: not a number"
            values = np.full(n, np.nan)
        low, high = TIDY_RANGES[name]
        outside = (values < low) | (values > high)
        reasons[outside & (reasons == "")] = f"{name}: outside {low:g} … {high:g}"
        numbers[name] = values
    if np.isnan(numbers["relative_humidity"]).all():
        numbers["relative_humidity"] = relative_humidity(
            numbers["temperature"], numbers["dew_point"]
        )
    keep = reasons == ""
    rejected = [{"line": int(i) + 2, "reason": str(reasons[i])} for i in np.flatnonzero(~keep)]
    city = (
        raw["city"].cast(pa.string())
        if "city" in raw.column_names
        else pa.array([None] * n, pa.string())
    )
    mask = pa.array(keep)
    table = pa.table(
        {
            "station_id": raw["station_id"].cast(pa.string()).filter(mask),
            "city": city.filter(mask),
            "ts": ts.filter(mask),
            **{k: pa.array(v[keep], from_pandas=True) for k, v in numbers.items()},
        }
    )
    return table, {"file": str(path), "rows": table.num_rows, "rejected": rejected}


def read_weather(path: Path | str) -> tuple[pa.Table, dict[str, object]]:
    """Read a weather file: ``.csv`` as the tidy format, anything else as ISD-Lite."""
    return read_weather_csv(path) if str(path).endswith(".csv") else read_isd_lite(path)


DAILY_VARIABLES = (
    "temperature",
    "temperature_max",
    "relative_humidity",
    "pressure",
    "wind_speed",
    "wind_u",
    "wind_v",
    "precipitation",
    "boundary_layer_height",
)
"""Daily weather features: means, except ``temperature_max`` (maximum) and ``precipitation`` (sum)."""
MIN_OBSERVATIONS_PER_DAY = 4


def daily_weather(
    table: pa.Table, cities: list[str], first_day: dt.date, n_days: int
) -> dict[str, FloatArray]:
    """Daily weather per city on a history's axes: {variable: (cities, days)}, NaN where unknown.

    A day is the Beijing calendar day of the observation times; a variable's daily value needs
    :data:`MIN_OBSERVATIONS_PER_DAY` observations (3-hourly synoptic reports give 8). With several
    stations in one city, their observations are pooled. Wind components: u = −speed·sin(direction),
    v = −speed·cos(direction) (meteorological convention: direction is where the wind comes from).
    """
    city_column = table["city"].to_pylist()
    city_row = np.asarray([cities.index(c) if c in cities else -1 for c in city_column])
    ts = table["ts"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
    day = (ts - np.datetime64(first_day, "D")).astype(np.int64)
    keep = (city_row >= 0) & (day >= 0) & (day < n_days)
    cell = city_row[keep] * n_days + day[keep]
    size = len(cities) * n_days

    def column(name: str) -> FloatArray:
        return table[name].to_numpy(zero_copy_only=False).astype(np.float64)[keep]

    speed, direction = column("wind_speed"), np.deg2rad(column("wind_direction"))
    values = {
        "temperature": column("temperature"),
        "relative_humidity": column("relative_humidity"),
        "pressure": column("pressure"),
        "wind_speed": speed,
        "wind_u": -speed * np.sin(direction),
        "wind_v": -speed * np.cos(direction),
        "boundary_layer_height": column("boundary_layer_height"),
    }
    out: dict[str, FloatArray] = {}
    for name, x in values.items():
        valid = ~np.isnan(x)
        count = np.bincount(cell[valid], minlength=size)
        total = np.bincount(cell[valid], weights=x[valid], minlength=size)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(count >= MIN_OBSERVATIONS_PER_DAY, total / count, np.nan)
        out[name] = mean.reshape(len(cities), n_days)
    temperature = values["temperature"]
    valid = ~np.isnan(temperature)
    maximum = np.full(size, -np.inf)
    np.maximum.at(maximum, cell[valid], temperature[valid])
    count = np.bincount(cell[valid], minlength=size)
    out["temperature_max"] = np.where(count >= MIN_OBSERVATIONS_PER_DAY, maximum, np.nan).reshape(
        len(cities), n_days
    )
    rain = column("precipitation")
    valid = ~np.isnan(rain)
    reported = np.bincount(cell[valid], minlength=size)
    total = np.bincount(cell[valid], weights=rain[valid], minlength=size)
    out["precipitation"] = np.where(reported > 0, total, np.nan).reshape(len(cities), n_days)
    return {name: out[name] for name in DAILY_VARIABLES}
