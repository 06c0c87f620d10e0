"""``lantian fetch cnemc``, ``lantian fetch stations`` and ``lantian update`` against a real HTTP
server on 127.0.0.1 started here, serving real CNEMC day files in the mirror's layout
(``<base>/china_sites_YYYYMMDD.csv``). The files are taken at run time from the reference data
(``tests/reference.py``); the server can break a transfer after N bytes or answer with an HTML
error page and status 200, as real mirrors do."""

from __future__ import annotations

import datetime as dt
import re
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from lantian.demo import HUNAN_2019, NATIONAL_3DAYS, STATION_LIST, demo_file
from lantian.ingest import mirror as releases
from lantian.store import MeasurementStore
from lantian.times import beijing_today
from tests.reference import day_file, day_name

from ..store.conftest import state
from .test_import_cli import lantian

JAN = [dt.date(2019, 1, d) for d in (1, 2, 3)]
STATION_LIST_NAME = "站点列表-2022.02.13起.csv"
ERROR_PAGE = "<!DOCTYPE html><html><head><title>出错了</title></head><body>404</body></html>"


class Mirror(ThreadingHTTPServer):
    """A mirror of CNEMC's release under ``/air/data/``, with faults on request."""

    daemon_threads = True

    def __init__(self, root: Path):
        super().__init__(("127.0.0.1", 0), MirrorHandler)
        self.root = root
        self.break_after: dict[
            str, int
        ] = {}  # name → bytes sent before the connection drops (once)
        self.html: set[str] = set()  # names answered with an HTML page and status 200
        self.unavailable: dict[str, int] = {}  # name → how many more times to answer 503
        self.requests: list[tuple[str, str | None]] = []  # (name, Range header)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/air/data"


class MirrorHandler(BaseHTTPRequestHandler):
    server: Mirror

    def do_GET(self) -> None:
        name = urllib.parse.unquote(self.path.rsplit("/", 1)[-1])
        self.server.requests.append((name, self.headers.get("Range")))
        if name in self.server.html:
            body = ERROR_PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.server.unavailable.get(name, 0) > 0:
            self.server.unavailable[name] -= 1
            self.send_error(503)
            return
        path = self.server.root / name
        if not self.path.startswith("/air/data/") or not path.is_file():
            self.send_error(404)
            return
        data, start = path.read_bytes(), 0
        if match := re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or ""):
            start = int(match[1])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        cut = self.server.break_after.pop(name, None)
        self.wfile.write(data[start:] if cut is None else data[start : start + cut])

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def mirror(tmp_path) -> Iterator[Mirror]:
    """The mirror, serving the real Hunan files of 2019-01-01 … 03 and the national station list."""
    root = tmp_path / "mirror"
    root.mkdir()
    for day in JAN:
        (root / day_name(day)).write_bytes(day_file(HUNAN_2019, day))
    (root / STATION_LIST_NAME).write_bytes(demo_file(STATION_LIST).read_bytes())
    server = Mirror(root)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def fetch(home: Path, base: str, first: str, last: str, *options: str):
    return lantian(
        home, "fetch", "cnemc", "--from", first, "--to", last, "--mirror", base, *options
    )


def values(home: Path) -> pa.Table:
    """What the store holds, without the source file names."""
    table = MeasurementStore(home / "measurements").read()
    table = pa.table(
        {
            "station_code": pc.cast(table["station_code"], pa.string()),
            "ts": table["ts"],
            "pollutant": pc.cast(table["pollutant"], pa.string()),
            "value": table["value"],
        }
    )
    return table.sort_by(
        [("station_code", "ascending"), ("ts", "ascending"), ("pollutant", "ascending")]
    )


def test_fetch_imports_as_lantian_import_does_and_a_refetch_changes_nothing(tmp_path, mirror):
    home = tmp_path / "home"
    result = fetch(home, mirror.base, "2019-01-01", "2019-01-03")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "downloaded 3, resumed 0, cached 0, missing 0, refused 0, failed 0" in result.stdout
    assert "rejected 0" in result.stdout
    kept = sorted(p.name for p in (home / "downloads" / "cnemc").glob("china_sites_*"))
    assert kept == [day_name(d) for d in JAN]  # no .part left
    for day in JAN:  # byte for byte what the mirror served
        assert (home / "downloads" / "cnemc" / day_name(day)).read_bytes() == day_file(
            HUNAN_2019, day
        )
    imported = tmp_path / "imported"
    files = [str(mirror.root / day_name(day)) for day in JAN]
    assert lantian(imported, "import", *files).returncode == 0
    assert values(home).equals(values(imported))

    before, served = state(MeasurementStore(home / "measurements")), len(mirror.requests)
    again = fetch(home, mirror.base, "2019-01-01", "2019-01-03")
    assert again.returncode == 0, again.stderr
    assert "downloaded 0, resumed 0, cached 3" in again.stdout
    assert "rows added 0" in again.stdout
    assert "replaced 0" in again.stdout
    assert len(mirror.requests) == served  # complete files are not downloaded again
    assert state(MeasurementStore(home / "measurements")) == before


def test_a_transfer_broken_mid_file_is_resumed(tmp_path, mirror):
    home = tmp_path / "home"
    name = day_name(JAN[0])
    size = (mirror.root / name).stat().st_size
    mirror.break_after[name] = 10_000
    broken = fetch(home, mirror.base, "2019-01-01", "2019-01-01", "--retries", "0")
    assert broken.returncode == 2, broken.stdout + broken.stderr
    assert "the transfer broke after 10,000 bytes" in broken.stderr
    part = home / "downloads" / "cnemc" / f"{name}.part"
    assert part.stat().st_size == 10_000
    assert not (home / "downloads" / "cnemc" / name).exists()
    assert not (home / "measurements").exists() or values(home).num_rows == 0

    resumed = fetch(home, mirror.base, "2019-01-01", "2019-01-01")
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed 1" in resumed.stdout
    assert mirror.requests[-1] == (name, "bytes=10000-")
    assert (home / "downloads" / "cnemc" / name).read_bytes() == (mirror.root / name).read_bytes()
    assert not part.exists()
    assert size > 10_000
    assert values(home).num_rows > 0


def test_a_break_is_retried_within_one_run(tmp_path, mirror):
    name = day_name(JAN[1])
    mirror.break_after[name] = 5_000
    result = fetch(tmp_path / "home", mirror.base, "2019-01-01", "2019-01-03")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "downloaded 2, resumed 1" in result.stdout
    assert (name, "bytes=5000-") in mirror.requests


def test_an_html_error_page_with_status_200_is_refused(tmp_path, mirror):
    home = tmp_path / "home"
    mirror.html.add(day_name(JAN[1]))
    result = fetch(home, mirror.base, "2019-01-02", "2019-01-02")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "the mirror sent an HTML page, not a CNEMC day file" in result.stderr
    assert f"{mirror.base}/china_sites_20190102.csv" in result.stderr
    assert "refused 1" in result.stdout
    assert list((home / "downloads" / "cnemc").glob("china_sites_*")) == []
    assert not (home / "measurements").exists() or values(home).num_rows == 0


def test_a_day_missing_on_the_mirror_is_reported_and_the_others_imported(tmp_path, mirror):
    home = tmp_path / "home"
    (mirror.root / day_name(JAN[1])).unlink()
    result = fetch(home, mirror.base, "2019-01-01", "2019-01-03")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "downloaded 2, resumed 0, cached 0, missing 1" in result.stdout
    assert "china_sites_20190102.csv: not on the mirror (HTTP 404)" in result.stderr
    days = pc.unique(pc.strftime(values(home)["ts"], "%Y-%m-%d")).to_pylist()
    assert sorted(days) == ["2019-01-01", "2019-01-03"]  # file D holds the hours stamped D 00 … 23


def test_a_file_whose_dates_are_not_its_day_is_refused(tmp_path, mirror):
    home = tmp_path / "home"
    (mirror.root / day_name(JAN[0])).write_bytes(day_file(HUNAN_2019, JAN[1]))  # 01-02 as 01-01
    result = fetch(home, mirror.base, "2019-01-01", "2019-01-01")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "line 2: date 20190102 is not 20190101" in result.stderr
    assert not (home / "measurements").exists() or values(home).num_rows == 0


def test_a_range_that_ends_before_it_starts_or_after_today(tmp_path, mirror):
    backwards = fetch(tmp_path / "home", mirror.base, "2019-01-03", "2019-01-01")
    assert backwards.returncode == 2
    assert "before --from" in backwards.stderr
    future = (beijing_today() + dt.timedelta(days=3)).isoformat()  # the command's clock
    ahead = fetch(tmp_path / "home", mirror.base, "2019-01-01", future)
    assert ahead.returncode == 2
    assert "after today" in ahead.stderr
    assert mirror.requests == []


@pytest.mark.parametrize("form", ["file-url", "folder"])
def test_an_offline_mirror_file_url_or_folder(tmp_path, mirror, form):
    base = mirror.root.as_uri() if form == "file-url" else str(mirror.root)
    home = tmp_path / "home"
    result = fetch(home, base, "2019-01-01", "2019-01-03")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "downloaded 3" in result.stdout
    over_http = tmp_path / "http"
    assert fetch(over_http, mirror.base, "2019-01-01", "2019-01-03").returncode == 0
    assert values(home).equals(values(over_http))


def test_province_keeps_that_provinces_stations_of_a_national_file(tmp_path, mirror):
    """The national file of 2019-01-01 fetched with --province 湖南 stores what the Hunan cut holds."""
    (mirror.root / day_name(JAN[0])).write_bytes(day_file(NATIONAL_3DAYS, JAN[0]))
    home = tmp_path / "home"
    no_registry = fetch(home, mirror.base, "2019-01-01", "2019-01-01", "--province", "湖南")
    assert no_registry.returncode == 2
    assert "lantian fetch stations" in no_registry.stderr
    stations = lantian(home, "fetch", "stations", "--mirror", mirror.base)
    assert stations.returncode == 0, stations.stderr
    assert "登记 1641 个站点" in stations.stdout
    result = fetch(home, mirror.base, "2019-01-01", "2019-01-01", "--province", "湖南")
    assert result.returncode == 0, result.stdout + result.stderr
    hunan = tmp_path / "hunan"
    (tmp_path / "cut").mkdir()
    (tmp_path / "cut" / day_name(JAN[0])).write_bytes(day_file(HUNAN_2019, JAN[0]))
    assert lantian(hunan, "import", str(tmp_path / "cut")).returncode == 0
    assert values(home).equals(values(hunan))

    only = tmp_path / "only"
    picked = fetch(only, mirror.base, "2019-01-01", "2019-01-01", "--stations", "2477A,2478A")
    assert picked.returncode == 0, picked.stderr
    codes = pc.unique(values(only)["station_code"]).to_pylist()
    assert sorted(codes) == ["2477A", "2478A"]


def test_a_station_list_that_is_an_html_page_is_refused(tmp_path, mirror):
    mirror.html.add(STATION_LIST_NAME)
    result = lantian(tmp_path / "home", "fetch", "stations", "--mirror", mirror.base)
    assert result.returncode == 2
    assert "HTML page" in result.stderr
    assert "Traceback" not in result.stderr


def test_update_fetches_from_the_last_stored_hour(tmp_path, mirror):
    """Day 2 is first published with its morning only (the release's file grows through the day):
    ``lantian update`` fetches it again, with day 3, from the same mirror."""
    home = tmp_path / "home"
    empty = lantian(home, "update")
    assert empty.returncode == 2
    assert "lantian fetch cnemc" in empty.stderr
    whole = (mirror.root / day_name(JAN[1])).read_bytes()
    lines = whole.split(b"\r\n")
    (mirror.root / day_name(JAN[1])).write_bytes(b"\r\n".join(lines[: 1 + 12 * 15]))  # hours 0–11
    (mirror.root / day_name(JAN[2])).unlink()
    first = fetch(home, mirror.base, "2019-01-01", "2019-01-02", "--stations", "2477A,2478A")
    assert first.returncode == 0, first.stderr
    last = pc.max(values(home)["ts"]).as_py()
    assert last == dt.datetime(2019, 1, 2, 11)

    (mirror.root / day_name(JAN[1])).write_bytes(whole)
    (mirror.root / day_name(JAN[2])).write_bytes(day_file(HUNAN_2019, JAN[2]))
    update = lantian(home, "update", "--to", "2019-01-03")
    assert update.returncode == 0, update.stdout + update.stderr
    assert "downloaded 2" in update.stdout  # 01-02 again (it was incomplete) and 01-03
    assert "(2019-01-02 … 2019-01-03, " + mirror.base in update.stdout
    table = values(home)
    assert pc.max(table["ts"]).as_py() == dt.datetime(2019, 1, 3, 23)
    assert sorted(pc.unique(table["station_code"]).to_pylist()) == ["2477A", "2478A"]  # remembered

    served = len(mirror.requests)
    years_later = lantian(home, "update")  # up to today: years of days, a back-fill, not an update
    assert years_later.returncode == 2, years_later.stdout + years_later.stderr
    assert (
        "exceed --max-days 92: back-fill with lantian fetch cnemc --from 2019-01-03"
        in years_later.stderr
    )
    assert len(mirror.requests) == served


def test_a_mirror_sending_too_much_is_cut_off(tmp_path, mirror, monkeypatch):
    """A mirror streaming more than a day file can hold fills no disk: the download stops, no file
    is kept (in-process, with the cap lowered to 50,000 bytes)."""
    monkeypatch.setattr(releases, "MAX_BYTES", 50_000)
    monkeypatch.setattr(releases, "CHUNK", 4_096)
    target = tmp_path / "downloads" / day_name(JAN[0])
    with pytest.raises(releases.FetchError, match="more than 50,000 bytes"):
        releases.download(f"{mirror.base}/{day_name(JAN[0])}", target)
    assert not target.exists()
    assert not releases.part_of(target).exists()


def test_a_station_list_published_as_xlsx(tmp_path, mirror):
    from tests.ingest.test_station_lists import as_workbook

    name = "站点列表-2022.02.13起.xlsx"
    as_workbook(mirror.root / STATION_LIST_NAME, mirror.root / name)
    home = tmp_path / "home"
    result = lantian(home, "fetch", "stations", name, "--mirror", mirror.base)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "登记 1641 个站点" in result.stdout
    imported = lantian(tmp_path / "other", "import", str(mirror.root / name))  # the same, by hand
    assert imported.returncode == 0, imported.stderr
    assert "登记 1641 个站点" in imported.stdout


def test_a_mirror_that_is_unavailable_for_a_moment(tmp_path, mirror):
    name = day_name(JAN[0])
    mirror.unavailable[name] = 1
    failed = fetch(tmp_path / "home", mirror.base, "2019-01-01", "2019-01-01", "--retries", "0")
    assert failed.returncode == 2, failed.stdout + failed.stderr
    assert "failed 1" in failed.stdout
    assert f"{name}: HTTP 503" in failed.stderr
    mirror.unavailable[name] = 1
    retried = fetch(tmp_path / "home", mirror.base, "2019-01-01", "2019-01-01")  # after a pause
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert "downloaded 1" in retried.stdout
    assert [r for r in mirror.requests if r[0] == name][-2:] == [(name, None), (name, None)]
