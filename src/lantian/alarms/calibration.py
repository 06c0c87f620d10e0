"""Calibration of grid micro-stations (网格化小微站) against the co-located or nearest national
station: per-sensor robust regression with a humidity term, refitted every month, and drift
detection. Calibrated values are **indicative** (指示性数据): they are returned in their own
column beside the raw ones, labelled, and never written into the measurement store's official
values (the micro-stations' hours stay non-evaluation stations there, ``lantian.feeds.hourly``).

Model, per sensor and month (hourly values)::

    reference = intercept + slope · sensor + humidity_coefficient · relative_humidity

the form of the US EPA's national correction of low-cost PM2.5 sensors (Barkjohn, Gantt &
Clements 2021, Atmos. Meas. Tech. 14, 4617–4637: PM2.5 = 0.524 · PA − 0.0862 · RH + 5.75),
where relative humidity carries the sensor's hygroscopic over-reading. The fit is iteratively
reweighted least squares with Huber's weights (Huber 1964; tuning constant 1.345 × the residuals'
robust scale, MAD / 0.6745, 95 % efficiency under normal errors), so that the hours when the
national station and the sensor see different air (a plume at one of them) weigh less.

Months: the values of month *m* are calibrated with the fit of month *m − 1* (what was known when
they arrived; the first month with its own fit), and each month's fit is checked against the
previous one: **drift** when the slope (the sensor's sensitivity) changed by more than
:data:`DRIFT_SLOPE`, or when the previous fit, applied to this month's pairs, leaves a median
residual above :data:`DRIFT_BIAS` and above twice the previous fit's robust residual scale (two
national stations 2.2 km apart differ by that much from month to month: ``tests/alarms/
test_calibration.py``). Lantian's thresholds; no standard gives them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

INDICATIVE = "指示性数据"
"""The label calibrated values carry wherever they are shown."""
HUBER_K = 1.345
MIN_PAIRS = 168
"""Hourly pairs (sensor, reference, humidity all valid) a monthly fit needs: a week's worth."""
DRIFT_BIAS = 5.0
"""Least median residual [µg/m³] of the previous month's fit on this month's pairs that is drift
(and at least twice that fit's residual scale)."""
DRIFT_SLOPE = 0.2
"""Relative change of the slope from one month's fit to the next that is drift."""
FIT_SCHEMA = pa.schema(
    [
        pa.field("mn", pa.string()),
        pa.field("month", pa.string()),
        pa.field("intercept", pa.float64()),
        pa.field("slope", pa.float64()),
        pa.field("humidity_coefficient", pa.float64()),
        pa.field("pairs", pa.int64()),
        pa.field("residual_scale", pa.float64()),
        pa.field("bias_of_previous", pa.float64()),
        pa.field("slope_change", pa.float64()),
        pa.field("drift", pa.bool_()),
    ]
)
"""One fit per sensor and month (``YYYY-MM``): coefficients, pairs used, the robust scale of the
residuals [µg/m³]; the previous month's fit checked on this month (median residual [µg/m³],
relative slope change) and whether that is drift."""


@dataclass(frozen=True)
class Fit:
    intercept: float
    slope: float
    humidity_coefficient: float
    pairs: int
    residual_scale: float

    def apply(self, sensor: np.ndarray, humidity: np.ndarray) -> np.ndarray:
        return self.intercept + self.slope * sensor + self.humidity_coefficient * humidity


def robust_fit(
    sensor: np.ndarray, reference: np.ndarray, humidity: np.ndarray, iterations: int = 50
) -> Fit | None:
    """Huber-weighted least squares of ``reference`` on ``sensor`` and ``humidity`` (module
    docstring) over the pairs where all three are finite; ``None`` below :data:`MIN_PAIRS`."""
    use = np.isfinite(sensor) & np.isfinite(reference) & np.isfinite(humidity)
    if use.sum() < MIN_PAIRS:
        return None
    design = np.column_stack([np.ones(use.sum()), sensor[use], humidity[use]])
    target = reference[use]
    weights = np.ones(len(target))
    coefficients = np.zeros(3)
    scale = 0.0
    for _ in range(iterations):
        root = np.sqrt(weights)
        updated = np.linalg.lstsq(design * root[:, None], target * root, rcond=None)[0]
        residual = target - design @ updated
        scale = float(np.median(np.abs(residual - np.median(residual))) / 0.6745)
        if scale == 0.0:
            coefficients = updated
            break
        size = np.abs(residual) / (HUBER_K * scale)
        weights = np.where(size <= 1.0, 1.0, 1.0 / np.maximum(size, 1e-12))
        converged = np.allclose(updated, coefficients, rtol=1e-8, atol=1e-10)
        coefficients = updated
        if converged:
            break
    return Fit(*(float(c) for c in coefficients), int(use.sum()), scale)


def _months(ts: np.ndarray) -> np.ndarray:
    return ts.astype("datetime64[M]").astype(str)


def fit_monthly(pairs: pa.Table, before: dict[str, Fit] | None = None) -> pa.Table:
    """Fits per sensor and month (``FIT_SCHEMA``) from hourly ``pairs``: ``mn``, ``ts`` (the hour,
    Beijing), ``sensor``, ``reference`` [µg/m³], ``relative_humidity`` [%]. ``before``: MN → the
    fit of the month before the pairs' first (stored earlier), which their first month is
    checked against for drift."""
    before = before or {}
    mn = np.asarray(pairs.column("mn").to_pylist(), dtype=object)
    month = _months(pairs.column("ts").to_numpy())
    columns = [pairs.column(c).to_numpy(zero_copy_only=False).astype(float) for c in
               ("sensor", "reference", "relative_humidity")]  # fmt: skip
    rows = []
    for device in sorted(set(mn.tolist())):  # one fit per sensor and month, not per row
        previous: Fit | None = before.get(device)
        for name in sorted(set(month[mn == device].tolist())):
            rows_of = (mn == device) & (month == name)
            sensor, reference, humidity = (c[rows_of] for c in columns)
            fit = robust_fit(sensor, reference, humidity)
            if fit is None:
                continue
            bias = slope_change = np.nan
            drift = False
            if previous is not None:
                residual = reference - previous.apply(sensor, humidity)
                bias = float(np.nanmedian(residual))
                slope_change = fit.slope / previous.slope - 1.0
                allowed = max(DRIFT_BIAS, 2 * previous.residual_scale)
                drift = bool(abs(bias) > allowed or abs(slope_change) > DRIFT_SLOPE)
            rows.append(
                {
                    "mn": device,
                    "month": name,
                    "intercept": fit.intercept,
                    "slope": fit.slope,
                    "humidity_coefficient": fit.humidity_coefficient,
                    "pairs": fit.pairs,
                    "residual_scale": fit.residual_scale,
                    "bias_of_previous": bias,
                    "slope_change": slope_change,
                    "drift": drift,
                }
            )
            previous = fit
    return pa.Table.from_pylist(rows, schema=FIT_SCHEMA)


def calibrate(values: pa.Table, fits: pa.Table) -> pa.Table:
    """``values`` (``mn``, ``ts``, ``sensor``, ``relative_humidity``) with ``calibrated`` (by the
    previous month's fit of the sensor, else the month's own; null without a fit), the ``fit``
    month used, and ``label`` = 指示性数据 (indicative: never official values)."""
    mn = np.asarray(values.column("mn").to_pylist(), dtype=object)
    month = _months(values.column("ts").to_numpy())
    sensor = values.column("sensor").to_numpy(zero_copy_only=False).astype(float)
    humidity = values.column("relative_humidity").to_numpy(zero_copy_only=False).astype(float)
    fit_mn = np.asarray(fits.column("mn").to_pylist(), dtype=object)
    fit_month = np.asarray(fits.column("month").to_pylist(), dtype=object)
    coefficients = np.column_stack(
        [fits.column(c).to_numpy() for c in ("intercept", "slope", "humidity_coefficient")]
    ) if fits.num_rows else np.zeros((0, 3))  # fmt: skip
    chosen = np.full(len(mn), -1)
    for index in np.argsort(fit_month, kind="stable").tolist():  # one pass per fit
        own = (mn == fit_mn[index]) & (month == fit_month[index]) & (chosen < 0)
        later = (mn == fit_mn[index]) & (month > fit_month[index])
        chosen = np.where(own | later, index, chosen)
    found = chosen >= 0
    take = coefficients[np.where(found, chosen, 0)] if len(coefficients) else np.zeros((len(mn), 3))
    calibrated = take[:, 0] + take[:, 1] * sensor + take[:, 2] * humidity
    calibrated = np.where(found, calibrated, np.nan)
    used = np.where(found, fit_month[np.where(found, chosen, 0)] if len(fit_month) else "", None)
    return (
        values.append_column(
            "calibrated", pa.array(calibrated, pa.float64(), mask=~np.isfinite(calibrated))
        )
        .append_column("fit", pa.array(used.tolist(), pa.string()))
        .append_column("label", pa.array([INDICATIVE] * len(mn), pa.string()))
    )


# --- pairs from the stores, and the stored fits (``lantian alarms calibrate``) -----------------

STORED_SCHEMA = pa.schema(
    [pa.field("pollutant", pa.string()), pa.field("humidity", pa.string()), *FIT_SCHEMA]
)
"""The stored fits: :data:`FIT_SCHEMA` with the pollutant fitted and where the humidity came
from (``device``: the micro-station's own a01002; ``none``: it reports none, the term is 0)."""
MIN_MINUTES = 45
"""Valid minutes an hour needs (GB 3095-2012 表4, as ``lantian.feeds.hourly``)."""


def device_hours(feed, days: list, mns: list[str], pollutant: str) -> pa.Table:
    """Hourly means (``mn``, ``ts`` = the hour's start, Beijing, ``sensor``,
    ``relative_humidity``) of ``mns`` from the feed store's valid minutes (CN 2051, at least
    :data:`MIN_MINUTES` a hour); humidity null where the device reports none."""
    connection = feed.connect(days)
    connection.register("devices", pa.table({"mn": pa.array(mns, pa.string())}))
    return connection.sql(
        """
        WITH hours AS (
            SELECT mn, date_trunc('hour', ts) AS ts, pollutant, avg(value) AS value
            FROM feed SEMI JOIN devices USING (mn)
            WHERE cn = '2051' AND valid AND value IS NOT NULL
              AND pollutant IN ($pollutant, 'humidity')
            GROUP BY ALL HAVING count(*) >= $minimum
        )
        SELECT s.mn, s.ts::TIMESTAMP AS ts, s.value AS sensor, h.value AS relative_humidity
        FROM hours s LEFT JOIN hours h
          ON h.mn = s.mn AND h.ts = s.ts AND h.pollutant = 'humidity'
        WHERE s.pollutant = $pollutant
        ORDER BY 1, 2
        """,
        params={"pollutant": pollutant, "minimum": MIN_MINUTES},
    ).to_arrow_table()


def pairs_with_reference(
    hours: pa.Table, nearest: dict[str, str], store, pollutant: str
) -> tuple[pa.Table, dict[str, str]]:
    """``hours`` (:func:`device_hours`) joined with the same hour of each device's nearest
    national station from the measurement store (which stamps an hour's end: hence the hour
    subtracted); a device without humidity gets 0 (no humidity term). Returns the pairs and
    MN → ``device`` | ``none`` (the humidity used)."""
    import duckdb

    stations = sorted({nearest[m] for m in set(hours.column("mn").to_pylist()) if m in nearest})
    if not stations or hours.num_rows == 0:
        empty = pa.table({"mn": pa.array([], pa.string())})
        return empty.append_column("ts", pa.array([], pa.timestamp("s"))), {}
    ts = hours.column("ts").to_numpy().astype("datetime64[s]")
    reference = store.read(
        stations=stations,
        pollutants=[pollutant],
        start=ts.min().astype(object) + dt.timedelta(minutes=30),
        end=ts.max().astype(object) + dt.timedelta(hours=1),
    )
    links = pa.table({"mn": list(nearest), "station_code": list(nearest.values())})
    with duckdb.connect() as connection:
        connection.register("hours", hours)
        connection.register("reference", reference)
        connection.register("links", links)
        pairs = connection.sql(
            """
            WITH reported AS (
                SELECT mn, bool_or(relative_humidity IS NOT NULL) AS has FROM hours GROUP BY mn
            )
            SELECT h.mn, h.ts::TIMESTAMP AS ts, h.sensor, r.value AS reference,
                   CASE WHEN p.has THEN h.relative_humidity ELSE 0.0 END AS relative_humidity,
                   CASE WHEN p.has THEN 'device' ELSE 'none' END AS humidity
            FROM hours h JOIN reported p USING (mn) JOIN links l USING (mn)
            JOIN reference r ON r.station_code = l.station_code
                            AND r.ts = h.ts + INTERVAL 1 HOUR AND r.valid
            ORDER BY 1, 2
            """
        ).to_arrow_table()
    humidity = dict(zip(pairs.column("mn").to_pylist(), pairs.column("humidity").to_pylist(),
                        strict=True))  # fmt: skip
    return pairs, humidity


def previous_fits(stored: pa.Table, pollutant: str, month: str) -> dict[str, Fit]:
    """MN → the stored fit of ``pollutant`` for the month just before ``month`` (``YYYY-MM``)."""
    year, number = int(month[:4]), int(month[5:7])
    before = f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"
    return {
        row["mn"]: Fit(
            row["intercept"],
            row["slope"],
            row["humidity_coefficient"],
            row["pairs"],
            row["residual_scale"],
        )
        for row in stored.to_pylist()
        if row["pollutant"] == pollutant and row["month"] == before
    }


class FitStore:
    """The fits as one small Parquet file (``LANTIAN_HOME/calibration/fits.parquet``), replaced
    atomically (temporary file, fsync, rename): a fit of the same sensor, pollutant and month
    replaces the stored one."""

    def __init__(self, root) -> None:
        from pathlib import Path

        self.root = Path(root)
        self.path = self.root / "fits.parquet"

    def read(self) -> pa.Table:
        import pyarrow.parquet as pq

        if not self.path.exists():
            return STORED_SCHEMA.empty_table()
        return pq.read_table(self.path).select(STORED_SCHEMA.names).cast(STORED_SCHEMA)

    def save(self, fits: pa.Table) -> pa.Table:
        """Merge ``fits`` (:data:`STORED_SCHEMA`) into the stored ones; returns all of them."""
        import pyarrow.parquet as pq

        from lantian.store.manifest import fsync_file

        fits = fits.select(STORED_SCHEMA.names).cast(STORED_SCHEMA)
        new = {(r["mn"], r["pollutant"], r["month"]) for r in fits.to_pylist()}
        kept = [
            r for r in self.read().to_pylist() if (r["mn"], r["pollutant"], r["month"]) not in new
        ]
        merged = pa.concat_tables([pa.Table.from_pylist(kept, schema=STORED_SCHEMA), fits])
        merged = merged.sort_by([("mn", "ascending"), ("pollutant", "ascending"),
                                 ("month", "ascending")])  # fmt: skip
        self.root.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".parquet.tmp")
        pq.write_table(merged, temporary)
        fsync_file(temporary)
        temporary.replace(self.path)
        return merged


def calibrated_hours(feed, days: list, mn: str, fits: pa.Table) -> pa.Table:
    """One device's calibrated hours by its stored fits (:data:`STORED_SCHEMA`): ``ts`` (the
    hour's **end**, as the measurement store and the devices API stamp it), ``pollutant``,
    ``calibrated``, ``fit`` (the month whose fit was used) and ``calibrated_label`` =
    指示性数据. Empty without a fit: a raw value is never passed off as calibrated."""
    import pyarrow.compute as pc

    empty = pa.schema(
        [
            pa.field("ts", pa.timestamp("s")),
            pa.field("pollutant", pa.string()),
            pa.field("calibrated", pa.float64()),
            pa.field("fit", pa.string()),
            pa.field("calibrated_label", pa.string()),
        ]
    ).empty_table()
    own = fits.filter(pc.equal(fits.column("mn"), mn)) if fits.num_rows else fits
    parts = [empty]
    for pollutant in sorted(set(own.column("pollutant").to_pylist())):
        chosen = own.filter(pc.equal(own.column("pollutant"), pollutant))
        hours = device_hours(feed, days, [mn], pollutant)
        if hours.num_rows == 0:
            continue
        if "none" in chosen.column("humidity").to_pylist():  # fitted without a humidity term
            hours = hours.set_column(
                3, "relative_humidity", pa.array(np.zeros(hours.num_rows), pa.float64())
            )
        done = calibrate(hours, chosen.select(FIT_SCHEMA.names))
        ends = done.column("ts").to_numpy().astype("datetime64[s]") + np.timedelta64(3600, "s")
        parts.append(
            pa.table(
                {
                    "ts": pa.array(ends, pa.timestamp("s")),
                    "pollutant": [pollutant] * done.num_rows,
                    "calibrated": done.column("calibrated"),
                    "fit": done.column("fit"),
                    "calibrated_label": done.column("label"),
                },
                schema=empty.schema,
            )
        )
    return pa.concat_tables(parts)
