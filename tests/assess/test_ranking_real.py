"""The 14-city ranking against the Hunan department's published monthly rankings.

Source: sthjt.hunan.gov.cn monthly notices (standards.md §11): 2019-04 and 2019-08 rankings by
comprehensive index, ties as published. The mirror holds unaudited real-time data, so near-identity
(rank correlation), not identity, is expected.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from scipy.stats import spearmanr

from lantian.assess.annual import evaluate
from lantian.assess.ranking import province_cities, rank, ranked_rows
from lantian.assess.sources import load_period
from lantian.demo import STATION_LIST, demo_file
from lantian.standards import rule_set

OFFICIAL = {
    "2019-04": [
        "湘西州",
        "郴州",
        "张家界",
        "衡阳",
        "永州",
        "邵阳",
        "怀化",
        "常德",
        "娄底",
        "岳阳",
        "湘潭",
        "长沙",
        "益阳",
        "株洲",
    ],
    "2019-08": [
        "湘西州",
        "张家界",
        "永州",
        "郴州",
        "益阳",
        "常德",
        "株洲",
        "衡阳",
        "怀化",
        "长沙",
        "岳阳",
        "邵阳",
        "娄底",
        "湘潭",
    ],
}
OFFICIAL_RANK = {
    "2019-04": {
        "湘西州": 1,
        "郴州": 2,
        "张家界": 3,
        "衡阳": 4,
        "永州": 5,
        "邵阳": 6,
        "怀化": 7,
        "常德": 8,
        "娄底": 8,
        "岳阳": 10,
        "湘潭": 11,
        "长沙": 12,
        "益阳": 12,
        "株洲": 14,
    },
    "2019-08": {
        "湘西州": 1,
        "张家界": 2,
        "永州": 3,
        "郴州": 4,
        "益阳": 5,
        "常德": 6,
        "株洲": 7,
        "衡阳": 8,
        "怀化": 9,
        "长沙": 10,
        "岳阳": 11,
        "邵阳": 12,
        "娄底": 12,
        "湘潭": 14,
    },
}
LAST_DAY = {"2019-04": 30, "2019-08": 31}


@pytest.mark.parametrize("month", sorted(OFFICIAL))
def test_monthly_ranking_correlates_with_the_official_one(hunan_store, month):
    year, m = map(int, month.split("-"))
    result = rank(
        hunan_store, province_cities("湖南"), dt.date(year, m, 1), dt.date(year, m, LAST_DAY[month])
    )
    ours = {row["city"]: row["rank"] for row in result["cities"]}
    assert set(ours) == set(OFFICIAL_RANK[month])
    cities = sorted(ours)
    rho = spearmanr([ours[c] for c in cities], [OFFICIAL_RANK[month][c] for c in cities]).statistic
    assert rho >= 0.95, f"{month}: rank correlation {rho:.3f}"
    assert ours[OFFICIAL[month][0]] == 1  # the cleanest city agrees


def test_annual_ranking_has_fourteen_cities_with_competition_ranks(hunan_store):
    result = rank(hunan_store, province_cities("湖南"), dt.date(2019, 1, 1), dt.date(2019, 12, 31))
    rows = result["cities"]
    assert len(rows) == 14
    indices = [r["comprehensive_index"] for r in rows]
    assert indices == sorted(indices)
    for row in rows:  # equal two-decimal indices share the best rank
        assert row["rank"] == 1 + sum(1 for other in indices if other < row["comprehensive_index"])
    assert all(r["change_rate"] is None for r in rows)  # the store holds no 2018


# Prefecture-level divisions per province with a national-network city in the 2020 station list
# (国家统计局 administrative divisions; 河南's 济源 and 湖北's 仙桃/潜江/天门 are county level and
# absent from the list).
PREFECTURES = {"广东": 21, "四川": 21, "河南": 17, "山东": 16, "湖南": 14, "西藏": 7, "海南": 3}


@pytest.mark.parametrize(("province", "count"), PREFECTURES.items())
def test_provinces_list_their_prefecture_level_cities(province, count):
    assert len(province_cities(province)) == count


def test_every_city_of_the_station_list_belongs_to_one_province():
    with demo_file(STATION_LIST).open(encoding="utf-8") as handle:
        listed = {row["城市"] for row in csv.DictReader(handle)}
    provinces = (
        "北京 天津 河北 山西 内蒙古 辽宁 吉林 黑龙江 上海 江苏 浙江 安徽 福建 江西 山东 河南 "
        "湖北 湖南 广东 广西 海南 重庆 四川 贵州 云南 西藏 陕西 甘肃 青海 宁夏 新疆"
    )
    every = [c for p in provinces.split() for c in province_cities(p, county_level=True)]
    assert len(every) == len(set(every)) == len(listed)
    assert set(every) == listed
    assert "寿光" in province_cities("山东", county_level=True)
    assert "寿光" not in province_cities("山东")


def test_unknown_province_lists_the_known_ones():
    with pytest.raises(ValueError, match="湖南"):
        province_cities("火星")


def test_change_rate_is_the_relative_change_of_the_index_ranked_ascending(hunan_store):
    """ΔI% = (I − I_previous)/I_previous × 100, two decimals (GB/T 8170), most improved first.

    The store holds one year, so April 2019 stands in for the previous period of August 2019:
    real evaluations of both months, the rule applied across them.
    """
    cities = province_cities("湖南")
    rules = rule_set(dt.date(2019, 4, 1))

    def month(first: dt.date, last: dt.date) -> dict:
        part = load_period(hunan_store, first, last)
        return {
            c: evaluate(c, part.area_hourly(part.evaluation_stations(c)), first, rules)
            for c in cities
        }

    august = month(dt.date(2019, 8, 1), dt.date(2019, 8, 31))
    april = month(dt.date(2019, 4, 1), dt.date(2019, 4, 30))
    rows = {r["city"]: r for r in ranked_rows(august, april)}
    for city, row in rows.items():
        now, before = (
            Decimal(str(float(e.comprehensive.total))) for e in (august[city], april[city])
        )
        expected = ((now - before) / before * 100).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
        assert row["previous_index"] == float(before)
        assert row["change_rate"] == float(expected), city
    changes = [r["change_rate"] for r in rows.values()]
    for row in rows.values():
        assert row["change_rank"] == 1 + sum(c < row["change_rate"] for c in changes)
    alone = {r["city"]: r for r in ranked_rows(august, {})}
    assert all(r["change_rate"] is None and r["change_rank"] is None for r in alone.values())
    assert [alone[c]["rank"] for c in cities] == [rows[c]["rank"] for c in cities]
