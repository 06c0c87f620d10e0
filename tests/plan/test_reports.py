"""Monthly reports: filing and editing, locked months, evidence files, review, and bad input that
must raise a clear error (Chinese / English, naming the field) and store nothing."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import func, select

from lantian.plan import reports
from lantian.plan.errors import LedgerValueError, MonthLockedError
from lantian.plan.models import Evidence, Report
from lantian.plan.plans import get_plan

from .helpers import NOW, audit_count, task_of


@pytest.fixture
def permits(db):
    """区环保局's task on measure 11: “2019年完成……等20个行业企业排污许可证核发”."""
    return task_of(db, "区环保局", 11, "discharge-permits")


def test_file_then_edit_a_report(db, actors, permits):
    report = reports.file_report(
        db, actors["hb"], permits.id, "2019-03", "推进中", 6, "完成畜牧业等6个行业", now=NOW
    )
    db.commit()
    assert (report.status, report.quantity, report.review_status) == ("in_progress", 6, "submitted")
    reports.update_report(db, actors["hb"], report.id, quantity=7, narrative="7个行业", now=NOW)
    db.commit()
    stored = db.get(Report, report.id)
    assert (stored.quantity, stored.narrative) == (7, "7个行业")
    assert stored.submitted_at == report.submitted_at  # the first filing stays the filing time


def test_refiling_the_same_month_replaces_the_report(db, actors, permits):
    reports.file_report(db, actors["hb"], permits.id, "2019-03", "in_progress", 6, now=NOW)
    reports.file_report(db, actors["hb"], permits.id, "2019-03", "in_progress", 8, now=NOW)
    db.commit()
    assert db.scalar(select(func.count(Report.id))) == 1


def test_a_locked_month_refuses_filing_editing_and_review(db, actors, permits):
    report = reports.file_report(db, actors["hb"], permits.id, "2019-03", "in_progress", 6, now=NOW)
    reports.lock_month(db, actors["office"], get_plan(db), "2019-03")
    db.commit()
    before = audit_count(db)
    attempts = [
        lambda: reports.file_report(
            db, actors["hb"], permits.id, "2019-03", "completed", 20, now=NOW
        ),
        lambda: reports.update_report(db, actors["hb"], report.id, quantity=9, now=NOW),
        lambda: reports.attach_evidence(db, actors["hb"], report.id, "a.pdf", b"%PDF"),
        lambda: reports.review_report(db, actors["office"], report.id, "accepted"),
        lambda: reports.lock_month(db, actors["office"], get_plan(db), "2019-03"),
    ]
    for attempt in attempts:
        with pytest.raises(MonthLockedError, match="已锁定") as caught:
            attempt()
        assert caught.value.field == "month"
        db.rollback()
    assert db.get(Report, report.id).quantity == 6
    assert audit_count(db) == before
    # the next month is still open
    reports.file_report(db, actors["hb"], permits.id, "2019-04", "in_progress", 9, now=NOW)


def test_unlocking_reopens_the_month(db, actors, permits):
    plan = get_plan(db)
    reports.lock_month(db, actors["office"], plan, "2019-03")
    reports.unlock_month(db, actors["office"], plan, "2019-03")
    reports.file_report(db, actors["hb"], permits.id, "2019-03", "in_progress", 6, now=NOW)
    db.commit()
    assert not reports.is_locked(db, plan.id, "2019-03")


BAD = [
    ({"month": "2019-13"}, "month", "不是有效月份"),
    ({"month": "2019-01"}, "month", "不在计划期内"),  # the plan starts in 2019-02
    ({"month": "2021-01"}, "month", "不在计划期内"),  # it ends in 2020-12
    ({"month": "2020-01"}, "month", "未来月份"),  # NOW is in 2019-12
    ({"status": "差不多"}, "status", "不是有效值"),
    ({"quantity": -1}, "quantity", "非负数"),
    ({"quantity": float("nan")}, "quantity", "非负数"),
    ({"quantity": "5"}, "quantity", "数值"),
    ({"quantity_unit": "家"}, "quantity_unit", "计量单位应为“个行业”"),
    ({"narrative": "很长" * 3000}, "narrative", "不超过"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD)
def test_bad_input_is_refused_and_nothing_is_stored(db, actors, permits, change, field, message):
    values = {"month": "2019-03", "status": "in_progress", "quantity": 5, "narrative": ""}
    values.update(change)
    before = audit_count(db)
    with pytest.raises(LedgerValueError, match=message) as caught:
        reports.file_report(db, actors["hb"], permits.id, now=NOW, **values)
    assert caught.value.field == field
    assert " / " in str(caught.value)  # Chinese / English
    db.rollback()
    assert db.scalar(select(func.count(Report.id))) == 0
    assert audit_count(db) == before


def test_a_task_without_target_takes_no_quantity(db, actors):
    general = task_of(db, "区环保局", 12)  # “持续推进大气主要污染物减排（区环保局牵头）”: no number
    with pytest.raises(LedgerValueError, match="没有量化目标") as caught:
        reports.file_report(db, actors["hb"], general.id, "2019-03", "in_progress", 3, now=NOW)
    assert caught.value.field == "quantity"
    reports.file_report(
        db, actors["hb"], general.id, "2019-03", "in_progress", None, "减排", now=NOW
    )


def test_evidence_is_stored_on_disk_with_its_hash(db, actors, permits, home):
    report = reports.file_report(db, actors["hb"], permits.id, "2019-03", "in_progress", 6, now=NOW)
    content = "排污许可证核发清单".encode() * 100
    evidence = reports.attach_evidence(
        db, actors["hb"], report.id, r"C:\扫描\核发清单.pdf", content
    )
    db.commit()
    digest = hashlib.sha256(content).hexdigest()
    assert (evidence.filename, evidence.sha256, evidence.size) == (
        "核发清单.pdf",
        digest,
        len(content),
    )
    assert (home / "evidence" / digest[:2] / digest).read_bytes() == content
    assert reports.read_evidence(db, actors["leader"], evidence.id) == ("核发清单.pdf", content)
    assert reports.read_evidence(db, actors["hb"], evidence.id)[1] == content


def test_evidence_tampered_on_disk_is_detected(db, actors, permits, home):
    report = reports.file_report(db, actors["hb"], permits.id, "2019-03", "in_progress", 6, now=NOW)
    evidence = reports.attach_evidence(db, actors["hb"], report.id, "a.png", b"\x89PNG picture")
    db.commit()
    (home / "evidence" / evidence.sha256[:2] / evidence.sha256).write_bytes(b"changed")
    with pytest.raises(LedgerValueError, match="哈希不符"):
        reports.read_evidence(db, actors["office"], evidence.id)


@pytest.mark.parametrize(
    ("filename", "content", "field"),
    [
        ("virus.exe", b"MZ", "filename"),
        ("", b"x", "filename"),
        ("empty.pdf", b"", "content"),
        ("huge.pdf", b"0" * (reports.MAX_EVIDENCE_BYTES + 1), "content"),
    ],
)
def test_bad_evidence_is_refused(db, actors, permits, filename, content, field):
    report = reports.file_report(db, actors["hb"], permits.id, "2019-03", "in_progress", 6, now=NOW)
    db.commit()
    with pytest.raises(LedgerValueError) as caught:
        reports.attach_evidence(db, actors["hb"], report.id, filename, content)
    assert caught.value.field == field
    db.rollback()
    assert db.scalar(select(func.count(Evidence.id))) == 0


def test_another_units_reporter_cannot_read_the_evidence(db, actors, permits):
    report = reports.file_report(db, actors["hb"], permits.id, "2019-03", "in_progress", 6, now=NOW)
    evidence = reports.attach_evidence(db, actors["hb"], report.id, "a.pdf", b"%PDF")
    db.commit()
    with pytest.raises(PermissionError):
        reports.read_evidence(db, actors["zj"], evidence.id)


def test_review_accept_and_return(db, actors, permits):
    report = reports.file_report(db, actors["hb"], permits.id, "2019-03", "in_progress", 6, now=NOW)
    with pytest.raises(LedgerValueError, match="退回须写明原因"):
        reports.review_report(db, actors["office"], report.id, "returned")
    reports.review_report(db, actors["office"], report.id, "已退回", "请附核发清单")
    assert (report.review_status, report.review_comment) == ("returned", "请附核发清单")
    reports.update_report(db, actors["hb"], report.id, quantity=6, now=NOW)  # resubmitted
    assert (report.review_status, report.review_comment) == ("submitted", None)
    reports.review_report(db, actors["office"], report.id, "accepted")
    db.commit()
    assert db.get(Report, report.id).review_status == "accepted"


def test_filing_on_a_date_after_the_month_is_allowed_only_up_to_now(db, actors, permits):
    early = dt.datetime(2019, 3, 31, 16, 30, tzinfo=dt.UTC)  # 2019-04-01 00:30 in Beijing
    reports.file_report(db, actors["hb"], permits.id, "2019-04", "in_progress", 1, now=early)
    with pytest.raises(LedgerValueError, match="未来月份"):
        reports.file_report(db, actors["hb"], permits.id, "2019-05", "in_progress", 1, now=early)
