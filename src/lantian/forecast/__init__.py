"""Heavy-pollution forecast, warning levels and the emergency reduction list (issue #7).

* :mod:`.history`: each city's observed daily series from the measurement store;
* :mod:`.meteo`: daily weather per city from the observations :mod:`lantian.ingest.weather`
  reads (NOAA ISD-Lite, the tidy weather CSV);
* :mod:`.baselines`: persistence and climatology; :mod:`.features` and :mod:`.model`: the
  gradient-boosted model; :mod:`.backtest` and :mod:`.verification`: rolling-origin verification;
* :mod:`.storage`: forecasts stored with their issue time; :mod:`.service`: what the CLI and
  the web pages call;
* :mod:`.warnings`: warning grades (2018 and 2024 schemes), a warning's life, the public notice;
* :mod:`.emergency`: enterprises, per-level measures and the reduction check.

See ``docs/forecast.md``.
"""
