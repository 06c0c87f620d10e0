"""Forecasts and warnings are model fits of a few seconds that anyone may ask for, for any city
and any stored day: at most ``MAX_FITS`` run at once, and a request that cannot start one in
time is answered 503 with Retry-After (found while looking for issue #11 item 15's class of hole
elsewhere). The fit is replaced by one that waits until released."""

from __future__ import annotations

import datetime as dt
import threading

import lantian.web.forecast_views as forecast_views

YONGZHOU = "永州"


def test_at_most_max_fits_run_at_once_and_the_rest_get_503(client, monkeypatch):
    views = client.app.state.forecasts
    release, running, peak = threading.Event(), [], []
    lock = threading.Lock()

    def slow_warning(city: str, day: dt.date) -> dict:
        with lock:
            running.append(day)
            peak.append(len(running))
        assert release.wait(30)
        with lock:
            running.remove(day)
        return {"city": city, "day": day.isoformat(), "rows": []}

    monkeypatch.setattr(views, "_warning", slow_warning)
    monkeypatch.setattr(forecast_views, "FIT_WAIT_SECONDS", 0.5)
    days = [dt.date(2019, 6, 1) + dt.timedelta(days=i) for i in range(forecast_views.MAX_FITS)]
    threads = [threading.Thread(target=views.warning, args=(YONGZHOU, day)) for day in days]
    for thread in threads:
        thread.start()
    while len(running) < forecast_views.MAX_FITS:
        threading.Event().wait(0.01)
    busy = client.get("/api/v1/warning", params={"city": YONGZHOU, "date": "2019-07-01"})
    release.set()
    for thread in threads:
        thread.join()
    assert busy.status_code == 503
    assert int(busy.headers["retry-after"]) > 0
    assert max(peak) == forecast_views.MAX_FITS
