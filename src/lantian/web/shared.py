"""Work that the worker processes of ``lantian serve --workers N`` do once between them.

Each worker holds its own answers in memory (:mod:`.snapshot`), but the start-up work is the same in
every one of them: the latest year's daily table, evaluation and monthly evaluations of every place
(:func:`lantian.web.app.warm_places`), the default city's forecast. Done by each, it costs N times
the CPU on a machine with N cores — and slows every real-server test in CI. So the supervisor
(``lantian serve``) makes a private folder for the run (:data:`SHARED_ENV`, mode 0700, removed when
it stops), and the workers split such work into named parts: the first worker to take a part's
lock computes it and leaves the result there, the others read it (:func:`computed_once`). The
names carry the store's manifest version, so a part computed from older data is never read for
newer.

Results are pickled (they are NumPy arrays inside Lantian's own dataclasses) and read back with an
unpickler that builds only those classes (:data:`ALLOWED`): the folder is written only by the
run's own processes, and even a file put there by someone else cannot name a function to call.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import logging
import os
import pickle
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

ALLOWED_MODULES = ("lantian.assess.", "lantian.standards.")
"""Modules whose classes (not functions) a shared result may hold: the results' dataclasses."""
ALLOWED = frozenset(
    {
        ("datetime", "date"),
        ("datetime", "datetime"),
        ("numpy", "dtype"),
        ("numpy", "ndarray"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy._core.numeric", "_frombuffer"),
    }
)
"""Other classes a shared result may hold (NumPy's arrays and scalars, dates)."""


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
    the whole file or none). Call it holding the part's lock."""
    if path.exists():
        try:
            return _Unpickler(io.BytesIO(path.read_bytes())).load()
        except Exception:  # a result we cannot read is computed again
            log.exception("reading the shared result %s failed", path)
    value = compute()
    partial = path.with_suffix(".partial")
    partial.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    os.replace(partial, path)
    return value


class _Unpickler(pickle.Unpickler):
    """Builds only the classes of :data:`ALLOWED_MODULES` and :data:`ALLOWED`."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in ALLOWED:
            return super().find_class(module, name)
        if module.startswith(ALLOWED_MODULES):
            found = super().find_class(module, name)
            if isinstance(found, type):  # a class, not a function to call
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not a shared result's class")


def remove_folder(folder: Path) -> None:
    """Remove the run's shared folder (when the server stops)."""
    with contextlib.suppress(FileNotFoundError):
        for entry in folder.iterdir():
            entry.unlink(missing_ok=True)
        folder.rmdir()
