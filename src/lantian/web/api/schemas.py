"""The API's documents, for the OpenAPI schema (``XPublic`` per resource).

Routes serialise their own bytes (fast, and CSV/xlsx share the same tables), so these models
document the JSON; ``tests/web/test_api.py`` validates real responses against them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

DAILY_COMPLETENESS = (
    "The daily AQI behind the day counts and good-day ratio, with a pollutant missing: `letter` "
    "(HJ 633-2026 §5.3.1, the daily default) or `release`. docs/cnemc-release-check.md"
)


class Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class Concentrations(Model):
    """The six pollutants [µg/m³; CO mg/m³], at their reporting precision; null = no valid value."""

    SO2: float | None
    NO2: float | None
    CO: float | None
    O3: float | None
    PM10: float | None
    PM2_5: float | None = Field(alias="PM2.5")


class AqiFields(Model):
    """The AQI columns of :mod:`lantian.assess.series` (the same in ``lantian aqi``)."""

    aqi: float | None = Field(description="AQI (HJ 633); null where none can be published")
    level: int | None = Field(description="1–6 (一级…六级); null without AQI")
    category_zh: str | None = Field(description="优, 良, 轻度污染, 中度污染, 重度污染, 严重污染")
    category_en: str | None
    colour: str | None = Field(description="The category colour (HJ 633 Appendix A), e.g. #00E400")
    primary_pollutants: str | None = Field(
        description="Primary pollutant ids joined by ','; null when AQI ≤ 50"
    )
    standard: str = Field(description="The HJ 633 the row follows (HJ633-2012 before 2026-03-01)")
    completeness: str = Field(
        description="With a pollutant missing: `release` (the AQI of those present, as CNEMC "
        "publishes; the hourly default) or `letter` (HJ 633-2026 §5.3.1: null unless above 100; "
        "the daily default). docs/cnemc-release-check.md"
    )


class IndividualIndices(Model):
    """The IAQI of each pollutant (HJ 633); null where it has no valid value."""

    SO2_iaqi: float | None = Field(alias="SO2_iaqi")
    NO2_iaqi: float | None
    CO_iaqi: float | None
    O3_iaqi: float | None
    PM10_iaqi: float | None
    PM2_5_iaqi: float | None = Field(alias="PM2.5_iaqi")


class Table(Model):
    columns: list[str]


class StationPublic(Model):
    station_code: str
    name: str
    city: str
    longitude: float | None
    latitude: float | None
    control_point: bool
    evaluation: bool
    first_ts: str = Field(description="First stored hour (hour end, Beijing time)")
    last_ts: str


class StationsPublic(Table):
    rows: list[StationPublic]


class CityPublic(Model):
    city: str
    evaluation_stations: int
    stations: int


class CitiesPublic(Table):
    rows: list[CityPublic]


class YearsPublic(Model):
    years: list[int]
    latest_ts: str | None = Field(description="The latest stored hour (hour end, Beijing time)")
    default_city: str | None
    version: int = Field(description="The store's manifest version (changes on every import)")


class CategoryPublic(Model):
    level: int
    aqi_min: int
    aqi_max: int
    category_zh: str
    category_en: str
    hex: str
    health_zh: str
    advice_zh: str
    health_en: str
    advice_en: str


class CategoriesPublic(Model):
    standard: str
    rows: list[CategoryPublic]


class NowRow(Concentrations, IndividualIndices, AqiFields):
    station_code: str
    name: str
    city: str
    ts: str | None = Field(description="Hour end, Beijing time (ISO 8601)")
    health_zh: str
    health_en: str
    advice_zh: str
    advice_en: str
    longitude: float | None = None
    latitude: float | None = None
    control_point: bool | None = None


class NowPublic(Model):
    city: str
    ts: str
    standard: str
    city_now: NowRow
    stations: list[NowRow]
    cities: list[NowRow]
    units: dict[str, str]


class PlaceMeta(Model):
    kind: str = Field(description="city or station")
    key: str
    name: str
    city: str


class HourlyRow(Concentrations, IndividualIndices, AqiFields):
    ts: str = Field(description="Hour end, Beijing time")


class SeriesMeta(Table):
    place: PlaceMeta
    start: str
    end: str
    report: str
    standard: str = Field(description="The HJ 633 of the period's last day")
    standards: list[dict[str, str]] = Field(
        description="The runs of days (start, end) and the HJ 633 each follows: two when the "
        "period spans a change of standard (2026-03-01); each row's `standard` says which"
    )
    units: dict[str, str]
    limits: dict[str, float]


class HourlyPublic(SeriesMeta):
    daily_limits: dict[str, float] = Field(description="Drawn for reference where no 1-h limit")
    rows: list[HourlyRow]


class DailyRow(IndividualIndices, AqiFields):
    day: str
    SO2: float | None
    NO2: float | None
    CO: float | None
    O3_8h: float | None = Field(description="O3 daily maximum 8-hour mean (MDA8)")
    O3_1h: float | None = Field(description="O3 daily maximum 1-hour value")
    PM10: float | None
    PM2_5: float | None = Field(alias="PM2.5")


class DailyPublic(SeriesMeta):
    rows: list[DailyRow]


class AqiRow(AqiFields):
    ts: str | None = None
    day: str | None = None


class AqiPublic(SeriesMeta):
    rows: list[AqiRow]


class MonthlyPublic(Table):
    place: PlaceMeta
    year: int
    previous_year: int
    metrics: dict[str, str]
    units: dict[str, str]
    rows: list[dict[str, float | int | str | None]] = Field(
        description="month, the statistics, good_ratio, comprehensive_index and `completeness`: "
        + DAILY_COMPLETENESS
    )


class ItemPublic(Model):
    pollutant: str
    metric: str = Field(description="annual_mean, p98_daily, p95_daily or p90_mda8")
    value: float | None
    unit: str
    limit: float
    attained: bool | None
    exceedance_multiple: float | None
    valid_days: int
    valid: bool
    short_months: list[int]


class DaysPublic(Model):
    valid: int
    good: int = Field(description="优良天数: days of level 1 or 2")
    good_ratio: float | None = Field(description="优良天数比例 [%]")
    heavy: int = Field(description="重污染天数: days of level 5 or 6")
    by_category: dict[str, int] = Field(description="days per category, 优 … 严重污染")
    by_level: list[int] = Field(description="days of level 1 … 6")
    completeness: str = Field(description=DAILY_COMPLETENESS)


class Completeness(Model):
    hours: int
    hours_possible: int
    ratio: float


class EvaluationFields(Model):
    """The fields every evaluation has (the place's, and each station's in ``stations[]``)."""

    items: list[ItemPublic]
    attained: bool | None
    days: DaysPublic
    primary_pollutant_days: dict[str, int]
    comprehensive_index: float | None
    largest_index: str = Field(description="The pollutant with the largest single index")
    single_indices: dict[str, float | None]
    completeness: dict[str, Completeness]


class StationAssessment(EvaluationFields):
    station_code: str
    name: str | None


class RuleSetPublic(Model):
    gb3095: str
    gb3095_stage: str
    hj633: str
    hj663: str


class StationEvaluationRow(Model):
    station_code: str
    name: str
    SO2: float | None
    NO2: float | None
    CO: float | None
    O3: float | None
    PM10: float | None
    PM2_5: float | None = Field(alias="PM2.5")
    comprehensive_index: float | None
    good_ratio: float | None
    valid_days: int
    completeness: str = Field(description=DAILY_COMPLETENESS)


class StationEvaluationsPublic(Table):
    city: str
    year: int
    rows: list[StationEvaluationRow]


class EvaluationPublic(EvaluationFields):
    """``lantian assess --format json``'s document, plus ``place``."""

    city: str | None
    area: str | None
    station: str | None
    name: str
    year: int | None
    from_: str = Field(alias="from")
    to: str
    standard: str
    rule_set: RuleSetPublic
    stations_used: list[str]
    stations: list[StationAssessment]
    place: PlaceMeta


class RankingRow(Model):
    """``lantian rank --format json``'s ``cities[]`` rows."""

    rank: int
    city: str
    comprehensive_index: float | None
    largest_index: str
    pm25: float | None = Field(description="PM2.5 annual (period) mean [µg/m³]")
    pm25_rank: int
    good_ratio: float | None
    good_ratio_rank: int
    previous_index: float | None = Field(description="The same period one year earlier")
    change_rate: float | None = Field(description="(I − I_previous) / I_previous × 100 [%]")
    change_rank: int | None
    valid_days: int
    completeness: str = Field(description=DAILY_COMPLETENESS)


class RankingPublic(Table):
    year: int
    scheme: str
    order: str
    rows: list[RankingRow]


class TargetProgress(Model):
    model_config = ConfigDict(extra="allow")
    area: str
    pollutant: str
    metric: str
    target: float | None
    ytd: float | None
    budget_remaining_mean: float | None
    status: str = Field(description="on_track, at_risk, off_track; attained or missed at year end")


class ProgressPublic(Table):
    city: str
    date: str
    areas: list[dict[str, Any]]
    rows: list[TargetProgress]


class Problem(Model):
    detail: str
