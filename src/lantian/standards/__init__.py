"""The rules of China's ambient air-quality standards, as data tables and whole-column functions.

Rule sets (:mod:`.rulesets`): GB 3095-2012 + HJ 633-2012 + HJ 663-2013 before 2026-03-01;
GB 3095-2026 + HJ 633-2026 (+ HJ 663-2026) since. Tables: ``tables/*.csv``, each row citing its
clause. Pure functions over NumPy arrays; nothing here reads files other than those tables.
"""

from lantian.standards.aqi import (
    COMPLETENESS,
    HEAVY_POLLUTION_LEVEL,
    AqiReport,
    aqi_report,
    category_table,
    completeness_default,
    completeness_name,
    level,
    pollutant_names,
)
from lantian.standards.area import area_mean
from lantian.standards.averages import (
    daily_max_1h,
    daily_mean,
    mda8,
    moving_average,
    moving_average_8h,
    moving_average_24h,
)
from lantian.standards.evaluation import (
    EvaluationItem,
    annual_evaluation,
    attainment_rate,
    days_by_level,
    exceedance_multiple,
    good_day_ratio,
    percentile,
    period_valid,
)
from lantian.standards.iaqi import iaqi, individual_indices, round_concentration
from lantian.standards.limits import limit, limit_in
from lantian.standards.pollutants import BASIC_POLLUTANTS, display_name, unit
from lantian.standards.ranking import (
    ComprehensiveIndex,
    competition_rank,
    comprehensive_index,
    index_statistics,
)
from lantian.standards.rounding import round_gbt8170
from lantian.standards.rulesets import (
    PeriodSpansChangeError,
    RuleSet,
    period_rule_set,
    rule_set,
    rule_set_names,
    rule_set_runs,
)

__all__ = [
    "BASIC_POLLUTANTS",
    "COMPLETENESS",
    "HEAVY_POLLUTION_LEVEL",
    "AqiReport",
    "ComprehensiveIndex",
    "EvaluationItem",
    "PeriodSpansChangeError",
    "RuleSet",
    "annual_evaluation",
    "aqi_report",
    "area_mean",
    "attainment_rate",
    "category_table",
    "competition_rank",
    "completeness_default",
    "completeness_name",
    "comprehensive_index",
    "daily_max_1h",
    "daily_mean",
    "days_by_level",
    "display_name",
    "exceedance_multiple",
    "good_day_ratio",
    "iaqi",
    "index_statistics",
    "individual_indices",
    "level",
    "limit",
    "limit_in",
    "mda8",
    "moving_average",
    "moving_average_8h",
    "moving_average_24h",
    "percentile",
    "period_rule_set",
    "period_valid",
    "pollutant_names",
    "round_concentration",
    "round_gbt8170",
    "rule_set",
    "rule_set_names",
    "rule_set_runs",
    "unit",
]
