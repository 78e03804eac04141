"""Result sets: column count, column definitions, text and binary rows, and the
COM_STMT_PREPARE_OK reply.

Sources: https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_query_response_text_resultset.html,
``page_protocol_com_query_response_text_resultset_column_definition.html``,
``page_protocol_com_query_response_text_resultset_row.html``,
``page_protocol_binary_resultset.html``, ``page_protocol_com_stmt_prepare.html``;
MySQL ``sql/protocol_classic.cc`` (``start_result_metadata``,
``send_field_metadata``, ``Protocol_binary::start_row``, ``store_ps_status``);
MariaDB ``sql/protocol.cc`` (``Protocol::send_result_set_metadata``,
``store_field_extended_metadata``) and the MariaDB KB "Result Set Packets",
"Resultset row" pages.

A result set is: a column count packet, that many column definitions (unless
metadata is skipped), an EOF (before ``CLIENT_DEPRECATE_EOF``), rows, and an EOF or
OK packet.

Quirk: the doc page puts ``metadata_follows`` *before* the column count; the server
writes it after (``start_result_metadata``: the count, then the
``resultset_metadata`` byte), as MariaDB does with ``MARIADB_CLIENT_CACHE_METADATA``.
"""

from __future__ import annotations

from construct import (
    Bytes,
    Const,
    Construct,
    ConstructError,
    Default,
    GreedyRange,
    If,
    IfThenElse,
    SizeofError,
    Struct,
    stream_read,
    stream_write,
)

from spec.binlog.common import Auto
from spec.protocol.binary import BinaryValues, null_bitmap
from spec.protocol.constants import PARAM_UNSIGNED, ColumnFlag
from spec.protocol.constants import Capability as C
from spec.protocol.fields import (
    LenencText,
    LengthPrefixedList,
    capabilities,
    has_capability,
)
from spec.wire import Int1, Int2, Int3, Int4, LenencBytes, LenencInt, Tail

__all__ = [
    "ColumnCount",
    "ColumnDefinition41",
    "ColumnDefinition320",
    "TextResultsetRow",
    "BinaryResultsetRow",
    "ComStmtPrepareOk",
    "binary_type",
    "TextValue",
]


def _metadata_flag(ctx) -> bool:
    return bool(capabilities(ctx) & (C.CLIENT_OPTIONAL_RESULTSET_METADATA
                                     | C.MARIADB_CLIENT_CACHE_METADATA))


ColumnCount = Struct(
    "column_count" / LenencInt,
    # MySQL: CLIENT_OPTIONAL_RESULTSET_METADATA; MariaDB: MARIADB_CLIENT_CACHE_METADATA
    "metadata_follows" / If(_metadata_flag, Int1),
)
"""The first packet of a text result set (``page_protocol_com_query_response_text_resultset``)."""


ExtendedMetadataEntry = Struct(
    "type" / Int1,  # MARIADB_FIELD_ATTR_DATA_TYPE_NAME (0), ..._FORMAT_NAME (1)
    "value" / LenencText,
)

ColumnDefinition41 = Struct(
    "catalog" / Default(LenencText, "def"),
    "schema" / LenencText,
    "table" / LenencText,  # alias
    "org_table" / LenencText,
    "name" / LenencText,  # alias
    "org_name" / LenencText,
    # MariaDB 10.5+ with MARIADB_CLIENT_EXTENDED_METADATA: data type / format names
    *[f.name / If(has_capability(C.MARIADB_CLIENT_EXTENDED_METADATA), f.subcon)
      for f in LengthPrefixedList(ExtendedMetadataEntry, "extended_metadata",
                                  "extended_metadata_length")],
    "fixed_length" / Default(LenencInt, 0x0C),  # length of the fixed fields
    "character_set" / Int2,  # collation id
    "column_length" / Int4,
    "type" / Int1,  # enum_field_types
    "flags" / Int2,
    "decimals" / Int1,  # 0x00 integers and static strings, 0x1f dynamic strings...
    "filler" / Default(Bytes(2), b"\0\0"),
    "default_values" / Tail(LenencBytes),  # COM_FIELD_LIST replies only
)
"""Protocol::ColumnDefinition41.  Needs ``capabilities`` (MariaDB's extended metadata).
Names are ``str`` when valid UTF-8, else bytes."""


def _long_flag(ctx) -> bool:
    return bool(capabilities(ctx) & C.CLIENT_LONG_FLAG)


ColumnDefinition320 = Struct(
    "table" / LenencText,
    "name" / LenencText,
    "length_of_column_length" / Default(LenencInt, 3),
    "column_length" / Int3,
    "length_of_type" / Default(LenencInt, 1),
    "type" / Int1,
    "length_of_flags" / Default(LenencInt, lambda ctx: 3 if _long_flag(ctx) else 2),
    "flags" / IfThenElse(_long_flag, Int2, Int1),
    "decimals" / Int1,
    "default_values" / Tail(LenencBytes),
)
"""Protocol::ColumnDefinition320 (pre-4.1 protocol).  Needs ``capabilities``
(``CLIENT_LONG_FLAG``: 2-byte flags)."""


class TextValueConstruct(Construct):
    """One text-row value: ``string<lenenc>``, or 0xfb for NULL (None)."""

    def _parse(self, stream, context, path):
        length = LenencInt._parsereport(stream, context, path)
        if length is None:
            return None
        return stream_read(stream, length, path)

    def _build(self, obj, stream, context, path):
        if obj is None:
            stream_write(stream, b"\xfb", 1, path)
            return obj
        LenencInt._build(len(obj), stream, context, path)
        stream_write(stream, obj, len(obj), path)
        return obj

    def _sizeof(self, context, path):
        raise SizeofError("variable size", path=path)


TextValue = TextValueConstruct()

TextResultsetRow = Struct("column_values" / GreedyRange(TextValue))
"""Protocol::TextResultsetRow: the row's values as bytes, None for NULL (0xfb).  The
values fill the packet, so no column count is needed."""


def binary_type(column) -> int:
    """The binary-protocol type word of a parsed column definition (for ``column_types``)."""
    word = column.type
    if column.flags & ColumnFlag.UNSIGNED_FLAG:
        word |= PARAM_UNSIGNED
    return word


def _column_types(ctx) -> list[int]:
    types = ctx._params.get("column_types")
    if types is None:
        raise ConstructError("a binary row needs column_types=[...] (type words, "
                             "see binary_type) as a context parameter")
    return list(types)


BinaryResultsetRow = Struct(
    "header" / Const(0x00, Int1),
    "null_bitmap" / Auto(Bytes(lambda ctx: (len(_column_types(ctx)) + 7 + 2) // 8),
                         lambda ctx: null_bitmap(ctx.column_values, offset=2)),
    "column_values" / BinaryValues(_column_types, lambda ctx: ctx.null_bitmap, offset=2),
)
"""Binary protocol result row (``page_protocol_binary_resultset``): a 0x00 header, the
NULL bitmap with its first 2 bits unused, then the non-NULL values.

Needs ``column_types``: one type word per column (``enum_field_types``, with 0x8000
when the column is UNSIGNED; :func:`binary_type` makes it from a column definition).
"""


ComStmtPrepareOk = Struct(
    "status" / Const(0x00, Int1),
    "statement_id" / Int4,
    "num_columns" / Int2,
    "num_params" / Int2,
    "reserved_1" / Default(Int1, 0),
    # "if packet_length > 12" -- pre-4.1 servers stop here
    "warning_count" / Tail(Int2),
    "metadata_follows" / If(lambda ctx: ctx.warning_count is not None
                            and capabilities(ctx) & C.CLIENT_OPTIONAL_RESULTSET_METADATA,
                            Int1),
)
"""COM_STMT_PREPARE_OK (``page_protocol_com_stmt_prepare``): then ``num_params``
parameter definitions and ``num_columns`` column definitions, each group ended by an
EOF packet before ``CLIENT_DEPRECATE_EOF``.  Needs ``capabilities``."""
