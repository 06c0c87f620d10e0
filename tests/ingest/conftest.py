"""Fixtures of the reader tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def write(tmp_path):
    """``write(name, content)`` → path of a file in a temporary folder (str content as UTF-8)."""

    def _write(name: str, content: str | bytes):
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return _write
