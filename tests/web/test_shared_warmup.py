"""The start-up work that the worker processes of ``lantian serve --workers N`` share
(:mod:`lantian.web.shared`, issue #13): each part computed by one process, read by the others, the
answers read equal to the answers computed; a result file that would run code is not run; the
work is done again after an import; a warning is fitted once between the workers."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lantian.demo import CONTROL_POINTS_HUNAN, STATION_LIST, demo_file
from lantian.ingest.cnemc import read_measurements
from lantian.store import MeasurementStore
from lantian.store.registry import registry_from_station_list
from lantian.web import forecast_views
from lantian.web.app import create_app
from lantian.web.forecast_views import ForecastViews
from lantian.web.service import AirData
from lantian.web.shared import (
    SUPERVISOR,
    _Unpickler,
    computed_once,
    make_folder,
    prune_older,
    remove_abandoned,
)
from lantian.web.views import daily_frame, evaluation_document, monthly_frame
from tests.store.conftest import extract_days

PARTS = 12

SPLITTING = """
import json, os, sys
from pathlib import Path
from lantian.web.shared import (
    SUPERVISOR,
    _Unpickler,
    computed_once,
    make_folder,
    prune_older,
    remove_abandoned,
)
folder, out = Path(sys.argv[1]), Path(sys.argv[2])
def compute(i):
    with open(folder / "computed.log", "a") as log:
        log.write(f"{i} {os.getpid()}\\n")
    return {"part": i, "square": i * i}
names = [f"part-{i}" for i in range({parts})]
out.write_text(json.dumps(sorted([i, v] for i, v in computed_once(folder, names, compute))))
"""


def test_processes_compute_each_part_once_and_read_the_others(tmp_path):
    """Two real processes over one folder: every part computed exactly once between them, and
    each gets every part's result."""
    script = SPLITTING.replace("{parts}", str(PARTS))
    outputs = [tmp_path / f"out-{n}.json" for n in range(2)]
    processes = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path), str(out)]) for out in outputs
    ]
    assert [p.wait(timeout=300) for p in processes] == [0, 0]
    computed = (tmp_path / "computed.log").read_text().split("\n")[:-1]
    assert sorted(int(line.split()[0]) for line in computed) == list(range(PARTS))
    expected = [[i, {"part": i, "square": i * i}] for i in range(PARTS)]
    assert [json.loads(out.read_text()) for out in outputs] == [expected, expected]


class _Runs:
    """A constructed pickle that would run ``touch <path>`` if unpickled freely."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (subprocess.call, (["touch", str(self.path)],))


def test_a_result_file_that_would_run_code_is_computed_again_instead(tmp_path):
    marker = tmp_path / "ran"
    (tmp_path / "part-0.pickle").write_bytes(pickle.dumps(_Runs(marker)))
    assert list(computed_once(tmp_path, ["part-0"], lambda i: "computed")) == [(0, "computed")]
    assert not marker.exists()
    assert list(computed_once(tmp_path, ["part-0"], lambda i: "again")) == [(0, "computed")]


def _text(value: str) -> bytes:
    data = value.encode()
    return pickle.SHORT_BINUNICODE + bytes([len(data)]) + data


def _calling(module: str, name: str, *args: str) -> bytes:
    """A constructed protocol 4 pickle: ``module`` ``name`` found by STACK_GLOBAL (a dotted name
    walks attributes) and called with ``args``."""
    return (
        pickle.PROTO + b"\x04" + _text(module) + _text(name) + pickle.STACK_GLOBAL
        + pickle.MARK + b"".join(_text(a) for a in args) + pickle.TUPLE + pickle.REDUCE
        + pickle.STOP
    )  # fmt: skip


class _Calls:
    """A constructed pickle that calls ``function(*args)`` if unpickled freely."""

    def __init__(self, function, *args):
        self.function, self.args = function, args

    def __reduce__(self):
        return (self.function, self.args)


def _unsafe(folder: Path) -> dict[str, bytes]:
    """Pickles that would create or run something in ``folder`` if unpickled freely."""
    import numpy as np

    return {
        # io.FileIO through a module that imported io (protocol 4's dotted names): creates a file
        "dotted FileIO": _calling("lantian.assess.ranking", "io.FileIO", str(folder / "f"), "w"),
        "dotted CDLL": _calling(
            "lantian.assess.annual", "np.ctypeslib.ctypes.CDLL", str(folder / "lib.so")
        ),
        "dotted date class": _calling("lantian.standards.rulesets", "dt.date", "2019-01-01"),
        "FileIO": pickle.dumps(_Calls(io.FileIO, str(folder / "g"), "w")),
        "memmap": pickle.dumps(_Calls(np.memmap, str(folder / "m"), "uint8", "w+", 0, (8,))),
        "os.system": pickle.dumps(_Calls(os.system, f"touch {folder / 's'}")),
        # a function, or a class not listed, of a module whose classes are listed
        "function": _calling("lantian.assess.annual", "evaluate"),
        "other class": _calling("lantian.assess.scope", "ScopeError", "x"),
    }


def test_a_result_naming_anything_but_the_listed_classes_is_refused(tmp_path):
    """Dotted names (protocol 4), files made by io.FileIO or numpy.memmap, os.system: each refused
    by the unpickler, nothing created, and the part computed again."""
    made = tmp_path / "made"
    made.mkdir()
    for label, data in _unsafe(made).items():
        with pytest.raises(pickle.UnpicklingError):
            _Unpickler(io.BytesIO(data)).load()
        shared = tmp_path / label.replace(" ", "-")
        shared.mkdir()
        (shared / "part-0.pickle").write_bytes(data)
        assert list(computed_once(shared, ["part-0"], lambda i: "computed")) == [(0, "computed")]
        assert list(made.iterdir()) == [], label
    # (the constructed FileIO pickle does create its file when unpickled freely)
    pickle.loads(_unsafe(made)["dotted FileIO"]).close()
    assert (made / "f").exists()


def test_older_versions_results_are_removed_when_a_new_version_is_written(tmp_path):
    """Each import's start-up work replaces the older versions' (not adds a set): written for
    version 5, the results of version 4 go; version 5's own, and other parts, stay."""
    names = ["places-v4-2019-0", "places-v4-2019-1", "warning-v4-ab-2019-01-03"]
    for name in names:
        list(computed_once(tmp_path, [name], lambda i: {"old": i}))
    (tmp_path / "part-0.pickle").write_bytes(pickle.dumps(1))
    assert len(list(tmp_path.glob("*-v4-*.pickle"))) == 3
    list(computed_once(tmp_path, ["places-v5-2019-0", "places-v5-2019-1"], lambda i: i))
    assert sorted(p.name for p in tmp_path.glob("*.pickle")) == [
        "part-0.pickle",
        "places-v5-2019-0.pickle",
        "places-v5-2019-1.pickle",
    ]
    assert not list(tmp_path.glob("*-v4-*"))  # their locks too
    # a worker still on version 4 finds nothing and computes for itself; it removes nothing newer
    assert list(computed_once(tmp_path, ["places-v4-2019-0"], lambda i: "again")) == [(0, "again")]
    assert prune_older(tmp_path, "places-v4-2019-0") == 0
    assert (tmp_path / "places-v5-2019-0.pickle").exists()


def test_the_folders_of_killed_runs_are_removed(tmp_path, monkeypatch):
    """``lantian serve --workers`` removes the folders of runs whose supervisor is gone (SIGKILL),
    not those of running ones, nor folders without a supervisor."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    running = make_folder()
    assert (running / SUPERVISOR).read_text() == str(os.getpid())
    dead = make_folder()
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                              capture_output=True, text=True)  # fmt: skip
    (dead / SUPERVISOR).write_text(finished.stdout.strip())  # a process that has ended
    (dead / "places-v1-2019-0.pickle").write_bytes(b"x")
    unknown = tmp_path / "lantian-serve-unknown"
    unknown.mkdir()
    assert remove_abandoned() == [dead]
    assert running.exists()
    assert unknown.exists()
    assert not dead.exists()


def _small_store(folder: Path) -> MeasurementStore:
    """The real data of 1–3 January 2019 (every Hunan station)."""
    store = MeasurementStore(folder / "measurements")
    store.put_stations(
        registry_from_station_list(demo_file(STATION_LIST), demo_file(CONTROL_POINTS_HUNAN))
    )
    table, metadata = read_measurements(extract_days(folder / "days", 1, 3)[0].parent)
    store.import_measurements(table, files=list(metadata["files"]))
    return store


def _documents(data: AirData, places) -> list[bytes]:
    first, last = dt.date(2019, 1, 1), dt.date(2019, 12, 31)
    found = []
    for place in places:
        found.append(json.dumps(evaluation_document(data, place, 2019), sort_keys=True).encode())
        found.append(daily_frame(data, place, first, last).to_json())
        found.append(monthly_frame(data, place, 2019).to_json())
    return found


def test_answers_read_from_another_process_equal_those_computed(tmp_path):
    """One worker computes and stores a part; another holds what it reads and answers the
    evaluation, daily and monthly documents from it — byte for byte those a worker that
    computed them itself gives — without computing them again."""
    store = _small_store(tmp_path / "home")
    computing, reading, alone = (AirData(store) for _ in range(3))
    places = [computing.place(city="永州"), computing.place(station="2478A")]
    shared = tmp_path / "shared"
    stored = list(computed_once(shared, ["part-0"], lambda i: computing.year_answers(places, 2019)))
    read = list(computed_once(shared, ["part-0"], lambda i: pytest.fail("computed again")))
    ((_, answers),) = read
    assert len(answers) == len(stored[0][1]) == 2 * 3 + 1  # the city's hourly values too
    reading.hold(answers)
    held = dict(answers)
    assert reading.evaluation(places[1], 2019) is held[("evaluation", places[1], 2019, None)]
    assert reading.month_evaluations(places[0], 2019) is held[("months", places[0], 2019)]
    assert _documents(reading, places) == _documents(alone, places)


def _unwarmed(data: AirData) -> int:
    """Places of the current version whose monthly evaluations are not computed yet."""
    snap = data.snapshot()
    places = [data.place(city=c) for c in snap.cities]
    places += [data.place(station=s) for s in snap.stations]
    return len(places) - len(snap.memo.items([("months", p, 2019) for p in places]))


def _wait_until_warm(data: AirData) -> None:
    deadline = time.monotonic() + 300
    while _unwarmed(data) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _unwarmed(data) == 0


def test_the_start_up_work_is_done_again_after_an_import(tmp_path):
    """After an import the first request that sees the new version sets the background work off
    again: every place's answers are computed for the new version (as at start; no request
    asks for them here)."""
    from fastapi.testclient import TestClient

    store = _small_store(tmp_path)
    app = create_app(store.root, warm_up=True)
    app.state.forecasts.warm = lambda: None  # (a model fit: not what this tests)
    data: AirData = app.state.data
    version = data.snapshot().version
    with TestClient(app) as client:
        _wait_until_warm(data)
        table, metadata = read_measurements(extract_days(tmp_path / "more", 4, 4)[0].parent)
        store.import_measurements(table, files=list(metadata["files"]))
        assert client.get("/api/v1/years").json()["version"] > version
        _wait_until_warm(data)
        assert data.snapshot().version > version


def test_a_warning_is_computed_by_one_worker_and_read_by_the_others(tmp_path, monkeypatch):
    """The warning (a model fit of seconds, each worker warms the default city's) is computed
    once between the workers that share a folder. (The warning service is replaced by a
    constructed one that counts its calls: the fit is not what this tests.)"""
    store = _small_store(tmp_path / "home")
    calls = []

    def constructed_warning(store, city, day):
        calls.append((city, day))
        return {"day": day, "level": None, "events": [], "decisions": [], "reason_zh": "示例"}

    monkeypatch.setattr(forecast_views, "city_warning", constructed_warning)
    shared = tmp_path / "shared"
    first, second = (ForecastViews(AirData(store), tmp_path / "home", shared) for _ in range(2))
    assert first.warning("永州") == second.warning("永州")
    assert len(calls) == 1
    alone = ForecastViews(AirData(store), tmp_path / "home")
    assert alone.warning("永州") == first.warning("永州")
    assert len(calls) == 2  # without a shared folder: computed here
