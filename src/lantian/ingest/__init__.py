"""Readers of external formats. Each ``read_*`` takes a path and returns ``(table, metadata)``, a
``pyarrow.Table`` in the glossary's column names and a dict describing what was read."""
