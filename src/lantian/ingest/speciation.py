"""PM2.5 speciation data for PMF (``lantian plan apportionment pmf``): a CSV (UTF-8, BOM allowed)
whose first column names the sample (a date or an id) and whose other columns are species
[µg/m³]; the uncertainties are a second file of the same layout (EPA PMF's and ESAT's layout).

:func:`read_speciation` returns the samples, the species and the values as a NumPy matrix, or a
:class:`~lantian.ingest.schema.FormatError` naming the file, the line and the column of the first
problem: a missing or duplicate header, a value that is not a number, a row of the wrong length.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lantian.ingest.schema import FormatError

MAX_BYTES = 64 * 2**20


def read_speciation(path: Path) -> tuple[list[str], list[str], npt.NDArray[np.float64]]:
    """(samples, species, values [samples × species]) of a speciation CSV (module docstring)."""
    data = path.read_bytes()
    if len(data) > MAX_BYTES:
        raise FormatError(str(path), f"larger than {MAX_BYTES // 2**20} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FormatError(str(path), f"not UTF-8 ({error})") from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if len(rows) < 2 or len(rows[0]) < 2:
        raise FormatError(str(path), "needs a header (sample, species …) and at least one row")
    header = [h.strip() for h in rows[0]]
    species = header[1:]
    if len(set(species)) != len(species) or not all(species):
        raise FormatError(str(path), "species names must be given once each", 1)
    body = [r for r in rows[1:] if any(cell.strip() for cell in r)]
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise FormatError(str(path), f"{len(row)} cells, the header has {len(header)}", number)
    cells = np.array([r[1:] for r in body], dtype=object)
    try:
        values = cells.astype(float)
    except ValueError:
        bad = next(
            (i, j)
            for i in range(cells.shape[0])
            for j in range(cells.shape[1])
            if not _is_number(cells[i, j])
        )
        raise FormatError(
            str(path), f"{cells[bad]!r} is not a number", bad[0] + 2, species[bad[1]]
        ) from None
    return [r[0].strip() for r in body], species, values


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
