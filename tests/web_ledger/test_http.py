"""The ledger pages over HTTP: login, cookies, rate limiting, refusals with their Chinese message,
uploads, locked months, what each role may read, downloads, language, nothing from outside."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from lantian.plan.auth import POLICY
from lantian.web.ledger.routing import MAX_REQUEST_BYTES

from .conftest import PASSWORD, log_in, login_form_token
from .helpers import LOCKED_MONTH, MONTH, general_task, prepare, stored

READ_PAGES = (
    "/ledger",
    f"/ledger/overdue?month={MONTH}",
    f"/ledger/summary?month={MONTH}",
    f"/ledger/supervision?month={MONTH}",
    "/ledger/assessment?year=2019",
    f"/ledger/units/区住建局?month={MONTH}",
    f"/ledger/export.xlsx?month={MONTH}",
)


def test_login_sets_httponly_lax_session_cookie_and_logout_ends_it(client):
    response = log_in(client, "office")
    assert response.status_code == 303
    assert response.headers["location"] == "/ledger"
    cookies = {c.split("=")[0]: c for c in response.headers.get_list("set-cookie")}
    for name in ("lantian_session", "lantian_csrf"):
        flags = cookies[name].lower()
        assert "httponly" in flags
        assert "samesite=lax" in flags
        assert "path=/;" in flags or flags.endswith("path=/")
    assert client.get("/ledger").status_code == 200
    csrf = client.cookies["lantian_csrf"]
    assert client.post("/ledger/logout", data={"csrf_token": csrf}).status_code == 303
    client.cookies.clear()
    client.cookies.set(
        "lantian_session",
        re.search(r"lantian_session=([^;]+)", cookies["lantian_session"]).group(1),
        path="/ledger",
    )
    refused = client.get("/ledger")
    assert refused.status_code == 401
    assert "未登录或会话已结束" in refused.text


def test_wrong_password_is_401_with_the_chinese_message(client, engine, home):
    response = log_in(client, "hb", "wrong password")
    assert response.status_code == 401
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "用户名或密码错误" in response.text
    assert "lantian_session" not in response.headers.get("set-cookie", "")


def test_login_without_its_csrf_token_is_refused(client, engine, home):
    before = stored(engine, home)
    login_form_token(client)
    response = client.post("/ledger/login", data={"name": "office", "password": PASSWORD})
    assert response.status_code == 403
    assert "防伪令牌" in response.text
    assert stored(engine, home) == before  # no session opened


def test_login_rate_limit_refuses_even_the_right_password(client, engine, home):
    statuses = [log_in(client, "zj", "wrong password").status_code for _ in range(5)]
    assert statuses[: POLICY.free_failures] == [401] * POLICY.free_failures
    assert set(statuses[POLICY.free_failures :]) == {429}  # the back-off of (zj, this address)
    throttled = log_in(client, "zj", PASSWORD)
    assert throttled.status_code == 429
    assert "登录失败次数过多" in throttled.text
    assert "lantian_session" not in throttled.headers.get("set-cookie", "")
    assert stored(engine, home)["sessions"] == 0
    assert log_in(client, "hb").status_code == 303  # another user is not affected


def test_a_report_for_another_unit_is_refused_and_stores_nothing(engine, home, login):
    task_id = general_task(engine, "区环保局")
    client, csrf = login("zj")
    assert client.get(f"/ledger/tasks/{task_id}/report?month={MONTH}").status_code == 403
    before = stored(engine, home)
    response = client.post(
        "/ledger/reports",
        data={"task_id": task_id, "month": MONTH, "status": "completed", "csrf_token": csrf},
        files={"evidence": ("a.pdf", b"%PDF", "application/pdf")},
    )
    assert response.status_code == 403
    assert "填报员只能处理本单位的数据" in response.text
    assert stored(engine, home) == before


def test_oversized_upload_is_refused_before_it_is_read(engine, home, login):
    task_id = general_task(engine, "区环保局")
    client, csrf = login("hb")
    before = stored(engine, home)
    big = b"x" * (MAX_REQUEST_BYTES + 1)
    response = client.post(
        "/ledger/reports",
        data={"task_id": task_id, "month": MONTH, "status": "completed", "csrf_token": csrf},
        files={"evidence": ("big.pdf", big, "application/pdf")},
    )
    assert response.status_code == 413
    assert "上传内容过大" in response.text
    assert stored(engine, home) == before


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("virus.exe", b"MZ", "证明材料类型应为"),
        ("empty.pdf", b"", "证明材料应非空"),
    ],
)
def test_bad_evidence_refuses_the_whole_report(engine, home, login, filename, content, message):
    task_id = general_task(engine, "区环保局")
    client, csrf = login("hb")
    before = stored(engine, home)
    response = client.post(
        "/ledger/reports",
        data={"task_id": task_id, "month": MONTH, "status": "completed", "csrf_token": csrf},
        files={"evidence": (filename, content, "application/octet-stream")},
    )
    assert response.status_code == 400
    assert message in response.text
    assert stored(engine, home) == before  # not even the report


def test_bad_form_values_are_400_with_the_field(engine, home, login):
    task_id = general_task(engine, "区环保局")
    client, csrf = login("hb")
    before = stored(engine, home)
    for data, message in (
        ({"month": "2019-13", "status": "completed"}, "不是有效月份"),
        ({"month": MONTH, "status": "finished"}, "不是有效值"),
        ({"month": MONTH, "status": "completed", "quantity": "五"}, "累计完成量应为数值"),
        ({"month": "2030-01", "status": "completed"}, "不在计划期内"),
    ):
        form = {"task_id": task_id, "csrf_token": csrf, **data}
        response = client.post("/ledger/reports", data=form)
        assert response.status_code == 400, data
        assert message in response.text
    assert client.post("/ledger/reports", data={"csrf_token": csrf}).status_code == 400
    assert stored(engine, home) == before


def test_a_locked_month_refuses_reports(engine, home, login):
    ids = prepare(engine)
    client, csrf = login("hb")
    form = client.get(f"/ledger/tasks/{ids['task_id']}/report?month={LOCKED_MONTH}")
    assert form.status_code == 200
    assert 'id="locked-message"' in form.text
    assert 'id="report-form"' not in form.text
    before = stored(engine, home)
    response = client.post(
        "/ledger/reports",
        data={"task_id": ids["task_id"], "month": LOCKED_MONTH, "status": "completed"}
        | {"csrf_token": csrf},
    )
    assert response.status_code == 403
    assert "已锁定" in response.text
    assert stored(engine, home) == before


@pytest.mark.parametrize("role", ["office", "leader"])
def test_office_and_leaders_read_every_page(login, role):
    client, _ = login(role)
    for path in READ_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        if path.endswith("xlsx") or ".xlsx?" in path:
            continue
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.headers["cache-control"] == "no-store"


def test_a_reporter_reads_only_their_unit(login):
    client, _ = login("zj")
    first = client.get("/ledger")
    assert first.status_code == 303
    assert first.headers["location"].startswith(
        "/ledger/units/%E5%8C%BA%E4%BD%8F%E5%BB%BA%E5%B1%80"
    )
    assert client.get(f"/ledger/units/区住建局?month={MONTH}").status_code == 200
    refused = client.get(f"/ledger/units/区环保局?month={MONTH}")
    assert refused.status_code == 403
    assert "填报员只能处理本单位的数据" in refused.text
    for path in READ_PAGES[1:5] + READ_PAGES[6:]:
        response = client.get(path)
        assert response.status_code == 403, path
        assert "无权查看台账" in response.text


def test_nobody_reads_nothing(client):
    for path in READ_PAGES:
        response = client.get(path)
        assert response.status_code == 401, path
        assert 'id="login-form"' in response.text
    assert client.get("/ledger/units/没有这个单位").status_code == 401


def test_unknown_things_are_404(login):
    client, _ = login("office")
    assert client.get("/ledger/units/没有这个单位").status_code == 404
    assert "没有单位" in client.get("/ledger/units/没有这个单位").text
    assert client.get("/ledger/tasks/999999/report").status_code == 404
    assert client.get("/ledger/evidence/999999").status_code == 404


def test_evidence_download_to_its_unit_office_and_leaders_only(engine, login):
    task_id = general_task(engine, "区环保局")
    reporter, csrf = login("hb")
    content = b"%PDF-1.4 \xe8\xaf\x81\xe6\x98\x8e"
    response = reporter.post(
        "/ledger/reports",
        data={"task_id": task_id, "month": MONTH, "status": "completed", "csrf_token": csrf},
        files={"evidence": ("验收报告.pdf", content, "application/pdf")},
    )
    assert response.status_code == 303
    page = reporter.get(response.headers["location"]).text
    assert "已提交月度进展" in page
    evidence_id = re.search(r'data-evidence="(\d+)"', page).group(1)
    for role, status in (("hb", 200), ("office", 200), ("leader", 200), ("zj", 403)):
        client, _ = login(role)
        download = client.get(f"/ledger/evidence/{evidence_id}")
        assert download.status_code == status, role
        if status == 200:
            assert download.content == content
            disposition = download.headers["content-disposition"]
            assert disposition.startswith("attachment;")
            assert "%E9%AA%8C%E6%94%B6%E6%8A%A5%E5%91%8A.pdf" in disposition


def test_export_is_the_views_workbook(login):
    client, _ = login("leader")
    response = client.get(f"/ledger/export.xlsx?month={MONTH}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    assert workbook.sheetnames == [
        "台账",
        "逾期清单",
        "月度汇总",
        "督查督办",
        "年度考核",
        "措施清单",
    ]


def test_template_download_and_import_by_the_reporter(engine, home, login):
    client, csrf = login("hb")
    template = client.get(f"/ledger/template.xlsx?month={MONTH}")
    assert template.status_code == 200
    workbook = load_workbook(io.BytesIO(template.content))
    sheet = workbook["月度进展"]
    header = [cell.value for cell in sheet[1]]
    assert {
        row[header.index("责任单位")] for row in sheet.iter_rows(min_row=2, values_only=True)
    } == {"区环保局"}
    sheet.cell(row=2, column=header.index("状态") + 1, value="推进中")
    buffer = io.BytesIO()
    workbook.save(buffer)
    before = stored(engine, home)
    response = client.post(
        "/ledger/import",
        data={"csrf_token": csrf},
        files={"workbook": ("月度进展.xlsx", buffer.getvalue(), "application/octet-stream")},
    )
    assert response.status_code == 303
    assert stored(engine, home)["reports"] == before["reports"] + 1


def test_a_malformed_workbook_is_refused_with_its_reason(engine, home, login):
    client, csrf = login("hb")
    before = stored(engine, home)
    response = client.post(
        "/ledger/import",
        data={"csrf_token": csrf},
        files={"workbook": ("坏.xlsx", b"not a zip", "application/octet-stream")},
    )
    assert response.status_code == 400
    assert "不是有效的 xlsx 文件" in response.text
    assert stored(engine, home) == before


def test_pages_are_chinese_first_with_the_english_switch(client):
    page = client.get("/ledger/login")
    assert '<html lang="zh-CN">' in page.text
    assert "登录达标规划台账" in page.text
    english = client.get("/ledger/login?lang=en")
    assert '<html lang="en">' in english.text
    assert "Log in to the plan ledger" in english.text
    assert "lang=en" in english.headers["set-cookie"]
    log_in(client, "office")
    ledger = client.get(f"/ledger?month={MONTH}")
    assert "Task ledger" in ledger.text
    assert "Not reported" in ledger.text


def test_nothing_is_loaded_from_outside_the_server(login):
    client, _ = login("office")
    for path in (*READ_PAGES[:-1], "/ledger/login"):
        page = client.get(path).text
        links = re.findall(r'(?:src|href|action)="([^"]*)"', page)
        assert links
        assert all(link.startswith(("/", "?", "data:")) for link in links), path
        assert "<script" not in page
        assert "Content-Security-Policy" not in page  # sent as a header, see below
    headers = client.get("/ledger").headers
    assert "default-src 'none'" in headers["content-security-policy"]
    css = client.get(re.search(r'href="(/ledger/static/ledger.css[^"]*)"', page).group(1))
    assert css.status_code == 200
    assert ".rag-red" in css.text
