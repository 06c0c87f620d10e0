"""The users every ledger test seeds (tests/plan, tests/web_ledger), and a fast password hasher."""

from __future__ import annotations

from argon2 import PasswordHasher

import lantian.plan.auth

PASSWORD = "correct horse battery"
USERS = {
    "office": ("办公室小王", "office", None),
    "leader": ("区长", "leader", None),
    "hb": ("环保局填报员", "reporter", "区环保局"),
    "zj": ("住建局填报员", "reporter", "区住建局"),
}
"""A user of each role, name → (display name, role, unit); ``hb`` and ``zj`` report for two
different units."""

# argon2 at its production cost takes ~50 ms a hash; the tests hash and log in hundreds of times.
lantian.plan.auth.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
