"""The back-off rule shared by logins and device ports (lantian.throttle)."""

from __future__ import annotations

import datetime as dt

from lantian.throttle import BackOff, back_off

CAP = dt.timedelta(minutes=15)


def test_back_off_doubles_after_the_free_refusals_up_to_the_cap():
    waits = [back_off(n, 3, CAP).total_seconds() for n in range(12)]
    assert waits[:3] == [0, 0, 0]
    assert waits[3:8] == [1, 2, 4, 8, 16]
    assert waits[-1] == 2 ** (11 - 3)
    assert back_off(10_000, 3, CAP) == CAP


def test_backoff_in_memory_per_key_forgets_after_the_window_and_on_success():
    now = [0.0]
    keys = BackOff(free=3, window=900, keys=3, clock=lambda: now[0])
    for _ in range(4):
        keys.refuse(("MN1", "10.0.0.1"))
    assert keys.wait(("MN1", "10.0.0.1")) == 2  # four refusals: 2 s after the last
    assert keys.wait(("MN2", "10.0.0.1")) == 0  # another device behind the same address
    now[0] = 1.5
    assert keys.wait(("MN1", "10.0.0.1")) == 0.5
    keys.forgive(("MN1", "10.0.0.1"))
    assert keys.wait(("MN1", "10.0.0.1")) == 0
    for n in range(5):  # a flood of keys keeps at most ``keys`` of them
        keys.refuse(("flood", n))
    assert len(keys._refusals) == 3
