"""Row images: the values inside WRITE/UPDATE/DELETE_ROWS events.

Theory of operation
-------------------
A rows event names its table by a number that the TABLE_MAP event before it defines
(database, table, column types, per-column metadata, nullability, and from MySQL
8.0.1 / MariaDB 10.5 the optional metadata: names, signedness, charsets, ENUM/SET
strings, primary key).  :class:`TableInfo` is that definition; :class:`TableMapTracker`
follows TABLE_MAP events in a stream (and inside compressed transactions) so that each
rows event can be decoded with its table.  The reader itself stays sans-IO and does
not decode rows: this module is used only by those who ask for values.

The ``rows`` field of a rows event is a run of row images (``sql/rpl_record.cc``,
``pack_row``/``unpack_row``; the layout comment of ``sql/rpl_record.h``):

- WRITE: after image; DELETE: before image; UPDATE: before image, after image;
- PARTIAL_UPDATE_ROWS (MySQL 8.0): before image, ``value_options`` (``int<lenenc>``;
  bit 1 = PARTIAL_JSON_UPDATES) and when that bit is set one bit per JSON column of the
  table (least significant bit first) saying whether that column's after value is a
  JSON diff instead of a document, then the after image.

An image holds only the columns set in the event's columns-present bitmap (all of
them with ``binlog_row_image=FULL``; with MINIMAL/NOBLOB some are left out -- those are
absent from the decoded dict, which is not the same as None, SQL NULL).  It starts
with one NULL bit per present column (padding bits are 1), then the values of the
present, non-NULL columns in column order, each laid out as its type's declaration in
:mod:`spec.binlog.values` says.

Speed: for each (table, event kind, columns-present bitmaps) a decoder is generated
as Python source -- runs of fixed-size columns read with one ``struct`` unpack, text
decoded inline, no per-column dispatch -- compiled once and cached with the table
definition (keyed by its content, so the TABLE_MAP repeated before every transaction
costs a dict lookup).  The generated code does no bounds checks: a row image that is
malformed is detected at the end (the read position passes the end of the data) or by
an exception, and is then decoded again by a checked, column-by-column decoder that
raises a :class:`RowsDecodeError` naming the row, the image and the column.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import ipaddress
import os
import struct
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from construct import Container, ListContainer

from mysqlproto.errors import DecodeError, UsageError
from mysqlproto.geometry import Geometry, encode_geometry
from spec.binlog.events.fde import is_mariadb_version
from spec.binlog.events.table_map import (
    MYSQL_TYPE_BLOB,
    MYSQL_TYPE_BLOB_COMPRESSED,
    MYSQL_TYPE_DATETIME,
    MYSQL_TYPE_DATETIME2,
    MYSQL_TYPE_ENUM,
    MYSQL_TYPE_FLOAT,
    MYSQL_TYPE_GEOMETRY,
    MYSQL_TYPE_JSON,
    MYSQL_TYPE_LONG_BLOB,
    MYSQL_TYPE_MEDIUM_BLOB,
    MYSQL_TYPE_NEWDECIMAL,
    MYSQL_TYPE_SET,
    MYSQL_TYPE_STRING,
    MYSQL_TYPE_TIME,
    MYSQL_TYPE_TIME2,
    MYSQL_TYPE_TIMESTAMP,
    MYSQL_TYPE_TINY_BLOB,
    MYSQL_TYPE_VAR_STRING,
    MYSQL_TYPE_VARCHAR,
    MYSQL_TYPE_VARCHAR_COMPRESSED,
    MYSQL_TYPE_VECTOR,
    NUMERIC_TYPES,
    OPTIONAL_METADATA_NAMES,
    optional_metadata_fields,
)
from spec.binlog.values import (
    ColumnDef,
    MySQLDate,
    MySQLDateTime,
    ValueCodec,
    codec_for,
    decimal_bin_size,
    decimal_segments,
    float32_shortest,
    plain_metadata,
    python_encoding,
    text_decoder,
)
from spec.types import COLUMN_TYPE_NAMES

__all__ = [
    "RowChange",
    "TableInfo",
    "TableMapTracker",
    "RowsDecodeError",
    "MissingTableMapError",
    "JsonDiffValue",
    "QUERY_EVENT_NAMES",
    "decode_rows",
    "encode_rows",
    "rows_event_body",
    "rows_kind",
    "row_change_to_json",
    "value_to_json",
    "value_hooks",
]

PARTIAL_JSON_UPDATES = 1
"""``value_options`` bit of PARTIAL_UPDATE_ROWS after images (``enum_binlog_row_value_options``)."""


class RowChange(NamedTuple):
    """One changed row: ``before`` (DELETE, UPDATE) and ``after`` (WRITE, UPDATE) images,
    each a dict keyed by column name (``@1``, ``@2``... when the names are unknown)
    holding only the columns present in the image."""

    before: dict | None
    after: dict | None


class JsonDiffValue(NamedTuple):
    """A partial JSON update (PARTIAL_UPDATE_ROWS) whose base document is not in the
    before image, so it cannot be applied: the diffs as decoded."""

    diffs: list


class RowsDecodeError(DecodeError):
    """A row image that does not decode with its table definition."""


class MissingTableMapError(DecodeError):
    """A rows event whose table id no TABLE_MAP event has defined."""


# == table definitions ==============================================================

_CHARACTER_TYPES_MYSQL = frozenset({
    MYSQL_TYPE_STRING, MYSQL_TYPE_VAR_STRING, MYSQL_TYPE_VARCHAR, MYSQL_TYPE_BLOB,
    MYSQL_TYPE_TINY_BLOB, MYSQL_TYPE_MEDIUM_BLOB, MYSQL_TYPE_LONG_BLOB, MYSQL_TYPE_VECTOR,
})
# MariaDB counts GEOMETRY (its field class derives from the blob one) and its compressed
# columns among the character columns; MySQL (9.x) counts VECTOR.  Both measured on
# real servers: a table of every kind, binlog_row_metadata=FULL, COLUMN_CHARSET.
_CHARACTER_TYPES_MARIADB = frozenset({
    MYSQL_TYPE_STRING, MYSQL_TYPE_VAR_STRING, MYSQL_TYPE_VARCHAR, MYSQL_TYPE_BLOB,
    MYSQL_TYPE_TINY_BLOB, MYSQL_TYPE_MEDIUM_BLOB, MYSQL_TYPE_LONG_BLOB, MYSQL_TYPE_GEOMETRY,
    MYSQL_TYPE_BLOB_COMPRESSED, MYSQL_TYPE_VARCHAR_COMPRESSED,
})


_SIGNEDNESS_TYPES = NUMERIC_TYPES  # YEAR included: see its docstring


def _real_type(column_type: int, meta) -> int:
    if column_type in (MYSQL_TYPE_STRING, MYSQL_TYPE_VAR_STRING) and hasattr(meta, "real_type"):
        return meta.real_type
    return column_type


def _charsets(field, count: int) -> list[int | None]:
    """Collations of ``count`` columns from a DEFAULT_CHARSET or COLUMN_CHARSET value."""
    if field is None:
        return [None] * count
    if isinstance(field, Mapping) and "default_charset" in field:
        out: list[int | None] = [field["default_charset"]] * count
        for pair in field.get("charset_pairs") or ():
            if 0 <= pair["column_index"] < count:
                out[pair["column_index"]] = pair["charset"]
        return out
    if isinstance(field, (list, tuple)):
        values = list(field)
        return [values[i] if i < len(values) else None for i in range(count)]
    return [None] * count


def _freeze(value):
    """A hashable copy of a parsed body part (the layout cache's key).  Exact types are
    tested first: this runs for every TABLE_MAP a stream carries."""
    kind = type(value)
    if kind is int or kind is str or value is None or kind is bool:
        return value
    if kind is list or kind is ListContainer or kind is tuple:
        return tuple(map(_freeze, value))
    if kind is Container or isinstance(value, Mapping):
        return tuple((k, _freeze(v)) for k, v in value.items()
                     if not (type(k) is str and k.startswith("_")))
    if isinstance(value, (list, tuple)):
        return tuple(map(_freeze, value))
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return value


class _Layout:
    """The part of a table definition decoders depend on, shared between TableInfos
    with the same content: columns, keys, codecs, compiled decoders."""

    def __init__(self, columns: tuple[ColumnDef, ...], keys: tuple[str, ...], hooks: dict):
        self.columns = columns
        self.keys = keys
        self.codecs: list[ValueCodec | None] = []
        self.codec_errors: list[str | None] = []
        for column in columns:
            try:
                self.codecs.append(codec_for(column, hooks))
                self.codec_errors.append(None)
            except ValueError as exc:
                self.codecs.append(None)
                self.codec_errors.append(str(exc))
        self.json_columns = tuple(i for i, c in enumerate(columns) if c.type == MYSQL_TYPE_JSON)
        # old-format temporal columns whose precision the table map cannot give
        self.unsized_temporal = any(c.type in _OLD_TEMPORAL and c.metadata is None
                                    for c in columns)
        self.no_metadata = bool(hooks.get("no_metadata"))
        self.compiled: dict[tuple, Any] = {}


_OLD_TEMPORAL = frozenset({MYSQL_TYPE_TIME, MYSQL_TYPE_DATETIME, MYSQL_TYPE_TIMESTAMP})

_LAYOUTS: OrderedDict[tuple, _Layout] = OrderedDict()
_LAYOUT_CACHE_SIZE = 1024


class TableInfo:
    """One table as a TABLE_MAP event defines it.

    ``columns`` are :class:`~spec.binlog.values.ColumnDef` records; ``keys`` the dict
    keys of decoded rows (column names, or ``@1``... when the table map has none);
    ``primary_key`` the column indexes of the primary key when the optional metadata
    gives them (with ``primary_key_prefixes`` for prefix keys).
    """

    def __init__(self, *, table_id: int | None, schema: str | bytes, table: str | bytes,
                 columns: Sequence[ColumnDef], primary_key: Sequence[int] = (),
                 primary_key_prefixes: Mapping[int, int] | None = None, flags: int = 0,
                 hooks: dict | None = None, layout: _Layout | None = None):
        self.table_id = table_id
        self.schema = schema
        self.table = table
        self.flags = flags
        self.primary_key = tuple(primary_key)
        self.primary_key_prefixes = dict(primary_key_prefixes or {})
        if layout is None:
            columns = tuple(columns)
            layout = _Layout(columns, _keys_for(columns), value_hooks(hooks))
        self._layout = layout

    @property
    def columns(self) -> tuple[ColumnDef, ...]:
        return self._layout.columns

    @property
    def keys(self) -> tuple[str, ...]:
        return self._layout.keys

    @property
    def codecs(self) -> list[ValueCodec | None]:
        return self._layout.codecs

    @property
    def has_column_metadata(self) -> bool:
        """False for a table map without the column metadata block (MySQL 5.1
        development trees): the sizes of its values are unknown."""
        return not self._layout.no_metadata

    def __repr__(self) -> str:
        return (f"<TableInfo {self.schema}.{self.table} id={self.table_id} "
                f"columns={list(self.keys)}>")

    # -- from and to TABLE_MAP bodies ---------------------------------------------------
    @classmethod
    def from_table_map(cls, body, *, mariadb: bool | None = None,
                       default_charset: int | None = None,
                       logical_types: Mapping[str, str] | None = None) -> TableInfo:
        """The table a parsed TABLE_MAP body defines.

        ``mariadb``: whose rules count the charset columns (MariaDB counts GEOMETRY);
        None guesses from a COLUMN_CHARSET list's length, else MySQL's.
        ``default_charset``: collation id assumed for text columns when the table map
        gives none (binlogs before MySQL 8.0.1 / MariaDB 10.5); without it they decode
        to bytes.  ``logical_types``: ``{column name: "uuid" | "inet6" | "inet4"}`` for
        MariaDB plugin types, which the binlog carries as BINARY(n).
        """
        signature = (_freeze(body.get("database_name")), _freeze(body.get("table_name")),
                     _freeze(body.get("column_types")), _freeze(body.get("metadata")),
                     _freeze(body.get("null_bits")), _freeze(body.get("optional_metadata")),
                     mariadb, default_charset,
                     tuple(sorted((logical_types or {}).items())))
        layout = _LAYOUTS.get(signature)
        info = None
        if layout is None:
            info = cls._build(body, mariadb, default_charset, logical_types)
            layout = info._layout
            _LAYOUTS[signature] = layout
            if len(_LAYOUTS) > _LAYOUT_CACHE_SIZE:
                _LAYOUTS.popitem(last=False)
        else:
            _LAYOUTS.move_to_end(signature)
        fields = optional_metadata_fields(body)
        pk, prefixes = _primary_key(fields)
        return cls(table_id=body.get("table_id"), schema=body.get("database_name"),
                   table=body.get("table_name"), columns=layout.columns, primary_key=pk,
                   primary_key_prefixes=prefixes, flags=body.get("flags") or 0,
                   layout=layout)

    @classmethod
    def _build(cls, body, mariadb, default_charset, logical_types) -> TableInfo:
        types = list(body.get("column_types") or ())
        n = len(types)
        raw_meta = body.get("metadata")
        if isinstance(raw_meta, (bytes, bytearray)) or raw_meta is None:
            metas = [raw_meta if isinstance(raw_meta, (bytes, bytearray)) else None] * n
            undecoded = raw_meta is not None
        else:
            metas = [plain_metadata(m) for m in raw_meta]
            undecoded = False
        null_bits = bytes(body.get("null_bits") or b"")
        fields = optional_metadata_fields(body)

        real = [_real_type(t, m) for t, m in zip(types, metas, strict=True)]
        names = fields.get("COLUMN_NAME")
        names = list(names) if isinstance(names, list) and len(names) == n else [None] * n

        # SIGNEDNESS: one bit per numeric column, set = UNSIGNED
        signed_bits = fields.get("SIGNEDNESS")
        unsigned = [False] * n
        if isinstance(signed_bits, list):
            numeric = [i for i, t in enumerate(types) if t in _SIGNEDNESS_TYPES]
            for k, i in enumerate(numeric):
                if k < len(signed_bits):
                    unsigned[i] = bool(signed_bits[k])

        # charsets of character columns, then of ENUM/SET columns
        column_charset = fields.get("COLUMN_CHARSET")
        if mariadb is None:
            mariadb = False
            if isinstance(column_charset, list):
                mysql_count = sum(1 for t in real if t in _CHARACTER_TYPES_MYSQL)
                maria_count = sum(1 for t in real if t in _CHARACTER_TYPES_MARIADB)
                mariadb = len(column_charset) == maria_count != mysql_count
        char_types = _CHARACTER_TYPES_MARIADB if mariadb else _CHARACTER_TYPES_MYSQL
        char_cols = [i for i, t in enumerate(real) if t in char_types]
        enum_set_cols = [i for i, t in enumerate(real) if t in (MYSQL_TYPE_ENUM, MYSQL_TYPE_SET)]
        charsets: list[int | None] = [None] * n
        found = _charsets(fields.get("DEFAULT_CHARSET") or column_charset, len(char_cols))
        for i, cs in zip(char_cols, found, strict=True):
            charsets[i] = cs
        found = _charsets(fields.get("ENUM_AND_SET_DEFAULT_CHARSET")
                          or fields.get("ENUM_AND_SET_COLUMN_CHARSET"), len(enum_set_cols))
        for i, cs in zip(enum_set_cols, found, strict=True):
            charsets[i] = cs

        enum_values = _per_column(fields.get("ENUM_STR_VALUE"),
                                  [i for i, t in enumerate(real) if t == MYSQL_TYPE_ENUM], n)
        set_values = _per_column(fields.get("SET_STR_VALUE"),
                                 [i for i, t in enumerate(real) if t == MYSQL_TYPE_SET], n)
        geometry = _per_column(fields.get("GEOMETRY_TYPE"),
                               [i for i, t in enumerate(real) if t == MYSQL_TYPE_GEOMETRY], n)
        dims = _per_column(fields.get("VECTOR_DIMENSIONALITY"),
                           [i for i, t in enumerate(real) if t == MYSQL_TYPE_VECTOR], n)
        visibility = fields.get("COLUMN_VISIBILITY")
        visible = [True] * n
        if isinstance(visibility, list):
            for i in range(min(n, len(visibility))):
                visible[i] = bool(visibility[i])
        logical = {k.lower() if isinstance(k, str) else k: v
                   for k, v in (logical_types or {}).items()}

        columns = []
        for i in range(n):
            name = names[i]
            columns.append(ColumnDef(
                type=types[i],
                metadata=metas[i] if not undecoded else bytes(raw_meta),
                name=name,
                nullable=bool(null_bits[i // 8] >> (i % 8) & 1) if i // 8 < len(null_bits)
                else True,
                unsigned=unsigned[i],
                charset=charsets[i],
                enum_values=_strings(enum_values[i], charsets[i]),
                set_values=_strings(set_values[i], charsets[i]),
                geometry_type=geometry[i],
                vector_dimension=dims[i],
                visible=visible[i],
                logical_type=logical.get(name.lower() if isinstance(name, str) else name),
            ))
        hooks = {"default_charset": default_charset} if default_charset is not None else {}
        if raw_meta is None and n:
            hooks["no_metadata"] = True
        return cls(table_id=body.get("table_id"), schema=body.get("database_name"),
                   table=body.get("table_name"), columns=columns, hooks=hooks)

    def table_map_body(self, *, table_id: int | None = None, flags: int | None = None,
                       optional_metadata: bool = True) -> Container:
        """A TABLE_MAP body for this table (for crafting), with the optional metadata
        the columns carry (names, signedness, charsets, ENUM/SET strings, primary key,
        geometry types, vector dimensions) in MySQL's order and layout."""
        columns = self.columns
        metadata = []
        for column in columns:
            meta = column.metadata
            if hasattr(meta, "_asdict"):
                meta = Container(meta._asdict())
            metadata.append(meta)
        null_bits = bytearray((len(columns) + 7) // 8)
        for i, column in enumerate(columns):
            if column.nullable:
                null_bits[i // 8] |= 1 << (i % 8)
        fields = []
        if optional_metadata:
            fields = self._optional_metadata()
        return Container(
            table_id=self.table_id if table_id is None else table_id,
            flags=self.flags if flags is None else flags,
            post_header_extra=None,
            database_name_length=None,
            database_name=self.schema,
            table_name_length=None,
            table_name=self.table,
            column_count=None,
            column_types=[c.type for c in columns],
            metadata_length=None,
            metadata=metadata,
            null_bits=bytes(null_bits),
            optional_metadata=fields,
            extra=b"",
        )

    def _optional_metadata(self) -> list[Container]:
        columns = self.columns
        real = [c.real_type for c in columns]
        out = []

        def add(code, value):
            out.append(Container(type=code, name=OPTIONAL_METADATA_NAMES[code], length=None,
                                 value=value))

        numeric = [c for c in columns if c.type in _SIGNEDNESS_TYPES]
        if numeric:
            add(1, [c.unsigned for c in numeric])  # SIGNEDNESS
        chars = [c for c, t in zip(columns, real, strict=True) if t in _CHARACTER_TYPES_MYSQL]
        if chars and all(c.charset is not None for c in chars):
            add(3, [c.charset for c in chars])  # COLUMN_CHARSET
        geos = [c.geometry_type for c in columns if c.type == MYSQL_TYPE_GEOMETRY]
        if geos and all(g is not None for g in geos):
            add(7, geos)  # GEOMETRY_TYPE
        dims = [c.vector_dimension for c in columns if c.type == MYSQL_TYPE_VECTOR]
        if dims and all(d is not None for d in dims):
            add(13, dims)  # VECTOR_DIMENSIONALITY
        if all(c.name is not None for c in columns):
            add(4, [c.name for c in columns])  # COLUMN_NAME
        sets = [c for c, t in zip(columns, real, strict=True) if t == MYSQL_TYPE_SET]
        if sets and all(c.set_values is not None for c in sets):
            add(5, [list(c.set_values) for c in sets])  # SET_STR_VALUE
        enums = [c for c, t in zip(columns, real, strict=True) if t == MYSQL_TYPE_ENUM]
        if enums and all(c.enum_values is not None for c in enums):
            add(6, [list(c.enum_values) for c in enums])  # ENUM_STR_VALUE
        if self.primary_key:
            if self.primary_key_prefixes:
                add(9, [Container(column_index=i, prefix_length=self.primary_key_prefixes.get(i, 0))
                        for i in self.primary_key])
            else:
                add(8, list(self.primary_key))  # SIMPLE_PRIMARY_KEY
        enum_set = [c for c, t in zip(columns, real, strict=True)
                    if t in (MYSQL_TYPE_ENUM, MYSQL_TYPE_SET)]
        if enum_set and all(c.charset is not None for c in enum_set):
            add(11, [c.charset for c in enum_set])  # ENUM_AND_SET_COLUMN_CHARSET
        if not all(c.visible for c in columns):
            add(12, [c.visible for c in columns])  # COLUMN_VISIBILITY
        return out

    # -- decoders -----------------------------------------------------------------------
    def decoder(self, kind: str, present: bytes, present_after: bytes | None):
        """The compiled decoder of one (kind, bitmaps): ``f(rows_bytes) -> (rows, end)``."""
        key = (kind, present, present_after)
        compiled = self._layout.compiled
        try:
            return compiled[key]
        except KeyError:  # None (no compiled decoder for this one) is cached too
            fn = compiled[key] = _compile(self._layout, kind, present, present_after)
            return fn


def _per_column(values, indexes: list[int], n: int) -> list:
    out: list = [None] * n
    if isinstance(values, list):
        for k, i in enumerate(indexes):
            if k < len(values):
                out[i] = values[k]
    return out


def _strings(values, charset: int | None) -> tuple[str, ...] | None:
    """ENUM/SET member strings, decoded with the column's charset.

    The table-map schema shows any member that is valid UTF-8 as ``str``; that says
    nothing of its charset (a UTF-16 or latin1 member can be valid UTF-8 too), so each
    member goes back to its wire bytes (the schema's str is exactly their UTF-8
    decoding) and is decoded with the charset the table map gives.
    """
    if values is None:
        return None
    encoding = python_encoding(charset)
    decode = text_decoder(encoding) if encoding else None
    out = []
    for value in values:
        if decode is None:  # charset unknown: UTF-8 where valid, else latin1
            out.append(value if isinstance(value, str) else bytes(value).decode("latin-1"))
            continue
        raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        text = decode(raw)
        out.append(text if isinstance(text, str) else raw.decode("latin-1"))
    return tuple(out)


def _primary_key(fields) -> tuple[tuple[int, ...], dict[int, int]]:
    simple = fields.get("SIMPLE_PRIMARY_KEY")
    if isinstance(simple, list):
        return tuple(simple), {}
    prefixed = fields.get("PRIMARY_KEY_WITH_PREFIX")
    if isinstance(prefixed, list):
        return (tuple(p["column_index"] for p in prefixed),
                {p["column_index"]: p["prefix_length"] for p in prefixed if p["prefix_length"]})
    return (), {}


def _keys_for(columns: Sequence[ColumnDef]) -> tuple[str, ...]:
    keys = []
    for i, column in enumerate(columns):
        name = column.name
        if isinstance(name, bytes):
            name = name.decode("utf-8", "replace")
        keys.append(name if name else f"@{i + 1}")
    if len(set(keys)) != len(keys):
        keys = [f"@{i + 1}" for i in range(len(columns))]
    return tuple(keys)


def value_hooks(extra: dict | None = None) -> dict:
    """The decoders :func:`spec.binlog.values.codec_for` leaves to this package: JSON
    (:mod:`mysqlproto.jsonbinary`) and GEOMETRY (:mod:`mysqlproto.geometry`)."""
    from mysqlproto.jsonbinary import decode_json_document, encode_json

    hooks = {"json": (decode_json_document, encode_json),
             "geometry": (Geometry.from_bytes, encode_geometry)}
    hooks.update(extra or {})
    return hooks


# == the generated decoders ===========================================================

_KINDS = ("write", "update", "delete", "partial")


@functools.lru_cache(maxsize=256)
def rows_kind(name: str) -> str:
    """``"write"``, ``"update"``, ``"delete"`` or ``"partial"`` for a rows event name."""
    if "PARTIAL_UPDATE_ROWS" in name:
        return "partial"
    for kind, word in (("write", "WRITE_ROWS"), ("update", "UPDATE_ROWS"),
                       ("delete", "DELETE_ROWS")):
        if word in name:
            return kind
    raise UsageError(f"{name} is not a rows event")


def _present_columns(bitmap: bytes, n: int) -> list[int]:
    return [i for i in range(n) if i // 8 < len(bitmap) and bitmap[i // 8] >> (i % 8) & 1]


_U32 = struct.Struct("<I").unpack_from


class _Source:
    """Python source of one generated decoder, and the names it refers to."""

    def __init__(self):
        self.lines: list[str] = []
        self.ns: dict[str, Any] = {"_U32": _U32, "_new": tuple.__new__, "_RC": RowChange,
                                   "_StructError": struct.error}
        self.counter = 0

    def name(self, value, prefix: str) -> str:
        self.counter += 1
        name = f"_{prefix}{self.counter}"
        self.ns[name] = value
        return name

    def emit(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)


def _inline_datetime2(src: _Source, ind: int, var: str, column: ColumnDef,
                      codec: ValueCodec) -> None:
    # my_datetime_packed_from_binary, specialised; a negative or fractional-negative
    # value (never written by a server) goes to the codec.
    nfrac = (column.fsp + 1) // 2
    dt, mdt, slow = (src.name(datetime.datetime, "DT"), src.name(MySQLDateTime, "MDT"),
                     src.name(codec.decode, "d"))
    fields = "ym // 13, ym % 13, ymd & 31, hms >> 12, hms >> 6 & 63, hms & 63"
    if nfrac:
        mult = (0, 10000, 100, 1)[nfrac]
        src.emit(ind, f"us = int.from_bytes({var}[5:], 'big', signed=True) * {mult}")
        src.emit(ind, f"ip = int.from_bytes({var}[:5], 'big') - {0x8000000000}")
        src.emit(ind, "if ip < 0 or us < 0:")
        args = short_args = f"{fields}, us"
    else:
        src.emit(ind, f"ip = int.from_bytes({var}, 'big') - {0x8000000000}")
        src.emit(ind, "if ip < 0:")
        args, short_args = f"{fields}, 0", fields
    src.emit(ind + 1, f"{var} = {slow}({var})")
    src.emit(ind, "else:")
    src.emit(ind + 1, "ymd = ip >> 17; ym = ymd >> 5; hms = ip & 131071")
    src.emit(ind + 1, "try:")
    src.emit(ind + 2, f"{var} = {dt}({short_args})")
    src.emit(ind + 1, "except ValueError:")
    src.emit(ind + 2, f"{var} = {mdt}({args})")


_DECIMAL_CONTEXT = decimal.Context(prec=100, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)
"""Exact for every DECIMAL (65 digits at most): the scaling multiply below never rounds,
whatever the thread's own context says."""


def _inline_decimal(src: _Source, ind: int, var: str, column: ColumnDef,
                    codec: ValueCodec) -> None:
    # bin2decimal for one (precision, scale): the groups read by shifts from one int,
    # the number made a Decimal from an int and scaled by a multiply (exact, and half
    # the cost of parsing a string).  A negative zero keeps its sign as the codec does.
    meta = column.metadata
    precision, scale = meta.precision, meta.scale
    size = decimal_bin_size(precision, scale)
    sign_bit = 1 << (8 * size - 1)
    segments = decimal_segments(precision, scale)
    shift = 8 * sum(nbytes for nbytes, _ in segments)
    parts = []
    checks = []
    for k, (nbytes, digits) in enumerate(segments):
        shift -= 8 * nbytes
        if k == 0:  # the sign bit is cleared: nothing above the top group
            parts.append(f"g{k} = m >> {shift}" if shift else f"g{k} = m")
        else:
            parts.append(f"g{k} = m >> {shift} & {(1 << (8 * nbytes)) - 1}" if shift
                         else f"g{k} = m & {(1 << (8 * nbytes)) - 1}")
        checks.append(f"g{k} >= {10 ** digits}")
    number = "g0"
    for k, (_, digits) in enumerate(segments[1:], start=1):
        number = f"({number}) * {10 ** digits} + g{k}"
    dec, slow = src.name(Decimal, "DEC"), src.name(codec.decode, "d")
    negative_zero = src.name(Decimal(f"-0E-{scale}" if scale else "-0"), "NZ")
    if scale:
        scaled = src.name(_DECIMAL_CONTEXT.multiply, "MUL")
        quantum = src.name(Decimal(f"1E-{scale}"), "Q")
        positive, negative = f"{scaled}({dec}(m), {quantum})", f"{scaled}({dec}(-m), {quantum})"
    else:
        positive, negative = f"{dec}(m)", f"{dec}(-m)"
    src.emit(ind, f"m = int.from_bytes({var}, 'big')")
    src.emit(ind, f"if m & {sign_bit}:")
    src.emit(ind + 1, f"m ^= {sign_bit}; sg = 0")
    src.emit(ind, "else:")
    src.emit(ind + 1, f"m ^= {sign_bit - 1}; sg = 1")
    for part in parts:
        src.emit(ind, part)
    src.emit(ind, f"if {' or '.join(checks)}:")
    src.emit(ind + 1, f"{var} = {slow}({var})")  # raises, naming the bad group
    src.emit(ind, f"m = {number}")
    src.emit(ind, f"{var} = ({negative} if m else {negative_zero}) if sg else {positive}")


_INLINE = {
    MYSQL_TYPE_DATETIME2: _inline_datetime2,
    MYSQL_TYPE_NEWDECIMAL: _inline_decimal,
}


def _emit_convert_fixed(src: _Source, ind: int, var: str, column: ColumnDef,
                        codec: ValueCodec) -> None:
    """Code turning the raw bytes of a fixed-size value in ``var`` into its value."""
    if codec.fmt or codec.raw:
        return
    inline = _INLINE.get(column.type)
    if inline is not None and codec.size:
        inline(src, ind, var, column, codec)
    else:
        src.emit(ind, f"{var} = {src.name(codec.decode, 'd')}({var})")


def _emit_value(src: _Source, ind: int, var: str, column: ColumnDef,
                codec: ValueCodec) -> None:
    """Code reading one non-NULL value at ``pos`` into ``var``."""
    if codec.size is not None:
        size = codec.size
        if codec.fmt:
            unpack = src.name(struct.Struct("<" + codec.fmt).unpack_from, "s")
            src.emit(ind, f"{var} = {unpack}(buf, pos)[0]")
        else:
            src.emit(ind, f"{var} = buf[pos:pos + {size}]")
            _emit_convert_fixed(src, ind, var, column, codec)
        src.emit(ind, f"pos += {size}")
        return
    p = codec.prefix
    if p == 1:
        src.emit(ind, "n = buf[pos]")
    elif p == 2:
        src.emit(ind, "n = buf[pos] | buf[pos + 1] << 8")
    elif p == 3:
        src.emit(ind, "n = buf[pos] | buf[pos + 1] << 8 | buf[pos + 2] << 16")
    else:
        src.emit(ind, "n = _U32(buf, pos)[0]")
    src.emit(ind, f"pos += {p}")
    src.emit(ind, f"{var} = buf[pos:pos + n]")
    src.emit(ind, "pos += n")
    _emit_convert(src, ind, var, codec)


def _emit_convert(src: _Source, ind: int, var: str, codec: ValueCodec) -> None:
    if codec.raw:
        return
    if codec.encoding and codec.encoding != "mysql-latin1":
        src.emit(ind, "try:")
        src.emit(ind + 1, f"{var} = {var}.decode({codec.encoding!r})")
        src.emit(ind, "except UnicodeDecodeError:")
        src.emit(ind + 1, "pass")
    else:
        src.emit(ind, f"{var} = {src.name(codec.decode, 'd')}({var})")


_PREFIX_FORMATS = {1: "B", 2: "H", 4: "I"}


def _no_null_segments(layout: _Layout, present: list[int]) -> list[tuple]:
    """The fast path of one image as struct segments: ``(fmt, targets, fixed columns,
    var column or None)``.  A segment unpacks in one call a run of fixed-size values
    and the length prefix of the variable-size value that ends the run."""
    codecs = layout.codecs
    segments = []
    fmt, targets, fixed = "<", [], []
    for i in present:
        codec = codecs[i]
        if codec.size is not None:
            fmt += codec.fmt or f"{codec.size}s"
            targets.append(f"v{i}")
            fixed.append(i)
            continue
        prefix = _PREFIX_FORMATS.get(codec.prefix)
        if prefix is not None:
            fmt += prefix
            targets.append("n")
        segments.append((fmt, targets, fixed, i))
        fmt, targets, fixed = "<", [], []
    segments.append((fmt, targets, fixed, None))
    return segments


def _emit_image(src: _Source, ind: int, layout: _Layout, present: list[int], out: str) -> None:
    """Code reading one row image at ``pos`` into a dict and running the statement
    ``out`` with ``{image}`` standing for it (``"before = {image}"``)."""
    count = len(present)
    nbytes = (count + 7) // 8
    keys = layout.keys
    codecs = layout.codecs
    entries = ", ".join(f"{keys[i]!r}: v{i}" for i in present)
    if count == 0:
        src.emit(ind, out.format(image="{}"))
        return
    mask = (1 << count) - 1
    read_nulls = ("nulls = buf[pos]" if nbytes == 1 else
                  f"nulls = int.from_bytes(buf[pos:pos + {nbytes}], 'little')")
    segments = _no_null_segments(layout, present)
    merged = nbytes in (1, 2) and bool(segments[0][1])
    if merged:
        # The null bitmap and the no-NULL layout's first segment in one unpack; a row
        # too short for that (NULLs at the end of the buffer) takes the NULL path.
        fmt, targets, fixed, var = segments[0]
        segments[0] = ("<" + "BH"[nbytes - 1] + fmt[1:], ["nulls", *targets], fixed, var)
        unpack = src.name(struct.Struct(segments[0][0]).unpack_from, "s")
        src.emit(ind, "try:")
        src.emit(ind + 1, f"{', '.join(segments[0][1])} = {unpack}(buf, pos)")
        src.emit(ind, "except _StructError:")
        src.emit(ind + 1, f"nulls = {mask}")
    else:
        src.emit(ind, read_nulls)
        src.emit(ind, f"pos += {nbytes}")
    # with NULLs: one test per column
    src.emit(ind, f"if nulls & {mask}:")
    if merged:
        src.emit(ind + 1, read_nulls)
        src.emit(ind + 1, f"pos += {nbytes}")
    for bit, i in enumerate(present):
        src.emit(ind + 1, f"if nulls & {1 << bit}:")
        src.emit(ind + 2, f"v{i} = None")
        src.emit(ind + 1, "else:")
        _emit_value(src, ind + 2, f"v{i}", layout.columns[i], codecs[i])
    src.emit(ind + 1, out.format(image=f"{{{entries}}}"))
    # without: each segment in one struct unpack
    src.emit(ind, "else:")
    for k, (fmt, targets, fixed, var) in enumerate(segments):
        size = struct.calcsize(fmt)
        if k == 0 and merged:
            pass  # unpacked above
        elif targets:
            unpack = src.name(struct.Struct(fmt).unpack_from, "s")
            names = ", ".join(targets) + ("," if len(targets) == 1 else "")
            src.emit(ind + 1, f"{names} = {unpack}(buf, pos)")
        if size:
            src.emit(ind + 1, f"pos += {size}")
        for i in fixed:
            _emit_convert_fixed(src, ind + 1, f"v{i}", layout.columns[i], codecs[i])
        if var is None:
            continue
        if codecs[var].prefix in _PREFIX_FORMATS:
            src.emit(ind + 1, f"v{var} = buf[pos:pos + n]")
            src.emit(ind + 1, "pos += n")
            _emit_convert(src, ind + 1, f"v{var}", codecs[var])
        else:
            _emit_value(src, ind + 1, f"v{var}", layout.columns[var], codecs[var])
    src.emit(ind + 1, out.format(image=f"{{{entries}}}"))


def _native_decoders():
    """``mysqlproto._crows.compile_decoder`` when the optional C decoder is built and
    not disabled (``MYSQLPROTO_PURE_PYTHON=1``), else None: the generated Python
    decoders then do the work.  Both give the same rows (the tests check)."""
    global _NATIVE
    if _NATIVE is _UNSET:
        _NATIVE = None
        if not os.environ.get("MYSQLPROTO_PURE_PYTHON"):
            try:
                from mysqlproto._crows import compile_decoder
            except ImportError:
                pass
            else:
                _NATIVE = compile_decoder
    return _NATIVE


_UNSET = object()
_NATIVE: Any = _UNSET


def _compile(layout: _Layout, kind: str, present: bytes, present_after: bytes | None):
    n = len(layout.columns)
    before_cols = _present_columns(present, n)
    after_cols = _present_columns(present_after if present_after is not None else present, n)
    used = set(before_cols)
    if kind in ("update", "partial"):
        used |= set(after_cols)
    if kind == "partial" or any(layout.codecs[i] is None for i in used) or not used:
        return None  # decoded by the checked decoder only (which refuses empty images)
    native = _native_decoders()
    if native is not None:
        fn = native(layout, kind, before_cols, after_cols)
        if fn is not None:
            return fn
    src = _Source()
    src.emit(0, "def decode(buf):")
    src.emit(1, "out = []")
    src.emit(1, "append = out.append")
    src.emit(1, "pos = 0")
    src.emit(1, "end = len(buf)")
    src.emit(1, "while pos < end:")
    if kind == "write":
        _emit_image(src, 2, layout, before_cols, "append(_new(_RC, (None, {image})))")
    elif kind == "delete":
        _emit_image(src, 2, layout, before_cols, "append(_new(_RC, ({image}, None)))")
    else:
        _emit_image(src, 2, layout, before_cols, "before = {image}")
        _emit_image(src, 2, layout, after_cols, "append(_new(_RC, (before, {image})))")
    src.emit(1, "return out, pos")
    code = compile("\n".join(src.lines) + "\n", f"<rows decoder {kind}>", "exec")
    namespace = dict(src.ns)
    exec(code, namespace)  # noqa: S102 - our own generated source
    fn = namespace["decode"]
    fn.source = "\n".join(src.lines)
    return fn


# == the checked decoder ==============================================================


class _Checked:
    """Column-by-column decoding with bounds checks and precise errors."""

    def __init__(self, data: bytes, layout: _Layout, event_name: str | None):
        self.data = data
        self.layout = layout
        self.event_name = event_name

    def fail(self, message: str, row: int, image: str, column: int | None = None) -> None:
        where = f"row {row} ({image} image)"
        field = f"rows[{row}].{image}"
        if column is not None:
            codec = self.layout.codecs[column]
            what = codec.name if codec else COLUMN_TYPE_NAMES.get(
                self.layout.columns[column].type, str(self.layout.columns[column].type))
            where += f", column {self.layout.keys[column]!r} ({what})"
            field += f".{self.layout.keys[column]}"
        if self.layout.unsized_temporal:
            message += ("; note: the table has old-format TIME/DATETIME/TIMESTAMP columns, "
                        "whose fractional-second precision the binlog does not carry (MariaDB "
                        "with mysql56_temporal_format=OFF): supply the table definition "
                        "(mysqlproto.schema, dump --schema-from)")
        raise RowsDecodeError(f"{where}: {message}", event_type=self.event_name, field=field)

    def need(self, pos: int, size: int, row: int, image: str, column: int | None) -> None:
        left = len(self.data) - pos
        if size > left:
            self.fail(f"needs {size} bytes at offset {pos} of the rows data, {left} remain",
                      row, image, column)

    def image(self, pos: int, present: list[int], row: int, image: str,
              partial: int = 0, base: dict | None = None) -> tuple[dict, int]:
        data = self.data
        nbytes = (len(present) + 7) // 8
        self.need(pos, nbytes, row, image, None)
        nulls = int.from_bytes(data[pos:pos + nbytes], "little")
        pos += nbytes
        out = {}
        layout = self.layout
        for bit, i in enumerate(present):
            key = layout.keys[i]
            if nulls >> bit & 1:
                out[key] = None
                continue
            codec = layout.codecs[i]
            if codec is None:
                self.fail(layout.codec_errors[i] or "no codec", row, image, i)
            if codec.size is not None:
                size = codec.size
                self.need(pos, size, row, image, i)
                raw = data[pos:pos + size]
            else:
                self.need(pos, codec.prefix, row, image, i)
                length = int.from_bytes(data[pos:pos + codec.prefix], "little")
                self.need(pos + codec.prefix, length, row, image, i)
                raw = data[pos + codec.prefix:pos + codec.prefix + length]
                size = codec.prefix + length
            json_index = layout.json_columns.index(i) if i in layout.json_columns else -1
            try:
                if json_index >= 0 and partial >> json_index & 1:
                    out[key] = _partial_json(raw, (base or {}).get(key, _ABSENT))
                else:
                    out[key] = codec.decode(raw)
            except Exception as exc:  # noqa: BLE001 - any codec failure names the column
                self.fail(f"{type(exc).__name__}: {exc} (value bytes {bytes(raw[:32]).hex()}"
                          f"{'...' if len(raw) > 32 else ''})", row, image, i)
            pos += size
        return out, pos

    def rows(self, kind: str, present: bytes, present_after: bytes | None) -> list[RowChange]:
        n = len(self.layout.columns)
        before_cols = _present_columns(present, n)
        after_cols = _present_columns(present_after if present_after is not None else present,
                                      n)
        out = []
        pos = 0
        row = 0
        data = self.data
        while pos < len(data):
            start = pos
            if kind == "write":
                after, pos = self.image(pos, before_cols, row, "after")
                out.append(RowChange(None, after))
            elif kind == "delete":
                before, pos = self.image(pos, before_cols, row, "before")
                out.append(RowChange(before, None))
            else:
                before, pos = self.image(pos, before_cols, row, "before")
                partial = 0
                if kind == "partial":
                    options, pos = self.lenenc(pos, row)
                    if options & PARTIAL_JSON_UPDATES:
                        nbits = (len(self.layout.json_columns) + 7) // 8
                        self.need(pos, nbits, row, "shared", None)
                        partial = int.from_bytes(data[pos:pos + nbits], "little")
                        pos += nbits
                after, pos = self.image(pos, after_cols, row, "after", partial, before)
                out.append(RowChange(before, after))
            if pos == start:  # images of no columns: the rows would never end
                self.fail(f"the row images name no columns, yet {len(data) - pos} bytes of "
                          "row data remain", row, "after" if kind == "write" else "before")
            row += 1
        return out

    def lenenc(self, pos: int, row: int) -> tuple[int, int]:
        self.need(pos, 1, row, "shared", None)
        first = self.data[pos]
        size = {0xFC: 2, 0xFD: 3, 0xFE: 8}.get(first, 0)
        if first == 0xFB or first == 0xFF:
            self.fail(f"bad value_options first byte 0x{first:02x}", row, "shared")
        self.need(pos + 1, size, row, "shared", None)
        if not size:
            return first, pos + 1
        return int.from_bytes(self.data[pos + 1:pos + 1 + size], "little"), pos + 1 + size


_ABSENT = object()


def _partial_json(raw: bytes, base):
    from mysqlproto.jsonbinary import apply_json_diff, decode_json_diff

    diffs = decode_json_diff(bytes(raw))
    if base is _ABSENT or base is None:
        return JsonDiffValue(diffs)
    return apply_json_diff(base, diffs)


# == decoding and encoding rows events ==============================================


def _body_and_kind(event_or_body, kind: str | None) -> tuple[Any, str, str | None]:
    body = getattr(event_or_body, "body", event_or_body)
    name = getattr(event_or_body, "name", None)
    if kind is None:
        if name is None:
            raise UsageError("decode_rows needs the event, or its body and kind=")
        kind = rows_kind(name)
    if kind not in _KINDS:
        raise UsageError(f"kind must be one of {_KINDS}, not {kind!r}")
    return body, kind, name


def decode_rows(event_or_body, table: TableInfo, *, kind: str | None = None) -> list[RowChange]:
    """The rows of a rows event (or of its body with ``kind``) decoded with ``table``.

    Raises :class:`RowsDecodeError` naming the row, the image and the column when a row
    image does not decode; a column count that differs from the table's is one too.
    """
    body, kind, name = _body_and_kind(event_or_body, kind)
    data = body["rows"]
    if type(data) is not bytes:  # CompressedBytes, bytearray...: slices must be bytes
        data = bytes(data)
    count = body.get("column_count")
    if count is not None and count != len(table.columns):
        raise RowsDecodeError(f"the rows event has {count} columns, the table map of "
                              f"{_qualified(table)} {len(table.columns)}", event_type=name,
                              field="column_count")
    if not table.has_column_metadata:
        raise RowsDecodeError(f"the TABLE_MAP of {_qualified(table)} has no column metadata "
                              "(the layout of MySQL 5.1 development trees): the sizes of its "
                              "values and its NULL bits are unknown", event_type=name,
                              field="rows")
    present = bytes(body["columns_present"])
    after = body.get("columns_present_after")
    after = bytes(after) if after is not None else None
    fn = table.decoder(kind, present, after)
    if fn is not None:
        try:
            rows, end = fn(data)
            if end == len(data):
                return rows
        except Exception:  # noqa: BLE001, S110 - the checked decoder says what is wrong
            pass
    rows = _Checked(data, table._layout, name).rows(kind, present, after)
    return rows


def _qualified(table: TableInfo) -> str:
    return f"{table.schema}.{table.table}"


def _bitmap(indexes: Iterable[int], n: int) -> bytes:
    out = bytearray((n + 7) // 8)
    for i in indexes:
        out[i // 8] |= 1 << (i % 8)
    return bytes(out)


def _encode_image(table: TableInfo, image: Mapping, present: list[int],
                  partial_cols: set[int] = frozenset()) -> bytes:
    keys = table.keys
    nulls = 0
    values = bytearray()
    for bit, i in enumerate(present):
        key = keys[i]
        if key not in image:
            raise UsageError(f"column {key!r} is in the columns-present bitmap but not in "
                             f"the row {dict(image)!r}")
        value = image[key]
        if value is None:
            nulls |= 1 << bit
            continue
        codec = table.codecs[i]
        if codec is None:
            raise UsageError(f"column {key!r}: {table._layout.codec_errors[i]}")
        if i in partial_cols:
            from mysqlproto.jsonbinary import encode_json_diff

            data = encode_json_diff(value.diffs)
            values += len(data).to_bytes(codec.prefix, "little") + data
            continue
        values += codec.encode_field(value)
    nbytes = (len(present) + 7) // 8
    # padding bits are 1, as pack_row writes them
    nulls |= ((1 << (nbytes * 8)) - 1) ^ ((1 << len(present)) - 1)
    return nulls.to_bytes(nbytes, "little") + bytes(values)


def _present_from(images: list[Mapping], table: TableInfo) -> list[int]:
    if not images:
        return list(range(len(table.columns)))
    keys = set()
    for image in images:
        keys.update(image)
    unknown = keys - set(table.keys)
    if unknown:
        raise UsageError(f"no column named {sorted(unknown)!r} in {_qualified(table)}")
    return [i for i, key in enumerate(table.keys) if key in keys]


def encode_rows(changes: Iterable, table: TableInfo, *, kind: str = "write",
                columns_present: Iterable[int] | None = None,
                columns_present_after: Iterable[int] | None = None) -> bytes:
    """The ``rows`` bytes of a rows event holding ``changes`` (the inverse of
    :func:`decode_rows`).

    ``changes`` are :class:`RowChange` (or ``(before, after)`` pairs, or for WRITE
    and DELETE plain dicts).  The columns-present sets default to the columns named in
    the images.  For ``kind="partial"`` an after value given as :class:`JsonDiffValue`
    is written as a partial JSON update.
    """
    rows = [_as_change(c, kind) for c in changes]
    first = [r.before if kind != "write" else r.after for r in rows]
    present = (sorted(columns_present) if columns_present is not None
               else _present_from([img for img in first if img is not None], table))
    if kind in ("update", "partial"):
        present_after = (sorted(columns_present_after) if columns_present_after is not None
                         else _present_from([r.after for r in rows if r.after is not None],
                                            table))
    out = bytearray()
    for r in rows:
        if kind == "write":
            out += _encode_image(table, r.after, present)
        elif kind == "delete":
            out += _encode_image(table, r.before, present)
        else:
            out += _encode_image(table, r.before, present)
            partial_cols: set[int] = set()
            if kind == "partial":
                json_cols = table._layout.json_columns
                bits = 0
                for k, i in enumerate(json_cols):
                    if isinstance(r.after.get(table.keys[i]), JsonDiffValue):
                        bits |= 1 << k
                        partial_cols.add(i)
                out += bytes((PARTIAL_JSON_UPDATES,))
                out += bits.to_bytes((len(json_cols) + 7) // 8, "little")
            out += _encode_image(table, r.after, present_after, partial_cols)
    return bytes(out)


def _as_change(change, kind: str) -> RowChange:
    if isinstance(change, RowChange):
        return change
    if isinstance(change, Mapping):
        return RowChange(change, None) if kind == "delete" else RowChange(None, change)
    before, after = change
    return RowChange(before, after)


def rows_event_body(table: TableInfo, changes: Iterable, *, kind: str = "write",
                    flags: int = 1, columns_present: Iterable[int] | None = None,
                    columns_present_after: Iterable[int] | None = None,
                    table_id: int | None = None) -> Container:
    """A rows event body (v2 layout) for crafting: bitmaps, column count and rows."""
    changes = [_as_change(c, kind) for c in changes]
    n = len(table.columns)
    first = [c.before if kind != "write" else c.after for c in changes]
    present = (sorted(columns_present) if columns_present is not None
               else _present_from([img for img in first if img is not None], table))
    body = Container(
        table_id=table.table_id if table_id is None else table_id,
        flags=flags,
        var_header_len=None,
        post_header_extra=None,
        extra_data=[],
        column_count=n,
        columns_present=_bitmap(present, n),
        columns_present_after=None,
        rows=None,
    )
    after = None
    if kind in ("update", "partial"):
        after = (sorted(columns_present_after) if columns_present_after is not None
                 else _present_from([c.after for c in changes if c.after is not None], table))
        body.columns_present_after = _bitmap(after, n)
    body.rows = encode_rows(changes, table, kind=kind, columns_present=present,
                            columns_present_after=after)
    return body


# == following table maps ============================================================


QUERY_EVENT_NAMES = frozenset({"QUERY_EVENT", "QUERY_COMPRESSED_EVENT"})
"""The events whose body holds a statement (``query``) and its default database (``db``)."""


class TableMapTracker:
    """Keeps the TABLE_MAP definitions of a stream so its rows events can be decoded.

    Feed every event in order (:meth:`observe`; the inner events of a compressed
    transaction are followed too); :meth:`decode` then gives a rows event's rows.  A
    FORMAT_DESCRIPTION_EVENT says whose rules apply (MySQL or MariaDB) and forgets the
    tables of the previous server run.

    ``enrich``, when given, is called with each table the table map defines and returns
    the table to decode with: the place to add what the binlog does not carry (column
    names under ``binlog_row_metadata=MINIMAL``, MariaDB's old-format temporal
    precisions...), from the server's ``information_schema`` for instance.  When the
    hook has an ``observe`` method too (a :class:`mysqlproto.schema.SchemaCatalog`),
    every QUERY event is shown to it, so it can notice DDL.
    """

    def __init__(self, *, mariadb: bool | None = None, default_charset: int | None = None,
                 logical_types: Mapping[str, Mapping[str, str]] | None = None,
                 enrich: Callable[[TableInfo], TableInfo] | None = None):
        self.mariadb = mariadb
        self._forced = mariadb is not None
        self.default_charset = default_charset
        self.logical_types = logical_types or {}
        self.enrich = enrich
        self._query_observer = getattr(enrich, "observe", None)
        self.tables: dict[int, TableInfo] = {}

    def observe(self, event) -> None:
        name = event.name
        if name == "FORMAT_DESCRIPTION_EVENT":
            if not self._forced:
                version = event.body.get("server_version", "")
                self.mariadb = is_mariadb_version(str(version))
            self.tables.clear()
        elif (name == "TABLE_MAP_EVENT" and isinstance(event.body, Mapping)
              and "column_types" in event.body):  # not a CorruptEvent's empty body
            body = event.body
            logical = self.logical_types.get(f"{body.get('database_name')}."
                                             f"{body.get('table_name')}")
            info = TableInfo.from_table_map(
                body, mariadb=self.mariadb, default_charset=self.default_charset,
                logical_types=logical)
            if self.enrich is not None:
                info = self.enrich(info)
            self.tables[body["table_id"]] = info
        elif self._query_observer is not None and name in QUERY_EVENT_NAMES:
            self._query_observer(event)
        for inner in event.inner or ():
            self.observe(inner)

    def table_for(self, event) -> TableInfo | None:
        return self.tables.get(event.body.get("table_id"))

    def decode(self, event) -> list[RowChange]:
        table = self.table_for(event)
        if table is None:
            raise MissingTableMapError(
                f"no TABLE_MAP_EVENT defines table id {event.body.get('table_id')}",
                offset=event.offset, event_type=event.name, field="table_id")
        try:
            return decode_rows(event, table)
        except RowsDecodeError as exc:
            raise RowsDecodeError(exc.reason, offset=event.offset, event_type=event.name,
                                  field=exc.field) from exc


def is_rows_event(event) -> bool:
    name = event.name
    return ("ROWS" in name and "ROWS_QUERY" not in name and "ANNOTATE" not in name
            and "PARTIAL_ROW_DATA" not in name and isinstance(event.body, Mapping)
            and "rows" in event.body)


# == JSON rendering ===================================================================


def _time_text(value: datetime.timedelta, fsp: int) -> str:
    total = value // datetime.timedelta(microseconds=1)
    sign = "-" if total < 0 else ""
    secs, usec = divmod(abs(total), 1000000)
    hours, rest = divmod(secs, 3600)
    text = f"{sign}{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    return text + _fraction(usec, fsp)


def _fraction(usec: int, fsp: int) -> str:
    if not fsp:
        return ""
    return "." + f"{usec:06d}"[:fsp]


def _datetime_text(value, fsp: int) -> str:
    text = (f"{value.year:04d}-{value.month:02d}-{value.day:02d} "
            f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}")
    return text + _fraction(value.microsecond, fsp)


def _json_value(value):
    import json

    from mysqlproto.jsonbinary import to_json_text

    return json.loads(to_json_text(value))


def value_to_json(value, column: ColumnDef | None = None):
    """One decoded value as JSON: DECIMAL as the server's string, temporal values in the
    server's text form with the column's fraction digits, binary strings as
    ``{"hex": ...}``, SET as a list of its members, GEOMETRY as ``{"srid", "wkt"}``."""
    if value is None:
        return None
    ctype = column.type if column is not None else None
    if ctype == MYSQL_TYPE_JSON:
        if isinstance(value, JsonDiffValue):
            return {"json_diff": [_diff_to_json(d) for d in value.diffs]}
        return _json_value(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if ctype == MYSQL_TYPE_FLOAT:
            return float32_shortest(value)
        return value
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"hex": bytes(value).hex()}
    if isinstance(value, Decimal):
        return format(value, "f")
    fsp = column.fsp if column is not None else 6
    if isinstance(value, datetime.timedelta):
        return _time_text(value, fsp if ctype in (MYSQL_TYPE_TIME2, MYSQL_TYPE_TIME) else 6)
    if isinstance(value, (datetime.datetime, MySQLDateTime)):
        if column is None:
            fsp = 6 if value.microsecond else 0
        return _datetime_text(value, fsp)
    if isinstance(value, (datetime.date, MySQLDate)):
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    if isinstance(value, frozenset):
        order = {v: i for i, v in enumerate(column.set_values or ())} if column else {}
        return sorted(value, key=lambda v: (order.get(v, len(order)), v))
    if isinstance(value, Geometry):
        return value.to_json()
    if isinstance(value, list):
        if ctype == MYSQL_TYPE_VECTOR:
            return [float32_shortest(v) for v in value]
        return [value_to_json(v) for v in value]
    if isinstance(value, ipaddress.IPv6Address) and value.ipv4_mapped is not None:
        return f"::ffff:{value.ipv4_mapped}"  # as MariaDB prints INET6 (and Python 3.13)
    if isinstance(value, (uuid.UUID, ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return str(value)
    return _jsonable(value)


def _diff_to_json(diff) -> dict:
    from mysqlproto.jsonbinary import JsonDiffOperation

    out = {"operation": JsonDiffOperation(diff.operation).name, "path": diff.path}
    if diff.operation != JsonDiffOperation.REMOVE:
        out["value"] = _json_value(diff.value)
    return out


def _jsonable(value):
    from mysqlproto.jsonout import jsonable

    return jsonable(value)


def row_change_to_json(change: RowChange, table: TableInfo) -> dict:
    """``{"before": {...} | None, "after": {...} | None}`` with JSON-ready values."""
    by_key = dict(zip(table.keys, table.columns, strict=True))

    def image(values):
        if values is None:
            return None
        return {k: value_to_json(v, by_key.get(k)) for k, v in values.items()}

    return {"before": image(change.before), "after": image(change.after)}
