"""``lantian.ingest.text.decode_csv``: the one decoder of user-made CSV bytes, shared by the tidy
measurement reader and the source registers (``ingest.sheets`` used tidy's private ``_decode``)."""

from __future__ import annotations

import pytest

from lantian.ingest import sheets, tidy
from lantian.ingest.schema import FormatError
from lantian.ingest.text import decode_csv

TEXT = "监测点编码,城市\n2478A,永州\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("gb18030"), "gb18030"),
    ],
)
def test_utf8_with_or_without_bom_and_gbk_become_the_same_text(data, encoding):
    assert decode_csv("站点.csv", data) == (TEXT.encode("utf-8"), encoding)


def test_utf16_and_binary_are_refused_naming_the_file_and_line():
    with pytest.raises(FormatError, match=r"站点\.csv: UTF-16"):
        decode_csv("站点.csv", TEXT.encode("utf-16"))
    with pytest.raises(FormatError, match=r"站点\.csv: line 2: binary"):
        decode_csv("站点.csv", b"a,b\n1,\x00\n")


def test_both_readers_decode_through_it():
    assert tidy.decode_csv is decode_csv
    assert sheets.decode_csv is decode_csv
