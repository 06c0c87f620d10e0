"""Issue #11 items 3, 9, 12, 13, 14 and the ``server`` header, attacked over real sockets on a
real ``lantian serve``."""

from __future__ import annotations

import contextlib
import socket
import time
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from lantian.web import create_app
from lantian.web.guard import BODY_LIMITS

SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "referrer-policy")


def raw_request(base: str, head: str, body_parts=(), timeout: float = 20) -> tuple[int, int]:
    """Send ``head`` and then ``body_parts`` over a socket until the server answers; (status,
    body bytes sent before the answer came). A server that waits for the whole body answers only
    after it, and the read times out."""
    url = urlsplit(base)
    with socket.create_connection((url.hostname, url.port), timeout=timeout) as connection:
        connection.sendall(head.replace("\n", "\r\n").encode() + b"\r\n")
        sent = 0
        connection.setblocking(False)
        answer = b""
        for part in body_parts:
            with contextlib.suppress(BlockingIOError):
                answer += connection.recv(65536)
            if answer:
                break
            try:
                connection.sendall(part)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                break
            sent += len(part)
        connection.setblocking(True)
        connection.settimeout(timeout)
        while b"\r\n" not in answer:
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    return int(answer.split(b" ", 2)[1]), sent


def test_both_length_headers_are_refused_before_the_body(server):
    """Item 3: ``Content-Length: 100`` with ``Transfer-Encoding: chunked`` and a huge body was
    spooled to disk in full, without login. Now: 400 at once."""
    head = (
        "POST /ledger/reports HTTP/1.1\nHost: lantian\nContent-Length: 100\n"
        "Transfer-Encoding: chunked\nContent-Type: multipart/form-data; boundary=x\n"
    )
    chunk = b"100000\r\n" + b"x" * 0x100000 + b"\r\n"  # 1 MiB chunks
    status, sent = raw_request(server, head, [chunk] * 300)
    assert status == 400
    assert sent < 50 * 2**20


def test_a_request_head_sent_slowly_or_never_is_cut_off(server):
    """Slowloris against ``lantian serve`` itself (no proxy in front): uvicorn waited for a head
    without end, so connections that send nothing, or a header line now and then, held their file
    descriptors for ever — a thousand of them and a server with the usual limit of 1,024 took no
    more clients. Now a head must be whole within 20 s (``guard.TimedRequestHead``)."""
    url = urlsplit(server)
    with (
        socket.create_connection((url.hostname, url.port), timeout=10) as dribbling,
        socket.create_connection((url.hostname, url.port), timeout=10) as silent,
    ):
        dribbling.sendall(b"GET /now HTTP/1.1\r\nHost: lantian\r\n")
        dribbling.settimeout(1)
        started, closed = time.monotonic(), False
        while not closed and time.monotonic() - started < 90:
            try:
                closed = dribbling.recv(100) == b""
            except TimeoutError:
                try:
                    dribbling.sendall(b"X-Slow: 1\r\n")  # one header line a second
                except OSError:
                    closed = True
            except OSError:
                closed = True
        assert closed, "a dribbled head was still waited for after 90 s"
        silent.settimeout(30)
        with contextlib.suppress(ConnectionResetError):
            assert silent.recv(100) == b""  # closed, nothing answered
    assert raw_request(server, "GET /api/v1/years HTTP/1.1\nHost: lantian\n")[0] == 200


def test_a_form_without_a_session_is_refused_before_its_body_is_read(server):
    """Item 3: the session is checked before a form body is parsed — an anonymous 20 MB upload
    is answered 401 long before it is all sent."""
    size = 20 * 2**20
    head = (
        f"POST /ledger/reports HTTP/1.1\nHost: lantian\nContent-Length: {size}\n"
        "Content-Type: multipart/form-data; boundary=x\n"
    )
    status, sent = raw_request(server, head, [b"x" * 2**16] * (size // 2**16))
    assert status == 401
    assert sent < size


def test_the_body_is_counted_as_received(visitor):
    """Item 3: a logged-in upload whose Content-Length is under the ledger's 20 MB but whose
    route (the template import) takes 10 MB is cut off at the route's limit, whatever it
    declared."""
    reporter = visitor("hb")
    limit = BODY_LIMITS["/ledger/import"]
    response = reporter.post(
        "/ledger/import",
        data={"csrf_token": reporter.csrf},
        files={"workbook": ("big.xlsx", b"x" * (limit + 2**20), "application/octet-stream")},
    )
    assert response.status_code == 413


ID_ROUTES = [
    ("GET", "/ledger/evidence/{n}"),
    ("GET", "/ledger/tasks/{n}/report"),
    ("POST", "/ledger/reports/{n}/evidence"),
    ("POST", "/ledger/reports/{n}/review"),
    ("POST", "/ledger/supervision/{n}/close"),
    ("POST", "/ledger/assessment/{n}/record"),
]


@pytest.mark.parametrize(("method", "route"), ID_ROUTES)
@pytest.mark.parametrize("number", ["99999999999999999999", "-5", "99999"])
def test_ids_and_years_out_of_range_are_refused_not_500(visitor, method, route, number):
    """Item 9: ids beyond 64 bits (and years −5 and 99999) gave 500."""
    office = visitor("office")
    data = {"csrf_token": office.csrf, "decision": "accepted", "closed_on": "2019-06-01"}
    data["closure"] = "整改完成"
    response = office.request(method, route.format(n=number), data=data)
    assert response.status_code in (400, 404), response.text[:300]


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/hourly?start=9999-12-31",
        "/api/v1/daily?start=9999-12-25",
        "/api/v1/aqi?report=hourly&start=9999-12-31",
        "/api/v1/progress?date=9999-12-31",
        "/api/v1/warning?date=9999-12-31",
        "/api/v1/hourly?end=0001-01-01",
    ],
)
def test_dates_beyond_the_calendar_are_422(visitor, query):
    """Item 12: date overflow gave 500."""
    assert visitor().get(query).status_code == 422


def test_junk_parameters_do_not_make_cache_entries(visitor):
    """Item 13: the cache key is the route's own parameters: a request padded with junk is the
    same entry (same ETag) as the plain one, and the junk never reaches the page."""
    http = visitor()
    plain = http.get("/api/v1/stations?city=永州")
    assert plain.status_code == 200
    etags = set()
    for i in range(20):
        junk = f"/api/v1/stations?city=永州&junk{i}={'x' * 4000}&_={i}"
        response = http.get(junk)
        assert response.status_code == 200
        assert response.content == plain.content
        etags.add(response.headers["etag"])
    assert etags == {plain.headers["etag"]}
    page = http.get(f"/now?city=永州&evil={'<b>' * 10}")
    assert "evil" not in page.text


def test_junk_languages_and_repeated_parameters_do_not_make_cache_entries(visitor):
    """Item 13's class, found after it: ``lang`` (kept for every page) took any value, in the
    query or the cookie, and a parameter repeated a hundred times was a key of its own — each a
    new entry, so a few thousand requests emptied the cache of every real question. The key
    keeps a language only if the pages know it, and one value of a parameter that takes one."""
    http = visitor()
    plain = http.get("/api/v1/stations?city=永州")
    assert plain.status_code == 200
    asked = [f"/api/v1/stations?city=永州&lang=x{i}{'y' * 2000}" for i in range(10)]
    asked += ["/api/v1/stations?" + "&".join(["city=永州"] * (i + 2)) for i in range(10)]
    answers = [http.get(path) for path in asked]
    cookies = [
        http.get("/api/v1/stations?city=永州", headers={"cookie": f"lang=x{i}{'y' * 2000}"})
        for i in range(10)
    ]
    for response in answers + cookies:
        assert response.status_code == 200
        assert response.content == plain.content
    assert {r.headers["etag"] for r in answers + cookies} == {plain.headers["etag"]}
    english = http.get("/api/v1/stations?city=永州&lang=en")  # a real language stays a key
    assert english.headers["etag"] != plain.headers["etag"]


@pytest.mark.parametrize(
    "path",
    [
        "/now",
        "/attainment",
        "/api/v1/years",
        "/api/v1/openapi.json",
        "/static/lantian.css",
        "/static/echarts/echarts.min.js",
        "/no/such/page",
        "/api/v1/no-such-route",
        "/api/v1/hourly?start=9999-12-31",
        "/ledger/login",
        "/ledger",
        "/devices",
        "/api/v1/devices",
        "/api/v1/devices/NOSUCHDEVICE/minutes",
        "/api/v1/devices/NOSUCHDEVICE/hourly",
        "/devices/NOSUCHDEVICE",
        "/warnings",
        "/api/v1/warnings?format=csv",
        "/api/v1/cases",
        "/ledger/cases",
        "/ledger/cases/1",
        "/ledger/map",
        "/ledger/roadmap",
        "/api/v1/roadmap",
        "/api/v1/inventory/years",
    ],
)
def test_every_response_carries_the_security_headers(visitor, path):
    """Item 14 (and no ``server: uvicorn``): pages, API, static files, 404, 422, the ledger."""
    response = visitor().get(path)
    for header in SECURITY_HEADERS:
        assert header in response.headers, (path, response.status_code, header)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "server" not in response.headers


def test_a_500_carries_the_security_headers_too(tmp_path):
    """Item 14: the headers are added outside the handler of unexpected errors (an app with a
    route that fails, in-process: a real server has no route that fails on purpose)."""
    app = create_app(tmp_path / "measurements", warm_up=False)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    for header in SECURITY_HEADERS:
        assert header in response.headers
