"""The plan ledger (计划台账): plans, measures, units, tasks, monthly reports, supervision, year-end
assessment, users and roles, and the audit log, in their own SQL store (SQLite or PostgreSQL).
"""
