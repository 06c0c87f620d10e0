"""Live feeds: the HJ 212 receiver (``receiver``), its raw log (``rawlog``), the feed store
(``store``), the stage between them (``intake``), device hours into the measurement store
(``hourly``), the operational view (``status``) and the device simulator (``simulator``).

Layout under ``LANTIAN_HOME/feeds``: ``raw/`` (accepted frames, one file per day),
``quarantine/`` and ``rejected/`` (what was not accepted, JSON lines), ``store/`` (the feed store).
"""
