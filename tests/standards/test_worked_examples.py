"""The worked examples of standards.md §8, and the AQI report rules of HJ 633 (2012 and 2026).

Every expected value is copied from the reference notes (standards.md, cited per test) or from the
published standard text (HJ 633-2012 Table 2 and Appendix A; HJ 633-2026 Table 1, Table 3, §4.1.1,
§5.3.1 and Appendix A Table A.1, as transcribed in standards.md §2 and docs/primary-text-readings.md
§2.3–2.6). Nothing is read from the reference files at run time.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lantian.standards import (
    BASIC_POLLUTANTS,
    aqi_report,
    category_table,
    comprehensive_index,
    iaqi,
    individual_indices,
    level,
    percentile,
    pollutant_names,
    round_gbt8170,
)

#: The two AQI standards.
VERSIONS = ["HJ633-2012", "HJ633-2026"]


# ==================================================================================================
# §8.1 IAQI table.
# ==================================================================================================

#: standards.md §8.1: (breakpoint column, concentration, IAQI under HJ 633-2012, under HJ 633-2026).
#: Exact values (Fraction) in the comments; the IAQI is their ceiling (HJ 633-2012 §6.2).
SECTION_8_1_IAQI = [
    ("PM2.5_24h", 0, 0, 0),
    ("PM2.5_24h", 35, 50, 50),
    ("PM2.5_24h", 36, 52, 52),  # 51.25
    ("PM2.5_24h", 50, 69, 80),  # 68.75 | 80
    ("PM2.5_24h", 75, 100, 114),  # 100 | 113.64
    ("PM2.5_24h", 76, 102, 115),  # 101.25 | 114.55
    ("PM2.5_24h", 115, 150, 150),
    ("PM2.5_24h", 150, 200, 200),
    ("PM2.5_24h", 151, 201, 201),
    ("PM2.5_24h", 250, 300, 300),
    ("PM2.5_24h", 500, 500, 500),
    ("PM10_24h", 100, 75, 86),  # 75 | 85.71
    ("PM10_24h", 120, 85, 100),
    ("PM10_24h", 150, 100, 112),  # 100 | 111.54
    ("PM10_24h", 151, 101, 112),  # 100.5 | 111.92
    ("SO2_24h", 150, 100, 100),
    ("SO2_24h", 151, 101, 101),  # 100.154
    ("SO2_1h", 500, 100, 100),
    ("NO2_24h", 81, 101, 101),  # 100.5
    ("NO2_1h", 201, 101, 101),  # 100.1
    ("CO_24h", 2.2, 55, 55),  # exactly 55; float Eq. 1 gives 55.00000000000001 → 56
    ("CO_24h", 2.5, 63, 63),  # 62.5 (python-aqi gives 50)
    ("CO_24h", 4.1, 101, 101),  # 100.5
    ("CO_1h", 10.1, 101, 101),  # 100.2
    ("O3_8h", 161, 101, 101),  # 100.909
    ("O3_8h", 265, 200, 200),
    ("O3_8h", 266, 201, 201),  # 200.187
    ("O3_1h", 201, 101, 101),  # 100.5
    ("O3_1h", 800, 300, 300),
]


@pytest.mark.parametrize(
    ("name", "c", "expected_2012", "expected_2026"),
    [pytest.param(*row, id=f"§8.1 {row[0]} {row[1]}") for row in SECTION_8_1_IAQI],
)
def test_section_8_1_iaqi(name: str, c: float, expected_2012: int, expected_2026: int) -> None:
    """standards.md §8.1 IAQI table, both versions (HJ 633-2012 Table 1, HJ 633-2026 Table 3)."""
    assert float(iaqi(c, name, "HJ633-2012")) == expected_2012
    assert float(iaqi(c, name, "HJ633-2026")) == expected_2026


def test_co_2_2_float_trap() -> None:
    """standards.md §5 and §8.1: naive float Eq. 1 for CO 2.2 gives 55.00000000000001 → ceil 56."""
    naive = (100 - 50) / (4 - 2) * (2.2 - 2) + 50
    assert naive > 55  # the trap is real in IEEE floats ...
    assert float(iaqi(2.2, "CO_24h", "HJ633-2012")) == 55  # ... and the package avoids it


@pytest.mark.parametrize(
    ("c", "expected"),
    [
        # standards.md §5: CO 1h 65.4 → 218.00000000000003 and 129.3 → 431.00000000000006 in floats.
        pytest.param(65.4, 218, id="§5 CO 1h 65.4 → 218"),
        pytest.param(129.3, 431, id="§5 CO 1h 129.3 → 431"),
    ],
)
def test_co_1h_float_traps(c: float, expected: int) -> None:
    """standards.md §5 float-pitfall examples, exact values 218 and 431."""
    assert float(iaqi(c, "CO_1h", "HJ633-2012")) == expected


def test_so2_1h_801() -> None:
    """standards.md §8.1 SO2 1h 801: 2012 uses the SO2 24-h IAQI; 2026 gives 200."""
    got_2012 = individual_indices({"SO2_1h": 801, "SO2_24h": 151}, "hourly", "HJ633-2012")
    assert float(got_2012["SO2_1h"]) == 101  # = IAQI of SO2 24h 151 (100.154 → 101)
    got_2026 = individual_indices({"SO2_1h": 801}, "hourly", "HJ633-2026")
    assert float(got_2026["SO2_1h"]) == 200


def test_o3_8h_801() -> None:
    """standards.md §8.1 O3 8h 801: 2012 uses the O3 1-h IAQI; 2026 gives 300."""
    got_2012 = individual_indices({"O3_8h": 801, "O3_1h": 201}, "daily", "HJ633-2012")
    assert float(got_2012["O3_8h"]) == 101  # = IAQI of O3 1h 201 (100.5 → 101)
    got_2026 = individual_indices({"O3_8h": 801}, "daily", "HJ633-2026")
    assert float(got_2026["O3_8h"]) == 300


# ==================================================================================================
# Categories, levels and colours (HJ 633-2012 Table 2 + Appendix A; HJ 633-2026 Table 1 + A.1).
# ==================================================================================================

#: standards.md §8.1 "Category boundaries": AQI → (level, category).
CATEGORY_BOUNDARIES = [
    (50, 1, "优"),
    (51, 2, "良"),
    (100, 2, "良"),
    (101, 3, "轻度污染"),
    (150, 3, "轻度污染"),
    (151, 4, "中度污染"),
    (200, 4, "中度污染"),
    (201, 5, "重度污染"),
    (300, 5, "重度污染"),
    (301, 6, "严重污染"),
]


@pytest.mark.parametrize("standard", VERSIONS)
@pytest.mark.parametrize(
    ("aqi", "expected_level", "expected_category"),
    [pytest.param(*row, id=f"§8.1 AQI {row[0]}") for row in CATEGORY_BOUNDARIES],
)
def test_category_boundaries(
    standard: str, aqi: int, expected_level: int, expected_category: str
) -> None:
    """standards.md §8.1 category boundaries, HJ 633-2012 Table 2 / HJ 633-2026 Table 1."""
    got = int(level(aqi, standard))
    assert got == expected_level
    assert category_table(standard)[got - 1]["category_zh"] == expected_category


@pytest.mark.parametrize("standard", VERSIONS)
def test_levels_vectorised_with_nan(standard: str) -> None:
    """``level`` over an array: NaN → 0; 500 → 六级 (HJ 633 Table 2/Table 1 ">300")."""
    got = level([np.nan, 50, 51, 300, 301, 500], standard)
    np.testing.assert_array_equal(got, [0, 1, 2, 5, 6, 6])


#: standards.md §2.3 (HJ 633-2012 Appendix A; HJ 633-2026 Appendix A Table A.1, identical):
#: (level, level_zh, category_zh, colour_zh, RGB, hex, CMYK).
COLOURS = [
    (1, "一级", "优", "绿色", "0,228,0", "#00E400", "40,0,100,0"),
    (2, "二级", "良", "黄色", "255,255,0", "#FFFF00", "0,0,100,0"),
    (3, "三级", "轻度污染", "橙色", "255,126,0", "#FF7E00", "0,52,100,0"),
    (4, "四级", "中度污染", "红色", "255,0,0", "#FF0000", "0,100,100,0"),
    (5, "五级", "重度污染", "紫色", "153,0,76", "#99004C", "10,100,40,30"),
    (6, "六级", "严重污染", "褐红色", "126,0,35", "#7E0023", "30,100,100,30"),
]
#: AQI ranges: HJ 633-2012 Table 2 (0～50 …); HJ 633-2026 Table 1 and §4.1.1 (1～50 …, range 1～500).
AQI_RANGES = {
    "HJ633-2012": [(0, 50), (51, 100), (101, 150), (151, 200), (201, 300), (301, 500)],
    "HJ633-2026": [(1, 50), (51, 100), (101, 150), (151, 200), (201, 300), (301, 500)],
}


@pytest.mark.parametrize("standard", VERSIONS)
def test_category_table_colours(standard: str) -> None:
    """Colour names, RGB, hex and CMYK of each level (standards.md §2.3, both Appendix A tables)."""
    rows = category_table(standard)
    assert len(rows) == 6
    for row, (lvl, level_zh, category_zh, colour_zh, rgb, hex_, cmyk) in zip(
        rows, COLOURS, strict=True
    ):
        assert int(row["level"]) == lvl
        assert row["level_zh"] == level_zh
        assert row["category_zh"] == category_zh
        assert row["colour_zh"] == colour_zh
        assert row["rgb"] == rgb
        assert row["hex"] == hex_
        assert row["cmyk"] == cmyk
        r, g, b = (int(v) for v in rgb.split(","))
        assert hex_ == f"#{r:02X}{g:02X}{b:02X}"  # hex and RGB agree


@pytest.mark.parametrize("standard", VERSIONS)
def test_category_table_ranges(standard: str) -> None:
    """AQI ranges per level: 2012 starts at 0～50, 2026 at 1～50 (HJ 633-2026 §4.1.1)."""
    got = [(int(r["aqi_min"]), int(r["aqi_max"])) for r in category_table(standard)]
    assert got == AQI_RANGES[standard]


#: HJ 633-2012 Table 2 (standards.md §2.3): (health effect, advice) per level.
HEALTH_2012 = [
    ("空气质量令人满意，基本无空气污染", "各类人群可正常活动"),
    (
        "空气质量可接受，但某些污染物可能对极少数异常敏感人群健康有较弱影响",
        "极少数异常敏感人群应减少户外活动",
    ),
    (
        "易感人群症状有轻度加剧，健康人群出现刺激症状",
        "儿童、老年人及心脏病、呼吸系统疾病患者应减少长时间、高强度的户外锻炼",
    ),
    (
        "进一步加剧易感人群症状，可能对健康人群心脏、呼吸系统有影响",
        "儿童、老年人及心脏病、呼吸系统疾病患者避免长时间、高强度的户外锻练，一般人群适量减少户外运动",
    ),
    (
        "心脏病和肺病患者症状显著加剧，运动耐受力降低，健康人群普遍出现症状",
        "儿童、老年人和心脏病、肺病患者应停留在室内，停止户外运动，一般人群减少户外运动",
    ),
    (
        "健康人群运动耐受力降低，有明显强烈症状，提前出现某些疾病",
        "儿童、老年人和病人应当留在室内，避免体力消耗，一般人群应避免户外活动",
    ),
]


#: HJ 633-2026 Table 1 (docs/primary-text-readings.md §2.3, read from the official scan; summarised
#: in standards.md §2.3): (health effect, advice) per level. Levels 1–2 are unchanged from 2012.
HEALTH_2026 = [
    *HEALTH_2012[:2],
    (
        "敏感人群症状有轻度加剧，健康人群出现刺激症状",
        "青少年儿童、老年人及心血管系统疾病、呼吸系统疾病患者应减少长时间、高强度的户外锻炼",
    ),
    (
        "进一步加剧敏感人群症状，可能对健康人群心血管系统、呼吸系统有影响",
        "青少年儿童、老年人及心血管系统疾病、呼吸系统疾病患者避免长时间、高强度的户外锻炼，"
        "一般人群适量减少户外运动",
    ),
    (
        "心血管系统和呼吸系统患者症状显著加剧，运动耐受力降低，健康人群普遍出现症状",
        "青少年儿童、老年人和心血管系统疾病、呼吸系统疾病患者应停留在室内，停止户外运动，"
        "一般人群减少户外运动",
    ),
    (
        "健康人群运动耐受力降低，有明显强烈症状，提前出现某些疾病",
        "青少年儿童、老年人和病人应当留在室内，避免体力消耗，一般人群应避免户外活动",
    ),
]


@pytest.mark.parametrize(
    ("standard", "expected"),
    [
        pytest.param("HJ633-2012", HEALTH_2012, id="HJ 633-2012 Table 2"),
        pytest.param("HJ633-2026", HEALTH_2026, id="HJ 633-2026 Table 1"),
    ],
)
def test_health_texts(standard: str, expected: list[tuple[str, str]]) -> None:
    """Health effects and advice per level, verbatim from the standard's table."""
    got = [(r["health_zh"], r["advice_zh"]) for r in category_table(standard)]
    assert got == expected


@pytest.mark.parametrize(
    ("aqi_input", "expected_hex"),
    [
        pytest.param(35, "#00E400", id="AQI 50 green"),
        pytest.param(75, "#FFFF00", id="AQI 100 yellow"),
        pytest.param(76, "#FF7E00", id="AQI 102 orange"),
        pytest.param(150, "#FF0000", id="AQI 200 red"),
        pytest.param(250, "#99004C", id="AQI 300 purple"),
        pytest.param(251, "#7E0023", id="AQI 301 maroon"),
    ],
)
def test_report_colour_2012(aqi_input: float, expected_hex: str) -> None:
    """``AqiReport.colour()`` gives the Appendix A hex of the report's level (PM2.5-only, 2012)."""
    report = aqi_report({"PM2.5_24h": aqi_input}, "daily", "HJ633-2012")
    assert report.colour() == expected_hex


def test_report_colour_2026_and_na() -> None:
    """2026: colour from HJ 633-2026 Table A.1; an unpublished AQI (§5.3.1) has no colour."""
    full = dict.fromkeys(("SO2_24h", "NO2_24h", "CO_24h", "O3_8h", "PM10_24h"), 0.0)
    report = aqi_report({**full, "PM2.5_24h": [35, 76]}, "daily", "HJ633-2026")
    assert list(report.colour()) == ["#00E400", "#FF7E00"]
    partial = aqi_report({"PM2.5_24h": 35}, "daily", "HJ633-2026")
    assert partial.colour() == ""


# ==================================================================================================
# Primary pollutant, ties, exceedance pollutants.
# ==================================================================================================

#: Daily inputs whose IAQIs are all 0 — a base to which single pollutants are added.
ZERO_DAILY_2012 = dict.fromkeys(
    ("SO2_24h", "NO2_24h", "CO_24h", "O3_8h", "O3_1h", "PM10_24h", "PM2.5_24h"), 0.0
)
ZERO_DAILY_2026 = {k: v for k, v in ZERO_DAILY_2012.items() if k != "O3_1h"}
ZERO_DAILY = {"HJ633-2012": ZERO_DAILY_2012, "HJ633-2026": ZERO_DAILY_2026}


@pytest.mark.parametrize("standard", VERSIONS)
def test_no_primary_pollutant_at_aqi_50(standard: str) -> None:
    """standards.md §8.1: AQI = 50 with PM2.5 IAQI 50 → no primary pollutant (AQI must be > 50)."""
    report = aqi_report({**ZERO_DAILY[standard], "PM2.5_24h": 35}, "daily", standard)
    assert float(report.aqi) == 50
    assert int(report.primary) == 0
    assert report.primary_pollutants() == ""


@pytest.mark.parametrize("standard", VERSIONS)
def test_primary_pollutant_at_aqi_51(standard: str) -> None:
    """HJ 633 §4.4.2 / §4.3.1: AQI 51 (> 50) → the largest-IAQI pollutant is primary.

    SO2 24h 52: 50 + 50·(52 − 50)/(150 − 50) = 51 (HJ 633 Table 1/Table 3).
    """
    report = aqi_report({**ZERO_DAILY[standard], "SO2_24h": 52}, "daily", standard)
    assert float(report.aqi) == 51
    assert report.primary_pollutants() == "SO2"


TIE_CASES = [
    # (extra inputs, expected primary string); every listed value has IAQI 100 in both versions
    # except where noted. Glossary order: SO2 NO2 CO O3 PM10 PM2.5 (pollutants.csv, BASIC).
    pytest.param({"PM2.5_24h": 35, "SO2_24h": 50}, "", id="tie at 50 → none"),
    pytest.param({"PM10_24h": 50, "NO2_24h": 80, "SO2_24h": 150}, "SO2,NO2", id="SO2=NO2=100"),
    pytest.param(
        {"O3_8h": 160, "CO_24h": 4, "NO2_24h": 80}, "NO2,CO,O3", id="NO2=CO=O3=100 (input reversed)"
    ),
    pytest.param(
        {"SO2_24h": 150, "NO2_24h": 80, "CO_24h": 4, "O3_8h": 160},
        "SO2,NO2,CO,O3",
        id="four-way tie",
    ),
]


@pytest.mark.parametrize(("extra", "expected"), TIE_CASES)
@pytest.mark.parametrize("standard", VERSIONS)
def test_primary_pollutant_ties(standard: str, extra: dict[str, float], expected: str) -> None:
    """HJ 633-2012 §4.4.2 / HJ 633-2026 §4.3.1: tied largest IAQIs are all primary (并列),
    listed in the glossary order SO2 NO2 CO O3 PM10 PM2.5."""
    report = aqi_report({**ZERO_DAILY[standard], **extra}, "daily", standard)
    assert report.primary_pollutants() == expected


def test_primary_pollutant_tie_pm_2012() -> None:
    """2012 tie PM10 150 = PM2.5 75 (both IAQI 100, HJ 633-2012 Table 1) → "PM10,PM2.5"."""
    report = aqi_report({"PM10_24h": 150, "PM2.5_24h": 75, "O3_8h": 100}, "daily", "HJ633-2012")
    assert float(report.aqi) == 100
    assert report.primary_pollutants() == "PM10,PM2.5"
    assert report.primary_pollutants(separator="、") == "PM10、PM2.5"


def test_primary_pollutant_tie_pm_2026() -> None:
    """2026 tie PM10 120 = PM2.5 60 (both IAQI 100, HJ 633-2026 Table 3) → "PM10,PM2.5"."""
    report = aqi_report(
        {**ZERO_DAILY_2026, "PM10_24h": 120, "PM2.5_24h": 60}, "daily", "HJ633-2026"
    )
    assert float(report.aqi) == 100
    assert report.primary_pollutants() == "PM10,PM2.5"


def test_primary_pollutant_tie_hourly_2012_and_o3_counted_once() -> None:
    """Hourly 2012: CO 1h 10 and PM2.5 1h 75 → both IAQI 100 → "CO,PM2.5"; daily 2012 with O3
    8h 160 and O3 1h 200 (both 100) lists O3 once, tied with PM2.5 75."""
    hourly = aqi_report({"CO_1h": 10, "PM2.5_1h": 75, "SO2_1h": 5}, "hourly", "HJ633-2012")
    assert hourly.primary_pollutants() == "CO,PM2.5"
    daily = aqi_report({"O3_8h": 160, "O3_1h": 200, "PM2.5_24h": 75}, "daily", "HJ633-2012")
    assert daily.primary_pollutants() == "O3,PM2.5"


def test_pollutant_names_glossary_order() -> None:
    """Bit masks decode in the glossary order SO2 NO2 CO O3 PM10 PM2.5 (pollutants.csv)."""
    assert BASIC_POLLUTANTS == ("SO2", "NO2", "CO", "O3", "PM10", "PM2.5")
    assert pollutant_names(0b100001) == "SO2,PM2.5"
    assert pollutant_names(0b111111) == "SO2,NO2,CO,O3,PM10,PM2.5"
    np.testing.assert_array_equal(pollutant_names([0, 2, 48], "/"), ["", "NO2", "PM10/PM2.5"])


def test_exceedance_pollutants_2012() -> None:
    """HJ 633-2012 §3.4 and §4.4.2: exceedance pollutant (超标污染物) = IAQI > 100.

    PM2.5 76 → 102, PM10 151 → 101 exceed; NO2 80 → exactly 100 does not.
    """
    inputs = {**ZERO_DAILY_2012, "PM2.5_24h": 76, "PM10_24h": 151, "NO2_24h": 80}
    report = aqi_report(inputs, "daily", "HJ633-2012")
    assert pollutant_names(report.exceedance) == "PM10,PM2.5"
    assert report.primary_pollutants() == "PM2.5"


def test_no_exceedance_pollutants_2026() -> None:
    """HJ 633-2026 前言: "删除了超标污染物的定义和确定方法" — the exceedance mask is always empty."""
    inputs = {**ZERO_DAILY_2026, "PM2.5_24h": 76, "PM10_24h": 151, "NO2_24h": 80}
    report = aqi_report(inputs, "daily", "HJ633-2026")
    assert int(report.exceedance) == 0
    # PM2.5 76 → 115 (114.55) > PM10 151 → 112 (111.92) under HJ 633-2026 Table 3.
    assert report.primary_pollutants() == "PM2.5"


# ==================================================================================================
# The daily example of §8.1, 2012 and 2026 rules.
# ==================================================================================================

DAILY_EXAMPLE = {
    "PM2.5_24h": 76,
    "PM10_24h": 120,
    "SO2_24h": 10,
    "NO2_24h": 40,
    "CO_24h": 0.8,
    "O3_8h": 150,
    "O3_1h": 190,  # the O3 daily maximum 1-h value: a 2012 daily indicator only
}
#: standards.md §8.1 daily example, every intermediate IAQI under HJ 633-2012 Table 1.
DAILY_EXAMPLE_IAQI_2012 = {
    "PM2.5_24h": 102,  # 101.25
    "PM10_24h": 85,
    "SO2_24h": 10,
    "NO2_24h": 50,
    "CO_24h": 20,
    "O3_8h": 92,  # 91.67
    "O3_1h": 88,  # 87.5
}
#: The same data under HJ 633-2026 Table 3 (O3 1 h dropped from the daily report, §4.2.2).
DAILY_EXAMPLE_IAQI_2026 = {
    "PM2.5_24h": 115,  # 114.55
    "PM10_24h": 100,
    "SO2_24h": 10,
    "NO2_24h": 50,
    "CO_24h": 20,
    "O3_8h": 92,
}


def test_daily_example_2012() -> None:
    """standards.md §8.1 daily example, 2012 rules: AQI 102, 轻度污染, primary and exceedance PM2.5."""
    report = aqi_report(DAILY_EXAMPLE, "daily", "HJ633-2012")
    assert {k: float(v) for k, v in report.indicator_iaqi.items()} == DAILY_EXAMPLE_IAQI_2012
    assert {k: float(v) for k, v in report.iaqi.items()} == {
        "SO2": 10,
        "NO2": 50,
        "CO": 20,
        "O3": 92,  # max(8h 92, 1h 88)
        "PM10": 85,
        "PM2.5": 102,
    }
    assert float(report.aqi) == 102
    assert int(report.level) == 3
    assert report.category() == "轻度污染"
    assert report.category("en") == "Lightly polluted"
    assert report.colour() == "#FF7E00"
    assert report.primary_pollutants() == "PM2.5"
    assert pollutant_names(report.exceedance) == "PM2.5"
    assert bool(report.complete)


def test_daily_example_2026_individual_indices() -> None:
    """standards.md §8.1 daily example under 2026 rules: every IAQI (PM2.5 115, PM10 100)."""
    inputs = {k: v for k, v in DAILY_EXAMPLE.items() if k != "O3_1h"}
    got = individual_indices(inputs, "daily", "HJ633-2026")
    assert {k: float(v) for k, v in got.items()} == DAILY_EXAMPLE_IAQI_2026


def test_daily_2026_rejects_o3_1h() -> None:
    """HJ 633-2026 §4.2.2: the O3 1-h maximum is not a daily indicator; giving it is an error."""
    with pytest.raises(KeyError, match="O3_1h"):
        individual_indices(DAILY_EXAMPLE, "daily", "HJ633-2026")


def test_daily_example_2026_report() -> None:
    """standards.md §8.1: "The same data under 2026 rules: … AQI 115, primary PM2.5"."""
    inputs = {k: v for k, v in DAILY_EXAMPLE.items() if k != "O3_1h"}
    report = aqi_report(inputs, "daily", "HJ633-2026")
    assert "O3_1h" not in report.indicator_iaqi
    assert float(report.aqi) == 115
    assert report.category() == "轻度污染"
    assert report.primary_pollutants() == "PM2.5"
    assert int(report.exceedance) == 0


# ==================================================================================================
# Completeness (HJ 633-2026 §5.3.1) and the AQI range minimum (HJ 633-2026 §4.1.1).
# ==================================================================================================


def test_incomplete_2012_is_max_of_present() -> None:
    """HJ 633-2012 gives no withholding rule (missing = NA): the AQI is the max of those present."""
    report = aqi_report(
        {"PM2.5_24h": [35, 76, np.nan], "PM10_24h": [20, np.nan, np.nan]}, "daily", "HJ633-2012"
    )
    np.testing.assert_array_equal(report.aqi, [50, 102, np.nan])
    np.testing.assert_array_equal(report.complete, [False, False, False])
    np.testing.assert_array_equal(report.primary_pollutants(), ["", "PM2.5", ""])


def test_incomplete_2026_published_only_above_100() -> None:
    """HJ 633-2026 §5.3.1: with a pollutant missing, AQI/level/category/primary only when AQI > 100.

    PM10 missing throughout; PM2.5 75 → 114 (published), 60 → exactly 100 (NA), 35 → 50 (NA).
    """
    inputs = {k: v for k, v in ZERO_DAILY_2026.items() if k != "PM10_24h"}
    report = aqi_report({**inputs, "PM2.5_24h": [75, 60, 35]}, "daily", "HJ633-2026")
    np.testing.assert_array_equal(report.aqi, [114, np.nan, np.nan])
    np.testing.assert_array_equal(report.level, [3, 0, 0])
    np.testing.assert_array_equal(report.category(), ["轻度污染", "", ""])
    np.testing.assert_array_equal(report.primary_pollutants(), ["PM2.5", "", ""])
    np.testing.assert_array_equal(report.complete, [False, False, False])
    # The individual IAQIs are still published (§5.3.1 "仅发布单项污染物浓度及分指数").
    np.testing.assert_array_equal(report.iaqi["PM2.5"], [114, 100, 50])


def test_incomplete_2026_nan_value_counts_as_missing() -> None:
    """HJ 633-2026 §5.3.1: an invalid (NaN) value is treated like a missing pollutant."""
    inputs = {**ZERO_DAILY_2026, "CO_24h": [np.nan, 0.0], "PM2.5_24h": [50, 50]}
    report = aqi_report(inputs, "daily", "HJ633-2026")
    np.testing.assert_array_equal(report.aqi, [np.nan, 80])  # PM2.5 50 → 80 (Table 3)


def test_aqi_minimum_1_in_2026() -> None:
    """HJ 633-2026 §4.1.1: "空气质量指数的范围为 1～500" — all-zero concentrations report AQI 1."""
    report = aqi_report(ZERO_DAILY_2026, "daily", "HJ633-2026")
    assert float(report.aqi) == 1
    assert int(report.level) == 1
    assert report.primary_pollutants() == ""


def test_aqi_minimum_0_in_2012() -> None:
    """HJ 633-2012 Table 2 starts at 0～50: all-zero concentrations report AQI 0 (一级 优)."""
    report = aqi_report(ZERO_DAILY_2012, "daily", "HJ633-2012")
    assert float(report.aqi) == 0
    assert int(report.level) == 1
    assert report.category() == "优"


# ==================================================================================================
# §8.2 percentiles, §8.3 comprehensive index, §8.4 rounding.
# ==================================================================================================


def test_percentile_section_8_2_blog_example() -> None:
    """standards.md §8.2: {3, 4, 8, 2, 5, 4}, P90: k = 5.5, m = 5 + 3 × 0.5 = 6.5."""
    assert float(percentile([3, 4, 8, 2, 5, 4], 90)) == 6.5


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        pytest.param(90, 91.0, id="§8.2 P90 k=9.1 → 91.0"),
        pytest.param(95, 95.5, id="§8.2 P95 k=9.55 → 95.5"),
        pytest.param(98, 98.2, id="§8.2 P98 k=9.82 → 98.2"),
    ],
)
def test_percentile_section_8_2_tens(p: float, expected: float) -> None:
    """standards.md §8.2: {10, 20, …, 100}."""
    assert float(percentile(np.arange(10, 101, 10), p)) == pytest.approx(expected, abs=1e-9)


#: standards.md §8.3 inputs: period statistics C_i [µg/m³; CO mg/m³].
SECTION_8_3_INPUTS = {"SO2": 10, "NO2": 30, "PM10": 60, "PM2.5": 35, "CO": 1.2, "O3": 150}


def test_comprehensive_index_section_8_3() -> None:
    """standards.md §8.3: I_i 0.1667, 0.75, 0.8571, 1.0, 0.3, 0.9375; I_sum 4.0113 → 4.01; PM2.5."""
    result = comprehensive_index(SECTION_8_3_INPUTS)
    expected_single = {
        "SO2": 0.1667,
        "NO2": 0.75,
        "PM10": 0.8571,
        "PM2.5": 1.0,
        "CO": 0.3,
        "O3": 0.9375,
    }
    for pollutant, value in expected_single.items():
        assert float(result.single[pollutant]) == pytest.approx(value, abs=5e-5)
    assert float(result.total_exact) == pytest.approx(4.0113, abs=5e-5)
    assert float(result.total) == 4.01
    assert result.largest == "PM2.5"


def test_comprehensive_index_weighted_section_8_3() -> None:
    """standards.md §8.3: with the (UNCONFIRMED) HJ 663-2026 weights 1/2/1/3/1/2 the sum is 7.6988."""
    result = comprehensive_index(SECTION_8_3_INPUTS, scheme="weighted-2026")
    assert float(result.total_exact) == pytest.approx(7.6988, abs=5e-5)
    assert float(result.total) == 7.70
    assert result.largest == "PM2.5"  # the largest *unweighted* I_i


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        pytest.param(75.5, 0, 76.0, id="§8.4 75.5 → 76"),
        pytest.param(74.5, 0, 74.0, id="§8.4 74.5 → 74"),
        pytest.param(2.25, 1, 2.2, id="§8.4 2.25 → 2.2"),
        pytest.param(2.35, 1, 2.4, id="§8.4 2.35 → 2.4"),
        pytest.param(2.251, 1, 2.3, id="§8.4 2.251 → 2.3"),
        pytest.param(2.45, 1, 2.4, id="rounding.py docstring 2.45 → 2.4"),
    ],
)
def test_rounding_section_8_4(value: float, decimals: int, expected: float) -> None:
    """standards.md §8.4 / §5: GB/T 8170 四舍六入五成双."""
    assert float(round_gbt8170(value, decimals)) == expected


def test_pm25_74_5_rounds_to_iaqi_99() -> None:
    """standards.md §8.4: PM2.5 74.5 → 74 (half to even) → IAQI 99 (exact 98.75, HJ 633-2012).

    Under HJ 633-2026 Table 3, 74 → 100 + 50·14/55 = 112.73 → 113; 75.5 → 76 → 115 (114.55).
    """
    assert float(iaqi(74.5, "PM2.5_24h", "HJ633-2012")) == 99
    assert float(iaqi(75.5, "PM2.5_24h", "HJ633-2012")) == 102  # 76 → 101.25
    assert float(iaqi(74.5, "PM2.5_24h", "HJ633-2026")) == 113
    assert float(iaqi(75.5, "PM2.5_24h", "HJ633-2026")) == 115


def test_co_rounding_feeds_iaqi() -> None:
    """HJ 633-2026 §4.2.2: CO to 0.1 mg/m³ first. 2.25 → 2.2 → 55; 2.35 → 2.4 → 60; 2.251 → 2.3 → 58.

    2.3: 50 + 50·0.3/2 = 57.5 → 58; 2.4: 50 + 50·0.4/2 = 60.
    """
    got = iaqi([2.25, 2.35, 2.251], "CO_24h", "HJ633-2026")
    np.testing.assert_array_equal(got, [55, 60, 58])
    assert math.isnan(float(iaqi(np.nan, "CO_24h", "HJ633-2026")))
