"""The ledger's errors: every message says what went wrong in Chinese and in English, and names the field.

``str(error)`` is ``"<中文> / <English>"`` prefixed by the field (``month: 月份已锁定 / month is locked``).
A web route maps :class:`LedgerPermissionError` to 403 (or 401 for :class:`NotAuthenticatedError`) and
:class:`LedgerValueError` to 400/404/409; the CLI prints the message and exits non-zero.
"""

from __future__ import annotations

from dataclasses import dataclass


class LedgerError(Exception):
    """Base of the ledger's errors: ``zh`` and ``en`` messages, and the ``field`` they concern."""

    def __init__(self, zh: str, en: str, field: str | None = None):
        self.zh, self.en, self.field = zh, en, field
        prefix = f"{field}: " if field else ""
        super().__init__(f"{prefix}{zh} / {en}")


class LedgerPermissionError(LedgerError, PermissionError):
    """The actor may not do this (role, unit or a locked month)."""


class NotAuthenticatedError(LedgerPermissionError):
    """No valid session: unknown, expired or revoked token, or wrong credentials."""


class LoginThrottledError(NotAuthenticatedError):
    """Too many failed logins for this name or address within the window; try again later."""


class CsrfError(LedgerPermissionError):
    """A form without the CSRF token of its session."""


class MonthLockedError(LedgerPermissionError):
    """The month is locked: its reports can no longer be filed, edited or reviewed."""


class LedgerValueError(LedgerError, ValueError):
    """Bad input: a value out of range, of the wrong kind, or inconsistent with the plan."""


class NotFoundError(LedgerValueError, LookupError):
    """No such plan, measure, unit, task, report, user, …"""


@dataclass
class CellError(Exception):
    """One problem in an imported workbook, located by sheet, 1-based row and column header."""

    sheet: str
    row: int
    column: str
    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.sheet}!{self.row} {self.column}: {self.zh} / {self.en}"


class ImportRejectedError(LedgerValueError):
    """A workbook with errors: nothing of it was stored. ``errors`` lists every problem found."""

    def __init__(self, source: str, errors: list[CellError]):
        self.errors = errors
        shown = "; ".join(str(e) for e in errors[:20])
        more = (
            f"; …（另有 {len(errors) - 20} 处 / {len(errors) - 20} more）"
            if len(errors) > 20
            else ""
        )
        super().__init__(
            f"{len(errors)} 处错误，未导入任何数据：{shown}{more}",
            f"{len(errors)} errors, nothing was imported",
            field=source,
        )
