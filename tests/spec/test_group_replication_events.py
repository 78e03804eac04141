"""Group Replication event schemas: annotated byte vectors, round-trip properties,
truncation."""

from __future__ import annotations

import pytest
from construct import ConstructError
from hypothesis import given
from hypothesis import strategies as st

from spec.binlog.events.group_replication import TransactionContextEvent, ViewChangeEvent
from tests.spec.roundtrip import assert_bytes_round_trip, assert_value_round_trips, context_for

P = {"binlog_version": 4, "header_len": 19, "server_version": "8.0.40"}
params = context_for(P)


# -- strategies ------------------------------------------------------------------

u32 = st.integers(0, 2**32 - 1)
raw = st.binary(max_size=24)
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@st.composite
def transaction_context_events(draw):
    server_uuid = draw(st.uuids().map(str))
    snapshot = draw(raw)
    write_set = draw(st.lists(st.binary(max_size=12), max_size=4))
    read_set = draw(st.lists(st.binary(max_size=12), max_size=2))
    return {
        "server_uuid_len": len(server_uuid), "thread_id": draw(u32),
        "gtid_specified": draw(st.integers(0, 1)),
        "encoded_snapshot_version_length": len(snapshot),
        "num_write_set_items": len(write_set), "num_read_set_items": len(read_set),
        "post_header_extra": b"", "server_uuid": server_uuid,
        "encoded_snapshot_version": snapshot, "write_set": write_set, "read_set": read_set,
        "extra": draw(raw),
    }


@st.composite
def view_change_events(draw):
    # A view id with no trailing NUL (those are padding); inner NULs are kept.
    view_id = draw(st.text(alphabet="0123456789:ab\0é", max_size=20).filter(
        lambda s: not s.endswith("\0")))
    entries = draw(st.lists(st.fixed_dictionaries({"key": texts, "value": raw}), max_size=4))
    return {
        "view_id": view_id, "seq_number": draw(st.integers(0, 2**64 - 1)),
        "num_cert_info": len(entries), "post_header_extra": b"",
        "certification_info": entries, "extra": draw(raw),
    }


# -- annotated vectors -----------------------------------------------------------

UUID_TEXT = "8a94f357-aab4-11df-86ab-c80aa9429562"

TRANSACTION_CONTEXT = bytes.fromhex(
    # post-header (18 bytes)
    "24"        # server_uuid_len = 36
    "0b000000"  # thread_id = 11
    "01"        # gtid_specified = true
    "03000000"  # encoded_snapshot_version_length = 3
    "02000000"  # write set: 2 items
    "00000000"  # read set: none
) + UUID_TEXT.encode() + bytes.fromhex(  # server_uuid
    "aabbcc"               # encoded_snapshot_version
    "0800" "1122334455667788"  # write-set item: 2-byte length 8, a row hash
    "0200" "9999"              # write-set item: length 2
)


def test_transaction_context_event_fields():
    value = TransactionContextEvent.parse(TRANSACTION_CONTEXT, **params(18))
    assert (value.server_uuid, value.thread_id, value.gtid_specified) == (UUID_TEXT, 11, 1)
    assert value.encoded_snapshot_version == b"\xaa\xbb\xcc"
    assert value.write_set == [bytes.fromhex("1122334455667788"), b"\x99\x99"]
    assert value.read_set == []
    assert TransactionContextEvent.build(value, **params(18)) == TRANSACTION_CONTEXT
    rebuilt = {**value, "server_uuid_len": None, "encoded_snapshot_version_length": None,
               "num_write_set_items": None, "num_read_set_items": None}
    assert TransactionContextEvent.build(rebuilt, **params(18)) == TRANSACTION_CONTEXT


VIEW_ID = "15905034453440376:1"

VIEW_CHANGE = (
    VIEW_ID.encode().ljust(40, b"\0")  # view_id: char[40], NUL-padded
    + bytes.fromhex(
        "0700000000000000"  # seq_number = 7
        "01000000"          # certification info: 1 entry
        # body
        "0300" "6b6579"      # key: 2-byte length 3, "key"
        "02000000" "7631"    # value: 4-byte length 2, "v1"
    )
)


def test_view_change_event_fields():
    value = ViewChangeEvent.parse(VIEW_CHANGE, **params(52))
    assert (value.view_id, value.seq_number, value.num_cert_info) == (VIEW_ID, 7, 1)
    assert value.certification_info == [{"key": "key", "value": b"v1"}]
    assert ViewChangeEvent.build(value, **params(52)) == VIEW_CHANGE


def test_view_change_event_keeps_bytes_after_view_id_nul():
    body = bytearray(VIEW_CHANGE)
    body[25] = 0x41  # garbage after the terminator, before the padding
    value = ViewChangeEvent.parse(bytes(body), **params(52))
    assert ViewChangeEvent.build(value, **params(52)) == bytes(body)


# -- properties ------------------------------------------------------------------


@given(transaction_context_events())
def test_transaction_context_event_value_round_trips(value):
    assert_value_round_trips(TransactionContextEvent, value, **params(18))


@given(transaction_context_events())
def test_transaction_context_event_bytes_round_trip(value):
    body = TransactionContextEvent.build(value, **params(18))
    assert_bytes_round_trip(TransactionContextEvent, body, **params(18))


@given(view_change_events())
def test_view_change_event_value_round_trips(value):
    assert_value_round_trips(ViewChangeEvent, value, **params(52))


@given(st.binary(min_size=40, max_size=40), st.integers(0, 2**64 - 1), raw)
def test_view_change_event_bytes_round_trip(view_id, seq_number, extra):
    # any 40 bytes of view id (text or not, padded or not) come back as they were
    body = view_id + seq_number.to_bytes(8, "little") + bytes(4) + extra
    assert_bytes_round_trip(ViewChangeEvent, body, **params(52))


@given(st.binary(min_size=18, max_size=30))
def test_post_header_surplus_is_kept(surplus_and_more):
    # A newer server's longer post-header: TRANSACTION_CONTEXT with all-zero counts.
    body = bytes(18) + surplus_and_more
    value = TransactionContextEvent.parse(body, **params(18 + len(surplus_and_more)))
    assert value.post_header_extra == surplus_and_more
    assert TransactionContextEvent.build(value, **params(18 + len(surplus_and_more))) == body


# -- truncation ------------------------------------------------------------------


@pytest.mark.parametrize("schema,post_header_len,body", [
    (TransactionContextEvent, 18, TRANSACTION_CONTEXT[:17]),   # post-header cut short
    (TransactionContextEvent, 18, TRANSACTION_CONTEXT[:40]),   # server_uuid cut short
    (TransactionContextEvent, 18, TRANSACTION_CONTEXT[:-1]),   # last write-set item short
    (ViewChangeEvent, 52, VIEW_CHANGE[:45]),                   # seq_number cut short
    (ViewChangeEvent, 52, VIEW_CHANGE[:-1]),                   # value cut short
])
def test_truncated_body_raises(schema, post_header_len, body):
    with pytest.raises(ConstructError):
        schema.parse(body, **params(post_header_len))
