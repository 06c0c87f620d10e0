"""The alarm rule file: shipped defaults (``data/rules.toml``) and a district's overrides.

A district's file (``LANTIAN_ALARM_RULES`` or ``--rules FILE``) is TOML with the same layout: its
``use`` replaces the shipped choice (template names or rule ids; ``"*"`` is every rule), a
``[[rule]]`` with a shipped ``id`` replaces that rule, a new ``id`` adds one, and
``[background] stations`` names the district's national stations, and ``[publication]`` (keys
replaced one by one) the public warning list's rule (:class:`Publication`). Every rule must cite a
``source``; an unknown kind, a missing field or a window without a completeness count is refused
with the file and the rule named.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

KINDS = {
    "absolute": ("pollutant", "window", "limit", "unit"),
    "difference": ("pollutant", "window", "limit", "unit", "background", "background_cap"),
    "tsp_phase": ("pollutant", "window", "limits", "unit"),
    "stack": ("window",),
    "hotspot": ("pollutant", "window", "limit", "unit", "hours", "network"),
    "off_hours": ("pollutant", "window", "limit", "unit"),
    "offline": ("minutes",),
    "stuck": ("readings",),
    "flag": ("flags", "minutes"),
}
"""Rule kind → the fields it requires (besides ``id``, ``kind``, ``name`` and ``source``)."""


class RuleFileError(ValueError):
    """A rule file that cannot be used; the message names the file and the rule."""


@dataclass(frozen=True)
class Rule:
    """One alarm rule, as written in the rule file."""

    id: str
    kind: str
    name: str
    source: str
    """The citation (standard and clause) the rule comes from."""
    template: str = ""
    pollutant: str = ""
    window: int = 0
    """Window length [min]; windows are clock-aligned (an hour is hh:00–hh:59)."""
    limit: float = 0.0
    """The limit in ``unit``; an alarm needs the window value strictly above it."""
    unit: str = "ug/m3"
    limits: dict[str, float] = field(default_factory=dict)
    """``tsp_phase``: construction phase (施工阶段) → limit in ``unit``."""
    background: str = ""
    """``difference``: ``district`` (the district's national stations) or ``device``."""
    reference_device: str = ""
    background_cap: float = 0.0
    per_day: int | None = None
    """Exceedances allowed per day; the next one is 超标."""
    hours: int = 0
    """``hotspot``: consecutive windows above the network's mean before the alarm rings."""
    network: str = ""
    """``hotspot``: the device network compared (``micro``: the grid micro-stations)."""
    level: str = ""
    """A fixed level for every exceedance (``stack``: 超标); empty: by occurrence."""
    sources: tuple[str, ...] = ()
    """Source kinds (``site``, ``plant`` …) whose devices the rule applies to; empty: all."""
    minutes: int = 0
    readings: int = 0
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Publication:
    """The rule of the public warning list (公示警示, ``[publication]`` of the rule file): a site
    is listed when its devices had alarms of ``levels`` from rules of ``kinds`` on at least
    ``min_days`` days of the last ``days`` days."""

    days: int = 30
    min_days: int = 3
    levels: tuple[str, ...] = ("超标",)
    kinds: tuple[str, ...] = ("absolute", "difference", "tsp_phase")
    source: str = ""


def _publication(raw: dict[str, Any], origin: str) -> Publication:
    unknown = sorted(set(raw) - set(Publication.__dataclass_fields__))
    if unknown:
        raise RuleFileError(f"{origin} [publication]: unknown field {', '.join(unknown)}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
    publication = Publication(**values)
    if not (1 <= publication.min_days <= publication.days <= 366):
        raise RuleFileError(f"{origin} [publication]: need 1 ≤ min_days ≤ days ≤ 366")
    bad_kinds = sorted(set(publication.kinds) - set(KINDS))
    if bad_kinds:
        raise RuleFileError(
            f"{origin} [publication]: unknown kind {', '.join(bad_kinds)}, valid: {', '.join(KINDS)}"
        )
    return publication


@dataclass(frozen=True)
class RuleSet:
    """The rules in force: the chosen rules, the completeness counts and the background stations."""

    rules: tuple[Rule, ...]
    completeness: dict[int, int]
    """Window [min] → minimum valid minutes for its mean."""
    completeness_source: str
    background_stations: tuple[str, ...]
    publication: Publication = Publication()

    def by_id(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(f"未知规则 {rule_id!r}，可用：{', '.join(r.id for r in self.rules)}")


def _read(path: Path | Any) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise RuleFileError(f"{path}: {error}") from error


def _rule(raw: dict[str, Any], origin: str) -> Rule:
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        raise RuleFileError(f"{origin}: a [[rule]] without id")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise RuleFileError(
            f"{origin} rule {rule_id}: unknown kind {kind!r}, valid: {', '.join(KINDS)}"
        )
    missing = [name for name in ("name", "source", *KINDS[kind]) if name not in raw]
    if missing:
        raise RuleFileError(f"{origin} rule {rule_id}: missing {', '.join(missing)}")
    known = set(Rule.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise RuleFileError(f"{origin} rule {rule_id}: unknown field {', '.join(unknown)}")
    if raw.get("level", "") not in ("", "预警", "报警", "超标"):
        raise RuleFileError(f"{origin} rule {rule_id}: level must be 预警, 报警 or 超标")
    values = dict(raw)
    for name in ("sources", "flags"):
        if name in values:
            values[name] = tuple(values[name])
    if "limits" in values:
        values["limits"] = {str(k): float(v) for k, v in values["limits"].items()}
    try:
        return Rule(**values)
    except TypeError as error:
        raise RuleFileError(f"{origin} rule {rule_id}: {error}") from error


def shipped_path() -> Any:
    """The shipped rule file (``lantian/alarms/data/rules.toml``)."""
    return resources.files("lantian.alarms") / "data" / "rules.toml"


def load_rules(override: Path | str | None = None) -> RuleSet:
    """The rules in force: the shipped file, with the district's ``override`` file applied."""
    base = _read(shipped_path())
    rules = {raw.get("id"): _rule(raw, "rules.toml") for raw in base.get("rule", [])}
    use = list(base.get("use", []))
    stations = list(base.get("background", {}).get("stations", []))
    publication = dict(base.get("publication", {}))
    if override is not None:
        path = Path(override)
        extra = _read(path)
        for raw in extra.get("rule", []):
            rule = _rule(raw, str(path))
            rules[rule.id] = rule
        use = list(extra.get("use", use))
        stations = list(extra.get("background", {}).get("stations", stations))
        publication.update(extra.get("publication", {}))
    origin = str(override) if override is not None else "rules.toml"
    templates = {rule.template for rule in rules.values()} | set(rules)
    unknown = [name for name in use if name != "*" and name not in templates]
    if unknown:
        raise RuleFileError(
            f"{origin}: use names unknown {', '.join(unknown)}; valid: {', '.join(sorted(templates))}"
        )
    chosen = tuple(
        rule for rule in rules.values() if "*" in use or rule.id in use or rule.template in use
    )
    completeness = {int(k): int(v) for k, v in base["completeness"]["minutes"].items()}
    for rule in chosen:
        if rule.window and rule.window not in completeness:
            raise RuleFileError(
                f"{origin} rule {rule.id}: no completeness count for window {rule.window}"
            )
        if rule.kind == "difference" and rule.background == "device" and not rule.reference_device:
            raise RuleFileError(
                f"{origin} rule {rule.id}: background = device needs reference_device"
            )
    return RuleSet(
        chosen,
        completeness,
        base["completeness"]["source"],
        tuple(stations),
        _publication(publication, origin),
    )
