"""The HJ 212 device port attacked as an attacker on the network would, against a real
``lantian receive`` process (constructed frames of the simulator's fleet): a frame claiming
another device's MN, idle connections that fill every slot, and one password sprayed over many
MNs. Attackers and devices get addresses of their own on the loopback network (Linux routes all
of 127.0.0.0/8 to ``lo``), so the receiver sees several peers.

Slow frames, oversized length fields, garbage, idle peers, guessing one MN's password and peers
that never read their answers are attacked in ``tests/feeds/test_receiver.py``."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator

import pytest

from lantian.ingest.hj212 import encode_frame
from tests.feeds.conftest import (
    FLEET,
    minute_frame,
    read_frames,
    start_receiver,
    wait_until,
)


def connect_from(address: str, port: int, timeout: float = 10) -> socket.socket:
    """A connection to the receiver from ``address`` (127.x.y.z)."""
    sock = socket.create_connection(
        ("127.0.0.1", port), timeout=timeout, source_address=(address, 0)
    )
    sock.settimeout(timeout)
    return sock


def answered(address: str, port: int, frame: bytes) -> bool:
    """Whether ``frame``, sent on a new connection from ``address``, is acknowledged."""
    with connect_from(address, port) as sock:
        sock.sendall(frame)
        return len(read_frames(sock, 1)) == 1


def still_open(sock: socket.socket) -> bool:
    """Whether the receiver has not closed ``sock`` (nothing to read, no end of stream)."""
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


@pytest.fixture
def receiver(tmp_path) -> Iterator:
    running = start_receiver(
        tmp_path / "home",
        "--idle-seconds", "120",
        "--max-connections", "30",
        "--max-unproven-per-address", "8",
    )  # fmt: skip
    yield running
    running.stop()


def test_a_frame_claiming_another_mn_is_quarantined(receiver):
    """Device 0, its own frame accepted, then sends one with device 1's MN and its own password
    on the same connection: quarantined, the connection closed, nothing of device 1 stored."""
    with connect_from("127.0.0.2", receiver.port) as sock:
        sock.sendall(minute_frame(0, 0))
        assert len(read_frames(sock, 1)) == 1
        sock.sendall(minute_frame(1, 1, password=FLEET[0].password))
        assert read_frames(sock, 1) == []
    assert [e["reason"] for e in receiver.events("quarantine")] == ["wrong_password"]
    receiver.stop()
    assert set(receiver.stored().read().column("mn").to_pylist()) == {FLEET[0].device.mn}


def test_idle_connections_of_one_address_cannot_keep_devices_out(receiver):
    """An attacker opens as many silent connections as the receiver serves (30 here): before,
    every slot was theirs until ``--idle-seconds`` and each device was closed at once; now one
    address holds at most 8 connections without an accepted frame."""
    with contextlib.ExitStack() as stack:
        flood = [stack.enter_context(connect_from("127.0.0.2", receiver.port)) for _ in range(30)]
        assert wait_until(lambda: sum(not still_open(s) for s in flood) == 22)
        assert answered("127.0.0.3", receiver.port, minute_frame(0, 5))
        assert sum(still_open(s) for s in flood) == 8
    reasons = [e["reason"] for e in receiver.events("rejected")]
    assert reasons.count("too_many_from_address") == 22


def test_idle_connections_from_many_addresses_make_room_for_devices(receiver):
    """Silent connections from ten addresses (eight each, 80 > 30 slots): a new device evicts the
    oldest connection that never sent an accepted frame; a device's connection is never evicted."""
    with contextlib.ExitStack() as stack:
        device = stack.enter_context(connect_from("127.0.0.4", receiver.port))
        device.sendall(minute_frame(1, 0))
        assert len(read_frames(device, 1)) == 1
        flood = [
            stack.enter_context(connect_from(f"127.0.1.{n // 8 + 1}", receiver.port))
            for n in range(80)
        ]
        assert wait_until(lambda: sum(still_open(s) for s in flood) == 29)
        assert answered("127.0.0.3", receiver.port, minute_frame(0, 6))
        device.sendall(minute_frame(1, 1))  # still connected, still answered
        assert len(read_frames(device, 1)) == 1
    assert any(e["reason"] == "evicted_unproven" for e in receiver.events("rejected"))


def test_one_password_sprayed_over_many_mns_backs_off_the_address(receiver):
    """One guess per MN never reached any MN's back-off (three free tries each), so an attacker
    could try the factory password on every device the public ``/api/v1/devices`` lists. Now,
    after 20 refusals from one address, its frames for MNs not accepted from it lately are
    refused unread — while a device already sending from behind that address goes on, and the
    same device from another address is answered."""
    attacker, elsewhere = "127.0.0.5", "127.0.0.6"
    assert answered(attacker, receiver.port, minute_frame(1, 0))  # a device behind the NAT
    for n in range(20):
        frame = minute_frame(0, n, mn=f"SPRAY{n:018d}", password="123456")
        assert not answered(attacker, receiver.port, frame)
    assert not answered(attacker, receiver.port, minute_frame(2, 0))  # right password: refused
    assert answered(attacker, receiver.port, minute_frame(1, 1))
    assert answered(elsewhere, receiver.port, minute_frame(2, 1))
    reasons = [e["reason"] for e in receiver.events("quarantine")]
    assert reasons == ["unknown_mn"] * 20 + ["backoff"]


def test_closed_connections_are_forgotten(receiver):
    """An address that opened its 8 unproven connections and closed them may open 8 again (the
    count follows closes), and its device is answered."""

    def eight_stay_open() -> bool:
        with contextlib.ExitStack() as stack:
            opened = [
                stack.enter_context(connect_from("127.0.0.7", receiver.port)) for _ in range(8)
            ]
            time.sleep(0.3)  # a refused one is closed at once
            return all(still_open(s) for s in opened)

    for _ in range(3):
        assert wait_until(eight_stay_open, 30)
    assert wait_until(lambda: answered("127.0.0.7", receiver.port, minute_frame(3, 0)))


def test_garbage_from_many_connections_cannot_fill_the_disk(tmp_path):
    """Each connection may send ten malformed frames before it is cut off, and each was logged
    with up to 2 KB of its bytes (12 KB of JSON when they are not ASCII): an attacker reconnecting
    at line rate filled the disk the raw log needs (~60 MB/s from 500 connections a second). Now
    each day's rejection log stops at ``--event-log-mb`` (here 0.05 MB) with one ``log_full``
    line, and devices are still answered. The same for the quarantine log (300 unknown MNs from
    many addresses) and the console line each quarantined frame printed."""
    running = start_receiver(tmp_path / "home", "--event-log-mb", "0.05")
    try:
        for _ in range(20):
            # cut off after ten frames (OSError): what is attacked
            with connect_from("127.0.0.8", running.port) as sock, contextlib.suppress(OSError):
                sock.sendall((b"\xff" * 2000 + b"##") * 12)
                read_frames(sock, 1)
        for n in range(300):  # quarantined frames: their log, and the console's line each
            frame = minute_frame(0, n, mn=f"FLOOD{n:018d}", password="123456")
            assert not answered(f"127.0.2.{n % 250 + 1}", running.port, frame)
        assert answered("127.0.0.9", running.port, minute_frame(0, 0))
        for kind in ("rejected", "quarantine"):
            logs = list((running.feeds / kind).glob("*.jsonl"))
            assert sum(path.stat().st_size for path in logs) <= 0.05 * 2**20 + 200
            assert [e["reason"] for e in running.events(kind)][-1] == "log_full"
        written = len(running.events("quarantine")) - 1
        console = running.output.read_text(errors="replace").count("quarantine unknown_mn")
        assert console == written < 300
    finally:
        running.stop()


def split_packet(qn: int, pno: int, pnum: int = 2) -> bytes:
    """Packet ``pno`` of ``pnum`` of a split set of the test fleet's device 0 (constructed)."""
    device = FLEET[0]
    moment = f"2026120110{qn % 60:02d}00"
    return encode_frame(
        f"QN={moment}{qn:03d};ST=22;CN=2051;PW={device.password};MN={device.device.mn};"
        f"Flag=7;PNUM={pnum};PNO={pno};CP=&&DataTime={moment};a34004-Avg={qn}.5&&"
    )


def test_split_sets_that_never_complete_cannot_fill_the_memory(tmp_path):
    """With one device's password (HJ 212 sends it in clear), an attacker sent first packets of
    split sets that never complete, and one packet again and again: the receiver held every one
    for ten minutes (and looked at all of them for each frame). Now a device holds at most 16
    incomplete sets — more are refused as ``too_many_split_sets`` — and a held packet is held
    once; the sets it holds still complete."""
    running = start_receiver(tmp_path / "home")
    try:
        with connect_from("127.0.0.10", running.port) as sock:
            sock.sendall(b"".join(split_packet(n, 1) for n in range(40)) + split_packet(0, 1) * 50)
            assert len(read_frames(sock, 90)) == 90  # durable, so answered
            sock.sendall(split_packet(3, 2))
            assert len(read_frames(sock, 1)) == 1

        def refused() -> list[dict]:
            return [e for e in running.events("rejected") if e["reason"] == "too_many_split_sets"]

        assert wait_until(lambda: len(refused()) == 24)
        assert wait_until(lambda: running.stored().read().num_rows == 1)  # set 3, completed
    finally:
        running.stop()
