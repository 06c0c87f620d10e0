"""A real ``lantian receive`` accepts the devices of the source registry (``lantian sources``):
the EXAMPLE registry's dust monitor (invented, labelled 示例) is answered with its password, refused
with another, and a device registered while the receiver runs is accepted within seconds.

Frames are constructed here; the device ids and passwords are those of the example registry.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

from lantian.ingest.hj212 import encode_frame
from lantian.sources.example import example_passwords

from .conftest import closed_by_peer, connect, read_frames, start_receiver, wait_until

MN = "EXAMPLE00DUST0001"


def lantian(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "LANTIAN_DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "lantian", "--home", str(home), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def frame(mn: str, password: str, minute: int = 0) -> bytes:
    moment = dt.datetime(2026, 12, 1, 8, 0) + dt.timedelta(minutes=minute)
    return encode_frame(
        f"QN={moment:%Y%m%d%H%M%S}000;ST=22;CN=2051;PW={password};MN={mn};Flag=5;"
        f"CP=&&DataTime={moment:%Y%m%d%H%M%S};a34001-Avg=0.21,a34001-Flag=N;"
        f"a34002-Avg=88.0,a34002-Flag=N&&"
    )


def test_registered_devices_are_received(tmp_path):
    home = tmp_path / "home"
    registered = lantian(home, "sources", "import", "--example")
    assert registered.returncode == 0, registered.stderr
    receiver = start_receiver(home, "--frame-seconds", "2", "--idle-seconds", "5")
    try:
        with connect(receiver.port) as sock:
            sock.sendall(frame(MN, example_passwords()[MN]))
            [answer] = read_frames(sock, 1)
            assert answer.cn == "9014"
        with connect(receiver.port) as sock:
            sock.sendall(frame(MN, "123456", minute=1))
            assert closed_by_peer(sock)
        assert [e["reason"] for e in receiver.events("quarantine")] == ["wrong_password"]

        device = tmp_path / "设备.csv"
        device.write_text(
            "设备编号（MN）,设备名称,设备类型,密码,监测因子,经度,纬度\n"
            "EXAMPLE0MICRO0099,示例小微站99（测试）,小微站,ex0099,PM2.5,111.60,26.44\n",
            "utf-8",
        )
        added = lantian(home, "sources", "import", str(device), "--kind", "devices")
        assert added.returncode == 0, added.stderr
        time.sleep(1.1)  # the directory re-reads the registry at most once a second on a miss
        with connect(receiver.port) as sock:
            sock.sendall(frame("EXAMPLE0MICRO0099", "ex0099", minute=2))
            assert [f.cn for f in read_frames(sock, 1)] == ["9014"]
        assert wait_until(lambda: receiver.stored().read().num_rows >= 3)
    finally:
        receiver.stop()
