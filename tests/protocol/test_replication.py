"""The binlog network stream and semi-synchronous replication packets."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from spec.protocol.constants import Capability as C
from spec.protocol.replication import BinlogEventPacket, BinlogNetworkPacket, SemiSyncAck
from tests.protocol.strategies import (
    assert_bytes_round_trip,
    assert_value_round_trips,
    raw,
    text,
    u8,
    u64,
)

P41 = C.CLIENT_PROTOCOL_41 | C.CLIENT_TRANSACTIONS

# The artificial ROTATE_EVENT a source sends first (LOG_EVENT_ARTIFICIAL_F).
FAKE_ROTATE = bytes.fromhex(
    "00000000"          # timestamp = 0
    "04"                # event type = ROTATE_EVENT
    "01000000"          # server_id = 1
    "2f000000"          # event_size = 47
    "00000000"          # log_pos = 0
    "2000"              # flags = LOG_EVENT_ARTIFICIAL_F
    "0400000000000000"  # position = 4
) + b"binlog.000001" + bytes.fromhex("d4c3b2a1")  # new log name, CRC32


def test_event_packet():
    data = bytes.fromhex("00") + FAKE_ROTATE  # OK byte, then the event
    value = assert_bytes_round_trip(BinlogNetworkPacket, data, capabilities=P41)
    assert value.packet_type == 0
    assert value.packet.semi_sync_flags is None
    assert value.packet.event == FAKE_ROTATE


def test_semi_sync_event_packet_requests_an_ack():
    data = bytes.fromhex(
        "00"    # OK byte
        "ef"    # semi-sync magic
        "01"    # flags: the source waits for an ACK of this event
    ) + FAKE_ROTATE
    value = assert_bytes_round_trip(BinlogNetworkPacket, data, capabilities=P41,
                                    semi_sync=True)
    assert value.packet.semi_sync_flags == 1
    assert value.packet.event == FAKE_ROTATE


def test_eof_of_a_non_blocking_dump():
    value = assert_bytes_round_trip(BinlogNetworkPacket, bytes.fromhex("fe" "0000" "0200"),
                                    capabilities=P41)
    assert value.packet.status_flags == 2


def test_end_of_dump_is_a_classic_eof_even_with_deprecate_eof():
    # The servers end a non-blocking dump with fe 0000 0200 whatever was negotiated.
    value = assert_bytes_round_trip(BinlogNetworkPacket, bytes.fromhex("fe" "0000" "0200"),
                                    capabilities=P41 | C.CLIENT_DEPRECATE_EOF)
    assert value.packet.warnings == 0 and value.packet.status_flags == 2


def test_error_in_the_stream():
    data = bytes.fromhex("ff" "d404" "23" + b"HY000".hex()) + b"Could not find first log file"
    value = assert_bytes_round_trip(BinlogNetworkPacket, data, capabilities=P41)
    assert value.packet.error_code == 1236  # ER_SOURCE_FATAL_ERROR_READING_BINLOG


def test_semi_sync_ack():
    data = bytes.fromhex(
        "ef"                # magic
        "5b01000000000000"  # binlog_pos = 347
    ) + b"binlog.000001"
    value = assert_bytes_round_trip(SemiSyncAck, data)
    assert (value.binlog_pos, value.binlog_filename) == (347, "binlog.000001")


@given(st.booleans(), u8, raw)
def test_event_packet_round_trips(semi_sync, flags, event):
    value = {"header": 0, "semi_sync_flags": flags if semi_sync else None, "event": event}
    assert_value_round_trips(BinlogEventPacket, value, semi_sync=semi_sync)
    assert_value_round_trips(BinlogNetworkPacket, {"packet_type": 0, "packet": value},
                             capabilities=P41, semi_sync=semi_sync)


@given(u64, text)
def test_semi_sync_ack_round_trips(pos, name):
    assert_value_round_trips(SemiSyncAck, {"magic": 0xEF, "binlog_pos": pos,
                                           "binlog_filename": name})


@given(st.sampled_from([P41, P41 | C.CLIENT_DEPRECATE_EOF]), st.integers(0, 0xFFFE), text)
def test_stream_error_and_end_round_trip(caps, code, message):
    err = {"header": 0xFF, "error_code": code, "progress": None, "sql_state": "HY000",
           "error_message": message}
    assert_value_round_trips(BinlogNetworkPacket, {"packet_type": 0xFF, "packet": err},
                             capabilities=caps)
    end = {"header": 0xFE, "warnings": 0, "status_flags": 2}  # classic EOF either way
    assert_value_round_trips(BinlogNetworkPacket, {"packet_type": 0xFE, "packet": end},
                             capabilities=caps)
