"""Binary JSON, JSON diffs and MySQL's JSON text (``mysqlproto.jsonbinary``).

Three sources of truth: hand-annotated vectors (one per type, field by field);
bytes MySQL 9.7.4 wrote, captured once from its binlog together with what the server
printed for them (``CAST(j AS CHAR)``, ``JSON_TYPE(j)``) and embedded below; and the
shared corpus (``json.binlog.000001`` with a PARTIAL_UPDATE_ROWS_EVENT, and
``03-mixed-types.binlog``), whose row images are walked by a small helper here.  A
``realserver`` test repeats the capture against a live MySQL 9.7 when one can run.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import random
import signal
import struct
import threading
import tracemalloc
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mysqlproto import jsonbinary
from mysqlproto.binlog import read_binlog
from mysqlproto.errors import DecodeError, UsageError
from mysqlproto.jsonbinary import (
    JSON_DOCUMENT_MAX_DEPTH,
    ArrayFromEnd,
    JsonDecimal,
    JsonDiff,
    JsonDiffOperation,
    JsonDiffRejected,
    JsonOpaque,
    JsonTimestamp,
    JsonUInt,
    _decode_json_checked,
    _decode_json_fast,
    _encode_container,
    apply_json_diff,
    decode_json,
    decode_json_diff,
    encode_json,
    encode_json_diff,
    format_json_path,
    parse_json_path,
    to_json_text,
)
from tests.corpus import CORPUS, require_corpus

REPLACE, INSERT, REMOVE = JsonDiffOperation.REPLACE, JsonDiffOperation.INSERT, \
    JsonDiffOperation.REMOVE


def h(text: str) -> bytes:
    """Hex with spaces and ``#`` comments, one field per line."""
    return bytes.fromhex("".join(line.split("#")[0] for line in text.splitlines()))


# -- annotated vectors ------------------------------------------------------------------

ANNOTATED = [
    ("literal null", h("04 00"), None),
    ("literal true", h("04 01"), True),
    ("literal false", h("04 02"), False),
    ("int16", h("""
        05      # JSONB_TYPE_INT16
        fe ff   # -2
    """), -2),
    ("int32", h("""
        07            # JSONB_TYPE_INT32
        00 80 00 00   # 32768: one past int16
    """), 32768),
    ("int64", h("""
        09                        # JSONB_TYPE_INT64
        ff ff ff 7f ff ff ff ff   # -2147483649: one below int32
    """), -2147483649),
    ("uint64", h("""
        0a                        # JSONB_TYPE_UINT64
        00 00 00 00 00 00 00 80   # 2**63: past int64
    """), JsonUInt(1 << 63)),
    ("uint16", h("""
        06      # JSONB_TYPE_UINT16 (from an unsigned column)
        07 00   # 7
    """), JsonUInt(7)),
    ("uint32", h("""
        08            # JSONB_TYPE_UINT32
        70 11 01 00   # 70000
    """), JsonUInt(70000)),
    ("double", h("""
        0b                        # JSONB_TYPE_DOUBLE
        00 00 00 00 00 00 f8 3f   # 1.5, IEEE 754 little-endian
    """), 1.5),
    ("string", h("""
        0c         # JSONB_TYPE_STRING
        05         # variable-length length: 5
        68 65 6c 6c 6f   # "hello"
    """), "hello"),
    ("string, 2-byte length", h("""
        0c      # JSONB_TYPE_STRING
        c8 01   # 7 bits per byte, low group first: 0x48 | 1 << 7 = 200
    """) + b"x" * 200, "x" * 200),
    ("small object", h("""
        00      # JSONB_TYPE_SMALL_OBJECT
        02 00   # element count 2
        1c 00   # size 28, from the count field to the end
        12 00   # key entry 0: key offset 18
        01 00   #              key length 1
        13 00   # key entry 1: key offset 19
        02 00   #              key length 2 ("b" sorts before "aa": shorter first)
        05      # value entry 0: INT16, inlined
        01 00   #                1
        0c      # value entry 1: STRING
        15 00   #                at offset 21
        62      # "b"
        61 61   # "aa"
        06 74 77 65 6e 74 79   # value of "aa": length 6, "twenty"
    """), {"b": 1, "aa": "twenty"}),
    ("small array", h("""
        02      # JSONB_TYPE_SMALL_ARRAY
        03 00   # element count 3
        13 00   # size 19
        04      # entry 0: LITERAL, inlined
        00 00   #          null
        07      # entry 1: INT32 is not inlined in the small format
        0d 00   #          at offset 13
        06      # entry 2: UINT16, inlined
        ff ff   #          65535
        a0 86 01 00   # 100000
        00 00   # pad: the size counts them, nothing points at them
    """), [None, 100000, JsonUInt(65535)]),
    ("large object", h("""
        01            # JSONB_TYPE_LARGE_OBJECT (MySQL would write this one small)
        01 00 00 00   # element count 1
        14 00 00 00   # size 20
        13 00 00 00   # key entry: key offset 19 (4 bytes in the large format)
        01 00         #            key length 1 (always 2 bytes)
        07            # value entry: INT32, inlined in the large format
        a0 86 01 00   #              100000
        6b            # "k"
    """), {"k": 100000}),
    ("large array", h("""
        03            # JSONB_TYPE_LARGE_ARRAY
        02 00 00 00   # element count 2
        16 00 00 00   # size 22
        08            # entry 0: UINT32, inlined
        ff ff ff ff   #          4294967295
        02            # entry 1: SMALL_ARRAY (a large container may hold small ones)
        12 00 00 00   #          at offset 18
        00 00 04 00   # the empty small array: count 0, size 4
    """), [JsonUInt(4294967295), []]),
    ("opaque DECIMAL", h("""
        0f      # JSONB_TYPE_OPAQUE
        f6      # MYSQL_TYPE_NEWDECIMAL
        04      # length 4
        03      # precision 3
        02      # scale 2
        81 32   # decimal2bin: 1 (1 byte, top bit flipped), 50 (1 byte)
    """), Decimal("1.50")),
    ("opaque DATE", h("""
        0f                        # JSONB_TYPE_OPAQUE
        0a                        # MYSQL_TYPE_DATE
        08                        # length 8
        00 00 00 00 00 44 a5 19   # ((2020*13+1) << 5 | 2) << 41
    """), datetime.date(2020, 1, 2)),
    ("opaque TIME", h("""
        0f                        # JSONB_TYPE_OPAQUE
        0b                        # MYSQL_TYPE_TIME
        08                        # length 8
        ff ff ff 05 91 cb ff ff   # -((838 << 12 | 59 << 6 | 58) << 24 | 1)
    """), -datetime.timedelta(hours=838, minutes=59, seconds=58, microseconds=1)),
    ("opaque DATETIME", h("""
        0f                        # JSONB_TYPE_OPAQUE
        0c                        # MYSQL_TYPE_DATETIME
        08                        # length 8
        40 e2 01 05 31 44 a5 19   # (ymd << 17 | 3 << 12 | 4 << 6 | 5) << 24 | 123456
    """), datetime.datetime(2020, 1, 2, 3, 4, 5, 123456)),
    ("opaque TIMESTAMP", h("""
        0f                        # JSONB_TYPE_OPAQUE
        07                        # MYSQL_TYPE_TIMESTAMP, same packing as DATETIME
        08                        # length 8
        08 00 00 87 51 08 a9 19   # 2021-03-04 05:06:07.000008
    """), JsonTimestamp(2021, 3, 4, 5, 6, 7, 8)),
    ("opaque other", h("""
        0f         # JSONB_TYPE_OPAQUE
        0f         # MYSQL_TYPE_VARCHAR (a VARBINARY value)
        03         # length 3
        01 02 ff   # the bytes
    """), JsonOpaque(15, b"\x01\x02\xff")),
]


@pytest.mark.parametrize("name, data, value", ANNOTATED, ids=[a[0] for a in ANNOTATED])
def test_annotated_vector_decodes(name, data, value):
    decoded = decode_json(data)
    assert decoded == value
    assert type(decoded) is type(value) or isinstance(value, Decimal)


CANONICAL = [a for a in ANNOTATED if "pad" not in a[0] and a[0] not in (
    "small array", "large object", "large array", "small object")]


@pytest.mark.parametrize("name, data, value", CANONICAL, ids=[a[0] for a in CANONICAL])
def test_annotated_vector_encodes(name, data, value):
    assert encode_json(value) == data


def test_small_array_encodes_without_the_padding():
    assert encode_json([None, 100000, JsonUInt(65535)]) == h("""
        02 03 00 11 00   # small array, 3 elements, 17 bytes
        04 00 00         # null, inlined
        07 0d 00         # int32 at offset 13
        06 ff ff         # uint16 65535, inlined
        a0 86 01 00      # 100000
    """)


def test_object_keys_are_written_sorted_by_length_then_bytes():
    data = encode_json({"aa": 1, "b": 2, "": 3, "ab": 4, "é": 5})
    assert list(decode_json(data)) == ["", "b", "aa", "ab", "é"]


def test_empty_column_value_is_json_null():
    # json_binary::parse_binary: INSERT IGNORE / non-strict sql_mode can store "".
    assert decode_json(b"") is None


def test_trailing_bytes_after_the_document_are_ignored_as_mysql_does():
    assert decode_json(h("05 01 00 ff ff")) == 1


def test_decoded_subclasses_compare_equal_to_plain_values():
    assert JsonUInt(7) == 7 and hash(JsonUInt(7)) == hash(7)
    assert JsonDecimal("1.50", 11) == Decimal("1.50")
    assert JsonTimestamp(2020, 1, 2) == datetime.datetime(2020, 1, 2)
    assert repr(JsonUInt(3)) == "JsonUInt(3)"


def test_plain_int_uses_signed_types_and_jsonuint_unsigned():
    assert encode_json(5) == h("05 05 00")
    assert encode_json(JsonUInt(5)) == h("06 05 00")
    assert encode_json(4294967296) == h("09 00 00 00 00 01 00 00 00")
    assert encode_json(JsonUInt(4294967296)) == h("0a 00 00 00 00 01 00 00 00")
    assert encode_json([JsonUInt(70000)]) == h("02 01 00 0b 00 08 07 00 70 11 01 00")


def test_plain_decimal_gets_the_precision_of_a_literal():
    # CAST(0.5 AS JSON) and CAST(1.50 AS JSON) in MySQL 9.7 (DOCS 51, 52 below).
    assert encode_json(Decimal("0.5")) == h("0f f6 04 02 01 80 05")
    assert encode_json(Decimal("1.50")) == h("0f f6 04 03 02 81 32")
    assert encode_json(JsonDecimal("1.50", 11)) == h("0f f6 07 0b 02 80 00 00 01 32")


def test_zero_date_stays_opaque_and_prints_as_mysql_does():
    zero = JsonOpaque(10, bytes(8))
    assert decode_json(encode_json(zero)) == zero
    assert to_json_text(zero) == '"0000-00-00"'
    assert to_json_text(JsonOpaque(12, bytes(8))) == '"0000-00-00 00:00:00.000000"'


def test_time_of_day_encodes_as_time():
    assert decode_json(encode_json(datetime.time(12, 34, 56))) == datetime.timedelta(
        hours=12, minutes=34, seconds=56)


@pytest.mark.parametrize("value", [
    float("nan"), float("inf"), {1: 2}, b"raw", object(), 1 << 64, -(1 << 63) - 1,
    JsonUInt(-1), Decimal("NaN"), Decimal("1E+70"), Decimal("1E-31"),
    JsonDecimal("123.45", 3), datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
    datetime.timedelta(hours=1024), "\ud800", JsonOpaque(256, b""),
])
def test_unencodable_values_raise_usage_error(value):
    with pytest.raises(UsageError):
        encode_json(value)


def test_key_longer_than_65535_bytes_is_refused():
    with pytest.raises(UsageError, match="JSON_KEY_TOO_BIG"):
        encode_json({"k" * 65536: 1})


# -- small vs large format ---------------------------------------------------------------


def _container_type(data: bytes) -> int:
    return data[0]


def test_container_switches_to_large_past_65535_bytes():
    assert _container_type(encode_json(["x" * 65500])) == 0x02
    assert _container_type(encode_json(["x" * 65530])) == 0x03
    assert _container_type(encode_json({"k": "x" * 65530})) == 0x01


def test_small_child_of_a_large_container_stays_small_and_large_parent_inlines_int32():
    data = encode_json(["x" * 70000, [1, 70000]])
    doc = decode_json(data)
    assert doc == ["x" * 70000, [1, 70000]]
    # large array; entry 1 is a SMALL_ARRAY
    assert data[0] == 0x03
    entry1 = 1 + 8 + 5
    assert data[entry1] == 0x02


def test_a_small_parent_grows_when_a_child_needs_the_large_format():
    # The outer array alone would fit, but a child that is large forces it large too.
    data = encode_json([["y" * 66000]])
    assert data[0] == 0x03 and data[1 + 8] == 0x03


# -- depth and bounds --------------------------------------------------------------------


def _nested_arrays(depth: int) -> bytes:
    """``depth`` small arrays each holding the next, built by hand."""
    inner = h("02 00 00 04 00")[1:]
    for _ in range(depth - 1):
        inner = struct.pack("<HH", 1, 7 + len(inner)) + h("02 07 00") + inner
    return b"\x02" + inner


def test_depth_100_decodes_and_101_is_refused():
    doc = decode_json(_nested_arrays(JSON_DOCUMENT_MAX_DEPTH))
    depth = 0
    while isinstance(doc, list):
        depth += 1
        doc = doc[0] if doc else None
    assert depth == JSON_DOCUMENT_MAX_DEPTH
    with pytest.raises(DecodeError, match="deeper"):
        decode_json(_nested_arrays(JSON_DOCUMENT_MAX_DEPTH + 1))


def test_encoding_and_printing_refuse_depth_101():
    value: list = []
    for _ in range(JSON_DOCUMENT_MAX_DEPTH):
        value = [value]
    with pytest.raises(UsageError):
        encode_json(value)
    with pytest.raises(UsageError):
        to_json_text(value)


def test_entries_sharing_one_value_cannot_expand_the_document():
    # Every entry of every level points at the same child: 40 levels of 2^n paths.
    level = h("02 00 00 04 00")[1:]
    for _ in range(40):
        body = struct.pack("<HH", 2, 4 + 6 + len(level)) + h("02 0a 00 02 0a 00") + level
        level = body
    with pytest.raises(DecodeError, match="expand"):
        decode_json(b"\x02" + level)


MALFORMED = [
    (h("00 01 00 0b 00 ff 00 01 00 05 01 00 6b"), "json$"),       # key offset past the end
    (h("02 01 00 07 00 0c 50 00"), "json$[0]"),                    # value offset past the end
    (h("02 01 00 07 00 0c 01 00"), "json$[0]"),                    # value offset into header
    (h("02 01 00 ff 00 04 00 00"), "json$"),                       # size past the buffer
    (h("02 05 00 07 00 04 00 00"), "json$"),                       # header bigger than size
    (h("0c 85"), "json$"),                                         # unterminated length
    (h("0c ff ff ff ff 7f"), "json$"),                             # length above 2**32-1
    (h("0c 05 61"), "json$"),                                      # string past the end
    (h("0c 02 c3 28"), "json$"),                                   # not UTF-8
    (h("04 07"), "json$"),                                         # bad literal
    (h("0d"), "json$"),                                            # unknown type
    (h("02 01 00 08 00 0e 07 00 00"), "json$[0]"),                 # unknown type inside
    (h("0f f6 04 03 02 81 ff"), "json$"),                          # decimal group > 99
    (h("0f f6 03 00 02 81"), "json$"),                             # precision 0
    (h("0f f6 03 03 02 81"), "json$"),                             # decimal too short
    (h("0f 0a 02 00 00"), "json$"),                                # packed date not 8 bytes
    (h("00 02 00 12 00 0e 00 01 00 0f 00 01 00 04 00 00 04 00 00 6b 6b"), "json$"),  # dup key
    (h("02 01 00 07 00 05"), "json$"),                             # value entry truncated
]


@pytest.mark.parametrize("data, field", MALFORMED)
def test_malformed_documents_raise_decode_error_naming_the_path(data, field):
    with pytest.raises(DecodeError) as info:
        decode_json(data)
    assert info.value.field == field


def test_error_path_quotes_member_names_as_mysql_paths_do():
    data = encode_json({"a b": ["ok", "x"]})
    bad = data.replace(b"\x01x", b"\x01\xff")
    with pytest.raises(DecodeError) as info:
        decode_json(bad)
    assert info.value.field == 'json$."a b"[1]'


# -- real bytes from MySQL 9.7.4 -----------------------------------------------------------

# (row id, SQL that produced the value, JSON_TYPE(j),
#  the column bytes as hex -- or (length, sha256) for the big ones --,
#  CAST(j AS CHAR) -- or (length, sha256)).
# Captured from a MySQL 9.7.4 binlog (WRITE_ROWS_EVENT, table (id INT PRIMARY KEY,
# j JSON)), sql_mode '' and time_zone '+00:00'; rows 64-75 come from a table of typed
# columns: d DECIMAL(10,2), u INT UNSIGNED, bu BIGINT UNSIGNED, ts TIMESTAMP(6),
# dt DATETIME(6), tm TIME(6), dd DATE, yr YEAR, b BIT(8), vb VARBINARY(10), f FLOAT,
# dbl DOUBLE, e ENUM, s SET, g GEOMETRY, ti TINYINT UNSIGNED, si SMALLINT,
# vc VARCHAR(10).
MYSQL_97_DOCS = [
    (0, "'{}'", 'OBJECT',
     '0000000400',
     '{}'),
    (1, "'[]'", 'ARRAY',
     '0200000400',
     '[]'),
    (2, "'null'", 'NULL',
     '0400',
     'null'),
    (3, "'true'", 'BOOLEAN',
     '0401',
     'true'),
    (4, "'false'", 'BOOLEAN',
     '0402',
     'false'),
    (5, "'0'", 'INTEGER',
     '050000',
     '0'),
    (6, "'-1'", 'INTEGER',
     '05ffff',
     '-1'),
    (7, "'32767'", 'INTEGER',
     '05ff7f',
     '32767'),
    (8, "'32768'", 'INTEGER',
     '0700800000',
     '32768'),
    (9, "'-32768'", 'INTEGER',
     '050080',
     '-32768'),
    (10, "'-32769'", 'INTEGER',
     '07ff7fffff',
     '-32769'),
    (11, "'65535'", 'INTEGER',
     '07ffff0000',
     '65535'),
    (12, "'65536'", 'INTEGER',
     '0700000100',
     '65536'),
    (13, "'2147483647'", 'INTEGER',
     '07ffffff7f',
     '2147483647'),
    (14, "'2147483648'", 'INTEGER',
     '090000008000000000',
     '2147483648'),
    (15, "'-2147483648'", 'INTEGER',
     '0700000080',
     '-2147483648'),
    (16, "'-2147483649'", 'INTEGER',
     '09ffffff7fffffffff',
     '-2147483649'),
    (17, "'4294967295'", 'INTEGER',
     '09ffffffff00000000',
     '4294967295'),
    (18, "'4294967296'", 'UNSIGNED INTEGER',
     '0a0000000001000000',
     '4294967296'),
    (19, "'9223372036854775807'", 'UNSIGNED INTEGER',
     '0affffffffffffff7f',
     '9223372036854775807'),
    (20, "'9223372036854775808'", 'UNSIGNED INTEGER',
     '0a0000000000000080',
     '9223372036854775808'),
    (21, "'18446744073709551615'", 'UNSIGNED INTEGER',
     '0affffffffffffffff',
     '18446744073709551615'),
    (22, "'-9223372036854775808'", 'INTEGER',
     '090000000000000080',
     '-9223372036854775808'),
    (23, "'1.5'", 'DOUBLE',
     '0b000000000000f83f',
     '1.5'),
    (24, "'0.1'", 'DOUBLE',
     '0b9a9999999999b93f',
     '0.1'),
    (25, "'1e300'", 'DOUBLE',
     '0b9c7500883ce4377e',
     '1e300'),
    (26, "'-0.0'", 'DOUBLE',
     '0b0000000000000080',
     '-0.0'),
    (27, "'1e15'", 'DOUBLE',
     '0b00003426f56b0c43',
     '1e15'),
    (28, "'1e14'", 'DOUBLE',
     '0b0000901ec4bcd642',
     '100000000000000.0'),
    (29, "'1e-7'", 'DOUBLE',
     '0b48afbc9af2d77a3e',
     '0.0000001'),
    (30, "'1e-15'", 'DOUBLE',
     '0b1656e79eaf03d23c',
     '0.000000000000001'),
    (31, "'1e-16'", 'DOUBLE',
     '0bbc89d897b2d29c3c',
     '1e-16'),
    (32, "'123456789012345678901234567890'", 'DOUBLE',
     '0b3e376cff90eef845',
     '1.2345678901234568e29'),
    (33, "'3.0'", 'DOUBLE',
     '0b0000000000000840',
     '3.0'),
    (34, "'-2.5e-300'", 'DOUBLE',
     '0b2f30b7b3a7c9ba81',
     '-2.5e-300'),
    (35, "'0.30000000000000004'", 'DOUBLE',
     '0b343333333333d33f',
     '0.30000000000000004'),
    (36, "'123456789.123'", 'DOUBLE',
     '0bb6f37d54346f9d41',
     '123456789.123'),
    (37, "'1.7976931348623157e308'", 'DOUBLE',
     '0bffffffffffffef7f',
     '1.7976931348623157e308'),
    (38, "'5e-324'", 'DOUBLE',
     '0b0100000000000000',
     '5e-324'),
    (39, '\'"hello"\'', 'STRING',
     '0c0568656c6c6f',
     '"hello"'),
    (40, '\'""\'', 'STRING',
     '0c00',
     '""'),
    (41, 'CONCAT(\'"\', REPEAT(\'x\', 200), \'"\')', 'STRING',
     '0cc8017878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878',
     '"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"'),
    (42, 'CONCAT(\'"\', REPEAT(\'y\', 20000), \'"\')', 'STRING',
     (20004, '0ce3c078057a4c2f29d87514ac1b2ea96eb53e33b239e0818e8c69d40c992f6e'),
     (20002, '3029b1269bcb31a0006016e995e2e44bf6b547e8963a13eb0dac232911d8d5b9')),
    (43, '\'"esc \\\\n \\\\" \\\\\\\\ \\\\u0001 \\\\u001f \\\\t\\\\b\\\\f\\\\r é 😀 /"\'', 'STRING',
     '0c1c657363200a2022205c2001201f2009080c0d20c3a920f09f9880202f',
     '"esc \\n \\" \\\\ \\u0001 \\u001f \\t\\b\\f\\r é 😀 /"'),
    (44, '\'{"a":1,"bb":2,"c":3,"aa":[1,2],"":0,"é":1,"z":2}\'', 'OBJECT',
     '000700480035000000350001003600010037000100380002003a0002003c000200050000050100050300050200023e0005020005010061637a61616262c3a902000a00050100050200',
     '{"": 0, "a": 1, "c": 3, "z": 2, "aa": [1, 2], "bb": 2, "é": 1}'),
    (45, '\'[1, 70000, -70000, 5000000000, -5000000000, true, false, null, "s", 1.5, {"k":"v"}, [], {}, 65535, -32768, 9223372036854775808]\'', 'ARRAY',
     '02100078000501000734000738000a3c000944000401000402000400000c4c000b4e00005600026400006800076c000500800a70007011010090eefeff00f2052a01000000000efad5feffffff0173000000000000f83f01000e000b0001000c0c006b01760000040000000400ffff00000000000000000080',
     '[1, 70000, -70000, 5000000000, -5000000000, true, false, null, "s", 1.5, {"k": "v"}, [], {}, 65535, -32768, 9223372036854775808]'),
    (46, 'CONCAT(\'["\', REPEAT(\'x\', 70000), \'", 1, 70000, -70000, 4294967295, true, null, {"a": [1, 70000]}]\')', 'ARRAY',
     (70086, '1c4dbb35b0ee5e09d07e9403f6506dbdba9ddfc9a3980607b07b92c35cc02a93'),
     (70065, 'dcf163a9ae7023b2ae28b7805f294cc1f959bedc2362128bd8da5da197d1d2b7')),
    (47, 'CONCAT(\'{"big": "\', REPEAT(\'z\', 66000), \'", "n": 70000, "m": -5, "u": 4294967295, "o": {"p": 1}}\')', 'OBJECT',
     (66094, '98e3316941a91d510db246f1e5d5ee68c282abe5de3374123cc6c321bf2a0ee4'),
     (66064, '620a3c7e4e47be578df2467906637ab06336c352504e0ba49ebcf8b0d81c8d62')),
    (48, "CONCAT(REPEAT('[', 100), REPEAT(']', 100))", 'ARRAY',
     (698, 'e2ea3d662370fd1e2a7e173cb5c3f15be98e0b1ebebf1f328c62ce38f201045e'),
     '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]'),
    (49, '\'{"key with space": 1, "a.b": 2, "$x": 3, "1a": 4, "a\\\\"q": 5}\'', 'OBJECT',
     '0005003f0027000200290002002b0003002e00030031000e0005030005040005050005020005010024783161612271612e626b65792077697468207370616365',
     '{"$x": 3, "1a": 4, "a\\"q": 5, "a.b": 2, "key with space": 1}'),
    (50, 'CAST(CAST(1.50 AS DECIMAL(10,2)) AS JSON)', 'DECIMAL',
     '0ff6070b028000000132',
     '1.50'),
    (51, 'CAST(0.5 AS JSON)', 'DECIMAL',
     '0ff60402018005',
     '0.5'),
    (52, 'CAST(1.50 AS JSON)', 'DECIMAL',
     '0ff60403028132',
     '1.50'),
    (53, 'CAST(-123.456 AS JSON)', 'DECIMAL',
     '0ff60606037f84fe37',
     '-123.456'),
    (54, 'JSON_ARRAY(CAST(-123.45600 AS DECIMAL(20,5)), CAST(0 AS DECIMAL(5,0)), CAST(12345678901234567890.123456789012 AS DECIMAL(65,12)), CAST(-0.000000001 AS DECIMAL(30,30)))', 'ARRAY',
     '0204004f000f10000f1b000f23000f3900f6090e057fffff84ff4ddff606090080000000f614270c8000000c149aa4350dfb38d2075bcd15000cf614271e7ffffffffffffffeffffffffffffffffffff',
     '[-123.45600, 0, 12345678901234567890.123456789012, -0.000000001000000000000000000000]'),
    (55, "CAST(DATE'2020-01-02' AS JSON)", 'DATE',
     '0f0a08000000000044a519',
     '"2020-01-02"'),
    (56, "CAST(TIME'-838:59:58.000001' AS JSON)", 'TIME',
     '0f0b08ffffff0591cbffff',
     '"-838:59:58.000001"'),
    (57, "CAST(TIME'12:34:56' AS JSON)", 'TIME',
     '0f0b08000000b8c8000000',
     '"12:34:56.000000"'),
    (58, "CAST(TIMESTAMP'2020-01-02 03:04:05.123456' AS JSON)", 'DATETIME',
     '0f0c0840e201053144a519',
     '"2020-01-02 03:04:05.123456"'),
    (59, "CAST(TIME'100:00:00.5' AS JSON)", 'TIME',
     '0f0b0820a1070040060000',
     '"100:00:00.500000"'),
    (60, "CAST(x'0102ff' AS JSON)", 'BLOB',
     '0f0f030102ff',
     '"base64:type15:AQL/"'),
    (61, "JSON_ARRAY(x'', CAST('abc' AS BINARY), REPEAT(x'00', 100))", 'ARRAY',
     '0203007a000f0d000f0f000f14000f000f036162630f6400000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000',
     '["base64:type15:", "base64:type15:YWJj", "base64:type15:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="]'),
    (62, "JSON_OBJECT('k', 1.0e0, 'f', CAST(1.5 AS FLOAT))", 'OBJECT',
     '000200240012000100130001000b14000b1c00666b000000000000f83f000000000000f03f',
     '{"f": 1.5, "k": 1.0}'),
    (64, 'JSON_ARRAY(d, u, bu, ts, dt, tm, dd, yr, b, vb, f, dbl, e, s, g, ti, si, vc) row 1', 'ARRAY',
     '0212002b010f3a000607000a43000f4b000f55000f5f000f690006e8070f73000f76000b7a000b82000c8a000c8c0000900006ff0005fdff0c2801f6070a028000000c22ffffffffffffffff0708080000875108a9190c083f420ffb7eff63190b0880e5f97cefffffff0a080000000000ba64191001050f02beef000000a09999b93f9a9999999999b93f016203612c6203009800190003001c00040020000b00002b000c7800027e0063727374797065636f6f7264696e6174657302004d001200040016000a000c20000025007479706570726f70657274696573046e616d65010028000b0004000c0f006e616d651875726e3a6f67633a6465663a6372733a4d7953514c3a3a3005506f696e7402001a000b0a000b1200000000000000f03f0000000000000040027663',
     '[12.34, 7, 18446744073709551615, "2021-03-04 05:06:07.000008", "1999-12-31 23:59:59.999999", "-01:02:03.400000", "2000-02-29", 2024, "base64:type16:BQ==", "base64:type15:vu8=", 0.10000000149011612, 0.1, "b", "a,b", {"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:MySQL::0"}}, "type": "Point", "coordinates": [1.0, 2.0]}, 255, -3, "vc"]'),
    (65, 'same, row 2', 'ARRAY',
     '0212007a000f3a00083f000605000400000f43000f4d000f57000600000f61000f64000b66000b6e000c76000c78000400000600000500000c7900f60302027e701101000c0800000000000000000b0800000000000000000a0800000000000000001001000f0000000040593e294659f3f8c21f6ea58101610000',
     '[-0.01, 70000, 5, null, "0000-00-00 00:00:00.000000", "00:00:00.000000", "0000-00-00", 0, "base64:type16:AA==", "base64:type15:", 1.0000000150474662e30, -1e-300, "a", "", null, 0, 0, ""]'),
    (74, "JSON_OBJECT('d', d, 'u', u, 'ts', ts, 'dd', dd) row 1", 'OBJECT',
     '0004004300200001002100010022000200240002000f26000607000f2f000f3900647564647473f6070a028000000c220a080000000000ba64190708080000875108a919',
     '{"d": 12.34, "u": 7, "dd": "2000-02-29", "ts": "2021-03-04 05:06:07.000008"}'),
    (75, 'same, row 2', 'OBJECT',
     '0004003900200001002100010022000200240002000f2600082b000f2f00040000647564647473f60302027e701101000a080000000000000000',
     '{"d": -0.01, "u": 70000, "dd": "0000-00-00", "ts": null}'),
]

# Python values for the documents stored only as hashes above.
BIG_VALUES = {
    42: "y" * 20000,
    46: ["x" * 70000, 1, 70000, -70000, 4294967295, True, None, {"a": [1, 70000]}],
    47: {"m": -5, "n": 70000, "o": {"p": 1}, "u": 4294967295, "big": "z" * 66000},
}


def _matches(expected, actual: bytes | str) -> bool:
    if isinstance(actual, str):
        actual = actual.encode()
    if isinstance(expected, tuple):
        length, digest = expected
        return len(actual) == length and hashlib.sha256(actual).hexdigest() == digest
    return actual == (bytes.fromhex(expected) if isinstance(expected, str) and
                      not expected.startswith(("{", "[", '"')) else expected)


def _mysql_bytes(row_id: int) -> bytes | None:
    for rid, _, _, data, _ in MYSQL_97_DOCS:
        if rid == row_id and isinstance(data, str):
            return bytes.fromhex(data)
    return None


@pytest.mark.parametrize("row_id, sql, json_type, data, text", MYSQL_97_DOCS,
                         ids=[f"row{d[0]}" for d in MYSQL_97_DOCS])
def test_mysql_97_document(row_id, sql, json_type, data, text):
    if isinstance(data, tuple):
        value = BIG_VALUES.get(row_id)
        if value is None:  # row 48: 100 nested arrays
            value = []
            for _ in range(99):
                value = [value]
        raw = encode_json(value)
        assert _matches(data, raw), "encode_json differs from MySQL's bytes"
    else:
        raw = bytes.fromhex(data)
    doc = decode_json(raw)
    assert encode_json(doc) == raw
    printed = to_json_text(doc)
    if isinstance(text, tuple):
        assert _matches(text, printed)
    else:
        assert printed == text


def test_mysql_97_decoded_values_and_types():
    values = {rid: decode_json(bytes.fromhex(d)) for rid, _, _, d, _ in MYSQL_97_DOCS
              if isinstance(d, str)}
    assert values[17] == 4294967295 and type(values[17]) is int
    assert values[18] == 4294967296 and type(values[18]) is JsonUInt  # UNSIGNED INTEGER
    assert values[26] == 0.0 and str(values[26]) == "-0.0"
    assert values[44] == {"": 0, "a": 1, "c": 3, "z": 2, "aa": [1, 2], "bb": 2, "é": 1}
    assert list(values[44]) == ["", "a", "c", "z", "aa", "bb", "é"]
    assert values[50] == Decimal("1.50") and values[50].precision == 11
    assert values[54] == [Decimal("-123.45600"), Decimal(0),
                          Decimal("12345678901234567890.123456789012"),
                          Decimal("-0.000000001000000000000000000000")]
    assert values[56] == -datetime.timedelta(hours=838, minutes=59, seconds=58,
                                             microseconds=1)
    assert values[59] == datetime.timedelta(hours=100, microseconds=500000)
    row1 = values[64]
    assert row1[:8] == [Decimal("12.34"), 7, 18446744073709551615,
                        JsonTimestamp(2021, 3, 4, 5, 6, 7, 8),
                        datetime.datetime(1999, 12, 31, 23, 59, 59, 999999),
                        -datetime.timedelta(hours=1, minutes=2, seconds=3, microseconds=400000),
                        datetime.date(2000, 2, 29), 2024]
    assert type(row1[3]) is JsonTimestamp and type(row1[4]) is datetime.datetime
    assert [type(v) for v in (row1[1], row1[7], row1[15], row1[16])] == [
        JsonUInt, JsonUInt, JsonUInt, int]  # INT UNSIGNED, YEAR, TINYINT UNSIGNED, SMALLINT
    assert row1[8] == JsonOpaque(16, b"\x05")  # BIT(8)
    assert row1[14] == {"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:MySQL::0"}},
                        "type": "Point", "coordinates": [1.0, 2.0]}
    assert values[65][4] == JsonOpaque(12, bytes(8))  # DATETIME 0000-00-00 00:00:00


# PARTIAL_UPDATE_ROWS_EVENT from the same server: binlog_row_image=FULL,
# binlog_row_value_options=PARTIAL_JSON, table p (id INT PRIMARY KEY, j JSON).
# (statement "UPDATE p SET j = <this>", before image of j, after image of j: the diffs).
MYSQL_97_PARTIAL = [
    ("JSON_SET(j, '$.a', 10)",
     '0004005b00200001002100010022000100230003000501000026000c3f00024500616273617272010019000b000100020c006303000d000501000502000503000573686f7274030016000c0d000c0f000c12000178027979037a7a7a',
     '0003242e6103050a00'),
    ("JSON_SET(j, '$.a', 'now a string')",
     '0004005b0020000100210001002200010023000300050a000026000c3f00024500616273617272010019000b000100020c006303000d000501000502000503000573686f7274030016000c0d000c0f000c12000178027979037a7a7a',
     '0003242e610e0c0c6e6f77206120737472696e67'),
    ("JSON_SET(j, '$.new', 'x')",
     '0004006800200001002100010022000100230003000c26000033000c4c000252006162736172720c6e6f77206120737472696e67010019000b000100020c006303000d000501000502000503000573686f7274030016000c0d000c0f000c12000178027979037a7a7a',
     '0105242e6e6577030c0178'),
    ("JSON_REPLACE(j, '$.arr[1]', 'a much longer string value here')",
     '00050074002700010028000100290001002a0003002d0003000c3000003d000c5600025c000c72006162736172726e65770c6e6f77206120737472696e67010019000b000100020c006303000d000501000502000503000573686f7274030016000c0d000c0f000c12000178027979037a7a7a0178',
     '0008242e6172725b315d210c1f61206d756368206c6f6e67657220737472696e672076616c75652068657265'),
    ("JSON_REMOVE(j, '$.arr[0]')",
     '00050091002700010028000100290001002a0003002d0003000c3000003d000c5600025c000c8f006162736172726e65770c6e6f77206120737472696e67010019000b000100020c006303000d000501000502000503000573686f7274030033000c0d000c0f000c2f0001781f61206d756368206c6f6e67657220737472696e672076616c75652068657265037a7a7a0178',
     '0208242e6172725b305d'),
    ('JSON_SET(j, \'$."key with space"\', 1)',
     '00050091002700010028000100290001002a0003002d0003000c3000003d000c5600025c000c8f006162736172726e65770c6e6f77206120737472696e67010019000b000100020c006303000d000501000502000503000573686f7274020033000c0f000c2f000c2f0001781f61206d756368206c6f6e67657220737472696e672076616c75652068657265037a7a7a0178',
     '0112242e226b657920776974682073706163652203050100'),
    ("JSON_REMOVE(j, '$.b.c[1]', '$.s')",
     '000600a1002e0001002f00010030000100310003003400030037000e000c45000052000c6b000271000c9f000501006162736172726e65776b657920776974682073706163650c6e6f77206120737472696e67010019000b000100020c006303000d000501000502000503000573686f727402002e000c0a000c2a001f61206d756368206c6f6e67657220737472696e672076616c75652068657265037a7a7a0178',
     '0208242e622e635b315d0203242e73'),
    ("JSON_SET(j, '$.arr[last]', 2.5, '$.b.c[0]', CAST(1.25 AS DECIMAL(5,2)))",
     '000500a1002e0001002f000100310003003400030037000e000c45000052000271000c9f00050100000c9f000501006162736172726e65776b657920776974682073706163650c6e6f77206120737472696e67010019000b000100020c006302000d000501000503000503000573686f727402002e000c0a000c2a001f61206d756368206c6f6e67657220737472696e672076616c75652068657265037a7a7a0178',
     '000b242e6172725b6c6173745d070ff604020182050008242e622e635b305d0a0ff6070b028000000119'),
    ("JSON_SET(j, '$.arr[5]', 'appended')",
     '0005009b002700010028000100290003002c0003002f000e000c3d00004a000269000c990005010061626172726e65776b657920776974682073706163650c6e6f77206120737472696e6701001f000b000100020c0063020013000f0a00050300f6070b028000000119020030000c0a000f2a001f61206d756368206c6f6e67657220737472696e672076616c75652068657265f604020182050178',
     '0108242e6172725b355d0a0c08617070656e646564'),
    ("JSON_REPLACE(j, '$.b', JSON_OBJECT('deep', JSON_ARRAY(1, 2)))",
     '000500a7002700010028000100290003002c0003002f000e000c3d00004a000269000ca50005010061626172726e65776b657920776974682073706163650c6e6f77206120737472696e6701001f000b000100020c0063020013000f0a00050300f6070b02800000011903003c000c0d000f2d000c33001f61206d756368206c6f6e67657220737472696e672076616c75652068657265f6040201820508617070656e6465640178',
     '0003242e621a00010019000b000400020f006465657002000a00050100050200'),
    ("JSON_SET(j, '$.a', NULL, '$.new', TRUE)",
     '000500a7002700010028000100290003002c0003002f000e000c3d00004a000269000ca50005010061626172726e65776b657920776974682073706163650c6e6f77206120737472696e67010019000b000400020f006465657002000a0005010005020002800000011903003c000c0d000f2d000c33001f61206d756368206c6f6e67657220737472696e672076616c75652068657265f6040201820508617070656e6465640178',
     '0003242e610204000005242e6e6577020401'),
    ('JSON_REMOVE(j, \'$."key with space"\')',
     '000500a7002700010028000100290003002c0003002f000e00040000004a0002690004010005010061626172726e65776b657920776974682073706163650c6e6f77206120737472696e67010019000b000400020f006465657002000a0005010005020002800000011903003c000c0d000f2d000c33001f61206d756368206c6f6e67657220737472696e672076616c75652068657265f6040201820508617070656e6465640178',
     '0212242e226b6579207769746820737061636522'),
]
MYSQL_97_PARTIAL_FINAL = '{"a": null, "b": {"deep": [1, 2]}, "arr": ["a much longer string value here", 2.5, "appended"], "new": true}'


def test_mysql_97_partial_updates_replay():
    doc = None
    for statement, before_hex, diff_hex in MYSQL_97_PARTIAL:
        before = decode_json(bytes.fromhex(before_hex))
        if doc is not None:
            # Applying the previous diffs gives what the server then had.
            assert to_json_text(doc) == to_json_text(before), statement
        diffs = decode_json_diff(bytes.fromhex(diff_hex))
        assert encode_json_diff(diffs) == bytes.fromhex(diff_hex)
        doc = apply_json_diff(before, diffs)
    assert to_json_text(doc) == MYSQL_97_PARTIAL_FINAL


def test_mysql_97_partial_update_diffs_decode():
    diffs = [decode_json_diff(bytes.fromhex(d)) for _, _, d in MYSQL_97_PARTIAL]
    assert diffs[0] == [JsonDiff(REPLACE, "$.a", 10)]
    assert diffs[2] == [JsonDiff(INSERT, "$.new", "x")]
    assert diffs[4] == [JsonDiff(REMOVE, "$.arr[0]")]
    assert diffs[5] == [JsonDiff(INSERT, '$."key with space"', 1)]
    assert diffs[6] == [JsonDiff(REMOVE, "$.b.c[1]"), JsonDiff(REMOVE, "$.s")]
    # The path is logged as written, [last] included; 2.5 is a DECIMAL literal.
    assert diffs[7] == [JsonDiff(REPLACE, "$.arr[last]", Decimal("2.5")),
                        JsonDiff(REPLACE, "$.b.c[0]", Decimal("1.25"))]
    assert diffs[8] == [JsonDiff(INSERT, "$.arr[5]", "appended")]
    assert diffs[10] == [JsonDiff(REPLACE, "$.a", None), JsonDiff(REPLACE, "$.new", True)]


def test_in_place_updated_documents_decode_though_not_canonical():
    # MySQL updates JSON in place: free space is left behind, offsets move, so
    # re-encoding gives the canonical bytes, not the stored ones.
    befores = [bytes.fromhex(b) for _, b, _ in MYSQL_97_PARTIAL]
    not_canonical = [b for b in befores if encode_json(decode_json(b)) != b]
    assert not_canonical
    for data in not_canonical:
        assert decode_json(encode_json(decode_json(data))) == decode_json(data)


def test_diff_vector_annotated():
    data = h("""
        00                  # REPLACE
        05                  # path length 5 (net_field_length)
        24 2e 61 67 65      # "$.age"
        03                  # value length 3
        05 1a 00            # binary JSON: int16 26
        02                  # REMOVE
        07                  # path length 7
        24 5b 6c 61 73 74 5d   # "$[last]"; REMOVE has no value
    """)
    assert decode_json_diff(data) == [JsonDiff(REPLACE, "$.age", 26),
                                      JsonDiff(REMOVE, "$[last]")]
    assert encode_json_diff(decode_json_diff(data)) == data


def test_diff_with_long_value_uses_a_three_byte_length():
    diff = JsonDiff(REPLACE, "$.k", "v" * 300)
    data = encode_json_diff([diff])
    assert data[:5] == h("00 03 24 2e 6b")
    assert data[5:8] == h("fc 2f 01")  # 0xfc + 2 bytes: 303 = 1 + 2 + 300
    assert decode_json_diff(data) == [diff]


@pytest.mark.parametrize("data, field", [
    (h("03 03 24 2e 61"), "json_diff[0].operation"),
    (h("00"), "json_diff[0].path_length"),
    (h("00 fb"), "json_diff[0].path_length"),
    (h("00 09 24 2e 61"), "json_diff[0].path"),
    (h("02 02 2e 61"), "json_diff[0].path"),
    (h("02 03 24 2e 2a"), "json_diff[0].path"),
    (h("02 03 24 ff 61"), "json_diff[0].path"),
    (h("00 03 24 2e 61"), "json_diff[0].value_length"),
    (h("00 03 24 2e 61 05 04 00"), "json_diff[0].value"),
    (h("02 03 24 2e 61 00 03 24 2e 61 02 04 09"), "json_diff[1].value:json$"),
])
def test_malformed_diffs_raise_decode_error(data, field):
    with pytest.raises(DecodeError) as info:
        decode_json_diff(data)
    assert info.value.field == field


# -- applying diffs ----------------------------------------------------------------------

DOC = {"a": 1, "arr": [10, 20, 30], "o": {"k": "v"}}


@pytest.mark.parametrize("diffs, expected", [
    ([JsonDiff(REPLACE, "$.a", [1])], {"a": [1], "arr": [10, 20, 30], "o": {"k": "v"}}),
    ([JsonDiff(REPLACE, "$.arr[last]", 0)], {"a": 1, "arr": [10, 20, 0], "o": {"k": "v"}}),
    ([JsonDiff(REPLACE, "$.arr[last-2]", 0)], {"a": 1, "arr": [0, 20, 30], "o": {"k": "v"}}),
    ([JsonDiff(INSERT, "$.arr[1]", 15)], {"a": 1, "arr": [10, 15, 20, 30], "o": {"k": "v"}}),
    ([JsonDiff(INSERT, "$.arr[99]", 99)], {"a": 1, "arr": [10, 20, 30, 99], "o": {"k": "v"}}),
    ([JsonDiff(INSERT, "$.arr[last]", 25)], {"a": 1, "arr": [10, 20, 25, 30],
                                              "o": {"k": "v"}}),
    ([JsonDiff(INSERT, "$.o.b", None)], {"a": 1, "arr": [10, 20, 30],
                                         "o": {"b": None, "k": "v"}}),
    ([JsonDiff(REMOVE, "$.arr[0]"), JsonDiff(REMOVE, "$.o")], {"a": 1, "arr": [20, 30]}),
    ([JsonDiff(REMOVE, "$ . arr [ last ]")], {"a": 1, "arr": [10, 20], "o": {"k": "v"}}),
    ([JsonDiff(INSERT, '$."x y"', 1), JsonDiff(REPLACE, '$."x y"', 2)],
     {"a": 1, "o": {"k": "v"}, "arr": [10, 20, 30], "x y": 2}),
])
def test_apply_json_diff(diffs, expected):
    result = apply_json_diff(DOC, diffs)
    assert result == expected
    assert list(result) == list(expected)  # members in MySQL's key order
    assert DOC == {"a": 1, "arr": [10, 20, 30], "o": {"k": "v"}}  # input untouched


@pytest.mark.parametrize("diff", [
    JsonDiff(REPLACE, "$.missing", 1),
    JsonDiff(REPLACE, "$.arr[3]", 1),
    JsonDiff(REPLACE, "$.a[0]", 1),        # no auto-wrapping
    JsonDiff(REPLACE, "$", 1),
    JsonDiff(INSERT, "$.a", 2),            # member exists
    JsonDiff(INSERT, "$.arr.k", 2),
    JsonDiff(INSERT, "$.o[0]", 2),
    JsonDiff(INSERT, "$.nope.k", 2),
    JsonDiff(REMOVE, "$.arr[3]"),
    JsonDiff(REMOVE, "$.missing"),
    JsonDiff(REMOVE, "$.a.b"),
    JsonDiff(REMOVE, "$.arr[*]"),
])
def test_apply_json_diff_rejects(diff):
    with pytest.raises(JsonDiffRejected):
        apply_json_diff(DOC, [diff])


# -- paths -------------------------------------------------------------------------------


@pytest.mark.parametrize("text, legs", [
    ("$", []),
    ("$.a", ["a"]),
    ("$.a[1]", ["a", 1]),
    ('$."key with space"', ["key with space"]),
    ('$."q\\"uote"', ['q"uote']),
    ("$[last]", [ArrayFromEnd(0)]),
    ("$[last-3]", [ArrayFromEnd(3)]),
    ("$.$x._y1", ["$x", "_y1"]),
    ("$.é", ["é"]),
])
def test_parse_json_path(text, legs):
    assert parse_json_path(text) == legs


@pytest.mark.parametrize("text", ["", "a", "$.", "$.1a", "$[", "$[x]", "$[1", "$.*", "$[*]",
                                  "$**.a", "$[1 to 2]", '$."open', "$[4294967296]"])
def test_parse_json_path_rejects(text):
    with pytest.raises(UsageError):
        parse_json_path(text)


def test_format_json_path_quotes_what_is_not_an_identifier():
    assert format_json_path(["a", 0, ArrayFromEnd(1), "a b", "1a", "é", 'q"'])  == \
        '$.a[0][last-1]."a b"."1a"."é"."q\\""'


# -- MySQL's text ------------------------------------------------------------------------


@pytest.mark.parametrize("value, text", [
    (1.0, "1.0"),
    (-0.0, "-0.0"),
    (1e15, "1e15"),
    (1e14, "100000000000000.0"),
    (123456789012345.6, "123456789012345.6"),
    (1234567890123456.7, "1234567890123456.8"),
    (1e16, "1e16"),
    (0.0001, "0.0001"),
    (1e-15, "0.000000000000001"),
    (1.5e-15, "0.0000000000000015"),
    (1e-16, "1e-16"),
    (-1.25e-100, "-1.25e-100"),
    (Decimal("-0.50"), "-0.50"),
    (Decimal("1E+3"), "1000"),
    ("tab\there\u0001", '"tab\\there\\u0001"'),
    ({"k": [1, JsonUInt(2)], "s": None}, '{"k": [1, 2], "s": null}'),
    (JsonOpaque(253, b"text"), '"text"'),   # VAR_STRING prints as a string
    (JsonOpaque(246, b"\x00"), '"base64:type246:AA=="'),   # not a decimal: base64
    (datetime.timedelta(days=2, seconds=1), '"48:00:01.000000"'),
    (JsonTimestamp(1970, 1, 1), '"1970-01-01 00:00:00.000000"'),
])
def test_to_json_text(value, text):
    assert to_json_text(value) == text


# -- properties --------------------------------------------------------------------------

keys = st.text(max_size=6)
scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(-(1 << 63), (1 << 64) - 1),
    st.integers(0, (1 << 64) - 1).map(JsonUInt),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.decimals(allow_nan=False, allow_infinity=False, places=4,
                min_value=Decimal("-1e20"), max_value=Decimal("1e20")),
    st.dates(),
    st.datetimes(),
    st.datetimes().map(lambda d: JsonTimestamp(d.year, d.month, d.day, d.hour, d.minute,
                                               d.second, d.microsecond)),
    st.timedeltas(min_value=-datetime.timedelta(hours=1023),
                  max_value=datetime.timedelta(hours=1023)),
    st.builds(JsonOpaque, st.sampled_from([15, 16, 252, 253, 255]), st.binary(max_size=20)),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=5),
                               st.dictionaries(keys, children, max_size=5)),
    max_leaves=25,
)


def _same(a, b) -> bool:
    """Equal, with the types that carry wire meaning checked too."""
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, float):
        return isinstance(b, float) and struct.pack("<d", a) == struct.pack("<d", b)
    if isinstance(a, JsonUInt | JsonTimestamp) or type(a) is datetime.datetime:
        return type(a) is type(b) and a == b
    if isinstance(a, Decimal):
        return isinstance(b, Decimal) and a.as_tuple() == b.as_tuple()
    return a == b


def _mysql_order(value):
    if isinstance(value, dict):
        ordered = sorted(value.items(), key=lambda kv: (len(kv[0].encode()), kv[0].encode()))
        return {k: _mysql_order(v) for k, v in ordered}
    if isinstance(value, list):
        return [_mysql_order(v) for v in value]
    return value


@given(json_values)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_decode_encode_round_trip(value):
    data = encode_json(value)
    decoded = decode_json(data)
    assert _same(_mysql_order(value), decoded)
    assert encode_json(decoded) == data


plain_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(1 << 63), (1 << 63) - 1),
              st.text(max_size=10)),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=4), children, max_size=4)),
    max_leaves=15,
)


@given(plain_json)
def test_text_of_plain_values_parses_back(value):
    assert json.loads(to_json_text(value)) == value


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_double_text_parses_back_to_the_same_double(number):
    assert float(to_json_text(number)) == number


legs = st.lists(st.one_of(st.text(max_size=6), st.integers(0, 1000),
                          st.integers(0, 5).map(ArrayFromEnd)), max_size=5)


@given(legs)
def test_path_format_parse_round_trip(path_legs):
    assert parse_json_path(format_json_path(path_legs)) == path_legs


diffs = st.lists(st.builds(
    lambda op, path_legs, value: JsonDiff(op, format_json_path(path_legs),
                                          None if op == REMOVE else value),
    st.sampled_from(list(JsonDiffOperation)), legs, json_values), max_size=4)


@given(diffs)
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
def test_diff_round_trip(diff_list):
    data = encode_json_diff(diff_list)
    decoded = decode_json_diff(data)
    assert len(decoded) == len(diff_list)
    for mine, back in zip(diff_list, decoded, strict=True):
        assert (back.operation, back.path) == (mine.operation, mine.path)
        assert _same(_mysql_order(mine.value), back.value)
    assert encode_json_diff(decoded) == data


# -- mutation: bad bytes raise DecodeError and nothing else ---------------------------------

MUTATION_SEEDS = [a[1] for a in ANNOTATED] + [
    bytes.fromhex(d) for _, _, _, d, _ in MYSQL_97_DOCS if isinstance(d, str)]
DIFF_SEEDS = [bytes.fromhex(d) for _, _, d in MYSQL_97_PARTIAL]


def _decode_or_decode_error(decode, data: bytes) -> None:
    try:
        decode(data)
    except DecodeError:
        pass


@pytest.mark.parametrize("decode, seeds", [(decode_json, MUTATION_SEEDS),
                                           (decode_json_diff, DIFF_SEEDS)],
                         ids=["document", "diff"])
def test_every_truncation_raises_only_decode_error(decode, seeds):
    for seed in seeds:
        for cut in range(len(seed)):
            _decode_or_decode_error(decode, seed[:cut])


@pytest.mark.parametrize("decode, seeds", [(decode_json, MUTATION_SEEDS),
                                           (decode_json_diff, DIFF_SEEDS)],
                         ids=["document", "diff"])
def test_every_single_byte_flip_raises_only_decode_error(decode, seeds):
    for seed in seeds:
        for pos in range(min(len(seed), 120)):
            for flip in (0x01, 0x80, 0xFF):
                mutated = bytearray(seed)
                mutated[pos] ^= flip
                _decode_or_decode_error(decode, bytes(mutated))


@given(st.sampled_from(MUTATION_SEEDS), st.lists(st.tuples(st.integers(0, 1 << 20),
                                                           st.integers(0, 255)), max_size=6))
@settings(max_examples=400)
def test_random_byte_changes_raise_only_decode_error(seed, changes):
    mutated = bytearray(seed)
    for pos, byte in changes:
        mutated[pos % len(mutated)] = byte
    _decode_or_decode_error(decode_json, bytes(mutated))


@given(st.binary(max_size=64))
@settings(max_examples=400)
def test_random_bytes_raise_only_decode_error(data):
    _decode_or_decode_error(decode_json, data)
    _decode_or_decode_error(decode_json_diff, data)


# -- the fast decoder: the checked decoder's values and errors, exactly ---------------------
#
# decode_json tries jsonbinary._decode_json_fast first and hands any failure to the
# checked decoder (_decode_json_checked).  So: on good bytes the fast decoder must
# succeed with the checked decoder's value (else every row pays for both); on any bytes
# it may only return what the checked decoder returns; and decode_json must return or
# raise exactly what the checked decoder does.


def _canon(value):
    """A value with the types that carry meaning spelled out; NaN equal to itself."""
    if isinstance(value, dict):
        return ("dict", tuple((k, _canon(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", tuple(_canon(v) for v in value))
    if isinstance(value, float):
        return ("float", struct.pack("<d", value))
    if isinstance(value, Decimal):
        return (type(value), value.as_tuple(), getattr(value, "precision", None))
    return (type(value), value)


def _outcome(decode, data: bytes):
    try:
        return ("value", _canon(decode(data)))
    except Exception as exc:  # noqa: BLE001 -- compared, not swallowed
        return ("error", type(exc), str(exc), getattr(exc, "field", None))


def _assert_decoders_agree(data: bytes) -> None:
    """decode_json == the checked decoder; the fast one returns the same or raises."""
    checked = _outcome(_decode_json_checked, data) if data else ("value", _canon(None))
    assert _outcome(decode_json, data) == checked
    if checked[0] == "error":
        assert issubclass(checked[1], DecodeError), checked
    if data:
        fast = _outcome(_decode_json_fast, data)
        if fast[0] == "value":
            assert fast == checked


def _encode_large(value) -> bytes:
    """``value`` with its top container in the large format, as MySQL may leave it."""
    is_object = isinstance(value, dict)
    jtype = 0x01 if is_object else 0x03
    return bytes([jtype]) + _encode_container(value, is_object, True, 1)


def _assert_fast_decodes(data: bytes, value) -> None:
    fast = _decode_json_fast(data)  # no fallback: it must not fail on good bytes
    checked = _decode_json_checked(data)
    assert _canon(fast) == _canon(checked)
    assert _same(_mysql_order(value), fast)
    assert _canon(decode_json(data)) == _canon(fast)


@given(json_values)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_fast_decoder_gives_the_checked_decoders_values(value):
    _assert_fast_decodes(encode_json(value), value)


@given(st.one_of(st.lists(json_values, max_size=8),
                 st.dictionaries(keys, json_values, max_size=8)))
@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
def test_fast_decoder_reads_the_large_format_too(value):
    _assert_fast_decodes(_encode_large(value), value)


many_scalars = st.lists(scalars, min_size=60, max_size=150)


@given(st.one_of(many_scalars, st.dictionaries(st.text(max_size=8), scalars, min_size=60,
                                               max_size=150)))
@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
def test_fast_decoder_reads_containers_of_many_elements(value):
    _assert_fast_decodes(encode_json(value), value)
    _assert_fast_decodes(_encode_large(value), value)


@given(json_values, st.integers(65536, 70000), st.booleans())
@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
def test_fast_decoder_reads_containers_past_64_kib(value, filler, as_object):
    # The filler makes the outer container large; int32s get inlined in it.
    value = ({"filler": "f" * filler, "v": value, "n": [-70000, 70000, JsonUInt(70000)]}
             if as_object else ["f" * filler, value, -70000, JsonUInt(4294967295)])
    data = encode_json(value)
    assert data[0] in (0x01, 0x03)
    _assert_fast_decodes(data, value)


@pytest.mark.parametrize("name, data, value", ANNOTATED, ids=[a[0] for a in ANNOTATED])
def test_fast_decoder_decodes_the_annotated_vectors(name, data, value):
    _assert_fast_decodes(data, value)


def test_fast_decoder_decodes_mysql_97_bytes():
    for _, _, _, data, _ in MYSQL_97_DOCS:
        if isinstance(data, str):
            raw = bytes.fromhex(data)
            assert _canon(_decode_json_fast(raw)) == _canon(_decode_json_checked(raw))


@pytest.mark.parametrize("length", [0, 1, 127, 128, 129, 16383, 16384, 16385, 70000])
def test_fast_decoder_reads_every_size_of_string_length(length):
    # 1, 2 and 3 bytes of variable-length length, ASCII and two-byte characters
    value = {"a": "s" * length, "é" * min(length, 30000): ["é" * length, "t" * length]}
    _assert_fast_decodes(encode_json(value), value)


def _value_in_the_header(child_type: int, byte: int, pad: int) -> bytes:
    """An array whose entry 1 points at offset 6, inside entry 0 (which is int16)."""
    body = h(f"""
        05 00 {byte:02x}   # entry 0: INT16, inlined; its last byte starts the child
        {child_type:02x} 06 00   # entry 1: the child, at offset 6: inside entry 0
    """) + b"\x00" * pad
    return b"\x02" + struct.pack("<HH", 2, 4 + len(body)) + body


@pytest.mark.parametrize("child_type, byte, pad", [
    (0x00, 0x00, 2),  # an empty object: count 0, size 6
    (0x0c, 0x01, 2),  # a string of 1 byte
    (0x0b, 0x00, 8),  # a double
    (0x07, 0x00, 4),  # int32 (not inlined in the small format)
    (0x09, 0x00, 8),  # int64
    (0x0f, 0x0f, 16),  # an opaque VARCHAR of 15 bytes
])
def test_value_inside_the_entries_is_refused_by_both_decoders(child_type, byte, pad):
    data = _value_in_the_header(child_type, byte, pad)
    with pytest.raises(DecodeError, match="value offset 6 is outside the array"):
        _decode_json_checked(data)
    with pytest.raises(jsonbinary._Bail):
        _decode_json_fast(data)
    _assert_decoders_agree(data)


def test_value_past_its_entry_but_in_the_header_is_left_to_the_checked_decoder():
    # Entry 0 points at entry 1's bytes: past entry 0, which is all parse_binary asks.
    data = h("""
        02 02 00 0c 00   # small array, 2 elements, size 12
        0c 07 00         # entry 0: STRING at offset 7 -- entry 1's bytes
        04 00 00         # entry 1: null; as a string: length 4, then 00 00 61 62
        61 62            # "ab"
    """)
    assert _decode_json_checked(data) == ["\x00\x00ab", None]
    with pytest.raises(jsonbinary._Bail):  # stricter: MySQL writes values past the header
        _decode_json_fast(data)
    assert decode_json(data) == ["\x00\x00ab", None]


def test_known_keys_are_not_reused_by_a_container_of_another_header_size():
    # {"": 1} small: key entry (offset 11, length 0), header 11 -- remembered.  A large
    # object with that key entry has a 19-byte header, so its key is inside the header.
    assert decode_json(encode_json({"": 1})) == {"": 1}
    large = h("""
        01 01 00 00 00 13 00 00 00   # large object, 1 element, size 19
        0b 00 00 00 00 00            # key entry: offset 11, length 0
        05 01 00 00 00               # value entry: int16 1
    """)
    with pytest.raises(jsonbinary._Bail):
        _decode_json_fast(large)
    _assert_decoders_agree(large)
    with pytest.raises(DecodeError, match="outside the object's key area"):
        decode_json(large)


def test_fast_decoder_stops_at_the_depth_limit():
    deepest = _nested_arrays(JSON_DOCUMENT_MAX_DEPTH)
    assert _canon(_decode_json_fast(deepest)) == _canon(_decode_json_checked(deepest))
    with pytest.raises(jsonbinary._Bail):
        _decode_json_fast(_nested_arrays(JSON_DOCUMENT_MAX_DEPTH + 1))
    _assert_decoders_agree(_nested_arrays(JSON_DOCUMENT_MAX_DEPTH + 1))


def test_fast_decoder_keys_follow_the_bytes_not_the_shape():
    # Same key entries (one key of 2 bytes): the second object must not get "ab".
    assert decode_json(encode_json({"ab": 1})) == {"ab": 1}
    assert decode_json(encode_json({"cd": 1})) == {"cd": 1}
    assert decode_json(encode_json([{"ab": 1}, {"cd": 2}, {"ab": 3}])) == [
        {"ab": 1}, {"cd": 2}, {"ab": 3}]
    dup = encode_json({"a": 1, "b": 2}).replace(b"ab", b"aa")
    for _ in range(2):  # the second time with the key entries known
        with pytest.raises(DecodeError, match="duplicate key"):
            decode_json(dup)


def test_fast_decoder_caches_stay_bounded():
    for i in range(3000):
        decode_json(encode_json({"k" * (i % 70): [0] * (i % 90), "x" * (i % 13): i}))
    assert len(jsonbinary._FAST_KEYS) <= jsonbinary._FAST_KEYS_MAX
    for cache in jsonbinary._FAST_ENTRIES:
        assert len(cache) <= jsonbinary._FAST_ENTRIES_MAX_COUNT + 1


@pytest.mark.parametrize("data, field", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_documents_fail_the_fast_decoder_and_raise_the_checked_error(data, field):
    with pytest.raises(Exception):  # noqa: B017 -- whatever it raises, it does not decide
        _decode_json_fast(data)
    with pytest.raises(DecodeError) as checked:
        _decode_json_checked(data)
    with pytest.raises(DecodeError) as public:
        decode_json(data)
    assert (public.value.reason, public.value.field) == (checked.value.reason,
                                                         checked.value.field)
    # No trace of the fast decoder's failure: the same context as the checked error.
    assert repr(public.value.__context__) == repr(checked.value.__context__)


# Hostile documents: entries that share their bytes.  Each level of these holds
# ``fanout`` entries that all point at one child, so the tree has fanout**levels
# leaves; both decoders must stop on the budget, soon, without building the tree.


def _shared_levels(levels: int, fanout: int, leaf_type: int, leaf: bytes) -> bytes:
    child_type, child = leaf_type, leaf
    for _ in range(levels):
        header = 4 + 3 * fanout
        entries = (bytes([child_type]) + struct.pack("<H", header)) * fanout
        child_type, child = 0x02, struct.pack("<HH", fanout, header + len(child)) \
            + entries + child
    return bytes([child_type]) + child


def _shared_keys(count: int) -> bytes:
    """An object whose keys are the prefixes of one run of bytes: "a", "aa", "aaa"..."""
    header = 4 + 7 * count
    entries = b"".join(struct.pack("<HH", header, n + 1) for n in range(count))
    entries += (b"\x04" + b"\x00\x00") * count
    body = entries + b"a" * count
    return b"\x00" + struct.pack("<HH", count, 4 + len(body)) + body


HOSTILE = {
    "nested arrays": _shared_levels(4, 500, 0x02, h("01 00 07 00 04 00 00")),
    "long string": _shared_levels(2, 2000, 0x0c, b"\xa0\x1f" + b"s" * 4000),
    "short strings": _shared_levels(1, 20000, 0x0c, b"\x7f" + b"s" * 127),
    "huge string": _shared_levels(1, 15000, 0x0c, b"\x80\x80\x01" + b"s" * 16384),
    "opaque": _shared_levels(2, 2000, 0x0f, b"\x0f\xa0\x1f" + b"o" * 4000),
    "keys": _shared_keys(5000),
}


class _TooSlow(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Turn a runaway decode into a failure (SIGALRM; a no-op where there is none)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not \
            threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise _TooSlow(f"still decoding after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_shared_bytes_stop_both_decoders_on_the_budget(name):
    data = HOSTILE[name]
    assert len(data) < 65536
    tracemalloc.start()
    try:
        with _time_limit(10), pytest.raises(jsonbinary._Bail):
            _decode_json_fast(data)
        _, fast_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Without the budget these would build gigabytes; with it, a few times the input.
    assert fast_peak < 20 * len(data) + (1 << 20), fast_peak
    with _time_limit(10), pytest.raises(DecodeError, match="expand beyond") as checked:
        _decode_json_checked(data)
    with _time_limit(10), pytest.raises(DecodeError) as public:
        decode_json(data)
    assert str(public.value) == str(checked.value)


def test_unshared_version_of_the_hostile_shape_decodes():
    # One entry per level: nothing shared, within the budget, so the fast path takes it.
    data = _shared_levels(4, 1, 0x02, h("01 00 07 00 04 00 00"))
    assert _decode_json_fast(data) == [[[[[None]]]]]


# Mutations: documents bent field by field; the public decoder must stay the checked one.

def _fields(data: bytes) -> list[tuple[int, int]]:
    """(position, width) of each count, size, entry and length field of a good document."""
    fields = [(0, 1)]

    def value(pos: int, jtype: int) -> None:
        if jtype in (0x0c, 0x0f):
            fields.append((pos, 1))
            if jtype == 0x0f:
                fields.append((pos + 1, 1))
        if jtype > 0x03:
            return
        large = jtype in (0x01, 0x03)
        width, fmt = (4, "<I") if large else (2, "<H")
        (count,) = struct.unpack_from(fmt, data, pos)
        fields.extend([(pos, width), (pos + width, width)])
        entry = pos + 2 * width
        if jtype in (0x00, 0x01):
            for _ in range(count):
                fields.extend([(entry, width), (entry + width, 2)])
                entry += width + 2
        for _ in range(count):
            child = data[entry]
            fields.extend([(entry, 1), (entry + 1, width)])
            if child not in (0x04, 0x05, 0x06) and not (large and child in (0x07, 0x08)):
                value(pos + struct.unpack_from(fmt, data, entry + 1)[0], child)
            entry += 1 + width

    value(1, data[0])
    return fields


AGREEMENT_SEEDS = MUTATION_SEEDS + [
    encode_json({"id": 1, "name": "n1", "tags": ["x", "y"], "nested": {"ok": True,
                                                                       "score": 0.5}}),
    encode_json({"s": "é" * 70, "long": "l" * 200, "d": Decimal("-1.25"),
                 "t": datetime.time(1, 2, 3), "o": JsonOpaque(16, b"\x01")}),
    encode_json([{"a": i, "b": [i, -i, 70000 * i]} for i in range(3)]),
    encode_json(list(range(70))),
    _encode_large({"k": [1, 70000, -70000, JsonUInt(70000), "s"], "kk": {"x": None}}),
    _encode_large([True, 4294967295, -2147483648, 1.5, "str"]),
    _nested_arrays(JSON_DOCUMENT_MAX_DEPTH),
]


@st.composite
def mutated_documents(draw):
    data = bytearray(draw(st.sampled_from(AGREEMENT_SEEDS)))
    fields = _fields(bytes(data))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["field", "field", "field", "byte", "cut", "extend"]))
        if kind == "field" and data:
            pos, width = draw(st.sampled_from(fields))
            if pos + width > len(data):
                continue
            old = int.from_bytes(data[pos:pos + width], "little")
            new = draw(st.one_of(
                st.integers(0, (1 << 8 * width) - 1),
                st.integers(-8, 8).map(lambda d, old=old: old + d),
                st.sampled_from([0, 1, len(data) - pos, len(data), 0x7f, 0x80, 0xff,
                                 0xffff, 0xffffffff])))
            data[pos:pos + width] = (new % (1 << 8 * width)).to_bytes(width, "little")
        elif kind == "byte" and data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[draw(st.integers(0, len(data))):]
        elif kind == "extend":
            data += draw(st.binary(min_size=1, max_size=8))
    return bytes(data)


@given(mutated_documents())
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_documents_decode_exactly_as_the_checked_decoder_says(data):
    _assert_decoders_agree(data)


@given(st.sampled_from(AGREEMENT_SEEDS), st.integers(0, 1 << 16), st.binary(max_size=4))
@settings(max_examples=300, deadline=None)
def test_documents_with_bytes_inserted_decode_as_the_checked_decoder_says(seed, at, extra):
    at %= len(seed) + 1
    _assert_decoders_agree(seed[:at] + extra + seed[at:])


def test_every_truncation_and_flip_decodes_as_the_checked_decoder_says():
    for seed in AGREEMENT_SEEDS:
        for cut in range(len(seed)):
            _assert_decoders_agree(seed[:cut])
        for pos in range(min(len(seed), 200)):
            for flip in (0x01, 0x02, 0x80, 0xFF):
                mutated = bytearray(seed)
                mutated[pos] ^= flip
                _assert_decoders_agree(bytes(mutated))


# -- the corpus: JSON columns in real row images -------------------------------------------


def _net_field_length(data: bytes, pos: int) -> tuple[int, int]:
    first = data[pos]
    if first < 251:
        return first, pos + 1
    size = {0xFC: 2, 0xFD: 3, 0xFE: 8}[first]
    return int.from_bytes(data[pos + 1:pos + 1 + size], "little"), pos + 1 + size


def _bits(bitmap: bytes, count: int) -> list[bool]:
    return [bool(bitmap[i // 8] >> (i % 8) & 1) for i in range(count)]


def _column(data: bytes, pos: int, col_type: int, meta) -> tuple[bytes, int]:
    """One column value of the few types the corpus tables use: (raw, new pos)."""
    fixed = {1: 1, 2: 2, 3: 4, 8: 8, 9: 3, 4: 4, 5: 8}
    if col_type in fixed:
        return data[pos:pos + fixed[col_type]], pos + fixed[col_type]
    if col_type == 15:  # VARCHAR: 1 or 2 length bytes by max length
        width = 1 if meta < 256 else 2
        length = int.from_bytes(data[pos:pos + width], "little")
        return data[pos + width:pos + width + length], pos + width + length
    if col_type == 245:  # JSON: metadata = bytes of the length prefix (4)
        length = int.from_bytes(data[pos:pos + meta], "little")
        return data[pos + meta:pos + meta + length], pos + meta + length
    if col_type == 18:  # DATETIME2
        size = 5 + (meta + 1) // 2
        return data[pos:pos + size], pos + size
    raise AssertionError(f"column type {col_type} not handled by this helper")


def _row_images(event, table) -> list[list[dict[int, tuple[bytes | None, bool]]]]:
    """Rows of a rows event: each a list of images, each {column: (raw, is_partial)}.

    ``rpl_record.cc`` ``pack_row``: the after image of a PARTIAL_UPDATE_ROWS_EVENT
    opens with value_options (``net_field_length``) and, when PARTIAL_JSON_UPDATES is
    set, one bit per JSON column of the table; then the null bitmap over the columns
    present; then the values.
    """
    body = event.body
    types, metas = list(table.column_types), list(table.metadata)
    n = body.column_count
    bitmaps = [body.columns_present]
    if event.type_code in (31, 39):
        bitmaps.append(body.columns_present_after)
    json_columns = [i for i, t in enumerate(types) if t == 245]
    data, pos, rows = body.rows, 0, []
    while pos < len(data):
        images = []
        for k, bitmap in enumerate(bitmaps):
            partial = [False] * n
            if event.type_code == 39 and k == 1:
                options, pos = _net_field_length(data, pos)
                if options & 1:
                    flags = _bits(data[pos:], len(json_columns))
                    pos += (len(json_columns) + 7) // 8
                    for col, flag in zip(json_columns, flags, strict=True):
                        partial[col] = flag
            present = [i for i, bit in enumerate(_bits(bitmap, n)) if bit]
            nulls = _bits(data[pos:], len(present))
            pos += (len(present) + 7) // 8
            image = {}
            for col, is_null in zip(present, nulls, strict=True):
                if is_null:
                    image[col] = (None, False)
                    continue
                raw, pos = _column(data, pos, types[col], metas[col])
                image[col] = (raw, partial[col])
            images.append(image)
        rows.append(images)
    return rows


def _json_rows(path, table_name: str | None = None):
    tables = {}
    for event in read_binlog(path):
        if event.type_code == 19:
            tables[event.body.table_id] = event.body
        elif event.type_code in (30, 31, 32, 39):
            table = tables[event.body.table_id]
            if 245 in table.column_types and table_name in (None, table.table_name):
                for images in _row_images(event, table):
                    yield event.type_code, images


def test_corpus_json_binlog_documents_and_partial_update():
    require_corpus()
    path = CORPUS / "blackbeam__rust_mysql_common" / "json.binlog.000001"
    # t(id INT, json_col JSON, name VARCHAR(100) AS (json_col->>'$.name'),
    #   age INT AS (json_col->'$.age')): the generated columns check the decode.
    docs: dict[int, object] = {}
    seen = {30: 0, 31: 0, 39: 0}
    for code, images in _json_rows(path):
        seen[code] += 1
        (row_id,) = struct.unpack("<i", images[0][0][0])
        after = images[-1]
        raw, partial = after[1]
        if partial:
            assert code == 39
            diffs = decode_json_diff(raw)
            assert encode_json_diff(diffs) == raw
            assert [(d.operation, d.path) for d in diffs] == [(REPLACE, "$.age")]
            doc = apply_json_diff(docs[row_id], diffs)
        else:
            doc = decode_json(raw)
            assert encode_json(doc) == raw
        if code == 31:
            assert decode_json(images[0][1][0]) == docs[row_id]
        assert list(doc) == ["age", "data", "name"]
        assert doc["name"] == after[2][0].decode()
        assert doc["age"] == struct.unpack("<i", after[3][0])[0]
        docs[row_id] = doc
    assert seen == {30: 6, 31: 6, 39: 6}
    assert docs[1] == {"age": 26, "data": "x" * 10, "name": "Joe"}
    assert to_json_text(docs[3]) == '{"age": 42, "data": "zzzzzzzzzz", "name": "Pete"}'


def test_corpus_mixed_types_payloads():
    require_corpus()
    path = CORPUS / "avaitla__mysqlbinlog2parquet" / "03-mixed-types.binlog"
    payloads = []
    for _, images in _json_rows(path):
        for image in images:
            raw, partial = image[4]
            assert not partial
            if raw is None:
                payloads.append(None)
                continue
            doc = decode_json(raw)
            assert encode_json(doc) == raw
            payloads.append(to_json_text(doc))
    # Three inserts (the third with a NULL payload), then one update: before, after.
    assert payloads == ['{"k": 1}', "[1, 2, 3]", None, "[1, 2, 3]", "[1, 2, 3]"]


# -- live: MySQL 9.7 writes what encode_json writes -------------------------------------


def _as_text_parser_types(value):
    """What MySQL's JSON text parser makes of ints: unsigned above 2**32-1."""
    if isinstance(value, dict):
        return {k: _as_text_parser_types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_text_parser_types(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and value > 0xFFFFFFFF:
        return JsonUInt(value)
    return value


def _random_doc(rng: random.Random, depth: int = 0):
    kind = rng.randrange(10 if depth < 4 else 6)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.choice([0, -1, 32767, -32769, 65535, 70000, -(1 << 40), (1 << 32) - 1])
    if kind == 2:
        return rng.choice([0.5, -1e-7, 1e22, 3.0, 2.5e-310, 123456.789, 1e15, 1e-16])
    if kind == 3:
        return rng.choice(["", "é", "a\"b\\c\n", "x" * rng.randrange(300)])
    if kind == 4:
        return rng.uniform(-1e6, 1e6)
    if kind == 5:
        return rng.randrange(-(1 << 31), 1 << 31)
    if kind < 8:
        return [_random_doc(rng, depth + 1) for _ in range(rng.randrange(5))]
    return {rng.choice(["a", "bb", "c", "é", "key 1", ""]) + str(rng.randrange(3)):
            _random_doc(rng, depth + 1) for _ in range(rng.randrange(5))}


@pytest.mark.realserver
def test_live_mysql_97_writes_the_same_bytes(mysql_97):
    rng = random.Random(20240611)
    docs = [_random_doc(rng) for _ in range(200)] + [
        ["big" * 25000, {"n": [1, 70000, "s" * 10]}], {"k": list(range(40))}]
    mysql_97.reset()
    with mysql_97.connect() as conn, conn.cursor() as cursor:
        cursor.execute("SET SESSION binlog_row_image = 'FULL'")
        cursor.execute("CREATE DATABASE jb")
        cursor.execute("CREATE TABLE jb.t (id INT PRIMARY KEY, j JSON)")
        for i, doc in enumerate(docs):
            cursor.execute("INSERT INTO jb.t VALUES (%s, CAST(%s AS JSON))",
                           (i, to_json_text(doc)))
        cursor.execute("SELECT id, CAST(j AS CHAR) FROM jb.t ORDER BY id")
        texts = dict(cursor.fetchall())
        cursor.execute("FLUSH BINARY LOGS")
    found = {}
    for path in mysql_97.binlog_files():
        for _, images in _json_rows(path, "t"):
            (row_id,) = struct.unpack("<i", images[0][0][0])
            found[row_id] = images[0][1][0]
    assert sorted(found) == list(range(len(docs)))
    for i, doc in enumerate(docs):
        raw = found[i]
        decoded = decode_json(raw)
        assert decoded == _mysql_order(doc)
        assert encode_json(decoded) == raw
        assert to_json_text(decoded) == texts[i]
        # The text parser makes integers above 2**32-1 unsigned; wrap those.
        assert encode_json(_as_text_parser_types(doc)) == raw
