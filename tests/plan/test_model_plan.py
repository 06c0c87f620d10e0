"""The bundled model plan against its text: 冷水滩区环境空气质量达标工作方案（冷政发〔2019〕1号）,
``src/lantian/plan/data/lengshuitan-air-attainment-plan-2019.txt`` (copied from the district's
published document; provenance in ``data/README.md``). Each expectation quotes the sentence it
comes from; the stored plan is read back through the ``measures`` view on both databases.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from lantian.plan.plans import example_plan_data, get_plan, plan_text
from lantian.plan.views import measures

TEXT = plan_text()


def test_bundled_text_is_the_published_file():
    digest = hashlib.sha256(TEXT.encode("utf-8")).hexdigest()
    assert digest == "b0103a3595f2d2323d4b5714591e53fc91ead3dd751e469cfcac01548ee4b7bd"


def _quotes(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith("quote") or key in {"units_as_written", "title", "content"}:
                yield key, item
            else:
                yield from _quotes(item)
    elif isinstance(value, list):
        for item in value:
            yield from _quotes(item)


def test_every_quote_title_and_content_is_verbatim_in_the_text():
    found = list(_quotes(example_plan_data()))
    assert len(found) > 27 * 4
    for key, quote in found:
        assert quote in TEXT, f"{key}: {quote!r} is not in the plan text"


@pytest.fixture
def stored(db, actors):
    return {row["number"]: row for row in measures(db, actors["leader"], get_plan(db))}


def test_27_measures_in_7_categories(stored):
    # “四、大气环境质量达标措施” numbers its measures 1、 to 27、 under （一）…（七）.
    assert sorted(stored) == list(range(1, 28))
    by_category = {}
    for row in stored.values():
        by_category.setdefault(row["category"], []).append(row["number"])
    assert by_category == {
        1: [1, 2, 3, 4],
        2: [5, 6, 7, 8, 9, 10, 11, 12],
        3: [13, 14, 15],
        4: [16, 17],
        5: [18, 19, 20, 21],
        6: [22],
        7: [23, 24, 25, 26, 27],
    }
    assert stored[22]["category_title"] == "高度重视农业废气污染防治"


LEAD_UNITS = [
    (1, "（实施责任单位：区住建局。区住建局牵头，", ["区住建局"]),
    (2, "（区环卫局、区城管执法局牵头，", ["区环卫局", "区城管执法局"]),
    (3, "（区园林处牵头，区经建投公司、区高科建公司配合，", ["区园林处"]),
    (5, "（区科经委牵头，", ["区科经委"]),
    (
        8,
        "（区国土资源分局、区环保局、区科经委、区住建局分别负责）",
        ["区国土资源分局", "区环保局", "区科经委", "区住建局"],
    ),
    (15, "（区城管执法局牵头、区公安分局牵头，", ["区城管执法局", "区公安分局"]),
    (17, "（区发改委牵头，", ["区发改委"]),
    (18, "（区商粮局、区工商分局牵头，", ["区商粮局", "区工商分局"]),
    (19, "（冷水滩交警大队、凤凰园交警大队牵头，", ["冷水滩交警大队", "凤凰园交警大队"]),
    (21, "（区交通运输局牵头，", ["区交通运输局"]),
    (22, "（区农业委牵头，", ["区农业委"]),
    (25, "（区住建局、区城管执法局分别牵头，区财政局参与）", ["区住建局", "区城管执法局"]),
]


@pytest.mark.parametrize(("number", "quote", "lead"), LEAD_UNITS)
def test_lead_units(stored, number, quote, lead):
    assert quote in TEXT
    assert stored[number]["lead"] == lead


def test_environment_bureau_leads_the_most_measures(stored):
    # 区环保局牵头 in measures 6, 7, 9–12, 16, 20, 23, 24, 26, 27 and 分别负责 in 8.
    led = sorted(n for n, row in stored.items() if "区环保局" in row["lead"])
    assert led == [6, 7, 8, 9, 10, 11, 12, 16, 20, 23, 24, 26, 27]


def test_other_roles(stored):
    # “区园林处牵头，区经建投公司、区高科建公司配合，区林业局、区城管执法局、区住建局参与”
    assert stored[3]["cooperate"] == ["区经建投公司", "区高科建公司"]
    assert stored[3]["participate"] == ["区林业局", "区城管执法局", "区住建局"]
    # “区城管执法局牵头，区经建投公司、区高科建公司等实施，区住建局、区环保局、相关街道参与”
    assert stored[4]["implement"] == ["区经建投公司", "区高科建公司"]
    assert stored[4]["participate"] == ["区住建局", "区环保局", "街道"]
    # “区环保局牵头，区科经委、区工商分局、国网永州冷水滩区供电分公司参与”
    assert stored[11]["participate"] == ["区科经委", "区工商分局", "国网永州冷水滩区供电分公司"]
    # “（区环保局牵头）” alone: measures 12, 23 and 24
    for number in (12, 23, 24):
        assert stored[number]["participate"] == stored[number]["cooperate"] == []


def test_every_named_unit_appears_in_its_clause(stored):
    for row in stored.values():
        for role in ("lead", "cooperate", "implement", "participate"):
            for unit in row[role]:
                assert unit in row["units_as_written"], (row["number"], unit)


def _target(stored, number, key):
    return next(t for t in stored[number]["targets"] if t["key"] == key)


TARGETS = [
    # (measure, key, quote from the text, comparison, value, unit, start, deadline)
    (
        2,
        "mechanised-sweeping",
        "中心城区市政道路机械化清扫率达到85%以上",
        ">=",
        85,
        "%",
        None,
        None,
    ),
    (
        2,
        "muck-trucks-retired",
        "2019年2月开始，淘汰8大渣土运输公司320辆老式渣土运输车",
        ">=",
        320,
        "辆",
        dt.date(2019, 2, 1),
        None,
    ),
    (2, "secondary-street-washing", "次街道一周至少清洗二次", ">=", 2, "次/周", None, None),
    (2, "back-lane-washing", "背街小巷每个季度至少清洗一次", ">=", 1, "次/季度", None, None),
    (3, "bare-land-greening", "荒山荒坡和各类裸露树坑100%绿化", ">=", 100, "%", None, None),
    (3, "green-space-washing-weekly", "每周不少于15次", ">=", 15, "次/周", None, None),
    (
        8,
        "asphalt-plants-retrofitted",
        "已经建成现有的沥青搅拌站在2019年底前完成综合治理",
        ">=",
        100,
        "%",
        None,
        dt.date(2019, 12, 31),
    ),
    (
        11,
        "discharge-permits",
        "等20个行业企业排污许可证核发",
        ">=",
        20,
        "个行业",
        None,
        dt.date(2019, 12, 31),
    ),
    (13, "fume-demonstration-streets", "创建两条以上餐饮油烟治理示范街", ">=", 2, "条", None, None),
    (
        16,
        "no-new-boilers-10t",
        "全区原则上不再审批新建每小时10蒸吨及以下燃煤锅炉",
        "<=",
        0,
        "台",
        None,
        None,
    ),
    (
        18,
        "guo-vi-fuel",
        "2019年底前，全区范围内全面供应国Ⅵ标准汽、柴油",
        ">=",
        100,
        "%",
        None,
        dt.date(2019, 12, 31),
    ),
]


@pytest.mark.parametrize(
    ("number", "key", "quote", "comparison", "value", "unit", "start", "deadline"), TARGETS
)
def test_quantified_targets(stored, number, key, quote, comparison, value, unit, start, deadline):
    assert quote in TEXT
    target = _target(stored, number, key)
    assert quote in target["quote"] or target["quote"] in TEXT
    assert (target["comparison"], target["value"], target["quantity_unit"]) == (
        comparison,
        value,
        unit,
    )
    assert target["start"] == (start.isoformat() if start else None)
    assert target["deadline"] == (deadline.isoformat() if deadline else None)


def test_target_counts(stored):
    counts = {n: len(row["targets"]) for n, row in stored.items() if row["targets"]}
    assert counts == {2: 8, 3: 3, 8: 1, 11: 1, 13: 1, 16: 2, 18: 1}
    deadlines = sorted(
        (n, t["deadline"]) for n, row in stored.items() for t in row["targets"] if t["deadline"]
    )
    # Only three dated targets in the text, all “2019年底前” / “2019年完成”.
    assert deadlines == [(8, "2019-12-31"), (11, "2019-12-31"), (18, "2019-12-31")]


def test_plan_head_and_air_targets(db):
    plan = get_plan(db)
    assert plan.document_number == "冷政发〔2019〕1号"
    assert (plan.issued_on, plan.end) == (dt.date(2019, 2, 18), dt.date(2020, 12, 31))
    # “中心城区细颗粒物（PM2.5）年均值由2018年的48微克/立方米降至35微克/立方米以下”
    pm25 = next(t for t in plan.air_targets if t.pollutant == "PM2.5")
    assert (pm25.baseline, pm25.baseline_year, pm25.comparison, pm25.value) == (48, 2018, "<=", 35)
    # “可吸入颗粒物（PM10）年均值稳定在2018年的69微克/立方米以下”
    pm10 = next(t for t in plan.air_targets if t.pollutant == "PM10")
    assert (pm10.baseline, pm10.value) == (69, 69)
    others = {t.pollutant for t in plan.air_targets if t.comparison == "attained"}
    assert others == {"NO2", "SO2", "O3", "CO"}
    # “在每年10月16日至次年的3月15日的大气污染防治特护期”
    assert (plan.details["special_period_start"], plan.details["special_period_end"]) == (
        "10-16",
        "03-15",
    )
