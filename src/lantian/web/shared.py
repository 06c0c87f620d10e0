"""Work that the worker processes of ``lantian serve --workers N`` do once between them.

Each worker holds its own answers in memory (:mod:`.snapshot`), but the start-up work is the same in
every one of them: the latest year's daily table, evaluation and monthly evaluations of every place
(:func:`lantian.web.app.warm_places`), the default city's forecast. Done by each, it costs N times
the CPU on a machine with N cores — and slows every real-server test in CI. So the supervisor
(``lantian serve``) makes a private folder for the run (:data:`SHARED_ENV`, mode 0700, removed when
it stops), and the workers split such work into named parts: the first worker to take a part's
lock computes it and leaves the result there, the others read it (:func:`computed_once`). The
names carry the store's manifest version, so a part computed from older data is never read for
newer; when a version's result is written, the results of older versions are removed
(:func:`prune_older`), so that a long run with many imports keeps one set, not one per import.

Results are pickled (they are NumPy arrays inside Lantian's own dataclasses) and read back with an
unpickler that builds only an exact list of classes and NumPy's own reconstruction helpers
(:data:`ALLOWED`): the folder is written only by the run's own processes (mode 0700), and a file put
there by someone else can name nothing outside that list — no dotted name (protocol 4 lets a name
walk attributes, e.g. ``io.FileIO`` through a module that imported ``io``), no other class of an
allowed module. A result that names anything else is refused and computed again.

A run stopped by SIGKILL leaves its folder (``/tmp/lantian-serve-*``) behind: the next
``lantian serve --workers`` removes such folders of this user whose supervisor is no longer running
(:func:`remove_abandoned`).
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import logging
import os
import pickle
import re
import stat
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger("lantian.web.shared")

R = TypeVar("R")

SHARED_ENV = "LANTIAN_SERVE_SHARED"
"""The run's shared folder: set by ``lantian serve`` for the worker processes it starts (absent
with one worker, and in the app of tests: then every process computes for itself)."""

_NUMPY = ("numpy._core", "numpy.core")  # NumPy 2's modules, and their NumPy 1 names
ALLOWED = frozenset(
    {
        ("datetime", "date"),
        ("datetime", "datetime"),
        ("datetime", "time"),
        ("datetime", "timedelta"),
        ("numpy", "dtype"),
        ("numpy", "ndarray"),
        *((f"{core}.multiarray", "_reconstruct") for core in _NUMPY),
        *((f"{core}.multiarray", "scalar") for core in _NUMPY),
        *((f"{core}.numeric", "_frombuffer") for core in _NUMPY),
        ("lantian.assess.annual", "DailySeries"),
        ("lantian.assess.annual", "Evaluation"),
        ("lantian.assess.scope", "Scope"),
        ("lantian.standards.aqi", "AqiReport"),
        ("lantian.standards.evaluation", "EvaluationItem"),
        ("lantian.standards.ranking", "ComprehensiveIndex"),
        ("lantian.standards.rulesets", "RuleSet"),
    }
)
"""Everything a shared result may name, as (module, name): the results' dataclasses
(:meth:`lantian.web.service.AirData.year_answers`; a warning document is plain JSON-ready data),
NumPy's arrays, dtypes and scalars, dates. Exact pairs: nothing else of these modules."""

_VERSIONED = re.compile(r"^[a-z]+-v(?P<version>\d+)-")
"""A part's name carries the manifest version it was computed from: ``places-v12-…``."""


def shared_folder() -> Path | None:
    """The run's shared folder (:data:`SHARED_ENV`), None when there is none."""
    folder = os.environ.get(SHARED_ENV)
    return Path(folder) if folder else None


@contextmanager
def one_process_at_a_time(path: Path, wait: bool = True) -> Iterator[bool]:
    """Hold an exclusive ``flock`` on ``path`` (created if missing) while the block runs; yields
    True. With ``wait=False`` it does not wait for another process that holds it: it yields False
    at once (and holds nothing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def computed_once(
    folder: Path | None, names: Sequence[str], compute: Callable[[int], R]
) -> Iterator[tuple[int, R]]:
    """``(i, compute(i))`` for each part ``i`` of ``names`` (in no fixed order), each part computed
    by one of the processes sharing ``folder`` and read by the others from ``folder / names[i]``.

    A process first computes the parts no other process is computing (so that N processes split
    the work), then waits for the others' parts and reads them; a part whose result is missing
    (its process died) or unreadable is computed again. Without a folder every part is computed
    here.
    """
    if folder is None:
        for i in range(len(names)):
            yield i, compute(i)
        return
    later = []
    for i, name in enumerate(names):
        with one_process_at_a_time(folder / f"{name}.lock", wait=False) as mine:
            if mine:
                value = _read_or_compute(folder / f"{name}.pickle", partial(compute, i))
        if mine:
            yield i, value
        else:
            later.append(i)
    for i in later:
        with one_process_at_a_time(folder / f"{names[i]}.lock"):
            value = _read_or_compute(folder / f"{names[i]}.pickle", partial(compute, i))
        yield i, value


def _read_or_compute(path: Path, compute: Callable[[], R]) -> R:
    """The result stored at ``path``, else ``compute()`` stored there (atomically: a reader sees
    the whole file or none) and the older versions' results removed (:func:`prune_older`). Call
    it holding the part's lock."""
    try:
        stored = path.read_bytes()
    except FileNotFoundError:
        stored = None
    if stored is not None:
        try:
            return _Unpickler(io.BytesIO(stored)).load()
        except Exception:  # a result we cannot read is computed again
            log.exception("reading the shared result %s failed", path)
    value = compute()
    partial = path.with_suffix(".partial")
    try:
        partial.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(partial, path)
    except OSError:  # (the folder removed as the server stops, a full disk): not shared, still ours
        log.exception("storing the shared result %s failed", path)
        return value
    prune_older(path.parent, path.stem)
    return value


def prune_older(folder: Path, name: str) -> int:
    """Remove the results (and their locks) of the parts of ``folder`` of an older manifest
    version than part ``name``'s; returns how many files went. Only older versions: a worker on
    the current one may be reading. A worker still on an older one finds nothing and computes the
    part for itself (under a fresh lock); a ``.partial`` being written is left alone."""
    this = _VERSIONED.match(name)
    if this is None:
        return 0
    removed = 0
    for entry in folder.iterdir():
        if entry.suffix not in (".pickle", ".lock"):
            continue
        other = _VERSIONED.match(entry.name)
        if other is not None and int(other["version"]) < int(this["version"]):
            entry.unlink(missing_ok=True)
            removed += 1
    return removed


class _Unpickler(pickle.Unpickler):
    """Builds only what :data:`ALLOWED` names (exact pairs, no dotted names)."""

    def find_class(self, module: str, name: str) -> Any:
        if "." not in name and (module, name) in ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module} {name!r} is not in a shared result's classes")


def remove_folder(folder: Path) -> None:
    """Remove the run's shared folder (when the server stops)."""
    with contextlib.suppress(FileNotFoundError):
        for entry in folder.iterdir():
            entry.unlink(missing_ok=True)
        folder.rmdir()


SUPERVISOR = "supervisor.pid"
"""The file of a run's folder naming the process of ``lantian serve`` that made it."""
FOLDER_PREFIX = "lantian-serve-"


def make_folder() -> Path:
    """A new shared folder for this run (mode 0700: this user's only), naming this process as its
    supervisor (:func:`remove_abandoned`)."""
    folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
    (folder / SUPERVISOR).write_text(str(os.getpid()))
    return folder


def remove_abandoned(parent: Path | None = None) -> list[Path]:
    """Remove the shared folders of runs killed without cleaning up (SIGKILL): this user's
    ``lantian-serve-*`` folders in ``parent`` (the temporary folder) whose supervisor process is
    no longer running. A folder without a readable supervisor is left alone (being made now, or
    not ours to judge). Returns the folders removed."""
    parent = parent or Path(tempfile.gettempdir())
    removed: list[Path] = []
    for folder in parent.glob(f"{FOLDER_PREFIX}*"):
        try:
            info = folder.lstat()  # (not a link's target)
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
                continue
            pid = int((folder / SUPERVISOR).read_text())
        except (OSError, ValueError):
            continue
        if pid <= 0 or _running(pid):
            continue
        try:
            remove_folder(folder)
        except OSError:  # (not ours to remove after all: left)
            continue
        removed.append(folder)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
