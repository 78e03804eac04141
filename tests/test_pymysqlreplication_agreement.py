"""mysqlproto and python-mysql-replication decode the same real binlog alike -- or the
server says which of them is right.

On each real server: one table per column-type family, filled with edge values (NULL,
zero, negative, minimum and maximum, every fractional-second precision, zero dates,
every DECIMAL layout, BIT, ENUM/SET, JSON, utf8mb4 and other charsets, binary strings,
YEAR, GEOMETRY, MySQL's VECTOR); each row inserted, updated to the next row's values
and deleted, with ``binlog_row_image=FULL`` and ``binlog_row_metadata=FULL``.  Then:

- ours: the binlog files through ``read_binlog`` + ``TableMapTracker``;
- python-mysql-replication 1.0: ``BinLogStreamReader`` streaming the same binlog from
  the server, ``.rows`` of every rows event;
- the truth: ``SELECT`` of the table after the inserts and after the updates, in the
  server's text form (``time_zone`` '+00:00'; binary strings and GEOMETRY as ``HEX()``,
  BIT as ``col+0``, MySQL's JSON as ``CAST(col AS CHAR)``).

Every decoded value is turned into the server's text form (:func:`shown`); ours must
equal the SELECT everywhere.  python-mysql-replication's values are first brought to
our representation by these rules (:func:`as_ours`), which change the representation
only, never the value:

1. BIT: its string of '0'/'1' digits -> the int it spells (ours: int).
2. SET: a Python set -> frozenset; ``None`` whose ``none_sources`` entry is
   ``"empty set"`` -> the empty frozenset (it reports the empty set as None and says
   so in ``none_sources``).
3. TIMESTAMP: its naive datetime (``utcfromtimestamp``) -> the same instant, UTC-aware.
4. MySQL JSON: object keys and strings, which it gives as bytes -> str (UTF-8).
5. GEOMETRY: its raw bytes (SRID + WKB) and our :class:`~mysqlproto.geometry.Geometry`
   both shown as the hex of SRID + WKB, as ``HEX(col)`` prints it.
6. FLOAT: both widen the 4-byte float to a Python float; shown with 6 significant
   digits, as the server prints FLOAT.  DOUBLE: compared as floats.
7. Binary strings (BINARY, VARBINARY, BLOB): the empty value, which it gives as the str
   ``''`` (``b"".decode("binary")`` succeeds where a non-empty value raises
   LookupError and stays bytes) -> ``b""``.

Where python-mysql-replication still differs from the SELECT, the difference must be
one of :data:`PMR_GAPS` (each names the values and why), and the test prints which ones
it met.  VECTOR (MySQL 9): python-mysql-replication cannot parse the table map at all;
asserted on a table of its own.
"""

from __future__ import annotations

import datetime
import random
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import pymysql
import pytest

from conformance.servers import require_or_skip
from mysqlproto.binlog import read_binlog
from mysqlproto.geometry import Geometry
from mysqlproto.jsonbinary import to_json_text
from mysqlproto.rows import TableInfo, TableMapTracker, is_rows_event, rows_kind
from spec.binlog.events import table_map as tm
from spec.binlog.values import BINARY_COLLATION, ColumnDef, MySQLDate, MySQLDateTime

pytestmark = [pytest.mark.realserver, pytest.mark.slow]

SERVERS = ["mysql-9.7", "mariadb-11.8", "mariadb-10.11"]
SCHEMA = "pmr_agreement"
BOTH = frozenset({"mysql", "mariadb"})
MYSQL = frozenset({"mysql"})

# == the tables ========================================================================


@dataclass(frozen=True)
class Col:
    """A column: name, SQL type, and how the server shows it (``form``): ``text`` as
    SELECT prints it, ``hex`` (``HEX(col)``), ``bits`` (``col+0``), ``float``, ``json``
    (MySQL: ``CAST(col AS CHAR)``; MariaDB's JSON is text)."""

    name: str
    sql: str
    form: str = "text"

    def select(self, flavour: str) -> str:
        c = f"`{self.name}`"
        if self.form == "hex":
            return f"HEX({c})"
        if self.form == "bits":
            return f"{c} + 0"
        if self.form == "json" and flavour == "mysql":
            return f"CAST({c} AS CHAR)"
        return c


@dataclass(frozen=True)
class Row:
    values: tuple[str, ...]  # SQL expressions, one per column
    flavours: frozenset[str] = BOTH


@dataclass(frozen=True)
class Family:
    name: str
    columns: tuple[Col, ...]
    rows: tuple[Row, ...]
    flavours: frozenset[str] = BOTH
    sql_mode: str = ""
    pmr_reads_table_map: bool = True

    def rows_for(self, flavour: str) -> list[tuple[str, ...]]:
        return [r.values for r in self.rows if flavour in r.flavours]


def _rows(*rows, flavours=BOTH) -> tuple[Row, ...]:
    return tuple(Row(tuple(str(v) for v in r), flavours) for r in rows)


def _null(n: int) -> tuple[str, ...]:
    return ("NULL",) * n


def _q(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


_INT_TYPES = [("ti", "TINYINT", -128, 127), ("tu", "TINYINT UNSIGNED", 0, 255),
              ("si", "SMALLINT", -32768, 32767), ("su", "SMALLINT UNSIGNED", 0, 65535),
              ("mi", "MEDIUMINT", -8388608, 8388607), ("mu", "MEDIUMINT UNSIGNED", 0, 16777215),
              ("i", "INT", -2**31, 2**31 - 1), ("iu", "INT UNSIGNED", 0, 2**32 - 1),
              ("bi", "BIGINT", -2**63, 2**63 - 1), ("bu", "BIGINT UNSIGNED", 0, 2**64 - 1)]
INTS = Family("ints", tuple(Col(n, t) for n, t, _, _ in _INT_TYPES), _rows(
    [lo for *_, lo, _ in _INT_TYPES],
    [hi for *_, hi in _INT_TYPES],
    [(-1 if lo else 1) for *_, lo, _ in _INT_TYPES],
    [0] * 10,
    _null(10),
))

FLOATS = Family("floats", (Col("f", "FLOAT", "float"), Col("d", "DOUBLE", "float")), _rows(
    (0, 0), (-1.5, -1.5), (1.1, 2.2), (1.2345678, 0.1),
    ("3.40282e38", "1.7976931348623157e308"), ("-1.17549e-38", "-2.2250738585072014e-308"),
    _null(2),
))

_DECIMALS = [("d1", 1, 0), ("d52", 5, 2), ("d1010", 10, 10), ("d189", 18, 9), ("d300", 30, 0),
             ("d6530", 65, 30), ("d650", 65, 0), ("d94", 9, 4), ("d2010", 20, 10)]


def _dec_max(p: int, s: int) -> str:
    return ("9" * (p - s) or "0") + ("." + "9" * s if s else "")


DECIMALS = Family("decimals", (*(Col(n, f"DECIMAL({p},{s})") for n, p, s in _DECIMALS),
                               Col("du", "DECIMAL(10,2) UNSIGNED")), _rows(
    [*(_dec_max(p, s) for _, p, s in _DECIMALS), "99999999.99"],
    [*("-" + _dec_max(p, s) for _, p, s in _DECIMALS), "0"],
    [0] * 10,
    ["-1", "-0.01", "-0.0000000001", "-0.000000001", "1", "-12345.678", "1", "0.0001",
     "-1234567890.0123456789", "0.01"],
    ["3", "123.4", "0.5", "123456789.123456789", "-123456789012345678901234567890",
     "1" * 35 + "." + "1" * 30, "-" + "1" * 65, "-99999.9999", "1.0000000001", "12.5"],
    _null(10),
))

_FSPS = range(7)
_TEMPORAL_COLUMNS = (
    Col("d", "DATE"), Col("y", "YEAR"),
    *(Col(f"t{n}", f"TIME({n})") for n in _FSPS),
    *(Col(f"dt{n}", f"DATETIME({n})") for n in _FSPS),
    *(Col(f"ts{n}", f"TIMESTAMP({n}) NULL") for n in _FSPS),
)


def _temporal(date, year, time, dt, ts) -> list[str]:
    return [date, year, *[time] * 7, *[dt] * 7, *[ts] * 7]


TEMPORAL = Family("temporal", _TEMPORAL_COLUMNS, _rows(
    _temporal("'0000-00-00'", 0, "'00:00:00'", "'0000-00-00 00:00:00'", "'0000-00-00 00:00:00'"),
    _temporal("'1000-01-01'", 1901, "'-838:59:59'", "'1000-01-01 00:00:00'",
              "'1970-01-01 00:00:01'"),
    _temporal("'9999-12-31'", 2155, "'838:59:59'", "'9999-12-31 23:59:59'",
              "'2038-01-19 03:14:07'"),
    _temporal("'2024-02-29'", 2024, "'12:34:56.123456'", "'2024-02-29 12:34:56.123456'",
              "'2024-02-29 12:34:56.123456'"),
    _temporal("'2020-00-00'", 1999, "'-12:34:56.789012'", "'2020-00-00 10:11:12.5'",
              "'2001-09-09 01:46:40.000001'"),
    _temporal("'2020-01-00'", 2000, "'-00:00:00.5'", "'2020-01-00 00:00:00.999999'",
              "'1999-12-31 23:59:59.99'"),
    _temporal("'2001-02-03'", 1970, "'-00:00:01.000001'", "'2001-02-03 04:05:06.654321'",
              "'2000-01-01 00:00:00.1'"),
    _null(23),
))

# ALLOW_INVALID_DATES: days the month does not have (stored as written)
INVALID_DATES = Family("invalid_dates", (Col("d", "DATE"), Col("dt", "DATETIME(2)")), _rows(
    ("'2021-02-30'", "'2021-02-30 01:02:03.45'"), ("'2021-04-31'", "'2021-04-31 00:00:00'"),
    ("'2021-03-01'", "'2021-03-01 00:00:00'"), _null(2),
), sql_mode="ALLOW_INVALID_DATES")

STRINGS = Family("strings", (
    Col("c10", "CHAR(10) CHARACTER SET utf8mb4"), Col("c255", "CHAR(255) CHARACTER SET utf8mb4"),
    Col("v32", "VARCHAR(32) CHARACTER SET utf8mb4"),
    Col("v100", "VARCHAR(100) CHARACTER SET utf8mb4"),
    Col("l300", "VARCHAR(300) CHARACTER SET latin1"), Col("a20", "VARCHAR(20) CHARACTER SET ascii"),
    Col("m3", "VARCHAR(20) CHARACTER SET utf8mb3"),
    Col("gb", "VARCHAR(20) CHARACTER SET gbk"), Col("tt", "TINYTEXT CHARACTER SET utf8mb4"),
    Col("tx", "TEXT CHARACTER SET utf8mb4"), Col("mt", "MEDIUMTEXT CHARACTER SET utf8mb4"),
    Col("lt", "LONGTEXT CHARACTER SET latin1"),
), _rows(
    ["''"] * 12,
    ["'héllo'", "'wörld'", "'😀 emoji'", "'ünïcödé 😀'", "'café'", "'plain'",
     "'ü mb3'", "'中文'", "'😀'", "'é😀'", "'ñ'", "'ÿ latin1'"],
    ["'ab  '", "'  lead'", "'trail  '", "'tab\t'", "'x  '", "'sp '", "'q''uote'",
     "'back\\\\slash'", "'nl\\n'", "'\\0nul'", "'  '", "'é '"],
    ["'abcdefghij'", "REPEAT('ü', 255)", "REPEAT('😀', 32)", "REPEAT('é', 100)",
     "REPEAT('é', 300)", "REPEAT('a', 20)", "REPEAT('€', 20)",
     "REPEAT('中', 20)", "REPEAT('é', 127)", "REPEAT('😀', 16000)", "REPEAT('é', 70000)",
     "REPEAT('x', 70000)"],
    _null(12),
))

# apart: python-mysql-replication fails whole rows events on some utf16 values
UTF16 = Family("utf16", (Col("u", "VARCHAR(20) CHARACTER SET utf16"),), _rows(
    ["''"], ["'😀 utf16'"], ["' '"], ["'plain'"], ["REPEAT('ß', 20)"], ["NULL"],
))

BINARY = Family("binary", (
    Col("b4", "BINARY(4)", "hex"), Col("b1", "BINARY(1)", "hex"),
    Col("vb", "VARBINARY(300)", "hex"), Col("tb", "TINYBLOB", "hex"), Col("bl", "BLOB", "hex"),
    Col("mb", "MEDIUMBLOB", "hex"), Col("lb", "LONGBLOB", "hex"),
), _rows(
    ["x'00'"] * 7,
    ["x'0100'", "x'01'", "x'0100'", "x'0100'", "x'0100'", "x'0100'", "x'0100'"],
    ["x'ffffffff'", "x'ff'", "REPEAT(x'ff', 300)", "REPEAT(x'ff', 255)", "REPEAT(x'00ff', 300)",
     "REPEAT(x'00ff', 40000)", "REPEAT(x'ff00', 40000)"],
    ["''", "''", "''", "''", "''", "''", "''"],
    ["x'20202020'", "x'20'", "x'2000'", "x'c3a9'", "x'80'", "x'00'", "x'ffee'"],
    _null(7),
))

_ENUM300 = ",".join(f"'v{i}'" for i in range(1, 301))
_SET64 = ",".join(f"'m{i}'" for i in range(1, 65))
BITS_ENUMS_SETS = Family("bit_enum_set", (
    Col("b1", "BIT(1)", "bits"), Col("b10", "BIT(10)", "bits"), Col("b64", "BIT(64)", "bits"),
    Col("e", "ENUM('a','b','c')"), Col("e300", f"ENUM({_ENUM300})"), Col("s", "SET('x','y','z')"),
    Col("s64", f"SET({_SET64})"),
), _rows(
    ["b'0'", 0, 0, "''", "'v1'", "''", "''"],
    ["b'1'", 1023, 2**64 - 1, "'c'", "'v300'", "'x,y,z'", _q(",".join(f"m{i}" for i in range(1, 65)))],
    [1, 513, 1, "'b'", "'v256'", "'y'", "'m1,m64'"],
    ["b'1'", 1, 2**63, "'a'", "''", "'z,x'", "'m33'"],
    _null(7),
))

JSON = Family("json", (Col("j", "JSON", "json"),), (
    *_rows(["'{}'"], ["'[]'"], ["'null'"], ["'true'"], ["'false'"], [_q('"é😀 \\"q\\""')],
           ["'-9223372036854775808'"], ["'18446744073709551615'"], ["'1.5'"], ["'-0.25'"],
           ["'1e300'"], ["'3'"], [_q('{"a": [1, 2, {"b": null}], "é": "ü", "": 0}')],
           [_q('[1, "x", null, true, false, 1.25, -7, 65536, 4294967296]')],
           ["JSON_ARRAY(REPEAT('x', 70000), 1)"], ["NULL"]),
    # opaque scalars: MySQL keeps the SQL type of a value cast into JSON
    *_rows(["JSON_OBJECT('d', CAST('2020-01-02' AS DATE))"],
           ["JSON_OBJECT('t', CAST('-01:00:00.5' AS TIME(1)))"],
           ["JSON_OBJECT('t', CAST('12:00:00' AS TIME))"],
           ["JSON_OBJECT('dt', CAST('2020-01-02 03:04:05.6' AS DATETIME(1)))"],
           ["JSON_OBJECT('n', CAST(1.50 AS DECIMAL(5,2)))"],
           ["JSON_ARRAY(CAST(-12345.6789 AS DECIMAL(20,4)))"],
           ["JSON_OBJECT('bin', CAST(x'00ff' AS BINARY))"],
           ["JSON_OBJECT('bit', b'101')"],
           flavours=MYSQL),
))

GEOMETRY = Family("geometry", (
    Col("g", "GEOMETRY", "hex"), Col("p", "POINT", "hex"), Col("ls", "LINESTRING", "hex"),
    Col("pg", "POLYGON", "hex"), Col("gc", "GEOMETRYCOLLECTION", "hex"),
), _rows(
    ["ST_GeomFromText('POINT(1 2)')", "ST_GeomFromText('POINT(-1.5 0)')",
     "ST_GeomFromText('LINESTRING(0 0, 1 1, 2 0)')",
     "ST_GeomFromText('POLYGON((0 0, 4 0, 4 4, 0 4, 0 0), (1 1, 2 1, 2 2, 1 1))')",
     "ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1), LINESTRING(0 0, 1 1))')"],
    ["ST_GeomFromText('POINT(45 90)', 4326)", "ST_GeomFromText('POINT(1e300 -1e-300)')",
     "ST_GeomFromText('LINESTRING(1 2, 3 4)', 3857)",
     "ST_GeomFromText('POLYGON((0 0, 1 0, 1 1, 0 0))')",
     "ST_GeomFromText('GEOMETRYCOLLECTION()')"],
    _null(5),
))

VECTOR = Family("vector", (Col("v", "VECTOR(3)", "hex"),), _rows(
    ["STRING_TO_VECTOR('[1,2,3]')"], ["STRING_TO_VECTOR('[-1.5,0,3.4e38]')"], ["NULL"],
), flavours=MYSQL, pmr_reads_table_map=False)

FAMILIES = [INTS, FLOATS, DECIMALS, TEMPORAL, INVALID_DATES, STRINGS, UTF16, BINARY,
            BITS_ENUMS_SETS, JSON, GEOMETRY, VECTOR]

# == the server's text form =============================================================


def _fraction(usec: int, fsp: int) -> str:
    return "." + f"{usec:06d}"[:fsp] if fsp else ""


def shown(value, col: Col, column: ColumnDef):
    """A decoded value (in our representation) as the server's SELECT shows it."""
    if value is None:
        return None
    if col.form == "hex":
        if isinstance(value, Geometry):
            value = value.to_bytes()
        elif isinstance(value, list):  # VECTOR: little-endian float32s
            value = struct.pack(f"<{len(value)}f", *value)
        return bytes(value).hex().upper()
    if col.form == "float":
        return float(f"{value:.6g}") if column.type == tm.MYSQL_TYPE_FLOAT else float(value)
    if column.type == tm.MYSQL_TYPE_JSON:  # MySQL's binary JSON; MariaDB's JSON is text
        return to_json_text(value)
    if isinstance(value, bool):
        raise TypeError(f"bool {value!r} for a {col.sql} column")
    if isinstance(value, int):
        return f"{value:04d}" if column.type == tm.MYSQL_TYPE_YEAR else str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str):
        return value
    if isinstance(value, frozenset):
        order = column.set_values or ()
        return ",".join(m for m in order if m in value)
    if isinstance(value, datetime.timedelta):
        total = value // datetime.timedelta(microseconds=1)
        secs, usec = divmod(abs(total), 1_000_000)
        sign = "-" if total < 0 else ""
        return (f"{sign}{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"
                + _fraction(usec, column.fsp))
    if isinstance(value, datetime.datetime | MySQLDateTime):
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            value = value.astimezone(datetime.UTC)  # the session's time_zone is +00:00
        return (f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:"
                f"{value.minute:02d}:{value.second:02d}" + _fraction(value.microsecond,
                                                                     column.fsp))
    if isinstance(value, datetime.date | MySQLDate):
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    raise TypeError(f"{type(value).__name__} {value!r} for a {col.sql} column")


def shown_or_why(value, col: Col, column: ColumnDef):
    try:
        return shown(value, col, column)
    except Exception as exc:  # noqa: BLE001 - a value that has no text form is a finding
        return f"<cannot show {type(exc).__name__}: {exc}>"


def _json_strings(value):
    if isinstance(value, dict):
        return {_json_strings(k): _json_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_strings(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value


def as_ours(value, column: ColumnDef, none_source: str | None):
    """python-mysql-replication's value in our representation (rules 1-4 and 7 of the
    module docstring); GEOMETRY and FLOAT need none (rules 5-6 are in :func:`shown`)."""
    t = column.real_type
    if value is None:
        return frozenset() if none_source == "empty set" else None
    if t == tm.MYSQL_TYPE_BIT and isinstance(value, str):
        return int(value, 2)
    if t == tm.MYSQL_TYPE_SET and isinstance(value, set):
        return frozenset(value)
    if (t == tm.MYSQL_TYPE_TIMESTAMP2 and isinstance(value, datetime.datetime)
            and value.tzinfo is None):
        return value.replace(tzinfo=datetime.UTC)
    if t == tm.MYSQL_TYPE_JSON:
        return _json_strings(value)
    if column.charset == BINARY_COLLATION and value == "":
        return b""
    return value


# == python-mysql-replication's known gaps ===============================================


@dataclass
class PmrError:
    """A rows event whose ``.rows`` raised in python-mysql-replication."""

    error: str


@dataclass(frozen=True)
class Gap:
    """A documented way python-mysql-replication's value differs from the server's:
    ``matches(col, server, theirs_shown, theirs_raw)``."""

    name: str
    matches: Callable[[Col, object, object, object], bool]


def _type(col: Col) -> str:
    return col.sql.split("(")[0].split()[0].upper()


def _impossible_date(server) -> bool:
    """A date with month and day set that the calendar does not have (2021-02-30)."""
    if not isinstance(server, str) or "-00" in server[:10]:
        return False
    try:
        datetime.date.fromisoformat(server[:10])
    except ValueError:
        return True
    return False


def _zero_date_parts(server) -> bool:
    return isinstance(server, str) and ("0000-" in server[:5] or "-00" in server[:10])


JSON_NULL_IS_NONE = Gap(
    "a top-level JSON null decodes to None, the same as SQL NULL (ours gives JSON_NULL; "
    "SELECT shows 'null')",
    lambda col, server, shown_value, raw: col.form == "json" and server == "null"
    and shown_value is None)

PMR_GAPS = [
    JSON_NULL_IS_NONE,
    Gap("zero date or zero month/day (DATE, DATETIME) read as None: it makes a "
        "datetime.date/datetime and gives up ('out of date range' in none_sources)",
        lambda col, server, theirs, raw: _type(col) in ("DATE", "DATETIME") and raw is None
        and _zero_date_parts(server)),
    Gap("zero TIMESTAMP '0000-00-00 00:00:00' read as 1970-01-01 00:00:00 "
        "(utcfromtimestamp(0))",
        lambda col, server, theirs, raw: _type(col) == "TIMESTAMP"
        and str(server).startswith("0000-00-00") and str(theirs).startswith("1970-01-01")),
    Gap("YEAR 0000 read as 1900 (it adds 1900 to the stored 0)",
        lambda col, server, theirs, raw: _type(col) == "YEAR" and server == "0000"
        and raw == 1900),
    Gap("negative TIME with a fraction: the server stores the integer part and the "
        "fraction complemented together (my_time_packed_to_binary); it negates them "
        "apart, so -12:34:56.8 reads as -12:34:56.2",
        lambda col, server, theirs, raw: _type(col) == "TIME" and str(server).startswith("-")
        and "." in str(server) and isinstance(raw, datetime.timedelta)),
    Gap("BINARY(n): trailing 0x00 bytes dropped (the row image strips the padding; the "
        "column's length is not used to restore it)",
        lambda col, server, theirs, raw: _type(col) == "BINARY" and isinstance(theirs, str)
        and server.startswith(theirs) and set(server[len(theirs):]) == {"0"}),
    Gap("utf16 text (big-endian in the binlog) decoded as little-endian on MySQL and "
        "MariaDB 10.11 (PyMySQL's 'utf-16' mapping, no BOM) and as UTF-8 on MariaDB 11.8 "
        "(its utf16 collation id is not in its table, and it then assumes utf8): wrong "
        "characters, or UnicodeDecodeError from .rows for the whole rows event",
        lambda col, server, theirs, raw: "utf16" in col.sql.lower()
        and (isinstance(raw, str) or isinstance(raw, PmrError)
             and "UnicodeDecodeError" in raw.error)),
    Gap("invalid date under ALLOW_INVALID_DATES (2021-02-30): a DATE raises ValueError "
        "(datetime.date) from .rows, losing every value of its rows event; a DATETIME "
        "reads as None",
        lambda col, server, theirs, raw: isinstance(raw, PmrError)
        and "day is out of range" in raw.error
        or _type(col) == "DATETIME" and raw is None and _impossible_date(server)),
    Gap("JSON opaque DATE read as a datetime: shown as 'YYYY-MM-DD 00:00:00.000000'",
        lambda col, server, theirs, raw: col.form == "json" and isinstance(theirs, str)
        and theirs == re.sub(r'"(\d{4}-\d\d-\d\d)"', r'"\1 00:00:00.000000"', server)),
    Gap("JSON opaque TIME read as datetime.time: a negative TIME loses its sign",
        lambda col, server, theirs, raw: col.form == "json" and isinstance(theirs, str)
        and '"-' in server and theirs == server.replace('"-', '"')),
    Gap("JSON opaque BINARY/BIT (base64:type15 in the server's text) decoded as UTF-8 with "
        "errors='ignore': the bytes are lost",
        lambda col, server, theirs, raw: col.form == "json" and "base64:type" in str(server)
        and "base64:type" not in str(theirs)),
]


OURS_GAPS: list[Gap] = []
"""Where ours is known to lose information the SELECT shows (reported, not failed)."""


# == running ==============================================================================


def _create_and_fill(conn, family: Family, flavour: str) -> tuple[dict, dict]:
    """Create, insert, update (each row to the next row's values), delete; return the
    SELECT snapshots after the inserts and after the updates, by id."""
    table = f"`{SCHEMA}`.`{family.name}`"
    rows = family.rows_for(flavour)
    names = ", ".join(f"`{c.name}`" for c in family.columns)
    select = (f"SELECT id, {', '.join(c.select(flavour) for c in family.columns)} "
              f"FROM {table} ORDER BY id")
    with conn.cursor() as cur:
        cur.execute(f"SET SESSION sql_mode = {_q(family.sql_mode)}")
        cur.execute(f"CREATE TABLE {table} (id INT NOT NULL PRIMARY KEY, "
                    + ", ".join(f"`{c.name}` {c.sql}" for c in family.columns) + ")")
        for i, values in enumerate(rows, start=1):
            cur.execute(f"INSERT INTO {table} (id, {names}) VALUES ({i}, {', '.join(values)})")
        cur.execute(select)
        inserted = {int(r[0]): r[1:] for r in cur.fetchall()}
        for i in range(1, len(rows) + 1):
            values = rows[i % len(rows)]
            sets = ", ".join(f"`{c.name}` = {v}" for c, v in zip(family.columns, values,
                                                                 strict=True))
            cur.execute(f"UPDATE {table} SET {sets} WHERE id = {i}")
        cur.execute(select)
        updated = {int(r[0]): r[1:] for r in cur.fetchall()}
        cur.execute(f"DELETE FROM {table}")
    return inserted, updated


class OurEvent(NamedTuple):
    table: str
    kind: str
    changes: list  # RowChange
    info: TableInfo


class TheirEvent(NamedTuple):
    table: str
    kind: str
    rows: list | PmrError  # (before, after, before none_sources, after none_sources)


def _ours(paths: list[Path]) -> list[OurEvent]:
    """Every rows event of SCHEMA, decoded by us from the binlog files."""
    out = []
    for path in paths:
        tracker = TableMapTracker()
        for event in read_binlog(path):
            tracker.observe(event)
            if not is_rows_event(event):
                continue
            table = tracker.table_for(event)
            if table is not None and table.schema == SCHEMA:
                out.append(OurEvent(table.table, rows_kind(event.name), tracker.decode(event),
                                    table))
    return out


def _pmr_settings(server) -> dict:
    settings = {"host": server.host, "port": server.port, "user": server.user,
                "password": server.password}
    if server.auth_plugin == "caching_sha2_password":
        from conformance.servers.base import insecure_tls_context

        settings["ssl"] = insecure_tls_context()
    return settings


def _pmr(server, first_file: str, **filters) -> list[TheirEvent]:
    """Every rows event of SCHEMA as python-mysql-replication streams it; an event whose
    ``.rows`` raises holds a :class:`PmrError`."""
    from pymysqlreplication import BinLogStreamReader
    from pymysqlreplication.row_event import DeleteRowsEvent, UpdateRowsEvent, WriteRowsEvent

    # only_events: also spares it MariaDB 11's QUERY_EVENT status variables, which it
    # does not know (StatusVariableMismatch)
    stream = BinLogStreamReader(connection_settings=_pmr_settings(server),
                                server_id=random.randint(10_000, 2**31 - 1), blocking=False,
                                resume_stream=True, log_file=first_file, log_pos=4,
                                only_schemas=[SCHEMA],
                                only_events=[WriteRowsEvent, UpdateRowsEvent, DeleteRowsEvent],
                                **filters)
    kinds = {WriteRowsEvent: "write", UpdateRowsEvent: "update", DeleteRowsEvent: "delete"}
    out = []
    try:
        for event in stream:
            kind = kinds[type(event)]
            try:
                rows = event.rows
            except Exception as exc:  # noqa: BLE001 - recorded, compared as a gap
                out.append(TheirEvent(event.table, kind, PmrError(f"{type(exc).__name__}: "
                                                                  f"{exc}")))
                continue
            if kind == "update":
                images = [(r["before_values"], r["after_values"], r["before_none_sources"],
                           r["after_none_sources"]) for r in rows]
            elif kind == "write":
                images = [(None, r["values"], {}, r["none_sources"]) for r in rows]
            else:
                images = [(r["values"], None, r["none_sources"], {}) for r in rows]
            out.append(TheirEvent(event.table, kind, images))
    finally:
        stream.close()
    return out


@dataclass
class Findings:
    compared: int = 0
    agreed: int = 0
    ours_wrong: list = field(default_factory=list)
    ours_gaps: dict = field(default_factory=dict)
    gaps: dict = field(default_factory=dict)
    unexplained: list = field(default_factory=list)


def _expected(truth: dict, table: str, kind: str, image: str, row_id: int) -> tuple:
    """The SELECT row an image must equal: inserted rows for WRITE and UPDATE's before
    image, updated rows for UPDATE's after image and DELETE."""
    inserted, updated = truth[table]
    first = (kind, image) in (("write", "after"), ("update", "before"))
    return (inserted if first else updated)[row_id]


def _compare(server_name: str, families: dict[str, Family], truth: dict,
             ours: list[OurEvent], theirs: list[TheirEvent] | None,
             findings: Findings) -> None:
    """Ours against the SELECT; theirs (when given, event for event) against it too."""
    if theirs is not None:
        assert [(e.table, e.kind) for e in theirs] == [(e.table, e.kind) for e in ours], \
            f"{server_name}: the two libraries see different rows events"
    for k, event in enumerate(ours):
        family = families[event.table]
        by_name = dict(zip(event.info.keys, event.info.columns, strict=True))
        their_rows = theirs[k].rows if theirs is not None else None
        if isinstance(their_rows, list):
            assert len(their_rows) == len(event.changes), (server_name, event.table, k)
        for n, change in enumerate(event.changes):
            for image, mine in (("before", change.before), ("after", change.after)):
                if mine is None:
                    continue
                server_row = _expected(truth, event.table, event.kind, image, mine["id"])
                if their_rows is None:
                    raw_theirs, none_sources = None, {}
                elif isinstance(their_rows, PmrError):
                    raw_theirs, none_sources = their_rows, {}
                else:
                    b, a, nb, na = their_rows[n]
                    raw_theirs, none_sources = (b, nb) if image == "before" else (a, na)
                for col, server in zip(family.columns, server_row, strict=True):
                    column = by_name[col.name]
                    where = (server_name, event.table, event.kind, image, mine["id"], col.name)
                    if col.form == "float" and server is not None:
                        server = shown(float(server), col, column)
                    findings.compared += 1
                    ours_shown = shown_or_why(mine[col.name], col, column)
                    if ours_shown != server:
                        gap = next((g for g in OURS_GAPS
                                    if g.matches(col, server, ours_shown, mine[col.name])),
                                   None)
                        if gap is None:
                            findings.ours_wrong.append((where, server, ours_shown))
                        else:
                            findings.ours_gaps.setdefault(gap.name, []).append(where)
                    if their_rows is None:
                        continue
                    if isinstance(raw_theirs, PmrError):
                        raw, theirs_shown = raw_theirs, f"<{raw_theirs.error}>"
                    else:
                        raw = raw_theirs[col.name]
                        theirs_shown = shown_or_why(
                            as_ours(raw, column, none_sources.get(col.name)), col, column)
                    if theirs_shown == server:
                        findings.agreed += 1
                        continue
                    gap = next((g for g in PMR_GAPS
                                if g.matches(col, server, theirs_shown, raw)), None)
                    if gap is None:
                        findings.unexplained.append((where, server, theirs_shown, raw))
                    else:
                        findings.gaps.setdefault(gap.name, []).append(
                            (where, server, theirs_shown))


def _write_everything(server, flavour: str, readable: dict, unreadable: dict):
    """Every family's changes; the tables python-mysql-replication cannot read in a
    binlog file of their own.  Returns the SELECT snapshots and the two first files."""
    conv = {k: v for k, v in pymysql.converters.conversions.items() if not isinstance(k, int)}
    with server.connect(conv=conv) as conn:  # no decoders: every value as the server's text
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{SCHEMA}`")
            cur.execute(f"CREATE DATABASE `{SCHEMA}`")
            cur.execute("SET SESSION binlog_row_image = FULL")
            cur.execute("SET SESSION time_zone = '+00:00'")
            cur.execute("FLUSH BINARY LOGS")
            cur.execute("SHOW BINARY LOGS")
            first_file = cur.fetchall()[-1][0]
        truth = {k: _create_and_fill(conn, f, flavour) for k, f in readable.items()}
        with conn.cursor() as cur:
            cur.execute("FLUSH BINARY LOGS")
            cur.execute("SHOW BINARY LOGS")
            second_file = cur.fetchall()[-1][0]
        truth.update({k: _create_and_fill(conn, f, flavour) for k, f in unreadable.items()})
        with conn.cursor() as cur:
            cur.execute("FLUSH BINARY LOGS")
            cur.execute(f"DROP DATABASE `{SCHEMA}`")
    return truth, first_file, second_file


@pytest.mark.parametrize("name", SERVERS)
def test_pymysqlreplication_agrees_or_the_server_says_who_is_right(name, server_pool):
    pytest.importorskip("pymysqlreplication", reason="pip install -e '.[test]'")
    require_or_skip(name)
    server = server_pool.get(name)
    if server.binlog_dir is None:
        pytest.skip(f"{name}: its binlog files are not readable from here")
    flavour = server.flavour
    families = {f.name: f for f in FAMILIES if flavour in f.flavours}
    readable = {k: f for k, f in families.items() if f.pmr_reads_table_map}
    unreadable = {k: f for k, f in families.items() if not f.pmr_reads_table_map}

    # python-mysql-replication reads binlog_row_metadata when it connects: FULL (it
    # needs the column names) until it has streamed
    (old_metadata,) = server.execute("SELECT @@GLOBAL.binlog_row_metadata")[0]
    server.execute("SET GLOBAL binlog_row_metadata = FULL")
    try:
        truth, first_file, second_file = _write_everything(server, flavour, readable,
                                                           unreadable)
        names = server.binlog_names()
        ours = _ours([server.binlog_dir / n for n in names[names.index(first_file):]])
        theirs = _pmr(server, first_file, ignored_tables=list(unreadable) or None)
        for table in unreadable:
            with pytest.raises(ValueError):  # its optional-metadata parse goes astray
                _pmr(server, second_file, only_tables=[table])
    finally:
        server.execute(f"SET GLOBAL binlog_row_metadata = {old_metadata}")

    findings = Findings()
    _compare(name, families, truth, [e for e in ours if e.table in readable], theirs, findings)
    _compare(name, families, truth, [e for e in ours if e.table in unreadable], None, findings)

    print(f"\n{name} {server.version}: {findings.compared} values compared, "
          f"python-mysql-replication agrees with the server on {findings.agreed}")
    for gap, cases in findings.gaps.items():
        print(f"  {len(cases):4d} x {gap}")
        for where, server_value, theirs_shown in cases[:2]:
            print(f"         e.g. {'.'.join(map(str, where[1:]))}: server {server_value!r}, "
                  f"python-mysql-replication {theirs_shown!r}")
    for table in unreadable:
        print(f"  table {table}: python-mysql-replication cannot read its TABLE_MAP")
    for gap, cases in findings.ours_gaps.items():
        print(f"  ours: {len(cases)} x {gap}")
    assert not findings.ours_wrong, "ours differs from the server's SELECT:\n" + "\n".join(
        f"  {w}: server {s!r}, ours {o!r}" for w, s, o in findings.ours_wrong[:40])
    assert not findings.unexplained, (
        "python-mysql-replication differs from the server in an undocumented way:\n"
        + "\n".join(f"  {w}: server {s!r}, theirs {t!r} (raw {r!r})"
                    for w, s, t, r in findings.unexplained[:40]))
