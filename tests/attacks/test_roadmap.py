"""The roadmap page and its apportionment upload (issue #16) attacked over real sockets on a real
``lantian serve``: unauthenticated reads, form posts without the session's CSRF token or by roles
that may not import, hostile and oversized workbooks, a workbook with errors (nothing stored),
stored XSS through the names of an imported result, hostile query values, and the page's script
policy (this server's ECharts only, no inline script).

The home: the demo store (real 2019 data), a seeded ledger, the EXAMPLE registry, activity data,
2019 inventory, links and statement of fractions (示例数据), made in-process by the functions
``lantian demo`` calls, before the server starts."""

from __future__ import annotations

import csv
import html
import io
from contextlib import closing
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from lantian.plan.database import create_ledger_engine, transaction
from lantian.planning.models import Apportionment
from tests import hostile
from tests.attacking import client, logged_in, new_address, running, server_env
from tests.attacks.conftest import attack_home
from tests.planning.helpers import build_example_home

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _workbook(name: str = "攻击测试", source: str = "构造", share: object = 20) -> bytes:
    book = Workbook()
    info = book.active
    info.title = "基本信息"
    for row in (
        ["项目", "内容"],
        ["名称", name],
        ["类别", "已发布源解析"],
        ["区域", "冷水滩区中心城区"],
        ["年份", 2019],
        ["出处", source],
    ):
        info.append(row)
    sheet = book.create_sheet("源解析")
    sheet.append(["来源", "类型", "贡献率%", "清单源类别", "二次组分"])
    sheet.append(["区域传输", "区域传输", 40, None, None])
    sheet.append([XSS, "一次源", share, "扬尘源", None])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def home(tmp_path_factory, web_home) -> Path:
    home = attack_home(tmp_path_factory.mktemp("roadmap-attacked") / "home", web_home)
    return build_example_home(home, seed=False)


@pytest.fixture(scope="module")
def base(home):
    with running(home, server_env(LANTIAN_TRUSTED_PROXIES="127.0.0.1")) as url:
        yield url


def _results(home: Path) -> int:
    engine = create_ledger_engine(f"sqlite:///{home / 'plan.sqlite3'}")
    with transaction(engine) as db:
        count = db.scalar(select(func.count(Apportionment.id)))
    engine.dispose()
    return count


def _post(http, data: bytes, name: str = "解析.xlsx", csrf: str | None = None):
    return http.post(
        "/ledger/roadmap/apportionment",
        data={"csrf_token": http.csrf if csrf is None else csrf},
        files={"workbook": (name, data, "application/octet-stream")},
        timeout=30,
    )


def test_unauthenticated_reads_and_posts_get_nothing(base):
    with closing(client(base, new_address())) as anonymous:
        for path in ("/ledger/roadmap", "/ledger/roadmap.xlsx"):
            response = anonymous.get(path)
            assert response.status_code == 401
            assert "冷水滩区" not in response.text
        anonymous.csrf = "x" * 43
        assert _post(anonymous, _workbook()).status_code in (401, 403)


def test_without_csrf_or_by_other_roles_nothing_is_stored(base, home):
    before = _results(home)
    with closing(logged_in(base, "office", new_address())) as office:
        assert _post(office, _workbook(), csrf="").status_code == 403
        assert _post(office, _workbook(), csrf="forged" * 7).status_code == 403
    for name in ("hb", "leader"):
        with closing(logged_in(base, name, new_address())) as other:
            assert _post(other, _workbook()).status_code == 403
    assert _results(home) == before


@pytest.mark.parametrize(
    ("name", "build", "message"),
    [
        ("wide.xlsx", lambda: hostile.wide_sheet(600, 1300), "单元格超过"),
        ("entity.xlsx", hostile.doctype_sheet, "DOCTYPE"),
        ("not-a-workbook.xlsx", lambda: b"PK\x03\x04" + b"\x00" * 100, "xlsx"),
    ],
)
def test_hostile_workbooks_are_refused_naming_the_file(base, home, name, build, message):
    before = _results(home)
    with closing(logged_in(base, "office", new_address())) as office:
        response = _post(office, build(), name)
    assert response.status_code == 400, response.text[:300]
    assert name in response.text
    assert message in response.text
    assert _results(home) == before


def test_an_oversized_upload_is_refused_before_it_is_read(base):
    with closing(logged_in(base, "office", new_address())) as office:
        response = _post(office, b"\0" * (3 * 2**20 + 1024))
    assert response.status_code == 413


def test_a_workbook_with_errors_lists_them_and_stores_nothing(base, home):
    before = _results(home)
    with closing(logged_in(base, "office", new_address())) as office:
        response = _post(office, _workbook(share="二十"))
    assert response.status_code == 400
    assert "源解析!3 贡献率%" in html.unescape(response.text)
    assert _results(home) == before


def test_stored_xss_in_an_imported_result_is_shown_as_text(base, home):
    with closing(logged_in(base, "office", new_address())) as office:
        response = _post(office, _workbook(name="攻击" + XSS, source=XSS))
        assert response.status_code == 303, response.text[:500]
        page = office.get("/ledger/roadmap")
    assert page.status_code == 200
    assert XSS not in page.text
    assert html.escape(XSS, quote=False) in page.text or "&lt;script&gt;" in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "<script>" not in page.text.replace('<script type="application/json"', "")
    data = page.text.split('id="roadmap-chart-data">')[1].split("</script>")[0]
    assert "<" not in data  # the JSON block cannot close itself


@pytest.mark.parametrize(
    "query",
    [
        "target_year=99999",
        "target_year=abc",
        "month=../../etc",
        "month=2019-13",
        "month=" + "9" * 40,
    ],
)
def test_hostile_query_values_are_refused(base, query):
    with closing(logged_in(base, "leader", new_address())) as leader:
        response = leader.get(f"/ledger/roadmap?{query}")
    assert response.status_code == 400
    assert "Traceback" not in response.text


def test_every_role_that_reads_the_plan_sees_the_page_and_the_download(base):
    for name in ("office", "leader", "hb"):
        with closing(logged_in(base, name, new_address())) as user:
            page = user.get("/ledger/roadmap")
            assert page.status_code == 200
            assert "示例数据" in page.text
            download = user.get("/ledger/roadmap.xlsx")
            assert download.status_code == 200
            assert download.content[:2] == b"PK"


# --- /api/v1/roadmap: the page's document as JSON, CSV and xlsx --------------------------------


def test_the_api_needs_a_session_and_answers_json_errors(base):
    with closing(client(base, new_address())) as anonymous:
        for query in ("", "?format=csv", "?format=xlsx", "?table=needs&format=csv"):
            response = anonymous.get(f"/api/v1/roadmap{query}")
            assert response.status_code == 401
            assert response.json()["detail"]["field"] == "session"
            assert "冷水滩区" not in response.text
        anonymous.cookies.set("lantian_session", "forged" * 7)
        assert anonymous.get("/api/v1/roadmap").status_code == 401


def test_the_api_serves_the_pages_document_in_every_format(base):
    with closing(logged_in(base, "leader", new_address())) as leader:
        document = leader.get("/api/v1/roadmap")
        assert document.status_code == 200, document.text[:300]
        doc = document.json()
        page = leader.get("/ledger/roadmap")
        download = leader.get("/ledger/roadmap.xlsx")
        workbook = leader.get("/api/v1/roadmap?format=xlsx")
        measures = leader.get("/api/v1/roadmap?format=csv")
        needs = leader.get("/api/v1/roadmap?format=csv&table=summary")
    with closing(client(base, new_address())) as anonymous:  # never from a response cache
        for query in ("", "?format=csv", "?format=xlsx", "?format=csv&table=summary"):
            assert anonymous.get(f"/api/v1/roadmap{query}").status_code == 401
    assert doc["area"] == "冷水滩区中心城区"
    assert doc["example"] is True  # EXAMPLE links and fractions (示例数据)
    assert doc["measures"]
    # the same service as the page: its numbers and the workbook's sheets
    assert f"{doc['after_planned']}" in page.text
    assert doc["summary_zh"] in html.unescape(page.text)
    assert workbook.status_code == 200, workbook.text[:300]
    assert workbook.headers["content-type"].startswith("application/vnd.openxml"), workbook.text[
        :300
    ]
    sheets = _sheets(workbook.content)
    assert sheets == _sheets(download.content)
    assert list(sheets) == ["路线图", "措施贡献", "缺口所需削减", "逐月对比"]
    assert measures.headers["content-type"].startswith("text/csv")
    text = measures.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [int(r["措施"]) for r in rows] == [m["measure"] for m in doc["measures"]]
    assert [float(r["计划 PM2.5 降幅 (µg/m³)"]) for r in rows] == [
        m["planned_ugm3"] for m in doc["measures"]
    ]
    assert all("示例数据" in r["依据"] for r in rows)
    summary = {
        r["项目"]: r["数值"] for r in csv.DictReader(io.StringIO(needs.text.lstrip("\ufeff")))
    }
    assert float(summary["剩余缺口 (µg/m³)"]) == doc["residual_gap"]


def _sheets(content: bytes) -> dict[str, list[tuple]]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


@pytest.mark.parametrize(
    "query",
    [
        "target_year=99999",
        "target_year=-1",
        "target_year=abc",
        "month=../../etc",
        "month=2019-13",
        "month=" + "9" * 40,
        "table=../../etc/passwd",
        "format=exe",
        "month=%3Cscript%3E",
    ],
)
def test_hostile_api_queries_are_refused_as_json(base, query):
    with closing(logged_in(base, "hb", new_address())) as reporter:
        response = reporter.get(f"/api/v1/roadmap?{query}")
    assert response.status_code == 400, response.text[:300]
    assert response.headers["content-type"].startswith("application/json")
    assert "Traceback" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"  # an echoed <script> is JSON


def test_a_target_year_without_an_inventory_is_404_naming_it(base):
    with closing(logged_in(base, "office", new_address())) as office:
        response = office.get("/api/v1/roadmap?target_year=2031")
    assert response.status_code == 404
    detail = response.json()["detail"]
    assert detail["field"] == "inventory"
    assert "2030" in detail["zh"]
    assert "2030" in detail["en"]
