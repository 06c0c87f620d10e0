"""The measurement store: hourly measurements as Parquet files under ``LANTIAN_HOME``, one file per
natural-day month, committed atomically through a manifest, queried with DuckDB."""

from lantian.store.measurements import ImportSummary, MeasurementStore, StoreError

__all__ = ["ImportSummary", "MeasurementStore", "StoreError"]
