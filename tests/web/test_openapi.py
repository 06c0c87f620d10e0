"""Property-based requests over the OpenAPI document (schemathesis): no server error, ever.

Bounded: a dozen generated requests per operation (about 150 in all), over the real demo store.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from lantian.plan.database import open_ledger
from lantian.web import create_app
from lantian.web.ledger import LedgerOpener

EXAMPLES_PER_OPERATION = 12


def test_no_server_error(web_home, tmp_path):
    app = create_app(web_home / "measurements", warm_up=False)
    # the routes over the ledger (/api/v1/cases …) get a ledger of this test's own, never the
    # user's default home (a stale one there, of another schema, failed the test)
    app.state.ledger = LedgerOpener(lambda: open_ledger(f"sqlite:///{tmp_path / 'plan.sqlite3'}"))
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    failures, calls = [], []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case):
            response = case.call()
            calls.append(response.status_code)
            if response.status_code >= 500:
                failures.append((case.path, case.path_parameters, case.query, response.text[:300]))

        call()
    assert failures == []
    assert len(calls) >= 5 * len(operations)
    assert 200 in calls
    assert 404 in calls  # unknown cities, stations, years
