"""Hypothesis strategies for property-testing binlog parsers with crafted binlogs.

>>> from hypothesis import given
>>> from mysqlproto.strategies import binlogs
>>> @given(binlogs(flavour="mysql"))
... def test_my_parser(crafted):
...     assert my_parser(crafted.data) == crafted.changes   # doctest: +SKIP

- :func:`column_definitions` -- any :class:`~mysqlproto.craft.Column` the crafting API
  supports for a flavour (every type of :mod:`spec.binlog.values` a server writes);
- :func:`row_values` -- values valid for one column: NULL when nullable, the edges
  (smallest and largest integers, DECIMAL bounds, zero dates, fractional seconds at
  the column's precision, empty and maximum-length strings, multi-byte charsets);
- :func:`rows`, :func:`tables`, :func:`transactions`;
- :func:`binlogs` -- a :class:`~mysqlproto.craft.CraftedBinlog`: the bytes, the events,
  and the ground truth (one :class:`~mysqlproto.craft.Change` per statement).

Sizes are bounded (a handful of columns, rows and transactions; strings of at most a
few hundred characters), so examples build in milliseconds, and every strategy is
built from shrinkable parts: a failure shrinks to few columns, short values, NULLs.

Values are the Python values :func:`mysqlproto.rows.decode_rows` gives back, so the
ground truth compares with ``==``: ``Decimal`` with the column's scale, naive
``datetime`` for DATETIME, UTC-aware ``datetime`` for TIMESTAMP, ``timedelta`` for
TIME, :class:`~spec.binlog.values.MySQLDate` / ``MySQLDateTime`` for zero dates,
``frozenset`` for SET, :class:`~mysqlproto.geometry.Geometry`, lists of float32 for
VECTOR, ``bytes`` for binary strings.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
from decimal import Decimal
from functools import cache

from hypothesis import strategies as st

from mysqlproto.craft import (
    BinlogBuilder,
    Column,
    CraftedBinlog,
    Table,
    collation_id,
    mbmaxlen,
)
from mysqlproto.geometry import (
    WKB_GEOMETRYCOLLECTION,
    WKB_LINESTRING,
    WKB_MULTILINESTRING,
    WKB_MULTIPOINT,
    WKB_MULTIPOLYGON,
    WKB_POINT,
    WKB_POLYGON,
    Geometry,
    Shape,
)
from mysqlproto.jsonbinary import JSON_NULL
from spec.binlog.events import table_map as tm
from spec.binlog.values import (
    MySQLDate,
    MySQLDateTime,
    charset_name,
    python_encoding,
    text_decoder,
    text_encoder,
)

__all__ = [
    "column_definitions",
    "row_values",
    "rows",
    "tables",
    "transactions",
    "binlogs",
    "TEXT_CHARSETS",
]

UTC = datetime.UTC

TEXT_CHARSETS = ("utf8mb4", "utf8mb3", "latin1", "ascii", "ucs2", "utf16", "utf32", "cp1251",
                 "gbk", "sjis")
"""Charsets text columns are drawn from: single- and multi-byte, fixed and variable width."""

ENUM_SET_CHARSETS = ("utf8mb4", "utf8mb3", "latin1", "utf16", "cp1251")
"""Charsets ENUM/SET columns are drawn from; the table map carries their member
strings in the column's charset."""

MAX_TEXT = 300
"""Longest string or byte value drawn (characters or bytes)."""

_POOL = ("abcxyzABCXYZ0189 _-.,;:'\"\\%`\x00\t\n\x7f"
         "éßñüÀÿ€‚ƒ\x81"  # latin1 (MySQL's cp1252 variant, incl. an undefined byte)
         "жЖёЁщΩπλ"  # Cyrillic, Greek
         "日本語中文字漢한국어ｱｶ"  # CJK, Hangul, half-width katakana
         "\u200b\ufeff\uffff"  # BMP oddities
         "😀𝄞\U0010ffff")  # outside the BMP: 4 bytes in utf8mb4


@cache
def _alphabet(charset: str) -> tuple[str, ...]:
    """Characters that survive a round trip through ``charset``'s codec."""
    cid = collation_id(charset)
    encoding = python_encoding(cid)
    if encoding is None:
        return tuple(ch for ch in _POOL if ord(ch) < 128)
    encode, decode = text_encoder(encoding), text_decoder(encoding)
    bmp_only = charset in ("ucs2", "utf8mb3")
    out = []
    for ch in _POOL:
        if bmp_only and ord(ch) > 0xFFFF:
            continue
        try:
            if decode(encode(ch)) == ch:
                out.append(ch)
        except (UnicodeError, ValueError):
            continue
    return tuple(out)


def _text(charset: str, max_chars: int, *, no_trailing_space: bool = False,
          ascii_only: bool = False):
    alphabet = _alphabet(charset)
    if ascii_only:
        alphabet = tuple(ch for ch in alphabet if ord(ch) < 128)
    chars = st.sampled_from(alphabet)
    limit = min(max_chars, MAX_TEXT)
    strategy = st.one_of(st.text(chars, max_size=min(limit, 24)),
                         st.text(chars, min_size=limit, max_size=limit))
    if no_trailing_space:
        strategy = strategy.map(lambda s: s.rstrip(" "))
    return strategy


def _bytes(max_size: int, *, exact: int | None = None):
    if exact is not None:
        return st.binary(min_size=exact, max_size=exact)
    limit = min(max_size, MAX_TEXT)
    return st.one_of(st.binary(max_size=min(limit, 24)),
                     st.binary(min_size=limit, max_size=limit))


# == column definitions ===============================================================

_NAMES = st.sampled_from(["c", "col", "value", "naïve", "名前", "x_1", "Größe", "select"])


def _with_charset(type_text: str, charsets=TEXT_CHARSETS):
    return st.sampled_from(charsets).map(lambda cs: (type_text, cs))


def _members(draw_count, charset: str):
    member = _text(charset, 8, no_trailing_space=True).filter(
        lambda s: s and "," not in s)
    return st.lists(member, min_size=draw_count[0], max_size=draw_count[1], unique=True)


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


@st.composite
def _enum_or_set(draw, kind: str):
    charset = draw(st.sampled_from(ENUM_SET_CHARSETS))
    if kind == "ENUM" and draw(st.integers(0, 9)) == 0:
        members = [f"v{i}" for i in range(300)]  # past 255 members: a 2-byte index
    else:
        bounds = (1, 6) if kind == "ENUM" else (1, 10)
        if kind == "SET" and draw(st.booleans()):
            count = draw(st.sampled_from([17, 25, 33, 64]))  # 3-, 4- and 8-byte masks
            members = [f"m{i}" for i in range(count)]
        else:
            members = draw(_members(bounds, charset))
    return (f"{kind}({','.join(_quote(m) for m in members)})", charset)


def _type_texts(flavour: str):
    """(type text, charset or None) pairs."""
    mariadb = flavour == "mariadb"
    ints = st.tuples(st.sampled_from(["TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT"]),
                     st.booleans()).map(lambda t: (t[0] + (" UNSIGNED" if t[1] else ""), None))
    decimal = st.integers(1, 65).flatmap(
        lambda p: st.tuples(st.just(p), st.integers(0, min(p, 30)), st.booleans())).map(
        lambda t: (f"DECIMAL({t[0]},{t[1]}){' UNSIGNED' if t[2] else ''}", None))
    temporal = st.tuples(st.sampled_from(["TIME", "DATETIME", "TIMESTAMP"]),
                         st.integers(0, 6)).map(lambda t: (f"{t[0]}({t[1]})", None))
    plain = st.sampled_from(["FLOAT", "DOUBLE", "YEAR", "DATE", "TINYBLOB", "BLOB",
                             "MEDIUMBLOB", "LONGBLOB", "GEOMETRY", "POINT", "LINESTRING",
                             "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON",
                             "GEOMETRYCOLLECTION"]).map(lambda t: (t, None))
    bit = st.integers(1, 64).map(lambda n: (f"BIT({n})", None))
    char = st.one_of(st.integers(0, 40), st.just(255)).flatmap(
        lambda n: _with_charset(f"CHAR({n})"))
    varchar = st.one_of(st.integers(1, 70), st.sampled_from([255, 300])).flatmap(
        lambda n: _with_charset(f"VARCHAR({n})"))
    binary = st.integers(1, 32).map(lambda n: (f"BINARY({n})", None))
    varbinary = st.one_of(st.integers(1, 64), st.just(300)).map(
        lambda n: (f"VARBINARY({n})", None))
    text = st.sampled_from(["TINYTEXT", "TEXT", "MEDIUMTEXT", "LONGTEXT"]).flatmap(_with_charset)
    enum_set = st.sampled_from(["ENUM", "SET"]).flatmap(_enum_or_set)
    choices = [ints, decimal, temporal, plain, bit, char, varchar, binary, varbinary, text,
               enum_set]
    if mariadb:
        choices.append(st.sampled_from(["UUID", "INET6", "INET4"]).map(lambda t: (t, None)))
        choices.append(st.one_of(
            st.integers(1, 100).map(lambda n: f"VARCHAR({n}) COMPRESSED"),
            st.sampled_from(["TEXT COMPRESSED", "BLOB COMPRESSED"])).flatmap(
            lambda t: _with_charset(t, ("utf8mb4", "latin1"))))
    else:
        choices.append(st.just(("JSON", None)))
        choices.append(st.integers(1, 8).map(lambda n: (f"VECTOR({n})", None)))
    return st.one_of(choices)


def column_definitions(flavour: str = "mysql", *, name: str | None = None,
                       nullable: bool | None = None):
    """Any :class:`~mysqlproto.craft.Column` the crafting API supports for
    ``flavour`` (``"mysql"``: JSON and VECTOR; ``"mariadb"``: UUID, INET4/6 and
    COMPRESSED columns)."""

    @st.composite
    def build(draw):
        type_text, charset = draw(_type_texts(flavour))
        return Column(name if name is not None else draw(_NAMES), type_text,
                      nullable=draw(st.booleans()) if nullable is None else nullable,
                      charset=charset)

    return build()


# == values ===========================================================================

_INT_BITS = {"TINYINT": 8, "SMALLINT": 16, "MEDIUMINT": 24, "INT": 32, "BIGINT": 64}
_TIME_LIMIT_S = 838 * 3600 + 59 * 60 + 59


def _integers(bits: int, unsigned: bool):
    low, high = (0, (1 << bits) - 1) if unsigned else (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
    edges = sorted({0, 1, low, high, low + 1, high - 1})
    return st.one_of(st.sampled_from(edges), st.integers(low, high))


def _decimals(precision: int, scale: int, unsigned: bool):
    limit = 10 ** precision - 1
    low = 0 if unsigned else -limit
    edges = [0, 1, limit] + ([] if unsigned else [-1, -limit])
    units = st.one_of(st.sampled_from(edges), st.integers(low, limit))
    return units.map(lambda n: Decimal(f"{n}E-{scale}") if scale else Decimal(n))


def _truncate(value, fsp: int):
    step = 10 ** (6 - fsp)
    return value.replace(microsecond=value.microsecond - value.microsecond % step)


def _datetimes(fsp: int):
    zero = MySQLDateTime(0, 0, 0, 0, 0, 0, 0)
    bounds = [datetime.datetime(1000, 1, 1), _truncate(datetime.datetime.max, fsp)]
    values = st.datetimes(min_value=datetime.datetime(1000, 1, 1)).map(lambda v: _truncate(v, fsp))
    return st.one_of(st.sampled_from([zero, *bounds]), values)


def _timestamps(fsp: int):
    zero = MySQLDateTime(0, 0, 0, 0, 0, 0, 0)
    low = datetime.datetime(1970, 1, 1, 0, 0, 1)
    high = datetime.datetime(2038, 1, 19, 3, 14, 7, 999999)
    values = st.datetimes(min_value=low, max_value=high).map(
        lambda v: _truncate(v, fsp).replace(tzinfo=UTC))
    edges = [zero, low.replace(tzinfo=UTC), _truncate(high, fsp).replace(tzinfo=UTC)]
    return st.one_of(st.sampled_from(edges), values)


def _times(fsp: int):
    limit = _TIME_LIMIT_S * 10 ** fsp
    step = 10 ** (6 - fsp)
    units = st.one_of(st.sampled_from([0, limit, -limit, 1, -1]), st.integers(-limit, limit))
    return units.map(lambda u: datetime.timedelta(microseconds=u * step))


def _dates():
    zeros = st.sampled_from([MySQLDate(0, 0, 0), MySQLDate(2020, 0, 0), MySQLDate(2020, 5, 0),
                             MySQLDate(2021, 2, 30)])
    bounds = st.sampled_from([datetime.date(1000, 1, 1), datetime.date(9999, 12, 31)])
    return st.one_of(zeros, bounds, st.dates(min_value=datetime.date(1000, 1, 1)))


_COORD = st.floats(allow_nan=False, allow_infinity=False, width=64, min_value=-1e9, max_value=1e9)
_POINT = st.tuples(_COORD, _COORD)


def _shapes(geometry_type: int, depth: int = 0):
    points = st.builds(lambda p: Shape(WKB_POINT, p), _POINT)
    lines = st.lists(_POINT, min_size=2, max_size=4).map(lambda ps: Shape(WKB_LINESTRING, ps))
    rings = st.lists(_POINT, min_size=3, max_size=4).map(lambda ps: ps + [ps[0]])
    polygons = st.lists(rings, min_size=1, max_size=2).map(lambda rs: Shape(WKB_POLYGON, rs))
    multi = {
        WKB_MULTIPOINT: st.lists(points, max_size=3).map(lambda m: Shape(WKB_MULTIPOINT, m)),
        WKB_MULTILINESTRING: st.lists(lines, max_size=2).map(
            lambda m: Shape(WKB_MULTILINESTRING, m)),
        WKB_MULTIPOLYGON: st.lists(polygons, max_size=2).map(lambda m: Shape(WKB_MULTIPOLYGON, m)),
    }
    simple = {WKB_POINT: points, WKB_LINESTRING: lines, WKB_POLYGON: polygons, **multi}
    if geometry_type in simple:
        return simple[geometry_type]
    members = st.one_of(points, lines, polygons)
    if depth < 1:
        members = st.one_of(members, st.deferred(lambda: _shapes(WKB_GEOMETRYCOLLECTION, 1)))
    collection = st.lists(members, max_size=3).map(lambda m: Shape(WKB_GEOMETRYCOLLECTION, m))
    if geometry_type == WKB_GEOMETRYCOLLECTION:
        return collection
    return st.one_of(points, lines, polygons, *multi.values(), collection)


def _geometries(geometry_type: int):
    srid = st.sampled_from([0, 4326, 3857])
    return st.builds(Geometry.from_shape, _shapes(geometry_type), srid)


_JSON_SCALARS = st.one_of(
    st.none(), st.booleans(),
    st.integers(-(1 << 63), (1 << 64) - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
JSON_VALUES = st.recursive(
    _JSON_SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=6), children, max_size=4)),
    max_leaves=10,
)
"""JSON documents.  In row values a top-level JSON null is ``JSON_NULL`` (None there
means SQL NULL)."""


def _float32():
    return st.floats(width=32, allow_nan=False, allow_infinity=False)


def row_values(column: Column, flavour: str = "mysql", *, default_charset: str = "utf8mb4"):
    """Values valid for ``column`` (None too when it is nullable)."""
    mariadb = flavour == "mariadb"
    definition = column.column_def(mariadb=mariadb, default_charset=default_charset)
    values = _values(column, definition)
    if column.nullable:
        return st.one_of(st.none(), values)
    return values


def _values(column: Column, definition):
    base = column.base_type
    code = definition.type
    meta = definition.metadata
    charset = charset_name(definition.charset) if definition.charset is not None else None
    if base in _INT_BITS or base in ("INTEGER", "BOOL", "BOOLEAN"):
        bits = _INT_BITS.get(base, 8 if base.startswith("BOOL") else 32)
        return _integers(bits, definition.unsigned)
    if code == tm.MYSQL_TYPE_FLOAT:
        return _float32().filter(lambda v: v >= 0) if definition.unsigned else _float32()
    if code == tm.MYSQL_TYPE_DOUBLE:
        doubles = st.floats(allow_nan=False, allow_infinity=False)
        return doubles.filter(lambda v: v >= 0) if definition.unsigned else doubles
    if code == tm.MYSQL_TYPE_NEWDECIMAL:
        return _decimals(meta.precision, meta.scale, definition.unsigned)
    if code == tm.MYSQL_TYPE_BIT:
        width = meta.bytes * 8 + meta.bits
        return st.one_of(st.sampled_from([0, (1 << width) - 1]), st.integers(0, (1 << width) - 1))
    if code == tm.MYSQL_TYPE_YEAR:
        return st.one_of(st.sampled_from([0, 1901, 2155]), st.integers(1901, 2155))
    if code == tm.MYSQL_TYPE_DATE:
        return _dates()
    if code in (tm.MYSQL_TYPE_DATETIME2, tm.MYSQL_TYPE_DATETIME):
        return _datetimes(definition.fsp)
    if code in (tm.MYSQL_TYPE_TIMESTAMP2, tm.MYSQL_TYPE_TIMESTAMP):
        return _timestamps(definition.fsp)
    if code in (tm.MYSQL_TYPE_TIME2, tm.MYSQL_TYPE_TIME):
        return _times(definition.fsp)
    if code == tm.MYSQL_TYPE_JSON:
        return JSON_VALUES.map(lambda v: JSON_NULL if v is None else v)
    if base == "JSON":  # MariaDB: LONGTEXT holding JSON text
        return JSON_VALUES.map(lambda v: json.dumps(v, ensure_ascii=False))
    if code == tm.MYSQL_TYPE_GEOMETRY:
        return _geometries(definition.geometry_type or 0)
    if code == tm.MYSQL_TYPE_VECTOR:
        n = definition.vector_dimension
        return st.lists(_float32(), min_size=n, max_size=n)
    if definition.logical_type == "uuid":
        return st.uuids()
    if definition.logical_type == "inet6":
        return st.binary(min_size=16, max_size=16).map(ipaddress.IPv6Address)
    if definition.logical_type == "inet4":
        return st.binary(min_size=4, max_size=4).map(ipaddress.IPv4Address)
    real = definition.real_type
    if real == tm.MYSQL_TYPE_ENUM:
        return st.sampled_from(("", *definition.enum_values))
    if real == tm.MYSQL_TYPE_SET:
        return st.frozensets(st.sampled_from(definition.set_values), max_size=6)
    binary = charset == "binary"
    if code == tm.MYSQL_TYPE_STRING:
        length = column.spec.args[0] if column.spec.args else 1
        if binary:
            return _bytes(length, exact=length)
        return _text(charset, length, no_trailing_space=True)
    if code in (tm.MYSQL_TYPE_VARCHAR, tm.MYSQL_TYPE_VARCHAR_COMPRESSED):
        length = column.spec.args[0]
        return _bytes(length) if binary else _text(charset, length)
    if code in (tm.MYSQL_TYPE_BLOB, tm.MYSQL_TYPE_BLOB_COMPRESSED):
        max_bytes = (1 << (8 * meta)) - 1
        if binary:
            return _bytes(max_bytes)
        return _text(charset, max_bytes // mbmaxlen(definition.charset))
    raise ValueError(f"no values for column type {column.type!r}")


def rows(table: Table, flavour: str = "mysql", *, default_charset: str = "utf8mb4"):
    """Whole rows of ``table``: dicts with a value for every column."""
    return st.fixed_dictionaries({
        column.name: row_values(column, flavour, default_charset=default_charset)
        for column in table.columns})


@st.composite
def tables(draw, flavour: str = "mysql", *, schema: str = "db", name: str | None = None,
           min_columns: int = 1, max_columns: int = 6):
    """A table of ``min_columns`` to ``max_columns`` columns, sometimes led by an
    ``id`` primary key."""
    columns = draw(st.lists(column_definitions(flavour), min_size=min_columns,
                            max_size=max_columns))
    columns = [Column(f"{c.name}{i}", c.type, nullable=c.nullable, charset=c.charset)
               for i, c in enumerate(columns)]
    if draw(st.booleans()):
        columns.insert(0, Column("id", "INT UNSIGNED NOT NULL PRIMARY KEY"))
    if name is None:
        name = draw(st.sampled_from(["t", "items", "orders", "ünïcode", "表"]))
    return Table(schema, name, columns)


@st.composite
def transactions(draw, table: Table, flavour: str = "mysql", *, max_statements: int = 3,
                 max_rows: int = 3):
    """The statements of one transaction on ``table``: ``("insert", [row...])``,
    ``("update", [(before, after)...])``, ``("delete", [row...])``."""
    row = rows(table, flavour)
    statement = st.one_of(
        st.tuples(st.just("insert"), st.lists(row, min_size=1, max_size=max_rows)),
        st.tuples(st.just("update"), st.lists(st.tuples(row, row), min_size=1,
                                              max_size=max_rows)),
        st.tuples(st.just("delete"), st.lists(row, min_size=1, max_size=max_rows)),
    )
    return draw(st.lists(statement, min_size=1, max_size=max_statements))


@st.composite
def binlogs(draw, flavour: str | None = None, *, max_tables: int = 2,
            max_transactions: int = 3, **builder_options) -> CraftedBinlog:
    """A crafted binlog of one flavour (drawn when None), with its ground truth.

    The server options are drawn too -- checksums, GTIDs (MySQL), ``binlog_row_image``,
    compression, a small ``max_rows_event_size`` now and then -- unless given in
    ``builder_options``.
    """
    if flavour is None:
        flavour = draw(st.sampled_from(["mysql", "mariadb"]))
    options = dict(builder_options)
    options.setdefault("checksum", draw(st.booleans()))
    if flavour != "mariadb":
        options.setdefault("gtids", draw(st.booleans()))
    options.setdefault("row_image", draw(st.sampled_from(["FULL", "MINIMAL", "NOBLOB"])))
    options.setdefault("max_rows_event_size", draw(st.sampled_from([8192, 8192, 256, 64])))
    compress = draw(st.booleans())
    builder = BinlogBuilder(flavour, **options)
    count = draw(st.integers(1, max_tables))
    made = [draw(tables(flavour, name=f"t{i}", max_columns=4)) for i in range(count)]
    for table in made:
        if draw(st.booleans()):
            builder.create_table(table)
    for _ in range(draw(st.integers(1, max_transactions))):
        table = draw(st.sampled_from(made))
        statements = draw(transactions(table, flavour))
        with builder.compress(compress):
            with builder.transaction():
                for kind, items in statements:
                    getattr(builder, kind)(table, items)
    if draw(st.booleans()):
        builder.rotate("binlog.000002")
    return builder.build()
