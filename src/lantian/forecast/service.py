"""What the CLI and the web pages call: view-ready forecasts, warnings and backtests.

Every function takes the measurement store and returns plain dicts and lists (JSON-ready; dates as
``datetime.date``/``datetime.datetime``), so a page only serialises them:

* :func:`city_forecast` — the 3-day forecast of a city issued at 00:00 of a day (stored with its
  issue time), with both baselines and, where the days are already in the store, the observations;
* :func:`current_forecast` — the forecast a page shows: the stored one of the issue, else
  :func:`city_forecast`'s;
* :func:`city_warning` — the warning level on a day, the warning's life over the days before, the
  public notice of its latest event;
* :func:`city_backtest` — the rolling-origin verification table of a year;
* :func:`stored_forecasts` — what was forecast when (the analysts' verification page).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from lantian.forecast.backtest import (
    RETRAIN_DAYS,
    WARM_UP_DAYS,
    Backtest,
    cross_validated_decision,
    exceedance_key,
    model_forecasts,
    reliability_table,
    run_backtest,
    score_table,
    tuned_decision,
    warning_confusion,
    warning_levels,
)
from lantian.forecast.baselines import BASELINES
from lantian.forecast.history import CityHistory, city_history
from lantian.forecast.meteo import daily_weather
from lantian.forecast.model import (
    LEADS,
    MODEL_NAME,
    MODEL_VERSION,
    TARGETS,
    distributions,
    fit,
)
from lantian.forecast.nwp import daily_forecast_weather
from lantian.forecast.storage import read_forecasts, write_forecast
from lantian.forecast.verification import probability_thresholds
from lantian.forecast.warnings import (
    Decision,
    Locality,
    decide_daily,
    locality,
    notice_zh,
    warning_life,
)
from lantian.ingest.nwp import read_nwp
from lantian.ingest.weather import is_forecast_weather, read_weather
from lantian.standards import level, rule_set
from lantian.standards.aqi import level_attribute
from lantian.store import MeasurementStore
from lantian.store.registry import evaluation_stations
from lantian.times import beijing_now, day_end, month_days

FloatArray = npt.NDArray[np.float64]

TRAINING_DAYS = 365
"""Days of history before the issue a forecast trains on."""
OBSERVED_DAYS_IN_WARNING = 4
"""Observed days before the issue joined to the forecast when judging an ongoing episode."""
WARNING_LOOKBACK_DAYS = 6


def last_observed_day(store: MeasurementStore, city: str) -> dt.date:
    """The last natural day with a daily AQI for ``city`` in the store."""
    months = sorted(store.manifest().partitions)
    if not months:
        raise LookupError("the measurement store is empty; run `lantian import` or `lantian demo`")
    first, last = month_days(months[-1])
    history = city_history(store, first - dt.timedelta(days=31), last, [city])
    valid = np.flatnonzero(~np.isnan(history.daily["aqi"][0]))
    if not len(valid):
        raise LookupError(f"no daily AQI of {city} in the last two stored months")
    return history.first_day + dt.timedelta(days=int(valid[-1]))


def city_places(store: MeasurementStore, cities: list[str]) -> dict[str, tuple[float, float]]:
    """Each city's (latitude, longitude): the mean of its evaluation stations' [degrees]."""
    registry = store.stations()
    codes = np.asarray(registry["station_code"].to_pylist(), dtype=object)
    latitude = registry["latitude"].to_numpy(zero_copy_only=False).astype(np.float64)
    longitude = registry["longitude"].to_numpy(zero_copy_only=False).astype(np.float64)
    places = {}
    for city in cities:
        mine = np.isin(codes, evaluation_stations(registry, city))
        if mine.any() and not np.isnan(latitude[mine]).all():
            places[city] = (float(np.nanmean(latitude[mine])), float(np.nanmean(longitude[mine])))
    return places


def load_weather(
    paths: list[Path], history: CityHistory, store: MeasurementStore | None = None
) -> dict[str, FloatArray] | None:
    """Daily weather of the history's cities (None for none): observations from ISD-Lite or tidy
    weather files, (cities, days), and forecasts from NWP files (tidy CSV with ``issue_time``, or
    GRIB2 read at the cities of ``store``), (cities, issue days, leads)."""
    if not paths:
        return None
    paths = [Path(p) for p in paths]
    weather: dict[str, FloatArray] = {}
    observed = [read_weather(p)[0] for p in paths if not is_forecast_weather(p)]
    if observed:
        common = list(observed[0].column_names)
        table = pa.concat_tables([t.select(common) for t in observed])
        weather |= daily_weather(table, history.cities, history.first_day, history.n_days)
    forecasts = [p for p in paths if is_forecast_weather(p)]
    if forecasts:
        places = city_places(store, history.cities) if store is not None else None
        table = pa.concat_tables([read_nwp(p, places)[0] for p in forecasts])
        weather |= daily_forecast_weather(
            table, history.cities, history.first_day, history.n_days, max(LEADS)
        )
    return weather


def weather_used(weather: dict[str, FloatArray] | None) -> list[str]:
    """The weather variables a forecast had (observed ``<name>``, forecast ``nwp_<name>``)."""
    return sorted(k for k, v in (weather or {}).items() if not np.isnan(v).all())


def _history_for(store: MeasurementStore, issue_day: dt.date, lookback: int) -> CityHistory:
    rules = rule_set(issue_day)
    first = issue_day - dt.timedelta(days=lookback)
    last = issue_day + dt.timedelta(days=max(LEADS) - 1)
    return city_history(store, first, last, standard=rules.name)


def probability_fields(probabilities: dict[int, float]) -> dict[str, float]:
    """``{"p_gt150": 0.42, …}``: P(daily AQI > T) by threshold, rounded to 3 decimals."""
    return {f"p_gt{t}": round(float(p), 3) for t, p in probabilities.items()}


def _forecast_rows(history: CityHistory, city: str, issue: int, found: dict) -> list[dict]:
    row = history.city_index(city)
    rows = []
    for lead in LEADS:
        target = issue + lead - 1
        aqi = float(np.rint(found[("aqi", lead)].point[row, 0]))
        grade = level(aqi, history.standard)
        observed = history.daily["aqi"][row, target] if target < history.n_days else np.nan
        rows.append(
            {
                "lead": lead,
                "day": history.first_day + dt.timedelta(days=target),
                "aqi": aqi,
                "level": int(grade),
                "category": str(level_attribute(grade, "category_zh", history.standard)),
                "colour": str(level_attribute(grade, "hex", history.standard)),
                **probability_fields(
                    {
                        t: found[("aqi", lead)].exceedance(t)[row, 0]
                        for t in probability_thresholds(history.standard)
                    }
                ),
                "PM2.5": round(float(found[("PM2.5", lead)].point[row, 0]), 1),
                "O3_8h": round(float(found[("O3_8h", lead)].point[row, 0]), 1),
                **{
                    name: float(np.rint(method(history.daily["aqi"], lead)[row, target]))
                    for name, method in BASELINES.items()
                },
                "observed": None if np.isnan(observed) else float(observed),
            }
        )
    return rows


def _stored_table(
    city: str, issue_time: dt.datetime, model: str, rows: list[dict], key: str, standard: str
):
    aqi = np.asarray([r[key] for r in rows], dtype=np.float64)
    grades = level(aqi, standard)
    return pa.table(
        {
            "city": [city] * len(rows),
            "issue_time": [issue_time] * len(rows),
            "model": [model] * len(rows),
            "model_version": [MODEL_VERSION] * len(rows),
            "lead": [r["lead"] for r in rows],
            "day": [r["day"] for r in rows],
            "aqi": aqi,
            "level": grades,
            "category": list(level_attribute(grades, "category_zh", standard)),
            "PM2.5": [r["PM2.5"] if model == MODEL_NAME else None for r in rows],
            "O3_8h": [r["O3_8h"] if model == MODEL_NAME else None for r in rows],
            **{
                key: [r.get(key) if model == MODEL_NAME else None for r in rows]
                for key in ("p_gt150", "p_gt200", "p_gt300")
            },
            "created_at": [beijing_now()] * len(rows),
        }
    )


def city_forecast(
    store: MeasurementStore,
    city: str,
    issue_day: dt.date | None = None,
    weather_files: list[Path] | None = None,
    home: Path | None = None,
) -> dict[str, object]:
    """The forecast of ``city`` issued at 00:00 of ``issue_day`` (default: the day after the last
    stored day), trained on the :data:`TRAINING_DAYS` before it; stored under ``home`` if given.
    """
    issue_day = issue_day or last_observed_day(store, city) + dt.timedelta(days=1)
    history = _history_for(store, issue_day, TRAINING_DAYS)
    weather = load_weather(weather_files or [], history, store)
    issue = history.day_index(issue_day)
    model = fit(history, issue, weather)
    found = distributions(model, history, [issue], weather, targets=TARGETS)
    rows = _forecast_rows(history, city, issue, found)
    issue_time = day_end(issue_day - dt.timedelta(days=1))
    stored = []
    if home is not None:
        for name in (MODEL_NAME, *BASELINES):
            key = "aqi" if name == MODEL_NAME else name
            stored.append(
                str(
                    write_forecast(
                        home, _stored_table(city, issue_time, name, rows, key, history.standard)
                    )
                )
            )
    row = history.city_index(city)
    recent = [
        {
            "day": history.first_day + dt.timedelta(days=int(i)),
            "aqi": float(history.daily["aqi"][row, i]),
        }
        for i in range(max(issue - 7, 0), issue)
        if not np.isnan(history.daily["aqi"][row, i])
    ]
    return {
        "city": city,
        "issue_time": issue_time,
        "model": MODEL_NAME,
        "model_version": MODEL_VERSION,
        "standard": history.standard,
        "weather": bool(weather),
        "weather_used": weather_used(weather),
        "training_rows": {f"{t}@{lead}": n for (t, lead), n in model.training_rows.items()},
        "forecast": rows,
        "recent": recent,
        "stored": stored,
    }


FORECAST_COLUMNS = ("lead", "day", "aqi", "level", "PM2.5", "O3_8h", *BASELINES)
"""The columns of a forecast's rows (:func:`current_forecast`)."""


def current_forecast(
    store: MeasurementStore, city: str, issue_day: dt.date, home: Path
) -> dict[str, object]:
    """The forecast of ``city`` for the issue at 00:00 of ``issue_day``: the latest one stored
    under ``home`` when it was issued then or later and holds every lead of the model (``source``
    ``stored``), else one computed now and stored in its turn (``computed``; a model fit, seconds).

    Returns ``city, issue_time, standard`` (the HJ 633 of the issue's day), ``model,
    model_version, source`` and ``rows``: one per lead with :data:`FORECAST_COLUMNS`.
    """
    issue_time = dt.datetime.combine(issue_day, dt.time())
    stored = _stored_forecast(home, city, issue_time)
    if stored is not None:
        return stored
    document = city_forecast(store, city, issue_day=issue_day, home=home)
    return {
        "city": city,
        "issue_time": issue_time,
        "standard": str(document.get("standard") or rule_set(issue_day).hj633),
        "model": MODEL_NAME,
        "model_version": document.get("model_version"),
        "source": "computed",
        "rows": [{k: r.get(k) for k in FORECAST_COLUMNS} for r in document["forecast"]],
    }


def _stored_forecast(home: Path, city: str, issue_time: dt.datetime) -> dict[str, object] | None:
    """The latest stored forecast of ``city`` issued at or after ``issue_time`` with every lead
    of the model; None when there is none."""
    stored = [r for r in stored_forecasts(home, city) if r["issue_time"] >= issue_time]
    latest = max((r["issue_time"] for r in stored), default=None)
    by_model = {(r["model"], r["lead"]): r for r in stored if r["issue_time"] == latest}
    if latest is None or not all((MODEL_NAME, lead) in by_model for lead in LEADS):
        return None
    rows = []
    for lead in LEADS:
        row = by_model[(MODEL_NAME, lead)]
        baselines = {
            b: by_model[(b, lead)]["aqi"] if (b, lead) in by_model else None for b in BASELINES
        }
        rows.append({k: row[k] for k in FORECAST_COLUMNS if k not in BASELINES} | baselines)
    return {
        "city": city,
        "issue_time": latest,
        "standard": rule_set(latest.date()).hj633,
        "model": MODEL_NAME,
        "model_version": by_model[(MODEL_NAME, 1)]["model_version"],
        "source": "stored",
        "rows": rows,
    }


def warning_decision(
    history: CityHistory,
    row: int,
    issue: int,
    forecast: list[float],
    settings: Locality,
    day: dt.date,
    probabilities: dict[int, list[float]] | None = None,
) -> Decision:
    """The warning decision at ``issue``: the observed days before it joined to ``forecast``
    (:func:`.warnings.decide_daily`)."""
    first = max(issue - OBSERVED_DAYS_IN_WARNING, 0)
    observed = history.daily["aqi"][row, first:issue]
    return decide_daily(observed, forecast, settings, day, probabilities)


def city_warning(
    store: MeasurementStore,
    city: str,
    day: dt.date,
    since: dt.date | None = None,
    localities: Path | None = None,
) -> dict[str, object]:
    """The warning of ``city`` at 00:00 of ``day`` and its life since ``since`` (default 6 days before).

    Each day's decision uses that day's model forecast (retrained every :data:`RETRAIN_DAYS`, on
    data before the first issue of each block) joined to the observed days before it.
    """
    since = since or day - dt.timedelta(days=WARNING_LOOKBACK_DAYS)
    if since > day:
        raise ValueError("--since is after --date")
    settings = locality(city, localities)
    history = city_history(
        store,
        since - dt.timedelta(days=TRAINING_DAYS),
        day + dt.timedelta(days=max(LEADS) - 1),
        standard=rule_set(day).name,
    )
    issues = np.arange(history.day_index(since), history.day_index(day) + 1)
    thresholds = probability_thresholds(history.standard)
    forecasts = model_forecasts(history, issues, RETRAIN_DAYS, thresholds=thresholds)
    row = history.city_index(city)
    decisions: list[tuple[dt.datetime, Decision]] = []
    behind: list[list[dict]] = []
    for k, issue in enumerate(issues):
        when = history.first_day + dt.timedelta(days=int(issue))
        values = [float(np.rint(forecasts[("aqi", lead)][row, k])) for lead in LEADS]
        probabilities = {
            t: [float(forecasts[(exceedance_key(t), lead)][row, k]) for lead in LEADS]
            for t in thresholds
        }
        decisions.append(
            (
                dt.datetime.combine(when, dt.time()),
                warning_decision(history, row, int(issue), values, settings, when, probabilities),
            )
        )
        behind.append(
            [
                {
                    "lead": lead,
                    "day": when + dt.timedelta(days=lead - 1),
                    "aqi": values[lead - 1],
                    **probability_fields({t: p[lead - 1] for t, p in probabilities.items()}),
                }
                for lead in LEADS
            ]
        )
    events = warning_life(decisions)
    current = decisions[-1][1]
    notice = None
    if events:
        last_event = events[-1]
        base = dt.datetime.combine(day - dt.timedelta(days=OBSERVED_DAYS_IN_WARNING), dt.time())
        episode = None
        if current.episode_start is not None:
            episode = (
                base + dt.timedelta(hours=current.episode_start),
                base + dt.timedelta(hours=current.episode_end),
            )
        notice = notice_zh(city, last_event, settings, episode)
    return {
        "city": city,
        "day": day,
        "scheme": current.scheme,
        "plan": settings.plan,
        "level": current.level,
        "reason_zh": current.reason_zh,
        "durations": current.durations,
        "basis": current.basis,
        "probability_thresholds": settings.probability_thresholds,
        "decisions": [
            {
                "issue_time": t,
                "level": d.level,
                "basis": d.basis,
                "reason_zh": d.reason_zh,
                "forecast": days,
            }
            for (t, d), days in zip(decisions, behind, strict=True)
        ],
        "events": events,
        "notice_zh": notice,
    }


def city_backtest(
    store: MeasurementStore,
    city: str,
    year: int,
    retrain_days: int = RETRAIN_DAYS,
    warm_up_days: int = WARM_UP_DAYS,
    weather_files: list[Path] | None = None,
    localities: Path | None = None,
) -> dict[str, object]:
    """The rolling-origin backtest of ``year``: scores of ``city`` and of all cities pooled.

    ``rows``: the model forecasts an event AQI > T when P(AQI > T) reaches the city's decision
    probability (``localities``, default the bundled file; or persistence's event where that says
    ``persistence``). ``tuned_probability_thresholds``: the decisions this backtest's pooled ETS
    would choose (:func:`.backtest.tuned_decision`), scored on the same backtest in
    ``in_sample_rows`` (optimistic: chosen on what they are judged on). ``cross_validated``: each
    city scored with the decisions chosen on the other cities (leave-one-city-out), its
    ``rows`` and ``warning_confusion`` out of sample. ``warning_confusion`` counts the warning
    level each model's forecast called for against the one the observed AQI called for.
    """
    history = city_history(store, dt.date(year, 1, 1), dt.date(year, 12, 31))
    history.city_index(city)
    weather = load_weather(weather_files or [], history, store)
    backtest = run_backtest(history, warm_up_days, retrain_days, weather)
    return {
        "city": city,
        "year": year,
        "retrain_days": retrain_days,
        "weather_used": weather_used(weather),
        **backtest_report(backtest, city, localities),
    }


def backtest_report(
    backtest: Backtest, city: str, localities: Path | None = None
) -> dict[str, object]:
    """The scores of a run backtest as :func:`city_backtest` returns them (without the run's
    year, retraining period and weather variables)."""
    history = backtest.history
    first_issue = history.first_day + dt.timedelta(days=int(backtest.issues[0]))
    decision = locality(city, localities).probability_thresholds
    settings = partial(locality, path=localities)
    tuned = tuned_decision(backtest)
    by_city = cross_validated_decision(backtest)

    def held_out(name: str) -> Locality:
        return replace(settings(name), probability_thresholds=by_city[name])

    def model_rows(table: list[dict[str, object]]) -> list[dict[str, object]]:
        return [r for r in table if r["model"] == MODEL_NAME]

    return {
        "first_issue": first_issue,
        "last_issue": history.first_day + dt.timedelta(days=int(backtest.issues[-1])),
        "cities": history.cities,
        "standard": history.standard,
        "climatology": "trailing 30-day mean of the same year's earlier days (the store holds one year)",
        "weather": backtest.weather,
        "probability_thresholds": decision,
        "tuned_probability_thresholds": tuned,
        "rows": score_table(backtest, city, decision) + score_table(backtest, None, decision),
        "in_sample_rows": model_rows(
            score_table(backtest, city, tuned) + score_table(backtest, None, tuned)
        ),
        "cross_validated": {
            "method": "leave-one-city-out",
            "probability_thresholds": by_city,
            "rows": model_rows(
                score_table(backtest, city, by_city=by_city)
                + score_table(backtest, None, by_city=by_city)
            ),
            "warning_confusion": [
                {"scope": "all", **row}
                for row in warning_confusion(warning_levels(backtest, held_out, None))
                if row["model"] == MODEL_NAME
            ],
        },
        "reliability": reliability_table(backtest, city) + reliability_table(backtest, None),
        "warning_confusion": [
            {"scope": scope, **row}
            for scope, only in ((city, city), ("all", None))
            for row in warning_confusion(warning_levels(backtest, settings, only))
        ],
    }


def stored_forecasts(home: Path, city: str, model: str | None = None) -> list[dict[str, object]]:
    """Every stored forecast of ``city`` (issue time, lead, day, AQI, …), oldest issue first."""
    return read_forecasts(home, city, model).to_pylist()
