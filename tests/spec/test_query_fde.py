"""QUERY_EVENT, FORMAT_DESCRIPTION_EVENT and START_EVENT_V3: vectors and properties."""

from __future__ import annotations

import pytest
from construct import ConstructError
from hypothesis import given
from hypothesis import strategies as st

from spec.binlog.events.fde import (
    FormatDescriptionEvent,
    StartEventV3,
    has_checksum_alg,
    version_split,
)
from spec.binlog.events.query import (
    Q_CHARSET_CODE,
    Q_FLAGS2_CODE,
    Q_GTID_FLAGS3,
    Q_UPDATED_DB_NAMES,
    QueryEvent,
)
from tests.spec.roundtrip import MYSQL80, context_for

params = context_for(MYSQL80)


# -- QUERY_EVENT ---------------------------------------------------------------------

# A "BEGIN" from zalora__binlog-parser/fixtures/mysql-bin.01 (5.6.35), annotated.
QUERY_BEGIN = bytes.fromhex(
    "01000000"  # thread_id 1
    "00000000"  # exec_time 0
    "07"  # db_len 7
    "0000"  # error_code 0
    "1a00"  # status_vars_len 26
    "0000000000"  # Q_FLAGS2_CODE flags2=0
    "01 0000104000000000"  # Q_SQL_MODE_CODE sql_mode=0x40100000
    "06 03 737464"  # Q_CATALOG_NZ_CODE "std"
    "04 2100 2100 2100"  # Q_CHARSET_CODE 33/33/33
    "74 6573745f6462 00"  # db "test_db" + NUL  (first byte of db is 't')
    "424547494e"  # query "BEGIN"
)


def test_query_event_vector_decodes_field_by_field():
    body = bytes.fromhex(
        "01000000" "00000000" "07" "0000" "1a00"
        "00 00000000" "01 0000104000000000" "06 03 737464" "04 2100 2100 2100"
        "746573745f6462 00" "424547494e"
    )
    event = QueryEvent.parse(body, **params(13))
    assert (event.thread_id, event.exec_time, event.db_len, event.error_code) == (1, 0, 7, 0)
    assert event.status_vars_len == 26
    assert [v.code for v in event.status_vars] == [0, 1, 6, 4]
    assert event.status_vars[0].name == "Q_FLAGS2_CODE"
    assert event.status_vars[2].value.value == "std"
    assert event.status_vars[3].value.collation_server == 33
    assert (event.db, event.query) == ("test_db", "BEGIN")
    assert QueryEvent.build(event, **params(13)) == body


def test_query_event_keeps_unknown_status_var():
    # code 200 is unknown: it and everything after it in the block stay raw
    block = bytes.fromhex("00 00000000" "c8 0102030405")
    body = (bytes.fromhex("00000000 00000000 00 0000") + len(block).to_bytes(2, "little")
            + block + b"\0" + b"SELECT 1")
    event = QueryEvent.parse(body, **params(13))
    assert event.status_vars[-1].code == 200
    assert event.status_vars[-1].value == bytes.fromhex("0102030405")
    assert event.status_vars[-1].name == "UNKNOWN_200"
    assert QueryEvent.build(event, **params(13)) == body


def test_query_event_mariadb_gtid_flags3_with_alter_sequence():
    block = bytes.fromhex("82 04 0700000000000000")  # FL_COMMIT_ALTER_E1 -> sa_seq_no 7
    body = (bytes(4) + bytes(4) + b"\0" + bytes(2) + len(block).to_bytes(2, "little")
            + block + b"\0" + b"ALTER TABLE t ADD c INT")
    event = QueryEvent.parse(body, **params(13))
    assert event.status_vars[0].code == Q_GTID_FLAGS3
    assert event.status_vars[0].value.sa_seq_no == 7
    assert QueryEvent.build(event, **params(13)) == body


def test_query_event_mariadb_start_alter_has_no_sequence_number():
    # MariaDB 10.11/11.8 with binlog_alter_two_phase=ON: START ALTER (flags3 0x02)
    # ends the block with Q_GTID_FLAGS3 and nothing after it.
    block = bytes.fromhex("00 00000000" "82 02")
    body = (bytes(4) + bytes(4) + b"\x04" + bytes(2) + len(block).to_bytes(2, "little")
            + block + b"test\0" + b"ALTER TABLE t ADD b INT")
    event = QueryEvent.parse(body, **params(13))
    assert event.status_vars[-1].value == {"flags3": 2, "sa_seq_no": None}
    assert QueryEvent.build(event, **params(13)) == body


def test_query_event_keeps_a_malformed_known_status_var_raw():
    block = bytes.fromhex("00 00000000" "04 2d00")  # Q_CHARSET_CODE cut to 2 of 6 bytes
    body = (bytes(4) + bytes(4) + b"\0" + bytes(2) + len(block).to_bytes(2, "little")
            + block + b"\0" + b"SELECT 1")
    event = QueryEvent.parse(body, **params(13))
    assert (event.status_vars[-1].code, event.status_vars[-1].value) == (4, b"\x2d\x00")
    assert QueryEvent.build(event, **params(13)) == body


def test_query_event_keeps_longer_post_header_raw():
    body = bytes(4) + bytes(4) + b"\0" + bytes(2) + b"\0\0" + b"\xaa\xbb" + b"\0" + b"X"
    event = QueryEvent.parse(body, **params(15))
    assert event.post_header_extra == b"\xaa\xbb"
    assert QueryEvent.build(event, **params(15)) == body


def test_query_event_v1_has_no_status_vars():
    body = bytes(4) + bytes(4) + b"\x02" + bytes(2) + b"db\0" + b"INSERT"
    event = QueryEvent.parse(body, **params(11, binlog_version=1))
    assert event.status_vars_len is None and event.db == "db" and event.query == "INSERT"
    assert QueryEvent.build(event, **params(11, binlog_version=1)) == body


def test_query_event_non_utf8_text_stays_bytes():
    body = bytes(4) + bytes(4) + b"\0" + bytes(2) + b"\0\0" + b"\0" + b"SELECT '\xe9'"
    event = QueryEvent.parse(body, **params(13))
    assert event.query == b"SELECT '\xe9'"
    assert QueryEvent.build(event, **params(13)) == body


def test_query_event_truncated_status_block_raises():
    body = bytes(4) + bytes(4) + b"\0" + bytes(2) + b"\x10\x00" + b"\x00\x01"
    with pytest.raises(ConstructError):
        QueryEvent.parse(body, **params(13))


def test_query_event_lengths_are_computed_when_left_out():
    value = {"thread_id": 5, "exec_time": 0, "error_code": 0, "db": "d",
             "status_vars": [{"code": Q_CHARSET_CODE, "value": {
                 "character_set_client": 255, "collation_connection": 255,
                 "collation_server": 255}}], "query": "COMMIT"}
    body = QueryEvent.build(value, **params(13))
    event = QueryEvent.parse(body, **params(13))
    assert event.db_len == 1 and event.status_vars_len == 7


identifiers = st.text(st.characters(min_codepoint=33, max_codepoint=0x2FF), max_size=20)
status_var = st.one_of(
    st.builds(lambda v: {"code": Q_FLAGS2_CODE, "value": v}, st.integers(0, 2**32 - 1)),
    st.builds(lambda v: {"code": 1, "value": v}, st.integers(0, 2**64 - 1)),
    st.builds(lambda a, b, c: {"code": Q_CHARSET_CODE, "value": {
        "character_set_client": a, "collation_connection": b, "collation_server": c}},
        st.integers(0, 65535), st.integers(0, 65535), st.integers(0, 65535)),
    st.builds(lambda n: {"code": Q_UPDATED_DB_NAMES, "value": {"count": None, "names": n}},
              st.lists(identifiers.filter(lambda s: "\0" not in s), max_size=3)),
    st.builds(lambda v: {"code": 5, "value": {"length": None, "value": v}},
              st.text(max_size=20).filter(lambda s: len(s.encode()) < 256)),
)


@st.composite
def query_events(draw):
    return {
        "thread_id": draw(st.integers(0, 2**32 - 1)),
        "exec_time": draw(st.integers(0, 2**32 - 1)),
        "error_code": draw(st.integers(0, 65535)),
        "status_vars": draw(st.lists(status_var, max_size=4)),
        "db": draw(identifiers.filter(lambda s: len(s.encode()) < 256)),
        "query": draw(st.text(max_size=60)),
    }


@given(query_events())
def test_query_event_value_round_trips(value):
    data = QueryEvent.build(value, **params(13))
    parsed = QueryEvent.parse(data, **params(13))
    assert QueryEvent.build(parsed, **params(13)) == data
    assert parsed.query == value["query"] and parsed.db == value["db"]
    assert [v.code for v in parsed.status_vars] == [v["code"] for v in value["status_vars"]]


@given(st.binary(max_size=64))
def test_query_event_bytes_round_trip_or_raise(body):
    try:
        value = QueryEvent.parse(body, **params(13))
    except ConstructError:
        return
    assert QueryEvent.build(value, **params(13)) == body


# -- FORMAT_DESCRIPTION_EVENT / START_EVENT_V3 ------------------------------------------


def test_checksum_awareness_follows_the_server_version():
    assert version_split("5.6.35-log") == (5, 6, 35)
    assert has_checksum_alg("5.6.1") and not has_checksum_alg("5.6.0")
    assert has_checksum_alg("5.5.30-MariaDB-log") and not has_checksum_alg("5.2.10-MariaDB")
    assert not has_checksum_alg("5.5.62-log") and has_checksum_alg("9.7.4")


def test_fde_vector_5_6():
    body = (bytes.fromhex("0400")  # binlog_version 4
            + b"5.6.35-log".ljust(50, b"\0")  # server_version
            + bytes.fromhex("ac2df758")  # create_timestamp
            + b"\x13"  # header_length 19
            + bytes([56, 13, 0, 8, 0, 18, 0, 4, 4, 4, 4, 18, 0, 0, 92, 0, 4, 26, 8, 0, 0, 0,
                     8, 8, 8, 2, 0, 0, 0, 10, 10, 10, 25, 25, 0])  # post_header_lengths
            + b"\x01")  # checksum_alg CRC32
    fde = FormatDescriptionEvent.parse(body)
    assert fde.server_version == "5.6.35-log" and fde.header_length == 19
    assert fde.post_header_lengths[1] == 13 and fde.checksum_alg == 1
    assert FormatDescriptionEvent.build(fde) == body


def test_fde_pre_checksum_server_has_no_alg_byte():
    body = bytes.fromhex("0400") + b"5.1.73-log".ljust(50, b"\0") + bytes(4) + b"\x13" + bytes(27)
    fde = FormatDescriptionEvent.parse(body)
    assert fde.checksum_alg is None and len(fde.post_header_lengths) == 27
    assert FormatDescriptionEvent.build(fde) == body


def test_fde_server_version_garbage_after_nul_is_kept():
    version = b"8.0.1\0garbage".ljust(50, b"\0")
    body = b"\x04\x00" + version + bytes(4) + b"\x13" + bytes(40) + b"\x00"
    fde = FormatDescriptionEvent.parse(body)
    assert fde.server_version == version
    assert FormatDescriptionEvent.build(fde) == body


versions = st.sampled_from(["5.0.96-log", "5.6.51", "8.0.40", "9.7.4", "10.11.6-MariaDB-log",
                            "11.8.2-MariaDB", "4.0.27"])


@given(versions, st.lists(st.integers(0, 255), max_size=200), st.integers(0, 255),
       st.integers(0, 2**32 - 1))
def test_fde_value_round_trips(version, table, alg, created):
    value = {"binlog_version": 4, "server_version": version, "create_timestamp": created,
             "header_length": 19, "post_header_lengths": table,
             "checksum_alg": alg if has_checksum_alg(version) else None}
    data = FormatDescriptionEvent.build(value)
    parsed = FormatDescriptionEvent.parse(data)
    assert parsed.post_header_lengths == table and parsed.checksum_alg == value["checksum_alg"]
    assert FormatDescriptionEvent.build(parsed) == data


@given(st.integers(0, 65535), versions, st.integers(0, 2**32 - 1), st.binary(max_size=8))
def test_start_event_v3_round_trips(binlog_version, version, created, extra):
    value = {"binlog_version": binlog_version, "server_version": version,
             "create_timestamp": created, "extra": extra}
    data = StartEventV3.build(value)
    assert len(data) == 56 + len(extra)
    assert StartEventV3.build(StartEventV3.parse(data)) == data
