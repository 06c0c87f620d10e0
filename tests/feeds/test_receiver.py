"""A real ``lantian receive`` process on real sockets: answers, quarantine, split packets, slow
and hostile peers (constructed frames of the simulator's fleet)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import socket
import threading

import pyarrow.compute as pc

from lantian.feeds.rawlog import RawRecord
from lantian.feeds.receiver import Receiver, ReceiverOptions
from lantian.ingest.hj212 import Frame, FrameScanner, encode_frame
from lantian.sources.devices import StaticDirectory

from .conftest import (
    FLEET,
    closed_by_peer,
    connect,
    minute_frame,
    read_frames,
    start_receiver,
    wait_until,
)


def stored_frames(receiver) -> set[tuple[str, str]]:
    table = receiver.stored().read()
    return {
        (mn, ts.strftime("%Y%m%d%H%M%S"))
        for mn, ts in zip(
            table.column("mn").to_pylist(), table.column("ts").to_pylist(), strict=True
        )
    }


def test_acknowledges_what_it_stores(receiver):
    with connect(receiver.port) as sock:
        sock.sendall(minute_frame(0, 0) + minute_frame(0, 1, flag=4) + minute_frame(0, 2))
        acks = read_frames(sock, 2)
    assert [(a.cn, a.st, a.qn, a.mn) for a in acks] == [
        ("9014", "91", "20261201080000000", FLEET[0].device.mn),
        ("9014", "91", "20261201080200000", FLEET[0].device.mn),
    ]
    assert wait_until(lambda: len(stored_frames(receiver)) == 3)
    table = receiver.stored().read()
    assert set(table.column("factor").to_pylist()) == {"a34004", "a34002"}
    assert set(table.column("source").to_pylist()) == {"simulated"}


def test_a_repeated_frame_is_answered_and_stored_once(receiver):
    with connect(receiver.port) as sock:
        sock.sendall(minute_frame(1, 0) * 3)
        assert len(read_frames(sock, 3)) == 3
    assert wait_until(lambda: receiver.stored().read().num_rows == 2)
    assert stored_frames(receiver) == {(FLEET[1].device.mn, "20261201080000")}


def test_unknown_mn_and_wrong_password_are_quarantined_and_closed(receiver):
    for frame, reason in [
        (minute_frame(0, 5, mn="UNKNOWN0000000000000001"), "unknown_mn"),
        (minute_frame(2, 5, password="guess1"), "wrong_password"),
    ]:
        with connect(receiver.port) as sock:
            sock.sendall(frame + minute_frame(2, 6))
            assert read_frames(sock, 1) == []  # no answer, connection closed
        entries = [e for e in receiver.events("quarantine") if e["reason"] == reason]
        assert len(entries) == 1
        assert entries[0]["peer"].startswith("127.0.0.1:")
        assert entries[0]["raw"].encode("latin-1") == frame
    receiver.stop()
    assert receiver.stored().read().num_rows == 0


def test_split_packets_are_stored_as_one_frame(receiver):
    device = FLEET[3]
    base = (
        f"QN=20261201090000000;ST=22;CN=2051;PW={device.password};MN={device.device.mn};"
        "Flag=7;PNUM=2;PNO={pno};CP=&&{cp}&&"
    )
    first = encode_frame(base.format(pno=1, cp="DataTime=20261201090000;a34004-Avg=11.5"))
    second = encode_frame(base.format(pno=2, cp="a34002-Avg=21.5,a34002-Flag=N"))
    with connect(receiver.port) as sock:
        sock.sendall(first)
        assert len(read_frames(sock, 1)) == 1
        sock.sendall(second)
        assert len(read_frames(sock, 1)) == 1
    assert wait_until(lambda: receiver.stored().read().num_rows == 2)
    table = receiver.stored().read()
    values = dict(
        zip(table.column("factor").to_pylist(), table.column("value").to_pylist(), strict=True)
    )
    assert values == {"a34004": 11.5, "a34002": 21.5}


def test_a_split_set_whose_packets_reach_two_worker_processes_is_stored_as_one_frame(tmp_path):
    """A device keeps its connection, so a split set's packets normally reach one process; one
    that reconnects between two packets may reach the other (``SO_REUSEPORT`` spreads new
    connections). Worker 0 reads what every worker made durable, so the set is assembled."""
    receiver = start_receiver(tmp_path / "home", "--workers", "2")
    raw = receiver.feeds / "raw"
    device = FLEET[3]
    base = (
        f"QN=20261201100000000;ST=22;CN=2051;PW={device.password};MN={device.device.mn};"
        "Flag=7;PNUM=2;PNO={pno};CP=&&{cp}&&"
    )
    first = encode_frame(base.format(pno=1, cp="DataTime=20261201100000;a34004-Avg=12.5"))
    second = encode_frame(base.format(pno=2, cp="a34002-Avg=22.5,a34002-Flag=N"))

    def logs_holding(frame: bytes) -> list[str]:
        return sorted(p.name for p in raw.glob("*.hj212") if frame in p.read_bytes())

    try:
        with connect(receiver.port) as sock:
            sock.sendall(first)
            assert len(read_frames(sock, 1)) == 1
        for minute in range(60):  # new connections until one reaches the other process
            with connect(receiver.port) as sock:
                probe = minute_frame(2, minute)
                sock.sendall(probe)
                assert len(read_frames(sock, 1)) == 1
                if logs_holding(probe) != logs_holding(first):
                    sock.sendall(second)
                    assert len(read_frames(sock, 1)) == 1
                    break
        else:
            raise AssertionError("60 connections all reached one process")
        assert logs_holding(first) != logs_holding(second)
    finally:
        assert receiver.stop() == 0
    table = receiver.stored().read()
    table = table.filter(pc.equal(table.column("mn"), device.device.mn))
    values = dict(
        zip(table.column("factor").to_pylist(), table.column("value").to_pylist(), strict=True)
    )
    assert values == {"a34004": 12.5, "a34002": 22.5}


def test_malformed_frames_are_logged_with_their_bytes(receiver):
    good = minute_frame(0, 10)
    bad_crc = good[:-6] + (b"0000" if good[-6:-2] != b"0000" else b"1111") + b"\r\n"
    with connect(receiver.port) as sock:
        sock.sendall(b"hello" + bad_crc + good)
        assert len(read_frames(sock, 1)) == 1
    reasons = {e["reason"]: e for e in receiver.events("rejected")}
    assert reasons["bad_crc"]["raw"].encode("latin-1") == bad_crc
    assert reasons["bad_start"]["raw"] == "hello"


def test_a_peer_with_too_many_bad_frames_is_disconnected(receiver):
    with connect(receiver.port) as sock:
        sock.sendall(b"##00x1" * 20)
        assert closed_by_peer(sock)
    assert any(e["reason"] == "too_many_bad_frames" for e in receiver.events("rejected"))
    with connect(receiver.port) as sock:  # and the receiver still serves
        sock.sendall(minute_frame(0, 20))
        assert len(read_frames(sock, 1)) == 1


def test_slowloris_and_a_huge_length_field_are_cut_off(receiver):
    frame = minute_frame(0, 30)
    with connect(receiver.port) as slow, connect(receiver.port) as huge:
        slow.sendall(frame[:10])  # then nothing: the frame never completes
        huge.sendall(b"##9999" + b"A" * 100)
        for sock in (slow, huge):
            assert closed_by_peer(sock, 15)
    reasons = [e["reason"] for e in receiver.events("rejected")]
    assert reasons.count("slow_frame") == 2


def test_idle_peers_are_disconnected(receiver):
    with connect(receiver.port) as sock:
        assert closed_by_peer(sock, 15)
    assert any(e["reason"] == "idle" for e in receiver.events("rejected"))


def test_garbage_never_takes_the_server_down(receiver):
    rng = __import__("random").Random(212)
    for _ in range(20):
        with connect(receiver.port) as sock:
            sock.sendall(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 3000))))
            sock.sendall(b"##" + os.urandom(200))
    with connect(receiver.port) as sock:
        sock.sendall(minute_frame(2, 40))
        assert len(read_frames(sock, 1)) == 1
    assert receiver.process.poll() is None


def test_many_connections_at_once(receiver):
    count = 300
    answered: list[int] = []

    def device(number: int) -> None:
        with connect(receiver.port, timeout=30) as sock:
            sock.sendall(minute_frame(number % 4, 100 + number))
            answered.append(len(read_frames(sock, 1)))

    threads = [threading.Thread(target=device, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert answered == [1] * count
    assert wait_until(lambda: len(stored_frames(receiver)) == count)


def test_a_frame_sent_byte_by_byte_is_answered(receiver):
    frame = minute_frame(1, 50)
    with connect(receiver.port) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for byte in frame:
            sock.send(bytes([byte]))
        acks = read_frames(sock, 1)
    assert isinstance(acks[0], Frame)
    assert FrameScanner().feed(acks[0].raw)[0].cn == "9014"


def test_password_guessing_backs_off_per_mn_and_address(receiver):
    """Issue #11's login class on the device port: after three wrong passwords for one MN from
    one address, its frames are refused unread for a while — even the right password — while
    another device behind the same address is answered as usual."""
    for attempt in range(3):
        with connect(receiver.port) as sock:
            sock.sendall(minute_frame(2, 10 + attempt, password=f"guess{attempt}"))
            assert read_frames(sock, 1) == []
    with connect(receiver.port) as sock:
        sock.sendall(minute_frame(2, 20))  # the right password, within the back-off
        assert read_frames(sock, 1) == []
    with connect(receiver.port) as sock:
        sock.sendall(minute_frame(3, 20))  # another device, same address
        assert len(read_frames(sock, 1)) == 1
    reasons = [e["reason"] for e in receiver.events("quarantine")]
    assert reasons == ["wrong_password"] * 3 + ["backoff"]


def test_a_peer_that_never_reads_its_answers_is_paused_and_cut_off(receiver):
    """A slow peer: it sends thousands of frames asking for answers and reads none. The receiver
    stops reading it once its answers pile up (nothing held without bound), answers the other
    devices meanwhile, and disconnects it after ``--idle-seconds`` (3 s here) as a slow reader."""
    frames = b"".join(minute_frame(0, 2000 + minute) for minute in range(6000))
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    slow.settimeout(60)
    slow.connect(("127.0.0.1", receiver.port))

    def flood() -> None:
        with contextlib.suppress(OSError):  # cut off while sending: what the test wants
            slow.sendall(frames)

    sending = threading.Thread(target=flood)
    sending.start()
    try:
        with connect(receiver.port) as sock:
            sock.sendall(minute_frame(1, 60))
            assert len(read_frames(sock, 1)) == 1
        assert wait_until(
            lambda: any(e["reason"] == "slow_reader" for e in receiver.events("rejected")), 60
        ), [e["reason"] for e in receiver.events("rejected")]
        sending.join(60)
        assert not sending.is_alive()
    finally:
        slow.close()
    assert receiver.process.poll() is None


def test_an_acknowledged_frame_of_a_device_the_storing_process_does_not_know(tmp_path):
    """The storing process looks devices up in its own copy of the registry: a device a worker
    accepted is looked up again after a refresh, and one still unknown (removed meanwhile) has
    its acknowledged frame kept in the rejection log, never passed over silently."""
    device = FLEET[0].device

    class LateRegistry:  # knows the device only once refreshed
        def __init__(self):
            self.known = {}

        def get(self, mn):
            return self.known.get(mn)

        def refresh(self):
            self.known = {device.mn: device}

    registry = LateRegistry()
    receiver = Receiver(tmp_path, registry)
    at = dt.datetime(2026, 12, 1, 8, 0, 5)
    first, gone = minute_frame(0, 0), minute_frame(0, 1)
    log_name = "2026-12-01.w1.hj212"
    assert receiver._take_records([RawRecord(log_name, 0, 200, at, "peer:1", first)]) == 1
    registry.refresh = lambda: None  # type: ignore[method-assign]
    registry.known = {}  # removed from the registry since
    assert receiver._take_records([RawRecord(log_name, 200, 400, at, "peer:1", gone)]) == 0
    [entry] = receiver.events.read("rejected")
    assert (entry["reason"], entry["raw"]) == ("unknown_mn_at_store", gone.decode("latin-1"))
    assert (entry["log"], entry["start"]) == (log_name, 200)


def storing_receiver(folder) -> Receiver:
    """A storing receiver not listening (its flusher started by the test)."""
    return Receiver(folder, StaticDirectory(), options=ReceiverOptions(flush_seconds=0.01))


def test_stop_waits_for_the_flush_under_way_before_the_final_one(tmp_path):
    """The flush thread of the flusher cannot be cancelled: the final flush of ``stop`` must
    not run beside it on the same intake."""
    receiver = storing_receiver(tmp_path)
    entered, release = threading.Event(), threading.Event()
    running, overlapped, flushes = [0], [], []
    take, flush = receiver._take, receiver.flush

    def blocking_take(durable):
        running[0] += 1
        overlapped.append(running[0] > 1)
        if len(overlapped) == 1:
            entered.set()
            release.wait(120)
        try:
            return take(durable)
        finally:
            running[0] -= 1

    def counted_flush(hourly=False):
        flushes.append(hourly)
        return flush(hourly)

    receiver._take = blocking_take  # type: ignore[method-assign]
    receiver.flush = counted_flush  # type: ignore[method-assign]

    async def main() -> int:
        receiver._tasks = [asyncio.create_task(receiver._flusher())]
        await asyncio.to_thread(entered.wait, 120)
        stopping = asyncio.create_task(receiver.stop())
        for _ in range(100):  # loop turns, not time: stop() runs as far as it can
            await asyncio.sleep(0)
        started = len(flushes)
        release.set()
        await stopping
        return started

    assert asyncio.run(main()) == 1  # the final flush had not started beside the blocked one
    assert flushes[-1] is True
    assert not any(overlapped)


def test_a_failed_flush_stops_the_receiver_and_stores_nothing_more(tmp_path):
    """One failed commit must not end the flusher silently while frames are acknowledged: the
    receiver stops (``serve_forever`` exits non-zero) and commits nothing more."""
    receiver = storing_receiver(tmp_path)
    commits = []

    def failing_commit(batch, cursors):
        commits.append(cursors)
        raise OSError("disk gone")

    receiver._commit = failing_commit  # type: ignore[method-assign]

    async def main() -> None:
        flusher = asyncio.create_task(receiver._flusher())
        receiver._tasks = [flusher]
        await asyncio.wait_for(flusher, 120)  # returns (no exception escapes it)
        assert receiver.stopping.is_set()
        assert receiver.failed
        await receiver.stop()

    asyncio.run(main())
    assert len(commits) == 1  # stop() made no final commit after the failure
