"""TRANSACTION_PAYLOAD_EVENT: header vector, round trips, expansion, re-compression,
hostile sizes."""

from __future__ import annotations

import io

import pytest
import zstandard
from construct import Container
from hypothesis import given, settings
from hypothesis import strategies as st

from mysqlproto.binlog import BinlogWriter, FormatContext, read_binlog
from mysqlproto.compression import expand
from mysqlproto.errors import CompressionError
from mysqlproto.events import Event
from mysqlproto.registry import MYSQL
from spec.binlog.events.payload import (
    NONE,
    OTW_PAYLOAD_COMPRESSION_TYPE_FIELD,
    OTW_PAYLOAD_SIZE_FIELD,
    OTW_PAYLOAD_UNCOMPRESSED_SIZE_FIELD,
    ZSTD,
    TransactionPayloadEvent,
    forget_sizes,
)
from spec.wire import LenencInt
from tests.spec.roundtrip import h

P = {"post_header_len": 40, "header_len": 19, "binlog_version": 4, "server_version": "8.0.32"}
SPEC = MYSQL.spec_for(40)

# MySQL 8.0.40's post-header lengths (rust_mysql_common test-data binlogs/time_issue.000001).
PHL_8040 = [0, 13, 0, 8, 0, 0, 0, 0, 4, 0, 4, 0, 0, 0, 98, 0, 4, 26, 8, 0, 0, 0, 8, 8, 8, 2,
            0, 0, 0, 10, 10, 10, 42, 42, 0, 18, 52, 0, 10, 40, 0]


# rust_mysql_common test-data binlogs/transaction_compression.000001, offset 274: a
# MySQL 8.0.32 transaction (BEGIN, TABLE_MAP, WRITE_ROWS, XID) compressed with zstd.
ZSTD_FRAME = h(
    "28b52ffd0058840300e2861520a029ad01ffff5c55f1aa623375b985c76d89e33d9f37ecfc5a83b699bd89"
    "4c01ff4d08826fbb0ae267584b52efeeb98a073be8754cfcd25a926a3018b5c89ac5b6c1b66d08c29a0378"
    "2579b885d1c840e6a7ac25a90a00a004c43deae2a09a2d291920e0022ae03e30f200bc010000")
PAYLOAD_BODY = h("""
    02 01 00        # OTW_PAYLOAD_COMPRESSION_TYPE_FIELD, length 1, ZSTD (0)
    03 01 b3        # OTW_PAYLOAD_UNCOMPRESSED_SIZE_FIELD, length 1, 179
    01 01 7c        # OTW_PAYLOAD_SIZE_FIELD, length 1, 124
    00              # OTW_PAYLOAD_HEADER_END_MARK
""") + ZSTD_FRAME   # the payload: 124 bytes of zstd


def test_payload_header_vector_from_mysql_8():
    body = TransactionPayloadEvent.parse(PAYLOAD_BODY, **P)
    assert (body.compression_type, body.uncompressed_size, body.payload_size) == (ZSTD, 179, 124)
    assert body.payload == ZSTD_FRAME and body.extra == b""
    assert [e.type for e in body.header_layout] == [2, 3, 1]
    assert TransactionPayloadEvent.build(body, **P) == PAYLOAD_BODY


def test_payload_expands_into_inner_events_without_checksums():
    event = Event(40, body=TransactionPayloadEvent.parse(PAYLOAD_BODY, **P))
    ctx = FormatContext(server_version="8.0.32", post_header_lengths=PHL_8040, checksum_alg=1)
    expand(event, SPEC, ctx, keep_raw=True)
    assert [e.name for e in event.inner] == ["QUERY_EVENT", "TABLE_MAP_EVENT",
                                            "WRITE_ROWS_EVENT", "XID_EVENT"]
    assert event.inner[0].body.query == "BEGIN"
    assert event.inner[1].body.table_name == "tb1"
    assert all(e.checksum is None for e in event.inner)
    assert sum(e.event_size for e in event.inner) == 179


def test_crafted_payload_uses_mysql_field_order():
    body = Container(compression_type=ZSTD, uncompressed_size=300, payload_size=None,
                     payload=b"z" * 260, extra=b"", header_layout=None)
    assert TransactionPayloadEvent.build(body, **P) == h("""
        02 01 00            # compression type ZSTD
        03 03 fc 2c01       # uncompressed size 300 (int<lenenc>, 3 bytes)
        01 03 fc 0401       # payload size 260, computed
        00
    """) + b"z" * 260


def test_payload_keeps_unknown_and_repeated_fields_and_odd_lengths():
    data = h("""
        01 01 05        # payload size 5 ...
        09 02 abcd      # an unknown field, skipped by its length
        02 04 fc ff 00  # compression type NONE (255 as int<lenenc>) with a stored
                        # length of 4: MySQL reads the value where it stands
        01 01 03        # payload size again: the last one counts
        00
    """) + b"abc" + b"xy"
    body = TransactionPayloadEvent.parse(data, **P)
    assert (body.compression_type, body.payload_size, body.payload, body.extra) == \
        (NONE, 3, b"abc", b"xy")
    assert body.header_layout[0] == {"type": 1, "length": 1, "value": 5}
    assert body.header_layout[1] == {"type": 9, "length": 2, "value": h("abcd")}
    assert TransactionPayloadEvent.build(body, **P) == data


def test_payload_size_past_the_end_is_refused():
    with pytest.raises(Exception, match="payload_size 9"):
        TransactionPayloadEvent.parse(h("01 01 09 00") + b"abc", **P)


# -- properties ----------------------------------------------------------------------

sizes = st.one_of(st.integers(0, 300), st.integers(0, 2**64 - 1))


@settings(max_examples=200)
@given(st.sampled_from([ZSTD, NONE, 7]), st.one_of(st.none(), sizes), st.binary(max_size=300))
def test_payload_value_round_trips(ctype, usize, payload):
    body = Container(compression_type=ctype, uncompressed_size=usize, payload_size=None,
                     payload=payload, extra=b"", header_layout=None)
    data = TransactionPayloadEvent.build(body, **P)
    parsed = TransactionPayloadEvent.parse(data, **P)
    assert (parsed.compression_type, parsed.uncompressed_size, parsed.payload_size,
            parsed.payload, parsed.extra) == (ctype, usize, len(payload), payload, b"")
    assert TransactionPayloadEvent.build(parsed, **P) == data


@st.composite
def payload_bodies(draw):
    """Header fields in any order and number, any stored lengths, then the payload."""
    out = b""
    payload = draw(st.binary(max_size=60))
    fields = draw(st.lists(st.one_of(
        st.tuples(st.sampled_from([2, 3]), sizes, st.integers(0, 2**20)),
        st.tuples(st.integers(4, 2**20), st.binary(max_size=10)),
    ), max_size=5))
    for field in fields:
        if len(field) == 3:
            code, value, length = field
            out += LenencInt.build(code) + LenencInt.build(length) + LenencInt.build(value)
        else:
            code, value = field
            out += LenencInt.build(code) + LenencInt.build(len(value)) + value
    size = draw(st.integers(0, len(payload)))
    out += h("01") + LenencInt.build(len(LenencInt.build(size))) + LenencInt.build(size)
    return out + h("00") + payload


@settings(max_examples=300)
@given(payload_bodies())
def test_payload_bytes_round_trip(data):
    body = TransactionPayloadEvent.parse(data, **P)
    assert TransactionPayloadEvent.build(body, **P) == data


# -- crafted compressed transactions, through the writer and the reader -----------------


def fde():
    return Event(15, timestamp=1, body=Container(
        binlog_version=4, server_version="8.0.40", create_timestamp=1, header_length=19,
        post_header_lengths=PHL_8040, checksum_alg=1))


def inner_events(table_name="t1"):
    query = Container(thread_id=8, exec_time=0, db_len=None, error_code=0,
                      status_vars_len=None, post_header_extra=None, status_vars=[],
                      db="test", query="BEGIN")
    table_map = Container(table_id=88, flags=1, database_name_length=None, database_name="test",
                          table_name_length=None, table_name=table_name, column_count=None,
                          column_types=[3], metadata_length=None, metadata=[None],
                          null_bits=b"\x01", optional_metadata=[], extra=b"")
    rows = Container(table_id=88, flags=1, var_header_len=None, extra_data=[], column_count=1,
                     columns_present=b"\xff", rows=h("00 01000000"))
    xid = Container(post_header_extra=None, xid=462, extra=b"")
    return [Event(2, body=query), Event(19, body=table_map), Event(30, body=rows),
            Event(16, body=xid)]


def payload_event(inner, compression_type=ZSTD):
    return Event(40, body=Container(compression_type=compression_type, uncompressed_size=None,
                                    payload_size=None, payload=b"", extra=b"",
                                    header_layout=None), inner=inner)


def write(events) -> bytes:
    writer = BinlogWriter()
    return writer.begin() + b"".join(writer.encode(e) for e in events)


@pytest.mark.parametrize("compression_type", [ZSTD, NONE])
def test_crafted_payload_written_and_read_back(compression_type):
    data = write([fde(), payload_event(inner_events(), compression_type)])
    events = list(read_binlog(data, keep_raw=True))
    payload = events[1]
    assert payload.body.compression_type == compression_type
    if compression_type == ZSTD:
        assert payload.body.payload.startswith(h("28b52ffd"))  # zstd frame magic
        assert payload.body.uncompressed_size == len(payload._inner_bytes)
    assert [(e.type_code, e.body) for e in payload.inner] == \
        [(e.type_code, e.body) for e in events[1].inner]
    assert [e.body.table_name for e in payload.inner if e.type_code == 19] == ["t1"]
    assert payload.inner[3].body.xid == 462
    # Unchanged, everything rebuilds byte for byte.
    assert write(events) == data


def test_modified_inner_events_are_compressed_again():
    data = write([fde(), payload_event(inner_events())])
    events = list(read_binlog(data, keep_raw=True))
    table_map = events[1].inner[1]
    table_map.body.table_name = "a_longer_table_name"
    table_map.body.table_name_length = None
    table_map.event_size = None
    rewritten = write(events)
    assert rewritten != data
    again = list(read_binlog(rewritten, keep_raw=True))
    assert again[1].inner[1].body.table_name == "a_longer_table_name"
    assert again[1].body.uncompressed_size == len(again[1]._inner_bytes)
    assert [e.body for e in again[1].inner[2:]] == [e.body for e in events[1].inner[2:]]


def test_payload_with_inner_events_equal_to_the_original_keeps_its_payload():
    data = write([fde(), payload_event(inner_events())])
    events = list(read_binlog(data, keep_raw=True))
    before = events[1].body.payload
    write(events)
    assert events[1].body.payload is before


# -- hostile sizes -----------------------------------------------------------------------


def expand_body(body, **kw):
    event = Event(40, body=body)
    ctx = FormatContext(server_version="8.0.40", post_header_lengths=PHL_8040)
    expand(event, SPEC, ctx, **kw)
    return event


def test_declared_uncompressed_size_over_the_limit_is_refused_before_decompressing():
    body = TransactionPayloadEvent.parse(PAYLOAD_BODY, **P)
    body.uncompressed_size = 2**62
    with pytest.raises(CompressionError) as info:
        expand_body(body)
    assert info.value.field == "uncompressed_size"


def test_zstd_bomb_with_a_small_declared_size_stops_at_the_declared_size():
    bomb = zstandard.ZstdCompressor(level=19).compress(bytes(64 << 20))  # 64 MiB of zeros
    assert len(bomb) < 64 << 10
    body = Container(compression_type=ZSTD, uncompressed_size=100, payload_size=None,
                     payload=bomb, extra=b"", header_layout=None)
    with pytest.raises(CompressionError, match="more than 100 bytes"):
        expand_body(body)


def test_zstd_bomb_without_a_declared_size_stops_at_the_limit():
    bomb = zstandard.ZstdCompressor().compress(bytes(8 << 20))
    body = Container(compression_type=ZSTD, uncompressed_size=None, payload_size=None,
                     payload=bomb, extra=b"", header_layout=None)
    with pytest.raises(CompressionError, match="more than 4096 bytes"):
        expand_body(body, max_size=4096)


def test_frame_content_size_is_not_trusted():
    # A zstd frame whose header claims 1 TiB of content but holds 10 bytes: the stream
    # is decompressed with its 1 KiB window, never into a buffer of the claimed size.
    frame = h("""
        28 b5 2f fd                 # zstd frame magic
        c0                          # descriptor: 8-byte content size, windowed, no checksum
        00                          # window descriptor: 1 KiB
        0000000000010000            # frame content size 2**40
        51 00 00                    # last block, raw, 10 bytes
    """) + b"x" * 10
    body = Container(compression_type=ZSTD, uncompressed_size=None, payload_size=None,
                     payload=frame, extra=b"", header_layout=None)
    with pytest.raises(CompressionError):
        expand_body(body)


def test_unknown_compression_type_and_bad_zstd_raise_compression_error():
    body = TransactionPayloadEvent.parse(PAYLOAD_BODY, **P)
    body.compression_type = 7
    with pytest.raises(CompressionError) as info:
        expand_body(body)
    assert info.value.field == "compression_type"
    body.compression_type = ZSTD
    body.payload = b"not zstd at all"
    with pytest.raises(CompressionError):
        expand_body(body)


def test_reader_reports_hostile_payload_with_offset_and_event_type():
    events = [fde(), payload_event(inner_events())]
    events[1].body.uncompressed_size = 2**40
    events[1].inner = None  # write the body as given
    writer = BinlogWriter()
    data = writer.begin() + writer.encode(events[0]) + writer.encode(
        Event(40, body=Container(compression_type=ZSTD, uncompressed_size=2**40,
                                 payload_size=None, payload=b"\x28\xb5\x2f\xfd", extra=b"",
                                 header_layout=None)))
    with pytest.raises(CompressionError) as info:
        list(read_binlog(io.BytesIO(data)))
    assert info.value.event_type == "TRANSACTION_PAYLOAD_EVENT"
    assert info.value.offset is not None and info.value.field == "uncompressed_size"


def test_forget_sizes_clears_stored_lengths():
    body = TransactionPayloadEvent.parse(PAYLOAD_BODY, **P)
    forget_sizes(body)
    assert body.payload_size is None
    assert [e.length for e in body.header_layout if e.type != OTW_PAYLOAD_COMPRESSION_TYPE_FIELD] \
        == [None, None]
    assert {e.type for e in body.header_layout} == {OTW_PAYLOAD_COMPRESSION_TYPE_FIELD,
                                                    OTW_PAYLOAD_SIZE_FIELD,
                                                    OTW_PAYLOAD_UNCOMPRESSED_SIZE_FIELD}
