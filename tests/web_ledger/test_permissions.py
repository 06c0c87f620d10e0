"""Every role against every write route of the ledger pages, allowed and refused.

The expected table is written out here from the issue's roles (docs/plan-ledger.md, “Who may do
what”), independently of :data:`lantian.plan.access.PERMISSIONS`: the office reviews, locks,
supervises and records scores; a unit's reporter files and imports its own unit's reports; a leader
only reads; nobody (no session) does nothing. A refusal stores nothing at all.
"""

from __future__ import annotations

import pytest

from .helpers import LOCKED_MONTH, MONTH, prepare, report_workbook, stored

ROLES = ("office", "leader", "hb", "zj", None)
"""hb reports for 区环保局 (whose task the report routes act on), zj for 区住建局."""

OFFICE_ONLY = {"office": 303, "leader": 403, "hb": 403, "zj": 403, None: 401}
OWN_REPORTER = {"office": 403, "leader": 403, "hb": 303, "zj": 403, None: 401}
EXPECTED = {
    "file_report": OWN_REPORTER,
    "add_evidence": OWN_REPORTER,
    "review": OFFICE_ONLY,
    "lock": OFFICE_ONLY,
    "unlock": OFFICE_ONLY,
    "record_supervision": OFFICE_ONLY,
    "close_supervision": OFFICE_ONLY,
    "record_assessment": OFFICE_ONLY,
    # zj's import of 区环保局's rows is refused row by row: 400 with the rows' errors
    "import": {"office": 403, "leader": 403, "hb": 303, "zj": 400, None: 401},
}
PDF = ("证明材料.pdf", b"%PDF-1.4 evidence", "application/pdf")


def write_request(route: str, ids: dict[str, int]) -> tuple[str, dict, dict | None]:
    """(path, form fields, files) of a valid post to ``route``."""
    return {
        "file_report": (
            "/ledger/reports",
            {"task_id": ids["task_id"], "month": MONTH, "status": "completed", "narrative": "完成"},
            {"evidence": PDF},
        ),
        "add_evidence": (f"/ledger/reports/{ids['report_id']}/evidence", {}, {"evidence": PDF}),
        "review": (f"/ledger/reports/{ids['report_id']}/review", {"decision": "accepted"}, None),
        "lock": (f"/ledger/months/{MONTH}/lock", {}, None),
        "unlock": (f"/ledger/months/{LOCKED_MONTH}/unlock", {}, None),
        "record_supervision": (
            "/ledger/supervision",
            {"step": "interview", "unit": "区环保局", "on": "2019-06-03", "finding": "进度滞后"},
            None,
        ),
        "close_supervision": (
            f"/ledger/supervision/{ids['supervision_id']}/close",
            {"closed_on": "2019-06-01", "closure": "已整改"},
            None,
        ),
        "record_assessment": ("/ledger/assessment/2019/record", {}, None),
        "import": (
            "/ledger/import",
            {},
            {"workbook": ("月度进展.xlsx", report_workbook(ids["task_id"], "区环保局"), "x")},
        ),
    }[route]


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "nobody")
@pytest.mark.parametrize("route", sorted(EXPECTED))
def test_role_against_write_route(engine, home, login, route, role):
    ids = prepare(engine)
    client, csrf = login(role)
    path, data, files = write_request(route, ids)
    before = stored(engine, home)
    response = client.post(path, data={**data, "csrf_token": csrf}, files=files)
    expected = EXPECTED[route][role]
    assert response.status_code == expected, response.text
    after = stored(engine, home)
    if expected == 303:
        assert after != before  # something was stored …
        assert after["audit_log"] > before["audit_log"]  # … and audited
        assert response.headers["location"].startswith("/ledger")
        assert client.get(response.headers["location"], follow_redirects=True).status_code == 200
    else:
        assert after == before
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert 'class="error-message"' in response.text
        assert "/" not in response.text.split('id="error-message"')[1][:3]  # Chinese, shown


@pytest.mark.parametrize("route", sorted(EXPECTED))
def test_every_write_route_refuses_a_form_without_its_csrf_token(engine, home, login, route):
    """Even the role allowed to post is refused (403) without the token or with another
    session's, and nothing is stored."""
    ids = prepare(engine)
    allowed = next(role for role in ROLES if EXPECTED[route][role] == 303)
    client, _ = login(allowed)
    _, other_csrf = login(allowed)  # a second session of the same user
    path, data, files = write_request(route, ids)
    before = stored(engine, home)
    for token in (None, "", "forged", other_csrf):
        form = data if token is None else {**data, "csrf_token": token}
        response = client.post(path, data=form, files=files)
        assert response.status_code == 403, response.text
        assert "防伪令牌" in response.text
    assert stored(engine, home) == before
