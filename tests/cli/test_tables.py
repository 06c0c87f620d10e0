"""CLI tables on an 80-column terminal or a pipe: cells wrap, nothing is cut to "…" (issue #12
item 9: "日最大8…")."""

from __future__ import annotations

import io
import json

from rich.console import Console

from lantian.cli.tables import terminal_table

ROW = {
    "污染物": "O3",
    "评价指标": "日最大8小时滑动平均值第90百分位数",
    "浓度": 160,
    "标准限值": 160,
    "达标情况": "达标",
    "超标倍数": None,
    "有效天数": 365,
    "数据有效性": "有效",
}


def _printed(width: int) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=width).print(terminal_table([ROW, ROW], "环境空气质量评价"))
    return buffer.getvalue()


def _in_order(text: str, wanted: str) -> bool:
    characters = iter(text)
    return all(c in characters for c in wanted)


def test_an_80_column_table_wraps_instead_of_cutting():
    printed = _printed(80)
    assert "…" not in printed
    assert max(len(line) for line in printed.splitlines()) <= 80
    for text in [*map(str, ROW), "日最大8小时滑动平均值第90百分位数", "365"]:
        assert _in_order(printed, text), text


def test_json_goes_to_the_file_given_else_to_stdout(tmp_path, capsys):
    """``--format json -o FILE`` writes the file (``inventory show``/``factors`` printed JSON to
    stdout whatever ``-o`` said before they shared ``write_json`` with ``sources list``)."""
    from lantian.cli.tables import write_json

    path = tmp_path / "清单.json"
    write_json([ROW], path)
    assert capsys.readouterr().out == ""
    assert json.loads(path.read_text("utf-8")) == [ROW]
    assert "日最大8小时" in path.read_text("utf-8")  # Chinese as is, not \\u escapes
    write_json({"year": 2019}, None)
    assert json.loads(capsys.readouterr().out) == {"year": 2019}
