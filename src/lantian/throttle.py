"""Back-off after refused credentials: the one rule of the ledger's logins and the device ports.

After ``free`` refusals of one (name, address) pair — a user name or a device MN, and the peer's
address — the pair must wait 1, 2, 4, … s after its last refusal, at most ``cap``. Keyed on the
pair rather than on the address alone, so that many devices or users behind one NAT address are
not held up by one that is misconfigured, while a guesser's tries at one name slow to a trickle.
The ledger counts refusals in its database (:mod:`lantian.plan.auth`); a receiver, which has no
database of logins, keeps them in memory with :class:`BackOff`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable


def back_off(refusals: int, free: int, cap: dt.timedelta) -> dt.timedelta:
    """The wait after the last of ``refusals`` refusals of a pair: none for the first ``free``,
    then doubling from 1 s, at most ``cap``."""
    if refusals < free:
        return dt.timedelta(0)
    return min(dt.timedelta(seconds=2 ** min(refusals - free, 40)), cap)


class BackOff:
    """:func:`back_off` kept in memory per key for ``window`` seconds, for at most ``keys`` keys
    (the oldest forgotten first, so a flood of keys cannot exhaust memory)."""

    def __init__(
        self,
        free: int = 3,
        window: float = 900.0,
        keys: int = 65536,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.free, self.window, self.keys, self.clock = free, window, keys, clock
        self._refusals: OrderedDict[Hashable, tuple[int, float]] = OrderedDict()

    def wait(self, key: Hashable) -> float:
        """Seconds ``key`` must still wait (0: it may try)."""
        found = self._refusals.get(key)
        if found is None:
            return 0.0
        count, last = found
        now = self.clock()
        if now - last > self.window:
            del self._refusals[key]
            return 0.0
        cap = dt.timedelta(seconds=self.window)
        return max(0.0, last + back_off(count, self.free, cap).total_seconds() - now)

    def refuse(self, key: Hashable) -> None:
        """Record a refusal of ``key`` now."""
        count, last = self._refusals.pop(key, (0, 0.0))
        now = self.clock()
        self._refusals[key] = (1 if now - last > self.window else count + 1, now)
        while len(self._refusals) > self.keys:
            self._refusals.popitem(last=False)

    def forgive(self, key: Hashable) -> None:
        """Forget ``key``'s refusals (it has just been accepted)."""
        self._refusals.pop(key, None)


class Recent:
    """Keys seen in the last ``window`` seconds, for at most ``keys`` keys (the oldest forgotten
    first): the (MN, address) pairs a receiver accepted lately, which an address's back-off
    spares."""

    def __init__(
        self, window: float = 900.0, keys: int = 65536, clock: Callable[[], float] = time.monotonic
    ):
        self.window, self.keys, self.clock = window, keys, clock
        self._seen: OrderedDict[Hashable, float] = OrderedDict()

    def add(self, key: Hashable) -> None:
        """Remember ``key`` as seen now."""
        self._seen.pop(key, None)
        self._seen[key] = self.clock()
        while len(self._seen) > self.keys:
            self._seen.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        seen = self._seen.get(key)  # type: ignore[call-overload]
        return seen is not None and self.clock() - seen <= self.window
