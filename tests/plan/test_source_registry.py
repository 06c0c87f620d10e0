"""The source registry (issue #14) in the ledger's database, on SQLite and PostgreSQL: the example
imports, every change is audited, an import with any problem stores nothing, the directory the
feeds use follows the registry, and the CLI works as a user runs it.

Rows are the bundled EXAMPLE registry (invented, labelled 示例) or built here.
"""

from __future__ import annotations

import copy
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from lantian.cli import app
from lantian.demo import STATION_LIST, demo_file
from lantian.ingest.stations import read_station_list
from lantian.plan.errors import LedgerPermissionError
from lantian.plan.models import AuditEntry
from lantian.sources.directory import RegistryDirectory, registry_directory
from lantian.sources.example import example_passwords, import_example
from lantian.sources.models import ConstructionSite, Enterprise, RegisteredDevice, Source
from lantian.sources.registry import monitoring_radius, register_rows
from lantian.sources.tables import RegisterImportError
from lantian.sources.workbook import import_file
from tests.sources.helpers import csv_bytes, example_rows, workbook_bytes

runner = CliRunner()


@pytest.fixture(scope="module")
def stations():
    return read_station_list(demo_file(STATION_LIST))[0]


def counts(db) -> tuple[int, int, int]:
    return (
        db.scalar(select(func.count(Source.id))),
        db.scalar(select(func.count(RegisteredDevice.id))),
        db.scalar(select(func.count(AuditEntry.id))),
    )


def test_the_example_registers_and_every_row_is_audited(db, actors, stations):
    before = counts(db)
    summaries = import_example(db, actors["office"], stations)
    db.commit()
    assert {s.register: s.added for s in summaries} == {
        "enterprises": 4,
        "sites": 10,
        "yards": 2,
        "disposal": 1,
        "plants": 1,
        "roads": 3,
        "catering": 3,
        "devices": 12,
    }
    sources, devices, _audit = counts(db)
    assert (sources - before[0], devices - before[1]) == (24, 12)
    # one audit entry per row of each table written (joined tables are one entity each)
    entries = db.scalars(select(AuditEntry).where(AuditEntry.id > before[2])).all()
    assert len(entries) == 36
    assert {e.user_name for e in entries} == {"office"}
    device_entry = next(e for e in entries if e.entity == "devices")
    assert device_entry.after["password_hash"] == "***"
    assert "ex0001" not in json.dumps([e.after for e in entries], ensure_ascii=False)
    site = db.scalar(select(ConstructionSite).where(ConstructionSite.code == "示例GD03"))
    assert site.responsible_unit == "区城管执法局"  # 市政 works default to 区城管执法局
    assert site.example
    assert "示例" in site.name


def test_reimport_updates_and_is_audited_with_before_and_after(db, actors, stations):
    rows = copy.deepcopy(example_rows("enterprises"))
    import_file(db, actors["office"], "企业.csv", csv_bytes(rows), register="enterprises")
    db.commit()
    rows[1][rows[0].index("绩效分级")] = "A"
    summary = import_file(db, actors["office"], "企业.csv", csv_bytes(rows), register="enterprises")
    db.commit()
    assert (summary[0].added, summary[0].updated, summary[0].unchanged) == (0, 1, 3)
    changed = db.scalars(
        select(AuditEntry).where(AuditEntry.entity == "enterprises", AuditEntry.action == "update")
    ).all()
    assert len(changed) == 1  # only the enterprise whose grade changed
    assert (changed[0].before["emergency_grade"], changed[0].after["emergency_grade"]) == ("B", "A")
    assert changed[0].user_name == "office"


def test_an_error_in_one_sheet_stores_nothing_of_the_workbook(db, actors, stations):
    before = counts(db)
    devices = copy.deepcopy(example_rows("devices"))
    devices[2][0] = devices[1][0]  # duplicate MN on row 3
    data = workbook_bytes({"企业": example_rows("enterprises"), "监测设备": devices})
    with pytest.raises(RegisterImportError) as raised:
        import_file(db, actors["office"], "登记.xlsx", data, stations=stations)
    db.rollback()
    [problem] = raised.value.rejections
    assert (problem.source, problem.line, problem.field, problem.reason) == (
        "登记.xlsx!监测设备",
        3,
        "设备编号（MN）",
        "duplicate",
    )
    assert counts(db) == before


def test_conflicts_with_the_stored_registry_store_nothing(db, actors, stations):
    import_example(db, actors["office"], stations)
    db.commit()
    before = counts(db)
    enterprises = copy.deepcopy(example_rows("enterprises"))
    enterprises[1][0] = "新编号01"  # a new enterprise with QY01's credit code
    devices = copy.deepcopy(example_rows("devices"))
    devices[1][0] = "NEWDEVICE0001"
    devices[1][devices[0].index("所在污染源编号")] = "未登记的工地"
    devices[1][devices[0].index("密码")] = ""
    data = workbook_bytes({"企业": enterprises, "监测设备": devices})
    with pytest.raises(RegisterImportError) as raised:
        import_file(db, actors["office"], "登记.xlsx", data, stations=stations)
    db.rollback()
    reasons = {(r.line, r.field, r.reason) for r in raised.value.rejections}
    assert (2, "统一社会信用代码", "conflict") in reasons
    assert counts(db) == before
    with pytest.raises(RegisterImportError) as raised:
        import_file(
            db,
            actors["office"],
            "设备.csv",
            csv_bytes(devices),
            register="devices",
            stations=stations,
        )
    db.rollback()
    reasons = {(r.line, r.field, r.reason) for r in raised.value.rejections}
    assert reasons == {(2, "所在污染源编号", "unknown_source"), (2, "密码", "empty")}
    assert counts(db) == before


@pytest.mark.parametrize("who", ["leader", "hb"])
def test_only_the_office_and_system_change_the_registry(db, actors, stations, who):
    before = counts(db)
    with pytest.raises(LedgerPermissionError):
        import_example(db, actors[who], stations)
    db.rollback()
    assert counts(db) == before
    assert register_rows(db, actors[who], "sites") == []


def test_devices_as_the_feeds_see_them(db, actors, stations):
    import_example(db, actors["system"], stations)
    db.commit()
    directory = registry_directory(db.get_bind())
    device = directory["EXAMPLE00DUST0001"]
    assert (device.kind, device.network, device.simulated) == ("dust", "dust", True)
    assert device.factor_units["a34001"] == "mg/m3"  # vendor 甲 reports TSP in mg/m³
    assert directory["EXAMPLE00DUST0002"].factor_units["a34001"] == "ug/m3"
    assert device.accepts_password(example_passwords()["EXAMPLE00DUST0001"])
    assert not device.accepts_password("123456")
    site = db.get(Source, device.source_id)
    assert site.code == "示例GD01"
    micro = directory["EXAMPLE0MICRO0001"]
    assert micro.source_id is None
    assert micro.network == "micro"
    stored = db.scalar(select(RegisteredDevice).where(RegisteredDevice.mn == device.mn))
    assert stored.nearest_station_code == "2480A"
    assert 0.5 < stored.nearest_station_km < 0.7


def test_monitoring_radius(db, actors, stations):
    import_example(db, actors["system"], stations)
    db.commit()
    rows = monitoring_radius(db, actors["leader"], stations, km=1.0)
    near_2481 = [r for r in rows if r["station_code"] == "2481A"]
    assert [r["code"] for r in near_2481] == ["示例GD08", "示例DL03"]
    assert near_2481[0]["distance_km"] <= near_2481[1]["distance_km"] <= 1.0
    assert {r["station_code"] for r in monitoring_radius(db, actors["leader"], stations, 3.0)} == {
        "2478A",
        "2480A",
        "2481A",
    }


def test_enterprise_table_is_one_table_with_the_emergency_grade(db, actors, stations):
    import_example(db, actors["system"], stations)
    db.commit()
    grades = dict(db.execute(select(Enterprise.code, Enterprise.emergency_grade)).all())
    assert grades == {"示例QY01": "B", "示例QY02": "C", "示例QY03": "D", "示例QY04": "A"}


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_directory_reloads_only_when_the_registry_changed(empty_engine, stations):
    from lantian.plan.access import SYSTEM
    from lantian.plan.database import transaction

    clock = FakeClock()
    directory = RegistryDirectory(empty_engine, refresh_seconds=5, miss_seconds=1, clock=clock)
    assert directory.get("EXAMPLE00DUST0001") is None
    with transaction(empty_engine) as db:
        import_example(db, SYSTEM, stations)
    assert directory.get("EXAMPLE00DUST0001") is None  # checked less than a second ago
    clock.now = 1.0
    assert directory.get("EXAMPLE00DUST0001").mn == "EXAMPLE00DUST0001"  # a miss re-checks
    reloads = directory.reloads
    for step in range(20):
        clock.now = 2.0 + step
        assert directory.get("EXAMPLE00DUST0003") is not None
    assert directory.reloads == reloads  # fingerprints checked, nothing re-read
    assert len(directory) == 12


# --- the CLI, as a user runs it --------------------------------------------------------------


def run(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def test_cli_import_list_export_radius(empty_engine, tmp_path):
    imported = run("sources", "import", "--example")
    assert imported.exit_code == 0, imported.output
    assert "监测设备：新增 12" in imported.output
    listed = run("sources", "list", "--kind", "devices", "--format", "json")
    devices = json.loads(listed.stdout)
    assert len(devices) == 12
    assert all(d["password"] is None for d in devices)
    assert "示例工地01" in run("sources", "list", "--kind", "sites").output
    exported = tmp_path / "登记.xlsx"
    assert run("sources", "export", "-o", str(exported)).exit_code == 0
    assert load_workbook(exported).sheetnames == [
        "企业",
        "建筑工地",
        "堆场",
        "消纳场",
        "混凝土搅拌站",
        "道路",
        "餐饮单位",
        "监测设备",
    ]
    again = run("sources", "import", str(exported))
    assert again.exit_code == 0, again.output
    assert "监测设备：新增 0，更新 0，未变 12" in again.output
    radius = run("sources", "monitoring-radius", "--km", "1", "--format", "json")
    assert {r["code"] for r in json.loads(radius.stdout)} >= {"示例GD08", "示例DL03"}
    xlsx_out = tmp_path / "设备.xlsx"
    listed_xlsx = run(
        "sources", "list", "--kind", "devices", "--format", "xlsx", "-o", str(xlsx_out)
    )
    assert listed_xlsx.exit_code == 0
    sheet = load_workbook(xlsx_out).active
    assert next(sheet.iter_rows(max_row=1, values_only=True))[:3] == (
        "设备编号（MN）",
        "设备名称",
        "设备类型",
    )
    assert sheet.max_row == 13
    csv_out = tmp_path / "工地.csv"
    assert (
        run("sources", "list", "--kind", "sites", "--format", "csv", "-o", str(csv_out)).exit_code
        == 0
    )
    assert csv_out.read_bytes().startswith(b"\xef\xbb\xbf")


def test_cli_refuses_a_bad_file_listing_every_error(empty_engine, tmp_path):
    rows = copy.deepcopy(example_rows("sites"))
    rows[1][rows[0].index("边界")] = "111.60,26.43;111.61,26.44;111.61,26.43;111.60,26.44"
    rows[2][rows[0].index("工地类型")] = "厂房"
    path = tmp_path / "工地.csv"
    path.write_bytes(csv_bytes(rows))
    refused = run("sources", "import", str(path), "--kind", "sites", "--crs", "gcj02")
    assert refused.exit_code == 1
    assert "2 处错误，未导入任何数据" in refused.output
    assert "工地.csv 第2行 边界：边界自相交" in refused.output
    assert "工地.csv 第3行 工地类型" in refused.output
    assert json.loads(run("sources", "list", "--kind", "sites", "--format", "json").stdout) == []
    wrong_crs = run("sources", "import", str(path), "--kind", "sites", "--crs", "cgcs2000")
    assert wrong_crs.exit_code == 2
    assert "cgcs2000" in wrong_crs.output
    no_kind = run("sources", "import", str(path))
    assert no_kind.exit_code == 1
    assert "--kind" in no_kind.output


def test_demo_registers_the_example_once(empty_engine):
    from lantian.cli.sources import ensure_example_registry
    from lantian.plan.database import transaction

    ensure_example_registry()
    ensure_example_registry()
    with transaction(empty_engine) as db:
        assert db.scalar(select(func.count(RegisteredDevice.id))) == 12
        assert db.scalar(select(func.count(Source.id)).where(Source.example.is_(False))) == 0


def _emergency_workbook(path, enterprise_id: str, grade: str) -> None:
    from lantian.forecast.emergency import EmergencyList, Enterprise, Measure
    from lantian.forecast.emergency_xlsx import write_emergency_workbook

    plant = Enterprise(
        enterprise_id,
        "清单里的名称",
        "水泥",
        "冷水滩区",
        grade,
        dict.fromkeys(("SO2", "NOx", "PM", "VOCs"), 300.0),
    )
    measures = [
        Measure(enterprise_id, "yellow", "cut", 1 / 3),
        Measure(enterprise_id, "orange", "stop"),
    ]
    totals = dict.fromkeys(("SO2", "NOx", "PM", "VOCs"), 1000.0)
    write_emergency_workbook(EmergencyList("永州", totals, [plant], measures), path)


def test_the_emergency_list_and_the_registry_share_one_enterprise_table(empty_engine, tmp_path):
    assert run("sources", "import", "--example").exit_code == 0
    book = tmp_path / "减排清单.xlsx"
    _emergency_workbook(book, "示例QY01", "C")  # the registry holds 示例QY01 with grade B
    imported = run("emergency", "import", str(book), "--city", "永州")
    assert imported.exit_code == 0, imported.output
    assert "新增企业 0，更新 1" in imported.output
    enterprises = json.loads(
        run("sources", "list", "--kind", "enterprises", "--format", "json").stdout
    )
    first = next(e for e in enterprises if e["code"] == "示例QY01")
    assert first["emergency_grade"] == "C"  # the list decides grades
    assert first["name"] == "示例企业甲·水泥制品（示例数据）"  # the registry keeps its facts

    def missing_red() -> bool:
        checked = json.loads(run("emergency", "check", "--city", "永州", "--format", "json").stdout)
        return any(m["kind"] == "no_measure" and m["level"] == "red" for m in checked["missing"])

    assert missing_red()  # a C-grade enterprise needs a red-level measure
    rows = copy.deepcopy(example_rows("enterprises"))
    rows[1][rows[0].index("绩效分级")] = "A"
    path = tmp_path / "企业.csv"
    path.write_bytes(csv_bytes(rows))
    assert run("sources", "import", str(path), "--kind", "enterprises").exit_code == 0
    assert not missing_red()  # graded A in the registry: the check reads the registry's grade

    _emergency_workbook(book, "新企业", "")
    assert run("emergency", "import", str(book), "--city", "永州").exit_code == 0
    added = json.loads(run("sources", "list", "--kind", "enterprises", "--format", "json").stdout)
    new = next(e for e in added if e["code"] == "新企业")
    assert (new["name"], new["industry_name"], new["emergency_grade"]) == (
        "清单里的名称",
        "水泥",
        None,
    )


def test_an_emergency_code_held_by_another_kind_of_source_is_refused(empty_engine, tmp_path):
    assert run("sources", "import", "--example").exit_code == 0
    book = tmp_path / "减排清单.xlsx"
    _emergency_workbook(book, "示例GD01", "B")
    refused = run("emergency", "import", str(book), "--city", "永州")
    assert refused.exit_code == 1
    assert "编号已登记为建筑工地" in refused.output
    assert run("emergency", "check", "--city", "永州").exit_code == 2  # no list was saved


def test_a_device_may_not_store_its_values_under_a_national_station(db, actors, stations):
    before = counts(db)
    import_example(db, actors["system"], stations)  # the sources its devices sit on
    db.commit()
    devices = copy.deepcopy(example_rows("devices"))
    devices[1][devices[0].index("站点编码")] = "2481A"
    devices[2][devices[0].index("站点编码")] = "EXAMPLE00DUST0001"  # another device's code
    with pytest.raises(RegisterImportError) as raised:
        import_file(db, actors["office"], "设备.csv", csv_bytes(devices), register="devices")
    db.rollback()
    assert {(r.line, r.field, r.reason) for r in raised.value.rejections} == {
        (2, "站点编码", "bad_station_code"),
        (3, "站点编码", "conflict"),
    }
    assert counts(db)[:2] == (before[0] + 24, before[1] + 12)


def test_registry_changes_join_the_audit_hash_chain(empty_engine, tmp_path):
    assert run("sources", "import", "--example").exit_code == 0
    rows = copy.deepcopy(example_rows("sites"))
    rows[1][rows[0].index("施工阶段")] = "完工"
    path = tmp_path / "工地.csv"
    path.write_bytes(csv_bytes(rows))
    assert run("sources", "import", str(path), "--kind", "sites").exit_code == 0
    verified = run("audit", "verify")
    assert verified.exit_code == 0, verified.output


def test_nearest_stations_are_recomputed_when_the_stations_change(db, actors, stations):
    import pyarrow.compute as pc

    from lantian.sources.registry import refresh_nearest_stations

    import_example(db, actors["system"], stations)
    db.commit()
    before = list(db.scalars(select(RegisteredDevice.nearest_station_code)))
    only = stations.filter(pc.equal(stations.column("station_code"), "2481A"))
    changed = refresh_nearest_stations(db, actors["office"], only)
    db.commit()
    codes = set(db.scalars(select(RegisteredDevice.nearest_station_code)))
    assert codes == {"2481A"}
    assert changed == len(before) - before.count("2481A")  # those nearest 2481A already stay
    assert refresh_nearest_stations(db, actors["office"], only) == 0


def test_devices_carry_their_place_to_the_feeds(db, actors, stations):
    """A device without coordinates of its own is where its source is (the example's dust
    monitors sit on their sites), with the source's town; a device registered with coordinates
    keeps its own. The feeds put these places into the station registry (tests/feeds/test_hourly)."""
    from lantian.sources.registry import devices

    import_example(db, actors["office"], stations)
    db.commit()
    by_mn = {d.mn: d for d in devices(db)}
    registered = {d.mn: d for d in db.scalars(select(RegisteredDevice))}
    checked = 0
    for mn, device in by_mn.items():
        row = registered[mn]
        if row.longitude is not None and row.latitude is not None:
            assert (device.longitude, device.latitude) == (row.longitude, row.latitude)
        elif row.source is not None:
            assert (device.longitude, device.latitude) == (
                row.source.longitude,
                row.source.latitude,
            )
        if row.source is not None:
            assert device.town == row.source.town
            checked += device.town is not None and device.longitude is not None
    assert checked >= 1  # the example registry places at least one device on a site with a town
