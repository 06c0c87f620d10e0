"""Monitoring factors (监测因子) a device reports, by HJ 212 code, and the units they come in.

The factors, their default units and the spellings a register's 监测因子 cell may use come from the
one HJ 212 factor table (``lantian.standards.monitoring_factors``), which the frame reader uses
too. A device's own unit per factor is stored with the device (vendors differ: TSP in µg/m³ or
mg/m³).
"""

from __future__ import annotations

import re

from lantian.standards import monitoring_factors

UNITS = {
    "ug/m3": ("ug/m3", "µg/m3", "μg/m3", "µg/m³", "μg/m³", "ug/m³", "微克/立方米"),
    "mg/m3": ("mg/m3", "mg/m³", "毫克/立方米"),
    "%": ("%", "%RH"),
    "degC": ("degC", "℃", "°C"),
    "kPa": ("kPa",),
    "hPa": ("hPa",),
    "m/s": ("m/s", "米/秒"),
    "m3/s": ("m3/s", "m³/s", "立方米/秒"),
    "deg": ("deg", "°", "度"),
    "dB": ("dB", "dB(A)", "dBA", "分贝"),
}
"""Unit → its accepted spellings (case-sensitive; ``mg`` is never ``Mg``)."""
_SPELLING = {spelling: unit for unit, spellings in UNITS.items() for spelling in spellings}
_ITEM = re.compile(r"^(?P<name>[^()（）:：]+?)\s*(?:[(（:：]\s*(?P<unit>[^()（）]*?)\s*[)）]?)?$")


def parse_factors(text: str) -> tuple[dict[str, str], str | None]:
    """A 监测因子 cell → ({HJ 212 code: unit}, problem or ``None``).

    Items are separated by 、 , ， ; ； or spaces; each is a code or name with an optional unit in
    brackets or after a colon: ``a34001(mg/m3)、PM10、PM2.5（μg/m³）、噪声``.
    """
    factors: dict[str, str] = {}
    for item in filter(
        None, (part.strip() for part in re.split(r"[、,，;；\s]+(?![^(（]*[)）])", text))
    ):
        match = _ITEM.match(item)
        code = (
            monitoring_factors.register_spellings().get(match["name"].strip().upper())
            if match
            else None
        )
        if code is None or match is None:
            return {}, f"未知监测因子 {item!r}"
        unit_text = (match["unit"] or "").strip()
        unit = _SPELLING.get(unit_text) if unit_text else monitoring_factors.factors()[code].unit
        if unit is None:
            return {}, f"{item!r} 的单位 {unit_text!r} 未知，可用：{'、'.join(UNITS)}"
        if code in factors:
            return {}, f"监测因子 {code} 重复"
        factors[code] = unit
    if not factors:
        return {}, "没有监测因子"
    return factors, None


def format_factors(factors: dict[str, str]) -> str:
    """The cell text of a device's factors, as :func:`parse_factors` reads it back."""
    return "、".join(f"{code}({unit})" for code, unit in factors.items())


_LIMIT = re.compile(r"^(?P<name>.+?)\s*[=:：]?\s*(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>[^\s\d].*?)$")
MASS_UNITS = ("mg/m3", "ug/m3")
"""Units a permitted emission concentration may be written in."""


def parse_permit_limits(text: str) -> tuple[dict[str, dict[str, object]], str | None]:
    """A 许可排放限值 cell → ({HJ 212 code: {"limit": value, "unit": unit}}, problem or ``None``).

    Items are separated by 、 , ， ; or ；, each a factor (code or name, as in a 监测因子 cell),
    the permitted concentration and its unit: ``二氧化硫 35 mg/m3、氮氧化物=50 mg/m³、a34013 10
    mg/m3`` (排污许可证 许可排放浓度, the limits a CEMS's hourly values are judged by).
    """
    limits: dict[str, dict[str, object]] = {}
    for item in filter(None, (part.strip() for part in re.split(r"[、,，;；]+", text))):
        match = _LIMIT.match(item)
        code = (
            monitoring_factors.register_spellings().get(match["name"].strip().upper())
            if match
            else None
        )
        if match is None or code is None:
            return {}, f"无法识别 {item!r}（应写作 因子 限值 单位，如 二氧化硫 35 mg/m3）"
        unit = _SPELLING.get(match["unit"].strip())
        if unit not in MASS_UNITS:
            return {}, f"{item!r} 的单位应为 {' 或 '.join(MASS_UNITS)}"
        if code in limits:
            return {}, f"监测因子 {code} 重复"
        limits[code] = {"limit": float(match["value"]), "unit": unit}
    return limits, None


def format_permit_limits(limits: dict[str, dict[str, object]]) -> str:
    """The cell text of permitted limits, as :func:`parse_permit_limits` reads it back."""
    return "、".join(f"{code} {entry['limit']:g} {entry['unit']}" for code, entry in limits.items())
