"""The case pages (``/ledger/cases…``) attacked over real sockets on a real ``lantian serve``:
stored XSS in an answer, a note and an evidence file's name; a reporter of another unit trying
every action on a case that is not theirs (IDOR); hostile case ids; hostile evidence files (a path
in the name, a wrong type, over the limit). Cases are opened from constructed alarms of the
example registry's simulated dust monitor, as the alarm evaluator opens them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from lantian.alarms.store import AlarmStore
from lantian.cases import alarms as case_alarms
from lantian.plan.database import create_ledger_engine, transaction
from lantian.plan.reports import MAX_EVIDENCE_BYTES
from tests.attacking import logged_in, new_address, running, server_env
from tests.web_sites.conftest import live_home

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ACTIONS = ("accept", "decline", "answer", "evidence", "dispatch", "return", "close", "escalate")
FILE_FIELDS = {"answer": "evidence", "evidence": "file"}
"""The actions' file fields (lantian.cases.service.CASE_ACTIONS)."""


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return live_home(tmp_path_factory.mktemp("case-pages") / "home")


def evidence_files(home: Path) -> list[str]:
    return sorted(p.name for p in (home / "evidence").rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def base(home) -> Iterator[str]:
    engine = create_ledger_engine(f"sqlite:///{home / 'plan.sqlite3'}")
    with transaction(engine) as db:
        for alarm in AlarmStore(home / "alarms").read().to_pylist():
            case_alarms.open_from_alarm(db, alarm)
    engine.dispose()
    env = server_env(
        LANTIAN_ALARM_RULES=str(home / "rules.toml"), LANTIAN_TRUSTED_PROXIES="127.0.0.1"
    )
    with running(home, env) as url:
        yield url


def user(base: str, name: str):
    return closing(logged_in(base, name, new_address()))


def post(http, path: str, files=None, **fields):
    return http.post(path, data={"csrf_token": http.csrf, **fields}, files=files)


@pytest.fixture(scope="module")
def zj_case(base) -> int:
    """A case dispatched to 区住建局 (the reporter ``zj``'s unit)."""
    with user(base, "office") as office:
        page = office.get("/ledger/cases").text
        case = int(re.search(r'data-case="(\d+)" data-status="pending"', page).group(1))
        assert post(office, f"/ledger/cases/{case}/dispatch", unit="区住建局").status_code == 303
    return case


def test_stored_xss_in_answers_notes_and_file_names_is_escaped(base, zj_case):
    with user(base, "zj") as zj:
        answered = post(
            zj,
            f"/ledger/cases/{zj_case}/answer",
            files={"evidence": (f"{XSS}.png", b"\x89PNG\r\n\x1a\n", "image/png")},
            answer=XSS,
        )
        assert answered.status_code in (303, 400), answered.text[:300]
        page = zj.get(f"/ledger/cases/{zj_case}")
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "onerror=alert(1)>" not in page.text
    assert "script-src" not in page.headers["content-security-policy"]  # no script at all
    with user(base, "office") as office:
        queue = office.get("/ledger/cases", params={"show": "all"}).text
    assert "<script>alert" not in queue


@pytest.mark.parametrize("action", ACTIONS)
def test_a_reporter_of_another_unit_can_do_nothing(base, home, zj_case, action):
    """Its files are new bytes (none stored yet): a refused upload leaves no file behind."""
    before = evidence_files(home)
    new_bytes = b"\x89PNG\r\n\x1a\n" + f"hb {action}".encode()
    with user(base, "hb") as hb:
        answer = post(
            hb,
            f"/ledger/cases/{zj_case}/{action}",
            files={FILE_FIELDS[action]: ("a.png", new_bytes, "image/png")}
            if action in FILE_FIELDS
            else None,
            answer="不是我们的", note="x", reason="x", closure="x", unit="区环保局",
        )  # fmt: skip
        assert answer.status_code == 403, (action, answer.status_code)
        assert hb.get(f"/ledger/cases/{zj_case}").status_code == 403
    with user(base, "office") as office:
        steps = office.get(f"/ledger/cases/{zj_case}").text
    assert "不是我们的" not in steps
    assert "环保局填报员" not in steps
    assert evidence_files(home) == before


@pytest.mark.parametrize(
    "case", ["..%2F..%2Fetc%2Fpasswd", "1%20OR%201=1", "0", "-1", str(2**31), "9" * 300, "%00"]
)
def test_hostile_case_ids_are_refused(base, case):
    with user(base, "office") as office:
        for answer in (
            office.get(f"/ledger/cases/{case}"),
            post(office, f"/ledger/cases/{case}/close", closure="x"),
        ):
            assert 400 <= answer.status_code < 500, (case, answer.status_code)
            assert "Traceback" not in answer.text
            assert "root:" not in answer.text


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("../../../../etc/cron.d/x.png", b"\x89PNG\r\n\x1a\n"),
        ("run.sh", b"#!/bin/sh\nrm -rf /\n"),
        ("huge.pdf", b"%PDF-1.4\n" + b"0" * (MAX_EVIDENCE_BYTES + 10)),
    ],
)
def test_hostile_evidence_files_store_nothing_outside(base, zj_case, name, content, tmp_path):
    with user(base, "zj") as zj:
        answer = post(
            zj,
            f"/ledger/cases/{zj_case}/evidence",
            files={"file": (name, content, "image/png")},
        )
        assert answer.status_code in (303, 400, 413), answer.status_code
        page = zj.get(f"/ledger/cases/{zj_case}").text
    assert "etc/cron.d" not in page
    assert not Path("/etc/cron.d/x.png").exists()
    assert "run.sh" not in page


def test_the_map_shows_no_reporter_another_units_case(base, zj_case):
    """The map's alarms (every role reads the registry) named the case of each alarm, its
    number and status, whoever's unit it was; a reporter of another unit now sees the alarm
    but not the case (as the case itself answers 403), its own unit's reporter and the office
    see it."""
    with user(base, "office") as office, user(base, "zj") as zj, user(base, "hb") as hb:
        for reader in (office, zj):
            assert zj_case in {
                a["case_id"] for a in reader.get("/ledger/map/data").json()["alarms"]
            }
        alarms = hb.get("/ledger/map/data").json()["alarms"]
        assert alarms  # the alarms themselves stay on the map
        assert {(a["case_id"], a["case_status"]) for a in alarms} == {(None, None)}
        assert f'data-case="{zj_case}"' not in hb.get("/ledger/map").text
        assert hb.get(f"/ledger/cases/{zj_case}").status_code == 403
