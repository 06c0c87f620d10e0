"""The API (``POST /api/v1/cases/{case_id}/{action}``) and the pages (``POST
/ledger/cases/{case_id}/{action}``) take every case action to the same result: for each action of
the one table (:data:`lantian.cases.service.CASE_ACTIONS`, so a new action is tested the day it is
added), each role, from a status that allows it and from one that does not, two twin cases — one
acted on through the API, one through the page — end the same (status, unit, deadline, steps,
evidence), and a refusal is the same refusal (status and message).

The cases are complaints on the EXAMPLE site 示例GD01 (示例, invented), whose unit 区住建局 is the
reporter ``zj``'s; ``hb`` reports for another unit."""

from __future__ import annotations

import datetime as dt
import html
import re
from importlib import resources

import pytest

from lantian.cases.service import CASE_ACTIONS
from lantian.cases.workflow import STATUSES
from lantian.plan.access import SYSTEM
from lantian.plan.database import transaction
from lantian.sources.example import import_example
from lantian.times import beijing_today

API = "/api/v1/cases"
ROLES = ("office", "leader", "hb", "zj")
IN_A_MONTH = (beijing_today() + dt.timedelta(days=30)).isoformat()
SAMPLES = {"text": "区住建局", "day": IN_A_MONTH, "narrative": "现场核实：已洒水降尘"}
"""A valid value of each field kind (``text``: the only text field is a unit's name)."""
PHOTO = ("现场.jpg", b"\xff\xd8\xff photo", "image/jpeg")

PATHS = {
    "pending": [],
    "dispatched": [("office", "dispatch")],
    "handling": [("office", "dispatch"), ("zj", "accept")],
    "verifying": [("office", "dispatch"), ("zj", "answer")],
    "returned": [("office", "dispatch"), ("zj", "answer"), ("office", "return")],
    "closed": [("office", "dispatch"), ("zj", "answer"), ("office", "close")],
}
"""How a fresh case reaches each status (who takes which action)."""

SAME_REFUSAL = {200: 303, 201: 303, 400: 400, 403: 403, 404: 404, 409: 400}
"""The API's status → the page's for the same outcome (the page shows a refused transition as
400 with its message, the API as 409)."""


def test_every_status_can_be_reached():
    assert set(PATHS) == set(STATUSES)


def _form(action: str) -> tuple[dict[str, str], dict[str, tuple] | None]:
    fields = CASE_ACTIONS[action].fields
    data = {f.name: SAMPLES[f.kind] for f in fields if f.kind != "file"}
    files = {f.name: PHOTO for f in fields if f.kind == "file"} or None
    return data, files


@pytest.fixture
def clients(engine, login):
    with transaction(engine) as db:
        import_example(db, SYSTEM)
    return {role: login(role) for role in ROLES}


def _case_in(clients, status: str) -> int:
    office, csrf = clients["office"]
    opened = office.post(
        API,
        data={
            "origin": "complaint",
            "title": "夜间施工扬尘",
            "source": "示例GD01",
            "csrf_token": csrf,
        },
    )
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["case_id"]
    for role, action in PATHS[status]:
        http, token = clients[role]
        data, files = _form(action)
        done = http.post(
            f"{API}/{case_id}/{action}", data={**data, "csrf_token": token}, files=files
        )
        assert done.status_code == 200, (status, role, action, done.text)
    return case_id


def _result(clients, case_id: int) -> dict:
    """The case as the office reads it, without what differs between twins anyway (ids, times,
    the twin being a repeat of the other)."""
    document = clients["office"][0].get(f"{API}/{case_id}").json()
    for key in ("case_id", "repeat_of"):
        document.pop(key)
    for step in document["steps"]:
        step.pop("step_id"), step.pop("at")
    for evidence in document["evidence"]:
        evidence.pop("evidence_id"), evidence.pop("step_id")
    return document


def _page_message(text: str) -> str | None:
    found = re.search(r'id="error-message"[^>]*>([^<]*)<', text)
    return html.unescape(found.group(1)) if found else None


def _starts(action: str) -> list[str]:
    """A status the action may start from (the first in the workflow's order) and one it may not."""
    allowed = [s for s in STATUSES if s in CASE_ACTIONS[action].from_statuses]
    return [allowed[0], "closed"]


@pytest.mark.parametrize("action", sorted(CASE_ACTIONS))
def test_the_api_and_the_page_reach_the_same_result(clients, action):
    data, files = _form(action)
    outcomes = set()
    for start in _starts(action):
        for role in ROLES:
            http, csrf = clients[role]
            twins = _case_in(clients, start), _case_in(clients, start)
            form = {**data, "csrf_token": csrf}
            api = http.post(f"{API}/{twins[0]}/{action}", data=form, files=files)
            page = http.post(f"/ledger/cases/{twins[1]}/{action}", data=form, files=files)
            where = (action, start, role, api.text[:300])
            assert SAME_REFUSAL[api.status_code] == page.status_code, where
            if api.status_code >= 400:
                assert _page_message(page.text) == api.json()["detail"]["zh"], where
            else:
                assert (
                    page.headers["location"]
                    == f"/ledger/cases/{twins[1]}?done=case_{CASE_ACTIONS[action].done}"
                )
            assert _result(clients, twins[0]) == _result(clients, twins[1]), where
            outcomes.add(api.status_code)
    # each action is taken by some role and refused to another, and refused from 已办结
    assert {200, 403, 409} <= outcomes, (action, outcomes)


def test_the_case_page_has_a_form_for_every_action_with_its_fields():
    """``case.html`` is written by hand: each action of the table has its form there, posting
    its required fields and no field the table does not know (a new action or required field
    fails here until the page offers it)."""
    template = (
        resources.files("lantian.web.ledger").joinpath("templates", "case.html").read_text("utf-8")
    )
    forms = dict(
        re.findall(
            r'action="/ledger/cases/\{\{ case\.case_id \}\}/(\w+)"(.*?)</form>', template, re.S
        )
    )
    assert set(forms) == set(CASE_ACTIONS)
    for name, action in CASE_ACTIONS.items():
        posted = set(re.findall(r'name="(\w+)"', forms[name])) - {"csrf_token"}
        assert set(action.required) <= posted <= {f.name for f in action.fields}, name
        for field in action.fields:
            if field.kind == "file":
                assert 'enctype="multipart/form-data"' in forms[name], name
