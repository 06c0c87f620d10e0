"""The public warning list (公示警示, ``lantian.alarms.publication``) by the rule file's
``[publication]``: a source is listed at ``min_days`` days with a counted alarm (3), not at 2;
only the levels and kinds the rule counts; data-quality alarms never; simulated devices marked.
Alarm rows are constructed (test data), sites are a constructed registry join."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from lantian.alarms.evaluate import ALARM_SCHEMA
from lantian.alarms.publication import SITE_COLUMNS, period, warning_list
from lantian.alarms.rules import Publication, RuleFileError, load_rules

RULE = Publication(days=30, min_days=3, levels=("超标",), kinds=("absolute", "difference"))
SITES = pa.table(
    {
        "mn": ["DUST1", "DUST2", "DUST3"],
        "simulated": [True, False, False],
        "source_id": pa.array([1, 2, 2], pa.int64()),
        "code": ["GD01", "GD02", "GD02"],
        "name": ["工地一", "工地二", "工地二"],
        "kind": ["site", "site", "site"],
        "town": ["梅湾街道", None, None],
        "unit": ["区住建局", "区住建局", "区住建局"],
        "example": [True, False, False],
    }
)


def alarm_rows(rows: list[tuple[str, str, str, str]]) -> pa.Table:
    """Alarms of (mn, day, level, kind) — one per tuple, at 08:00 of the day."""
    columns: dict[str, list] = {f.name: [] for f in ALARM_SCHEMA}
    for n, (mn, day, level, kind) in enumerate(rows):
        moment = dt.datetime.fromisoformat(f"{day}T08:00")
        values = {
            "alarm_id": f"a{n}", "rule_id": f"rule-{kind}", "kind": kind, "level": level,
            "mn": mn, "pollutant": "PM10", "ts": moment, "window": 60,
            "day": moment.date(), "occurrence": 3, "value": 100.0, "limit": 80.0,
            "background": None, "background_measured": None, "readings": "[]", "citation": "c", "sources": None,
        }  # fmt: skip
        for key, value in values.items():
            columns[key].append(value)
    return pa.table(columns, schema=ALARM_SCHEMA)


def test_three_days_are_listed_two_are_not():
    alarms = alarm_rows(
        [("DUST1", d, "超标", "difference") for d in ("2026-11-01", "2026-11-02", "2026-11-02")]
        + [("DUST1", "2026-11-05", "超标", "absolute")]
        + [("DUST2", d, "超标", "difference") for d in ("2026-11-01", "2026-11-09")]
    )
    (row,) = warning_list(alarms, SITES, RULE)
    assert (row["code"], row["days"], row["alarms"]) == ("GD01", 3, 4)
    assert row["last_day"] == dt.date(2026, 11, 5)
    assert row["simulated"] is True
    assert row["example"] is True


def test_devices_of_one_source_count_together():
    alarms = alarm_rows(
        [("DUST2", "2026-11-01", "超标", "difference"), ("DUST3", "2026-11-02", "超标", "absolute"),
         ("DUST3", "2026-11-03", "超标", "absolute")]
    )  # fmt: skip
    (row,) = warning_list(alarms, SITES, RULE)
    assert (row["code"], row["days"], row["simulated"]) == ("GD02", 3, False)
    assert row["rules"] == "rule-absolute,rule-difference"


@pytest.mark.parametrize(
    ("level", "kind"),
    [("报警", "difference"), ("预警", "absolute"), ("超标", "offline"), ("超标", "stuck")],
)
def test_uncounted_levels_and_data_quality_are_not_published(level, kind):
    alarms = alarm_rows([("DUST1", f"2026-11-0{d}", level, kind) for d in (1, 2, 3, 4)])
    assert warning_list(alarms, SITES, RULE) == []


def test_a_device_on_no_source_names_no_site():
    alarms = alarm_rows([("MICRO1", f"2026-11-0{d}", "超标", "absolute") for d in (1, 2, 3)])
    assert warning_list(alarms, SITES, RULE) == []
    assert warning_list(alarms, SITES.slice(0, 0), RULE) == []
    assert tuple(SITES.column_names) == SITE_COLUMNS


def test_the_period_ends_yesterday():
    assert period(RULE, dt.date(2026, 12, 3)) == (dt.date(2026, 11, 3), dt.date(2026, 12, 2))


def test_the_shipped_rule_and_a_districts_override(tmp_path):
    shipped = load_rules().publication
    assert (shipped.days, shipped.min_days, shipped.levels) == (30, 3, ("超标",))
    assert "公示警示" in shipped.source
    district = tmp_path / "rules.toml"
    district.write_text('[publication]\nmin_days = 5\nlevels = ["报警", "超标"]\n', "utf-8")
    mine = load_rules(district).publication
    assert (mine.days, mine.min_days, mine.levels) == (30, 5, ("报警", "超标"))
    district.write_text("[publication]\nmin_days = 40\n", "utf-8")
    with pytest.raises(RuleFileError, match="min_days"):
        load_rules(district)
    district.write_text('[publication]\nkinds = ["dust"]\n', "utf-8")
    with pytest.raises(RuleFileError, match="unknown kind dust"):
        load_rules(district)
