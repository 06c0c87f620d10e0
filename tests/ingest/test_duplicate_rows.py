"""Duplicate rows, one rule (issue #12 item 5: the tidy reader, the CNEMC hourly reader and the
store's import each wrote it): among rows of one key, identical values are a repeat (the first
kept), differing values make every row a ``duplicate``."""

from __future__ import annotations

import collections

import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from lantian.ingest.schema import MEASUREMENT_SCHEMA, repeated_keys
from lantian.ingest.tidy import parse_tidy
from lantian.store import MeasurementStore

from .helpers import HEADER, NOW


def _by_hand(keys: list[tuple[int, int]], values: list[int]) -> tuple[list[bool], list[bool]]:
    """The rule written out row by row (the reference the whole-column version must match)."""
    groups = collections.defaultdict(list)
    for row, key in enumerate(keys):
        groups[key].append(row)
    repeated, duplicate = [False] * len(keys), [False] * len(keys)
    for rows in groups.values():
        if len({values[r] for r in rows}) > 1:
            for r in rows:
                duplicate[r] = True
        else:
            for r in rows[1:]:
                repeated[r] = True
    return repeated, duplicate


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 2)), max_size=60))
def test_the_whole_column_rule_matches_the_rule_written_row_by_row(rows):
    keys = [(a, b) for a, b, _ in rows]
    values = [v for _, _, v in rows]
    repeated, duplicate = repeated_keys(
        (np.asarray([a for a, _ in keys], dtype=np.int64), np.asarray([b for _, b in keys])),
        np.asarray(values, dtype=np.float64),
    )
    assert (list(repeated), list(duplicate)) == _by_hand(keys, values)


ROWS = (
    "2477A,2019-01-01 01:00,PM2.5,48\n"  # line 2
    "2477A,2019-01-01 01:00,PM2.5,48\n"  # line 3: an identical repeat
    "2477A,2019-01-01 01:00,PM10,71\n"  # line 4
    "2477A,2019-01-01 01:00,PM10,72\n"  # line 5: differs from line 4
    "2477A,2019-01-01 02:00,PM10,70\n"  # line 6
)


def test_the_reader_and_the_store_judge_the_same_rows_alike(tmp_path):
    table, metadata = parse_tidy((HEADER + ROWS).encode(), "永州.csv", now=NOW)
    judged = {(r.line, r.reason) for r in metadata["rejected"]}
    assert judged == {(3, "repeated"), (4, "duplicate"), (5, "duplicate")}
    assert sorted(table.column("value").to_pylist()) == [48.0, 70.0]

    # the same rows given to the store as they are (a reader that does not check): the store's
    # import applies the same rule — the repeat stored once, the differing pair refused
    rows = [line.split(",") for line in ROWS.strip().splitlines()]
    raw = pa.table(
        {
            "station_code": [r[0] for r in rows],
            "ts": pa.array(
                [np.datetime64(r[1].replace(" ", "T"), "s") for r in rows], pa.timestamp("s")
            ),
            "pollutant": [r[2] for r in rows],
            "value": [float(r[3]) for r in rows],
            "source": pa.array(["永州.csv"] * len(rows)).dictionary_encode(),
            "line": pa.array(range(2, 2 + len(rows)), pa.int32()),
        }
    ).cast(MEASUREMENT_SCHEMA)
    store = MeasurementStore(tmp_path / "store")
    summary = store.import_measurements(raw, files=["永州.csv"], check_stations=False)
    assert {(r.line, r.reason) for r in summary.rejected} == {(4, "duplicate"), (5, "duplicate")}
    assert sorted(store.read().column("value").to_pylist()) == [48.0, 70.0]
