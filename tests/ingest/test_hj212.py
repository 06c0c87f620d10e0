"""HJ 212 frames: the standard's CRC example, frames published by other implementations, and any
bytes at all (hypothesis)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lantian.ingest import hj212
from lantian.ingest.hj212 import (
    COMMANDS,
    DATA_FLAGS_2005,
    DATA_FLAGS_2017,
    Frame,
    FrameRejection,
    FrameScanner,
    _header,
    _header_fields,
    canonical_factor,
    crc16,
    crc16_bytewise,
    crc16_many,
    data_ack,
    encode_frame,
    factors,
    frame_data,
    merge_split,
    parse_frame,
)

# HJ 212-2017 附录A: the CRC example. The same two vectors are the unit test of the HJ 212 CRC in
# dromara/hutool, hutool-core/src/test/java/cn/hutool/core/util/Crc16UtilTest.java.
APPENDIX_A_SEGMENT = (
    b"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
    b"CP=&&RtdInterval=30&&"
)
HUTOOL_NOISE_SEGMENT = (
    b"QN=20160801085857223;ST=23;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
    b"CP=&&DataTime=20160801085857; LA-Rtd=50.1&&"
)
# 1249993110/IceCoffee.HJ212, Test/Program.cs: an hourly (CN=2061) frame its client sends.
ICECOFFEE_2061 = (
    b"##0285QN=20190925181031464;ST=22;CN=2061;PW=BF470F88957588DE902D1A52;MN=Z13401000010301;"
    b"Flag=5;CP=&&DataTime=20190924220000;a34006-Avg=2.69700,a34006-Flag=N;a34007-Avg=7.96600,"
    b"a34007-Flag=N;a34048-Avg=3.30600,a34048-Flag=N;a34047-Avg=7.35700,a34047-Flag=N;"
    b"a34049-Avg=10.66300,a34049-Flag=N&&C181\r\n"
)
# liruoyu2008/HJ212Interpreter, README.md: the real-time (CN=2011) example message.
INTERPRETER_2011 = (
    b"##0162QN=20231008123340461;ST=22;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
    b"CP=&&DataTime=20231008123340;w01008-SampleTime=20231008123340,w01008-Rtd=123.456&&F441\r\n"
)
# chenqi92/alltobs-hj212, README.md: the water frame it parses (lower-case CRC hex), with the map
# its readDeepMap returns.
ALLTOBS_2011 = (
    b"##0435QN=20210301111100112;ST=21;CN=2011;PW=123456;MN=ZLDSZ20210127;Flag=8;"
    b"CP=&&DataTime=20210301111100;w01001-Rtd=8.33,w01001-Flag=N;w01009-Rtd=10.15,w01009-Flag=N;"
    b"w01010-Rtd=9.7,w01010-Flag=N;w01014-Rtd=1425,w01014-Flag=N;w01003-Rtd=13.10,w01003-Flag=N;"
    b"w21011-Rtd=0,w21011-Flag=N;w21001-Rtd=3.563168,w21001-Flag=N;w21003-Rtd=0.09055002,"
    b"w21003-Flag=N;w01019-Rtd=4.102818,w01019-Flag=N;w01008-Rtd=0,w01008-Flag=N;w23002-Rtd=0,"
    b"w23002-Flag=N&&7d00\r\n"
)
ALLTOBS_VALUES = {
    "w01001": "8.33",
    "w01009": "10.15",
    "w01010": "9.7",
    "w01014": "1425",
    "w01003": "13.10",
    "w21011": "0",
    "w21001": "3.563168",
    "w21003": "0.09055002",
    "w01019": "4.102818",
    "w01008": "0",
    "w23002": "0",
}


def parsed(raw: bytes) -> Frame:
    frame = parse_frame(raw)
    assert isinstance(frame, Frame), frame
    return frame


def test_appendix_a_crc_is_1c80():
    assert crc16(APPENDIX_A_SEGMENT) == 0x1C80
    assert crc16_bytewise(APPENDIX_A_SEGMENT) == 0x1C80
    assert encode_frame(APPENDIX_A_SEGMENT) == b"##0101" + APPENDIX_A_SEGMENT + b"1C80\r\n"


def test_hutool_noise_vector():
    assert crc16(HUTOOL_NOISE_SEGMENT) == 0x1E00
    data = frame_data(parsed(encode_frame(HUTOOL_NOISE_SEGMENT)))
    assert data.data_time == dt.datetime(2016, 8, 1, 8, 58, 57)
    assert [(f.code, f.fields) for f in data.factors] == [("LA", {"Rtd": "50.1"})]


def test_icecoffee_hourly_frame():
    frame = parsed(ICECOFFEE_2061)
    assert (frame.qn, frame.st, frame.cn, frame.mn, frame.flag) == (
        "20190925181031464",
        "22",
        "2061",
        "Z13401000010301",
        5,
    )
    assert frame.edition == "2017"
    assert frame.wants_ack
    assert not frame.is_split
    data = frame_data(frame)
    assert data.data_time == dt.datetime(2019, 9, 24, 22)
    assert {f.code: f.fields["Avg"] for f in data.factors} == {
        "a34006": "2.69700",
        "a34007": "7.96600",
        "a34048": "3.30600",
        "a34047": "7.35700",
        "a34049": "10.66300",
    }
    assert all(f.fields["Flag"] == "N" for f in data.factors)


def test_interpreter_realtime_frame():
    frame = parsed(INTERPRETER_2011)
    data = frame_data(frame)
    assert data.data_time == dt.datetime(2023, 10, 8, 12, 33, 40)
    assert data.factors[0].code == "w01008"
    assert data.factors[0].fields == {"SampleTime": "20231008123340", "Rtd": "123.456"}


def test_alltobs_frame_gives_its_readme_values():
    frame = parsed(ALLTOBS_2011)
    assert (frame.st, frame.cn, frame.mn, frame.flag) == ("21", "2011", "ZLDSZ20210127", 8)
    data = frame_data(frame)
    assert {f.code: f.fields["Rtd"] for f in data.factors} == ALLTOBS_VALUES


def test_2005_frame_without_flag_is_read_and_not_acked():
    segment = (
        "ST=22;CN=2011;PW=123456;MN=88888880000001;CP=&&DataTime=20040516010101;"
        "02-Rtd=41.2,02-Flag=N;B03-Rtd=56.0,B03-Flag=P&&"
    )
    frame = parsed(encode_frame(segment))
    assert frame.edition == "2005"
    assert frame.flag is None
    assert not frame.wants_ack
    data = frame_data(frame)
    assert {f.code: f.fields for f in data.factors} == {
        "a21026": {"Rtd": "41.2", "Flag": "N"},
        "LA": {"Rtd": "56.0", "Flag": "P"},
    }


def test_flags_of_both_editions():
    assert set(DATA_FLAGS_2017) == set("NFMSDCTB")
    assert set(DATA_FLAGS_2005) == set("PFCMTDSN")
    assert set(COMMANDS) == {"2011", "2051", "2061", "2031"}


@pytest.mark.parametrize(
    ("sent", "code"),
    [("a34004", "a34004"), ("PM25", "a34004"), ("02", "a21026"), ("NOIS", "LA"), ("x9", "x9")],
)
def test_aliases(sent, code):
    assert canonical_factor(sent) == code


def test_the_issue_factor_codes_are_known():
    issue = "a34001 a34002 a34004 a21026 a21004 a21005 a05024 a01001 a01002 a01006 a01007 a01008 LA"
    assert set(issue.split()) <= set(factors())
    assert factors()["a34004"].pollutant == "PM2.5"
    assert factors()["a21005"].unit == "mg/m3"


def test_data_ack_2017_and_2005():
    ack = parsed(data_ack(parsed(ICECOFFEE_2061)))
    assert (ack.qn, ack.st, ack.cn, ack.mn, ack.flag, ack.cp) == (
        "20190925181031464",
        "91",
        "9014",
        "Z13401000010301",
        4,
        "",
    )
    old = parsed(encode_frame("QN=1;ST=22;CN=2051;PW=1;MN=M;Flag=1;CP=&&DataTime=20200101000000&&"))
    ack = parsed(data_ack(old))
    assert ack.flag == 0
    assert ack.cp == "QN=1;CN=2051"


def test_split_packets_merge_in_pno_order():
    base = "QN=20260101000000001;ST=22;CN=2051;PW=p;MN=M1;Flag=7;PNUM=2;PNO={};CP=&&{}&&"
    one = parsed(encode_frame(base.format(1, "DataTime=20260101000000;a34004-Avg=10")))
    two = parsed(encode_frame(base.format(2, "a34002-Avg=20")))
    assert one.is_split
    assert two.pno == 2
    merged = frame_data(merge_split([two, one]))
    assert merged.data_time == dt.datetime(2026, 1, 1)
    assert {f.code: f.fields["Avg"] for f in merged.factors} == {"a34004": "10", "a34002": "20"}


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (ICECOFFEE_2061.replace(b"C181", b"C182"), "bad_crc"),
        (ICECOFFEE_2061.replace(b"C181", b"ZZZZ"), "bad_crc"),
        (ICECOFFEE_2061.replace(b"##0285", b"##0284"), "bad_length"),
        (ICECOFFEE_2061[:-2] + b"\n\n", "bad_end"),
        (encode_frame("ST=22;CN=2011;PW=1;CP=&&DataTime=20200101000000&&"), "no_mn"),
        (encode_frame("ST=22;PW=1;MN=M;CP=&&&&"), "no_cn"),
        (encode_frame("ST=22;CN=2011;PW=1;MN=M;Flag=x;CP=&&&&"), "bad_flag"),
        (encode_frame("ST=22;CN=2011;PW=1;MN=M"), "bad_field"),
    ],
)
def test_malformed_frames_are_rejected_with_a_reason(raw, reason):
    result = parse_frame(raw)
    assert isinstance(result, FrameRejection)
    assert result.reason == reason
    assert result.raw == raw


def test_bad_data_time_and_bad_values():
    frame = parsed(encode_frame("ST=22;CN=2011;PW=1;MN=M;CP=&&DataTime=20261399000000&&"))
    assert frame_data(frame).reason == "bad_data_time"
    frame = parsed(
        encode_frame("ST=22;CN=2011;PW=1;MN=M;CP=&&DataTime=20260101000000;a34004-Rtd=abc&&")
    )
    data = frame_data(frame)
    assert data.factors == ()
    assert data.rejected[0].reason == "bad_value"


def test_scanner_cuts_a_stream_at_any_split_point():
    stream = b"junk" + ICECOFFEE_2061 + INTERPRETER_2011 + b"##00x" + ALLTOBS_2011
    for cut in range(0, len(stream), 7):
        scanner = FrameScanner()
        results = scanner.feed(stream[:cut]) + scanner.feed(stream[cut:])
        frames = [r for r in results if isinstance(r, Frame)]
        assert [f.cn for f in frames] == ["2061", "2011", "2011"]
        assert scanner.pending == 0


def test_scanner_refuses_more_than_its_limit():
    scanner = FrameScanner(max_data_length=1024)
    results = scanner.feed(b"##9999" + b"A" * 100)
    assert results[0].reason == "too_long"
    assert scanner.pending < 200


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_any_bytes_give_frames_or_rejections(data):
    results = FrameScanner().feed(data)
    assert all(isinstance(r, Frame | FrameRejection) for r in results)
    for result in results:
        if isinstance(result, Frame):
            frame_data(result)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["a34004", "a34002", "PM25", "LA", "w01001"]), max_size=5),
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=5, max_size=5),
    st.binary(max_size=40),
    st.integers(0, 3),
)
def test_valid_frames_survive_noise_around_them(codes, values, noise, flag):
    cp = ";".join(f"{code}-Rtd={value}" for code, value in zip(codes, values, strict=False))
    segment = f"QN=1;ST=22;CN=2011;PW=p;MN=M;Flag={4 + flag};CP=&&DataTime=20260101000000;{cp}&&"
    frame = encode_frame(segment)
    results = FrameScanner().feed(noise.replace(b"#", b"") + frame + noise.replace(b"#", b""))
    frames = [r for r in results if isinstance(r, Frame)]
    assert len(frames) == 1
    assert frames[0].raw == frame
    data = frame_data(frames[0])
    assert data.data_time == dt.datetime(2026, 1, 1)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_whole_array_crc_equals_the_bytewise_definition(data):
    assert crc16(data) == crc16_bytewise(data)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=700), max_size=12))
def test_many_crcs_at_once_equal_the_bytewise_definition(segments):
    """The receiver checks a commit's frames together: empty, one-byte and long segments mixed."""
    assert crc16_many(segments).tolist() == [crc16_bytewise(s) for s in segments]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=40), st.integers(1, 600))
def test_many_crcs_in_groups_equal_the_bytewise_definition(segments, chunk):
    """A replay checks a whole raw log's frames at once: crc16_many takes them in groups of
    about CRC_CHUNK_BYTES (here made small, so that groups start and end everywhere)."""
    default = hj212.CRC_CHUNK_BYTES
    hj212.CRC_CHUNK_BYTES = chunk
    try:
        assert crc16_many(segments).tolist() == [crc16_bytewise(s) for s in segments]
    finally:
        hj212.CRC_CHUNK_BYTES = default


def test_many_crcs_past_one_group():
    """More bytes than one group at the real group size (300 frames of 700 bytes)."""
    segments = [bytes((i * 7 + j) % 256 for j in range(700)) for i in range(300)]
    assert crc16_many(segments).tolist() == [crc16_bytewise(s) for s in segments]


HEADER_TEXT = st.text(st.sampled_from("ABZaz09 =&;,.-_\t\xa0中"), max_size=8)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(HEADER_TEXT, min_size=6, max_size=6),
    st.one_of(st.none(), st.tuples(HEADER_TEXT, HEADER_TEXT)),
    HEADER_TEXT,
)
def test_the_one_match_header_reads_as_the_general_reader(values, split, cp):
    """The standard-order header is read by one regular expression; any header (blanks, odd
    values, missing fields) must read to the same frame or rejection as the general reader."""
    qn, st_, cn, pw, mn, flag = values
    packets = f"PNUM={split[0]};PNO={split[1]};" if split else ""
    segment = f"QN={qn};ST={st_};CN={cn};PW={pw};MN={mn};Flag={flag};{packets}CP=&&{cp}&&"
    for text in (segment, segment.replace(f"CN={cn}", "CN=2051").replace(f"Flag={flag}", "Flag=5")):
        data = text.encode("utf-8")
        assert _header(data, b"raw") == _header_fields(data.decode("latin-1"), b"raw")


def test_one_factor_table_serves_frames_and_registers():
    """``standards/tables/hj212_factors.csv`` is the one vocabulary: the frame reader's vendor
    and 2005 codes and the registers' spellings are views of it, and no spelling names two
    factors (a later row would silently win)."""
    from lantian.sources.factors import parse_factors
    from lantian.standards.monitoring_factors import frame_codes, register_spellings
    from lantian.standards.tables import table

    rows = table("hj212_factors")
    for view, columns in (
        (frame_codes(), ("hj212_2005", "vendor_codes")),
        (register_spellings(), ("code", "pollutant", "name_zh", "aliases")),
    ):
        spellings = [
            (s.upper() if "code" in columns else s, row["code"])
            for row in rows
            for column in columns
            for s in row[column].split("|")
            if s
        ]
        assert len({s for s, _ in spellings}) == len(set(spellings)), spellings
        assert all(view[s] == code for s, code in spellings)
    assert frame_codes()["02"] == "a21026"  # HJ 212-2017 表B.2's old code of SO2
    assert frame_codes()["WS"] == "a01007"  # dust-monitor firmware
    assert parse_factors("TSP(mg/m3)、PM25、噪声、风速") == (
        {"a34001": "mg/m3", "a34004": "ug/m3", "LA": "dB", "a01007": "m/s"},
        None,
    )
