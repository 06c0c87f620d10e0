"""A simulated fleet of HJ 212 devices (模拟数据), for the demo's live feed and for load tests.

Every value it sends is **simulated**: its devices are registered with ``simulated=True`` and
their data are stored with the source ``simulated`` and shown as 模拟数据. Values are derived from
real data — the 2019 hourly values of the national station nearest to each device (CNEMC, read
at run time through :func:`lantian.demo.demo_file`) for the same day of year and hour — plus a
per-device increment (a site adds dust) and noise.

Time: frames are stamped from the start time on, the simulated clock running ``speed`` times
faster than the wall clock. Each device sends one minute frame (CN 2051, ``Flag=5``: answer
wanted) per simulated minute, and the faults of :data:`FAULTS`, drawn per frame from a seeded
random generator, so that a run is repeatable.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import random
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from lantian.feeds.intake import unit_scale
from lantian.ingest.hj212 import Frame, FrameScanner, encode_frame, factors, parse_frame
from lantian.sources.devices import Device, StaticDirectory, password_digest
from lantian.times import beijing_now

SEED = 212
NEAREST_STATIONS = ("2481A", "2480A", "2478A")
"""冷水滩区's national stations (冷水滩区环保局, 永州市环保局, 市环境监测站): the reference data of the
simulated devices, placed around them."""
FAULTS = {
    "late": 0.02,
    "duplicated": 0.02,
    "bad_crc": 0.01,
    "wrong_password": 0.002,
    "offline": 0.001,
}
"""Per frame: sent 2–10 simulated minutes late (out of order); sent twice; sent with a corrupted
CRC first (then again, correct, as a device re-sends a frame left unanswered); sent with a wrong
password first (the receiver closes the connection; the device reconnects and re-sends); or the
start of an offline spell of 5–30 simulated minutes whose frames are never sent."""
EXCEED_INCREMENT = 300.0
"""What ``exceed`` adds to a device's PM10 [µg/m³] (PM2.5 40 %, TSP 180 %): enough that every
hour's mean is above the shipped dust rules' limits (Wuhan 200; Hebei 80 over a background capped
at 150) whatever the reference value, noise (±15 %) included — a deterministic simulated
exceedance for tests and demonstrations (模拟超标, still 模拟数据)."""
RETRY_SECONDS = 60
FACTORS = {
    "dust": ("a34001", "a34002", "a34004", "a01001", "a01002", "a01007", "a01008", "LA"),
    "micro": ("a34002", "a34004", "a21026", "a21004", "a21005", "a05024", "a01001", "a01002"),
}
FROM_POLLUTANT = {
    "a34002": "PM10",
    "a34004": "PM2.5",
    "a21026": "SO2",
    "a21004": "NO2",
    "a21005": "CO",
    "a05024": "O3",
}


@dataclass(frozen=True)
class SimulatedDevice:
    """A simulated device: its registry entry, its password in clear, and its reference."""

    device: Device
    password: str
    station: str
    """The national station whose 2019 data its values derive from."""
    increment: float
    """What the site adds to PM10 [µg/m³] (PM2.5 gets 40 % of it, TSP 180 %)."""


def fleet(count: int, seed: int = SEED) -> list[SimulatedDevice]:
    """``count`` simulated devices: alternately dust monitors and micro-stations.

    Deterministic in ``seed`` (the receiver and the simulator derive the same fleet); the MN,
    the station code and the name say they are simulated.
    """
    devices = []
    for number in range(1, count + 1):
        kind = "dust" if number % 2 else "micro"
        mn = f"LTSIM{seed:03d}{number:016d}"
        password = hashlib.sha256(f"{seed}/{number}".encode()).hexdigest()[:6]
        salt = f"sim{number}"
        device = Device(
            mn=mn,
            kind=kind,
            network=kind,
            station_code=f"SIM{number:05d}",
            factor_units={
                code: ("mg/m3" if code == "a21005" else "ug/m3") for code in FACTORS[kind]
            },
            simulated=True,
            password_salt=salt,
            password_sha256=password_digest(password, salt),
        )
        station = NEAREST_STATIONS[number % len(NEAREST_STATIONS)]
        increment = 0.0 if kind == "micro" else 15.0 + (number * 37 % 60)
        devices.append(SimulatedDevice(device, password, station, increment))
    return devices


def example_fleet(directory) -> list[SimulatedDevice]:
    """The devices of the bundled 冷水滩区 EXAMPLE registry (示例) that ``directory`` holds, with
    their (invented) passwords from the example file: what ``lantian demo`` plays."""
    import csv

    from lantian.sources.example import example_file

    with open(example_file("devices"), encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    played = []
    for number, row in enumerate(rows, start=1):
        device = directory.get(row["设备编号（MN）"])
        if device is None or device.kind not in FACTORS:
            continue
        station = NEAREST_STATIONS[number % len(NEAREST_STATIONS)]
        increment = 0.0 if device.kind == "micro" else 15.0 + (number * 37 % 60)
        played.append(SimulatedDevice(device, row["密码"], station, increment))
    return played


def fleet_directory(count: int, seed: int = SEED) -> StaticDirectory:
    """The registry view of :func:`fleet` (what a receiver needs to accept it)."""
    return StaticDirectory.of([simulated.device for simulated in fleet(count, seed)])


class ReferenceHours:
    """The 2019 hourly values of the reference stations, by (station, pollutant)."""

    def __init__(self, stations: tuple[str, ...] = NEAREST_STATIONS) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        from lantian.demo import HUNAN_2019, demo_file
        from lantian.ingest.cnemc import read_measurements

        table, _ = read_measurements(demo_file(HUNAN_2019))
        table = table.filter(pc.is_in(table.column("station_code"), pa.array(list(stations))))
        start = np.datetime64("2019-01-01T01:00", "h")
        hours = (table.column("ts").to_numpy().astype("datetime64[h]") - start).astype(int)
        codes = table.column("station_code").to_numpy(zero_copy_only=False)
        pollutants = table.column("pollutant").to_numpy(zero_copy_only=False)
        values = table.column("value").to_numpy()
        inside = (hours >= 0) & (hours < 8760)
        self.series: dict[tuple[str, str], np.ndarray] = {}
        for station in stations:
            for pollutant in FROM_POLLUTANT.values():
                series = np.full(8760, np.nan)
                mask = inside & (codes == station) & (pollutants == pollutant)
                series[hours[mask]] = values[mask]
                self.series[(station, pollutant)] = series

    def value(self, station: str, pollutant: str, moment: dt.datetime) -> float:
        """The station's 2019 value of the hour holding ``moment``'s day of year and hour (the
        nearest earlier value where that hour is missing)."""
        series = self.series[(station, pollutant)]
        hour = (moment.timetuple().tm_yday - 1) % 365 * 24 + moment.hour
        for back in range(0, 48):
            value = series[(hour - back) % 8760]
            if value == value:
                return float(value)
        return float(np.nanmean(series))


def minute_segment(
    simulated: SimulatedDevice,
    moment: dt.datetime,
    reference: ReferenceHours,
    noise: random.Random,
    password: str | None = None,
) -> str:
    """The data segment of one minute frame (CN 2051) of ``simulated`` for ``moment``."""
    device = simulated.device
    values: dict[str, float] = {}
    for code in FACTORS[device.kind]:
        pollutant = FROM_POLLUTANT.get(code)
        if pollutant is not None:
            base = reference.value(simulated.station, pollutant, moment)
            add = simulated.increment * (0.4 if pollutant == "PM2.5" else 1.0)
            add = add if pollutant in ("PM10", "PM2.5") else 0.0
            values[code] = max(0.0, (base + add) * noise.uniform(0.85, 1.15))
        elif code == "a34001":
            base = reference.value(simulated.station, "PM10", moment)
            values[code] = max(0.0, (base + simulated.increment) * 1.8 * noise.uniform(0.8, 1.2))
        elif code == "a01001":
            values[code] = 18 + 6 * np.sin((moment.hour - 9) / 24 * 2 * np.pi) + noise.gauss(0, 0.5)
        elif code == "a01002":  # the daily cycle, and a wobble by the minute (drawing no
            # random number, so that the faults drawn stay those of the seed): a humidity
            # constant for an hour would be a stuck sensor to the alarm rules
            daily = 70 - 15 * np.sin((moment.hour - 9) / 12 * np.pi)
            values[code] = min(100.0, max(5.0, daily + 0.6 * np.sin(moment.minute * 2.1)))
        elif code == "a01007":
            values[code] = abs(noise.gauss(1.8, 0.8))
        elif code == "a01008":
            values[code] = noise.uniform(0, 360)
        elif code == "LA":
            values[code] = noise.uniform(48, 72)
    known = factors()
    digits = {}
    for code, value in values.items():  # sent in the unit the device is registered with
        scale = unit_scale(device.factor_units.get(code), known[code].unit) if code in known else 1
        values[code] = value / scale
        digits[code] = 4 if scale != 1 or code == "a21005" else 1
    cp = ";".join(
        f"{code}-Avg={value:.{digits[code]}f},{code}-Flag=N" for code, value in values.items()
    )
    qn = moment.strftime("%Y%m%d%H%M%S") + "000"
    return (
        f"QN={qn};ST=22;CN=2051;PW={password or simulated.password};MN={device.mn};Flag=5;"
        f"CP=&&DataTime={moment:%Y%m%d%H%M%S};{cp}&&"
    )


def _faulty_frames(
    fault: str | None,
    frame: bytes,
    minute: int,
    rng: random.Random,
    late: list[tuple[int, bytes]],
) -> list[bytes]:
    """The frames a device sends this minute under ``fault``: none when offline or late (a late
    frame is queued in ``late`` for 2 to 10 minutes on), twice when duplicated, after a copy with
    a broken CRC when ``bad_crc``."""
    if fault == "offline":
        return []
    if fault == "late":
        late.append((minute + rng.randint(2, 10), frame))
        return []
    if fault == "duplicated":
        return [frame, frame]
    if fault == "bad_crc":
        broken = b"0000" if frame[-6:-2] != b"0000" else b"FFFF"
        return [frame[:-6] + broken + b"\r\n", frame]
    return [frame]


@dataclass
class SimulationLog:
    """What a run sent and which frames the receiver acknowledged."""

    sent: Counter = field(default_factory=Counter)
    faults: Counter = field(default_factory=Counter)
    acknowledged: set[tuple[str, str]] = field(default_factory=set)
    """(MN, DataTime) of the frames answered with 9014."""

    def write_acknowledged(self, path: Path) -> None:
        lines = sorted(f"{mn} {data_time} 2051" for mn, data_time in self.acknowledged)
        path.write_text("".join(line + "\n" for line in lines), encoding="ascii")


def exceeding(devices: list[SimulatedDevice], mns: Collection[str]) -> list[SimulatedDevice]:
    """``devices`` with those whose MN is in ``mns`` made to exceed (:data:`EXCEED_INCREMENT`
    added); an MN not among them is refused, naming the MNs played."""
    unknown = set(mns) - {simulated.device.mn for simulated in devices}
    if unknown:
        played = ", ".join(simulated.device.mn for simulated in devices)
        raise ValueError(f"--exceed {', '.join(sorted(unknown))}: not simulated here ({played})")
    return [
        replace(simulated, increment=simulated.increment + EXCEED_INCREMENT)
        if simulated.device.mn in mns
        else simulated
        for simulated in devices
    ]


class Simulator:
    """Plays :func:`fleet` against a receiver at ``host:port``."""

    def __init__(
        self,
        count: int,
        host: str,
        port: int,
        speed: float = 1.0,
        start: dt.datetime | None = None,
        minutes: int | None = None,
        seed: int = SEED,
        faults: dict[str, float] | None = None,
        devices: list[SimulatedDevice] | None = None,
        exceed: Collection[str] = (),
    ) -> None:
        self.devices = exceeding(devices if devices is not None else fleet(count, seed), exceed)
        self.host, self.port, self.speed = host, port, speed
        self.start = (start or beijing_now()).replace(second=0, microsecond=0)
        self.minutes = minutes
        self.seed = seed
        self.faults = FAULTS if faults is None else faults
        self.log = SimulationLog()
        self.reference = ReferenceHours(tuple({s.station for s in self.devices}))

    async def run(self) -> SimulationLog:
        """Play every device until ``minutes`` simulated minutes were sent (or forever)."""
        await asyncio.gather(*(self._play(n, s) for n, s in enumerate(self.devices)))
        return self.log

    async def _play(self, number: int, simulated: SimulatedDevice) -> None:
        rng = random.Random(self.seed * 100_003 + number)
        loop = asyncio.get_running_loop()
        began = loop.time()
        connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        late: list[tuple[int, bytes]] = []
        offline_until = -1
        minute = 0
        try:
            while self.minutes is None or minute < self.minutes:
                due = began + minute * 60 / self.speed
                await asyncio.sleep(max(0.0, due - loop.time()))
                moment = self.start + dt.timedelta(minutes=minute)
                frame = encode_frame(minute_segment(simulated, moment, self.reference, rng))
                fault, offline_until = self._fault_at(rng, minute, offline_until)
                outgoing = _faulty_frames(fault, frame, minute, rng, late)
                if fault == "wrong_password":
                    wrong = encode_frame(
                        minute_segment(simulated, moment, self.reference, rng, password="wrong0")
                    )
                    connection = await self._send(connection, [wrong], simulated, close=True)
                if fault:
                    self.log.faults[fault] += 1
                outgoing += [f for due_minute, f in late if due_minute <= minute]
                late = [(m, f) for m, f in late if m > minute]
                if outgoing:
                    connection = await self._send(connection, outgoing, simulated)
                minute += 1
            if late:
                connection = await self._send(connection, [f for _, f in late], simulated)
        finally:
            if connection is not None:
                connection[1].close()

    def _fault_at(
        self, rng: random.Random, minute: int, offline_until: int
    ) -> tuple[str | None, int]:
        """The fault of this minute and the minute the device is offline until: an offline device
        stays offline for 5 to 30 minutes."""
        fault = self._draw(rng)
        if minute < offline_until:
            return "offline", offline_until
        if fault == "offline":
            return fault, minute + rng.randint(5, 30)
        return fault, offline_until

    def _draw(self, rng: random.Random) -> str | None:
        draw = rng.random()
        for fault, share in self.faults.items():
            if draw < share:
                return fault
            draw -= share
        return None

    async def _send(
        self,
        connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None,
        frames: list[bytes],
        simulated: SimulatedDevice,
        close: bool = False,
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """Send ``frames`` and wait for their answers, reconnecting and sending them again as a
        device does while they go unanswered (for up to about :data:`RETRY_SECONDS`)."""
        for attempt in range(RETRY_SECONDS):
            try:
                if connection is None:
                    connection = await asyncio.open_connection(self.host, self.port)
                reader, writer = connection
                writer.write(b"".join(frames))
                await writer.drain()
                self.log.sent["frames"] += len(frames)
                if close:  # the receiver closes a connection that sent a wrong password
                    await asyncio.wait_for(reader.read(), 10)
                    writer.close()
                    return None
                await self._read_acks(reader, frames)
                return connection
            except (ConnectionError, TimeoutError, OSError):
                if connection is not None:
                    connection[1].close()
                connection = None
                self.log.sent["reconnects"] += 1
                await asyncio.sleep(min(1.0, 0.1 * (attempt + 1)))
        return connection

    async def _read_acks(self, reader: asyncio.StreamReader, frames: list[bytes]) -> None:
        """Read one 9014 per frame that can be answered (good CRC), recording what they answer."""
        expected = sum(isinstance(parse_frame(f), Frame) for f in frames)
        scanner = FrameScanner()
        got = 0
        while got < expected:
            data = await asyncio.wait_for(reader.read(65536), 30)
            if not data:
                raise ConnectionError("receiver closed the connection")
            for result in scanner.feed(data):
                if isinstance(result, Frame) and result.cn == "9014":
                    got += 1
                    self.log.acknowledged.add((result.mn, result.qn[:14]))
