"""The status machine: every action from every status, allowed or refused with a clear message."""

from __future__ import annotations

import pytest

from lantian.cases.workflow import ACTIONS, STATUSES, CaseTransitionError, transition

ALLOWED = {
    ("pending", "dispatch"): "dispatched",
    ("dispatched", "dispatch"): "dispatched",
    ("dispatched", "decline"): "pending",
    ("dispatched", "accept"): "handling",
    ("returned", "accept"): "handling",
    ("dispatched", "answer"): "verifying",
    ("handling", "answer"): "verifying",
    ("returned", "answer"): "verifying",
    ("verifying", "return"): "returned",
    ("verifying", "close"): "closed",
}
"""The machine as the brief draws it (待派发 → 已派发 → 处置中 → 待核查 → 已办结, or 退回),
written out here, not read from the module."""
KEEP = {"escalate", "append", "evidence"}


@pytest.mark.parametrize("status", list(STATUSES))
@pytest.mark.parametrize("action", [a for a in ACTIONS if a != "open"])
def test_every_transition(status, action):
    if action in KEEP:
        if status == "closed":
            with pytest.raises(CaseTransitionError):
                transition(status, action)
        else:
            assert transition(status, action) == status
        return
    expected = ALLOWED.get((status, action))
    if expected is None:
        with pytest.raises(CaseTransitionError) as refused:
            transition(status, action)
        assert STATUSES[status] in refused.value.zh
        assert ACTIONS[action].zh in refused.value.zh
        assert refused.value.field == "status"
    else:
        assert transition(status, action) == expected


def test_the_refusal_names_what_is_allowed():
    with pytest.raises(CaseTransitionError) as refused:
        transition("pending", "close")
    assert "“待派发”" in refused.value.zh
    assert "dispatch（派发）" in refused.value.zh
    assert "allowed: dispatch" in refused.value.en


def test_a_closed_case_allows_nothing():
    with pytest.raises(CaseTransitionError, match="无（已办结）"):
        transition("closed", "answer")


def test_supervision_items_close_from_any_open_status():
    for status in ("pending", "dispatched", "handling", "returned", "verifying"):
        assert transition(status, "close", "supervision", frozenset({"supervision"})) == "closed"
    with pytest.raises(CaseTransitionError):
        transition("dispatched", "close", "alarm", frozenset({"supervision"}))


def test_an_unknown_action_lists_the_known():
    with pytest.raises(ValueError, match="dispatch"):
        transition("pending", "approve")
