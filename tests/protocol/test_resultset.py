"""Result set packets: column count, column definitions, text and binary rows."""

from __future__ import annotations

import pytest
from construct import ConstructError, GreedyRange
from hypothesis import given
from hypothesis import strategies as st

from spec.protocol.binary import BinaryDatetime, BinaryTime, binary_value, null_bitmap
from spec.protocol.constants import Capability as C
from spec.protocol.constants import ColumnFlag, FieldType
from spec.protocol.resultset import (
    BinaryResultsetRow,
    ColumnCount,
    ColumnDefinition41,
    ColumnDefinition320,
    ComStmtPrepareOk,
    TextResultsetRow,
    binary_type,
)
from tests.protocol.strategies import (
    assert_bytes_round_trip,
    assert_value_round_trips,
    lenenc,
    raw,
    text,
    u8,
    u16,
    u24,
    u32,
)
from tests.protocol.test_commands import type_words, typed_values

P41 = C.CLIENT_PROTOCOL_41 | C.CLIENT_LONG_FLAG
EXT = P41 | C.MARIADB_CLIENT_EXTENDED_METADATA

# page_protocol_com_query_response_text_resultset: SELECT @@version_comment LIMIT 1
VERSION_COMMENT_COLUMN = bytes.fromhex(
    "03646566"        # catalog = "def"
    "00"              # schema = ""
    "00"              # table = ""
    "00"              # org_table = ""
    "11" + b"@@version_comment".hex() +  # name
    "00"              # org_name = ""
    "0c"              # length of the fixed fields = 12
    "0800"            # character_set = 8 (latin1_swedish_ci)
    "1c000000"        # column_length = 28
    "fd"              # type = MYSQL_TYPE_VAR_STRING
    "0000"            # flags
    "1f"              # decimals = 31 (not a fixed-point column)
    "0000"            # filler
)


def test_column_definition_41_doc_example():
    value = assert_bytes_round_trip(ColumnDefinition41, VERSION_COMMENT_COLUMN, capabilities=P41)
    assert (value.catalog, value.name, value.character_set) == ("def", "@@version_comment", 8)
    assert (value.column_length, value.type, value.decimals) == (
        28, FieldType.MYSQL_TYPE_VAR_STRING, 31)
    assert value.extended_metadata is None and value.default_values is None


def test_column_definition_41_field_list_default_value():
    data = VERSION_COMMENT_COLUMN + bytes.fromhex("03") + b"abc"  # COM_FIELD_LIST default
    value = assert_bytes_round_trip(ColumnDefinition41, data, capabilities=P41)
    assert value.default_values == b"abc"


def test_column_definition_41_mariadb_extended_metadata():
    data = (bytes.fromhex("03646566" "0474657374" "027431" "027431" "0164" "0164")
            + bytes.fromhex(
                "06"          # extended metadata: 6 bytes
                "01" "04" + b"json".hex() +  # MARIADB_FIELD_ATTR_FORMAT_NAME = "json"
                "0c" "2d00" "fcffffff" "fc" "9000" "00" "0000"))  # LONGTEXT, utf8mb4
    value = assert_bytes_round_trip(ColumnDefinition41, data, capabilities=EXT)
    assert [(e.type, e.value) for e in value.extended_metadata] == [(1, "json")]
    assert value.type == FieldType.MYSQL_TYPE_BLOB and value.flags == 0x90


def test_column_count_and_metadata_flag_order():
    assert_bytes_round_trip(ColumnCount, b"\x01", capabilities=P41)
    # the server writes the count first, then resultset_metadata (start_result_metadata)
    value = assert_bytes_round_trip(ColumnCount, bytes.fromhex("03" "01"),
                                    capabilities=P41 | C.CLIENT_OPTIONAL_RESULTSET_METADATA)
    assert (value.column_count, value.metadata_follows) == (3, 1)
    value = assert_bytes_round_trip(ColumnCount, bytes.fromhex("fc0001" "00"),
                                    capabilities=P41 | C.MARIADB_CLIENT_CACHE_METADATA)
    assert (value.column_count, value.metadata_follows) == (256, 0)


def test_column_definition_320():
    data = bytes.fromhex(
        "027431"      # table = "t1"
        "026964"      # name = "id"
        "03" "0b0000"  # column_length: 3 bytes, 11
        "01" "03"     # type: 1 byte, MYSQL_TYPE_LONG
        "03" "0342"   # flags: 3 bytes with CLIENT_LONG_FLAG: flags 0x4203
        "00"          # decimals
    )
    value = assert_bytes_round_trip(ColumnDefinition320, data, capabilities=C.CLIENT_LONG_FLAG)
    assert (value.table, value.name, value.column_length, value.type, value.flags) == (
        "t1", "id", 11, 3, 0x4203)
    short = bytes.fromhex("027431" "026964" "030b0000" "0103" "02" "03" "00")
    value = assert_bytes_round_trip(ColumnDefinition320, short, capabilities=0)
    assert value.flags == 3


def test_text_row_with_null():
    data = bytes.fromhex(
        "1c" + b"MySQL Community Server (GPL)".hex() +  # string<lenenc>
        "fb"          # NULL
        "00"          # ""
    )
    value = assert_bytes_round_trip(TextResultsetRow, data)
    assert value.column_values == [b"MySQL Community Server (GPL)", None, b""]


def test_binary_row_doc_example():
    # page_protocol_binary_resultset: one VAR_STRING column, "foobar"
    data = bytes.fromhex(
        "00"          # packet header
        "00"          # NULL bitmap, (1 + 7 + 2) / 8 = 1 byte
        "06" + b"foobar".hex()
    )
    value = assert_bytes_round_trip(BinaryResultsetRow, data,
                                    column_types=[FieldType.MYSQL_TYPE_VAR_STRING])
    assert value.column_values == [b"foobar"]


def test_binary_row_types_and_nulls():
    types = [FieldType.MYSQL_TYPE_LONGLONG | 0x8000, FieldType.MYSQL_TYPE_TINY,
             FieldType.MYSQL_TYPE_DOUBLE, FieldType.MYSQL_TYPE_NULL, FieldType.MYSQL_TYPE_DATE,
             FieldType.MYSQL_TYPE_NEWDECIMAL, FieldType.MYSQL_TYPE_FLOAT]
    data = bytes.fromhex(
        "00"
        "2000"                 # NULL bitmap, offset 2: column 3 (bit 5) is NULL
        "ffffffffffffffff"     # BIGINT UNSIGNED 18446744073709551615
        "ff"                   # TINYINT -1
        "000000000000f83f"     # DOUBLE 1.5
                               # NULL: nothing
        "04" "e707" "0c" "1f"  # DATE 2023-12-31
        "04" + b"3.14".hex() + # DECIMAL as string<lenenc>
        "0100c07f"             # FLOAT NaN with a payload: kept as bytes
    )
    value = assert_bytes_round_trip(BinaryResultsetRow, data, column_types=types)
    assert value.column_values[:4] == [2**64 - 1, -1, 1.5, None]
    assert (value.column_values[4].year, value.column_values[4].month, value.column_values[4].day) == (2023, 12, 31)
    assert value.column_values[5] == b"3.14"
    assert value.column_values[6] == bytes.fromhex("0100c07f")


def test_binary_row_needs_column_types():
    with pytest.raises(ConstructError, match="column_types"):
        BinaryResultsetRow.parse(b"\x00\x00")


def test_binary_temporal_length_must_be_one_the_server_accepts():
    with pytest.raises(ConstructError, match="length 9"):
        BinaryTime.parse(bytes.fromhex("09") + bytes(9))
    with pytest.raises(ConstructError, match="length 5"):
        BinaryDatetime.parse(bytes.fromhex("05") + bytes(5))


def test_binary_type_from_column_definition():
    column = ColumnDefinition41.parse(VERSION_COMMENT_COLUMN, capabilities=P41)
    assert binary_type(column) == FieldType.MYSQL_TYPE_VAR_STRING
    column.flags |= ColumnFlag.UNSIGNED_FLAG
    column.type = FieldType.MYSQL_TYPE_LONG
    assert binary_type(column) == FieldType.MYSQL_TYPE_LONG | 0x8000
    assert binary_value(binary_type(column)).parse(b"\xff\xff\xff\xff") == 2**32 - 1


def test_com_stmt_prepare_ok_doc_example():
    data = bytes.fromhex(
        "00"          # status
        "01000000"    # statement_id = 1
        "0100"        # num_columns = 1
        "0200"        # num_params = 2
        "00"          # reserved_1
        "0000"        # warning_count = 0
    )
    value = assert_bytes_round_trip(ComStmtPrepareOk, data, capabilities=P41)
    assert (value.statement_id, value.num_columns, value.num_params) == (1, 1, 2)
    assert value.metadata_follows is None
    meta = assert_bytes_round_trip(ComStmtPrepareOk, data + b"\x01",
                                   capabilities=P41 | C.CLIENT_OPTIONAL_RESULTSET_METADATA)
    assert meta.metadata_follows == 1
    old = assert_bytes_round_trip(ComStmtPrepareOk, data[:10], capabilities=P41)
    assert old.warning_count is None


# -- properties -------------------------------------------------------------------

caps_variants = st.sampled_from([0, P41, EXT, P41 | C.CLIENT_OPTIONAL_RESULTSET_METADATA,
                                 P41 | C.MARIADB_CLIENT_CACHE_METADATA])


@given(caps_variants, lenenc.filter(lambda n: n is not None), u8)
def test_column_count_round_trips(caps, count, flag):
    meta = caps & (C.CLIENT_OPTIONAL_RESULTSET_METADATA | C.MARIADB_CLIENT_CACHE_METADATA)
    assert_value_round_trips(ColumnCount, {"column_count": count,
                                           "metadata_follows": flag if meta else None},
                             capabilities=caps)


@st.composite
def column_definitions(draw):
    caps = draw(caps_variants)
    value = {
        "catalog": draw(text), "schema": draw(text), "table": draw(text),
        "org_table": draw(text), "name": draw(text), "org_name": draw(text),
        "extended_metadata_length": None, "extended_metadata": None,
        "fixed_length": draw(lenenc), "character_set": draw(u16),
        "column_length": draw(u32), "type": draw(u8), "flags": draw(u16),
        "decimals": draw(u8), "filler": draw(st.binary(min_size=2, max_size=2)),
        "default_values": draw(st.none() | raw),
    }
    if caps & C.MARIADB_CLIENT_EXTENDED_METADATA:
        from spec.protocol.resultset import ExtendedMetadataEntry

        entries = draw(st.lists(st.fixed_dictionaries({"type": u8, "value": text}),
                                max_size=3))
        value["extended_metadata"] = entries
        value["extended_metadata_length"] = len(GreedyRange(ExtendedMetadataEntry).build(entries))
    return caps, value


@given(column_definitions())
def test_column_definition_41_round_trips(case):
    caps, value = case
    assert_value_round_trips(ColumnDefinition41, value, capabilities=caps)


@given(st.booleans(), text, text, lenenc, u24, lenenc, u8, lenenc, u16, u8, st.none() | raw)
def test_column_definition_320_round_trips(long_flag, table, name, len1, length, len2,
                                           type_code, len3, flags, decimals, default):
    caps = C.CLIENT_LONG_FLAG if long_flag else 0
    value = {"table": table, "name": name, "length_of_column_length": len1,
             "column_length": length, "length_of_type": len2, "type": type_code,
             "length_of_flags": len3, "flags": flags if long_flag else flags & 0xFF,
             "decimals": decimals, "default_values": default}
    assert_value_round_trips(ColumnDefinition320, value, capabilities=caps)


@given(st.lists(st.none() | st.binary(max_size=300), max_size=6))
def test_text_row_round_trips(values):
    assert_value_round_trips(TextResultsetRow, {"column_values": values})


@st.composite
def binary_rows(draw):
    types = draw(st.lists(type_words, max_size=12))
    values = draw(typed_values(types))
    return types, {"header": 0, "null_bitmap": null_bitmap(values, offset=2), "column_values": values}


@given(binary_rows())
def test_binary_row_round_trips(case):
    types, value = case
    assert_value_round_trips(BinaryResultsetRow, value, column_types=types)


@given(caps_variants, u32, u16, u16, u8, st.none() | u16, u8)
def test_com_stmt_prepare_ok_round_trips(caps, stmt, columns, params, reserved, warnings,
                                         meta):
    with_meta = warnings is not None and caps & C.CLIENT_OPTIONAL_RESULTSET_METADATA
    value = {"status": 0, "statement_id": stmt, "num_columns": columns, "num_params": params,
             "reserved_1": reserved, "warning_count": warnings,
             "metadata_follows": meta if with_meta else None}
    assert_value_round_trips(ComStmtPrepareOk, value, capabilities=caps)
