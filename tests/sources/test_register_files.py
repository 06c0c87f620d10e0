"""Reading registers (CSV and xlsx) into records: every problem named by sheet, row and column.

The rows are the bundled example registry's (invented, labelled 示例) or constructed here.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lantian.ingest.schema import FormatError
from lantian.ingest.sheets import read_table_file
from lantian.sources.coordinates import wgs84_to_bd09, wgs84_to_gcj02
from lantian.sources.tables import RegisterImportError, parse_register
from lantian.sources.vocabulary import TABLES

from .helpers import csv_bytes, example_rows, workbook_bytes


def parse(register: str, rows: list[list], crs: str = "wgs84", xlsx: bool = False) -> list[dict]:
    if xlsx:
        data = workbook_bytes({TABLES[register].sheet: rows})
        name = f"登记.xlsx!{TABLES[register].sheet}"
        sheet = read_table_file("登记.xlsx", data, TABLES[register].sheet)
    else:
        name = f"{register}.csv"
        sheet = read_table_file(name, csv_bytes(rows))
    return parse_register(sheet, TABLES[register], name, crs)


def rejections(register: str, rows: list[list], **options) -> list[tuple[str, int, str, str]]:
    with pytest.raises(RegisterImportError) as raised:
        parse(register, rows, **options)
    return [(r.source, r.line, r.field, r.reason) for r in raised.value.rejections]


@pytest.mark.parametrize("register", list(TABLES))
def test_every_example_register_reads(register):
    rows = example_rows(register)
    records = parse(register, rows)
    assert len(records) == len(rows) - 1
    assert [r["line"] for r in records] == list(range(2, len(rows) + 1))


def test_xlsx_and_csv_read_the_same():
    rows = example_rows("sites")
    assert parse("sites", rows, xlsx=True) == parse("sites", rows)


def test_enterprise_values_are_parsed():
    record = parse("enterprises", example_rows("enterprises"))[0]
    assert record["credit_code"] == "91431103EXAMPLE01U"
    assert record["industry_code"] == "C3021"
    assert record["emergency_grade"] == "B"
    assert (record["longitude"], record["latitude"]) == (111.608, 26.4105)


def test_site_boundary_checklist_and_dates():
    record = parse("sites", example_rows("sites"))[0]
    assert record["geometry"]["type"] == "Polygon"
    ring = record["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1]
    assert len(ring) == 5
    assert record["围挡规范标准"] is False
    assert record["湿法作业"] is True
    assert str(record["start_date"]) == "2019-01-01"


def test_a_wrong_check_character_is_refused_with_the_field_named():
    rows = copy.deepcopy(example_rows("enterprises"))
    rows[2][2] = rows[2][2][:-1] + ("A" if rows[2][2][-1] != "A" else "B")
    [(source, line, field, reason)] = rejections("enterprises", rows, xlsx=True)
    assert (source, line, field, reason) == (
        "登记.xlsx!企业",
        3,
        "统一社会信用代码",
        "bad_credit_code",
    )
    with pytest.raises(RegisterImportError, match=r"统一社会信用代码.*校验码错误"):
        parse("enterprises", rows)


def test_every_problem_is_reported_by_row_and_column():
    rows = copy.deepcopy(example_rows("sites"))
    header = rows[0]
    rows[1][header.index("工地类型")] = "厂房"
    rows[2][header.index("扰动面积（平方米）")] = "很大"
    rows[3][header.index("开工日期")] = "2019-13-01"
    rows[4][header.index("项目名称")] = ""
    rows[5][header.index("编号")] = rows[6][header.index("编号")]
    found = rejections("sites", rows)
    assert ("sites.csv", 2, "工地类型", "bad_choice") in found
    assert ("sites.csv", 3, "扰动面积（平方米）", "not_a_number") in found
    assert ("sites.csv", 4, "开工日期", "bad_date") in found
    assert ("sites.csv", 5, "项目名称", "empty") in found
    assert ("sites.csv", 7, "编号", "duplicate") in found
    assert len(found) == 5


@pytest.mark.parametrize(
    ("ring", "words"),
    [
        ("111.60,26.43;111.61,26.44;111.61,26.43;111.60,26.44", "自相交"),
        ("111.60,26.43;111.61,26.43", "3 个不同的顶点"),
        ("111.60,26.43;111.61,26.43;111.62,26.43", "面积为零"),
        ("111.60 26.43 111.61", "顶点应写作"),
    ],
)
def test_bad_polygons_are_refused(ring, words):
    rows = copy.deepcopy(example_rows("sites"))
    rows[1][rows[0].index("边界")] = ring
    with pytest.raises(RegisterImportError) as raised:
        parse("sites", rows)
    [rejection] = raised.value.rejections
    assert (rejection.line, rejection.field, rejection.reason) == (2, "边界", "bad_polygon")
    assert words in rejection.message


def test_headers_unknown_missing_and_repeated():
    rows = copy.deepcopy(example_rows("devices"))
    rows[0][rows[0].index("厂商")] = "生产厂家"
    rows[0][rows[0].index("设备类型")] = "设备名称"
    found = rejections("devices", rows)
    assert ("devices.csv", 1, "生产厂家", "unknown_column") in found
    assert ("devices.csv", 1, "设备名称", "repeated_column") in found
    assert ("devices.csv", 1, "设备类型", "missing_column") in found


def test_english_glossary_headers_are_accepted():
    rows = copy.deepcopy(example_rows("catering"))
    rows[0] = [next(f.key for f in TABLES["catering"].fields if f.header == h) for h in rows[0]]
    assert len(parse("catering", rows)) == 3


def test_duplicate_mn_and_bad_device_cells():
    rows = copy.deepcopy(example_rows("devices"))
    header = rows[0]
    rows[3][header.index("设备编号（MN）")] = rows[1][header.index("设备编号（MN）")]
    rows[4][header.index("监测因子")] = "TSP(g/m3)"
    rows[5][header.index("设备类型")] = "摄像头"
    rows[6][header.index("密码")] = "a;b"
    found = rejections("devices", rows)
    assert ("devices.csv", 4, "设备编号（MN）", "duplicate") in found
    assert ("devices.csv", 5, "监测因子", "bad_factors") in found
    assert ("devices.csv", 6, "设备类型", "bad_choice") in found
    assert ("devices.csv", 7, "密码", "bad_password") in found


def test_positions_in_gcj02_and_bd09_are_converted_to_wgs84():
    rows = copy.deepcopy(example_rows("catering"))
    lon_at, lat_at = rows[0].index("经度"), rows[0].index("纬度")
    wgs = [(float(r[lon_at]), float(r[lat_at])) for r in rows[1:]]
    for crs, forward in (("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)):
        shifted = copy.deepcopy(rows)
        for row, (lon, lat) in zip(shifted[1:], wgs, strict=True):
            x, y = forward(lon, lat)
            row[lon_at], row[lat_at] = f"{float(x):.8f}", f"{float(y):.8f}"
        records = parse("catering", shifted, crs=crs)
        for record, (lon, lat) in zip(records, wgs, strict=True):
            assert record["longitude"] == pytest.approx(lon, abs=3e-6)  # < 30 cm
            assert record["latitude"] == pytest.approx(lat, abs=3e-6)


def test_swapped_or_foreign_coordinates_are_refused():
    rows = copy.deepcopy(example_rows("catering"))
    lon_at, lat_at = rows[0].index("经度"), rows[0].index("纬度")
    rows[1][lon_at], rows[1][lat_at] = rows[1][lat_at], rows[1][lon_at]
    rows[2][lat_at] = ""
    found = rejections("catering", rows)
    assert ("catering.csv", 2, "经度/纬度", "outside_china") in found
    assert ("catering.csv", 3, "纬度", "bad_coordinate") in found


def test_unreadable_files_name_the_file():
    with pytest.raises(FormatError, match=r"a\.xlsx: .*xlsx"):
        read_table_file("a.xlsx", b"PK\x03\x04 not really a zip")
    with pytest.raises(FormatError, match="empty"):
        read_table_file("a.csv", b"\n\n")
    with pytest.raises(FormatError, match="xls"):
        read_table_file("a.xls", b"\xd0\xcf\x11\xe0" + bytes(100))


cell = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(cell, min_size=13, max_size=13), min_size=1, max_size=4))
def test_any_cells_give_records_or_named_rejections(body):
    rows = [example_rows("devices")[0], *body]
    records, rejected = [], []
    try:
        records = parse("devices", rows)
    except RegisterImportError as error:
        rejected = error.rejections
    except FormatError:
        return  # a cell of bare newlines can leave no data row; the file is then refused whole
    assert rejected or records or not any(c.strip() for row in body for c in row)
    assert all(r.source == "devices.csv" and r.field for r in rejected)
    assert all(r["mn"] and r["factor_units"] for r in records)


def test_dates_in_the_wrong_order_are_refused():
    rows = copy.deepcopy(example_rows("sites"))
    rows[1][rows[0].index("计划完工日期")] = "2018-12-31"
    devices = copy.deepcopy(example_rows("devices"))
    devices[2][devices[0].index("拆除日期")] = "2019-02-28"
    assert rejections("sites", rows) == [("sites.csv", 2, "计划完工日期", "bad_date_order")]
    assert rejections("devices", devices) == [("devices.csv", 3, "拆除日期", "bad_date_order")]


def test_an_empty_industry_name_is_filled_from_gbt_4754():
    rows = copy.deepcopy(example_rows("enterprises"))
    rows[1][rows[0].index("行业代码")] = "30"
    rows[2][rows[0].index("行业代码")] = "H62"
    records = parse("enterprises", rows)
    assert (records[0]["industry_code"], records[0]["industry_name"]) == ("C30", "非金属矿物制品业")
    assert (records[1]["industry_code"], records[1]["industry_name"]) == ("H62", "餐饮业")
    assert records[2]["industry_name"] == "包装装潢及其他印刷"  # C2319, a class of the table
    rows[3][rows[0].index("行业代码")] = "B30"  # division 30 is in section C
    assert rejections("enterprises", rows) == [
        ("enterprises.csv", 4, "行业代码", "bad_industry_code")
    ]


def test_boundaries_in_gcj02_are_stored_in_wgs84():
    rows = copy.deepcopy(example_rows("sites"))
    at = rows[0].index("边界")
    wgs = parse("sites", rows)[0]["geometry"]["coordinates"][0]
    shifted = ";".join(
        "{:.9f},{:.9f}".format(*map(float, wgs84_to_gcj02(lon, lat))) for lon, lat in wgs[:-1]
    )
    rows[1][at] = shifted
    back = parse("sites", rows, crs="gcj02")[0]["geometry"]["coordinates"][0]
    assert np.allclose(back, wgs, atol=2e-7, rtol=0)  # 2e-7° ≈ 2 cm: storage rounds to 1e-7°


def test_a_device_may_not_take_a_national_station_code(tmp_path):
    rows = copy.deepcopy(example_rows("devices"))
    rows[1][rows[0].index("站点编码")] = "2481A"
    records = parse("devices", rows)  # the cell is well formed; the registry refuses it on import
    assert records[0]["station_code"] == "2481A"


vertex = st.tuples(st.floats(111.50, 111.70), st.floats(26.35, 26.50))


@settings(max_examples=80, deadline=None)
@given(st.lists(vertex, min_size=1, max_size=12))
def test_any_boundary_is_stored_closed_and_counter_clockwise_or_refused_by_name(points):
    rows = copy.deepcopy(example_rows("sites"))
    rows[1][rows[0].index("边界")] = ";".join(f"{lon:.6f},{lat:.6f}" for lon, lat in points)
    rejected: list = []
    try:
        record = parse("sites", rows)[0]
    except RegisterImportError as error:
        rejected = error.rejections
    if rejected:
        assert {(r.line, r.field, r.reason) for r in rejected} == {(2, "边界", "bad_polygon")}
        return
    from lantian.sources.geometry import planar_area_m2

    ring = np.array(record["geometry"]["coordinates"][0])
    assert (ring[0] == ring[-1]).all()
    assert planar_area_m2(ring[:-1]) > 0  # RFC 7946: the outer ring counter-clockwise


def test_a_square_given_clockwise_is_stored_counter_clockwise():
    rows = copy.deepcopy(example_rows("sites"))
    rows[1][rows[0].index("边界")] = "111.60,26.43;111.60,26.44;111.61,26.44;111.61,26.43"
    ring = parse("sites", rows)[0]["geometry"]["coordinates"][0]
    assert ring[:4] == [[111.61, 26.43], [111.61, 26.44], [111.6, 26.44], [111.6, 26.43]]
