"""CNEMC's public real-time release as mirrors publish it: one file a day, fetched and checked.

Districts follow CNEMC's real-time release (全国城市空气质量实时发布平台) through mirrors that
publish it as daily files, ``<base>/china_sites_YYYYMMDD.csv`` — the layout of the widely used
public mirror ``https://quotsoft.net/air/data/`` (王晓磊's archive of the release since 2014-05-13),
and the files :mod:`lantian.ingest.cnemc` reads. The base is configuration (``LANTIAN_CNEMC_MIRROR``,
``--mirror``): an ``http(s)://`` URL, a ``file://`` URL or a plain folder (an offline intranet's copy).

CNEMC's current hourly release (one file per hour for the whole country, read by
:mod:`lantian.ingest.cnemc_hourly`) is archived since 2022 in the layout
``<base>/YYYY-MM-DD/YYYY-MM-DDTHH.csv`` — the public archive ``HeQinWill/CNEMC``'s ``Archive/`` folder
(``LANTIAN_CNEMC_HOURLY_MIRROR``; ``lantian fetch cnemc --format hourly-2022``); :func:`hour_name`,
:func:`hours` and :func:`check_hour_file` are its counterparts of the day functions.

A download goes to ``<name>.part`` first and continues from there with an HTTP ``Range`` request when
a transfer broke; only a file that passes :func:`check_day_file` gets its final name. A mirror answering
a missing day with an HTML page and status 200 is caught by the check, not imported.
"""

from __future__ import annotations

import datetime as dt
import http.client
import io
import os
import re
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

import lantian
from lantian.ingest.schema import FormatError
from lantian.ingest.stations import StationListError, read_station_list
from lantian.times import beijing_now

USER_AGENT = f"lantian/{lantian.__version__} (+air-quality attainment; CNEMC day files)"
CHUNK = 64 * 1024
MAX_BYTES = 64 * 1024 * 1024
"""A day file of all ~2,000 national stations is about 2 MB; a mirror sending more is refused."""
HOURS = 24
BOM = b"\xef\xbb\xbf"


class FetchError(RuntimeError):
    """A download that failed or a file that is not what was asked for; the message names it."""


class NotOnMirror(FetchError):  # noqa: N818 - a kind of FetchError, named for what the mirror says
    """The mirror has no such file (HTTP 404/410, or no such file in a folder)."""


class TransferBroke(FetchError):  # noqa: N818 - a kind of FetchError
    """The connection broke mid-file; what arrived is kept in ``.part`` and a retry resumes it."""


def day_name(day: dt.date) -> str:
    """The mirror's name of the file of ``day``."""
    return f"china_sites_{day:%Y%m%d}.csv"


def today() -> dt.date:
    """Today in Beijing, the release's time zone."""
    return beijing_now().date()


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    """The days ``first`` … ``last``, both included."""
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def source_of(mirror: str, name: str) -> str:
    """Where the mirror keeps ``name``: a URL for ``http(s)://`` and ``file://`` bases, a path else."""
    if re.match(r"^(https?|file)://", mirror, flags=re.IGNORECASE):
        return f"{mirror.rstrip('/')}/{urllib.parse.quote(name)}"
    return str(Path(mirror).expanduser() / name)


def _local(source: str) -> Path | None:
    if source.lower().startswith("file://"):
        return Path(urllib.request.url2pathname(urllib.parse.urlparse(source).path))
    if re.match(r"^https?://", source, flags=re.IGNORECASE):
        return None
    return Path(source)


def part_of(target: Path) -> Path:
    """The partial download of ``target``."""
    return target.with_name(target.name + ".part")


def download(
    source: str,
    target: Path,
    *,
    on_bytes: Callable[[int, int | None], None] | None = None,
    timeout: float = 60.0,
) -> str:
    """Fetch ``source`` into ``target``'s ``.part`` file (not checked, not renamed: see
    :func:`check_day_file`); an existing ``.part`` is continued with ``Range: bytes=N-``.

    Returns ``"resumed"`` or ``"downloaded"``. ``on_bytes(n, total)`` is called as bytes arrive.
    Raises :class:`NotOnMirror`, :class:`TransferBroke` (the ``.part`` is kept) or :class:`FetchError`.
    """
    part = part_of(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    local = _local(source)
    if local is not None:
        return _copy_local(local, source, part, on_bytes)
    offset = part.stat().st_size if part.exists() else 0
    response = _request(source, offset, timeout)
    if response is None:  # the .part is not a prefix of what the mirror has now: start again
        part.unlink()
        return download(source, target, on_bytes=on_bytes, timeout=timeout)
    with response:
        return _receive(response, source, part, offset, on_bytes)


def _copy_local(
    local: Path, source: str, part: Path, on_bytes: Callable[[int, int | None], None] | None
) -> str:
    """A ``file://`` or folder mirror's file copied to ``part``."""
    if not local.is_file():
        raise NotOnMirror(f"{source}: not on the mirror (no such file)")
    shutil.copyfile(local, part)
    if on_bytes:
        on_bytes(part.stat().st_size, part.stat().st_size)
    return "downloaded"


def _request(source: str, offset: int, timeout: float) -> http.client.HTTPResponse | None:
    """The mirror's response to a GET of ``source`` from byte ``offset``; None when the mirror
    refuses that range (HTTP 416: the ``.part`` is not a prefix of its file)."""
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        response: http.client.HTTPResponse = urllib.request.urlopen(  # http(s) only
            urllib.request.Request(source, headers=headers), timeout=timeout
        )
    except urllib.error.HTTPError as error:
        if error.code in (404, 410):
            raise NotOnMirror(f"{source}: not on the mirror (HTTP {error.code})") from error
        if error.code == 416 and offset:
            return None
        raise FetchError(f"{source}: HTTP {error.code} {error.reason}") from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise FetchError(f"{source}: cannot connect ({reason})") from error
    return response


def _receive(
    response: http.client.HTTPResponse,
    source: str,
    part: Path,
    offset: int,
    on_bytes: Callable[[int, int | None], None] | None,
) -> str:
    """The response's body written to ``part`` (appended when the mirror resumed at ``offset``)."""
    resumed = offset > 0 and response.status == 206
    if resumed and not (response.headers.get("Content-Range") or "").startswith(f"bytes {offset}-"):
        part.unlink()
        raise TransferBroke(f"{source}: the mirror resumed at the wrong place; run again")
    start = offset if resumed else 0
    length = response.headers.get("Content-Length")
    expected = start + int(length) if length and length.isdigit() else None
    with open(part, "ab" if resumed else "wb") as out:
        written = _copy_chunks(response, out, start, expected, source, part, on_bytes)
    if written > MAX_BYTES:
        part.unlink()
        raise FetchError(f"{source}: more than {MAX_BYTES:,} bytes, not a CNEMC day file")
    if expected is not None and written < expected:
        raise TransferBroke(_broke(source, written, part))
    return "resumed" if resumed else "downloaded"


def _copy_chunks(
    response: http.client.HTTPResponse,
    out: io.BufferedWriter,
    written: int,
    expected: int | None,
    source: str,
    part: Path,
    on_bytes: Callable[[int, int | None], None] | None,
) -> int:
    """Copy the body in chunks until its end or past :data:`MAX_BYTES`; the bytes written in all.

    A broken transfer keeps what arrived (in ``part``) and raises :class:`TransferBroke`."""
    try:
        while chunk := response.read(CHUNK):
            out.write(chunk)
            written += len(chunk)
            if written > MAX_BYTES:
                break
            if on_bytes:
                on_bytes(len(chunk), expected)
    except (http.client.IncompleteRead, OSError) as error:
        partial = getattr(error, "partial", b"") or b""
        out.write(partial)
        raise TransferBroke(_broke(source, written + len(partial), part)) from error
    return written


def download_retrying(
    source: str,
    target: Path,
    retries: int,
    *,
    on_bytes: Callable[[int, int | None], None] | None = None,
    pause: float = 2.0,
) -> str:
    """:func:`download` with up to ``retries`` more attempts: a broken transfer is resumed at once,
    another failure (a refused connection, HTTP 5xx) after ``pause`` × attempt seconds; a file the
    mirror does not have (:class:`NotOnMirror`) is not asked for again."""
    for attempt in range(retries + 1):
        try:
            return download(source, target, on_bytes=on_bytes)
        except NotOnMirror:
            raise
        except TransferBroke:
            if attempt == retries:
                raise
        except FetchError:
            if attempt == retries:
                raise
            time.sleep(pause * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def _broke(source: str, written: int, part: Path) -> str:
    return (
        f"{source}: the transfer broke after {written:,} bytes; kept in {part.name},"
        " the next attempt resumes it"
    )


def _refuse_html(data: bytes, source: str) -> None:
    head = data[:1024].lstrip(BOM).lstrip().lower()
    if head.startswith(b"<") or b"<html" in head or b"<!doctype" in head:
        raise FetchError(
            f"{source}: the mirror sent an HTML page, not a CNEMC day file"
            " (an error page with status 200?); nothing imported"
        )


def _read_release_file(
    path: Path, source: str, prefix: bytes, what: str, columns: dict[str, pa.DataType]
) -> pa.Table:
    """The ``columns`` of a release file after refusing an HTML page and a header that does not
    start with ``prefix``; every refusal a :class:`FetchError` naming the file (and line)."""
    data = path.read_bytes()
    _refuse_html(data, source)
    header = data.removeprefix(BOM).split(b"\n", 1)[0].rstrip(b"\r")
    if not header.startswith(prefix):
        shown = header[:60].decode("utf-8", errors="replace")
        expected = prefix.decode() + "…"
        raise FetchError(f"{source}: line 1: not a {what} (expected {expected}, found {shown!r})")
    try:
        return pacsv.read_csv(
            io.BytesIO(data),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(columns), column_types=columns
            ),
        )
    except (pa.ArrowInvalid, ValueError) as error:
        raise FetchError(f"{source}: not a {what} ({error})") from error


def _refuse_other_key(table: pa.Table, column: str, expected: str, source: str, of: str) -> None:
    """Refuse a file with a ``column`` value other than ``expected``, naming its first line."""
    wrong = pc.indices_nonzero(pc.not_equal(table[column], expected))
    if len(wrong):
        at = wrong[0].as_py()
        raise FetchError(
            f"{source}: line {at + 2}: {column} {table[column][at].as_py()} is not {expected},"
            f" {of} and of the requested range; nothing imported"
        )


def check_day_file(path: Path, day: dt.date, source: str | None = None) -> int:
    """Check that ``path`` is CNEMC's file of ``day``: not an HTML page, the header
    ``date,hour,type,<station codes>``, every ``date`` equal to ``day`` (the name's day, inside the
    requested range), hours 0–23. Returns how many of the 24 hours it holds (the release's file of
    the current day grows hour by hour). Raises :class:`FetchError` naming the file and the line."""
    source = source or str(path)
    table = _read_release_file(
        path,
        source,
        b"date,hour,type,",
        "CNEMC day file",
        {"date": pa.string(), "hour": pa.int64()},
    )
    if table.num_rows == 0:
        return 0
    _refuse_other_key(table, "date", f"{day:%Y%m%d}", source, "the day of the file's name")
    hours = pc.unique(table["hour"].combine_chunks().drop_null())
    if len(hours) and (pc.min(hours).as_py() < 0 or pc.max(hours).as_py() >= HOURS):
        raise FetchError(f"{source}: an hour outside 0–23; nothing imported")
    return len(hours)


def hour_name(ts: dt.datetime) -> str:
    """The archive's name of the hourly release file stamped ``ts`` (the end of the hour)."""
    return f"{ts:%Y-%m-%d}/{ts:%Y-%m-%dT%H}.csv"


def hours(first: dt.date, last: dt.date) -> list[dt.datetime]:
    """The hour-ending stamps of the natural days ``first`` … ``last``: D 01:00 … (last+1) 00:00."""
    start = dt.datetime.combine(first, dt.time(1))
    return [start + dt.timedelta(hours=n) for n in range(HOURS * ((last - first).days + 1))]


def check_hour_file(path: Path, ts: dt.datetime, source: str | None = None) -> int:
    """Check that ``path`` is CNEMC's hourly release file of hour ``ts``: not an HTML page, the
    header ``timepoint,stationcode,…``, every ``timepoint`` equal to ``ts`` (the hour of the file's
    name, inside the requested range). Returns its number of rows. Raises :class:`FetchError`
    naming the file and the line."""
    source = source or str(path)
    table = _read_release_file(
        path,
        source,
        b"timepoint,stationcode,",
        "CNEMC hourly release file",
        {"timepoint": pa.string()},
    )
    _refuse_other_key(
        table, "timepoint", f"{ts:%Y-%m-%dT%H}00", source, "the hour of the file's name"
    )
    return int(table.num_rows)


def check_station_list(path: Path, source: str | None = None) -> int:
    """Check that ``path`` is a CNEMC station list (CSV or ``.xlsx``, ``监测点编码,监测点名称,城市,
    经度,纬度``) by reading it as the import will; returns its number of stations."""
    source = source or str(path)
    _refuse_html(path.read_bytes()[:1024], source)
    try:
        table, _ = read_station_list(path)
    except (StationListError, FormatError, pa.ArrowInvalid, UnicodeDecodeError) as error:
        raise FetchError(f"{source}: not a CNEMC station list ({error})") from error
    return table.num_rows


def finish(target: Path) -> Path:
    """Give a checked ``.part`` file its final name (atomically)."""
    os.replace(part_of(target), target)
    return target
