"""OK, ERR and EOF packets in each capability variant."""

from __future__ import annotations

import pytest
from construct import ConstructError
from hypothesis import assume, given
from hypothesis import strategies as st

from spec.protocol.constants import Capability as C
from spec.protocol.constants import ServerStatus as S
from spec.protocol.constants import SessionStateType as T
from spec.protocol.generic import (
    SESSION_STATE_BODIES,
    EofPacket,
    ErrPacket,
    OkPacket,
    SessionStateChange,
    SessionStateInfo,
    response_kind,
)
from tests.protocol.strategies import (
    assert_bytes_round_trip,
    assert_value_round_trips,
    lenenc,
    raw,
    text,
    u8,
    u16,
    u24,
)

P41 = C.CLIENT_PROTOCOL_41 | C.CLIENT_TRANSACTIONS
TRACK = P41 | C.CLIENT_SESSION_TRACK


# -- OK ---------------------------------------------------------------------------


def test_ok_packet_41():
    data = bytes.fromhex(
        "00"    # header
        "01"    # affected_rows = 1
        "fc0001"  # last_insert_id = 256 (int<lenenc>, 0xfc + 2 bytes)
        "0200"  # status_flags = SERVER_STATUS_AUTOCOMMIT
        "0300"  # warnings = 3
    ) + b"Rows matched: 1"  # info, string<EOF>
    value = assert_bytes_round_trip(OkPacket, data, capabilities=P41)
    assert (value.affected_rows, value.last_insert_id, value.warnings) == (1, 256, 3)
    assert value.status_flags == S.SERVER_STATUS_AUTOCOMMIT
    assert value.info == "Rows matched: 1"


def test_ok_packet_transactions_only_has_status_but_no_warnings():
    data = bytes.fromhex("00" "00" "00" "0100")
    value = assert_bytes_round_trip(OkPacket, data, capabilities=C.CLIENT_TRANSACTIONS)
    assert (value.status_flags, value.warnings, value.info) == (1, None, "")


def test_ok_packet_320_has_only_counts_and_info():
    data = bytes.fromhex("00" "05" "00") + b"info"
    value = assert_bytes_round_trip(OkPacket, data, capabilities=0)
    assert (value.affected_rows, value.status_flags, value.info) == (5, None, "info")


def test_ok_packet_session_track_without_info_leaves_it_out():
    # net_send_ok writes no info when there is neither a message nor a state change
    data = bytes.fromhex("00" "00" "00" "0200" "0000")
    value = assert_bytes_round_trip(OkPacket, data, capabilities=TRACK)
    assert value.info is None and value.session_state_info is None


def _entry(kind: int, body: bytes) -> bytes:
    return bytes((kind, len(body))) + body


def test_ok_packet_with_every_session_tracker():
    entries = [
        # SESSION_TRACK_SYSTEM_VARIABLES: name, value
        _entry(0, bytes.fromhex("0a") + b"autocommit" + bytes.fromhex("03") + b"OFF"),
        # SESSION_TRACK_SCHEMA: the new default schema
        _entry(1, bytes.fromhex("04") + b"test"),
        # SESSION_TRACK_STATE_CHANGE: "1"
        _entry(2, bytes.fromhex("01") + b"1"),
        # SESSION_TRACK_GTIDS: encoding 0, then the GTID set text
        _entry(3, bytes.fromhex("00" "28") + b"3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5"),
        # SESSION_TRACK_TRANSACTION_CHARACTERISTICS
        _entry(4, bytes.fromhex("1b") + b"START TRANSACTION READ ONLY"),
        # SESSION_TRACK_TRANSACTION_STATE: 8 characters
        _entry(5, bytes.fromhex("08") + b"T_______"),
        # an entry type this table does not know: kept raw
        _entry(0x42, b"\x01\x02\x03"),
    ]
    state = b"".join(entries)
    data = (bytes.fromhex("00" "00" "00" "0240" "0000" "00")
            + bytes((len(state),)) + state)
    value = assert_bytes_round_trip(OkPacket, data, capabilities=TRACK)
    changes = value.session_state_info.changes
    assert [c.type for c in changes] == [0, 1, 2, 3, 4, 5, 0x42]
    assert (changes[0].data.name, changes[0].data.value) == ("autocommit", "OFF")
    assert changes[1].data.name == "test"
    assert changes[2].data.is_tracked == "1"
    assert changes[3].data.encoding_specification == 0
    assert changes[3].data.gtids == "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5"
    assert changes[4].data.characteristics == "START TRANSACTION READ ONLY"
    assert changes[5].data.state == "T_______"
    assert changes[6].data == b"\x01\x02\x03"


def test_session_state_lengths_are_recomputed_when_none():
    value = {"length": None, "changes": [
        {"type": T.SESSION_TRACK_SCHEMA, "length": None, "data": {"name": "db1"}}]}
    assert SessionStateInfo.build(value, capabilities=TRACK) == bytes.fromhex(
        "06" "01" "04" "03") + b"db1"


def test_session_state_entry_with_trailing_bytes_is_an_error():
    data = bytes.fromhex("01" "05" "02") + b"db" + b"!!"
    with pytest.raises(ConstructError):
        SessionStateChange.parse(data)


def test_ok_packet_with_0xfe_header_ends_a_result_set():
    data = bytes.fromhex("fe" "00" "00" "2200" "0000")
    value = assert_bytes_round_trip(OkPacket, data,
                                    capabilities=TRACK | C.CLIENT_DEPRECATE_EOF)
    assert value.header == 0xFE


def test_ok_packet_needs_capabilities():
    with pytest.raises(ConstructError, match="capabilities"):
        OkPacket.parse(b"\x00\x00\x00")


# -- ERR --------------------------------------------------------------------------


def test_err_packet_41():
    data = bytes.fromhex(
        "ff"        # header
        "4804"      # error_code = 1096
        "23"        # sql_state_marker '#'
        "4859303030"  # sql_state = "HY000"
    ) + b"No tables used"
    value = assert_bytes_round_trip(ErrPacket, data, capabilities=P41)
    assert (value.error_code, value.sql_state, value.error_message) == (
        1096, "HY000", "No tables used")


def test_err_packet_320_has_no_sql_state():
    data = bytes.fromhex("ff" "1504") + b"#Access denied"
    value = assert_bytes_round_trip(ErrPacket, data, capabilities=0)
    assert value.sql_state is None and value.error_message == "#Access denied"


def test_err_packet_41_without_marker():
    # an error sent before the capabilities are known (e.g. "too many connections")
    data = bytes.fromhex("ff" "1004") + b"Too many connections"
    value = assert_bytes_round_trip(ErrPacket, data, capabilities=P41)
    assert value.sql_state is None


def test_mariadb_progress_report():
    data = bytes.fromhex(
        "ff"        # header
        "ffff"      # error_code = 0xffff: progress report
        "01"        # number of strings (written by the server, missing from the KB)
        "01"        # stage = 1
        "03"        # max_stage = 3
        "a08601"    # progress = 100000 (100.000 %, per 100000)
        "0f"        # progress_info, string<lenenc>
    ) + b"copy to tmp tab"
    value = assert_bytes_round_trip(ErrPacket, data, capabilities=P41)
    assert value.progress.stage == 1 and value.progress.max_stage == 3
    assert value.progress.progress == 100000
    assert value.progress.progress_info == "copy to tmp tab"
    assert value.sql_state is None and value.error_message == ""


# -- EOF --------------------------------------------------------------------------


def test_eof_packet_41():
    data = bytes.fromhex("fe" "0000" "0200")
    value = assert_bytes_round_trip(EofPacket, data, capabilities=P41)
    assert (value.warnings, value.status_flags) == (0, 2)


def test_eof_packet_320_is_one_byte():
    assert_bytes_round_trip(EofPacket, b"\xfe", capabilities=0)


def test_response_kind():
    assert response_kind(b"\x00\x00\x00\x02\x00\x00\x00", P41) == "OK"
    assert response_kind(b"\xff\x15\x04", P41) == "ERR"
    assert response_kind(b"\xfe\x00\x00\x02\x00", P41) == "EOF"
    assert response_kind(b"\xfe" + bytes(8), P41) == "OTHER"  # a lenenc 0xfe row
    assert response_kind(b"\xfe\x00\x00\x02\x00\x00\x00", P41 | C.CLIENT_DEPRECATE_EOF) == "OK"
    assert response_kind(b"\x01", P41) == "OTHER"


# -- properties -------------------------------------------------------------------

caps_variants = st.sampled_from([0, C.CLIENT_TRANSACTIONS, P41, TRACK,
                                 C.CLIENT_SESSION_TRACK])


@st.composite
def session_changes(draw):
    kind = draw(st.sampled_from([*SESSION_STATE_BODIES, 6, 0xFF]))
    if kind == T.SESSION_TRACK_SYSTEM_VARIABLES:
        data = {"name": draw(text), "value": draw(text)}
    elif kind == T.SESSION_TRACK_SCHEMA:
        data = {"name": draw(text)}
    elif kind == T.SESSION_TRACK_STATE_CHANGE:
        data = {"is_tracked": draw(text)}
    elif kind == T.SESSION_TRACK_GTIDS:
        data = {"encoding_specification": draw(u8), "gtids": draw(text)}
    elif kind == T.SESSION_TRACK_TRANSACTION_CHARACTERISTICS:
        data = {"characteristics": draw(text)}
    elif kind == T.SESSION_TRACK_TRANSACTION_STATE:
        data = {"state": draw(text)}
    else:
        data = draw(raw)
    # parse what builds, so the derived length is filled in
    return SessionStateChange.parse(SessionStateChange.build(
        {"type": kind, "length": None, "data": data}))


@st.composite
def ok_packets(draw):
    caps = draw(caps_variants)
    status = draw(u16)
    value = {"header": draw(st.sampled_from([0x00, 0xFE])), "affected_rows": draw(lenenc),
             "last_insert_id": draw(lenenc),
             "status_flags": status if caps & (C.CLIENT_PROTOCOL_41 | C.CLIENT_TRANSACTIONS)
             else None,
             "warnings": draw(u16) if caps & C.CLIENT_PROTOCOL_41 else None,
             "session_state_info": None}
    track = caps & C.CLIENT_SESSION_TRACK
    value["info"] = draw(st.none() | text) if track else draw(text)
    changed = track and value["status_flags"] is not None and \
        value["status_flags"] & S.SERVER_SESSION_STATE_CHANGED
    if changed and value["info"] is not None and draw(st.booleans()):
        changes = draw(st.lists(session_changes(), max_size=4))
        state = SessionStateInfo.build({"length": None, "changes": changes})
        value["session_state_info"] = SessionStateInfo.parse(state)
    return caps, value


@given(ok_packets())
def test_ok_packet_round_trips(case):
    caps, value = case
    assert_value_round_trips(OkPacket, value, capabilities=caps)


@given(caps_variants, u16, st.none() | st.text("ABCDEFGHIJ0123456789", min_size=5, max_size=5),
       text)
def test_err_packet_round_trips(caps, code, state, message):
    assume(code != 0xFFFF)  # the progress report, below
    if not caps & C.CLIENT_PROTOCOL_41:
        state = None  # no SQL state before 4.1: a leading '#' is part of the message
    elif state is None:
        # with 4.1 a message opening with '#' would read as an SQL state
        assume(message[:1] not in ("#", b"#"))
    value = {"header": 0xFF, "error_code": code, "progress": None,
             "sql_state": state, "error_message": message}
    assert_value_round_trips(ErrPacket, value, capabilities=caps)


@given(caps_variants, u8, u8, u8, u24, text)
def test_progress_report_round_trips(caps, strings, stage, max_stage, progress, info):
    value = {"header": 0xFF, "error_code": 0xFFFF, "sql_state": None, "error_message": "",
             "progress": {"num_strings": strings, "stage": stage, "max_stage": max_stage,
                          "progress": progress, "progress_info": info}}
    assert_value_round_trips(ErrPacket, value, capabilities=caps)


@given(caps_variants, u16, u16)
def test_eof_packet_round_trips(caps, warnings, status):
    p41 = caps & C.CLIENT_PROTOCOL_41
    value = {"header": 0xFE, "warnings": warnings if p41 else None,
             "status_flags": status if p41 else None}
    assert_value_round_trips(EofPacket, value, capabilities=caps)
