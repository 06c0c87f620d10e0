"""``lantian sources`` as a user runs it: a real process, a fresh home, the SQLite ledger on disk.

The example registry (invented, labelled 示例) goes in, a register with a mistake is refused with
its row and column on stderr and exit 1, and the xlsx export imports again unchanged. Every
command of ``lantian sources`` is documented in docs/sources.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from lantian.cli.sources import sources_app

DOC = (Path(__file__).resolve().parents[2] / "docs" / "sources.md").read_text("utf-8")


def lantian(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "LANTIAN_DATABASE_URL"}
    env |= {"LANTIAN_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "lantian", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_a_user_registers_lists_exports_and_is_refused(tmp_path):
    home = tmp_path / "home"
    done = lantian(home, "sources", "import", "--example")
    assert done.returncode == 0, done.stderr
    assert "监测设备：新增 12" in done.stdout
    listed = json.loads(
        lantian(home, "sources", "list", "--kind", "sites", "--format", "json").stdout
    )
    assert len(listed) == 10
    assert all("示例" in site["name"] for site in listed)

    exported = tmp_path / "登记.xlsx"
    assert lantian(home, "sources", "export", "-o", str(exported)).returncode == 0
    again = lantian(home, "sources", "import", str(exported))
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("新增 0，更新 0，未变") == 8  # an export imports again unchanged

    catering = tmp_path / "餐饮.csv"
    assert (
        lantian(home, "sources", "export", "--kind", "catering", "-o", str(catering)).returncode
        == 0
    )
    text = catering.read_text("utf-8-sig").replace(
        "示例CY02,示例餐馆2（示例数据）,2", "示例CY02,示例餐馆2（示例数据）,两个"
    )
    catering.write_text(text, "utf-8")
    refused = lantian(home, "sources", "import", str(catering), "--kind", "catering")
    assert refused.returncode == 1
    assert "餐饮.csv 第3行 灶头数：不是数字（'两个'）" in refused.stderr


def _commands() -> list[str]:
    return [f"lantian sources {name}" for name in typer.main.get_group(sources_app).commands]


@pytest.mark.parametrize("command", _commands())
def test_every_command_is_documented(command):
    assert command in DOC
