"""The plan ledger's pages for logged-in users (``/ledger``): login, the ledger, unit pages, the
overdue list, the month's summary, supervision, the year-end assessment, the monthly report form
with evidence upload, the office's review and month locking, and xlsx downloads.

Routes are thin: they validate the form, call a :mod:`lantian.plan` service inside one
:func:`lantian.plan.database.transaction`, and render. See ``docs/web-ledger.md``.
"""

from lantian.web.ledger.routes import router
from lantian.web.ledger.session import LedgerOpener

__all__ = ["LedgerOpener", "router"]
