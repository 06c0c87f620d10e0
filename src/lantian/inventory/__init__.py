"""The emission inventory (清单): calculation methods and factor tables.

``methods`` holds the pure whole-column formulas (emission factor, CEMS monitoring, coal mass
balance, AP-42 paved-road dust, construction and stockpile dust, catering, open burning);
``factors`` reads the factor tables kept as data in ``data/*.csv``. See ``docs/inventory.md``.
"""
