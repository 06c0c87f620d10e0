"""Which reader takes a file: a registry from format name to reader, and a sniffer.

Each reader returns ``(MEASUREMENT_SCHEMA table, metadata)`` with ``metadata["files"]`` and
``metadata["rejected"]`` (a list of :class:`~lantian.ingest.schema.Rejection`).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa

from lantian.ingest import cnemc, cnemc_hourly, tidy
from lantian.ingest.schema import FormatError
from lantian.ingest.stations import station_list_header

Reader = Callable[..., tuple[pa.Table, dict[str, object]]]


def _cnemc(path: Path, *, hour_convention: str = "ending") -> tuple[pa.Table, dict[str, object]]:
    if hour_convention != "ending":
        raise ValueError("CNEMC files are always stamped with the end of the hour")
    return cnemc.read_measurements(path)


def _cnemc_hourly(
    path: Path, *, hour_convention: str = "ending"
) -> tuple[pa.Table, dict[str, object]]:
    if hour_convention != "ending":
        raise ValueError("CNEMC files are always stamped with the end of the hour")
    return cnemc_hourly.read_hourly_release(path)


READERS: dict[str, Reader] = {
    "cnemc": _cnemc,
    "cnemc-hourly": _cnemc_hourly,
    "tidy": tidy.read_tidy,
}


def _first_line(path: Path) -> bytes:
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as archive:
            members = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            if not members:
                raise FormatError(str(path), "the zip holds no .csv file")
            with archive.open(members[0]) as handle:
                return handle.readline()
    with open(path, "rb") as handle:
        return handle.readline()


def detect_format(path: Path) -> str:
    """The reader of ``path``, from its first line.

    ``cnemc`` for CNEMC's daily station files (header ``date,hour,type,…``), ``cnemc-hourly`` for
    CNEMC's current hourly release (``timepoint,stationcode,…``), ``tidy`` otherwise. A folder is
    read as its first ``.csv`` or ``.zip`` (by name) is; ``china_sites_*`` files make it ``cnemc``.
    """
    if path.is_dir():
        if any(path.glob("china_sites_*")):
            return "cnemc"
        first = sorted(p for p in path.iterdir() if p.suffix.lower() in {".csv", ".zip"})
        return detect_format(first[0]) if first else "tidy"
    if path.suffix.lower() in {".parquet", ".xlsx"}:
        return "tidy"
    head = _first_line(path).lstrip(b"\xef\xbb\xbf")
    if head.startswith(b"date,hour,type"):
        return "cnemc"
    return "cnemc-hourly" if cnemc_hourly.is_hourly_release(head) else "tidy"


def station_list_kind(path: Path) -> str | None:
    """What kind of CNEMC station list ``path`` is, from its header (:mod:`lantian.ingest.stations`):
    ``control_points`` (``监测点编码,监测点名称,城市,对照点``), ``stations`` (``监测点编码,…``), or
    None for any other file. CSV or ``.xlsx``."""
    header = station_list_header(path)
    if header is None:
        return None
    return "control_points" if "对照点" in header else "stations"


def read_any(
    path: Path, format: str | None = None, *, hour_convention: str = "ending"
) -> tuple[pa.Table, dict[str, object]]:
    """Read ``path`` with the reader of ``format`` (detected when None).

    ``hour_convention``: ``ending`` (default; CNEMC's) or ``beginning`` for tidy files whose
    ``ts`` marks the start of the hour (they are shifted by one hour to the store's convention).
    """
    if not path.exists():
        raise FormatError(str(path), "no such file or folder")
    name = format or detect_format(path)
    if name not in READERS:
        raise KeyError(f"unknown format {name!r}; valid: {sorted(READERS)}")
    return READERS[name](path, hour_convention=hour_convention)


def read_chunks(
    path: Path, format: str | None = None, *, hour_convention: str = "ending"
) -> Iterator[tuple[pa.Table, dict[str, object]]]:
    """:func:`read_any` in pieces, each ``(table, metadata)``: CNEMC files about a month of daily
    files at a time (so an import of a year holds one month), other formats whole."""
    if not path.exists():
        raise FormatError(str(path), "no such file or folder")
    name = format or detect_format(path)
    if name == "cnemc" and hour_convention == "ending":
        yield from cnemc.read_measurement_chunks(path)
    else:
        yield read_any(path, name, hour_convention=hour_convention)
