"""``/api/v1/cases``: the case workflow over HTTP with the ledger's session and CSRF token (the
service's role × action matrix runs on SQLite and PostgreSQL in tests/cases; here the web layer:
statuses, JSON errors, formats, CSRF, the whole way from opening to closing)."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from lantian.plan.access import SYSTEM
from lantian.plan.database import transaction
from lantian.sources.example import import_example

API = "/api/v1/cases"


def _registry(engine) -> None:
    with transaction(engine) as db:
        import_example(db, SYSTEM)


def test_the_whole_way_over_http(engine, login):
    _registry(engine)
    office, office_csrf = login("office")
    zj, zj_csrf = login("zj")
    hb, hb_csrf = login("hb")
    opened = office.post(
        API,
        data={"origin": "complaint", "title": "夜间施工扬尘", "source": "示例GD01",
              "ref": "12369-1", "csrf_token": office_csrf},
    )  # fmt: skip
    assert opened.status_code == 201, opened.text
    case = opened.json()
    assert (case["status"], case["unit"], case["actions"]) == ("pending", "区住建局", [
        "dispatch", "escalate", "evidence"])  # fmt: skip
    url = f"{API}/{case['case_id']}"
    # the header works as well as the form field
    dispatched = office.post(f"{url}/dispatch", headers={"X-CSRF-Token": office_csrf})
    assert dispatched.status_code == 200, dispatched.text
    assert dispatched.json()["deadline"]
    assert hb.get(url).status_code == 403  # another unit's case
    assert hb.post(f"{url}/accept", data={"csrf_token": hb_csrf}).status_code == 403
    assert zj.get(url).json()["actions"] == ["decline", "accept", "answer", "evidence"]
    answered = zj.post(
        f"{url}/answer",
        data={"answer": "已停工洒水", "csrf_token": zj_csrf},
        files={"evidence": ("现场.jpg", b"\xff\xd8\xff photo", "image/jpeg")},
    )
    assert answered.status_code == 200, answered.text
    document = answered.json()
    assert document["status"] == "verifying"
    evidence_id = document["evidence"][0]["evidence_id"]
    assert zj.get(f"/ledger/evidence/{evidence_id}").content == b"\xff\xd8\xff photo"
    assert hb.get(f"/ledger/evidence/{evidence_id}").status_code == 403
    again = zj.post(f"{url}/answer", data={"answer": "再答", "csrf_token": zj_csrf})
    assert again.status_code == 409
    assert again.json()["detail"]["field"] == "status"
    assert "待核查" in again.json()["detail"]["zh"]
    closed = office.post(f"{url}/close", data={"closure": "复查属实", "csrf_token": office_csrf})
    assert closed.status_code == 200, closed.text
    assert closed.json()["status_zh"] == "已办结"

    assert [c["case_id"] for c in zj.get(API).json()["cases"]] == [case["case_id"]]
    assert hb.get(API).json()["cases"] == []
    csv_text = office.get(API, params={"format": "csv"}).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("案件编号,来源,事由")
    book = load_workbook(io.BytesIO(office.get(API, params={"format": "xlsx"}).content))
    assert book.active["G2"].value == "区住建局"


def test_without_a_session_or_csrf_nothing_happens(engine, login):
    _registry(engine)
    anonymous, _ = login(None)
    assert anonymous.get(API).status_code == 401
    assert anonymous.post(API, data={"origin": "complaint", "title": "x"}).status_code == 401
    office, _ = login("office")
    refused = office.post(API, data={"origin": "complaint", "title": "x", "source": "示例GD01"})
    assert refused.status_code == 403
    assert refused.json()["detail"]["field"] == "csrf_token"
    wrong = office.post(
        API,
        data={"origin": "complaint", "title": "x", "source": "示例GD01", "csrf_token": "forged"},
    )
    assert wrong.status_code == 403
    assert office.get(API).json()["cases"] == []


def test_errors_are_json_with_their_status(engine, login):
    _registry(engine)
    office, csrf = login("office")
    assert office.get(f"{API}/99").status_code == 404
    assert office.get(f"{API}/0").status_code == 400
    assert office.get(f"{API}/99999999999").status_code == 400
    bad = office.post(
        API, data={"origin": "permit", "title": "x", "source": "示例GD01", "csrf_token": csrf}
    )
    assert bad.status_code == 400
    assert bad.json()["detail"]["field"] == "origin"
    no_place = office.post(API, data={"origin": "complaint", "title": "x", "csrf_token": csrf})
    assert no_place.status_code == 400
    assert office.get(API, params={"status": "lost"}).status_code == 400
