"""The raw log's durable mark: what worker 0 reads of another worker's log (constructed frames
of the simulator's fleet)."""

from __future__ import annotations

import datetime as dt
import os

from lantian.feeds.rawlog import RawLog, encode_records, read_records

from .conftest import minute_frame

DAY = dt.date(2026, 12, 1)
RECEIVED = dt.datetime(2026, 12, 1, 8, 0, 5)


def records(*frames: bytes) -> bytes:
    return b"".join(encode_records(RECEIVED, ["127.0.0.1:5000"] * len(frames), list(frames)))


def test_a_reader_gets_what_the_writer_made_durable_and_nothing_past_it(tmp_path):
    writer = RawLog(tmp_path, worker=1)
    writer.open()
    try:
        first = records(minute_frame(0, 0), minute_frame(1, 0))
        name, size = writer.write(first, DAY)
        reader = RawLog(tmp_path, worker=1)  # another process's view: no lock taken
        assert reader.durable() == (name, size) == ("2026-12-01.w1.hj212", len(first))
        found = reader.durable_records({})
        assert [r.frame for r in found] == [minute_frame(0, 0), minute_frame(1, 0)]
        # from a position on (the cursor of what was taken): only what follows
        writer.write(records(minute_frame(3, 0)), DAY)
        later = reader.durable_records({name: found[-1].end})
        assert [r.frame for r in later] == [minute_frame(3, 0)]
        # the next day's file: the older one is read to its end, the newer up to the mark
        newer, _ = writer.write(records(minute_frame(0, 1)), DAY + dt.timedelta(days=1))
        assert [r.log for r in reader.durable_records({name: later[-1].end})] == [newer]
        # bytes written but not yet fsynced (the mark not moved past them): not read
        with open(tmp_path / "raw" / newer, "ab") as handle:
            handle.write(records(minute_frame(2, 1)))
        assert [r.frame for r in reader.durable_records({name: later[-1].end})] == [
            minute_frame(0, 1)
        ]
    finally:
        writer.close()


def test_a_torn_or_missing_mark_reads_nothing(tmp_path):
    reader = RawLog(tmp_path, worker=2)
    assert reader.durable() is None
    assert reader.durable_records({}) == []
    writer = RawLog(tmp_path, worker=2)
    writer.open()
    try:
        writer.write(records(minute_frame(0, 0)), DAY)
        mark = reader.mark_path.read_bytes()
        reader.mark_path.write_bytes(mark.replace(b"2026-12-01", b"2026-12-09"))  # half rewritten
        assert reader.durable() is None
        assert reader.durable_records({}) == []
    finally:
        writer.close()


def test_read_records_reads_the_range_asked_for(tmp_path):
    path = tmp_path / "log.hj212"
    data = records(minute_frame(0, 0), minute_frame(0, 1), minute_frame(0, 2))
    path.write_bytes(data + data[:40])  # a torn last record
    every, end = read_records(path)
    assert len(every) == 3
    assert end == len(data)
    middle, stop = read_records(path, every[1].start, every[1].end)
    assert [(r.start, r.end, r.frame) for r in middle] == [
        (every[1].start, every[1].end, minute_frame(0, 1))
    ]
    assert stop == every[1].end


def test_opening_a_log_for_replay_makes_its_files_durable_first(tmp_path, monkeypatch):
    """A killed worker's last writes may still sit in the page cache: the replay (which opens
    each worker's log) ``fsync``s every day file before reading it."""
    raw = tmp_path / "raw"
    raw.mkdir()
    day_file = raw / "2026-12-01.w1.hj212"
    moment = dt.datetime(2026, 12, 1, 8)
    day_file.write_bytes(b"".join(encode_records(moment, ["p:1"], [minute_frame(0)])))
    synced: list[str] = []
    real_fsync = os.fsync

    def recorded_fsync(fd: int) -> None:
        synced.append(os.path.basename(os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recorded_fsync)
    log = RawLog(tmp_path, 1)
    log.open()
    log.close()
    assert day_file.name in synced
