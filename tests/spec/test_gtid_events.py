"""GTID event schemas: annotated byte vectors, round-trip properties, truncation."""

from __future__ import annotations

import uuid

import pytest
from construct import ConstructError
from hypothesis import given
from hypothesis import strategies as st

from spec.binlog.events.gtid import GtidEvent, GtidTaggedEvent, PreviousGtidsEvent
from spec.gtid_set import GTID_FORMAT_TAGGED, GTID_FORMAT_UNTAGGED
from spec.serialization import VarlenSInt, VarlenUInt, varlen_size
from tests.spec.roundtrip import assert_bytes_round_trip, assert_value_round_trips, context_for

P = {"binlog_version": 4, "header_len": 19, "server_version": "8.0.40"}
params = context_for(P)


SID = uuid.UUID("58cf6502-63db-11ed-8079-0242ac110002")

# -- strategies ------------------------------------------------------------------

u32 = st.integers(0, 2**32 - 1)
u64 = st.integers(0, 2**64 - 1)
s64 = st.integers(-(2**63), 2**63 - 1)
raw = st.binary(max_size=16)
tags = st.from_regex(r"[a-z_][a-z0-9_]{0,31}", fullmatch=True)

NO_TRAILERS = {
    "immediate_commit_timestamp": None,
    "original_commit_timestamp": None,
    "transaction_length": None,
    "immediate_server_version": None,
    "original_server_version": None,
    "commit_group_ticket": None,
}


@st.composite
def gtid_events(draw):
    """(post_header_len, value) for the layouts of 5.6, 5.7.4-, 5.7 and 8.0."""
    value = {"flags": draw(st.integers(0, 255)), "sid": draw(st.uuids()),
             "gno": draw(st.integers(0, 2**63 - 1))}
    layout = draw(st.sampled_from(["5.6", "5.7-early", "5.7", "8.0"]))
    if layout == "5.6":
        value.update(lt_type=None, last_committed=None, sequence_number=None,
                     post_header_extra=b"", **NO_TRAILERS, extra=draw(raw))
        return 25, value
    if layout == "5.7-early":
        # another typecode: the rest of the post-header stays raw, no trailers are read
        value.update(lt_type=draw(st.integers(0, 1)), last_committed=None, sequence_number=None,
                     post_header_extra=draw(st.binary(min_size=16, max_size=16)),
                     **NO_TRAILERS, extra=draw(raw))
        return 42, value
    value.update(lt_type=2, last_committed=draw(u64), sequence_number=draw(u64),
                 post_header_extra=b"")
    if layout == "5.7":
        value.update(**NO_TRAILERS, extra=b"")
        return 42, value
    value.update(
        immediate_commit_timestamp=draw(st.integers(0, 2**55 - 1)),
        original_commit_timestamp=draw(st.none() | st.integers(0, 2**56 - 1)),
        transaction_length=draw(u64.filter(lambda n: n != 251)),
    )
    more = draw(st.integers(0, 2))
    value.update(
        immediate_server_version=draw(st.integers(0, 2**31 - 1)) if more else None,
        original_server_version=draw(st.none() | u32) if more else None,
        commit_group_ticket=draw(u64) if more == 2 else None,
        extra=draw(raw) if more == 2 else b"",
    )
    return 42, value


@st.composite
def gtid_tagged_fields(draw):
    optional_u64 = st.none() | u64
    fields = {
        "flags": draw(st.none() | st.integers(0, 255)),
        "sid": draw(st.none() | st.uuids()),
        "gno": draw(st.none() | s64),
        "tag": draw(st.none() | tags),
        "last_committed": draw(st.none() | s64),
        "sequence_number": draw(st.none() | s64),
        "immediate_commit_timestamp": draw(optional_u64),
        "original_commit_timestamp": draw(optional_u64),
        "transaction_length": draw(optional_u64),
        "immediate_server_version": draw(st.none() | u32),
        "original_server_version": draw(st.none() | u32),
        "commit_group_ticket": draw(optional_u64),
    }
    # A newer server's field: an id past the known ones, then bytes we cannot parse.
    unknown = b""
    if draw(st.booleans()):
        unknown = VarlenUInt.build(draw(st.integers(12, 5000))) + draw(raw)
    fields["unknown_fields"] = unknown
    return fields


@st.composite
def gtid_tagged_events(draw):
    return {
        "format_version": draw(st.integers(0, 300)),
        "message_size": None,
        "last_non_ignorable_field_id": draw(st.integers(0, 20)),
        "fields": draw(gtid_tagged_fields()),
        "extra": draw(raw),
    }


@st.composite
def previous_gtids_events(draw):
    gtid_format = draw(st.sampled_from([GTID_FORMAT_UNTAGGED, GTID_FORMAT_TAGGED]))
    sids = []
    for _ in range(draw(st.integers(0, 3))):
        intervals = draw(st.lists(st.fixed_dictionaries({"start": u64, "end": u64}), max_size=3))
        sids.append({
            "sid": draw(st.uuids()),
            "tag": draw(st.just("") | tags) if gtid_format == GTID_FORMAT_TAGGED else None,
            "n_intervals": len(intervals),
            "intervals": intervals,
        })
    return {"post_header_extra": b"", "gtid_format": gtid_format, "n_sids": len(sids),
            "sids": sids, "extra": draw(raw)}


# -- annotated vectors: GTID_LOG_EVENT / ANONYMOUS_GTID_LOG_EVENT -----------------

GTID_57 = bytes.fromhex(
    "00"                                # flags (FLAG_MAY_HAVE_SBR clear)
    "58cf650263db11ed80790242ac110002"  # sid
    "3500000000000000"                  # gno = 53
    "02"                                # lt_type = LOGICAL_TIMESTAMP_TYPECODE
    "0000000000000000"                  # last_committed = 0
    "0100000000000000"                  # sequence_number = 1
)
"""apecloud__mysql-binlog-connector-rust/mysql-bin.000080 (MySQL 5.7.40)."""


def test_gtid_event_57_post_header():
    value = GtidEvent.parse(GTID_57, **params(42))
    assert (value.flags, value.sid, value.gno) == (0, SID, 53)
    assert (value.lt_type, value.last_committed, value.sequence_number) == (2, 0, 1)
    assert value.immediate_commit_timestamp is None
    assert GtidEvent.build(value, **params(42)) == GTID_57


def test_gtid_event_56_has_short_post_header():
    # MySQL 5.6: the FDE gives a 25-byte post-header, no logical clock
    # (blackbeam__rust_mysql_common/binlog_56_gtid_reserved_word.000001)
    body = bytes.fromhex(
        "01"                                # flags = FLAG_MAY_HAVE_SBR
        "11111111111111111111111111111111"  # sid
        "0100000000000000"                  # gno = 1
    )
    value = GtidEvent.parse(body, **params(25))
    assert value.gno == 1
    assert value.lt_type is value.last_committed is None
    assert GtidEvent.build(value, **params(25)) == body


def test_gtid_event_80_trailers():
    # blackbeam__rust_mysql_common/binlog-invisible-columns.000001 (MySQL 8.0.26), first GTID
    body = bytes.fromhex(
        "01"                                # flags = FLAG_MAY_HAVE_SBR
        "97c7af024c5011ecacd8681842034964"  # sid
        "0100000000000000"                  # gno = 1
        "02" "0000000000000000" "0100000000000000"  # logical clock: 0, 1
        "37ad730d73d105"  # immediate_commit_timestamp, 7 bytes; bit 55 clear: no original
        "fc4f01"          # transaction_length = 335, int<lenenc>
        "9a380100"        # immediate_server_version = 80026; bit 31 clear: no original
    )
    value = GtidEvent.parse(body, **params(42))
    assert value.immediate_commit_timestamp == 1637666960682295
    assert value.original_commit_timestamp is None
    assert value.transaction_length == 335
    assert value.immediate_server_version == 80026
    assert value.original_server_version is value.commit_group_ticket is None
    assert GtidEvent.build(value, **params(42)) == body


def test_gtid_event_original_values_follow_flag_bits():
    body = GTID_57 + bytes.fromhex(
        "02000000000080"      # immediate_commit_timestamp = 2, bit 55 set
        "01000000000000"      # original_commit_timestamp = 1 (7 bytes)
        "05"                  # transaction_length = 5
        "b8380180"            # immediate_server_version = 80056, bit 31 set
        "7c110100"            # original_server_version = 70012
        "0900000000000000"    # commit_group_ticket = 9
    )
    value = GtidEvent.parse(body, **params(42))
    assert (value.immediate_commit_timestamp, value.original_commit_timestamp) == (2, 1)
    assert (value.immediate_server_version, value.original_server_version) == (80056, 70012)
    assert value.commit_group_ticket == 9
    assert GtidEvent.build(value, **params(42)) == body
    # Leaving the originals out clears the flag bits.
    rebuilt = GtidEvent.build({**value, "original_commit_timestamp": None,
                               "original_server_version": None}, **params(42))
    assert rebuilt[42:] == bytes.fromhex("02000000000000" "05" "b8380100" "0900000000000000")


def test_gtid_event_anonymous_layout_is_the_same():
    # Fanduzi__BinlogVisualizer/minimal.binlog (5.7.44), ANONYMOUS_GTID: sid zero, gno 0
    body = bytes.fromhex("01" + "00" * 16 + "00" * 8 + "02" + "00" * 8 + "0100000000000000")
    value = GtidEvent.parse(body, **params(42))
    assert (value.sid, value.gno) == (uuid.UUID(int=0), 0)


# -- annotated vectors: GTID_TAGGED_LOG_EVENT ---------------------------------------

GTID_TAGGED = bytes.fromhex(
    # blackbeam__rust_mysql_common/binlog_transaction_with_GTID_TAG.000001 (MySQL 9.6.0)
    "02"    # format_version = 1 (varlen: 1 << 1)
    "78"    # message_size = 60 (whole message)
    "00"    # last_non_ignorable_field_id = 0
    "00" "00"  # field 0 gtid_flags = 0
    "02"       # field 1 sid: 16 varlen bytes 55 77 89 04 02 99 11 f1 b1 b8 4e f0 c4 95 6f eb
    "aa" "ee" "2502" "08" "04" "6502" "22" "c503" "c502" "e102" "9c" "c103" "1103" "5502"
    "de" "ad03"
    "04" "0c"  # field 2 gno = 3 (signed: 6 >> 1)
    "06" "0a" "6d79746167"  # field 3 tag: length 5, "mytag"
    "08" "00"  # field 4 last_committed = 0
    "0a" "04"  # field 5 sequence_number = 1
    "0c" "7f1cf3b814244a06"  # field 6 immediate_commit_timestamp (8-byte varlen)
    # field 7 original_commit_timestamp absent: equal to the immediate one
    "10" "a104"    # field 8 transaction_length = 296
    "12" "430f0b"  # field 9 immediate_server_version = 90600
    # fields 10, 11 absent
)


def test_gtid_tagged_event_fields():
    value = GtidTaggedEvent.parse(GTID_TAGGED, **params(0))
    assert (value.format_version, value.message_size) == (1, 60)
    fields = value.fields
    assert fields.sid == uuid.UUID("55778904-0299-11f1-b1b8-4ef0c4956feb")
    assert (fields.flags, fields.gno, fields.tag) == (0, 3, "mytag")
    assert (fields.last_committed, fields.sequence_number) == (0, 1)
    assert fields.immediate_commit_timestamp == 1770368687207196
    assert fields.original_commit_timestamp is None
    assert fields.transaction_length == 296
    assert fields.immediate_server_version == 90600
    assert fields.original_server_version is fields.commit_group_ticket is None
    assert fields.unknown_fields == b"" and value.extra == b""
    assert GtidTaggedEvent.build(value, **params(0)) == GTID_TAGGED
    assert GtidTaggedEvent.build({**value, "message_size": None}, **params(0)) == GTID_TAGGED


def test_gtid_tagged_event_keeps_unknown_fields():
    body = bytearray(GTID_TAGGED)
    body[1] = 0x78 + 2 * 3  # message_size 63
    body += bytes.fromhex("18" "0204")  # field 12 (unknown to us), two bytes
    value = GtidTaggedEvent.parse(bytes(body), **params(0))
    assert value.fields.unknown_fields == bytes.fromhex("180204")
    assert GtidTaggedEvent.build(value, **params(0)) == bytes(body)


@pytest.mark.parametrize("value,encoded", [
    # libs/mysql/serialization/readme.md, "Variable-length integers" (shown big-endian there)
    (65535, "fbff07"),
    (0, "00"),
    (127, "fe"),
    (128, "0102"),
    (2**56 - 1, "7fffffffffffffff"),
    (2**56, "ff0000000000000001"),
    (2**64 - 1, "ffffffffffffffffff"),
])
def test_varlen_unsigned_vectors(value, encoded):
    assert VarlenUInt.build(value).hex() == encoded
    assert VarlenUInt.parse(bytes.fromhex(encoded)) == value


@pytest.mark.parametrize("value,encoded", [(65535, "f3ff0f"), (-65535, "ebff0f"),
                                           (-65536, "fbff0f")])
def test_varlen_signed_vectors(value, encoded):
    assert VarlenSInt.build(value).hex() == encoded
    assert VarlenSInt.parse(bytes.fromhex(encoded)) == value


def test_varlen_size_matches_encoding_for_every_width():
    for bits in range(65):
        value = (1 << bits) - 1
        assert varlen_size(value) == len(VarlenUInt.build(value))


# -- annotated vectors: PREVIOUS_GTIDS_LOG_EVENT ------------------------------------


def test_previous_gtids_untagged():
    # apecloud__mysql-binlog-connector-rust/mysql-bin.000080 (MySQL 5.7.40)
    body = bytes.fromhex(
        "0100000000000000"                  # n_sids = 1, format untagged (top byte 0)
        "58cf650263db11ed80790242ac110002"  # sid
        "0100000000000000"                  # n_intervals = 1
        "0100000000000000"                  # start = 1
        "3500000000000000"                  # end = 53 (exclusive)
    )
    value = PreviousGtidsEvent.parse(body, **params(0))
    assert (value.gtid_format, value.n_sids) == (GTID_FORMAT_UNTAGGED, 1)
    assert value.sids[0].sid == SID and value.sids[0].tag is None
    assert [(i.start, i.end) for i in value.sids[0].intervals] == [(1, 53)]
    assert PreviousGtidsEvent.build(value, **params(0)) == body


def test_previous_gtids_tagged():
    # blackbeam__rust_mysql_common/binlog_transaction_with_GTID_TAG.000001 (MySQL 9.6.0)
    sid = "557789040299 11f1b1b84ef0c4956feb".replace(" ", "")
    body = bytes.fromhex(
        "01" "020000000000" "01"  # tagged: format 1, n_sids = 2 (six bytes), format 1
        + sid + "00"              # sid, tag "" (varlen length 0)
        "0100000000000000" "0100000000000000" "0e00000000000000"  # 1 interval [1, 14)
        + sid + "0a" "6d79746167"  # sid, tag "mytag"
        "0100000000000000" "0100000000000000" "0300000000000000"  # 1 interval [1, 3)
    )
    value = PreviousGtidsEvent.parse(body, **params(0))
    assert (value.gtid_format, value.n_sids) == (GTID_FORMAT_TAGGED, 2)
    assert [s.tag for s in value.sids] == ["", "mytag"]
    assert PreviousGtidsEvent.build(value, **params(0)) == body
    assert PreviousGtidsEvent.build({**value, "n_sids": None}, **params(0)) == body


def test_previous_gtids_empty_set():
    assert PreviousGtidsEvent.parse(bytes(8), **params(0)).sids == []


# -- properties ------------------------------------------------------------------


@given(gtid_events())
def test_gtid_event_value_round_trips(case):
    post_header_len, value = case
    assert_value_round_trips(GtidEvent, value, **params(post_header_len))


@given(st.sampled_from([25, 42]), st.binary(min_size=42, max_size=90))
def test_gtid_event_bytes_round_trip(post_header_len, body):
    if body[25] == 2 and post_header_len == 42 and len(body) > 42:
        # a trailer cut mid-way is not valid (7 bytes of timestamp are needed)
        try:
            value = GtidEvent.parse(body, **params(post_header_len))
        except ConstructError:
            return
        assert GtidEvent.build(value, **params(post_header_len)) == body
        return
    assert_bytes_round_trip(GtidEvent, body, **params(post_header_len))


@given(gtid_tagged_events())
def test_gtid_tagged_event_value_round_trips(value):
    data = GtidTaggedEvent.build(value, **params(0))
    parsed = GtidTaggedEvent.parse(data, **params(0))
    assert parsed.message_size == len(data) - len(value["extra"])
    assert parsed == {**value, "message_size": parsed.message_size}


@given(gtid_tagged_events())
def test_gtid_tagged_event_bytes_round_trip(value):
    assert_bytes_round_trip(GtidTaggedEvent, GtidTaggedEvent.build(value, **params(0)),
                            **params(0))


@given(previous_gtids_events())
def test_previous_gtids_value_round_trips(value):
    assert_value_round_trips(PreviousGtidsEvent, value, **params(0))


@given(previous_gtids_events())
def test_previous_gtids_bytes_round_trip(value):
    assert_bytes_round_trip(PreviousGtidsEvent, PreviousGtidsEvent.build(value, **params(0)),
                            **params(0))


# -- truncation ------------------------------------------------------------------


@pytest.mark.parametrize("schema,post_header_len,body", [
    (GtidEvent, 42, GTID_57[:30]),                   # logical clock cut short
    (GtidEvent, 25, GTID_57[:20]),                   # gno cut short
    (GtidEvent, 42, GTID_57 + bytes(5)),             # commit timestamp cut short
    (GtidTaggedEvent, 0, GTID_TAGGED[:-1]),          # message shorter than its size
    (GtidTaggedEvent, 0, GTID_TAGGED[:2]),
    (PreviousGtidsEvent, 0, bytes.fromhex("0100000000000000") + bytes(20)),  # sid cut short
    (PreviousGtidsEvent, 0, bytes(5)),               # n_sids cut short
])
def test_truncated_body_raises(schema, post_header_len, body):
    with pytest.raises(ConstructError):
        schema.parse(body, **params(post_header_len))
