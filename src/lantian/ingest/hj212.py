"""HJ 212 frames (污染物在线监控（监测）系统数据传输标准): framing, CRC, fields and values.

A pure module: bytes in, frames or rejections out; no sockets, no files (the receiver is
``lantian.feeds``). Both editions are read:

* **HJ 212-2017** §6.3 (通讯包结构): ``##`` + data-segment length as 4 decimal digits + the data
  segment + CRC16 of the data segment as 4 hex digits + ``\\r\\n``. The data segment is
  ``QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;[PNUM=…;PNO=…;]CP=&&…&&``. ``Flag`` (§6.3.3 表4) is a byte
  ``V5 V4 V3 V2 V1 V0 D A``: ``A`` (bit 0) asks for an answer, ``D`` (bit 1) says the packet is one
  of a split set (``PNUM`` packets, this one number ``PNO``), ``V`` (bits 2–7) is the edition:
  ``000001`` for 2017.
* **HJ 212-2005** frames: the same envelope, version bits ``000000`` (or no ``Flag`` at all), and
  the 2005 data flags.

The CRC (HJ 212-2017 附录A) is not a textbook CRC-16: each byte is XORed into the register's
*high* byte shifted down (``crc = (crc >> 8) ^ byte``) and then shifted eight times with the
reflected polynomial 0xA001, from 0xFFFF. Because ``crc >> 8`` is below 256, every step is one
look-up in the CRC-16/MODBUS byte table: ``crc = TABLE[(crc >> 8) ^ byte]``. The standard's own
example (附录A, ``QN=20160801085857223;ST=32;CN=1062;…;CP=&&RtdInterval=30&&``) gives ``1C80``.

The length field counts the data segment's bytes. HJ 212-2017 limits the data segment to 1024
bytes (§6.3.2 表3: ``0 ≤ n ≤ 1024``) and has longer data sent as split packets; vendors exceed it,
so the reader takes up to :data:`MAX_DATA_LENGTH` (what four digits can say) and no more: a peer
cannot make the receiver buffer more than one such frame.

Values: CP holds ``DataTime=YYYYMMDDhhmmss`` and, per factor, fields ``code-Rtd`` (real-time),
``code-Avg``/``-Min``/``-Max`` (period statistics), ``code-Flag`` (data flag) and others
(``-Cou``, ``-SampleTime``, …, kept as they are). Items are separated by ``;`` and the fields of
one factor by ``,``. Factor codes are HJ 212-2017 附录B's; vendor codes are mapped by the alias
table (``lantian.standards.monitoring_factors``: one table of codes, names, units and the
2005 and vendor codes).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lantian.standards.monitoring_factors import Factor, factors, frame_codes  # noqa: F401 (readers of frames' factors import them from here)

FRAME_START = b"##"
FRAME_END = b"\r\n"
HEADER_LENGTH = 6
"""``##`` and the four length digits."""
TRAILER_LENGTH = 6
"""Four CRC hex digits and ``\\r\\n``."""
MAX_DATA_LENGTH = 9999
"""The longest data segment a four-digit length field can announce [bytes]."""
STANDARD_MAX_DATA_LENGTH = 1024
"""HJ 212-2017 §6.3.2 表3: 数据段 0 ≤ n ≤ 1024 (longer frames are read, and counted)."""

COMMANDS = {
    "2011": "实时数据",
    "2051": "分钟数据",
    "2061": "小时数据",
    "2031": "日数据",
}
"""The upload commands (HJ 212-2017 附录B 表B.1, 数据命令) whose values Lantian stores."""
DATA_ACK = "9014"
"""数据应答 (HJ 212-2017 表B.1)."""

DATA_FLAGS_2017 = {
    "N": "在线监控（监测）仪器仪表工作正常",
    "F": "在线监控（监测）仪器仪表停运",
    "M": "在线监控（监测）仪器仪表处于维护期间产生的数据",
    "S": "手工输入的设定值",
    "D": "在线监控（监测）仪器仪表故障",
    "C": "在线监控（监测）仪器仪表处于校准状态",
    "T": "在线监控（监测）仪器仪表采样数值超过测量上限",
    "B": "在线监控（监测）仪器仪表与数采仪通讯异常",
}
"""Data flags of HJ 212-2017 (附录B 表B.4 数据标记)."""
DATA_FLAGS_2005 = {
    "P": "电源故障",
    "F": "排放源停运",
    "C": "校验",
    "M": "维护",
    "T": "超测上限",
    "D": "故障",
    "S": "设定值",
    "N": "正常",
}
"""Data flags of HJ 212-2005 (数据标记)."""
VALID_FLAGS = frozenset({"N"})
"""Flags whose values are measurements of the air (all others mark maintenance, faults, …)."""

_DATA_TIME = re.compile(r"\d{14}(\d{3})?")


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16_bytewise(data: bytes) -> int:
    """The CRC of HJ 212-2017 附录A, one byte at a time (the reference for :func:`crc16`).

    Register 0xFFFF; per byte ``crc = (crc >> 8) ^ byte`` then eight right shifts, XOR 0xA001
    when the bit shifted out is 1 — one table look-up per byte (see the module docstring).
    """
    crc = 0xFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = table[(crc >> 8) ^ byte]
    return crc


@cache
def _crc_powers() -> tuple[np.ndarray, np.ndarray]:
    """The CRC table and the powers of its high-byte map ``H``: ``powers[k, x] = Hᵏ(x)``."""
    table = np.array(_CRC_TABLE, dtype=np.uint16)
    high = (table >> 8).astype(np.uint8)
    powers = np.empty((MAX_DATA_LENGTH + 1, 256), dtype=np.uint8)
    powers[0] = np.arange(256)
    for k in range(1, MAX_DATA_LENGTH + 1):
        powers[k] = high[powers[k - 1]]
    return table, powers


def crc16_many(segments: Sequence[bytes]) -> np.ndarray:
    """The CRC of HJ 212-2017 附录A of every data segment at once (whole-array, no Python loop
    over bytes or frames); ``uint16``, one per segment.

    The register's low byte is dropped at every step (``crc >> 8``), so the state carried from
    byte to byte is its high byte ``h``, and ``h' = H[h ^ byte]`` with ``H[x] = TABLE[x] >> 8``.
    ``H`` is linear over GF(2) (a CRC table is: ``T[a ^ b] = T[a] ^ T[b]``), so the state before
    a segment's last byte is ``Hⁿ⁻¹(0xFF) ^ XORᵢ Hⁿ⁻¹⁻ⁱ(byteᵢ)``: one gather from the precomputed
    powers of ``H`` over all segments' bytes, one XOR-reduction per segment (``reduceat``), then
    ``TABLE[h ^ last byte]``. Equal to :func:`crc16_bytewise` for every input (tested). An empty
    segment gives the initial register, 0xFFFF.

    Segments are taken in groups of about :data:`CRC_CHUNK_BYTES` (the gather's index is 8 bytes
    per input byte: a whole raw log replayed at once would otherwise spill every cache, 10× slower
    per byte, and hold gigabytes).
    """
    count = len(segments)
    lengths = np.fromiter(map(len, segments), dtype=np.intp, count=count)
    if lengths.sum() <= CRC_CHUNK_BYTES:
        return _crc16_group(segments, lengths)
    groups = np.cumsum(lengths) // CRC_CHUNK_BYTES
    cuts = [0, *(np.flatnonzero(np.diff(groups)) + 1).tolist(), count]
    return np.concatenate(
        [_crc16_group(segments[a:b], lengths[a:b]) for a, b in itertools.pairwise(cuts)]
    )


CRC_CHUNK_BYTES = 64 * 1024
"""Bytes of segments per pass of :func:`crc16_many` (fastest at 30–130 KiB on the development
machine: the gather's working set stays in the caches)."""


def _crc16_group(segments: Sequence[bytes], lengths: np.ndarray) -> np.ndarray:
    count = len(segments)
    out = np.full(count, 0xFFFF, dtype=np.uint16)
    if not count:
        return out
    if lengths.max() > MAX_DATA_LENGTH:
        raise ValueError(f"data segment of {lengths.max()} bytes > {MAX_DATA_LENGTH}")
    values = np.frombuffer(b"".join(segments), dtype=np.uint8)
    if not values.size:
        return out
    table, powers = _crc_powers()
    filled = lengths > 0
    ends = np.cumsum(lengths)
    last = ends[filled] - 1
    index = (np.repeat(ends - 1, lengths) - np.arange(values.size)) * 256 + values
    index[last] = 0  # powers[0, 0] == 0: each segment's last byte enters below
    spread = powers.ravel()[index]
    state = powers[lengths[filled] - 1, 0xFF] ^ np.bitwise_xor.reduceat(
        spread, last - lengths[filled] + 1
    )
    out[filled] = table[state ^ values[last]]
    return out


def crc16(data: bytes) -> int:
    """The CRC of HJ 212-2017 附录A over ``data`` (one data segment; :func:`crc16_many`)."""
    return int(crc16_many([data])[0])


def encode_frames(segments: Sequence[bytes]) -> list[bytes]:
    """The whole frames of many data segments: ``##``, length, segment, CRC (upper-case hex),
    CRLF (the CRCs computed at once)."""
    return [
        b"##%04d%s%04X\r\n" % (len(data), data, crc)
        for data, crc in zip(segments, crc16_many(segments).tolist(), strict=True)
    ]


def encode_frame(segment: str | bytes) -> bytes:
    """The whole frame for a data segment: ``##``, length, segment, CRC (upper-case hex), CRLF."""
    data = segment.encode("ascii") if isinstance(segment, str) else segment
    return encode_frames([data])[0]


@dataclass(frozen=True)
class FrameRejection:
    """Bytes that are not an acceptable frame, and why (the raw bytes kept for the log)."""

    reason: str
    """``bad_start``, ``bad_length``, ``bad_end``, ``bad_crc``, ``bad_field``, ``no_mn``,
    ``no_cn``, ``bad_flag``, ``bad_data_time``, ``bad_value``, ``too_long``."""
    detail: str
    raw: bytes

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"


@dataclass(frozen=True, init=False)
class Frame:
    """One frame that passed framing and CRC, with its header fields and CP text."""

    raw: bytes
    qn: str
    st: str
    cn: str
    pw: str
    mn: str
    flag: int | None
    pnum: int | None
    pno: int | None
    cp: str

    def __init__(
        self,
        raw: bytes,
        qn: str,
        st: str,
        cn: str,
        pw: str,
        mn: str,
        flag: int | None,
        pnum: int | None,
        pno: int | None,
        cp: str,
    ) -> None:
        # still frozen: one dict update instead of the generated ten object.__setattr__ calls
        # (one frame per device and minute is built on the receiver's event loop: 3.5 → 0.6 µs)
        self.__dict__.update(
            raw=raw, qn=qn, st=st, cn=cn, pw=pw, mn=mn, flag=flag, pnum=pnum, pno=pno, cp=cp
        )

    @property
    def edition(self) -> str:
        """``2005`` when the Flag's version bits are 000000 or there is no Flag, else ``2017``
        (000001 is 2017's; later editions answer as 2017 does)."""
        return "2017" if self.flag is not None and (self.flag >> 2) >= 1 else "2005"

    @property
    def wants_ack(self) -> bool:
        """Flag bit A: the sender waits for a 9014 data answer."""
        return self.flag is not None and bool(self.flag & 1)

    @property
    def is_split(self) -> bool:
        """Flag bit D (or PNUM > 1): one packet of a split set."""
        return (self.flag is not None and bool(self.flag & 2)) or (self.pnum or 1) > 1


@dataclass(frozen=True)
class FactorValue:
    """One factor of one frame: its canonical code and its fields' raw text."""

    code: str
    fields: dict[str, str] = field(default_factory=dict)
    """``Rtd``, ``Avg``, ``Min``, ``Max``, ``Flag``, … → the value as sent."""


@dataclass(frozen=True)
class FrameData:
    """The CP of an upload frame: its time and its factors' values."""

    data_time: dt.datetime
    """``DataTime`` as sent: local (Beijing) time of the period, naive."""
    factors: tuple[FactorValue, ...]
    rejected: tuple[FrameRejection, ...] = ()
    """Fields that could not be read (the rest of the frame is kept)."""


# ------------------------------------------------------------------ framing
def parse_frame(raw: bytes) -> Frame | FrameRejection:
    """Check one whole frame (``##`` … ``\\r\\n``) and read its header fields.

    Never raises: anything unacceptable is a :class:`FrameRejection` naming the reason.
    """
    return check_frames([raw])[0]


def check_frames(raws: Sequence[bytes]) -> list[Frame | FrameRejection]:
    """:func:`parse_frame` of many whole frames, their CRCs computed at once
    (:func:`crc16_many`); in order, one result per frame."""
    results: list[Frame | FrameRejection | None] = []
    segments: list[bytes] = []
    for raw in raws:
        envelope = _envelope(raw)
        results.append(envelope if isinstance(envelope, FrameRejection) else None)
        if not isinstance(envelope, FrameRejection):
            segments.append(envelope)
    computed = iter(crc16_many(segments).tolist())
    for position, raw in enumerate(raws):
        if results[position] is not None:
            continue
        crc = next(computed)
        length = len(raw) - HEADER_LENGTH - TRAILER_LENGTH
        sent = raw[HEADER_LENGTH + length : HEADER_LENGTH + length + 4]
        if int(sent, 16) != crc:
            results[position] = FrameRejection(
                "bad_crc", f"CRC {sent.decode()} sent, {crc:04X} computed", raw
            )
        else:
            results[position] = _header(raw[HEADER_LENGTH : HEADER_LENGTH + length], raw)
    return results  # type: ignore[return-value]


_HEX4 = re.compile(rb"[0-9A-Fa-f]{4}")


def _envelope(raw: bytes) -> bytes | FrameRejection:
    """The data segment of a frame whose envelope (``##``, length, CRC field, CRLF) is right."""
    if not raw.startswith(FRAME_START):
        return FrameRejection("bad_start", "frame does not start with ##", raw)
    digits = raw[2:HEADER_LENGTH]
    if len(digits) < 4 or not digits.isdigit():
        return FrameRejection("bad_length", f"length field {digits!r} is not 4 digits", raw)
    length = int(digits)
    if len(raw) != HEADER_LENGTH + length + TRAILER_LENGTH:
        return FrameRejection(
            "bad_length", f"length field says {length}, frame holds {len(raw) - 12}", raw
        )
    if not raw.endswith(FRAME_END):
        return FrameRejection("bad_end", "frame does not end with CRLF", raw)
    sent = raw[HEADER_LENGTH + length : HEADER_LENGTH + length + 4]
    if not _HEX4.fullmatch(sent):
        return FrameRejection("bad_crc", f"CRC field {sent!r} is not 4 hex digits", raw)
    return raw[HEADER_LENGTH : HEADER_LENGTH + length]


_STANDARD_HEADER = re.compile(
    r"QN=([^;\s]*);ST=([^;\s]*);CN=([0-9]+);PW=([^;\s]*);MN=([^;\s]+);Flag=([0-9]{1,4});"
    r"(?:PNUM=([0-9]{1,4});PNO=([0-9]{1,4});)?CP=&&"
)
"""The header in the standard's order (§6.3.2 表3) without blanks: read by one match; any other
header takes the general path (:func:`_header_fields`), which reads it to the same fields."""


def _header(data: bytes, raw: bytes) -> Frame | FrameRejection:
    segment = data.decode("latin-1")
    match = _STANDARD_HEADER.match(segment)
    if (
        match is None
        or match.end() != segment.find("CP=&&") + 5
        or len(segment) < match.end() + 2
        or not segment.endswith("&&")
    ):
        return _header_fields(segment, raw)
    qn, st, cn, pw, mn, flag, pnum, pno = match.groups()
    return Frame(
        raw=raw,
        qn=qn,
        st=st,
        cn=cn,
        pw=pw,
        mn=mn,
        flag=int(flag),
        pnum=int(pnum) if pnum is not None else None,
        pno=int(pno) if pno is not None else None,
        cp=segment[match.end() : -2],
    )


def _header_fields(segment: str, raw: bytes) -> Frame | FrameRejection:
    head, marker, rest = segment.partition("CP=&&")
    if not marker:
        return FrameRejection("bad_field", "no CP=&& in the data segment", raw)
    if not rest.endswith("&&"):
        return FrameRejection("bad_field", "CP does not end with &&", raw)
    fields: dict[str, str] = {}
    for item in head.split(";"):
        key, equals, value = item.partition("=")
        if equals:
            fields[key.strip()] = value.strip()
        elif item.strip():
            return FrameRejection("bad_field", f"header item {item[:40]!r} has no =", raw)
    mn, cn = fields.get("MN", ""), fields.get("CN", "")
    if not mn:
        return FrameRejection("no_mn", "no MN in the header", raw)
    if not cn.isdigit():
        return FrameRejection("no_cn", f"CN {cn[:20]!r} is not a command number", raw)
    numbers: dict[str, int | None] = {}
    for name in ("Flag", "PNUM", "PNO"):
        text = fields.get(name)
        if text is None or text == "":
            numbers[name] = None
        elif text.isdigit() and len(text) <= 4:
            numbers[name] = int(text)
        else:
            return FrameRejection("bad_flag", f"{name}={text[:20]!r} is not a number", raw)
    return Frame(
        raw=raw,
        qn=fields.get("QN", ""),
        st=fields.get("ST", ""),
        cn=cn,
        pw=fields.get("PW", ""),
        mn=mn,
        flag=numbers["Flag"],
        pnum=numbers["PNUM"],
        pno=numbers["PNO"],
        cp=rest[:-2],
    )


class FrameScanner:
    """Cuts a byte stream into frames, holding at most one frame's bytes.

    ``feed`` returns, in order, every complete frame (parsed, or rejected with its bytes) that the
    stream holds so far. Bytes before a ``##`` are rejected as ``bad_start``; a length field that
    is not four digits, or a frame whose end is not CRLF where the length says, is rejected and
    scanning resumes at the next ``##``.
    """

    def __init__(self, max_data_length: int = MAX_DATA_LENGTH) -> None:
        self.max_data_length = max_data_length
        self._buffer = bytearray()

    @property
    def pending(self) -> int:
        """Bytes held waiting for the rest of a frame."""
        return len(self._buffer)

    def held(self) -> bytes:
        """The bytes held waiting for the rest of a frame."""
        return bytes(self._buffer)

    def feed(self, data: bytes) -> list[Frame | FrameRejection]:
        """Every complete frame the stream holds so far, checked (:func:`check_frames`), and
        every rejection, in order."""
        cut = self.split(data)
        checked = iter(check_frames([item for item in cut if isinstance(item, bytes)]))
        return [item if isinstance(item, FrameRejection) else next(checked) for item in cut]

    def split(self, data: bytes) -> list[bytes | FrameRejection]:
        """The complete frames' bytes (CRC and fields not yet checked) and the rejections of
        bytes that are not frames, in order, that the stream holds so far."""
        buffer = self._buffer
        buffer += data
        out: list[bytes | FrameRejection] = []
        position = 0
        limit = self.max_data_length
        while True:
            start = buffer.find(FRAME_START, position)
            if start < 0:
                # keep a trailing '#' that may begin the next '##'
                keep = len(buffer) - 1 if buffer.endswith(b"#") else len(buffer)
                if keep > position:
                    out.append(_outside(buffer[position:keep]))
                position = keep
                break
            if start > position:
                out.append(_outside(buffer[position:start]))
            if len(buffer) - start < HEADER_LENGTH:
                position = start
                break
            digits = buffer[start + 2 : start + HEADER_LENGTH]
            if not digits.isdigit():
                out.append(
                    FrameRejection(
                        "bad_length",
                        f"length field {bytes(digits)!r} is not 4 digits",
                        bytes(buffer[start : start + HEADER_LENGTH]),
                    )
                )
                position = start + 2
                continue
            length = int(digits)
            if length > limit:
                out.append(
                    FrameRejection(
                        "too_long",
                        f"length {length} > {limit}",
                        bytes(buffer[start : start + HEADER_LENGTH]),
                    )
                )
                position = start + 2
                continue
            end = start + HEADER_LENGTH + length + TRAILER_LENGTH
            if len(buffer) < end:
                position = start
                break
            if buffer[end - 2 : end] != FRAME_END:
                out.append(
                    FrameRejection(
                        "bad_end",
                        f"no CRLF where length {length} puts the end",
                        bytes(buffer[start:end]),
                    )
                )
                position = start + 2
                continue
            out.append(bytes(buffer[start:end]))
            position = end
        del buffer[:position]
        return out


def _outside(data: bytearray) -> FrameRejection:
    return FrameRejection("bad_start", "bytes outside a frame", bytes(data))


# ------------------------------------------------------------------ values
def canonical_factor(code: str) -> str:
    """The HJ 212-2017 code of a factor code as sent (unknown codes are kept as they are)."""
    return frame_codes().get(code, code)


@lru_cache(maxsize=4096)
def parse_data_time(text: str) -> dt.datetime | None:
    """``YYYYMMDDhhmmss`` (optionally with milliseconds) as a naive datetime, or ``None``.
    (Cached: a fleet's frames of one minute share their DataTime.)"""
    if not _DATA_TIME.fullmatch(text):
        return None
    try:
        return dt.datetime(
            int(text[0:4]), int(text[4:6]), int(text[6:8]),
            int(text[8:10]), int(text[10:12]), int(text[12:14]),
        )  # fmt: skip
    except ValueError:
        return None


_CP_DATA_TIME = re.compile(r"(?:^|[;,])\s*DataTime=([^;,]*)")


def data_time_text(frame: Frame) -> str | None:
    """The frame's ``DataTime`` as 14 digits (``YYYYMMDDhhmmss``), or ``None`` when CP has none
    or it is not a valid time. The receiver's check per frame: cheap, no values parsed."""
    match = _CP_DATA_TIME.search(frame.cp)
    if match is None:
        return None
    text = match.group(1).strip()
    return text[:14] if parse_data_time(text) is not None else None


NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
"""A value field's number: decimal, optionally with an exponent (no NaN, no infinity)."""
VALUE_FIELDS = ("Rtd", "Avg", "Min", "Max")


def cp_fields(cp: pa.Array | pa.ChunkedArray | list[str]) -> pa.Table:
    """The factor fields of many CP texts at once (whole-column Arrow): one row per field,
    ``frame`` (position of the CP in the input), ``code`` (HJ 212-2017's; vendor codes mapped by
    the alias table), ``field`` (``Rtd``, ``Avg``, ``Flag``, …), ``value`` (as sent, trimmed) and
    ``bad`` (a value field that is not a number).

    Items are split at ``;`` and ``,``; items without ``=`` and keys that are not ``code-field``
    with exactly one ``-`` (``DataTime``, ``RtdInterval``, …) are not factor fields.
    """
    texts = pa.chunked_array([cp], pa.string()) if isinstance(cp, list) else cp
    texts = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
    lists = pc.split_pattern(pc.replace_substring(texts, ",", ";"), ";")
    frame = pc.list_parent_indices(lists)
    items = pc.list_flatten(lists)
    has_pair = pc.greater_equal(pc.find_substring(items, "="), 0)
    items, frame = items.filter(has_pair), frame.filter(has_pair)
    pair = pc.split_pattern(items, "=", max_splits=1)
    key = pc.utf8_trim_whitespace(pc.list_element(pair, 0))
    value = pc.utf8_trim_whitespace(pc.list_element(pair, 1))
    parts = pc.split_pattern(key, "-")
    two = pc.equal(pc.list_value_length(parts), 2)
    parts, frame, value = parts.filter(two), frame.filter(two), value.filter(two)
    sent, field = pc.list_element(parts, 0), pc.list_element(parts, 1)
    named = pc.and_(pc.greater(pc.utf8_length(sent), 0), pc.greater(pc.utf8_length(field), 0))
    frame, sent, field, value = (column.filter(named) for column in (frame, sent, field, value))
    aliases = frame_codes()
    position = pc.index_in(sent, value_set=pa.array(list(aliases), pa.string()))
    code = pc.if_else(
        pc.is_valid(position),
        pc.take(pa.array(list(aliases.values()), pa.string()), position),
        sent,
    )
    bad = pc.and_(
        pc.is_in(field, value_set=pa.array(VALUE_FIELDS)),
        pc.invert(pc.match_substring_regex(value, NUMBER)),
    )
    return pa.table(
        {
            "frame": pc.cast(frame, pa.int64()),
            "code": code,
            "field": field,
            "value": value,
            "bad": bad,
        }
    )


def frame_data(frame: Frame) -> FrameData | FrameRejection:
    """The time and factor values of one upload frame's CP.

    A frame without a readable ``DataTime`` is rejected whole; a value field that is not a number
    (``-Rtd``/``-Avg``/``-Min``/``-Max``) is listed in ``rejected`` and left out. (The receiver
    reads many frames at once with :func:`cp_fields`; this is the same reading for one.)
    """
    text = data_time_text(frame)
    if text is None:
        match = _CP_DATA_TIME.search(frame.cp)
        detail = f"DataTime={match.group(1)[:20]!r}" if match else "no DataTime in CP"
        return FrameRejection("bad_data_time", detail, frame.raw)
    fields = cp_fields([frame.cp]).sort_by([("code", "ascending"), ("field", "ascending")])
    fields = fields.to_pylist()
    by_code: dict[str, dict[str, str]] = {}
    rejected = []
    for row in fields:
        if row["bad"]:
            rejected.append(
                FrameRejection(
                    "bad_value", f"{row['code']}-{row['field']}={row['value'][:20]!r}", frame.raw
                )
            )
        else:
            by_code.setdefault(row["code"], {})[row["field"]] = row["value"]
    return FrameData(
        data_time=parse_data_time(text),  # type: ignore[arg-type]
        factors=tuple(FactorValue(code, values) for code, values in by_code.items()),
        rejected=tuple(rejected),
    )


def merge_split(packets: list[Frame]) -> Frame:
    """One frame from all packets of a split set (PNO 1…PNUM), their CPs joined in PNO order."""
    ordered = sorted(packets, key=lambda packet: packet.pno or 0)
    first = ordered[0]
    return Frame(
        raw=b"".join(packet.raw for packet in ordered),
        qn=first.qn,
        st=first.st,
        cn=first.cn,
        pw=first.pw,
        mn=first.mn,
        flag=first.flag,
        pnum=1,
        pno=1,
        cp=";".join(packet.cp for packet in ordered if packet.cp),
    )


def data_ack(frame: Frame) -> bytes:
    """The 数据应答 (CN=9014) to an upload frame whose Flag asks for one (:func:`data_acks`)."""
    return data_acks([frame])[0]


def data_acks(frames: Sequence[Frame]) -> list[bytes]:
    """The 数据应答 (CN=9014) to each upload frame (CRCs computed at once).

    HJ 212-2017 附录C: ``QN`` of the frame answered, ``ST=91`` (系统交互), ``CN=9014``, the
    frame's ``PW`` and ``MN``, ``Flag=4`` (edition 2017, no answer wanted), empty CP. A 2005 frame
    is answered in its edition: no QN in the header, ``Flag=0`` and the answered ``QN`` and ``CN``
    in CP.
    """
    return encode_frames([_ack_segment(frame).encode("latin-1") for frame in frames])


def _ack_segment(frame: Frame) -> str:
    if frame.edition == "2017":
        return f"QN={frame.qn};ST=91;CN={DATA_ACK};PW={frame.pw};MN={frame.mn};Flag=4;CP=&&&&"
    answered = f"QN={frame.qn};CN={frame.cn}" if frame.qn else f"CN={frame.cn}"
    return f"ST=91;CN={DATA_ACK};PW={frame.pw};MN={frame.mn};Flag=0;CP=&&{answered}&&"
