"""The alarm rules read device facts from the source registry (issue #15): the 陕西 TSP rule
(DB61/1078-2017) takes each site's 施工阶段 from the registry, and each device's TSP arrives in
the unit it registered (the EXAMPLE registry's 工地01 monitor sends mg/m³, 工地02's µg/m³) and is
converted by the feed intake before it is judged. Minutes constructed here (simulated)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from lantian.alarms.evaluate import alarms, minutes_from_arrow
from lantian.alarms.rules import load_rules
from lantian.alarms.scan import device_facts, minute_of
from lantian.demo import STATION_LIST, demo_file
from lantian.feeds.intake import FRAME_SCHEMA, FrameBatch, feed_rows
from lantian.ingest.stations import read_station_list
from lantian.sources.example import import_example

HOUR = dt.datetime(2026, 12, 1, 8)
SITE_01 = "EXAMPLE00DUST0001"  # 示例工地01: 主体, TSP in mg/m³
SITE_02 = "EXAMPLE00DUST0002"  # 示例工地02: 土方, TSP in µg/m³


@pytest.fixture(scope="module")
def stations():
    return read_station_list(demo_file(STATION_LIST))[0]


def minute_frames(mn: str, tsp_text: str) -> pa.Table:
    times = [(HOUR + dt.timedelta(minutes=m)).strftime("%Y%m%d%H%M%S") for m in range(60)]
    return pa.table(
        {
            "mn": [mn] * 60,
            "cn": ["2051"] * 60,
            "data_time": times,
            "cp": [f"DataTime={t};a34001-Avg={tsp_text},a34001-Flag=N" for t in times],
            "station_code": [mn] * 60,
            "network": ["dust"] * 60,
            "source": ["simulated"] * 60,
            "received": [0] * 60,
        },
        schema=FRAME_SCHEMA,
    )


@pytest.mark.parametrize(
    ("site_01_mg", "site_02_ug", "alarmed"),
    [("0.7", "800", []), ("0.701", "800", [SITE_01]), ("0.7", "801", [SITE_02])],
)
def test_tsp_limit_by_registered_phase_and_unit(
    db, actors, stations, site_01_mg, site_02_ug, alarmed, tmp_path
):
    import_example(db, actors["office"], stations)
    facts = device_facts(db)
    assert (facts[SITE_01].source_kind, facts[SITE_01].phase) == ("site", "主体")
    assert facts[SITE_02].phase == "土方"
    frames = pa.concat_tables(
        [minute_frames(SITE_01, site_01_mg), minute_frames(SITE_02, site_02_ug)]
    )
    units = {SITE_01: {"a34001": "mg/m3"}, SITE_02: {"a34001": "ug/m3"}}
    rows, rejected = feed_rows(FrameBatch(frames, units))
    assert rejected == []
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text('use = ["shaanxi"]\n', encoding="utf-8")
    found = alarms(load_rules(rules_file), minutes_from_arrow(rows), minute_of(HOUR) + 60, facts)
    assert found.column("mn").to_pylist() == alarmed
    if alarmed:
        limit = {SITE_01: 700.0, SITE_02: 800.0}[alarmed[0]]
        assert found.column("limit").to_pylist() == [limit]
        assert np.isclose(found.column("value")[0].as_py(), limit + 1)


def test_working_hours_and_permit_limits_come_from_the_registry(db, actors, stations):
    """The EXAMPLE registry's sites work 06:00–22:00 (作业时间) and its 热电联产 enterprise holds
    permitted limits with their standard (许可排放限值, 执行标准): both reach the rules."""
    from sqlalchemy import select

    from lantian.alarms.scan import permit_limits
    from lantian.sources.models import Enterprise

    import_example(db, actors["office"], stations)
    assert device_facts(db)[SITE_01].working_hours == (360, 1320)
    plant = db.scalars(select(Enterprise).where(Enterprise.code == "示例QY04")).one()
    assert permit_limits(plant) == {
        "smoke_dust": (
            30.0,
            "mg/m3",
            "GB 13223-2011 表1（燃煤锅炉，新建）（排污许可证 示例许可04）",
        ),
        "SO2": (100.0, "mg/m3", "GB 13223-2011 表1（燃煤锅炉，新建）（排污许可证 示例许可04）"),
        "NOx": (100.0, "mg/m3", "GB 13223-2011 表1（燃煤锅炉，新建）（排污许可证 示例许可04）"),
    }


def test_micro_stations_name_their_nearest_registered_sources(db, actors, stations):
    """A hotspot alarm names the sources nearest the micro-station: the EXAMPLE registry's
    micro-station 01 (111.6070, 26.4360) gets three, nearest first, by the haversine."""
    from sqlalchemy import select

    from lantian.sources.coordinates import haversine_km
    from lantian.sources.models import Source

    import_example(db, actors["office"], stations)
    facts = device_facts(db)
    micro = facts["EXAMPLE0MICRO0001"]
    assert micro.network == "micro"
    assert len(micro.nearest_sources) == 3
    kilometres = [km for _, _, km in micro.nearest_sources]
    assert kilometres == sorted(kilometres)
    placed = db.scalars(select(Source).where(Source.longitude.is_not(None))).all()
    nearest = min(placed, key=lambda s: haversine_km(111.6070, 26.4360, s.longitude, s.latitude))
    assert micro.nearest_sources[0][0] == nearest.code
    assert facts[SITE_01].nearest_sources == ()  # a device on a source names none
