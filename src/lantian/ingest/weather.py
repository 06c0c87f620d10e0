"""Weather observations: NOAA ISD-Lite station files and Lantian's tidy weather CSV; and what every
weather reader shares (the plausible ranges, times, numbers, rejections).

Readers follow the ``read_*`` (a file) / ``parse_*`` (text) pattern and return ``(table,
metadata)``: an Arrow table in the glossary's names, one row per observation, and a dict (file,
station, rows, ``rejected``: a list of :class:`~lantian.ingest.schema.Rejection`, the one rejection
type of every reader). A file that cannot be read at all raises
:class:`~lantian.ingest.schema.FormatError`. Forecast meteorology (NWP) is :mod:`lantian.ingest.nwp`,
on the same helpers.

Columns of every weather table (units in brackets):

``station_id`` (ISD ``USAF-WBAN`` or the tidy file's id), ``city`` (the tidy file's, else null:
which city a weather station serves is the forecast's table ``met_stations.csv``), ``ts``
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
reported at 3-hourly observations are not counted twice). Relative humidity is derived from
temperature and dew point with the Magnus formula of Alduchov & Eskridge (1996, J. Appl. Meteor.
35, Eq. 21: e_s = 6.1094 exp(17.625 T / (T + 243.04)) hPa), stated valid for −40 … 50 °C; outside
it the humidity is left null.

Plausible ranges: one table, ``data/weather_ranges.csv`` (:func:`plausible_ranges`), for the
observations and the forecasts alike; a value outside rejects its row (``out_of_range``).
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from lantian.ingest.schema import FormatError, Rejection
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
TIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M")
"""How the tidy weather and NWP files write a time (Beijing time)."""
NUMBER = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"


@cache
def plausible_ranges() -> dict[str, tuple[float, float]]:
    """The plausible range of each weather variable, ``data/weather_ranges.csv``: variable →
    (low, high) [the variable's unit], both included."""
    text = resources.files("lantian.ingest").joinpath("data", "weather_ranges.csv")
    with text.open(encoding="utf-8") as handle:
        return {
            row["variable"]: (float(row["low"]), float(row["high"]))
            for row in csv.DictReader(handle)
        }


def read_table(path: Path, text_columns: tuple[str, ...], required: tuple[str, ...]) -> pa.Table:
    """A tidy CSV as Arrow, ``text_columns`` kept as text; a file that is not CSV or lacks a
    ``required`` column raises :class:`FormatError` naming it."""
    try:
        raw = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in text_columns}
            ),
        )
    except pa.ArrowInvalid as error:
        raise FormatError(path.name, str(error)) from error
    missing = [c for c in required if c not in raw.column_names]
    if missing:
        raise FormatError(path.name, f"missing column(s) {', '.join(missing)}", line=1)
    return raw


def parse_times(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A text column of :data:`TIME_FORMATS` as ``timestamp[s]``; null where it is not a time."""
    text = column.cast(pa.string())
    parsed = [pc.strptime(text, format=f, unit="s", error_is_null=True) for f in TIME_FORMATS]
    return pc.coalesce(*parsed)


class RowChecks:
    """The first problem of each row of a tidy file, found whole-column, field by field."""

    def __init__(self, raw: pa.Table) -> None:
        self.raw = raw
        self.reasons = np.full(raw.num_rows, "", dtype=object)
        self.fields = np.full(raw.num_rows, "", dtype=object)

    def refuse(self, rows: npt.NDArray[np.bool_], field: str, reason: str) -> None:
        """Refuse ``rows`` for ``reason`` at ``field``, unless refused already."""
        first = rows & (self.reasons == "")
        self.reasons[first] = reason
        self.fields[first] = field

    def times(self, name: str) -> pa.ChunkedArray:
        """Column ``name`` as times; rows without one are refused (``bad_time``)."""
        times = parse_times(self.raw[name])
        self.refuse(np.asarray(pc.is_null(times)), name, "bad_time")
        return times

    def numbers(self, name: str) -> FloatArray:
        """Column ``name`` as numbers (NaN where absent); a cell that is not a number
        (``not_a_number``) or outside the :func:`plausible_ranges` (``out_of_range``) refuses
        its row."""
        n = self.raw.num_rows
        if name not in self.raw.column_names:
            return np.full(n, np.nan)
        try:
            values = self.raw[name].cast(pa.float64()).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # text in a number column
            text = pc.utf8_trim_whitespace(self.raw[name].cast(pa.string()))
            number = pc.fill_null(pc.match_substring_regex(text, NUMBER), False)
            empty = pc.fill_null(pc.equal(text, ""), True)
            self.refuse(~np.asarray(pc.or_(number, empty)), name, "not_a_number")
            cells = pc.if_else(number, text, pa.scalar(None, pa.string()))
            values = cells.cast(pa.float64()).to_numpy(zero_copy_only=False)
        low, high = plausible_ranges()[name]
        self.refuse((values < low) | (values > high), name, "out_of_range")
        numbers: FloatArray = np.asarray(values, dtype=np.float64)
        return numbers

    @property
    def kept(self) -> npt.NDArray[np.bool_]:
        """The rows with no problem."""
        kept: npt.NDArray[np.bool_] = self.reasons == ""
        return kept

    def rejections(self, source: str) -> list[Rejection]:
        """The refused rows as :class:`Rejection` (line 1 is the header)."""
        out = []
        for row in np.flatnonzero(~self.kept):
            field = str(self.fields[row])
            cell = self.raw[field][int(row)].as_py() if field in self.raw.column_names else None
            value = "" if cell is None else str(cell)
            out.append(Rejection(source, int(row) + 2, field, value, str(self.reasons[row])))
        return out


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


def parse_isd_lite(
    text: str, station_id: str, source: str = ""
) -> tuple[pa.Table, dict[str, object]]:
    """Parse the text of an ISD-Lite file of station ``station_id`` (``USAF-WBAN``); a line that
    is not 61 characters is rejected (``wrong_width``) with its number and text."""
    lines = np.asarray(text.splitlines(), dtype=object)
    widths = np.fromiter((len(line.rstrip()) for line in lines), dtype=np.int64, count=len(lines))
    good = widths == ISD_LINE_WIDTH
    rejected = [
        Rejection(source or station_id, int(n) + 1, "line", str(lines[n])[:80], "wrong_width")
        for n in np.flatnonzero(~good)
    ]
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
        "city": pa.nulls(len(ts), pa.string()),
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
        raise FormatError(path.name, "expected an ISD-Lite name like 578660-99999-2021")
    text = path.read_text("ascii")
    table, metadata = parse_isd_lite(text, f"{parts[0]}-{parts[1]}", str(path))
    metadata["file"] = str(path)
    return table, metadata


def read_weather_csv(path: Path | str) -> tuple[pa.Table, dict[str, object]]:
    """Read a tidy weather CSV (UTF-8, header row; see ``docs/forecast.md``).

    Required columns: ``station_id, ts, temperature, wind_speed, wind_direction, pressure``;
    optional: ``city``, ``dew_point``, ``relative_humidity`` (derived from the dew point when
    absent), ``precipitation``, ``boundary_layer_height``. ``ts`` is Beijing time (ISO 8601).
    Rows with an unparsable time or a value outside the :func:`plausible_ranges` are rejected,
    each with its line number (the header is line 1), field and reason; the other rows are kept.
    """
    path = Path(path)
    raw = read_table(path, ("ts",), TIDY_REQUIRED)
    checks = RowChecks(raw)
    ts = checks.times("ts")
    numbers = {name: checks.numbers(name) for name in WEATHER_COLUMNS}
    if np.isnan(numbers["relative_humidity"]).all():
        numbers["relative_humidity"] = relative_humidity(
            numbers["temperature"], numbers["dew_point"]
        )
    keep = checks.kept
    city = (
        raw["city"].cast(pa.string())
        if "city" in raw.column_names
        else pa.nulls(raw.num_rows, pa.string())
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
    rejected = checks.rejections(str(path))
    return table, {"file": str(path), "rows": table.num_rows, "rejected": rejected}


def read_weather(path: Path | str) -> tuple[pa.Table, dict[str, object]]:
    """Read a weather file: ``.csv`` as the tidy format, anything else as ISD-Lite."""
    return read_weather_csv(path) if str(path).endswith(".csv") else read_isd_lite(path)


def is_forecast_weather(path: Path) -> bool:
    """A GRIB file, or a CSV whose header names ``issue_time`` (the tidy NWP format): forecast
    meteorology (:mod:`lantian.ingest.nwp`), not observations."""
    if path.suffix.lower() in (".grib2", ".grb2", ".grib", ".grb"):
        return True
    if path.suffix.lower() != ".csv":
        return False
    with path.open(encoding="utf-8-sig") as handle:
        return "issue_time" in handle.readline()
