"""The map, site and public warning routes (issue #15) attacked over real sockets on a real
``lantian serve``: stored XSS in a source's and a device's name, unauthenticated reads, hostile
site ids (path traversal, SQL, overflow), hostile boundary names, CSV formula injection in the
public list, and the script policy of the pages that run ECharts.

The home: the seeded ledger with the EXAMPLE registry, one source and device renamed by the
attacker (who, as an office user, could import any name), constructed minute frames of a
simulated dust monitor over the Wuhan rule on three past days (so the public list names it:
the district's ``[publication]`` counts 报警 too)."""

from __future__ import annotations

import datetime as dt
import html
import io
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from lantian.plan.access import SYSTEM
from lantian.plan.database import create_ledger_engine, transaction
from lantian.sources.models import RegisteredDevice
from lantian.times import beijing_now
from tests.attacking import client, logged_in, new_address, running, server_env
from tests.browsing import CHROMIUM, chromium, confined_context, log_in, wait_for
from tests.ledger_users import PASSWORD
from tests.web_sites.helpers import LOUD, RULES, seed_home, write_minutes

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
FORMULA = '=HYPERLINK("http://evil.example/","点我")'
PUBLISH_BOTH = RULES + '[publication]\nlevels = ["报警", "超标"]\n'


@pytest.fixture(scope="module")
def attacked(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("sites-attacked") / "home"
    url = seed_home(home)
    (home / "rules.toml").write_text(PUBLISH_BOTH, encoding="utf-8")
    engine = create_ledger_engine(url)
    with transaction(engine) as db:
        db.info["actor"] = SYSTEM  # the audit log names who renamed them
        device = db.scalars(select(RegisteredDevice).where(RegisteredDevice.mn == LOUD)).one()
        device.name = XSS
        device.source.name = FORMULA + XSS
    engine.dispose()
    today = beijing_now().date()
    for back in (1, 2, 3):
        write_minutes(home, url, today - dt.timedelta(days=back))
    return home


@pytest.fixture(scope="module")
def base(attacked) -> Iterator[str]:
    env = server_env(
        LANTIAN_ALARM_RULES=str(attacked / "rules.toml"), LANTIAN_TRUSTED_PROXIES="127.0.0.1"
    )
    with running(attacked, env) as url:
        yield url


def user(base: str, name: str):
    return closing(logged_in(base, name, new_address()))


def loud_source(http) -> int:
    devices = http.get("/ledger/map/data").json()["devices"]
    return next(d["source_id"] for d in devices if d["mn"] == LOUD)


def test_names_are_escaped_in_every_page(base):
    with user(base, "zj") as http:
        site = loud_source(http)
        for path in ("/ledger/map", f"/ledger/sites/{site}"):
            page = http.get(path)
            assert page.status_code == 200
            assert "<script>alert" not in page.text
            assert "onerror=alert(1)>" not in page.text
            assert html.escape(XSS, quote=False)[:20] in page.text
            policy = page.headers["content-security-policy"]
            assert "script-src 'self';" in policy
            assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        data = http.get("/ledger/map/data")
        assert data.headers["content-type"].startswith("application/json")
        assert data.headers["cache-control"] == "no-store"
    with closing(client(base, new_address())) as http:
        public = http.get("/warnings")
        assert public.status_code == 200
        assert "<script>alert" not in public.text
        assert 'data-code="示例GD01"' in public.text  # listed: 报警 on three days


def test_the_public_list_defuses_spreadsheet_formulas(base):
    with closing(client(base, new_address())) as http:
        rows = http.get("/api/v1/warnings", params={"format": "csv"}).content.decode("utf-8-sig")
    listed = next(line for line in rows.splitlines() if "示例GD01" in line)
    assert ",=HYPERLINK" not in listed
    assert '"=HYPERLINK' not in listed


def test_the_public_device_pages_and_workbooks_hold_the_names_as_text(base):
    """The attacker's names reach the public too: the device pages, and the warning list as a
    workbook — which answered 500 while a streamed workbook could not hold a formula-like text
    as text (``tests/attacks/test_uploads.py``)."""
    with closing(client(base, new_address())) as http:
        for path in ("/devices", f"/devices/{LOUD}"):
            page = http.get(path)
            assert page.status_code == 200, path
            assert "<script>alert" not in page.text
            assert "onerror=alert(1)>" not in page.text
        book = http.get("/api/v1/warnings", params={"format": "xlsx"})
        assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.content)).active
    cells = [c for row in sheet.iter_rows() for c in row if str(c.value).startswith("=HYPERLINK")]
    assert cells
    assert {c.data_type for c in cells} == {"s"}


@pytest.mark.parametrize(
    "path", ["/ledger/map", "/ledger/map/data", "/ledger/sites/5", "/ledger/sites/5/series"]
)
def test_nothing_is_shown_without_a_session(base, path):
    with closing(client(base, new_address())) as http:
        answer = http.get(path)
    assert answer.status_code == 401
    assert LOUD not in answer.text
    assert "示例工地" not in answer.text


@pytest.mark.parametrize(
    "site",
    [
        "..%2F..%2F..%2Fetc%2Fpasswd",
        "..%2Fmap",
        "5%20OR%201=1",
        "5;DROP TABLE sources",
        "-1",
        "0",
        str(2**31),
        "9" * 400,
        "%00",
        "5e3",
    ],
)
def test_hostile_site_ids_are_refused(base, site):
    with user(base, "hb") as http:
        for suffix in ("", "/series"):
            answer = http.get(f"/ledger/sites/{site}{suffix}")
            assert 400 <= answer.status_code < 500, (site, answer.status_code)
            assert "Traceback" not in answer.text
            assert "root:" not in answer.text


def test_an_unknown_site_is_404(base):
    with user(base, "office") as http:
        assert http.get("/ledger/sites/999999").status_code == 404
        assert http.get("/ledger/sites/999999/series").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"city": XSS},
        {"city": "../../../../etc/passwd"},
        {"province": "湖南\x00"},
        {"city": "永州", "province": "湖南"},
        {"city": "永" * 500},
        {"province": "' OR 1=1 --"},
    ],
)
def test_hostile_boundary_names_are_refused(base, query):
    with closing(client(base, new_address())) as http:
        answer = http.get("/api/v1/boundaries", params=query)
    assert 400 <= answer.status_code < 500
    # an echoed name is JSON that browsers may not sniff as HTML
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "Traceback" not in answer.text


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is missing (scripts/browser)")
def test_the_maps_tooltips_do_not_run_a_stored_name(base):
    """The map's tooltips are HTML (ECharts): a device's and a source's stored name must show as
    text. Every point's tooltip is opened; no dialog may open and no injected element exist."""
    dialogs: list[str] = []
    outside: list[str] = []
    with chromium() as browser:
        context = confined_context(browser, base, outside, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.base = base
        log_in(page, "office", PASSWORD)
        page.goto(base + "/ledger/map")
        wait_for(page, "document.getElementById('sites-map').dataset.ready === '1'", 90_000)
        shown = page.evaluate(
            """() => {
              const chart = echarts.getInstanceByDom(document.getElementById('sites-map'));
              const texts = [];
              chart.getOption().series.forEach((series, s) => series.data.forEach((_, d) => {
                chart.dispatchAction({ type: 'showTip', seriesIndex: s, dataIndex: d });
                const tips = [...document.querySelectorAll('#sites-map > div')]
                  .filter((e) => !e.querySelector('canvas'));
                texts.push(tips.map((e) => e.innerHTML).join(''));
              }));
              return texts;
            }"""
        )
        page.wait_for_timeout(500)
        injected = page.evaluate(
            "document.querySelectorAll('#sites-map img, #sites-map script').length"
        )
        context.close()
    assert any("&lt;script&gt;" in text for text in shown)
    assert injected == 0
    assert dialogs == []
    assert outside == []
