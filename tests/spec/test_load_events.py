"""LOAD DATA event schemas: annotated byte vectors, round-trip properties, truncation."""

from __future__ import annotations

import pytest
from construct import ConstructError
from hypothesis import given
from hypothesis import strategies as st

from spec.binlog.events.load import (
    AppendBlockEvent,
    BeginLoadQueryEvent,
    CreateFileEvent,
    DeleteFileEvent,
    ExecLoadEvent,
    ExecuteLoadQueryEvent,
    LoadEvent,
    NewLoadEvent,
)
from tests.spec.roundtrip import assert_bytes_round_trip, assert_value_round_trips, context_for

P = {"binlog_version": 4, "header_len": 19, "server_version": "5.6.4-m7-debug-log"}
params = context_for(P)


V1 = {"binlog_version": 1, "header_len": 13, "server_version": "3.23"}
V3 = {"binlog_version": 3, "header_len": 19, "server_version": "4.0"}


# -- strategies ------------------------------------------------------------------

u8 = st.integers(0, 255)
u32 = st.integers(0, 2**32 - 1)
raw = st.binary(max_size=24)
idents = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789é", max_size=20)
file_names = st.text(alphabet="abc/._-0123456789é", max_size=30)


def encoded(text) -> int:
    return len(text.encode("utf-8"))


def one_char():
    return st.binary(min_size=1, max_size=1)


old_sql_ex = st.fixed_dictionaries({
    "field_term": one_char(), "enclosed": one_char(), "line_term": one_char(),
    "line_start": one_char(), "escaped": one_char(), "opt_flags": u8, "empty_flags": u8,
})
new_sql_ex = st.fixed_dictionaries({
    "field_term": raw, "enclosed": raw, "line_term": raw, "line_start": raw, "escaped": raw,
    "opt_flags": u8,
})


@st.composite
def load_values(draw, sql_ex):
    """The fields LOAD, NEW_LOAD and CREATE_FILE share, with consistent lengths."""
    fields = draw(st.lists(idents, max_size=4))
    table_name = draw(idents)
    db = draw(idents)
    return {
        "thread_id": draw(u32), "exec_time": draw(u32), "skip_lines": draw(u32),
        "table_name_len": encoded(table_name), "db_len": encoded(db),
        "num_fields": len(fields), "sql_ex": draw(sql_ex),
        "field_lens": [encoded(f) for f in fields], "fields": fields,
        "table_name": table_name, "db": db,
    }


@st.composite
def load_events(draw):
    return {**draw(load_values(old_sql_ex)), "fname": draw(file_names)}


@st.composite
def new_load_events(draw):
    return {**draw(load_values(new_sql_ex)), "fname": draw(file_names)}


@st.composite
def create_file_events(draw, v1=False):
    value = {**draw(load_values(new_sql_ex)), "file_id": draw(u32), "fname": draw(file_names)}
    value["block"] = None if v1 else draw(raw)
    return value


block_events = st.fixed_dictionaries({"file_id": u32, "post_header_extra": st.just(b""),
                                      "block": raw})
file_id_events = st.fixed_dictionaries({"file_id": u32, "post_header_extra": st.just(b""),
                                        "extra": raw})


@st.composite
def execute_load_query_events(draw):
    db = draw(idents)
    status_vars = draw(st.lists(st.sampled_from([
        {"code": 0, "name": "Q_FLAGS2_CODE", "value": 0},
        {"code": 1, "name": "Q_SQL_MODE_CODE", "value": 2**21},
        {"code": 6, "name": "Q_CATALOG_NZ_CODE", "value": {"length": 3, "value": "std"}},
    ]), max_size=3))
    status_vars_len = sum({0: 5, 1: 9, 6: 5}[v["code"]] for v in status_vars)
    return {
        "thread_id": draw(u32), "exec_time": draw(u32), "db_len": encoded(db),
        "error_code": draw(st.integers(0, 2**16 - 1)), "status_vars_len": status_vars_len,
        "file_id": draw(u32), "fn_pos_start": draw(u32), "fn_pos_end": draw(u32),
        "dup_handling": draw(st.integers(0, 2)), "post_header_extra": b"",
        "status_vars": status_vars, "db": db,
        "query": draw(st.text(alphabet="LOAD DATA INFILE 'x' INTO TABLE t;é", max_size=60)),
    }


# -- annotated vectors -----------------------------------------------------------


def test_load_event_old_sql_ex():
    # LOAD DATA INFILE '/tmp/t.txt' INTO TABLE t FIELDS TERMINATED BY ',' (a, bc),
    # as a 3.23 primary logs it (Load_log_event::write_data_header / write_data_body)
    body = bytes.fromhex(
        "07000000"  # thread_id = 7
        "00000000"  # exec_time = 0
        "00000000"  # skip_lines = 0
        "01"        # table_name_len = 1
        "04"        # db_len = 4
        "02000000"  # num_fields = 2
        # old sql_ex: one byte each for field_term, enclosed, line_term, line_start,
        # escaped, then opt_flags and empty_flags
        "2c" "00" "0a" "00" "5c" "00" "0a"  # ',', -, '\n', -, '\\'; empty: enclosed, line_start
        "01" "02"          # field_lens: 1, 2
        "6100" "626300"    # fields "a", "bc", NUL-terminated
        "7400"             # table_name "t", NUL
        "7465737400"       # db "test", NUL
    ) + b"/tmp/t.txt"      # fname, to the end, no NUL
    value = LoadEvent.parse(body, **params(18, **V1))
    assert (value.thread_id, value.table_name, value.db, value.fname) == (7, "t", "test", "/tmp/t.txt")
    assert value.fields == ["a", "bc"]
    assert value.sql_ex.field_term == b","
    assert value.sql_ex.empty_flags == 0x0A  # ENCLOSED_EMPTY | LINE_START_EMPTY
    assert LoadEvent.build(value, **params(18, **V1)) == body
    rebuilt = {**value, "table_name_len": None, "db_len": None, "num_fields": None,
               "field_lens": None}
    assert LoadEvent.build(rebuilt, **params(18, **V1)) == body


def test_new_load_event_new_sql_ex():
    body = bytes.fromhex(
        "01000000" "02000000" "01000000"  # thread_id 1, exec_time 2, skip_lines 1
        "02" "01" "00000000"              # table_name_len 2, db_len 1, num_fields 0
        # new sql_ex: each option a 1-byte length then bytes
        "02" "2c2c"  # field_term ",,"
        "01" "22"    # enclosed '"'
        "02" "0d0a"  # line_term "\r\n"
        "00"         # line_start ""
        "01" "5c"    # escaped "\\"
        "02"         # opt_flags = OPT_ENCLOSED_FLAG
        "743100"     # table_name "t1", NUL
        "6400"       # db "d", NUL
    ) + b"data.csv"
    value = NewLoadEvent.parse(body, **params(18, **V3))
    assert value.sql_ex.line_term == b"\r\n"
    assert (value.table_name, value.db, value.fname) == ("t1", "d", "data.csv")
    assert NewLoadEvent.build(value, **params(18, **V3)) == body


CREATE_FILE_HEAD = bytes.fromhex(
    "01000000" "00000000" "00000000"  # thread_id, exec_time, skip_lines
    "01" "01" "00000000"              # table_name_len 1, db_len 1, num_fields 0
    "05000000"                        # file_id = 5 (CREATE_FILE's own post-header)
    "01" "09" "01" "00" "01" "0a" "00" "01" "5c" "00"  # new sql_ex: '\t', '', '\n', '', '\\', 0
    "7400" "6400"                     # table_name "t", db "d"
)


def test_create_file_event_v4_has_fname_nul_and_block():
    body = CREATE_FILE_HEAD + b"f.txt\0" + b"1\t2\n"  # fname, NUL, first block
    value = CreateFileEvent.parse(body, **params(4))
    assert (value.file_id, value.fname, value.block) == (5, "f.txt", b"1\t2\n")
    assert CreateFileEvent.build(value, **params(4)) == body


def test_create_file_event_v1_has_no_block():
    # Binlog v1: the reader takes neither file id nor block (inited_from_old)
    body = CREATE_FILE_HEAD + b"f.txt"
    value = CreateFileEvent.parse(body, **params(4, **V1))
    assert (value.fname, value.block) == ("f.txt", None)
    assert CreateFileEvent.build(value, **params(4, **V1)) == body


def test_append_block_event():
    # blackbeam__rust_mysql_common/ver_trunk_row_v2.001, start of the body
    body = bytes.fromhex("02000000") + b"iate\nabbreviated\n"  # file_id = 2, block
    value = AppendBlockEvent.parse(body, **params(4))
    assert (value.file_id, value.block) == (2, b"iate\nabbreviated\n")


def test_begin_load_query_event_keeps_longer_post_header():
    # blackbeam__rust_mysql_common/ver_5_1-wl2325_r.001: the FDE says 6 for this code
    body = bytes.fromhex("00000000" "0100" "02fff9")  # file_id 0, 2 surplus bytes, block
    value = BeginLoadQueryEvent.parse(body, **params(6))
    assert (value.file_id, value.post_header_extra, value.block) == (0, b"\x01\x00", b"\x02\xff\xf9")
    assert BeginLoadQueryEvent.build(value, **params(6)) == body


@pytest.mark.parametrize("schema", [ExecLoadEvent, DeleteFileEvent])
def test_file_id_events(schema):
    value = schema.parse(bytes.fromhex("2a000000"), **params(4))  # file_id = 42
    assert (value.file_id, value.extra) == (42, b"")


ELQ = bytes.fromhex(
    # blackbeam__rust_mysql_common/ver_trunk_row_v2.001 (MySQL 5.6.4), start of the body
    "01000000"  # thread_id = 1
    "01000000"  # exec_time = 1
    "04"        # db_len = 4
    "0000"      # error_code = 0
    "0000"      # status_vars_len = 0 (the original has 33 bytes of them)
    "02000000"  # file_id = 2
    "09000000"  # fn_pos_start = 9
    "24000000"  # fn_pos_end = 36
    "00"        # dup_handling = LOAD_DUP_ERROR
    "7465737400"  # db "test", NUL
) + b"LOAD DATA INFILE 'big_file.dat' INTO TABLE `t3`"


def test_execute_load_query_event():
    value = ExecuteLoadQueryEvent.parse(ELQ, **params(26))
    assert (value.file_id, value.fn_pos_start, value.fn_pos_end) == (2, 9, 36)
    # the part the replica rewrites to name its temporary file
    assert value.query[value.fn_pos_start:value.fn_pos_end] == " INFILE 'big_file.dat' INTO"
    assert value.db == "test"
    assert ExecuteLoadQueryEvent.build(value, **params(26)) == ELQ


# -- properties ------------------------------------------------------------------


@given(load_events())
def test_load_event_value_round_trips(value):
    assert_value_round_trips(LoadEvent, value, **params(18, **V1))


@given(new_load_events())
def test_new_load_event_value_round_trips(value):
    assert_value_round_trips(NewLoadEvent, value, **params(18, **V3))


@given(create_file_events())
def test_create_file_event_value_round_trips(value):
    assert_value_round_trips(CreateFileEvent, value, **params(4))


@given(create_file_events(v1=True))
def test_create_file_event_v1_value_round_trips(value):
    assert_value_round_trips(CreateFileEvent, value, **params(4, **V1))


@pytest.mark.parametrize("schema", [AppendBlockEvent, BeginLoadQueryEvent])
@given(value=block_events)
def test_block_event_value_round_trips(schema, value):
    assert_value_round_trips(schema, value, **params(4))


@pytest.mark.parametrize("schema", [ExecLoadEvent, DeleteFileEvent])
@given(value=file_id_events)
def test_file_id_event_value_round_trips(schema, value):
    assert_value_round_trips(schema, value, **params(4))


@given(execute_load_query_events())
def test_execute_load_query_event_value_round_trips(value):
    assert_value_round_trips(ExecuteLoadQueryEvent, value, **params(26))


@pytest.mark.parametrize("schema", [AppendBlockEvent, BeginLoadQueryEvent, ExecLoadEvent,
                                    DeleteFileEvent])
@given(body=st.binary(min_size=4, max_size=40))
def test_file_id_event_bytes_round_trip(schema, body):
    assert_bytes_round_trip(schema, body, **params(4))


@given(load_events(), st.binary(max_size=8))
def test_load_event_bytes_round_trip(value, tail):
    body = LoadEvent.build(value, **params(18, **V1)) + tail
    assert_bytes_round_trip(LoadEvent, body, **params(18, **V1))


@given(new_load_events())
def test_new_load_event_bytes_round_trip(value):
    body = NewLoadEvent.build(value, **params(18, **V3))
    assert_bytes_round_trip(NewLoadEvent, body, **params(18, **V3))


@given(create_file_events(), st.binary(max_size=8))
def test_create_file_event_bytes_round_trip(value, tail):
    body = CreateFileEvent.build(value, **params(4)) + tail
    assert_bytes_round_trip(CreateFileEvent, body, **params(4))


@given(execute_load_query_events())
def test_execute_load_query_event_bytes_round_trip(value):
    body = ExecuteLoadQueryEvent.build(value, **params(26))
    assert_bytes_round_trip(ExecuteLoadQueryEvent, body, **params(26))


# -- truncation ------------------------------------------------------------------


@pytest.mark.parametrize("schema,post_header_len,body,ctx", [
    (LoadEvent, 18, bytes(17), V1),                       # post-header cut short
    (LoadEvent, 18, bytes(18) + bytes(6), V1),            # old sql_ex cut short
    (NewLoadEvent, 18, bytes(18) + bytes.fromhex("05" "2c"), V3),  # field_term cut short
    (CreateFileEvent, 4, CREATE_FILE_HEAD[:-3], P),       # table name's NUL missing
    (CreateFileEvent, 4, CREATE_FILE_HEAD + b"f.txt", P),  # fname's NUL missing
    (AppendBlockEvent, 4, bytes(3), P),
    (ExecLoadEvent, 4, bytes(2), P),
    (DeleteFileEvent, 4, b"", P),
    (ExecuteLoadQueryEvent, 26, ELQ[:20], P),             # post-header cut short
    (ExecuteLoadQueryEvent, 26, ELQ[:28], P),             # db cut short
])
def test_truncated_body_raises(schema, post_header_len, body, ctx):
    with pytest.raises(ConstructError):
        schema.parse(body, **{**ctx, "post_header_len": post_header_len})
