"""Which reader takes a file: a registry from format name to reader, and a sniffer.

Each reader returns ``(MEASUREMENT_SCHEMA table, metadata)`` with ``metadata["files"]`` and
``metadata["rejected"]`` (a list of :class:`~lantian.ingest.schema.Rejection`).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from lantian.ingest import cnemc, tidy
from lantian.ingest.schema import FormatError

Reader = Callable[..., tuple[pa.Table, dict[str, object]]]


def _cnemc(path: Path, *, hour_convention: str = "ending") -> tuple[pa.Table, dict[str, object]]:
    if hour_convention != "ending":
        raise ValueError("CNEMC files are always stamped with the end of the hour")
    return cnemc.read_measurements(path)


READERS: dict[str, Reader] = {
    "cnemc": _cnemc,
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
    """``cnemc`` for CNEMC station files (header ``date,hour,type,…``), ``tidy`` otherwise.

    Folders are CNEMC when they hold ``china_sites_*.csv`` files.
    """
    if path.is_dir():
        return "cnemc" if any(path.glob("china_sites_*")) else "tidy"
    if path.suffix.lower() in {".parquet", ".xlsx"}:
        return "tidy"
    head = _first_line(path).lstrip(b"\xef\xbb\xbf")
    return "cnemc" if head.startswith(b"date,hour,type") else "tidy"


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
