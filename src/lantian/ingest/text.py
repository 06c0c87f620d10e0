"""CSV text as it arrives from users: the one decoder of its bytes (BOM, UTF-8 or GB18030/GBK),
used by every reader of user-made CSV (tidy measurements, source registers)."""

from __future__ import annotations

from lantian.ingest.schema import FormatError


def decode_csv(source: str, data: bytes) -> tuple[bytes, str]:
    """CSV bytes as UTF-8 without BOM, and the encoding they came in (``utf-8``, ``utf-8-sig`` or
    ``gb18030``, what Excel's "CSV" writes on a Chinese Windows).

    A UTF-8 file cut inside its last character (a broken download) stays UTF-8, the incomplete
    character dropped: its last line stays cut, which the readers refuse by number, keeping the
    others. Raises
    :class:`~lantian.ingest.schema.FormatError` naming ``source`` (and the line) for UTF-16 text,
    binary content or bytes that are neither UTF-8 nor GB18030.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FormatError(source, "UTF-16 text (Excel 'Unicode text'); save it as CSV UTF-8")
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise FormatError(source, "binary content (NUL byte), not CSV text", line=line)
    encoding = "utf-8"
    if data.startswith(b"\xef\xbb\xbf"):
        data, encoding = data[3:], "utf-8-sig"
    try:
        data.decode("utf-8")
        return data, encoding
    except UnicodeDecodeError as error:
        if error.reason == "unexpected end of data" and error.end == len(data):
            return data[: error.start], encoding  # cut inside its last character: dropped
    try:
        return data.decode("gb18030").encode("utf-8"), "gb18030"
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise FormatError(source, "text neither UTF-8 nor GB18030 (GBK)", line=line) from error
