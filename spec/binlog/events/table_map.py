"""TABLE_MAP_EVENT (19): the table definition that row events refer to by number.

MySQL ``libs/mysql/binlog/event/rows_event.{h,cpp}`` (``Table_map_event``, its
``Optional_metadata_field_type`` enum and ``Optional_metadata_fields`` parser),
``sql/log_event.cc`` (``Table_map_log_event::init_*_field`` writers,
``is_numeric_type``); MariaDB ``sql/log_event.h`` / ``log_event.cc``
(``Table_map_log_event``, same optional-metadata codes 1-11) and ``include/mysql_com.h``
(``MYSQL_TYPE_BLOB_COMPRESSED`` = 140, ``MYSQL_TYPE_VARCHAR_COMPRESSED`` = 141).

Post-header (``TABLE_MAP_HEADER_LEN`` = 8): table_id (6 bytes; 4 bytes when the FDE
gives a post-header length of 6, as the 5.1 development trees before 5.1.4 wrote it),
flags.  Body: database and table names (a 1-byte length, the name, a NUL), the column
count (``int<lenenc>``), one type byte per column, then -- absent from those early
trees, so read only when bytes remain, as MySQL does -- the per-column metadata block
(``int<lenenc>`` length, bytes), the nullability bitmap, and from MySQL 8.0.1 /
MariaDB 10.5 the optional metadata: type-length-value fields running to the end of
the body.

The column metadata is decoded per column type into a list, and each optional
metadata field into a list or record (column names, signedness bits...).  Every
decoded value rebuilds to the bytes it came from: the layouts here parse only the
encoding they build (fixed-size fields, lengths in their shortest form, see
:class:`DecodedOrRaw`); a block whose layout this module does not know (an unknown
column type, an unknown optional-metadata type, a malformed or non-shortest field)
stays raw ``bytes`` instead, so every event round-trips.
"""

from __future__ import annotations

import io

from construct import (
    Const,
    Construct,
    Container,
    Default,
    Error,
    ExplicitError,
    GreedyBytes,
    ListContainer,
    Pass,
    PrefixedArray,
    RangeError,
    SizeofError,
    Switch,
    this,
)

from spec.binlog.common import (
    Auto,
    ByteList,
    Choose,
    Extra,
    NameOf,
    PostHeaderSurplus,
    Text,
    When,
    built_size,
    encoded_len,
    post_header_len,
)
from spec.binlog.eventspec import EventSpec
from spec.types import (
    MYSQL_TYPE_BIT,
    MYSQL_TYPE_BLOB,
    MYSQL_TYPE_BLOB_COMPRESSED,
    MYSQL_TYPE_DATE,
    MYSQL_TYPE_DATETIME,
    MYSQL_TYPE_DATETIME2,
    MYSQL_TYPE_DECIMAL,
    MYSQL_TYPE_DOUBLE,
    MYSQL_TYPE_ENUM,
    MYSQL_TYPE_FLOAT,
    MYSQL_TYPE_GEOMETRY,
    MYSQL_TYPE_INT24,
    MYSQL_TYPE_JSON,
    MYSQL_TYPE_LONG,
    MYSQL_TYPE_LONG_BLOB,
    MYSQL_TYPE_LONGLONG,
    MYSQL_TYPE_MEDIUM_BLOB,
    MYSQL_TYPE_NEWDATE,
    MYSQL_TYPE_NEWDECIMAL,
    MYSQL_TYPE_NULL,
    MYSQL_TYPE_SET,
    MYSQL_TYPE_SHORT,
    MYSQL_TYPE_STRING,
    MYSQL_TYPE_TIME,
    MYSQL_TYPE_TIME2,
    MYSQL_TYPE_TIMESTAMP,
    MYSQL_TYPE_TIMESTAMP2,
    MYSQL_TYPE_TINY,
    MYSQL_TYPE_TINY_BLOB,
    MYSQL_TYPE_VAR_STRING,
    MYSQL_TYPE_VARCHAR,
    MYSQL_TYPE_VARCHAR_COMPRESSED,
    MYSQL_TYPE_VECTOR,
    MYSQL_TYPE_YEAR,
)
from spec.wire import (
    Bytes,
    CompiledAdapter,
    FixedSized,
    GreedyRange,
    Int1,
    Int2,
    Int4,
    Int6,
    LenencInt,
    StrictLenencBytes,
    StrictLenencInt,
    Struct,
    remaining,
)

# -- helpers shared with rows.py and mariadb.py ----------------------------------


def short_table_id(ctx) -> bool:
    """A 6-byte post-header means a 4-byte table id (trees before 5.1.4).

    ``post_header_len == 6`` is the test both servers make
    (``Table_map_event::Table_map_event``, ``Rows_event::Rows_event``).
    """
    return post_header_len(ctx) == 6


def bytes_remain(ctx) -> bool:
    """While parsing: bytes are left in the body.  While building: always False."""
    return bool(ctx["_parsing"] and remaining(ctx["_io"]))


class DecodedOrRaw(CompiledAdapter):
    """A byte block shown decoded by ``decoder``, or kept raw when that is not exact.

    Parsing decodes the block; if decoding fails or leaves bytes over, the block is
    returned as ``bytes`` instead.  Building writes ``bytes`` as they are and encodes
    anything else.  Use it inside a bound (``FixedSized``) for open-ended regions a
    newer server may fill with layouts this module does not know.

    ``canonical`` says that ``decoder`` parses only the encoding it builds (fixed-size
    fields, ``StrictLenencInt`` lengths, UTF-8 text...), so whatever it decodes
    rebuilds to the very same bytes.  Otherwise each decoded value is built again and
    kept only if that gives the block back -- which costs a build per block.
    """

    def __init__(self, decoder, *, canonical: bool = False):
        super().__init__(GreedyBytes)
        self.decoder = decoder
        self.canonical = canonical

    def _decode(self, obj, context, path):
        try:
            stream = io.BytesIO(obj)
            value = self.decoder._parsereport(stream, context, path)
            if stream.tell() != len(obj):
                return obj
            if not self.canonical and self._encode(value, context, path) != obj:
                return obj
        except Exception:  # noqa: BLE001 - any failure to decode means "keep it raw"
            return obj
        return value

    def _emitdecode(self, code, data):
        fname = f"decode_or_raw_{id(self)}"
        code.linkedinstances[id(self)] = self
        check = "" if self.canonical else f"""
                    if linkedinstances[{id(self)}]._encode(value, this, '(compiled)') != data:
                        return data"""
        code.append(f"""
            def {fname}(data, this):
                io = BytesIO(data)
                try:
                    value = {self.decoder._compileparse(code)}
                    if io.tell() != len(data):
                        return data{check}
                except Exception:
                    return data
                return value
        """)
        return f"{fname}({data}, this)"

    def _encode(self, obj, context, path):
        if isinstance(obj, (bytes, bytearray)):
            return bytes(obj)
        stream = io.BytesIO()
        self.decoder._build(obj, stream, context, path)
        return stream.getvalue()


class BitList(CompiledAdapter):
    """Bytes as a list of bools, most significant bit of each byte first.

    This is the bit order of the SIGNEDNESS and COLUMN_VISIBILITY optional metadata
    (``parse_signedness``/``parse_column_visibility`` test ``0x80`` down to ``0x01``).
    ``count(ctx)`` says how many bits are meaningful: when the bytes are exactly
    enough for them and the padding bits are clear, the list has ``count`` entries;
    otherwise every bit is kept, so the bytes always rebuild.
    """

    def __init__(self, count):
        super().__init__(GreedyBytes)
        self.count = count

    def _decode(self, obj, context, path):
        bits = [bool(byte & (0x80 >> i)) for byte in obj for i in range(8)]
        n = self.count(context)
        if n is not None and (n + 7) // 8 == len(obj) and not any(bits[n:]):
            return bits[:n]
        return bits

    def _encode(self, obj, context, path):
        out = bytearray((len(obj) + 7) // 8)
        for i, bit in enumerate(obj):
            if bit:
                out[i // 8] |= 0x80 >> (i % 8)
        return bytes(out)


# -- column types: MYSQL_TYPE_* come from spec.types (enum_field_types) ------------

NUMERIC_TYPES = frozenset({
    MYSQL_TYPE_TINY, MYSQL_TYPE_SHORT, MYSQL_TYPE_INT24, MYSQL_TYPE_LONG,
    MYSQL_TYPE_LONGLONG, MYSQL_TYPE_NEWDECIMAL, MYSQL_TYPE_FLOAT, MYSQL_TYPE_DOUBLE,
    MYSQL_TYPE_YEAR,
})
"""The columns SIGNEDNESS has a bit for.  The servers' ``is_numeric_type`` names the
first eight; YEAR is there too because both MySQL 9.7 and MariaDB 11.8 write a
(set, unsigned) bit for a YEAR column -- measured on a table of one YEAR column."""


class StringMetadataAdapter(CompiledAdapter):
    """The 2 metadata bytes of CHAR/ENUM/SET columns as ``real_type`` and ``length``.

    The server stores the real type in the first byte and the low 8 bits of the field
    length in the second; a length over 255 folds its bits 8-9, inverted, into bits
    4-5 of the first byte (``Field_string::do_save_field_metadata``, bug #37426).  The
    real types (STRING, VAR_STRING, ENUM, SET) all have those two bits set, which is
    how a reader tells the cases apart.  Every 2 bytes decode to a distinct value, and
    build back to themselves.
    """

    def _decode(self, obj, context, path):
        first, second = obj[0], obj[1]
        if first & 0x30 != 0x30:
            return _string_meta(first | 0x30, second | (((first & 0x30) ^ 0x30) << 4))
        return _string_meta(first, second)

    def _encode(self, obj, context, path):
        length = obj["length"]
        return bytes((obj["real_type"] ^ ((length & 0x300) >> 4), length & 0xFF))


def _string_meta(real_type, length):
    return Container(real_type=real_type, length=length)


StringMetadata = StringMetadataAdapter(Bytes(2))

_NO_METADATA = Pass
_METADATA_BY_TYPE = {
    MYSQL_TYPE_DECIMAL: _NO_METADATA,
    MYSQL_TYPE_TINY: _NO_METADATA,
    MYSQL_TYPE_SHORT: _NO_METADATA,
    MYSQL_TYPE_LONG: _NO_METADATA,
    MYSQL_TYPE_NULL: _NO_METADATA,
    MYSQL_TYPE_TIMESTAMP: _NO_METADATA,
    MYSQL_TYPE_LONGLONG: _NO_METADATA,
    MYSQL_TYPE_INT24: _NO_METADATA,
    MYSQL_TYPE_DATE: _NO_METADATA,
    MYSQL_TYPE_TIME: _NO_METADATA,
    MYSQL_TYPE_DATETIME: _NO_METADATA,
    MYSQL_TYPE_YEAR: _NO_METADATA,
    MYSQL_TYPE_NEWDATE: _NO_METADATA,
    # pack length: sizeof(float) / sizeof(double)
    MYSQL_TYPE_FLOAT: Int1,
    MYSQL_TYPE_DOUBLE: Int1,
    # maximum length in bytes, 2 bytes little-endian
    MYSQL_TYPE_VARCHAR: Int2,
    MYSQL_TYPE_VARCHAR_COMPRESSED: Int2,
    # bits past the last whole byte (0-7), then whole bytes (Field_bit)
    MYSQL_TYPE_BIT: Struct("bits" / Int1, "bytes" / Int1),
    # fractional-second precision
    MYSQL_TYPE_TIMESTAMP2: Int1,
    MYSQL_TYPE_DATETIME2: Int1,
    MYSQL_TYPE_TIME2: Int1,
    MYSQL_TYPE_NEWDECIMAL: Struct("precision" / Int1, "scale" / Int1),
    # bytes of the length prefix of the value (1-4)
    MYSQL_TYPE_TINY_BLOB: Int1,
    MYSQL_TYPE_MEDIUM_BLOB: Int1,
    MYSQL_TYPE_LONG_BLOB: Int1,
    MYSQL_TYPE_BLOB: Int1,
    MYSQL_TYPE_BLOB_COMPRESSED: Int1,
    MYSQL_TYPE_GEOMETRY: Int1,
    MYSQL_TYPE_JSON: Int1,
    MYSQL_TYPE_VECTOR: Int1,
    MYSQL_TYPE_STRING: StringMetadata,
    MYSQL_TYPE_VAR_STRING: StringMetadata,
    MYSQL_TYPE_ENUM: StringMetadata,
    MYSQL_TYPE_SET: StringMetadata,
    # MYSQL_TYPE_TYPED_ARRAY (element type byte + up to 3 bytes of its metadata)
    # is not decoded: its layout is not documented precisely enough, so a table
    # with one keeps its metadata block raw.
}


class PerColumn(Construct):
    """One entry per column of the table map (``column_types``), each with the layout
    ``layouts`` gives the column's type; a type without one fails to parse.

    ``Array`` of a ``Switch`` on ``column_types[_index]`` says the same, but construct
    compiles neither the index nor a lambda count.
    """

    def __init__(self, layouts: dict[int, Construct]):
        super().__init__()
        self.layouts = layouts

    def _layout(self, column_type, path) -> Construct:
        layout = self.layouts.get(column_type)
        if layout is None:
            raise ExplicitError(f"no metadata layout for column type {column_type}", path=path)
        return layout

    def _parse(self, stream, context, path):
        return ListContainer(self._layout(t, path)._parsereport(stream, context, path)
                             for t in context.column_types)

    def _emitparse(self, code):
        cases = f"per_column_{code.allocateId()}"
        code.append(f"{cases} = {{}}")
        for column_type, layout in self.layouts.items():
            code.append(f"{cases}[{int(column_type)}] = lambda io, this: {layout._compileparse(code)}")
        code.append(f"""
            def parse_{cases}(io, this):
                items = ListContainer()
                for column_type in this['column_types']:
                    layout = {cases}.get(column_type)
                    if layout is None:
                        raise ExplicitError(f"no metadata layout for column type {{column_type}}")
                    items.append(layout(io, this))
                return items
        """)
        return f"parse_{cases}(io, this)"

    def _build(self, obj, stream, context, path):
        types = context.column_types
        if len(obj) != len(types):
            raise RangeError(f"expected {len(types)} entries, found {len(obj)}", path=path)
        for column_type, value in zip(types, obj, strict=True):
            self._layout(column_type, path)._build(value, stream, context, path)
        return obj

    def _sizeof(self, context, path):
        raise SizeofError("depends on the column types", path=path)


ColumnMetadataDecoder = PerColumn(_METADATA_BY_TYPE)
"""One entry per column: None (no metadata), an int, or a small record."""

ColumnMetadata = DecodedOrRaw(ColumnMetadataDecoder, canonical=True)
"""Canonical: each layout is a fixed number of bytes, every value of which decodes to
a distinct value (:class:`StringMetadataAdapter` included)."""


# -- optional metadata (Table_map_event::Optional_metadata_field_type) ------------

SIGNEDNESS = 1
DEFAULT_CHARSET = 2
COLUMN_CHARSET = 3
COLUMN_NAME = 4
SET_STR_VALUE = 5
ENUM_STR_VALUE = 6
GEOMETRY_TYPE = 7
SIMPLE_PRIMARY_KEY = 8
PRIMARY_KEY_WITH_PREFIX = 9
ENUM_AND_SET_DEFAULT_CHARSET = 10
ENUM_AND_SET_COLUMN_CHARSET = 11
COLUMN_VISIBILITY = 12  # MySQL 8.0.23
VECTOR_DIMENSIONALITY = 13  # MySQL 9.0

OPTIONAL_METADATA_NAMES = {
    SIGNEDNESS: "SIGNEDNESS",
    DEFAULT_CHARSET: "DEFAULT_CHARSET",
    COLUMN_CHARSET: "COLUMN_CHARSET",
    COLUMN_NAME: "COLUMN_NAME",
    SET_STR_VALUE: "SET_STR_VALUE",
    ENUM_STR_VALUE: "ENUM_STR_VALUE",
    GEOMETRY_TYPE: "GEOMETRY_TYPE",
    SIMPLE_PRIMARY_KEY: "SIMPLE_PRIMARY_KEY",
    PRIMARY_KEY_WITH_PREFIX: "PRIMARY_KEY_WITH_PREFIX",
    ENUM_AND_SET_DEFAULT_CHARSET: "ENUM_AND_SET_DEFAULT_CHARSET",
    ENUM_AND_SET_COLUMN_CHARSET: "ENUM_AND_SET_COLUMN_CHARSET",
    COLUMN_VISIBILITY: "COLUMN_VISIBILITY",
    VECTOR_DIMENSIONALITY: "VECTOR_DIMENSIONALITY",
}


def _table(ctx):
    """The TABLE_MAP body context, seen from any level below it."""
    while "column_types" not in ctx:
        ctx = ctx["_"]
    return ctx


def _numeric_columns(ctx) -> int:
    return sum(1 for t in _table(ctx).column_types if t in NUMERIC_TYPES)


def _all_columns(ctx) -> int:
    return len(_table(ctx).column_types)


# Lengths and numbers are StrictLenencInt: a field that writes one in a longer form
# than the shortest stays raw (DecodedOrRaw), so every decoded field rebuilds exactly.
_Collations = GreedyRange(StrictLenencInt)

_DefaultCharset = Struct(
    # the collation of the columns not listed below
    "default_charset" / StrictLenencInt,
    # (index among the counted columns, collation) for the exceptions
    "charset_pairs" / GreedyRange(Struct("column_index" / StrictLenencInt,
                                         "charset" / StrictLenencInt)),
)

_StrValues = GreedyRange(PrefixedArray(StrictLenencInt, Text(StrictLenencBytes)))
"""SET_STR_VALUE/ENUM_STR_VALUE: per column, a count then (length, string) pairs."""

_OPTIONAL_METADATA_VALUES = {
    SIGNEDNESS: BitList(_numeric_columns),
    DEFAULT_CHARSET: _DefaultCharset,
    COLUMN_CHARSET: _Collations,
    COLUMN_NAME: GreedyRange(Text(StrictLenencBytes)),
    SET_STR_VALUE: _StrValues,
    ENUM_STR_VALUE: _StrValues,
    GEOMETRY_TYPE: GreedyRange(StrictLenencInt),
    SIMPLE_PRIMARY_KEY: GreedyRange(StrictLenencInt),
    PRIMARY_KEY_WITH_PREFIX: GreedyRange(
        Struct("column_index" / StrictLenencInt, "prefix_length" / StrictLenencInt)),
    ENUM_AND_SET_DEFAULT_CHARSET: _DefaultCharset,
    ENUM_AND_SET_COLUMN_CHARSET: _Collations,
    COLUMN_VISIBILITY: BitList(_all_columns),
    VECTOR_DIMENSIONALITY: GreedyRange(StrictLenencInt),
}

OptionalMetadataValue = DecodedOrRaw(
    Switch(this.type, _OPTIONAL_METADATA_VALUES, default=Error), canonical=True)
"""A field's value decoded by its type; an unknown type or bad layout stays bytes.
Canonical: BitList keeps every bit it does not show, text is UTF-8 that decoded
strictly, and every length and number is a StrictLenencInt."""

OptionalMetadataField = Struct(
    "type" / Int1,
    "name" / NameOf(OPTIONAL_METADATA_NAMES, "type"),
    "length" / Auto(StrictLenencInt, built_size(OptionalMetadataValue, "value")),
    "value" / FixedSized(this.length, OptionalMetadataValue),
)
"""One type-length-value field of the optional metadata."""


def optional_metadata_fields(body) -> dict[str, object]:
    """The optional metadata of a parsed TABLE_MAP body as ``{name: value}``.

    The servers keep the last field of a type; so does this view.
    """
    return {field.name: field.value for field in body.get("optional_metadata") or ()}


# -- the event ---------------------------------------------------------------------

TABLE_MAP_HEADER_LEN = 8


def _has_metadata(ctx) -> bool:
    # MySQL reads the metadata block and null bits only if bytes follow the column
    # types ("if (READER_CALL(available_to_read) > 0)" in Table_map_event); the
    # 5.1 development trees (post-header length 6) wrote neither.
    if ctx["_parsing"]:
        if "metadata_length" in ctx:  # decided at the length field
            return ctx["metadata_length"] is not None
        return bytes_remain(ctx)
    return ctx.get("metadata") is not None or ctx.get("null_bits") is not None


TableMapEvent = Struct(
    # post-header
    "table_id" / Choose(short_table_id, Int4, Int6),
    "flags" / Int2,
    "post_header_extra" / PostHeaderSurplus(TABLE_MAP_HEADER_LEN),
    # body
    "database_name_length" / Auto(Int1, lambda ctx: encoded_len(ctx.database_name)),
    "database_name" / Text(Bytes(this.database_name_length)),
    Const(b"\0"),
    "table_name_length" / Auto(Int1, lambda ctx: encoded_len(ctx.table_name)),
    "table_name" / Text(Bytes(this.table_name_length)),
    Const(b"\0"),
    "column_count" / Auto(LenencInt, lambda ctx: len(ctx.column_types)),
    "column_types" / ByteList(Bytes(this.column_count)),
    "metadata_length" / When(_has_metadata, Auto(LenencInt, built_size(ColumnMetadata, "metadata"))),
    "metadata" / When(_has_metadata, FixedSized(this.metadata_length, ColumnMetadata)),
    "null_bits" / When(_has_metadata, Bytes((this.column_count + 7) // 8)),
    "optional_metadata" / Default(GreedyRange(OptionalMetadataField), []),
    "extra" / Extra,
)
"""TABLE_MAP_EVENT body.

``metadata`` is a list with one entry per column (None, an int, or a record such as
``{precision, scale}``) or raw ``bytes``; ``null_bits`` has one bit per column, the
first column in the lowest bit of the first byte; ``optional_metadata`` is the list
of type-length-value fields in wire order (see :func:`optional_metadata_fields`);
``extra`` keeps trailing bytes that do not form a field.
"""

SPECS = [
    EventSpec(19, "TABLE_MAP_EVENT", TableMapEvent,
              doc="Maps a table id to a database, table and column definitions"),
]
