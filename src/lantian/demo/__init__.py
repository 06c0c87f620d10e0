"""The demo's real data: CNEMC hourly data of Hunan's 81 national stations in 2019, the national
station list, the control points, three whole national days and NOAA ISD-Lite weather samples.

They were collected from other people's public repositories (provenance in ``data/README.md`` and in
the reference folder's READMEs), so Lantian's repository does not hold them: they are read at run time
from the reference-data folder, ``LANTIAN_REFERENCE_DATA`` (default ``../shared/reference`` beside the
checkout; see :mod:`lantian.settings`).
"""

from __future__ import annotations

from pathlib import Path

from lantian.settings import settings

HUNAN_2019 = "cnemc/china_sites_2019_hunan.zip"
STATION_LIST = "cnemc/stations_2020-01-01.csv"
CONTROL_POINTS_HUNAN = "cnemc/control_points_hunan.csv"
NATIONAL_3DAYS = "cnemc/china_sites_2019_national_3days.zip"
LINGLING_2021 = "met/578660-99999-2021"
CHANGSHA_2021 = "met/576870-99999-2021"

RELEASE_2026 = tuple(
    f"cnemc/2026/{hour}.csv" for hour in ("2026-01-20T09", "2026-03-05T09", "2026-09-01T00")
)

DEMO_FILES = (HUNAN_2019, STATION_LIST, CONTROL_POINTS_HUNAN)
"""What ``lantian demo`` needs."""
TEST_FILES = (*DEMO_FILES, NATIONAL_3DAYS, LINGLING_2021, CHANGSHA_2021, *RELEASE_2026)
"""What the tests and benchmarks read (``scripts/test`` checks them before running)."""


class MissingReferenceDataError(FileNotFoundError):
    """A reference-data file is not where the setting ``LANTIAN_REFERENCE_DATA`` points."""


def demo_file(name: str) -> Path:
    """Path of a reference-data file, e.g. ``demo_file(HUNAN_2019)``.

    ``name`` is relative to the reference folder (``cnemc/…``, ``met/…``); a folder holding the files
    without the subfolders (a copy made by hand) is accepted too. Raises
    :class:`MissingReferenceDataError` with one line naming the file and the setting.
    """
    root = settings().reference_folder
    if root is None:
        raise MissingReferenceDataError(
            f"reference data file {name} not found: LANTIAN_REFERENCE_DATA is not set and there is"
            " no ../shared/reference beside the checkout"
        )
    for path in (root / name, root / Path(name).name):
        if path.is_file():
            return path
    raise MissingReferenceDataError(
        f"reference data file {name} not found in {root} (LANTIAN_REFERENCE_DATA)"
    )


def missing_files(names: tuple[str, ...] = TEST_FILES) -> list[str]:
    """The reference-data files among ``names`` that are not found."""
    missing = []
    for name in names:
        try:
            demo_file(name)
        except MissingReferenceDataError:
            missing.append(name)
    return missing
