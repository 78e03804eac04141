"""TABLE_MAP_EVENT: annotated byte vectors, decoded metadata, round-trip properties."""

from __future__ import annotations

from construct import Container
from hypothesis import given, settings
from hypothesis import strategies as st

from spec.binlog.events.table_map import (
    COLUMN_NAME,
    MYSQL_TYPE_BLOB,
    MYSQL_TYPE_ENUM,
    MYSQL_TYPE_LONG,
    MYSQL_TYPE_NEWDECIMAL,
    MYSQL_TYPE_STRING,
    MYSQL_TYPE_TIMESTAMP2,
    MYSQL_TYPE_VARCHAR,
    NUMERIC_TYPES,
    SIGNEDNESS,
    TableMapEvent,
    optional_metadata_fields,
)
from spec.types import MYSQL_TYPE_TYPED_ARRAY
from spec.wire import LenencInt
from tests.spec.roundtrip import h

MYSQL8 = {"post_header_len": 8, "header_len": 19, "binlog_version": 4, "server_version": "8.0.28"}
MARIADB = {**MYSQL8, "server_version": "10.5.15-MariaDB-log"}
DEV_5_1 = {**MYSQL8, "post_header_len": 6, "server_version": "5.2.2-a_drop6p13-debug-log"}


# MariaDB 10.5.15, binlog_row_metadata=FULL: rust_mysql_common test-data
# binlogs/mariadb-bin.000001, offset 429 (the first TABLE_MAP_EVENT's body).
MARIADB_TABLE_MAP = h("""
    26 00 00 00 00 00         # table_id 38 (6 bytes)
    01 00                     # flags
    0a 746f6464795f74657374   # database name length 10, "toddy_test"
    00                        #   NUL
    06 6f7574626f78           # table name length 6, "outbox"
    00                        #   NUL
    05                        # column_count 5
    03 0f fe fc 11            # LONG, VARCHAR, STRING, BLOB, TIMESTAMP2
    06                        # metadata length 6
    fc 03                     #   VARCHAR: max length 0x03fc = 1020
    f7 01                     #   STRING: real type 0xf7 (ENUM), 1 byte
    02                        #   BLOB: 2-byte length prefix
    00                        #   TIMESTAMP2: fsp 0
    04                        # null bits: column 2 nullable
    01 01 00                  # SIGNEDNESS, 1 byte: the one numeric column is signed
    03 02 2d 3f               # COLUMN_CHARSET, 2 bytes: collations 45, 63
    04 22                     # COLUMN_NAME, 34 bytes:
    02 6964                   #   "id"
    05 746f706963             #   "topic"
    0a 6576656e745f74797065   #   "event_type"
    05 6576656e74             #   "event"
    07 63726561746564         #   "created"
    0a 01 2d                  # ENUM_AND_SET_DEFAULT_CHARSET, 1 byte: default 45
    06 14                     # ENUM_STR_VALUE, 20 bytes:
    03                        #   one ENUM column with 3 values:
    04 424c4f42               #     "BLOB"
    04 4a534f4e               #     "JSON"
    08 50524f544f425546       #     "PROTOBUF"
    08 01 00                  # SIMPLE_PRIMARY_KEY, 1 byte: column 0
""")

# MySQL 8.0.28: rust_mysql_common test-data binlogs/mysql-enum-string-set.000001,
# offset 1036: CHAR(128), VARCHAR(300), ENUM, SET, BLOB in utf8mb4.
MYSQL_TABLE_MAP = h("""
    7c 00 00 00 00 00         # table_id 124
    01 00                     # flags
    05 6d7973716c 00          # database "mysql"
    01 74 00                  # table "t"
    05                        # column_count 5
    fe 0f fe fe fc            # STRING, VARCHAR, STRING, STRING, BLOB
    09                        # metadata length 9
    de 00                     #   STRING: 0xde has bits 4-5 = 01, so real type
                              #   0xde|0x30 = 0xfe and length 0x00 | (0x10^0x30)<<4 = 512
    b0 04                     #   VARCHAR: 0x04b0 = 1200 bytes
    f7 01                     #   STRING: real type ENUM, 1 byte
    f8 01                     #   STRING: real type SET, 1 byte
    02                        #   BLOB: 2-byte length prefix
    1f                        # null bits: all five nullable
    02 03 fc ff 00            # DEFAULT_CHARSET, 3 bytes: default 255 (int<lenenc> fc ff 00)
    04 0f 02 6631 02 6632 02 6633 02 6634 02 6635   # COLUMN_NAME: f1..f5
    0a 03 fc ff 00            # ENUM_AND_SET_DEFAULT_CHARSET: default 255
    05 14 04                  # SET_STR_VALUE, 20 bytes: one SET column, 4 values
    03 6f6e65 03 74776f 05 7468726565 04 666f7572   # "one" "two" "three" "four"
    06 13 03                  # ENUM_STR_VALUE, 19 bytes: one ENUM column, 3 values
    04 76617231 08 76617269616e7432 03 666f6f       # "var1" "variant2" "foo"
    0c 01 f8                  # COLUMN_VISIBILITY, 1 byte: 5 columns visible (11111000)
""")

# A 5.1 development tree (post-header length 6): rust_mysql_common test-data
# binlogs/ver_5_1-wl2325_r.001 offset 331 -- its wire type code is 16, which those
# trees used for TABLE_MAP_EVENT (Format_description_event's event_type_permutation).
DEV_TABLE_MAP = h("""
    00 00 00 00               # table_id 0 (4 bytes)
    00 00                     # flags
    04 74657374 00            # database "test"
    02 7431 00                # table "t1"
    02                        # column_count 2
    03 fe                     # LONG, STRING -- no metadata block, no null bits
""")


def test_mariadb_table_map_decodes_every_field():
    body = TableMapEvent.parse(MARIADB_TABLE_MAP, **MARIADB)
    assert body.table_id == 38
    assert (body.database_name, body.table_name) == ("toddy_test", "outbox")
    assert body.column_types == [3, 15, 254, 252, 17]
    assert body.metadata == [None, 1020, {"real_type": MYSQL_TYPE_ENUM, "length": 1}, 2, 0]
    assert body.null_bits == b"\x04"
    fields = optional_metadata_fields(body)
    assert fields["SIGNEDNESS"] == [False]
    assert fields["COLUMN_CHARSET"] == [45, 63]
    assert fields["COLUMN_NAME"] == ["id", "topic", "event_type", "event", "created"]
    assert fields["ENUM_AND_SET_DEFAULT_CHARSET"] == {"default_charset": 45, "charset_pairs": []}
    assert fields["ENUM_STR_VALUE"] == [["BLOB", "JSON", "PROTOBUF"]]
    assert fields["SIMPLE_PRIMARY_KEY"] == [0]
    assert body.extra == b""
    assert TableMapEvent.build(body, **MARIADB) == MARIADB_TABLE_MAP


def test_mysql_table_map_decodes_string_metadata_and_visibility():
    body = TableMapEvent.parse(MYSQL_TABLE_MAP, **MYSQL8)
    assert body.metadata[0] == {"real_type": MYSQL_TYPE_STRING, "length": 512}
    assert body.metadata[1] == 1200
    fields = optional_metadata_fields(body)
    assert fields["DEFAULT_CHARSET"] == {"default_charset": 255, "charset_pairs": []}
    assert fields["SET_STR_VALUE"] == [["one", "two", "three", "four"]]
    assert fields["ENUM_STR_VALUE"] == [["var1", "variant2", "foo"]]
    assert fields["COLUMN_VISIBILITY"] == [True] * 5
    assert TableMapEvent.build(body, **MYSQL8) == MYSQL_TABLE_MAP


def test_dev_tree_table_map_has_4_byte_id_and_no_metadata():
    body = TableMapEvent.parse(DEV_TABLE_MAP, **DEV_5_1)
    assert body.table_id == 0 and body.column_types == [3, 254]
    assert body.metadata is None and body.null_bits is None
    assert TableMapEvent.build(body, **DEV_5_1) == DEV_TABLE_MAP


def test_table_map_keeps_unknown_optional_metadata_type_raw():
    data = MARIADB_TABLE_MAP + h("7f 03 010203")  # type 127, 3 bytes
    body = TableMapEvent.parse(data, **MARIADB)
    assert body.optional_metadata[-1] == {"type": 127, "name": "UNKNOWN_127", "length": 3,
                                          "value": b"\x01\x02\x03"}
    assert TableMapEvent.build(body, **MARIADB) == data


def test_table_map_keeps_malformed_optional_metadata_raw():
    # COLUMN_NAME claiming 5 bytes but holding a name of 9: the field stays raw;
    # a trailing fragment that is not a whole field goes to ``extra``.
    data = MARIADB_TABLE_MAP + h("04 05 09 61626364") + h("02 09 01")
    body = TableMapEvent.parse(data, **MARIADB)
    assert body.optional_metadata[-1].value == h("09 61626364")
    assert body.extra == h("02 09 01")
    assert TableMapEvent.build(body, **MARIADB) == data


def test_table_map_keeps_metadata_of_unknown_column_type_raw():
    body = TableMapEvent.parse(DEV_TABLE_MAP, **DEV_5_1)
    body.column_types = [MYSQL_TYPE_TYPED_ARRAY, MYSQL_TYPE_LONG]
    body.column_count = None
    body.metadata = h("0f 2c 01")
    body.null_bits = b"\x00"
    data = TableMapEvent.build(body, **DEV_5_1)
    again = TableMapEvent.parse(data, **DEV_5_1)
    assert again.metadata == h("0f 2c 01") and again.metadata_length == 3
    assert TableMapEvent.build(again, **DEV_5_1) == data


def test_signedness_keeps_all_bits_when_padding_is_set():
    # One numeric column, but the server set a bit past it: all 8 bits are kept.
    data = MARIADB_TABLE_MAP.replace(h("01 01 00 03 02"), h("01 01 41 03 02"))
    fields = optional_metadata_fields(TableMapEvent.parse(data, **MARIADB))
    assert fields["SIGNEDNESS"] == [False, True, False, False, False, False, False, True]
    assert TableMapEvent.build(TableMapEvent.parse(data, **MARIADB), **MARIADB) == data


def test_crafted_table_map_fills_lengths():
    # Lengths and counts left None are computed.
    body = Container(
        table_id=7, flags=0, database_name_length=None, database_name="db",
        table_name_length=None, table_name="t", column_count=None,
        column_types=[MYSQL_TYPE_LONG, MYSQL_TYPE_VARCHAR, MYSQL_TYPE_NEWDECIMAL],
        metadata_length=None, metadata=[None, 300, {"precision": 10, "scale": 2}],
        null_bits=b"\x06",
        optional_metadata=[
            {"type": SIGNEDNESS, "length": None, "value": [True, False]},
            {"type": COLUMN_NAME, "length": None, "value": ["id", "name", "amount"]},
        ],
    )
    assert TableMapEvent.build(body, **MYSQL8) == h("""
        07 00 00 00 00 00  00 00    # table_id 7, flags
        02 6462 00  01 74 00        # "db", "t"
        03  03 0f f6                # 3 columns: LONG, VARCHAR, NEWDECIMAL
        04  2c 01  0a 02            # metadata: VARCHAR 300, DECIMAL(10,2)
        06                          # null bits
        01 01 80                    # SIGNEDNESS: first numeric unsigned, second signed
        04 0f 02 6964 04 6e616d65 06 616d6f756e74   # COLUMN_NAME, 15 bytes
    """)


# -- properties --------------------------------------------------------------------

_ONE_BYTE = [4, 5, 17, 18, 19, 249, 250, 251, MYSQL_TYPE_BLOB, 255, 245, 242, 140]
_NO_META = [0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 14]
_STRING_REAL = [0xFE, 0xFD, 0xF7, 0xF8]

u8 = st.integers(0, 255)
names = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"),
                max_size=12)


@st.composite
def column(draw):
    kind = draw(st.sampled_from(["none", "one", "u16", "pair", "string"]))
    if kind == "none":
        return draw(st.sampled_from(_NO_META)), None
    if kind == "one":
        return draw(st.sampled_from(_ONE_BYTE)), draw(u8)
    if kind == "u16":
        return draw(st.sampled_from([MYSQL_TYPE_VARCHAR, 141])), draw(st.integers(0, 65535))
    if kind == "pair":
        if draw(st.booleans()):
            return MYSQL_TYPE_NEWDECIMAL, {"precision": draw(u8), "scale": draw(u8)}
        return 16, {"bits": draw(u8), "bytes": draw(u8)}
    real = draw(st.sampled_from(_STRING_REAL))
    return draw(st.sampled_from([MYSQL_TYPE_STRING, 253, 247, 248])), {
        "real_type": real, "length": draw(st.integers(0, 1023))}


lenencs = st.integers(0, 2**24)


def optional_field(column_types):
    numeric = sum(1 for t in column_types if t in NUMERIC_TYPES)
    default = st.fixed_dictionaries({
        "default_charset": lenencs,
        "charset_pairs": st.lists(st.fixed_dictionaries(
            {"column_index": lenencs, "charset": lenencs}), max_size=3)})
    ints = st.lists(lenencs, max_size=4)
    return st.one_of(
        st.builds(lambda v: {"type": 1, "value": v},
                  st.lists(st.booleans(), min_size=numeric, max_size=numeric)),
        st.builds(lambda v: {"type": 2, "value": v}, default),
        st.builds(lambda v: {"type": 3, "value": v}, ints),
        st.builds(lambda v: {"type": 4, "value": v}, st.lists(names, max_size=4)),
        st.builds(lambda t, v: {"type": t, "value": v}, st.sampled_from([5, 6]),
                  st.lists(st.lists(names, max_size=3), max_size=3)),
        st.builds(lambda t, v: {"type": t, "value": v}, st.sampled_from([7, 8, 11, 13]), ints),
        st.builds(lambda v: {"type": 9, "value": v}, st.lists(st.fixed_dictionaries(
            {"column_index": lenencs, "prefix_length": lenencs}), max_size=3)),
        st.builds(lambda v: {"type": 10, "value": v}, default),
        st.builds(lambda v: {"type": 12, "value": v},
                  st.lists(st.booleans(), min_size=len(column_types),
                           max_size=len(column_types))),
        st.builds(lambda t, v: {"type": t, "value": v}, st.integers(14, 255),
                  st.binary(max_size=8)),
    )


@st.composite
def table_maps(draw):
    columns = draw(st.lists(column(), max_size=8))
    types = [t for t, _ in columns]
    with_meta = draw(st.booleans()) or bool(columns)
    body = {
        "table_id": draw(st.integers(0, 2**48 - 1)),
        "flags": draw(st.integers(0, 65535)),
        "database_name": draw(names),
        "table_name": draw(names),
        "column_types": types,
        "metadata": [m for _, m in columns] if with_meta else None,
        "null_bits": draw(st.binary(min_size=(len(types) + 7) // 8,
                                    max_size=(len(types) + 7) // 8)) if with_meta else None,
        "optional_metadata": draw(st.lists(optional_field(types), max_size=5))
        if with_meta else [],
        "extra": b"",
    }
    return body


def _craftable(body):
    """``body`` with the derived lengths and counts given as None (computed)."""
    out = dict(body, database_name_length=None, table_name_length=None, column_count=None,
               metadata_length=None)
    out["optional_metadata"] = [dict(f, length=None) for f in body["optional_metadata"]]
    return out


def _normalized(body):
    out = {k: v for k, v in body.items() if not k.startswith("_")}
    out.pop("post_header_extra", None)
    for key in ("database_name_length", "table_name_length", "column_count", "metadata_length"):
        out.pop(key, None)
    out["optional_metadata"] = [{"type": f["type"], "value": f["value"]}
                                for f in out["optional_metadata"]]
    return out


@settings(max_examples=200)
@given(table_maps())
def test_table_map_value_round_trips(body):
    data = TableMapEvent.build(_craftable(body), **MYSQL8)
    assert _normalized(TableMapEvent.parse(data, **MYSQL8)) == body


@settings(max_examples=200)
@given(table_maps(), st.binary(max_size=40),
       st.sampled_from([MYSQL8, MARIADB, {**MYSQL8, "post_header_len": 10}]))
def test_table_map_bytes_round_trip_with_any_trailing_metadata(body, tail, params):
    if body["metadata"] is None:
        tail = b""  # without a metadata block, trailing bytes would be read as one
    data = TableMapEvent.build(_craftable(body), **params) + tail
    assert TableMapEvent.build(TableMapEvent.parse(data, **params), **params) == data


@given(st.integers(0, 2**32 - 1), st.lists(st.sampled_from(_NO_META), max_size=5))
def test_dev_tree_table_map_round_trips(table_id, types):
    body = {"table_id": table_id, "flags": 0, "database_name": "d", "table_name": "t",
            "column_types": types, "metadata": None, "null_bits": None,
            "optional_metadata": [], "extra": b""}
    data = TableMapEvent.build(_craftable(body), **DEV_5_1)
    assert len(data) == 6 + 3 + 3 + len(LenencInt.build(len(types))) + len(types)
    assert _normalized(TableMapEvent.parse(data, **DEV_5_1)) == body


def test_types_used_in_vectors_are_the_servers():
    assert (MYSQL_TYPE_TIMESTAMP2, MYSQL_TYPE_ENUM, MYSQL_TYPE_STRING) == (17, 247, 254)
