"""Rows events (PRE_GA, V1, V2, PARTIAL_UPDATE): byte vectors and round-trip properties."""

from __future__ import annotations

import pytest
from construct import Container
from hypothesis import given, settings
from hypothesis import strategies as st

from spec.binlog.events.rows import (
    EXTRA_ROW_INFO_NDB,
    EXTRA_ROW_INFO_PART,
    STMT_END_F,
    DeleteRowsEvent,
    DeleteRowsEventV1,
    PartialUpdateRowsEvent,
    PreGaDeleteRowsEvent,
    PreGaUpdateRowsEvent,
    PreGaWriteRowsEvent,
    UpdateRowsEvent,
    UpdateRowsEventV1,
    WriteRowsEvent,
    WriteRowsEventV1,
)
from spec.wire import LenencInt
from tests.spec.roundtrip import h, round_trips

BASE = {"header_len": 19, "binlog_version": 4, "server_version": "8.0.40"}
V2 = {**BASE, "post_header_len": 10}
V1 = {**BASE, "post_header_len": 8}
DEV = {**BASE, "post_header_len": 6, "server_version": "5.2.2-a_drop6p13-debug-log"}


def test_write_rows_v2_from_mysql_8():
    # rust_mysql_common test-data binlogs/time_issue.000001, offset 391.
    data = h("""
        2c 06 00 00 00 00   # table_id 1580
        01 00               # flags: STMT_END_F
        02 00               # var_header_len 2: no extra row info
        01                  # column_count 1
        ff                  # columns present (padding bits set)
        00 60 43 e5         # row: null bitmap, one TIME2 value (raw here)
    """)
    body = round_trips(WriteRowsEvent, data, V2)
    assert body.table_id == 1580 and body.flags == STMT_END_F
    assert body.var_header_len == 2 and body.extra_data == []
    assert (body.column_count, body.columns_present) == (1, b"\xff")
    assert body.columns_present_after is None
    assert body.rows == h("00 60 43 e5")


def test_write_rows_v1_from_mariadb():
    # rust_mysql_common test-data binlogs/mariadb-bin.000001, offset 496.
    data = h("""
        26 00 00 00 00 00   # table_id 38
        01 00               # flags: STMT_END_F
        05 ff               # 5 columns, all present
        e0                  # row null bitmap
        3e 00 00 00         # id 62
        03 00 666f6f        # "foo"
        02                  # ENUM value 2
        09 00 7b22666f6f223a317d   # BLOB '{"foo":1}'
        62 60 86 9c         # TIMESTAMP2
    """)
    body = round_trips(WriteRowsEventV1, data, V1)
    assert body.var_header_len is None and body.extra_data is None
    assert body.column_count == 5 and body.rows.startswith(b"\xe0")


def test_update_rows_v1_has_after_image_bitmap():
    # alibaba/canal parse/src/test/resources/binlog/mysql-bin.000002, offset 227.
    data = h("""
        35 00 00 00 00 00   # table_id 53
        01 00               # flags
        02                  # column_count 2
        ff                  # columns in the before image
        ff                  # columns in the after image
        fc 01000000 7386fa4f   # before image
        fc 01000000 6c8efa4f   # after image
    """)
    body = round_trips(UpdateRowsEventV1, data, V1)
    assert (body.columns_present, body.columns_present_after) == (b"\xff", b"\xff")
    assert len(body.rows) == 18


def test_partial_update_rows_has_two_bitmaps():
    # rust_mysql_common test-data binlogs/json.binlog.000001, offset 3750 (prefix).
    prefix = h("""
        77 00 00 00 00 00   # table_id 119
        01 00               # flags
        02 00               # var_header_len: no extra row info
        04                  # column_count 4
        01                  # before image: column 0 only (minimal image)
        0e                  # after image: columns 1-3
    """)
    data = prefix + h("00 01 00 00 00 01 01 00 0b")  # first row bytes, kept raw
    body = round_trips(PartialUpdateRowsEvent, data, V2)
    assert (body.columns_present, body.columns_present_after) == (b"\x01", b"\x0e")


def test_pre_ga_delete_rows_from_dev_tree():
    # rust_mysql_common test-data binlogs/ver_5_1-wl2325_r.001, offset 650 (wire code 19,
    # PRE_GA_DELETE_ROWS_EVENT under that tree's event type numbering).
    data = h("""
        00 00 00 00         # table_id 0 (4 bytes: post-header length 6)
        01 00               # flags
        02 ff               # 2 columns, all present; no after-image bitmap
        f9 02000000 03 74776f   # row: (2, 'two')
    """)
    body = round_trips(PreGaDeleteRowsEvent, data, DEV)
    assert body.table_id == 0 and body.rows.endswith(b"two")


def test_pre_ga_update_has_a_single_bitmap():
    data = h("00000000 0100 02 ff  f9 00000000 03 6f6e65  f9 01000000 03 6f6e65")
    body = round_trips(PreGaUpdateRowsEvent, data, DEV)
    assert body.columns_present_after is None


def test_v2_extra_row_info_ndb_and_partitions():
    data = h("""
        01 00 00 00 00 00   # table_id 1
        00 00               # flags
        0d 00               # var_header_len 13: 11 bytes of extra row info
        00 05 00 aabbcc     # NDB: length 5 (with itself and format), format 0, 3 bytes
        01 0300 0200        # PART: partition 3, source partition 2 (UPDATE only)
        01 ff ff            # 1 column; before and after bitmaps
    """)
    body = round_trips(UpdateRowsEvent, data, V2)
    ndb, part = body.extra_data
    assert (ndb.tag, ndb.name, ndb.value.format, ndb.value.data) == (0, "NDB", 0, h("aabbcc"))
    assert (part.name, part.value.partition_id, part.value.source_partition_id) == ("PART", 3, 2)


def test_v2_partition_info_of_write_has_no_source_partition():
    data = h("01 00 00 00 00 00  00 00  05 00  01 0700  01 ff")
    body = round_trips(WriteRowsEvent, data, V2)
    assert body.extra_data[0].value == {"partition_id": 7, "source_partition_id": None}


def test_v2_unknown_extra_row_info_tag_kept_raw_with_the_rest():
    data = h("01 00 00 00 00 00  00 00  09 00  01 0700  09 aabbcc  01 ff")
    body = round_trips(DeleteRowsEvent, data, V2)
    assert body.extra_data[1] == {"tag": 9, "name": "UNKNOWN_9", "value": h("aabbcc")}


def test_v2_malformed_ndb_info_kept_raw():
    data = h("01 00 00 00 00 00  00 00  05 00  00 09 00  01 ff")  # NDB length 9 > 3 left
    body = round_trips(WriteRowsEvent, data, V2)
    assert body.extra_data[0].value == h("09 00")


def test_crafted_rows_event_computes_var_header_len():
    body = Container(table_id=5, flags=STMT_END_F, var_header_len=None,
                     extra_data=[{"tag": EXTRA_ROW_INFO_PART,
                                  "value": {"partition_id": 1, "source_partition_id": None}}],
                     column_count=1, columns_present=b"\x01", rows=b"\x00\x2a")
    assert WriteRowsEvent.build(body, **V2) == h("050000000000 0100 0500 01 0100 01 01 002a")
    # With no FDE (None post-header length) the type's own version is used.
    assert WriteRowsEvent.build(body, **{**V2, "post_header_len": None}) == \
        h("050000000000 0100 0500 01 0100 01 01 002a")


def test_v1_event_under_longer_post_header_keeps_surplus():
    # A post-header length past the V1 fields (MariaDB skips to it): surplus kept.
    data12 = h("01 00 00 00 00 00  00 00  abcd ef01  01 ff 00")
    body = round_trips(WriteRowsEventV1, data12, {**BASE, "post_header_len": 12})
    assert body.post_header_extra == h("abcd ef01")


# -- properties --------------------------------------------------------------------

SCHEMAS = [
    # (schema, after-image bitmap, source partition id, v2 by default)
    (PreGaWriteRowsEvent, False, False, False),
    (PreGaUpdateRowsEvent, False, False, False),
    (PreGaDeleteRowsEvent, False, False, False),
    (WriteRowsEventV1, False, False, False),
    (UpdateRowsEventV1, True, False, False),
    (DeleteRowsEventV1, False, False, False),
    (WriteRowsEvent, False, False, True),
    (UpdateRowsEvent, True, True, True),
    (DeleteRowsEvent, False, False, True),
    (PartialUpdateRowsEvent, True, True, True),
]

u16 = st.integers(0, 0xFFFF)


def extra_entries(source_partition):
    ndb = st.builds(lambda fmt, data: {"tag": EXTRA_ROW_INFO_NDB, "name": "NDB",
                                       "value": {"length": len(data) + 2, "format": fmt,
                                                 "data": data}},
                    st.integers(0, 255), st.binary(max_size=20))
    part = st.builds(lambda p, s: {"tag": EXTRA_ROW_INFO_PART, "name": "PART",
                                   "value": {"partition_id": p,
                                             "source_partition_id": s if source_partition
                                             else None}},
                     u16, u16)
    return st.lists(st.one_of(ndb, part), max_size=3)


@st.composite
def rows_bodies(draw, after_image, source_partition, phl):
    v2 = phl == 10
    count = draw(st.integers(0, 70))
    nbytes = (count + 7) // 8
    extra = draw(extra_entries(source_partition)) if v2 else None
    if v2 and draw(st.booleans()):
        tag = draw(st.integers(2, 255))
        extra = extra + [{"tag": tag, "name": f"UNKNOWN_{tag}", "value": draw(st.binary(max_size=6))}]
    return {
        "table_id": draw(st.integers(0, 2**32 - 1 if phl == 6 else 2**48 - 1)),
        "flags": draw(u16),
        "var_header_len": None,
        "extra_data": extra,
        "column_count": count,
        "columns_present": draw(st.binary(min_size=nbytes, max_size=nbytes)),
        "columns_present_after": draw(st.binary(min_size=nbytes, max_size=nbytes))
        if after_image else None,
        "rows": draw(st.binary(max_size=60)),
    }


@pytest.mark.parametrize("schema,after_image,source_partition,v2", SCHEMAS)
@pytest.mark.parametrize("phl", [6, 8, 10])
@settings(max_examples=60)
@given(data=st.data())
def test_rows_value_round_trips(schema, after_image, source_partition, v2, phl, data):
    body = data.draw(rows_bodies(after_image, source_partition, phl))
    params = {**BASE, "post_header_len": phl}
    parsed = schema.parse(schema.build(body, **params), **params)
    got = {k: v for k, v in parsed.items() if not k.startswith("_") and k != "post_header_extra"}
    if phl == 10:
        got["var_header_len"] = None
    assert got == body


@pytest.mark.parametrize("schema,after_image,source_partition,v2", SCHEMAS)
@settings(max_examples=60)
@given(data=st.data())
def test_rows_bytes_round_trip_with_any_extra_row_info(schema, after_image, source_partition,
                                                        v2, data):
    phl = data.draw(st.sampled_from([6, 8, 10, 12]))
    count = data.draw(st.integers(0, 300))
    nbytes = (count + 7) // 8
    extra = data.draw(st.binary(max_size=30))
    raw = (data.draw(st.binary(min_size=4, max_size=4)) if phl == 6
           else data.draw(st.binary(min_size=6, max_size=6)))
    raw += data.draw(st.binary(min_size=2, max_size=2))  # flags
    if phl == 10:
        raw += (len(extra) + 2).to_bytes(2, "little") + extra
    elif phl == 12:
        raw += data.draw(st.binary(min_size=4, max_size=4))  # post-header surplus
    raw += LenencInt.build(count) + data.draw(st.binary(min_size=nbytes, max_size=nbytes))
    if after_image:
        raw += data.draw(st.binary(min_size=nbytes, max_size=nbytes))
    raw += data.draw(st.binary(max_size=40))
    params = {**BASE, "post_header_len": phl}
    assert schema.build(schema.parse(raw, **params), **params) == raw
