from sqlalchemy import func, select

from lantian.plan.models import Measure, Task


def test_seeded_ledger_has_the_model_plan(db):
    assert db.scalar(select(func.count(Measure.id))) == 27
    assert db.scalar(select(func.count(Task.id))) == 141
