"""``/api/v1/cases`` attacked over real sockets on a real ``lantian serve``: every route without a
session, every action without (or with a forged) CSRF token, a reporter reaching for another unit's
case (IDOR), oversized and malformed evidence uploads, ids out of range, SQL and script text in
answers. After each refusal the ledger holds exactly what it held before."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from lantian.plan.access import SYSTEM
from lantian.plan.database import create_ledger_engine, transaction
from lantian.sources.example import import_example
from lantian.web.guard import BODY_LIMITS
from tests.attacking import running, server_env

from .conftest import attack_home
from .test_http import raw_request

API = "/api/v1/cases"
POSTS = ["dispatch", "accept", "decline", "answer", "evidence", "return", "close", "escalate"]
FIELDS = {
    "unit": "区住建局",
    "note": "说明",
    "answer": "已整改",
    "reason": "理由",
    "closure": "已办结",
}


@pytest.fixture(scope="module")
def home(tmp_path_factory, web_home) -> Path:
    """The attack home, its ledger with the EXAMPLE registry (示例, invented) registered."""
    folder = attack_home(tmp_path_factory.mktemp("cases-attacked") / "home", web_home)
    engine = create_ledger_engine(f"sqlite:///{folder / 'plan.sqlite3'}")
    with transaction(engine) as db:
        import_example(db, SYSTEM)
    engine.dispose()
    return folder


@pytest.fixture(scope="module")
def server(home) -> Iterator[str]:
    with running(home, server_env(LANTIAN_TRUSTED_PROXIES="127.0.0.1")) as base:
        yield base


def stored(home: Path) -> dict[str, object]:
    """What a write could change: the case tables' rows, the audit log, the evidence files."""
    with sqlite3.connect(home / "plan.sqlite3") as connection:
        counts = {
            table: connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("cases", "case_steps", "evidence", "audit_log")
        }
        counts["statuses"] = connection.execute(
            "SELECT group_concat(status) FROM (SELECT status FROM cases ORDER BY id)"
        ).fetchone()[0]
    folder = home / "evidence"
    counts["files"] = sorted(p.name for p in folder.rglob("*") if p.is_file())
    return counts


def open_case(visitor, source: str = "示例GD01", title: str = "扬尘投诉") -> int:
    """A case on ``source`` (示例GD01 → 区住建局, reporter ``zj``), dispatched by the office."""
    office = visitor("office")
    opened = office.post(
        API,
        data={"origin": "complaint", "title": title, "source": source, "csrf_token": office.csrf},
    )
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["case_id"]
    assert office.post(f"{API}/{case_id}/dispatch", data={"csrf_token": office.csrf}).is_success
    return case_id


def _post(http, case_id: int, action: str, csrf: str | None, content: bytes | None = None):
    """``action`` with every field; ``evidence`` with a file (``content``, default the same bytes
    each time), ``answer`` with one if ``content`` is given."""
    data = dict(FIELDS)
    if csrf is not None:
        data["csrf_token"] = csrf
    files = None
    if action == "evidence":
        files = {"file": ("a.pdf", content or b"%PDF-1.4 x", "application/pdf")}
    elif action == "answer" and content is not None:
        files = {"evidence": ("a.pdf", content, "application/pdf")}
    return http.post(f"{API}/{case_id}/{action}", data=data, files=files)


def test_every_route_needs_a_session(server, home, visitor):
    case_id = open_case(visitor)
    before = stored(home)
    anonymous = visitor()
    assert anonymous.get(API).status_code == 401
    assert anonymous.get(f"{API}/{case_id}").status_code == 401
    assert anonymous.post(API, data={"origin": "complaint", "title": "x"}).status_code == 401
    for action in POSTS:
        response = _post(anonymous, case_id, action, "any")
        assert response.status_code == 401, action
        assert response.headers["content-type"].startswith("application/json")
    forged = visitor()
    forged.cookies.set("lantian_session", "forged-token-" + "x" * 30)
    assert forged.get(API).status_code == 401
    assert stored(home) == before


@pytest.mark.parametrize("csrf", [None, "", "forged-csrf-token"])
def test_every_action_needs_the_sessions_csrf_token(server, home, visitor, csrf):
    case_id = open_case(visitor)
    before = stored(home)
    office, reporter = visitor("office"), visitor("zj")
    assert office.post(API, data={"origin": "complaint", "title": "x", "source": "示例GD01",
                                  **({"csrf_token": csrf} if csrf is not None else {})}).status_code == 403  # fmt: skip
    for action in POSTS:
        http = reporter if action in ("accept", "decline", "answer") else office
        response = _post(http, case_id, action, csrf)
        assert response.status_code == 403, (action, response.text)
        assert response.json()["detail"]["field"] == "csrf_token"
    # another user's token is not this session's
    assert _post(office, case_id, "escalate", reporter.csrf).status_code == 403
    assert stored(home) == before


def test_a_reporter_cannot_reach_another_units_case(server, home, visitor):
    """IDOR: 区环保局's reporter (hb) on a case of 区住建局: every read and action is 403, the
    list does not show it, its evidence does not download. The refused uploads are new bytes (not
    the owner's file, which is stored already): the evidence folder must stay as it was."""
    case_id = open_case(visitor)
    owner = visitor("zj")
    uploaded = _post(owner, case_id, "evidence", owner.csrf)
    assert uploaded.status_code == 200, uploaded.text
    evidence_id = uploaded.json()["evidence"][0]["evidence_id"]
    before = stored(home)
    intruder = visitor("hb")
    assert intruder.get(f"{API}/{case_id}").status_code == 403
    assert case_id not in [c["case_id"] for c in intruder.get(API).json()["cases"]]
    assert intruder.get(f"/ledger/evidence/{evidence_id}").status_code == 403
    for action in POSTS:
        new_bytes = f"%PDF-1.4 intruder {action}".encode()
        response = _post(intruder, case_id, action, intruder.csrf, new_bytes)
        assert response.status_code == 403, (action, response.text)
    leader = visitor("leader")
    assert leader.get(f"{API}/{case_id}").status_code == 200
    assert _post(leader, case_id, "close", leader.csrf).status_code == 403
    for action in ("evidence", "answer"):  # read-only
        response = _post(leader, case_id, action, leader.csrf, f"%PDF-1.4 leader {action}".encode())
        assert response.status_code == 403, (action, response.text)
    assert stored(home) == before


@pytest.mark.parametrize("number", ["99999999999999999999", "-5", "0", "abc", "99999"])
def test_ids_out_of_range_are_refused_not_500(visitor, number):
    office = visitor("office")
    assert office.get(f"{API}/{number}").status_code in (400, 404)
    for action in POSTS:
        response = _post(office, number, action, office.csrf)
        assert response.status_code in (400, 404), (action, response.text[:200])


def test_an_anonymous_oversized_upload_is_refused_before_its_body(server):
    size = 20 * 2**20
    head = (
        f"POST {API}/1/evidence HTTP/1.1\nHost: lantian\nContent-Length: {size}\n"
        "Content-Type: multipart/form-data; boundary=x\n"
    )
    status, sent = raw_request(server, head, [b"x" * 2**16] * (size // 2**16))
    assert status == 401
    assert sent < size


def test_oversized_evidence_is_refused_and_nothing_is_stored(server, home, visitor):
    case_id = open_case(visitor)
    reporter = visitor("zj")
    before = stored(home)
    over_route = BODY_LIMITS["/api/v1/cases"] + 2**20
    response = reporter.post(
        f"{API}/{case_id}/evidence",
        data={"csrf_token": reporter.csrf},
        files={"file": ("big.pdf", b"x" * over_route, "application/pdf")},
    )
    assert response.status_code == 413
    over_file = 20 * 2**20 + 1  # under the route's limit, over the evidence limit
    response = reporter.post(
        f"{API}/{case_id}/answer",
        data={"csrf_token": reporter.csrf, "answer": "附件"},
        files={"evidence": ("big.pdf", b"x" * over_file, "application/pdf")},
    )
    assert response.status_code == 400
    assert response.json()["detail"]["field"] == "content"
    assert stored(home) == before  # the answer was refused with its file: one transaction


@pytest.mark.parametrize(
    ("filename", "content", "field"),
    [
        ("run.exe", b"MZ\x90\x00", "filename"),
        ("page.html", b"<script>alert(1)</script>", "filename"),
        ("empty.pdf", b"", "content"),
        ("", b"%PDF", "file"),
    ],
)
def test_malformed_evidence_is_refused(server, home, visitor, filename, content, field):
    case_id = open_case(visitor)
    reporter = visitor("zj")
    before = stored(home)
    response = reporter.post(
        f"{API}/{case_id}/evidence",
        data={"csrf_token": reporter.csrf},
        files={"file": (filename, content, "application/octet-stream")},
    )
    assert response.status_code == 400, response.text
    assert field in response.json()["detail"]["field"]
    assert stored(home) == before


def test_a_broken_multipart_body_is_400_not_500(server, visitor):
    case_id = open_case(visitor)
    reporter = visitor("zj")
    response = reporter.post(
        f"{API}/{case_id}/evidence",
        content=b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\nabc',
        headers={"Content-Type": "multipart/form-data; boundary=x", "X-CSRF-Token": reporter.csrf},
    )
    assert response.status_code == 400, response.text


def test_a_path_in_the_file_name_is_dropped(server, home, visitor):
    case_id = open_case(visitor)
    reporter = visitor("zj")
    response = reporter.post(
        f"{API}/{case_id}/evidence",
        data={"csrf_token": reporter.csrf},
        files={"file": ("../../../etc/passwd.pdf", b"%PDF-1.4 y", "application/pdf")},
    )
    assert response.status_code == 200, response.text
    evidence = response.json()["evidence"][-1]
    assert evidence["filename"] == "passwd.pdf"
    assert (home / "evidence" / evidence["sha256"][:2] / evidence["sha256"]).is_file()


@pytest.mark.parametrize(
    "text",
    [
        "'; DROP TABLE cases; --",
        "1' OR '1'='1",
        "<script>alert('x')</script><img src=x onerror=alert(1)>",
        '=HYPERLINK("http://evil.example","点击")',
    ],
)
def test_sql_and_script_text_is_stored_as_text(server, home, visitor, text):
    case_id = open_case(visitor, title=text)
    reporter, office = visitor("zj"), visitor("office")
    response = reporter.post(
        f"{API}/{case_id}/answer", data={"answer": text, "csrf_token": reporter.csrf}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["x-content-type-options"] == "nosniff"
    shown = office.get(f"{API}/{case_id}").json()
    assert shown["steps"][-1]["note"] == text
    listed = office.get(API, params={"status": text})  # as a filter: refused, not run
    assert listed.status_code == 400
    assert json.loads(office.get(API).content)["cases"]  # the table is still there
    csv_text = office.get(API, params={"format": "csv"}).content.decode("utf-8-sig")
    assert ",=HYPERLINK" not in csv_text  # a formula comes back as text ('=…), never run
    with sqlite3.connect(home / "plan.sqlite3") as connection:
        assert connection.execute("SELECT COUNT(*) FROM cases").fetchone()[0] >= 1
