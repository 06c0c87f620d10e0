"""The emission inventory (清单): calculation methods, factor tables, activity data, versions by year.

``methods`` holds the pure whole-column formulas (emission factor, CEMS monitoring, coal mass
balance, AP-42 paved-road dust, construction and stockpile dust, catering, open burning);
``factors`` reads the factor tables kept as data in ``data/*.csv`` and ``overrides`` the
district's own values; ``activity`` the activity-data templates; ``build`` computes a year's rows
from the source registry, ``monitoring`` from the CEMS devices of the HJ 212 feed; ``store`` keeps
the versions and :func:`load` reads one. See ``docs/inventory.md``.
"""

from lantian.inventory.store import InventoryNotBuiltError, load

__all__ = ["InventoryNotBuiltError", "load"]
