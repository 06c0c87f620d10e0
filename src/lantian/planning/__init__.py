"""Planning (规划): from tonnes to µg/m³ — the response model, source-apportionment results, the
measures' expected cuts and the attainment roadmap (issue #16 parts 2 and 3).

``response`` is the reduced-form response model (pure NumPy); ``cuts`` turns a measure's link to
inventory rows and the ledger's monthly reports into tonnes removed, planned and achieved;
``apportionment`` reads an apportionment workbook (PMF output, a published apportionment, or CTM
sensitivities) and stores it; ``pmf`` runs US EPA's ESAT; ``roadmap`` puts them together for a
target year. See ``docs/planning.md``.
"""
