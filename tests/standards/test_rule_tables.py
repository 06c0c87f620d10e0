"""The rule tables are complete and consistent: every row cites its clause, every standard a rule set
names has every table it needs, and every name one table uses exists in the table it points to."""

from __future__ import annotations

import itertools
from importlib import resources

import pytest

from lantian.standards.tables import known, rows, table

TABLES = sorted(
    p.name.removesuffix(".csv")
    for p in resources.files("lantian.standards").joinpath("tables").iterdir()
    if p.name.endswith(".csv")
)


@pytest.mark.parametrize("name", TABLES)
def test_every_row_cites_its_source(name):
    for row in table(name):
        assert row["clause"].strip(), f"{name}: a row without a clause: {row}"


@pytest.mark.parametrize("name", TABLES)
def test_no_row_is_duplicated(name):
    keys = [tuple(v for k, v in row.items() if k != "clause") for row in table(name)]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize(
    "rule_set", table("rule_sets"), ids=lambda r: f"{r['rule_set']}-{r['stage']}"
)
def test_each_rule_set_has_all_its_tables(rule_set):
    assert rows("limits", standard=rule_set["gb3095"], stage=rule_set["gb3095_stage"])
    for name in (
        "iaqi_breakpoints",
        "aqi_categories",
        "aqi_report_inputs",
        "aqi_rules",
        "rounding",
    ):
        assert rows(name, standard=rule_set["hj633"]), (name, rule_set["hj633"])
    for name in ("validity", "evaluation_items", "rounding"):
        assert rows(name, standard=rule_set["hj663"]), (name, rule_set["hj663"])


def test_report_inputs_name_existing_breakpoint_columns():
    for spec in table("aqi_report_inputs"):
        assert rows("iaqi_breakpoints", standard=spec["standard"], breakpoints=spec["breakpoints"])


def test_evaluation_items_have_limits_in_every_gb3095():
    for item in table("evaluation_items"):
        for rule_set in rows("rule_sets", hj663=item["standard"]):
            assert rows(
                "limits",
                standard=rule_set["gb3095"],
                stage=rule_set["gb3095_stage"],
                pollutant=item["pollutant"],
                averaging=item["limit_averaging"],
                grade="2",
            ), (item, rule_set)


def test_categories_cover_the_index_range_without_gaps():
    for standard in known("aqi_categories", "standard"):
        levels = rows("aqi_categories", standard=standard)
        assert [int(r["level"]) for r in levels] == [1, 2, 3, 4, 5, 6]
        for lower, upper in itertools.pairwise(levels):
            assert int(upper["aqi_min"]) == int(lower["aqi_max"]) + 1
        assert int(levels[-1]["aqi_max"]) == 500
