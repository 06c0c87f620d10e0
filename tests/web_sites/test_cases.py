"""The case pages on a real server process, as their users click them: the office's queue and
dispatch, the unit reporter's queue, answer with an evidence file, the office's return and close;
a reporter of another unit sees and does nothing of it. Cases are opened from the constructed
alarms by the case service, as the alarm evaluator opens them (``open_from_alarm``)."""

from __future__ import annotations

import re
from contextlib import closing
from pathlib import Path

import pytest

from lantian.alarms.store import AlarmStore
from lantian.cases import alarms as case_alarms
from lantian.plan.database import create_ledger_engine, transaction
from tests.attacking import client, logged_in, new_address, running, server_env
from tests.web_sites.conftest import live_home

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
"""A constructed evidence file (the PNG signature and padding)."""


@pytest.fixture(scope="module")
def case_home(tmp_path_factory) -> Path:
    home = live_home(tmp_path_factory.mktemp("cases") / "home")
    engine = create_ledger_engine(f"sqlite:///{home / 'plan.sqlite3'}")
    with transaction(engine) as db:
        for alarm in AlarmStore(home / "alarms").read().to_pylist():
            case_alarms.open_from_alarm(db, alarm)
    engine.dispose()
    return home


@pytest.fixture(scope="module")
def base(case_home):
    env = server_env(
        LANTIAN_ALARM_RULES=str(case_home / "rules.toml"), LANTIAN_TRUSTED_PROXIES="127.0.0.1"
    )
    with running(case_home, env) as url:
        yield url


def user(base: str, name: str):
    return closing(logged_in(base, name, new_address()))


def queue(http, **params) -> dict[int, str]:
    page = http.get("/ledger/cases", params=params)
    assert page.status_code == 200
    return {int(c): s for c, s in re.findall(r'data-case="(\d+)" data-status="(\w+)"', page.text)}


def post(http, path: str, files=None, **fields):
    return http.post(path, data={"csrf_token": http.csrf, **fields}, files=files)


def status(http, case_id: int) -> str:
    page = http.get(f"/ledger/cases/{case_id}")
    assert page.status_code == 200, page.text
    return re.search(r'id="case-status" data-status="(\w+)"', page.text).group(1)


def test_the_workflow_through_the_pages(base):
    with user(base, "office") as office, user(base, "zj") as zj, user(base, "hb") as hb:
        pending = [c for c, s in queue(office).items() if s == "pending"]
        assert pending
        case = pending[0]
        opened = office.get("/ledger/map/data").json()["alarms"]
        assert case in {a["case_id"] for a in opened}  # the map links the alarm to its case
        page = office.get(f"/ledger/cases/{case}").text
        assert 'id="dispatch-form"' in page
        assert 'id="answer-form"' not in page
        sent = post(office, f"/ledger/cases/{case}/dispatch", unit="区住建局")
        assert sent.status_code == 303
        assert status(office, case) == "dispatched"
        assert case in queue(zj)
        assert case not in queue(hb)  # another unit's queue
        assert hb.get(f"/ledger/cases/{case}").status_code == 403
        refused = post(hb, f"/ledger/cases/{case}/answer", answer="不是我们的")
        assert refused.status_code == 403
        page = zj.get(f"/ledger/cases/{case}").text
        assert 'id="answer-form"' in page
        assert 'id="close-form"' not in page
        answered = post(
            zj,
            f"/ledger/cases/{case}/answer",
            files={"evidence": ("整改照片.png", PNG, "image/png")},
            answer="已停工整改，加装喷淋，复测 PM10 正常。",
        )
        assert answered.status_code == 303, answered.text
        assert status(zj, case) == "verifying"
        page = office.get(f"/ledger/cases/{case}").text
        evidence = re.search(r'href="(/ledger/evidence/\d+)">整改照片.png', page).group(1)
        assert office.get(evidence).content == PNG
        returned = post(office, f"/ledger/cases/{case}/return", reason="请补充复测数据")
        assert returned.status_code == 303
        assert status(zj, case) == "returned"
        post(zj, f"/ledger/cases/{case}/answer", answer="补充：复测 PM10 为 65 μg/m³。")
        closed = post(office, f"/ledger/cases/{case}/close", closure="现场核查属实，办结。")
        assert closed.status_code == 303
        assert status(office, case) == "closed"
        alarms = office.get("/ledger/map/data").json()["alarms"]
        assert case not in {a["case_id"] for a in alarms}  # closed: no longer open on the map
        assert all(a["case_status"] != "closed" for a in alarms)
        assert case not in queue(zj)  # the open queue
        assert case in queue(zj, show="all")


def test_the_site_page_lists_its_cases(base):
    with user(base, "zj") as zj:
        sources = {d["mn"]: d["source_id"] for d in zj.get("/ledger/map/data").json()["devices"]}
        page = zj.get(f"/ledger/sites/{sources['EXAMPLE00DUST0001']}").text
    assert 'id="site-cases"' in page


@pytest.mark.parametrize(
    "action", ["dispatch", "accept", "decline", "answer", "return", "close", "escalate"]
)
def test_posts_need_the_sessions_csrf_token(base, action):
    with user(base, "office") as office:
        case = next(iter(queue(office, show="all")))
        forged = office.post(f"/ledger/cases/{case}/{action}", data={"csrf_token": "forged"})
        assert forged.status_code == 403
        missing = office.post(f"/ledger/cases/{case}/{action}", data={})
        assert missing.status_code == 403
    with closing(client(base, new_address())) as anonymous:
        assert anonymous.post(f"/ledger/cases/{case}/{action}", data={}).status_code == 401
        assert anonymous.get(f"/ledger/cases/{case}").status_code == 401
        assert anonymous.get("/ledger/cases").status_code == 401
