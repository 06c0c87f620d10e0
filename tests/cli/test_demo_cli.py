"""``lantian demo --no-serve`` as a user runs it: with the reference data, with ``--data DIR``, and
without any data (a clear message in Chinese and English, exit status 2, no traceback)."""

from __future__ import annotations

import re
from pathlib import Path

from lantian.demo import DEMO_FILES, demo_file

from .test_import_cli import lantian

#: Hunan's 14 cities ranked by the 2019 comprehensive index, as `lantian demo` printed it before the
#: data moved out of the repository (evaluation stations only; Lantian's own output, kept as a
#: regression reference).
HUNAN_2019_ORDER = [
    "湘西州",
    "张家界",
    "郴州",
    "怀化",
    "永州",
    "娄底",
    "邵阳",
    "常德",
    "衡阳",
    "岳阳",
    "长沙",
    "益阳",
    "株洲",
    "湘潭",
]


def test_without_data_a_clear_message_and_exit_2(tmp_path):
    result = lantian(tmp_path / "home", "demo", "--no-serve", "--data", str(tmp_path / "nowhere"))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert "找不到演示数据 demo data not found" in result.stderr
    assert str(tmp_path / "nowhere") in result.stderr
    for name in DEMO_FILES:
        assert name in result.stderr
    assert "LANTIAN_REFERENCE_DATA" in result.stderr
    assert "lantian fetch cnemc --from" in result.stderr
    assert not (tmp_path / "home" / "measurements").exists() or not any(
        (tmp_path / "home" / "measurements").rglob("*.parquet")
    )


def test_data_points_at_a_copy_anywhere(tmp_path):
    copy = tmp_path / "copy"  # a folder made by hand: the three files, without the cnemc/ subfolder
    copy.mkdir()
    for name in DEMO_FILES:
        (copy / Path(name).name).symlink_to(demo_file(name))
    result = lantian(tmp_path / "home", "demo", "--no-serve", "--data", str(copy))
    assert result.returncode == 0, result.stderr
    assert "已导入 imported 3,745,926 hourly values" in result.stderr
    assert "综合指数 3.94（最大单项指数" in result.stdout  # Yongzhou 2019
    ranking, roadmap = result.stdout.split("城市环境空气质量排名", 1)[1].split("达标路线图", 1)
    cities = re.findall(r"^│ \d+\s+│ (\S+)", ranking, flags=re.MULTILINE)
    assert cities == HUNAN_2019_ORDER
    # then the roadmap of inventory → measures → roadmap on EXAMPLE data, labelled as such
    assert "冷水滩区中心城区 2020 年" in result.stdout
    assert "示例数据" in roadmap
