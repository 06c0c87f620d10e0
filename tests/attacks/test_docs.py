"""docs/security.md names every security setting, every guard and every attack test it lists."""

from __future__ import annotations

import re
from pathlib import Path

from lantian.settings import Settings
from lantian.web import guard

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "security.md").read_text("utf-8")


def test_the_security_settings_are_documented():
    for name in ("session_idle_minutes", "trusted_proxies"):
        assert name in Settings.model_fields
        assert f"LANTIAN_{name.upper()}" in DOC


def test_every_guard_is_documented():
    guards = [n for n in ("TrustedProxies", "BodyLimit", "SecurityHeaders") if hasattr(guard, n)]
    assert len(guards) == 3
    for name in guards:
        assert f"`{name}`" in DOC


def test_every_attack_test_listed_exists():
    listed = set(re.findall(r"`(tests/[\w/]+\.py)`", DOC))
    assert len(listed) >= 6
    for path in listed:
        assert (ROOT / path).is_file(), path
