"""Control event schemas: annotated byte vectors, round-trip properties, truncation."""

from __future__ import annotations

import pytest
from construct import ConstructError
from hypothesis import given
from hypothesis import strategies as st

from spec.binlog.events.control import (
    HEARTBEAT_V2_FIELD_NAMES,
    OTW_HB_HEADER_END_MARK,
    OTW_HB_LOG_FILENAME_FIELD,
    OTW_HB_LOG_POSITION_FIELD,
    HeartbeatEvent,
    HeartbeatEventV2,
    IgnorableEvent,
    IncidentEvent,
    IntvarEvent,
    RandEvent,
    RotateEvent,
    RowsQueryEvent,
    SlaveEvent,
    StopEvent,
    UserVarEvent,
    XaPrepareEvent,
    XidEvent,
)
from spec.wire import LenencInt
from tests.spec.roundtrip import assert_bytes_round_trip, assert_value_round_trips, context_for

P = {"binlog_version": 4, "header_len": 19, "server_version": "8.0.40"}
"""Context parameters of a MySQL 8.0 binlog; ``post_header_len`` is added per test."""
params = context_for(P)


# -- strategies ------------------------------------------------------------------

texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
names = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"),
                max_size=30)
u8 = st.integers(0, 2**8 - 1)
u16 = st.integers(0, 2**16 - 1)
u32 = st.integers(0, 2**32 - 1)
u64 = st.integers(0, 2**64 - 1)
raw = st.binary(max_size=24)


def encoded(text) -> int:
    return len(text.encode("utf-8"))


@st.composite
def rotate_events(draw):
    post_header_len = draw(st.sampled_from([0, 8, 10]))
    value = {
        "position": draw(u64) if post_header_len >= 8 else None,
        "post_header_extra": draw(st.binary(min_size=max(post_header_len - 8, 0),
                                            max_size=max(post_header_len - 8, 0)))
        if post_header_len >= 8 else b"",
        "new_log_ident": draw(texts),
    }
    return post_header_len, value


def fixed_events():
    """(schema, strategy of values) for the events of fixed fields plus ``extra``."""
    return [
        (StopEvent, st.fixed_dictionaries({"post_header_extra": st.just(b""), "extra": raw})),
        (IntvarEvent, st.fixed_dictionaries(
            {"post_header_extra": st.just(b""), "type": u8, "value": u64, "extra": raw})),
        (RandEvent, st.fixed_dictionaries(
            {"post_header_extra": st.just(b""), "seed1": u64, "seed2": u64, "extra": raw})),
        (XidEvent, st.fixed_dictionaries({"post_header_extra": st.just(b""), "xid": u64,
                                          "extra": raw})),
        (SlaveEvent, st.fixed_dictionaries(
            {"post_header_extra": st.just(b""), "master_pos": u64, "master_port": u16,
             "master_host": names, "master_log": texts})),
        (HeartbeatEvent, st.fixed_dictionaries({"post_header_extra": st.just(b""),
                                                "log_ident": texts})),
        (IgnorableEvent, st.fixed_dictionaries({"post_header_extra": st.just(b""), "data": raw})),
    ]


@st.composite
def user_var_events(draw):
    name = draw(texts.filter(bool))
    value = {"post_header_extra": b"", "name_len": encoded(name), "name": name}
    if draw(st.booleans()):
        value.update(is_null=draw(st.integers(1, 255)), type=None, charset=None,
                     value_len=None, value=None, flags=None, extra=b"")
    else:
        val = draw(st.binary(max_size=20))
        flags = draw(st.none() | u8)
        value.update(is_null=0, type=draw(st.integers(0, 4)), charset=draw(u32),
                     value_len=len(val), value=val, flags=flags,
                     extra=draw(raw) if flags is not None else b"")
    return value


@st.composite
def incident_events(draw):
    message = draw(st.text(alphabet="abcdefgh é", max_size=80))
    return {"incident": draw(u16), "post_header_extra": b"", "message_length": encoded(message),
            "message": message, "extra": draw(raw)}


@st.composite
def rows_query_events(draw):
    query = draw(st.text(alphabet="SELECT *FROMWHERE=1;é\n", max_size=600))
    return {"post_header_extra": b"", "length": encoded(query) & 0xFF, "query": query}


@st.composite
def heartbeat_v2_fields(draw):
    kind = draw(st.sampled_from([OTW_HB_LOG_FILENAME_FIELD, OTW_HB_LOG_POSITION_FIELD, 99]))
    if kind == OTW_HB_LOG_FILENAME_FIELD:
        value = draw(texts)
        length = encoded(value)
    elif kind == OTW_HB_LOG_POSITION_FIELD:
        value = draw(u64)
        length = len(LenencInt.build(value))
    else:
        value = draw(raw)
        length = len(value)
    return {"type": kind, "name": HEARTBEAT_V2_FIELD_NAMES.get(kind, f"UNKNOWN_{kind}"),
            "length": length, "value": value}


END_MARK = {"type": OTW_HB_HEADER_END_MARK, "name": "OTW_HB_HEADER_END_MARK", "length": None,
            "value": None}


@st.composite
def heartbeat_v2_events(draw):
    fields = draw(st.lists(heartbeat_v2_fields(), max_size=4))
    if draw(st.booleans()):
        return {"post_header_extra": b"", "fields": [*fields, END_MARK], "extra": draw(raw)}
    # Without the end mark the fields run to the end of the body.
    return {"post_header_extra": b"", "fields": fields or None, "extra": b""}


@st.composite
def xa_prepare_events(draw):
    gtrid = draw(st.binary(max_size=64))
    bqual = draw(st.binary(max_size=64))
    return {"post_header_extra": b"", "one_phase": draw(st.integers(0, 1)), "format_id": draw(u32),
            "gtrid_length": len(gtrid), "bqual_length": len(bqual), "gtrid": gtrid,
            "bqual": bqual, "extra": draw(raw)}


# -- annotated vectors -----------------------------------------------------------


def test_rotate_event_v4_reads_position_and_name():
    # Fanduzi__BinlogVisualizer/minimal.binlog (MySQL 5.7.44), body without the CRC
    body = bytes.fromhex(
        "0400000000000000"            # position = 4 (int<8>)
        "6d7973716c2d62696e2e303030303034"  # new_log_ident "mysql-bin.000004", no NUL
    )
    value = RotateEvent.parse(body, **params(8))
    assert value.position == 4
    assert value.new_log_ident == "mysql-bin.000004"
    assert RotateEvent.build(value, **params(8)) == body


def test_rotate_event_binlog_v1_has_no_position():
    # Binlog v1 (3.23): ROTATE's post-header length is 0, the body is the name only.
    body = b"master-bin.002"
    value = RotateEvent.parse(body, **params(0, binlog_version=1, header_len=13))
    assert value.position is None
    assert value.new_log_ident == "master-bin.002"
    assert RotateEvent.build(value, **params(0, binlog_version=1, header_len=13)) == body


def test_rotate_event_without_fde_assumes_v4_layout():
    # The artificial ROTATE a primary sends first comes before any FDE.
    body = bytes.fromhex("0400000000000000") + b"binlog.000005"
    assert RotateEvent.parse(body, **params(None)).position == 4


def test_stop_event_is_empty():
    assert StopEvent.parse(b"", **params(0)) == {"post_header_extra": b"", "extra": b""}
    assert StopEvent.build({"post_header_extra": b"", "extra": b""}, **params(0)) == b""


def test_intvar_event_fields():
    # SponsorPay__mysql-replication-listener/searchbin.000001
    body = bytes.fromhex(
        "02"                # type = INSERT_ID_EVENT
        "0100000000000000"  # value = 1
    )
    value = IntvarEvent.parse(body, **params(0))
    assert (value.type, value.value, value.extra) == (2, 1, b"")


def test_rand_event_fields():
    # blackbeam__rust_mysql_common/ver_trunk_row_v2.001
    body = bytes.fromhex(
        "26da930500000000"  # seed1 = 93575718
        "c6ff3c3300000000"  # seed2 = 859635654
    )
    value = RandEvent.parse(body, **params(0))
    assert (value.seed1, value.seed2) == (93575718, 859635654)


def test_user_var_event_with_flags_byte():
    # blackbeam__rust_mysql_common/ver_trunk_row_v2.001 (MySQL 5.6.4): SET @x := 4
    body = bytes.fromhex(
        "01000000"          # name_len = 1
        "78"                # name "x"
        "00"                # is_null = 0
        "02"                # type = INT_RESULT
        "21000000"          # charset = 33 (utf8_general_ci)
        "08000000"          # value_len = 8
        "0400000000000000"  # value: 4, int<8>
        "00"                # flags = UNDEF_F (added in 5.1)
    )
    value = UserVarEvent.parse(body, **params(0))
    assert (value.name, value.type, value.charset, value.flags) == ("x", 2, 33, 0)
    assert value.value == (4).to_bytes(8, "little")
    assert UserVarEvent.build(value, **params(0)) == body


def test_user_var_event_without_flags_byte_from_old_server():
    # blackbeam__rust_mysql_common/ver_5_1-wl2325_s.001 (a 5.2 development tree)
    body = bytes.fromhex(
        "01000000" "78"     # name_len = 1, "x"
        "00" "02"           # not NULL, INT_RESULT
        "3f000000"          # charset = 63 (binary)
        "08000000"          # value_len = 8
        "0400000000000000"  # value; no flags byte follows
    )
    value = UserVarEvent.parse(body, **params(0))
    assert value.flags is None
    assert UserVarEvent.build(value, **params(0)) == body


def test_user_var_event_null_value_has_no_type():
    # blackbeam__rust_mysql_common/bug11747887-bin.000003: SET @`2` := NULL
    body = bytes.fromhex(
        "01000000" "32"  # name_len = 1, "2"
        "01"             # is_null = 1: nothing follows
    )
    value = UserVarEvent.parse(body, **params(0))
    assert value.is_null == 1
    assert value.type is value.value is value.flags is None
    assert UserVarEvent.build(value, **params(0)) == body


def test_user_var_event_mariadb_string_has_no_flags_byte():
    # MariaDB writes the flags byte for INT_RESULT only (User_var_log_event::write);
    # example from the MariaDB protocol documentation, SET @foo := "bar"
    body = bytes.fromhex(
        "03000000" "666f6f"  # name_len = 3, "foo"
        "00" "00"            # not NULL, STRING_RESULT
        "21000000"           # charset 33
        "03000000" "626172"  # value_len = 3, "bar"
    )
    value = UserVarEvent.parse(body, **params(0))
    assert (value.name, value.value, value.flags) == ("foo", b"bar", None)
    assert UserVarEvent.build(value, **params(0)) == body


def test_xid_event_keeps_post_header_and_trailing_bytes():
    # blackbeam__rust_mysql_common/ver_5_1-wl2325_r.001: a 5.2 development tree whose
    # FDE gives code 16 a 6-byte post-header (its code 16 carries a table map).
    body = bytes.fromhex(
        "000000000000"      # post-header, 6 bytes by the FDE: kept in post_header_extra
        "0474657374000274"  # read as the xid
        "31000203fe"        # the rest, kept in extra
    )
    value = XidEvent.parse(body, **params(6))
    assert value.post_header_extra == bytes(6)
    assert value.extra == bytes.fromhex("31000203fe")
    assert XidEvent.build(value, **params(6)) == body


def test_xid_event_fields():
    body = bytes.fromhex("0600000000000000")  # xid = 6
    assert XidEvent.parse(body, **params(0)).xid == 6


def test_incident_event_fields():
    body = bytes.fromhex(
        "0100"        # incident = INCIDENT_LOST_EVENTS (post-header, 2 bytes)
        "04"          # message_length
        "6c6f7374"    # message "lost"
    )
    value = IncidentEvent.parse(body, **params(2))
    assert (value.incident, value.message) == (1, "lost")
    assert IncidentEvent.build({**value, "message_length": None}, **params(2)) == body


def test_incident_event_invalid_number_still_round_trips():
    # blackbeam__rust_mysql_common/bug40482-bin.000001 (bug #40482: a bad incident)
    body = bytes.fromhex("4200" "00")  # incident = 66, empty message
    assert_bytes_round_trip(IncidentEvent, body, **params(2))


def test_heartbeat_event_is_the_log_name():
    assert HeartbeatEvent.parse(b"binlog.000001", **params(0)).log_ident == "binlog.000001"


def test_ignorable_event_keeps_its_bytes():
    assert IgnorableEvent.parse(b"\x01\x02", **params(0)).data == b"\x01\x02"


def test_rows_query_event_ignores_length_byte():
    # avaitla__mysqlbinlog2parquet/01-basic-crud.binlog
    query = "UPDATE items SET qty = 11 WHERE sku = 'sku-0001'"
    body = bytes((0x30,)) + query.encode()  # length = 48, then the statement
    value = RowsQueryEvent.parse(body, **params(0))
    assert (value.length, value.query) == (48, query)


def test_rows_query_event_length_byte_wraps_past_255():
    # write_str_at_most_255_bytes casts the length to one byte.
    query = "x" * 300
    built = RowsQueryEvent.build({"post_header_extra": b"", "length": None, "query": query},
                                 **params(0))
    assert built[0] == 300 - 256
    assert RowsQueryEvent.parse(built, **params(0)).query == query


def test_heartbeat_v2_tlv_fields():
    # Heartbeat::encode (codecs/binary.cpp): file name, position, end mark
    body = bytes.fromhex(
        "01" "0d" "62696e6c6f672e303030303431"  # OTW_HB_LOG_FILENAME_FIELD, 13, "binlog.000041"
        "02" "04" "fd15cd5b"  # OTW_HB_LOG_POSITION_FIELD, 4 bytes: int<lenenc> 0x5bcd15
        "00"                  # OTW_HB_HEADER_END_MARK
    )
    value = HeartbeatEventV2.parse(body, **params(0))
    assert [f.name for f in value.fields] == [
        "OTW_HB_LOG_FILENAME_FIELD", "OTW_HB_LOG_POSITION_FIELD", "OTW_HB_HEADER_END_MARK"]
    assert value.fields[0].value == "binlog.000041"
    assert value.fields[1].value == 0x5BCD15
    assert HeartbeatEventV2.build(value, **params(0)) == body


def test_heartbeat_v2_keeps_unknown_field():
    body = bytes.fromhex("07" "02" "abcd" "00")  # type 7, length 2, raw value, end mark
    value = HeartbeatEventV2.parse(body, **params(0))
    assert (value.fields[0].name, value.fields[0].value) == ("UNKNOWN_7", b"\xab\xcd")
    assert HeartbeatEventV2.build(value, **params(0)) == body


def test_xa_prepare_event_fields():
    body = bytes.fromhex(
        "00"        # one_phase = false
        "01000000"  # format_id = 1
        "02000000"  # gtrid_length = 2
        "01000000"  # bqual_length = 1
        "6774"      # gtrid "gt"
        "62"        # bqual "b"
    )
    value = XaPrepareEvent.parse(body, **params(0))
    assert (value.format_id, value.gtrid, value.bqual) == (1, b"gt", b"b")
    assert XaPrepareEvent.build(value, **params(0)) == body


def test_slave_event_fields():
    body = (bytes.fromhex("0401000000000000" "ea0c")  # master_pos = 260, master_port = 3306
            + b"db1\0"                                # master_host, NUL-terminated
            + b"master-bin.001")                      # master_log, to the end
    value = SlaveEvent.parse(body, **params(0))
    assert (value.master_pos, value.master_port) == (260, 3306)
    assert (value.master_host, value.master_log) == ("db1", "master-bin.001")
    assert SlaveEvent.build(value, **params(0)) == body


# -- properties ------------------------------------------------------------------


@given(rotate_events())
def test_rotate_event_value_round_trips(case):
    post_header_len, value = case
    assert_value_round_trips(RotateEvent, value, **params(post_header_len))


@given(st.binary(min_size=8, max_size=40))
def test_rotate_event_bytes_round_trip(body):
    assert_bytes_round_trip(RotateEvent, body, **params(8))


@pytest.mark.parametrize("schema,values", fixed_events(),
                         ids=["stop", "intvar", "rand", "xid", "slave", "heartbeat", "ignorable"])
@given(data=st.data())
def test_fixed_event_value_round_trips(schema, values, data):
    assert_value_round_trips(schema, data.draw(values), **params(0))


@pytest.mark.parametrize("schema", [StopEvent, IntvarEvent, RandEvent, XidEvent, HeartbeatEvent,
                                    IgnorableEvent, RowsQueryEvent])
@given(body=st.binary(min_size=17, max_size=60))
def test_fixed_event_bytes_round_trip(schema, body):
    assert_bytes_round_trip(schema, body, **params(0))


@given(user_var_events())
def test_user_var_event_value_round_trips(value):
    assert_value_round_trips(UserVarEvent, value, **params(0))


@given(user_var_events(), st.binary(max_size=8))
def test_user_var_event_bytes_round_trip(value, tail):
    body = UserVarEvent.build(value, **params(0)) + tail
    assert_bytes_round_trip(UserVarEvent, body, **params(0))


@given(incident_events())
def test_incident_event_value_round_trips(value):
    assert_value_round_trips(IncidentEvent, value, **params(2))


@given(st.binary(min_size=2, max_size=40))
def test_incident_event_bytes_round_trip(body):
    if len(body) < 3 or len(body) < 3 + body[2]:
        with pytest.raises(ConstructError):
            IncidentEvent.parse(body, **params(2))
        return
    assert_bytes_round_trip(IncidentEvent, body, **params(2))


@given(rows_query_events())
def test_rows_query_event_value_round_trips(value):
    assert_value_round_trips(RowsQueryEvent, value, **params(0))


@given(heartbeat_v2_events())
def test_heartbeat_v2_value_round_trips(value):
    assert_value_round_trips(HeartbeatEventV2, value, **params(0))


@given(heartbeat_v2_events())
def test_heartbeat_v2_bytes_round_trip(value):
    assert_bytes_round_trip(HeartbeatEventV2, HeartbeatEventV2.build(value, **params(0)),
                            **params(0))


@given(xa_prepare_events())
def test_xa_prepare_event_value_round_trips(value):
    assert_value_round_trips(XaPrepareEvent, value, **params(0))


@given(xa_prepare_events(), st.binary(max_size=8))
def test_xa_prepare_event_bytes_round_trip(value, tail):
    body = XaPrepareEvent.build(value, **params(0)) + tail
    assert_bytes_round_trip(XaPrepareEvent, body, **params(0))


@given(st.binary(min_size=8, max_size=30))
def test_any_post_header_surplus_is_kept(body):
    # A newer server's longer post-header: the surplus stays raw in post_header_extra.
    value = XidEvent.parse(body, **params(len(body) - 8))
    assert value.post_header_extra == body[:-8]
    assert XidEvent.build(value, **params(len(body) - 8)) == body


# -- truncation ------------------------------------------------------------------


@pytest.mark.parametrize("schema,post_header_len,body", [
    (RotateEvent, 8, bytes(7)),                          # position cut short
    (IntvarEvent, 0, bytes.fromhex("02010000")),         # value cut short
    (RandEvent, 0, bytes(15)),
    (XidEvent, 0, bytes(7)),
    (UserVarEvent, 0, bytes.fromhex("05000000" "7878")),  # name cut short
    (UserVarEvent, 0, bytes.fromhex("01000000" "78" "00" "02" "21000000" "08000000" "04")),
    (IncidentEvent, 2, bytes.fromhex("0100" "05" "6c6f")),  # message cut short
    (XaPrepareEvent, 0, bytes.fromhex("00" "01000000" "02000000" "01000000" "67")),
    (HeartbeatEventV2, 0, bytes.fromhex("01" "0d" "62696e")),  # TLV value cut short
    (SlaveEvent, 0, bytes(9)),
    (XidEvent, 12, bytes(10)),                           # shorter than the post-header
])
def test_truncated_body_raises(schema, post_header_len, body):
    with pytest.raises(ConstructError):
        schema.parse(body, **params(post_header_len))
