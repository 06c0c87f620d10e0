"""GB/T 4754-2017 industry codes: the table is whole where it claims to be, and codes are read as
the standard writes them. Reference names are the standard's (表 1), e.g. C3011 水泥制造,
D4411 火力发电, E4813 市政道路工程建筑, C2641 涂料制造."""

from __future__ import annotations

import pytest

from lantian.sources.industries import (
    divisions_with_classes,
    industry_name,
    industry_table,
    normalise_industry_code,
)


def test_the_table_has_every_section_and_division():
    table = industry_table()
    assert [c for c, r in table.items() if r["level"] == "门类"] == list("ABCDEFGHIJKLMNOPQRST")
    divisions = [c for c, r in table.items() if r["level"] == "大类"]
    assert divisions == [f"{n:02d}" for n in range(1, 98)]


def test_every_group_and_class_sits_under_a_listed_parent():
    table = industry_table()
    for code, row in table.items():
        if len(code) == 3:
            assert table[code[:2]]["section"] == row["section"]
        if len(code) == 4:
            assert code[:3] in table, code
    assert divisions_with_classes() == frozenset(f"{n:02d}" for n in range(1, 51))


@pytest.mark.parametrize(
    ("code", "normal", "name"),
    [
        ("C3011", "C3011", "水泥制造"),
        ("3011", "C3011", "水泥制造"),
        ("d4411", "D4411", "火力发电"),
        ("4813", "E4813", "市政道路工程建筑"),
        ("C2641", "C2641", "涂料制造"),
        ("C30", "C30", "非金属矿物制品业"),
        ("061", "B061", "烟煤和无烟煤开采洗选"),  # a single-class group bears its class's name
        ("H62", "H62", "餐饮业"),
        ("H6210", "H6210", None),  # division 62 lists no classes yet: shape only
        ("C", "C", "制造业"),
    ],
)
def test_codes_are_read_as_the_standard_writes_them(code, normal, name):
    assert normalise_industry_code(code) == normal
    assert industry_name(code) == name


@pytest.mark.parametrize("code", ["C3019", "B30", "Z", "3", "C30111", "", "E5100"])
def test_codes_the_standard_does_not_have_are_refused(code):
    assert normalise_industry_code(code) is None
