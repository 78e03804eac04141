"""Vendor event schemas (Aurora, PolarDB-X, TDSQL): vectors and round-trip properties."""

from __future__ import annotations

import uuid

import pytest
from construct import ConstructError
from hypothesis import given
from hypothesis import strategies as st

from spec.binlog.vendors import aurora, polardbx, tdsql
from tests.spec.roundtrip import MYSQL80, assert_bytes_round_trip, context_for, h

params = context_for(MYSQL80)
u32 = st.integers(0, 2**32 - 1)
u64 = st.integers(0, 2**64 - 1)


def test_consensus_log_event_vector():
    body = h("""
        01000000          # flag 1
        0500000000000000  # term 5
        2a00000000000000  # index 42
        1000000000000000  # length 16
        0000000000000000  # reserve 0
    """)
    event = polardbx.ConsensusLogEvent.parse(body, **params(None))
    assert (event.flag, event.term, event.index, event.length) == (1, 5, 42, 16)
    assert polardbx.ConsensusLogEvent.build(event, **params(None)) == body


def test_gcn_event_vector_and_truncation():
    body = h("01 ffffffffffffff7f")  # flags 1, commit_gcn
    assert polardbx.GcnLogEvent.parse(body, **params(None)).commit_gcn == 2**63 - 1
    with pytest.raises(ConstructError):
        polardbx.GcnLogEvent.parse(body[:5], **params(None))


def test_cluster_info_length_is_computed():
    body = polardbx.ConsensusClusterInfoEvent.build({"info": b"1.2.3.4:1;5.6.7.8:2"},
                                                   **params(None))
    assert body[:4] == (19).to_bytes(4, "little")


@given(u32, u64, u64, u64, u64, st.binary(max_size=8))
def test_consensus_log_event_round_trips(flag, term, index, length, reserve, extra):
    value = {"flag": flag, "term": term, "index": index, "length": length,
             "reserve": reserve, "extra": extra}
    data = polardbx.ConsensusLogEvent.build(value, **params(None))
    assert polardbx.ConsensusLogEvent.parse(data, **params(None)) == value


@given(st.sampled_from([polardbx.PreviousConsensusIndexLogEvent, polardbx.GcnLogEvent,
                        polardbx.ConsensusClusterInfoEvent, polardbx.ConsensusEmptyEvent,
                        aurora.AuroraEvent, tdsql.TdsqlGtidEvent]),
       st.binary(max_size=48))
def test_vendor_bodies_round_trip_or_raise(schema, body):
    try:
        schema.parse(body, **params(None))
    except ConstructError:
        return
    assert_bytes_round_trip(schema, body, **params(None))


@given(st.integers(0, 255), st.uuids(), u64, st.binary(max_size=16))
def test_tdsql_gtid_event_round_trips(flags, sid, gno, extra):
    value = {"flags": flags, "sid": sid, "gno": gno, "extra": extra}
    data = tdsql.TdsqlGtidEvent.build(value)
    parsed = tdsql.TdsqlGtidEvent.parse(data)
    assert parsed == value and isinstance(parsed.sid, uuid.UUID)
