"""Bad input gives the package's own errors, naming offset, event type and field."""

from __future__ import annotations

import struct

import pytest

from mysqlproto.binlog import BinlogReader, read_binlog
from mysqlproto.errors import (
    BadMagicError,
    ChecksumError,
    DecodeError,
    EventBodyError,
    EventLengthError,
    TruncatedError,
)
from mysqlproto.events import CorruptEvent
from tests.corpus import CORPUS, require_corpus

SMALL = "zalora__binlog-parser/fixtures/mysql-bin.01"  # 5.6.35, CRC32, 17 events
CORRUPT = "blackbeam__rust_mysql_common/corrupt-relay-bin.000624"


def corpus_bytes(name: str) -> bytes:
    require_corpus()
    return (CORPUS / name).read_bytes()


def event_offsets(data: bytes) -> list[tuple[int, int, int]]:
    """(offset, type_code, size) of each event by a plain header walk (v4 files)."""
    out, pos = [], 4
    while pos + 19 <= len(data):
        code = data[pos + 4]
        (size,) = struct.unpack_from("<I", data, pos + 9)
        out.append((pos, code, size))
        pos += size
    return out


def test_wrong_magic_is_reported_at_offset_zero():
    with pytest.raises(BadMagicError) as info:
        list(read_binlog(b"\xfebim" + bytes(100)))
    assert info.value.offset == 0 and info.value.field == "magic"


def test_empty_input_is_truncated_not_silent():
    with pytest.raises(TruncatedError):
        list(read_binlog(b""))


def test_cut_inside_an_event_names_its_offset_and_type():
    data = corpus_bytes(SMALL)
    offset, code, size = event_offsets(data)[2]  # TABLE_MAP_EVENT
    with pytest.raises(TruncatedError) as info:
        list(read_binlog(data[: offset + size - 3]))
    err = info.value
    assert err.offset == offset
    assert err.event_type == "TABLE_MAP_EVENT"
    assert err.field == "header.event_size"
    assert f"offset {offset}" in str(err)


def test_cut_inside_a_header():
    data = corpus_bytes(SMALL)
    offset, _, _ = event_offsets(data)[3]
    with pytest.raises(TruncatedError) as info:
        list(read_binlog(data[: offset + 7]))
    assert info.value.offset == offset and info.value.field == "header"


def test_corrupt_checksum_is_detected():
    data = bytearray(corpus_bytes(SMALL))
    offset, code, size = event_offsets(bytes(data))[1]  # QUERY_EVENT
    data[offset + size - 10] ^= 0x40  # inside the query text
    with pytest.raises(ChecksumError) as info:
        list(read_binlog(bytes(data)))
    assert (info.value.offset, info.value.event_type, info.value.field) == (
        offset, "QUERY_EVENT", "checksum")


def test_checksum_verification_can_be_turned_off():
    data = bytearray(corpus_bytes(SMALL))
    offset, code, size = event_offsets(bytes(data))[1]
    data[offset + size - 5] ^= 0x01  # last byte of the query text
    events = list(read_binlog(bytes(data), verify_checksums=False))
    assert len(events) == len(event_offsets(bytes(data)))


def test_lying_event_size_beyond_the_limit_is_refused_before_buffering():
    data = bytearray(corpus_bytes(SMALL))
    offset, _, _ = event_offsets(bytes(data))[1]
    struct.pack_into("<I", data, offset + 9, 0xFFFFFFF0)
    reader = BinlogReader(max_event_size=1 << 20)
    reader.feed(bytes(data[:offset + 19]))
    events = []
    with pytest.raises(EventLengthError) as info:
        while (event := reader.next_event()) is not None:
            events.append(event)
    assert info.value.offset == offset and info.value.field == "header.event_size"
    assert len(events) == 1  # the FDE before it


def test_event_size_smaller_than_the_header():
    data = bytearray(corpus_bytes(SMALL))
    offset, _, _ = event_offsets(bytes(data))[1]
    struct.pack_into("<I", data, offset + 9, 7)
    with pytest.raises(EventLengthError) as info:
        list(read_binlog(bytes(data)))
    assert info.value.offset == offset


def test_body_shorter_than_its_schema_names_the_field():
    # corrupt-relay-bin.000624: event 873 is a QUERY_EVENT whose status_vars_len lies.
    data = corpus_bytes(CORRUPT)
    with pytest.raises(EventBodyError) as info:
        list(read_binlog(data))
    err = info.value
    assert err.offset == 91204
    assert err.event_type == "QUERY_EVENT"
    assert err.field == "status_vars"


def test_skip_mode_steps_over_the_corrupt_event_and_goes_on():
    data = corpus_bytes(CORRUPT)
    walk = event_offsets(data)
    events = list(read_binlog(data, on_error="skip"))
    assert [e.offset for e in events] == [o for o, _, _ in walk]
    corrupt = [e for e in events if isinstance(e, CorruptEvent)]
    assert [(e.offset, e.name) for e in corrupt] == [(91204, "QUERY_EVENT")]
    assert corrupt[0].raw == data[91204 : 91204 + walk[872][2]]
    assert events[-1].name == "ROTATE_EVENT"


def test_skip_mode_resyncs_after_a_broken_length():
    data = bytearray(corpus_bytes(SMALL))
    walk = event_offsets(bytes(data))
    offset = walk[2][0]
    struct.pack_into("<I", data, offset + 9, 3)  # impossible size
    events = list(read_binlog(bytes(data), on_error="skip"))
    assert isinstance(events[2], CorruptEvent) and events[2].offset == offset
    assert [e.offset for e in events[3:]] == [o for o, _, _ in walk[3:]]


def test_deliberately_truncated_corpus_files_fail_at_the_right_offset():
    with pytest.raises(TruncatedError) as info:
        list(read_binlog(CORPUS / "blackbeam__rust_mysql_common/binlog_truncated_event.000001"))
    assert info.value.offset == 4
    path = CORPUS / "blackbeam__rust_mysql_common/binlog_truncated_prev_gtid_event.000001"
    events = []
    with pytest.raises(TruncatedError) as info:
        for event in read_binlog(path):
            events.append(event)
    assert [e.name for e in events] == ["FORMAT_DESCRIPTION_EVENT"]
    assert info.value.offset == events[0].next_pos


def test_feeding_one_byte_at_a_time_gives_the_same_events():
    data = corpus_bytes(SMALL)
    whole = list(read_binlog(data))
    reader = BinlogReader()
    pieces = []
    for i in range(len(data)):
        reader.feed(data[i : i + 1])
        pieces.extend(reader)
    reader.feed_eof()
    pieces.extend(reader)
    assert pieces == whole
    assert [e.offset for e in pieces] == [e.offset for e in whole]


def _whole_events(data: bytes) -> list[bytes]:
    return [data[offset:offset + size] for offset, _, size in event_offsets(data)]


def test_decode_whole_gives_what_feeding_gives():
    # a stream's packets: one event each; the first goes through feed (it may be an
    # old-format START event), the rest through the fast path
    data = corpus_bytes(SMALL)
    whole = list(read_binlog(data))
    reader = BinlogReader(start_offset=4, expect_magic=False)
    first, *rest = _whole_events(data)
    reader.feed(first)
    events = [reader.next_event()]
    fast = 0
    for raw in rest:
        event = reader.decode_whole(raw)
        if event is None:
            reader.feed(raw)
            event = reader.next_event()
        else:
            fast += 1
        events.append(event)
    assert fast == len(rest)
    assert events == whole and [e.offset for e in events] == [e.offset for e in whole]
    assert reader.offset == len(data)


def test_decode_whole_leaves_what_it_does_not_vouch_for_to_feed():
    data = corpus_bytes(SMALL)
    first, second, third, *_ = _whole_events(data)
    reader = BinlogReader(expect_magic=False)
    assert reader.decode_whole(first) is None  # the first event: feed decides
    reader.feed(first)
    reader.next_event()
    assert reader.decode_whole(second + b"x") is None  # a size that is not the packet's
    assert reader.decode_whole(second[:-1]) is None
    assert reader.decode_whole(bytearray(second)) is None
    reader.feed(second[:10])  # bytes already buffered
    assert reader.decode_whole(third) is None
    assert reader.offset == len(first)  # nothing consumed
    skipping = BinlogReader(expect_magic=False, on_error="skip")
    skipping.feed(first)
    skipping.next_event()
    assert skipping.decode_whole(second) is None  # a CorruptEvent is feed's to give


def test_decode_whole_raises_as_next_event_and_stops():
    data = corpus_bytes(SMALL)
    first, second, *_ = _whole_events(data)
    corrupt = bytearray(second)
    corrupt[-10] ^= 0x40
    reader = BinlogReader(expect_magic=False, start_offset=4)
    reader.feed(first)
    reader.next_event()
    with pytest.raises(ChecksumError) as info:
        reader.decode_whole(bytes(corrupt))
    assert (info.value.offset, info.value.event_type) == (4 + len(first), "QUERY_EVENT")
    assert reader.decode_whole(second) is None and reader.next_event() is None


def test_trailing_garbage_after_the_last_event_is_an_error():
    data = corpus_bytes(SMALL) + b"\x00\x01\x02"
    with pytest.raises(TruncatedError):
        list(read_binlog(data))


def test_gzip_files_are_read_transparently(tmp_path):
    import gzip

    data = corpus_bytes(SMALL)
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(data))
    assert list(read_binlog(path)) == list(read_binlog(data))


def test_errors_are_all_decode_errors():
    for cls in (BadMagicError, ChecksumError, EventBodyError, EventLengthError, TruncatedError):
        assert issubclass(cls, DecodeError)
