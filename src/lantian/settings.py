"""Lantian's settings, in one place: environment variables ``LANTIAN_*`` (or a ``.env`` file).

* ``home`` (``LANTIAN_HOME``): default the per-user data folder (``~/.local/share/lantian``).
* ``database_url`` (``LANTIAN_DATABASE_URL``): default SQLite ``plan.sqlite3`` in ``home``; for
  PostgreSQL ``postgresql+psycopg://user:password@host/database``.
* ``session_idle_minutes`` (``LANTIAN_SESSION_IDLE_MINUTES``): default 30.
* ``trusted_proxies`` (``LANTIAN_TRUSTED_PROXIES``): default none (see ``docs/security.md``).
* ``reference_data`` (``LANTIAN_REFERENCE_DATA``): the folder of the real reference data that the demo,
  the tests and the benchmarks read (``cnemc/``, ``met/``). They are other people's data and are never
  part of Lantian's repository; default ``../shared/reference`` beside the checkout when it exists.
* ``cnemc_mirror`` (``LANTIAN_CNEMC_MIRROR``): where ``lantian fetch cnemc`` gets CNEMC's daily files
  (``<base>/china_sites_YYYYMMDD.csv``): an ``http(s)://`` or ``file://`` URL or a folder.
* ``cnemc_hourly_mirror`` (``LANTIAN_CNEMC_HOURLY_MIRROR``): where ``lantian fetch cnemc --format
  hourly-2022`` gets CNEMC's current hourly release (``<base>/YYYY-MM-DD/YYYY-MM-DDTHH.csv``).
* ``station_list_name`` (``LANTIAN_STATION_LIST_NAME``): the station list's name on the mirror.
* ``city`` (``LANTIAN_CITY``): the city the web pages open on (default 永州); ``lantian serve
  --city`` sets it for the server's worker processes.
* ``esat_python`` (``LANTIAN_ESAT_PYTHON``): the interpreter with US EPA's ESAT (``scripts/esat``).

Every command also takes ``--home``, which overrides ``LANTIAN_HOME``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from platformdirs import user_data_path
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where Lantian keeps its data."""

    model_config = SettingsConfigDict(env_prefix="LANTIAN_", env_file=".env", extra="ignore")

    home: Path = user_data_path("lantian", appauthor=False)
    """The folder of the measurement store and, by default, of the plan ledger's SQLite file."""
    database_url: str | None = None
    """SQLAlchemy URL of the plan ledger; ``None`` = SQLite in ``home``."""
    session_idle_minutes: float = 30
    """A ledger session unused this long has ended (``LANTIAN_SESSION_IDLE_MINUTES``)."""
    trusted_proxies: str = ""
    """Addresses or networks (comma-separated, e.g. ``127.0.0.1,10.0.0.0/8``) whose
    ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed (``LANTIAN_TRUSTED_PROXIES``);
    empty: none — the client's address is the socket's peer."""

    reference_data: Path | None = None
    """The reference-data folder; ``None`` = ``../shared/reference`` beside the checkout, if present."""

    alarm_rules: Path | None = None
    """A district's alarm rule file (TOML, ``docs/alarms.md``) applied over the shipped rules;
    ``None`` = the shipped choice."""

    esat_python: Path | None = None
    """The interpreter of the separate environment that has US EPA's ESAT (``scripts/esat`` prints
    it; ``docs/planning.md``); ``None`` = ``.tools/esat/bin/python`` beside the checkout."""

    case_rules: Path | None = None
    """A district's case rule file (TOML with the keys of ``lantian/cases/data/case_rules.toml``,
    ``docs/cases.md``) used instead of the shipped one; ``None`` = the shipped rules."""

    cnemc_mirror: str = "https://quotsoft.net/air/data"
    """Base of the mirror of CNEMC's real-time release; ``--mirror`` overrides it."""
    cnemc_hourly_mirror: str = "https://raw.githubusercontent.com/HeQinWill/CNEMC/main/Archive"
    """Base of the archive of CNEMC's current hourly release (one file per hour since 2022)."""
    station_list_name: str = "站点列表-2022.02.13起.csv"
    """The name under which the mirror publishes its current station list."""

    city: str = "永州"
    """The city the web pages open on (``LANTIAN_CITY``; ``lantian serve --city``)."""

    @property
    def downloads(self) -> Path:
        """Where fetched files are kept (so that a re-fetch skips complete ones)."""
        return self.home / "downloads"

    @property
    def reference_folder(self) -> Path | None:
        """The folder of the reference data, or ``None`` when neither set nor found beside the
        checkout (the checkout is the folder holding ``src/lantian``, whatever the current folder)."""
        if self.reference_data is not None:
            return self.reference_data.expanduser()
        package = Path(__file__).resolve().parent  # src/lantian
        if package.parent.name != "src":
            return None  # an installed package: no checkout, no default
        default = package.parents[2] / "shared" / "reference"
        return default if default.is_dir() else None

    @property
    def ledger_url(self) -> str:
        """The plan ledger's database URL."""
        return self.database_url or f"sqlite:///{self.home / 'plan.sqlite3'}"

    @property
    def store_path(self) -> Path:
        """The measurement store's folder."""
        return self.home / "measurements"

    @property
    def feeds_path(self) -> Path:
        """The live feeds' folder: raw logs, quarantine, the feed store (``lantian.feeds``)."""
        return self.home / "feeds"

    @property
    def alarms_path(self) -> Path:
        """The alarm store's folder (``lantian.alarms.store``)."""
        return self.home / "alarms"


@cache
def settings() -> Settings:
    """The settings of this process (read once)."""
    return Settings()
