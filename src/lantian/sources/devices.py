"""A registered device as the feeds see it: its HJ 212 id (MN), kind, factors and where its data go.

This is the one interface between the registry (``lantian.sources``) and the receivers
(``lantian.feeds``): a receiver asks a ``DeviceDirectory`` for the device of a frame's ``MN`` and
checks the frame's ``PW`` with ``Device.accepts_password``; it never reads the registry's tables.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

DeviceKind = Literal["dust", "micro", "cems", "voc", "national"]
"""Dust monitor (扬尘在线监测), grid micro-station (小微站), CEMS stack monitor, VOC monitor, national
station."""


def password_digest(password: str, salt: str) -> str:
    """The stored form of a device password: hex SHA-256 of ``salt + password``.

    HJ 212 sends the password in clear in every frame (``PW=``), so it is a shared secret checked at
    frame rate; a salted SHA-256 keeps the registry from holding it in clear.
    """
    return hashlib.sha256((salt + password).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Device:
    """One registered device."""

    mn: str
    """HJ 212 device id (设备唯一标识, ``MN``)."""
    kind: DeviceKind
    network: str
    """The measurement store's network its hourly values go under (``dust``, ``micro``, ``cems``)."""
    station_code: str
    """The code its values are stored under in the measurement store (never a national station's)."""
    factor_units: Mapping[str, str] = field(default_factory=dict)
    """HJ 212 factor code (``a34002``) → the unit this device reports it in (``ug/m3``, ``mg/m3``)."""
    source_id: int | None = None
    """The registered source it sits on; ``None`` for a grid micro-station."""
    installed: date | None = None
    removed: date | None = None
    simulated: bool = False
    """True for the devices of the simulator: their data are labelled 模拟数据 everywhere."""
    longitude: float | None = None
    """WGS-84 [degrees]: the device's own registered place, else its source's."""
    latitude: float | None = None
    town: str | None = None
    """乡镇/街道 of its source."""
    password_salt: str = ""
    password_sha256: str = ""

    def accepts_password(self, password: str) -> bool:
        """Whether ``password`` (a frame's ``PW``) is this device's, compared in constant time."""
        digest = password_digest(password, self.password_salt)
        return hmac.compare_digest(digest, self.password_sha256)


class DeviceDirectory(Protocol):
    """What a receiver needs of the registry: the device of an MN, or ``None`` if unknown."""

    def get(self, mn: str) -> Device | None: ...


class StaticDirectory(dict[str, Device]):
    """A directory held in memory (a snapshot of the registry, or devices built by a test)."""

    @classmethod
    def of(cls, devices: list[Device] | tuple[Device, ...]) -> StaticDirectory:
        return cls({device.mn: device for device in devices})
