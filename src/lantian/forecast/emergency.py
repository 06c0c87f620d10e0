"""The emergency reduction list (应急减排清单, 一厂一案) and the check of its per-level shares.

Each enterprise has a performance grade (绩效分级 A/B/C/D, or none where its industry is not
graded) and baseline emissions of SO2, NOx, PM and VOCs [t/a]. Each of its measures belongs to a
warning level and is one of the kinds of ``tables/measure_kinds.csv``: ``stop`` (the whole
baseline counts), ``cut`` (the cut share × baseline), ``stagger`` and ``other`` (the reduction
must be stated). A reduction stated in the list overrides the computed one.

The check: at each level, for each pollutant, the sum of the expected reductions must reach the
required share of the city's society-wide emissions (``tables/reduction_shares.csv``: 10/20/30 %
for yellow/orange/red, standards.md §6.1, or the locality's override), and it reports what is
missing: the shortfall in tonnes, enterprises with no measure at a level (A-grade enterprises
may take none: standards.md §11, UNCONFIRMED), and an enterprise whose reduction falls as the
level rises. Whole-column NumPy over (measures × pollutants).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from lantian.forecast.tables import known, rows
from lantian.forecast.warnings import level_table

POLLUTANTS = ("SO2", "NOx", "PM", "VOCs")
"""Emission pollutants of the list (PM: particulate matter; VOCs: volatile organic compounds)."""
GRADES = ("A", "B", "C", "D", "")
GRADES_WITHOUT_REQUIRED_MEASURES = ("A",)


@dataclass(frozen=True)
class Enterprise:
    enterprise_id: str
    name: str
    industry: str
    location: str
    grade: str
    """绩效分级 ``A`` … ``D``; ``""`` for an industry without grades."""
    baseline: dict[str, float]
    """Baseline emissions by pollutant [t/a]."""


@dataclass(frozen=True)
class Measure:
    enterprise_id: str
    level: str
    """``yellow``, ``orange`` or ``red``."""
    kind: str
    """A kind of ``tables/measure_kinds.csv``."""
    cut_share: float | None = None
    """For ``cut``: the share of production cut (0–1)."""
    description: str = ""
    reductions: dict[str, float | None] = field(default_factory=dict)
    """Stated expected reductions [t/a]; a missing pollutant is computed from the kind."""


@dataclass(frozen=True)
class EmergencyList:
    city: str
    totals: dict[str, float]
    """Society-wide emissions of the city by pollutant [t/a]."""
    enterprises: list[Enterprise]
    measures: list[Measure]

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> EmergencyList:
        data = json.loads(text)
        return cls(
            city=data["city"],
            totals=data["totals"],
            enterprises=[Enterprise(**e) for e in data["enterprises"]],
            measures=[Measure(**m) for m in data["measures"]],
        )


def with_registry(
    emergency: EmergencyList, registered: dict[str, tuple[str, str | None]]
) -> EmergencyList:
    """The list with each enterprise's name and grade as the source registry holds them.

    The registry (``lantian.sources``) is the one enterprise table: an import of the list
    registers its enterprises there, and a grade changed in the registry afterwards is the one the
    check uses. ``registered``: registry code (the list's 企业编号) → (name, grade or ``None``).
    """
    enterprises = [
        replace(e, name=registered[e.enterprise_id][0], grade=registered[e.enterprise_id][1] or "")
        if e.enterprise_id in registered
        else e
        for e in emergency.enterprises
    ]
    return replace(emergency, enterprises=enterprises)


def measure_kinds() -> list[str]:
    return known("measure_kinds", "kind")


def required_shares(
    scheme: str, overrides: dict[str, float] | None = None
) -> dict[str, dict[str, float]]:
    """{level: {pollutant: share}} of ``scheme``; a locality's override replaces a level's shares."""
    shares: dict[str, dict[str, float]] = {}
    for row in rows("reduction_shares", scheme=scheme):
        shares.setdefault(row["level"], {})[row["pollutant"]] = float(row["min_share"])
    if not shares:
        raise KeyError(
            f"no reduction shares for scheme {scheme!r}; valid: {known('reduction_shares', 'scheme')}"
        )
    for level, share in (overrides or {}).items():
        shares[level] = dict.fromkeys(POLLUTANTS, float(share))
    return shares


def expected_reductions(emergency: EmergencyList) -> np.ndarray:
    """(measures, pollutants) expected reductions [t/a]: stated, else by kind; NaN = not computable."""
    index = {e.enterprise_id: k for k, e in enumerate(emergency.enterprises)}
    baseline = np.asarray(
        [[e.baseline.get(p, 0.0) for p in POLLUTANTS] for e in emergency.enterprises]
    )
    baseline = baseline.reshape(len(emergency.enterprises), len(POLLUTANTS))
    owner = np.asarray([index.get(m.enterprise_id, -1) for m in emergency.measures], dtype=np.int64)
    rule = {r["kind"]: r["default_reduction"] for r in rows("measure_kinds")}
    how = np.asarray([rule.get(m.kind, "stated") for m in emergency.measures], dtype=object)
    share = np.asarray(
        [m.cut_share if m.cut_share is not None else np.nan for m in emergency.measures]
    )
    base = baseline[np.maximum(owner, 0)] if len(owner) else np.zeros((0, len(POLLUTANTS)))
    factor = np.select([how == "baseline", how == "share"], [1.0, share], default=np.nan)
    computed = base * factor[:, np.newaxis]
    stated = np.asarray(
        [
            [np.nan if m.reductions.get(p) is None else m.reductions[p] for p in POLLUTANTS]
            for m in emergency.measures
        ]
    ).reshape(len(emergency.measures), len(POLLUTANTS))
    return np.where(np.isnan(stated), computed, stated)


def check(emergency: EmergencyList, shares: dict[str, dict[str, float]]) -> dict[str, object]:
    """Whether each level's reductions reach the required shares, and what is missing.

    Returns ``{"ok", "levels": [...rows per level and pollutant...], "missing": [...]}``: a row has
    ``level, pollutant, total, required_share, required, achieved, achieved_share, shortfall, ok``
    [t/a]; ``missing`` lists every problem in Chinese with its kind.
    """
    levels = [r["level"] for r in level_table()]
    level_of = {name: k for k, name in enumerate(levels)}
    reductions = np.nan_to_num(expected_reductions(emergency))
    measure_level = np.asarray(
        [level_of.get(m.level, -1) for m in emergency.measures], dtype=np.int64
    )
    achieved = np.zeros((len(levels), len(POLLUTANTS)))
    known_level = measure_level >= 0
    np.add.at(achieved, measure_level[known_level], reductions[known_level])
    totals = np.asarray([emergency.totals.get(p, np.nan) for p in POLLUTANTS])
    required_share = np.asarray([[shares[lv][p] for p in POLLUTANTS] for lv in levels])
    required = required_share * totals
    shortfall = np.maximum(required - achieved, 0.0)
    table = []
    for i, lv in enumerate(levels):
        for j, p in enumerate(POLLUTANTS):
            table.append(
                {
                    "level": lv,
                    "pollutant": p,
                    "total": float(totals[j]),
                    "required_share": float(required_share[i, j]),
                    "required": round(float(required[i, j]), 3),
                    "achieved": round(float(achieved[i, j]), 3),
                    "achieved_share": round(float(achieved[i, j] / totals[j]), 4)
                    if totals[j]
                    else None,
                    "shortfall": round(float(shortfall[i, j]), 3),
                    "ok": bool(achieved[i, j] >= required[i, j]),
                }
            )
    missing = _missing(emergency, levels, table, reductions, measure_level)
    return {"ok": all(r["ok"] for r in table) and not missing, "levels": table, "missing": missing}


def _missing(emergency, levels, table, reductions, measure_level) -> list[dict[str, object]]:
    """What the list lacks: a level's shortfall per pollutant, an enterprise without a measure at
    a level or whose cut falls from one level to the next, a measure of an unknown enterprise."""
    names = {r["level"]: r["name_zh"] for r in level_table()}
    per_enterprise, has_measure = _enterprise_cuts(emergency, levels, reductions, measure_level)
    return [
        *_shortfalls(table, names),
        *_enterprise_gaps(emergency, levels, names, per_enterprise, has_measure),
        *_unknown_enterprises(emergency),
    ]


def _shortfalls(table, names) -> list[dict[str, object]]:
    """The (level, pollutant) rows of ``table`` whose cut misses the required share."""
    return [
        {
            "kind": "shortfall",
            "level": r["level"],
            "pollutant": r["pollutant"],
            "text_zh": f"{names[r['level']]}：{r['pollutant']}减排量{r['achieved']:g}吨/年，"
            f"未达到全社会排放量的{r['required_share']:.0%}（{r['required']:g}吨/年），缺口{r['shortfall']:g}吨/年",
        }
        for r in table
        if not r["ok"]
    ]


def _enterprise_cuts(emergency, levels, reductions, measure_level) -> tuple[np.ndarray, np.ndarray]:
    """Each listed enterprise's cut per level and pollutant [t/a], (enterprises, levels,
    pollutants), and whether it has a measure at each level, (enterprises, levels)."""
    index = {e.enterprise_id: k for k, e in enumerate(emergency.enterprises)}
    per_enterprise = np.zeros((len(emergency.enterprises), len(levels), len(POLLUTANTS)))
    has_measure = np.zeros((len(emergency.enterprises), len(levels)), dtype=bool)
    owner = np.asarray([index.get(m.enterprise_id, -1) for m in emergency.measures], dtype=np.int64)
    ok = (owner >= 0) & (measure_level >= 0)
    np.add.at(per_enterprise, (owner[ok], measure_level[ok]), reductions[ok])
    has_measure[owner[ok], measure_level[ok]] = True
    return per_enterprise, has_measure


def _enterprise_gaps(
    emergency, levels, names, per_enterprise, has_measure
) -> list[dict[str, object]]:
    """Per enterprise: the levels without a measure (unless its grade needs none) and the levels
    whose cut is below the previous level's."""
    gaps: list[dict[str, object]] = []
    for k, enterprise in enumerate(emergency.enterprises):
        if enterprise.grade not in GRADES_WITHOUT_REQUIRED_MEASURES:
            gaps += [
                {
                    "kind": "no_measure",
                    "level": levels[i],
                    "enterprise_id": enterprise.enterprise_id,
                    "text_zh": f"{enterprise.name}（{enterprise.grade or '未分级'}）无{names[levels[i]]}减排措施",
                }
                for i in np.flatnonzero(~has_measure[k])
            ]
        falls = np.flatnonzero((np.diff(per_enterprise[k], axis=0) < -1e-9).any(axis=1))
        gaps += [
            {
                "kind": "decreasing",
                "level": levels[i + 1],
                "enterprise_id": enterprise.enterprise_id,
                "text_zh": f"{enterprise.name}{names[levels[i + 1]]}减排量低于{names[levels[i]]}",
            }
            for i in falls
        ]
    return gaps


def _unknown_enterprises(emergency) -> list[dict[str, object]]:
    """The measures' enterprises that are not in the enterprise list."""
    listed = {e.enterprise_id for e in emergency.enterprises}
    unknown = sorted({m.enterprise_id for m in emergency.measures} - listed)
    return [
        {
            "kind": "unknown_enterprise",
            "enterprise_id": e,
            "text_zh": f"措施所属企业{e}不在企业清单中",
        }
        for e in unknown
    ]


# ----------------------------------------------------------------------------- storage
def emergency_path(home: Path, city: str) -> Path:
    return Path(home) / "emergency" / f"{city}.json"


def save(home: Path, emergency: EmergencyList) -> Path:
    """Store a city's list atomically (temporary file, fsync, ``os.replace``)."""
    path = emergency_path(home, emergency.city)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(emergency.to_json())
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
    return path


def load(home: Path, city: str) -> EmergencyList:
    path = emergency_path(home, city)
    if not path.exists():
        raise FileNotFoundError(
            f"no emergency list for {city}; import one with `lantian emergency import`"
        )
    return EmergencyList.from_json(path.read_text("utf-8"))
