"""The bundled demo dataset: real CNEMC hourly data of Hunan's 81 national stations in 2019.

See ``data/README.md`` for provenance.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def demo_file(name: str) -> Path:
    """Path of a file of the bundled demo dataset (``china_sites_2019_hunan.zip``, …)."""
    path = Path(str(resources.files("lantian.demo").joinpath("data", name)))
    if not path.exists():
        raise FileNotFoundError(f"no demo file {name!r} in {path.parent}")
    return path


HUNAN_2019 = "china_sites_2019_hunan.zip"
STATION_LIST = "stations_2020-01-01.csv"
CONTROL_POINTS_HUNAN = "control_points_hunan.csv"
