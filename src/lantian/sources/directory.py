"""The device directory backed by the registry, for the receivers (``lantian.feeds``).

:class:`RegistryDirectory` answers ``get(mn)`` from an in-memory snapshot of the registered devices
(:class:`~lantian.sources.devices.StaticDirectory`), so a frame costs a dict look-up, not a query.
It reloads the snapshot when the registry has changed: at most every ``refresh_seconds`` it asks
the database for the devices' fingerprint (count, newest change, largest id), one cheap aggregate
query, and reads the devices again only when that differs. An unknown MN also triggers that check
(at most once per ``miss_seconds``), so that a device registered a moment ago is found without
waiting, while a peer flooding unknown MNs cannot make the receiver query more often than that.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lantian.sources.devices import Device, DeviceDirectory, StaticDirectory
from lantian.sources.models import RegisteredDevice
from lantian.sources.registry import devices


def registry_directory(engine: Engine) -> StaticDirectory:
    """A snapshot of the registered devices now (for tests and one-off tools)."""
    with Session(engine) as db:
        return StaticDirectory.of(devices(db))


class RegistryDirectory:
    """A :class:`~lantian.sources.devices.DeviceDirectory` that follows the registry's changes."""

    def __init__(
        self,
        engine: Engine,
        refresh_seconds: float = 5.0,
        miss_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.engine, self.refresh_seconds, self.miss_seconds = engine, refresh_seconds, miss_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._fingerprint: tuple[Any, ...] | None = None
        self._checked = float("-inf")
        self._snapshot = StaticDirectory()
        self.reloads = 0
        """How many times the devices were read (the fingerprint queries are not counted)."""
        self.refresh(force=True)

    def _read_fingerprint(self, db: Session) -> tuple[Any, ...]:
        return tuple(
            db.execute(
                select(
                    func.count(RegisteredDevice.id),
                    func.max(RegisteredDevice.updated_at),
                    func.max(RegisteredDevice.id),
                )
            ).one()
        )

    def refresh(self, force: bool = False) -> None:
        """Check the registry's fingerprint and reload the devices if it changed (or ``force``)."""
        with self._lock, Session(self.engine) as db:
            self._checked = self._clock()
            fingerprint = self._read_fingerprint(db)
            if force or fingerprint != self._fingerprint:
                self._snapshot = StaticDirectory.of(devices(db))
                self._fingerprint = fingerprint
                self.reloads += 1

    def get(self, mn: str) -> Device | None:
        """The device of ``mn``, or ``None`` if it is not registered."""
        age = self._clock() - self._checked
        if age >= self.refresh_seconds:
            self.refresh()
        device = self._snapshot.get(mn)
        if device is None and self._clock() - self._checked >= self.miss_seconds:
            self.refresh()
            device = self._snapshot.get(mn)
        return device

    def __len__(self) -> int:
        return len(self._snapshot)


class ChainedDirectory:
    """Several directories asked in turn: the first that knows an MN answers (the registry, then
    the simulator's fleet of ``lantian receive --simulated N``)."""

    def __init__(self, *directories: DeviceDirectory):
        self.directories = directories

    def get(self, mn: str) -> Device | None:
        for directory in self.directories:
            device = directory.get(mn)
            if device is not None:
                return device
        return None

    def refresh(self) -> None:
        """Refresh the directories that can (a registry's)."""
        for directory in self.directories:
            refresh = getattr(directory, "refresh", None)
            if refresh is not None:
                refresh()
