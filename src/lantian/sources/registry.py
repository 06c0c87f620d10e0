"""The registry's services: import a register (all or nothing, audited), list and export it,
the devices as the feeds see them, the nearest national station, and the monitoring radius.

Every service takes a ledger session (``lantian.plan.database.transaction``) and an ``Actor``,
checks the permission (``sources.manage`` to change, ``sources.read`` to read) and writes through
the ORM, so the audit log records each change in the same transaction. Stations come in as an
Arrow table with ``station_code, name, longitude, latitude`` (the measurement store's registry);
distances are whole-matrix NumPy (a cosine matrix of unit vectors, then the haversine of the
pairs found), never a loop over rows.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lantian.plan.access import Actor, require
from lantian.plan.audit import act
from lantian.sources.coordinates import nearest, within
from lantian.sources.devices import Device, password_digest
from lantian.sources.factors import format_factors, format_permit_limits
from lantian.sources.geometry import vertices_text
from lantian.sources.models import SOURCE_CLASSES, RegisteredDevice, Source
from lantian.sources.tables import RegisterImportError, RegisterRejection
from lantian.sources.vocabulary import (
    DEFAULT_SUPERVISOR,
    DEVICE_KINDS,
    EIGHT_MUSTS,
    SOURCE_KIND_NAMES,
    SUPERVISOR_BY_SITE_TYPE,
    TABLES,
    Table,
)

NATIONAL_CODE = r"^\d{4}A$"
"""CNEMC national station codes (``2478A``); a device's own station code may not look like one."""


@dataclass(frozen=True)
class ImportSummary:
    register: str
    added: int
    updated: int
    unchanged: int = 0


def _table(name: str) -> Table:
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown register {name!r}; valid: {', '.join(TABLES)}") from None


# --- import --------------------------------------------------------------------------------------


def import_register(
    db: Session,
    actor: Actor,
    register: str,
    records: list[dict[str, Any]],
    *,
    source: str,
    stations: pa.Table | None = None,
    example: bool = False,
) -> ImportSummary:
    """Store the ``records`` of :func:`tables.parse_register`: add new rows, update known ones.

    Sources are matched by ``code`` (编号), devices by ``mn``. A conflict with what is stored (a
    credit code or station code held by another row, a device on an unregistered source, a new
    device without a password) raises :class:`RegisterImportError` naming ``source`` and the row;
    the caller rolls the session back, so nothing of the register is stored.
    """
    require(actor, "sources.manage")
    act(db, actor)
    table = _table(register)
    if table.kind == "device":
        return _import_devices(db, records, source, stations, example)
    return _import_sources(db, table, records, source, example)


def _source_values(table: Table, record: dict[str, Any], example: bool) -> dict[str, Any]:
    values = {k: v for k, v in record.items() if k not in {"line", *EIGHT_MUSTS}}
    if table.kind == "site":
        values["checklist"] = {item: record.get(item) for item in EIGHT_MUSTS}
        if not values.get("responsible_unit"):
            values["responsible_unit"] = SUPERVISOR_BY_SITE_TYPE.get(
                record.get("site_type") or "", DEFAULT_SUPERVISOR
            )
    values["example"] = example
    return values


def _import_sources(
    db: Session, table: Table, records: list[dict[str, Any]], source: str, example: bool
) -> ImportSummary:
    model = SOURCE_CLASSES[table.kind]
    codes = [r["code"] for r in records]
    existing = {s.code: s for s in db.scalars(select(Source).where(Source.code.in_(codes)))}
    problems = [
        RegisterRejection(
            source,
            r["line"],
            "编号",
            r["code"],
            "conflict",
            f"编号已登记为{SOURCE_KIND_NAMES.get(existing[r['code']].kind, '')}",
        )
        for r in records
        if r["code"] in existing and existing[r["code"]].kind != table.kind
    ]
    if table.kind == "enterprise":
        problems += _credit_code_conflicts(db, records, source)
    if problems:
        raise RegisterImportError(problems)
    outcomes = [
        _store(db, model, existing.get(record["code"]), _source_values(table, record, example))
        for record in records
    ]
    db.flush()
    return _summary(table.name, outcomes)


FLAGS_KEPT = ("example", "simulated")
"""Set when a row is created; an update keeps them (an exported example imports back as one)."""


def _store(db: Session, model: type[Any], row: Any, values: dict[str, Any]) -> str:
    """Add a row, or set the changed values of ``row`` only (an unchanged row is neither written
    nor audited). Returns ``added``, ``updated`` or ``unchanged``."""
    if row is None:
        db.add(model(**values))
        return "added"
    return (
        "updated"
        if _update(row, {k: v for k, v in values.items() if k not in FLAGS_KEPT})
        else "unchanged"
    )


def _update(row: Any, values: dict[str, Any]) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed


def _summary(register: str, outcomes: list[str]) -> ImportSummary:
    return ImportSummary(
        register, outcomes.count("added"), outcomes.count("updated"), outcomes.count("unchanged")
    )


def _credit_code_conflicts(db: Session, records: list[dict[str, Any]], source: str) -> list[Any]:
    from lantian.sources.models import Enterprise

    wanted = {r["credit_code"]: r for r in records if r.get("credit_code")}
    holders = db.execute(
        select(Enterprise.credit_code, Enterprise.code).where(
            Enterprise.credit_code.in_(list(wanted))
        )
    ).all()
    return [
        RegisterRejection(
            source,
            wanted[credit]["line"],
            "统一社会信用代码",
            credit or "",
            "conflict",
            f"该代码已属于编号 {code} 的企业",
        )
        for credit, code in holders
        if wanted[credit]["code"] != code
    ]


def _import_devices(
    db: Session,
    records: list[dict[str, Any]],
    source: str,
    stations: pa.Table | None,
    example: bool,
) -> ImportSummary:
    mns = [r["mn"] for r in records]
    existing = {
        d.mn: d for d in db.scalars(select(RegisteredDevice).where(RegisteredDevice.mn.in_(mns)))
    }
    wanted_sources = [r["source_code"] for r in records if r.get("source_code")]
    sources = {s.code: s for s in db.scalars(select(Source).where(Source.code.in_(wanted_sources)))}
    taken = dict(db.execute(select(RegisteredDevice.station_code, RegisteredDevice.mn)).all())
    problems, rows = [], []
    for record in records:
        values = _device_values(record, existing.get(record["mn"]), example)
        problem = _device_problems(record, values, sources, taken, existing)
        problems += [RegisterRejection(source, record["line"], *p) for p in problem]
        rows.append(values)
    if problems:
        raise RegisterImportError(sorted(problems, key=lambda r: r.line))
    _fill_nearest(rows, stations)
    outcomes = [_store(db, RegisteredDevice, existing.get(v["mn"]), v) for v in rows]
    db.flush()
    return _summary("devices", outcomes)


def _device_values(
    record: dict[str, Any], known: RegisteredDevice | None, example: bool
) -> dict[str, Any]:
    """The columns of a device row from its record (password salted and hashed if new)."""
    skipped = {"line", "details", "password", "source_code"}
    values = {k: v for k, v in record.items() if k not in skipped}
    values["network"] = DEVICE_KINDS[record["kind"]][1]
    values["station_code"] = record.get("station_code") or record["mn"]
    values["simulated"] = example
    password = record.get("password")
    if password and not (known is not None and known.accepts(password)):
        values["password_salt"] = secrets.token_hex(16)
        values["password_hash"] = password_digest(password, values["password_salt"])
    return values


def _device_problems(
    record: dict[str, Any],
    values: dict[str, Any],
    sources: dict[str, Any],
    taken: dict[str, Any],
    existing: dict[str, Any],
) -> list[tuple[str, str, str, str]]:
    """(column, value, reason, detail) of what the stored registry refuses; fills the place."""
    problems = []
    code = values["station_code"]
    if re.match(NATIONAL_CODE, code) and record["kind"] != "national":
        problems.append(("站点编码", code, "bad_station_code", ""))
    if taken.get(code, record["mn"]) != record["mn"]:
        problems.append(("站点编码", code, "conflict", f"站点编码已属于设备 {taken[code]}"))
    place = sources.get(record.get("source_code") or "")
    if record.get("source_code") and place is None:
        problems.append(("所在污染源编号", record["source_code"], "unknown_source", ""))
    values["source_id"] = place.id if place else None
    if values.get("longitude") is None and place is not None:
        values["longitude"], values["latitude"] = place.longitude, place.latitude
    if values.get("longitude") is None and not record.get("source_code"):
        detail = "设备须有位置：填写经纬度，或所在污染源编号"
        problems.append(("经度", "", "bad_coordinate", detail))
    if not record.get("password") and record["mn"] not in existing:
        problems.append(("密码", "", "empty", "新登记的设备须填写密码"))
    return problems


def link_enterprises(
    db: Session, actor: Actor, rows: list[dict[str, Any]], *, source: str
) -> ImportSummary:
    """Register the enterprises of another list — the emergency reduction list (应急减排清单,
    issue #7) — so that the registry stays the one enterprise table.

    ``rows`` have ``code`` (the list's 企业编号, the registry's 编号), ``name``, ``industry_name``,
    ``address``, ``emergency_grade`` (A–D or empty) and ``line``. A registered enterprise takes the
    list's grade (the list is where grades are decided) and keeps its other facts, filling only
    those it lacks; an unregistered one is added. A code held by a source of another kind is a
    conflict (:class:`RegisterImportError`); nothing is then stored.
    """
    require(actor, "sources.manage")
    act(db, actor)
    from lantian.sources.models import Enterprise

    codes = [r["code"] for r in rows]
    existing = {s.code: s for s in db.scalars(select(Source).where(Source.code.in_(codes)))}
    problems = [
        RegisterRejection(
            source,
            r["line"],
            "企业编号",
            r["code"],
            "conflict",
            f"编号已登记为{SOURCE_KIND_NAMES.get(existing[r['code']].kind, '')}",
        )
        for r in rows
        if r["code"] in existing and existing[r["code"]].kind != "enterprise"
    ]
    if problems:
        raise RegisterImportError(problems)
    outcomes = []
    for row in rows:
        values = {k: (v or None) for k, v in row.items() if k != "line"}
        found = existing.get(row["code"])
        if found is not None:  # keep the registry's facts, fill what it lacks, take the grade
            values = {k: v for k, v in values.items() if getattr(found, k) is None} | {
                "emergency_grade": values["emergency_grade"]
            }
        outcomes.append(_store(db, Enterprise, found, values))
    db.flush()
    return _summary("enterprises", outcomes)


def registered_enterprises(db: Session, actor: Actor) -> dict[str, tuple[str, str | None]]:
    """Registry code → (name, emergency grade) of every registered enterprise."""
    require(actor, "sources.read")
    from lantian.sources.models import Enterprise

    query = select(Enterprise.code, Enterprise.name, Enterprise.emergency_grade)
    return {code: (name, grade) for code, name, grade in db.execute(query)}


# --- stations ------------------------------------------------------------------------------------


def _station_arrays(stations: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(codes, names, lon, lat) of the stations with a position."""
    lon = np.asarray(stations.column("longitude").to_numpy(zero_copy_only=False), dtype=float)
    lat = np.asarray(stations.column("latitude").to_numpy(zero_copy_only=False), dtype=float)
    keep = ~np.isnan(lon) & ~np.isnan(lat)
    codes = np.asarray(stations.column("station_code").to_pylist(), dtype=object)[keep]
    names = (
        np.asarray(stations.column("name").to_pylist(), dtype=object)[keep]
        if "name" in stations.column_names
        else codes
    )
    return codes, names, lon[keep], lat[keep]


def nearest_stations(
    longitude: np.ndarray, latitude: np.ndarray, stations: pa.Table
) -> tuple[np.ndarray, np.ndarray]:
    """The nearest station's code and distance [km] for each position (whole matrix, NumPy)."""
    codes, _, station_lon, station_lat = _station_arrays(stations)
    longitude, latitude = np.asarray(longitude, dtype=float), np.asarray(latitude, dtype=float)
    known = ~np.isnan(longitude) & ~np.isnan(latitude)
    found_codes = np.full(len(longitude), None, dtype=object)
    found_km = np.full(len(longitude), np.nan)
    if not len(codes) or not known.any():
        return found_codes, found_km
    best, km = nearest(longitude[known], latitude[known], station_lon, station_lat)
    found_codes[known], found_km[known] = codes[best], km
    return found_codes, found_km


def _fill_nearest(rows: list[dict[str, Any]], stations: pa.Table | None) -> None:
    if stations is None or not rows:
        return
    lon = np.array([r.get("longitude") for r in rows], dtype=float)
    lat = np.array([r.get("latitude") for r in rows], dtype=float)
    codes, km = nearest_stations(lon, lat, stations)
    for row, code, distance in zip(rows, codes, km, strict=True):
        row["nearest_station_code"] = code
        row["nearest_station_km"] = None if np.isnan(distance) else round(float(distance), 3)


def refresh_nearest_stations(db: Session, actor: Actor, stations: pa.Table) -> int:
    """Recompute every device's nearest national station (after the station registry changed);
    the devices whose nearest station or distance changed are updated (and audited). Returns how
    many changed."""
    require(actor, "sources.manage")
    act(db, actor)
    devices = list(db.scalars(select(RegisteredDevice).order_by(RegisteredDevice.id)))
    rows = [{"longitude": d.longitude, "latitude": d.latitude} for d in devices]
    _fill_nearest(rows, stations)
    changed = [
        _update(d, {k: r.get(k) for k in ("nearest_station_code", "nearest_station_km")})
        for d, r in zip(devices, rows, strict=True)
    ]
    db.flush()
    return sum(changed)


def monitoring_radius(
    db: Session, actor: Actor, stations: pa.Table, km: float = 3.0
) -> list[dict[str, Any]]:
    """Sources within ``km`` of each station: the plan's 监测点辐射区 (冷水滩区方案 二（三）).

    Rows ``station_code, station_name, kind, kind_zh, code, name, distance_km`` by station, then
    distance. Devices are not sources and are left out.
    """
    require(actor, "sources.read")
    found = db.execute(
        select(Source.kind, Source.code, Source.name, Source.longitude, Source.latitude).where(
            Source.longitude.is_not(None)
        )
    ).all()
    codes, names, station_lon, station_lat = _station_arrays(stations)
    if not found or not len(codes):
        return []
    lon = np.array([r.longitude for r in found], dtype=float)
    lat = np.array([r.latitude for r in found], dtype=float)
    station_index, source_index, distance = within(station_lon, station_lat, lon, lat, km)
    order = np.lexsort((distance, codes[station_index]))
    return [
        {
            "station_code": codes[i],
            "station_name": names[i],
            "kind": found[j].kind,
            "kind_zh": SOURCE_KIND_NAMES[found[j].kind],
            "code": found[j].code,
            "name": found[j].name,
            "distance_km": round(float(d), 2),
        }
        for i, j, d in zip(station_index[order], source_index[order], distance[order], strict=True)
    ]


# --- reading -------------------------------------------------------------------------------------


def register_rows(db: Session, actor: Actor, register: str) -> list[dict[str, Any]]:
    """The rows of a register as glossary-keyed dicts, in the columns of its layout.

    Cells are as an import reads them back (boundaries as ``lon,lat;…``, factors as
    ``a34001(mg/m3)、…``); device passwords are never returned (the column stays empty, and an
    import with an empty password keeps the stored one).
    """
    require(actor, "sources.read")
    table = _table(register)
    if table.kind == "device":
        query = select(RegisteredDevice).order_by(RegisteredDevice.mn)
        return [_device_row(d) for d in db.scalars(query)]
    model = SOURCE_CLASSES[table.kind]
    return [_source_row(table, s) for s in db.scalars(select(model).order_by(Source.code))]


def _source_row(table: Table, source: Any) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for field in table.fields:
        if field.details:
            value = source.details.get(field.key)
        elif field.key in EIGHT_MUSTS:
            value = source.checklist.get(field.key)
        elif field.key == "geometry":
            value = vertices_text(source.geometry)
        elif field.key == "permit_limits":
            value = format_permit_limits(source.permit_limits or {}) or None
        else:
            value = getattr(source, field.key)
        if isinstance(value, bool):
            value = "是" if value else "否"
        elif isinstance(value, float) and value.is_integer() and field.parser == "number":
            value = int(value)  # 灶头数 4, not 4.0
        row[field.key] = value
    if table.kind == "site":
        met = sum(bool(source.checklist.get(item)) for item in EIGHT_MUSTS)
        row["eight_musts"] = f"{met}/{len(EIGHT_MUSTS)}"
    row["example"] = source.example
    return row


def _device_row(device: RegisteredDevice) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for field in TABLES["devices"].fields:
        if field.key == "password":
            value = None
        elif field.key == "source_code":
            value = device.source.code if device.source else None
        elif field.key == "kind":
            value = DEVICE_KINDS[device.kind][0]
        elif field.key == "factor_units":
            value = format_factors(device.factor_units)
        else:
            value = getattr(device, field.key)
        row[field.key] = value
    row["network"] = device.network
    row["nearest_station_code"] = device.nearest_station_code
    row["nearest_station_km"] = device.nearest_station_km
    row["simulated"] = device.simulated
    return row


def as_device(row: RegisteredDevice) -> Device:
    """The feeds' view of a registered device (:class:`lantian.sources.devices.Device`)."""
    return Device(
        mn=row.mn,
        kind=row.kind,  # type: ignore[arg-type]
        network=row.network,
        station_code=row.station_code,
        factor_units=dict(row.factor_units),
        source_id=row.source_id,
        installed=row.installed,
        removed=row.removed,
        simulated=row.simulated,
        password_salt=row.password_salt,
        password_sha256=row.password_hash,
        **_place(row),
    )


def _place(row: RegisteredDevice) -> dict[str, Any]:
    """Where a device is: its own coordinates when registered (both), else its source's; the
    source's town."""
    source = row.source
    own = row.longitude is not None and row.latitude is not None
    return {
        "longitude": row.longitude if own else (source.longitude if source else None),
        "latitude": row.latitude if own else (source.latitude if source else None),
        "town": source.town if source else None,
    }


def devices(db: Session) -> list[Device]:
    """Every registered device as the feeds see it (no actor: the receiver is a system process)."""
    query = (
        select(RegisteredDevice)
        .options(selectinload(RegisteredDevice.source))
        .order_by(RegisteredDevice.mn)
    )
    return [as_device(d) for d in db.scalars(query)]
