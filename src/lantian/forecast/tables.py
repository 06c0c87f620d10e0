"""The forecast package's data tables (``tables/*.csv``), read as the standards' tables are.

``warning_schemes.csv`` (warning grades of 环大气〔2017〕86号 / 环办大气函〔2018〕875号 and
环大气〔2024〕6号), ``reduction_shares.csv`` (per-level emission-reduction shares), ``warning_levels.csv``
(names, colours and response grades), ``measure_kinds.csv`` (emergency measure kinds) and
``met_stations.csv`` (weather stations and the city each one serves). Every row cites its source.
"""

from __future__ import annotations

from functools import partial

from lantian.standards import tables as _tables

PACKAGE = "lantian.forecast"

table = partial(_tables.table, package=PACKAGE)
rows = partial(_tables.rows, package=PACKAGE)
known = partial(_tables.known, package=PACKAGE)
