"""Command packets: annotated vectors and a round-trip property for every COM_*."""

from __future__ import annotations

import uuid

import pytest
from construct import ConstructError
from hypothesis import given
from hypothesis import strategies as st

from spec.gtid_set import GtidSetEncoding
from spec.protocol.commands import (
    COMMANDS,
    ComBinlogDump,
    ComBinlogDumpGtid,
    ComChangeUser,
    ComFieldList,
    ComInitDb,
    ComQuery,
    ComRegisterSlave,
    ComSetOption,
    ComStmtExecute,
    ComStmtFetch,
    ComStmtSendLongData,
    UnknownCommand,
    command_schema,
)
from spec.protocol.constants import BINLOG_DUMP_NON_BLOCK, BINLOG_THROUGH_GTID, Command, FieldType
from spec.protocol.constants import Capability as C
from tests.protocol.strategies import (
    assert_bytes_round_trip,
    assert_value_round_trips,
    lenenc,
    nul_bytes,
    nul_text,
    raw,
    short_text,
    text,
    u8,
    u16,
    u32,
    u64,
)

P41 = C.CLIENT_PROTOCOL_41 | C.CLIENT_SECURE_CONNECTION | C.CLIENT_PLUGIN_AUTH
QA = P41 | C.CLIENT_QUERY_ATTRIBUTES
SID = uuid.UUID("3e11fa47-71ca-11e1-9e33-c80aa9429562")


# -- simple commands --------------------------------------------------------------


def test_com_init_db():
    value = assert_bytes_round_trip(ComInitDb, bytes.fromhex("02") + b"test")
    assert value.schema_name == "test"


def test_com_field_list():
    value = assert_bytes_round_trip(ComFieldList, bytes.fromhex("04") + b"t1\x00" + b"a%")
    assert (value.table, value.wildcard) == ("t1", "a%")


def test_com_set_option():
    value = assert_bytes_round_trip(ComSetOption, bytes.fromhex("1b" "0100"))
    assert value.option_operation == 1  # MYSQL_OPTION_MULTI_STATEMENTS_OFF


def test_com_stmt_fetch_and_send_long_data():
    value = assert_bytes_round_trip(ComStmtFetch, bytes.fromhex("1c" "01000000" "0a000000"))
    assert (value.statement_id, value.num_rows) == (1, 10)
    value = assert_bytes_round_trip(ComStmtSendLongData,
                                    bytes.fromhex("18" "02000000" "0100") + b"chunk")
    assert (value.statement_id, value.param_id, value.data) == (2, 1, b"chunk")


def test_command_schema_dispatches_on_the_first_byte():
    assert command_schema(b"\x03select 1") is ComQuery
    assert command_schema(b"\x99") is UnknownCommand
    assert_bytes_round_trip(UnknownCommand, b"\x99abc")


# -- COM_QUERY ------------------------------------------------------------------


def test_com_query_plain():
    data = bytes.fromhex("03") + b"select 1"
    value = assert_bytes_round_trip(ComQuery, data, capabilities=P41)
    assert value.query == "select 1" and value.parameter_count is None


def test_com_query_with_query_attributes():
    data = bytes.fromhex(
        "03"          # COM_QUERY
        "02"          # parameter_count = 2
        "01"          # parameter_set_count = 1
        "02"          # null_bitmap: parameter 1 is NULL
        "01"          # new_params_bind_flag
        "0880" "02" "6964"      # type LONGLONG | unsigned, name "id"
        "0600" "01" "6e"        # type NULL, name "n"
        "2a00000000000000"      # value of "id" = 42 (NULL "n" has no value)
    ) + b"select mysql_query_attribute_string('id')"
    value = assert_bytes_round_trip(ComQuery, data, capabilities=QA)
    assert value.parameter_count == 2
    assert [(t.type, t.name) for t in value.parameter_types] == [
        (FieldType.MYSQL_TYPE_LONGLONG | 0x8000, "id"), (FieldType.MYSQL_TYPE_NULL, "n")]
    assert value.parameter_values == [42, None]
    assert value.query.startswith("select")


def test_com_query_with_query_attributes_but_none_sent():
    data = bytes.fromhex("03" "00" "01") + b"select 1"
    value = assert_bytes_round_trip(ComQuery, data, capabilities=QA)
    assert (value.parameter_count, value.null_bitmap, value.query) == (0, None, "select 1")


def test_com_query_computes_counts_and_bitmap():
    value = {"command": 3, "parameter_count": None, "parameter_set_count": None,
             "null_bitmap": None, "new_params_bind_flag": None,
             "parameter_types": [{"type": FieldType.MYSQL_TYPE_VAR_STRING, "name": "a"}],
             "parameter_values": [b"x"], "query": "select 1"}
    assert ComQuery.build(value, capabilities=QA) == bytes.fromhex(
        "03" "01" "01" "00" "01" "fd00" "0161" "0178") + b"select 1"


# -- COM_STMT_EXECUTE ---------------------------------------------------------------


def test_com_stmt_execute_with_new_types():
    data = bytes.fromhex(
        "17"            # COM_STMT_EXECUTE
        "01000000"      # statement_id = 1
        "00"            # flags = CURSOR_TYPE_NO_CURSOR
        "01000000"      # iteration_count = 1
        "04"            # null_bitmap: parameter 2 is NULL
        "01"            # new_params_bind_flag
        "0300" "fe00" "0c00"   # types: LONG, STRING, DATETIME
        "ffffffff"      # LONG -1
        "03616263"      # STRING "abc" (string<lenenc>)
                        # DATETIME parameter is NULL: no bytes
    )
    value = assert_bytes_round_trip(ComStmtExecute, data, capabilities=P41, num_params=3)
    assert value.parameter_values == [-1, b"abc", None]


def test_com_stmt_execute_without_types_keeps_values_raw():
    data = bytes.fromhex("17" "01000000" "00" "01000000" "00" "00" "07000000")
    value = assert_bytes_round_trip(ComStmtExecute, data, capabilities=P41, num_params=1)
    assert value.new_params_bind_flag == 0 and value.parameter_values == b"\x07\x00\x00\x00"
    # with the types bound by an earlier execute, the values decode
    value = assert_bytes_round_trip(ComStmtExecute, data, capabilities=P41, num_params=1,
                                    param_types=[FieldType.MYSQL_TYPE_LONG])
    assert value.parameter_values == [7]


def test_com_stmt_execute_with_query_attributes_parameter_count():
    data = bytes.fromhex(
        "17" "05000000"
        "08"            # flags = PARAMETER_COUNT_AVAILABLE
        "01000000"
        "01"            # parameter_count = 1 (overrides num_params)
        "00" "01"
        "0100" "04" "61747472"   # TINY, name "attr"
        "7f"            # 127
    )
    value = assert_bytes_round_trip(ComStmtExecute, data, capabilities=QA, num_params=0)
    assert value.parameter_count == 1
    assert value.parameter_types[0].name == "attr" and value.parameter_values == [127]


def test_com_stmt_execute_datetime_and_time_values():
    data = bytes.fromhex(
        "17" "01000000" "00" "01000000" "00" "01"
        "0c00" "0b00"
        "0b" "e807" "02" "1d" "0d" "25" "3b" "40e20100"   # 2024-02-29 13:37:59.123456
        "08" "01" "02000000" "03" "04" "05"              # -2 days 03:04:05
    )
    value = assert_bytes_round_trip(ComStmtExecute, data, capabilities=P41, num_params=2)
    stamp, interval = value.parameter_values
    assert (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second,
            stamp.microsecond) == (2024, 2, 29, 13, 37, 59, 123456)
    assert (interval.is_negative, interval.days, interval.hour, interval.microsecond) == (
        1, 2, 3, None)


def test_com_stmt_execute_builds_counts_bitmap_and_bind_flag():
    value = {"command": 0x17, "statement_id": 9, "flags": 0, "iteration_count": 1,
             "parameter_count": None, "null_bitmap": None, "new_params_bind_flag": None,
             "parameter_types": [{"type": FieldType.MYSQL_TYPE_TINY, "name": None},
                                 {"type": FieldType.MYSQL_TYPE_TINY, "name": None}],
             "parameter_values": [None, 5]}
    assert ComStmtExecute.build(value, capabilities=P41) == bytes.fromhex(
        "17" "09000000" "00" "01000000" "01" "01" "0100" "0100" "05")
    raw_values = {**value, "parameter_types": None, "parameter_values": b"\x05"}
    with pytest.raises(ConstructError, match="num_params"):
        ComStmtExecute.build(raw_values, capabilities=P41)


def test_com_stmt_execute_needs_num_params_when_parameters_follow():
    data = bytes.fromhex("17" "01000000" "00" "01000000" "00" "01" "0300" "01000000")
    with pytest.raises(ConstructError, match="num_params"):
        ComStmtExecute.parse(data, capabilities=P41)
    # ... but not when nothing follows
    assert ComStmtExecute.parse(data[:10], capabilities=P41).null_bitmap is None


# -- COM_CHANGE_USER -----------------------------------------------------------------


def test_com_change_user():
    data = (bytes.fromhex("11")
            + b"bob\x00"                              # user
            + bytes.fromhex("14") + bytes(range(20))  # auth_plugin_data, 1-byte length
            + b"shop\x00"                             # database
            + bytes.fromhex("2100")                   # character_set = 33
            + b"mysql_native_password\x00")           # auth_plugin_name
    value = assert_bytes_round_trip(ComChangeUser, data, capabilities=P41)
    assert (value.user, value.database, value.character_set) == ("bob", "shop", 33)
    assert value.auth_plugin_name == "mysql_native_password" and value.connect_attrs is None


def test_com_change_user_old_style():
    data = bytes.fromhex("11") + b"bob\x00" + b"scramble\x00" + b"db\x00"
    value = assert_bytes_round_trip(ComChangeUser, data, capabilities=C.CLIENT_PROTOCOL_41)
    assert value.auth_plugin_data == b"scramble" and value.character_set is None


# -- replication ------------------------------------------------------------------


def test_com_register_slave():
    data = bytes.fromhex(
        "15"
        "02000000"        # server_id = 2
        "09" "7265706c6963612d31"  # hostname "replica-1"
        "04" "7265706c"   # user "repl"
        "00"              # password ""
        "ea0c"            # port = 3306
        "00000000"        # replication_rank
        "00000000"        # master_id
    )
    value = assert_bytes_round_trip(ComRegisterSlave, data)
    assert (value.server_id, value.hostname, value.user, value.password, value.port) == (
        2, "replica-1", "repl", "", 3306)


def test_com_binlog_dump_mariadb_kb_example():
    # MariaDB KB "COM_BINLOG_DUMP" example (after the 4-byte packet header)
    data = bytes.fromhex(
        "12"          # COM_BINLOG_DUMP
        "34060000"    # binlog_pos = 1588
        "0200"        # flags = BINLOG_SEND_ANNOTATE_ROWS_EVENT
        "75270000"    # server_id = 10101
    ) + b"mysql-bin.000034"  # binlog_filename, string<EOF>
    value = assert_bytes_round_trip(ComBinlogDump, data)
    assert (value.binlog_pos, value.flags, value.server_id) == (1588, 2, 10101)
    assert value.binlog_filename == "mysql-bin.000034"


def test_com_binlog_dump_non_block():
    value = {"command": 0x12, "binlog_pos": 4, "flags": BINLOG_DUMP_NON_BLOCK,
             "server_id": 7, "binlog_filename": ""}
    assert ComBinlogDump.build(value) == bytes.fromhex("12" "04000000" "0100" "07000000")


GTID_DUMP_UNTAGGED = bytes.fromhex(
    "1e"                  # COM_BINLOG_DUMP_GTID
    "0400"                # flags = BINLOG_THROUGH_GTID
    "65000000"            # server_id = 101
    "00000000"            # binlog_filename_len = 0
                          # binlog_filename ""
    "0400000000000000"    # binlog_pos = 4
    "30000000"            # data_size = 48
    "0100000000000000"    # n_sids = 1, format byte (top) 0 = untagged
    "3e11fa4771ca11e19e33c80aa9429562"  # uuid
    "0100000000000000"    # n_intervals = 1
    "0100000000000000"    # start = 1
    "0600000000000000"    # end = 6 (exclusive): GNOs 1-5
)


def test_com_binlog_dump_gtid_untagged():
    value = assert_bytes_round_trip(ComBinlogDumpGtid, GTID_DUMP_UNTAGGED)
    assert value.flags == BINLOG_THROUGH_GTID and value.binlog_filename == ""
    assert value.gtid_set.gtid_format == 0
    (sid,) = value.gtid_set.sids
    assert sid.sid == SID and sid.tag is None
    assert [(i.start, i.end) for i in sid.intervals] == [(1, 6)]


GTID_DUMP_TAGGED = bytes.fromhex(
    "1e" "0400" "65000000"
    "0d000000" + b"binlog.000003".hex() +   # binlog_filename_len, binlog_filename
    "0400000000000000"    # binlog_pos
    "6e000000"            # data_size = 110 = 8 + (16+1+8+2*16) + (16+5+8+16)
    "01" "020000000000" "01"  # n_sids word, tagged: format 1 in the lowest byte,
                              # n_sids = 2 in the six bytes between, format 1 on top
    "3e11fa4771ca11e19e33c80aa9429562"  # uuid
    "00"                  # tag: varlen length 0 = untagged
    "0200000000000000"    # n_intervals = 2
    "0100000000000000" "0600000000000000"   # [1, 6): 1-5
    "0b00000000000000" "1300000000000000"   # [11, 19): 11-18
    "3e11fa4771ca11e19e33c80aa9429562"  # same uuid
    "08" "74616731"       # tag: varlen length 4 (4 << 1), "tag1"
    "0100000000000000"    # n_intervals = 1
    "0300000000000000" "0800000000000000"   # [3, 8): 3-7
)


def test_com_binlog_dump_gtid_tagged():
    value = assert_bytes_round_trip(ComBinlogDumpGtid, GTID_DUMP_TAGGED)
    assert value.binlog_filename == "binlog.000003"
    gtids = value.gtid_set
    assert (gtids.gtid_format, gtids.n_sids) == (1, 2)
    assert [s.tag for s in gtids.sids] == ["", "tag1"]
    assert [(i.start, i.end) for i in gtids.sids[1].intervals] == [(3, 8)]


def test_com_binlog_dump_gtid_computes_sizes():
    value = ComBinlogDumpGtid.parse(GTID_DUMP_TAGGED)
    value.data_size = value.binlog_filename_len = None
    value.gtid_set.gtid_format = value.gtid_set.n_sids = None
    for sid in value.gtid_set.sids:
        sid.n_intervals = None
    assert ComBinlogDumpGtid.build(value) == GTID_DUMP_TAGGED


def test_com_binlog_dump_gtid_without_gtid_data():
    data = bytes.fromhex("1e" "0100" "01000000" "03000000") + b"b.1" + bytes.fromhex(
        "0400000000000000")
    value = assert_bytes_round_trip(ComBinlogDumpGtid, data)
    assert value.data_size is None and value.gtid_set is None


def test_gtid_set_encoding_rejects_unknown_format():
    with pytest.raises(ConstructError, match="format 2"):
        GtidSetEncoding.parse(bytes.fromhex("0000000000000002"))


# -- a property for every command ---------------------------------------------------

caps_variants = st.sampled_from([0, C.CLIENT_PROTOCOL_41, P41, QA,
                                 P41 | C.CLIENT_CONNECT_ATTRS, QA | C.CLIENT_CONNECT_ATTRS])


@st.composite
def datetimes(draw):
    length = draw(st.sampled_from([0, 4, 7, 11]))
    value = {"length": length, "year": None, "month": None, "day": None, "hour": None,
             "minute": None, "second": None, "microsecond": None}
    if length >= 4:
        value.update(year=draw(u16), month=draw(u8), day=draw(u8))
    if length >= 7:
        value.update(hour=draw(u8), minute=draw(u8), second=draw(u8))
    if length >= 11:
        value.update(microsecond=draw(u32))
    return value


@st.composite
def times(draw):
    length = draw(st.sampled_from([0, 8, 12]))
    value = {"length": length, "is_negative": None, "days": None, "hour": None,
             "minute": None, "second": None, "microsecond": None}
    if length >= 8:
        value.update(is_negative=draw(u8), days=draw(u32), hour=draw(u8), minute=draw(u8),
                     second=draw(u8))
    if length >= 12:
        value.update(microsecond=draw(u32))
    return value


INT_TYPES = {FieldType.MYSQL_TYPE_TINY: 1, FieldType.MYSQL_TYPE_SHORT: 2,
             FieldType.MYSQL_TYPE_YEAR: 2, FieldType.MYSQL_TYPE_LONG: 4,
             FieldType.MYSQL_TYPE_INT24: 4, FieldType.MYSQL_TYPE_LONGLONG: 8}


@st.composite
def typed_value(draw, type_word: int):
    """A non-NULL value of the binary protocol for ``type_word``."""
    code = type_word & 0xFF
    if code in INT_TYPES:
        bits = 8 * INT_TYPES[code]
        if type_word & 0x8000:
            return draw(st.integers(0, 2**bits - 1))
        return draw(st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1))
    if code == FieldType.MYSQL_TYPE_DOUBLE:
        return draw(st.floats(allow_nan=False))
    if code == FieldType.MYSQL_TYPE_FLOAT:
        return draw(st.floats(width=32, allow_nan=False))
    if code in (FieldType.MYSQL_TYPE_DATE, FieldType.MYSQL_TYPE_DATETIME,
                FieldType.MYSQL_TYPE_TIMESTAMP):
        return draw(datetimes())
    if code == FieldType.MYSQL_TYPE_TIME:
        return draw(times())
    return draw(st.binary(max_size=300))


type_words = st.builds(lambda code, unsigned: code | (0x8000 if unsigned else 0),
                       st.sampled_from([int(t) for t in FieldType]), st.booleans())


@st.composite
def typed_values(draw, types: list[int]):
    values = []
    for word in types:
        if (word & 0xFF) == FieldType.MYSQL_TYPE_NULL or draw(st.integers(0, 4)) == 0:
            values.append(None)
        else:
            values.append(draw(typed_value(word)))
    return values


def _bitmap(values, offset=0):
    from spec.protocol.binary import null_bitmap

    return null_bitmap(values, offset)


@st.composite
def com_query(draw):
    caps = draw(caps_variants)
    value = {"command": 3, "parameter_count": None, "parameter_set_count": None,
             "null_bitmap": None, "new_params_bind_flag": None, "parameter_types": None,
             "parameter_values": None, "query": draw(text)}
    if caps & C.CLIENT_QUERY_ATTRIBUTES:
        types = draw(st.lists(type_words, max_size=4))
        value.update(parameter_count=len(types), parameter_set_count=draw(lenenc))
        if types:
            values = draw(typed_values(types))
            value.update(null_bitmap=_bitmap(values), new_params_bind_flag=1,
                         parameter_types=[{"type": t, "name": draw(text)} for t in types],
                         parameter_values=values)
    return value, {"capabilities": caps}


@st.composite
def com_stmt_execute(draw):
    caps = draw(caps_variants)
    flags = draw(u8)
    count_sent = bool(caps & C.CLIENT_QUERY_ATTRIBUTES and flags & 0x08)
    types = draw(st.lists(type_words, max_size=4))
    ctx = {"capabilities": caps, "num_params": len(types)}
    value = {"command": 0x17, "statement_id": draw(u32), "flags": flags,
             "iteration_count": draw(u32),
             "parameter_count": len(types) if count_sent else None,
             "null_bitmap": None, "new_params_bind_flag": None, "parameter_types": None,
             "parameter_values": None}
    if count_sent:
        ctx["num_params"] = draw(st.integers(0, 9))  # overridden by parameter_count
    if types:
        values = draw(typed_values(types))
        value["null_bitmap"] = _bitmap(values)
        if draw(st.booleans()):
            value["new_params_bind_flag"] = draw(st.integers(1, 255))
            value["parameter_types"] = [
                {"type": t, "name": draw(text) if caps & C.CLIENT_QUERY_ATTRIBUTES else None}
                for t in types]
            value["parameter_values"] = values
        else:
            value["new_params_bind_flag"] = 0
            if draw(st.booleans()):
                ctx["param_types"] = types
                value["parameter_values"] = values
            else:
                value["parameter_values"] = draw(raw)
    return value, ctx


@st.composite
def com_change_user(draw):
    caps = draw(caps_variants)
    secure = caps & C.CLIENT_SECURE_CONNECTION
    value = {"command": 0x11, "user": draw(nul_text),
             "auth_plugin_data": draw(st.binary(max_size=255) if secure else nul_bytes),
             "database": draw(nul_text), "character_set": None, "auth_plugin_name": None,
             "connect_attrs_length": None, "connect_attrs": None}
    if draw(st.booleans()):
        value["character_set"] = draw(u16)
        if caps & C.CLIENT_PLUGIN_AUTH:
            value["auth_plugin_name"] = draw(nul_text)
        if caps & C.CLIENT_CONNECT_ATTRS:
            attrs = draw(st.lists(st.fixed_dictionaries({"key": text, "value": text}),
                                  max_size=3))
            value["connect_attrs"] = attrs
            value["connect_attrs_length"] = None
            value["connect_attrs_length"] = ComChangeUser.parse(
                ComChangeUser.build(value, capabilities=caps),
                capabilities=caps).connect_attrs_length
    return value, {"capabilities": caps}


@st.composite
def gtid_sets(draw):
    tagged = draw(st.booleans())
    sids = []
    for _ in range(draw(st.integers(0, 3))):
        intervals = draw(st.lists(st.fixed_dictionaries({"start": u64, "end": u64}),
                                  max_size=3))
        sids.append({"sid": draw(st.uuids()),
                     "tag": draw(st.just("") | st.from_regex(r"[a-z_][a-z0-9_]{0,31}",
                                                             fullmatch=True))
                     if tagged else None,
                     "n_intervals": len(intervals), "intervals": intervals})
    return {"gtid_format": int(tagged), "n_sids": len(sids), "sids": sids}


@st.composite
def com_binlog_dump_gtid(draw):
    name = draw(text)
    value = {"command": 0x1E, "flags": draw(u16), "server_id": draw(u32),
             "binlog_filename_len": len(name.encode() if isinstance(name, str) else name),
             "binlog_filename": name, "binlog_pos": draw(u64),
             "data_size": None, "gtid_set": None}
    if draw(st.booleans()):
        gtids = draw(gtid_sets())
        value["gtid_set"] = gtids
        value["data_size"] = len(GtidSetEncoding.build(gtids))
    return value, {}


def fixed(**fields):
    return st.fixed_dictionaries(fields).map(lambda v: (v, {}))


COMMAND_VALUES = {
    Command.COM_SLEEP: fixed(command=st.just(0)),
    Command.COM_QUIT: fixed(command=st.just(1)),
    Command.COM_INIT_DB: fixed(command=st.just(2), schema_name=text),
    Command.COM_QUERY: com_query(),
    Command.COM_FIELD_LIST: fixed(command=st.just(4), table=nul_text, wildcard=text),
    Command.COM_CREATE_DB: fixed(command=st.just(5), schema_name=text),
    Command.COM_DROP_DB: fixed(command=st.just(6), schema_name=text),
    Command.COM_REFRESH: fixed(command=st.just(7), sub_command=u8),
    Command.COM_SHUTDOWN: fixed(command=st.just(8), shutdown_type=st.none() | u8),
    Command.COM_STATISTICS: fixed(command=st.just(9)),
    Command.COM_PROCESS_INFO: fixed(command=st.just(10)),
    Command.COM_CONNECT: fixed(command=st.just(11)),
    Command.COM_PROCESS_KILL: fixed(command=st.just(12), connection_id=u32),
    Command.COM_DEBUG: fixed(command=st.just(13)),
    Command.COM_PING: fixed(command=st.just(14)),
    Command.COM_TIME: fixed(command=st.just(15)),
    Command.COM_DELAYED_INSERT: fixed(command=st.just(16)),
    Command.COM_CHANGE_USER: com_change_user(),
    Command.COM_BINLOG_DUMP: fixed(command=st.just(0x12), binlog_pos=u32, flags=u16,
                                   server_id=u32, binlog_filename=text),
    Command.COM_TABLE_DUMP: fixed(command=st.just(0x13), database=short_text,
                                  table=short_text),
    Command.COM_CONNECT_OUT: fixed(command=st.just(0x14)),
    Command.COM_REGISTER_SLAVE: fixed(command=st.just(0x15), server_id=u32,
                                      hostname=short_text, user=short_text,
                                      password=short_text, port=u16,
                                      replication_rank=u32, master_id=u32),
    Command.COM_STMT_PREPARE: fixed(command=st.just(0x16), query=text),
    Command.COM_STMT_EXECUTE: com_stmt_execute(),
    Command.COM_STMT_SEND_LONG_DATA: fixed(command=st.just(0x18), statement_id=u32,
                                           param_id=u16, data=raw),
    Command.COM_STMT_CLOSE: fixed(command=st.just(0x19), statement_id=u32),
    Command.COM_STMT_RESET: fixed(command=st.just(0x1A), statement_id=u32),
    Command.COM_SET_OPTION: fixed(command=st.just(0x1B), option_operation=u16),
    Command.COM_STMT_FETCH: fixed(command=st.just(0x1C), statement_id=u32, num_rows=u32),
    Command.COM_DAEMON: fixed(command=st.just(0x1D)),
    Command.COM_BINLOG_DUMP_GTID: com_binlog_dump_gtid(),
    Command.COM_RESET_CONNECTION: fixed(command=st.just(0x1F)),
    Command.COM_CLONE: fixed(command=st.just(0x20)),
    Command.COM_SUBSCRIBE_GROUP_REPLICATION_STREAM: fixed(command=st.just(0x21), data=raw),
    Command.COM_STMT_BULK_EXECUTE: fixed(command=st.just(0xFA), statement_id=u32,
                                         bulk_flags=u16, data=raw),
}


def test_every_command_has_a_property():
    assert set(COMMAND_VALUES) == set(COMMANDS)


@pytest.mark.parametrize("code", sorted(COMMANDS), ids=lambda c: Command(c).name)
@given(data=st.data())
def test_command_round_trips(code, data):
    value, ctx = data.draw(COMMAND_VALUES[code])
    schema = COMMANDS[code]
    built = assert_value_round_trips(schema, value, **ctx)
    assert built[0] == code
    assert command_schema(built) is schema


@given(st.integers(0x22, 0xF9), raw)
def test_unknown_command_round_trips(code, body):
    assert_value_round_trips(UnknownCommand, {"command": code, "data": body})


@given(gtid_sets())
def test_gtid_set_encoding_round_trips(value):
    assert_value_round_trips(GtidSetEncoding, value)
