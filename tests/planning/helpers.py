"""A home with the demo's chain on EXAMPLE data (示例数据): the seeded ledger, the example registry,
activity data and 2019 inventory, the example links and the example statement of fractions — made by
the same functions ``lantian demo`` calls."""

from __future__ import annotations

import os
from pathlib import Path

from lantian.settings import settings
from tests.web_ledger.conftest import seed_ledger


def build_example_home(home: Path, seed: bool = True) -> Path:
    """Fill ``home`` (its ledger seeded first unless ``seed`` is false) and return it."""
    from lantian.cli.inventory import ensure_example_inventory
    from lantian.cli.planning import ensure_example_roadmap
    from lantian.cli.sources import ensure_example_registry

    home.mkdir(parents=True, exist_ok=True)
    if seed:
        seed_ledger(f"sqlite:///{home / 'plan.sqlite3'}")
    saved = {k: os.environ.get(k) for k in ("LANTIAN_HOME", "LANTIAN_DATABASE_URL")}
    os.environ["LANTIAN_HOME"] = str(home)
    os.environ.pop("LANTIAN_DATABASE_URL", None)
    settings.cache_clear()
    try:
        ensure_example_registry()
        ensure_example_inventory()
        assert ensure_example_roadmap()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        settings.cache_clear()
    return home
