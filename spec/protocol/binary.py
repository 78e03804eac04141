"""Typed values of the binary protocol (prepared statements, query attributes).

Source: https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_binary_resultset.html
("Binary Protocol Value"), MySQL ``sql/protocol_classic.cc``
(``Protocol_binary::store_*``, the COM_STMT_EXECUTE parameter parser) and the
MariaDB KB "Binary protocol value" / "Resultset row" pages.

A value's layout depends on its type, which travels elsewhere: in the column
definitions for a binary result row, in the parameter types of COM_STMT_EXECUTE
and COM_QUERY.  Types here are the binary protocol's 16-bit *type word*: the
``enum_field_types`` code in the low byte, :data:`~spec.protocol.constants.PARAM_UNSIGNED`
(0x8000) for unsigned integers.

=========================================  ============================================
type                                       wire
=========================================  ============================================
LONGLONG                                   ``int<8>``
LONG, INT24                                ``int<4>``
SHORT, YEAR                                ``int<2>``
TINY                                       ``int<1>``
DOUBLE / FLOAT                             IEEE 754, 8 / 4 bytes little-endian
DATE, DATETIME, TIMESTAMP                  length (0, 4, 7, 11) then year(2) month day
                                           hour minute second microsecond(4)
TIME                                       length (0, 8, 12) then is_negative days(4)
                                           hour minute second microsecond(4)
NULL                                       nothing (NULLs live in the NULL bitmap)
anything else (strings, DECIMAL, JSON...)  ``string<lenenc>``
=========================================  ============================================

Floats parse to Python floats, except NaNs, kept as their raw bytes so their payload
bits round-trip.
"""

from __future__ import annotations

import math
import struct

from construct import (
    Adapter,
    Bytes,
    BytesInteger,
    Construct,
    ConstructError,
    If,
    Pass,
    SizeofError,
    Struct,
    this,
)

from spec.binlog.common import Auto
from spec.protocol.constants import PARAM_UNSIGNED, FieldType
from spec.wire import Int1, Int2, Int4, LenencBytes

__all__ = [
    "BinaryDatetime",
    "BinaryTime",
    "binary_value",
    "BinaryValues",
    "null_bitmap",
    "is_null",
]


class FloatBits(Adapter):
    """IEEE 754 bytes as a float; a NaN stays raw bytes (its payload round-trips)."""

    def __init__(self, size: int):
        super().__init__(Bytes(size))
        self.fmt = "<d" if size == 8 else "<f"

    def _decode(self, obj, context, path):
        value = struct.unpack(self.fmt, obj)[0]
        return obj if math.isnan(value) else value

    def _encode(self, obj, context, path):
        if isinstance(obj, bytes | bytearray):
            return bytes(obj)
        return struct.pack(self.fmt, obj)


def _datetime_length(ctx) -> int:
    if ctx.get("year") is None:
        return 0
    if ctx.get("hour") is None:
        return 4
    if ctx.get("microsecond") is None:
        return 7
    return 11


class CheckedLength(Construct):
    """A length byte restricted to the values the server accepts (it rejects others
    with ER_MALFORMED_PACKET, sql/protocol_classic.cc)."""

    def __init__(self, allowed: tuple[int, ...], func):
        super().__init__()
        self.flagbuildnone = True
        self.allowed = allowed
        self.auto = Auto(Int1, func)

    def _parse(self, stream, context, path):
        value = self.auto._parsereport(stream, context, path)
        if value not in self.allowed:
            raise ConstructError(f"temporal value length {value} is not one of {self.allowed}",
                                 path=path)
        return value

    def _build(self, obj, stream, context, path):
        return self.auto._build(obj, stream, context, path)

    def _sizeof(self, context, path):
        return 1


BinaryDatetime = Struct(
    "length" / CheckedLength((0, 4, 7, 11), _datetime_length),
    "year" / If(this.length >= 4, Int2),
    "month" / If(this.length >= 4, Int1),
    "day" / If(this.length >= 4, Int1),
    "hour" / If(this.length >= 7, Int1),
    "minute" / If(this.length >= 7, Int1),
    "second" / If(this.length >= 7, Int1),
    "microsecond" / If(this.length >= 11, Int4),
)
"""DATE / DATETIME / TIMESTAMP: the length says which parts follow; absent parts are
None (zero).  ``length`` is computed from the parts present when None."""


def _time_length(ctx) -> int:
    if ctx.get("days") is None:
        return 0
    if ctx.get("microsecond") is None:
        return 8
    return 12


BinaryTime = Struct(
    "length" / CheckedLength((0, 8, 12), _time_length),
    "is_negative" / If(this.length >= 8, Int1),
    "days" / If(this.length >= 8, Int4),
    "hour" / If(this.length >= 8, Int1),
    "minute" / If(this.length >= 8, Int1),
    "second" / If(this.length >= 8, Int1),
    "microsecond" / If(this.length >= 12, Int4),
)
"""TIME: a signed interval of days, hours, minutes, seconds and microseconds."""


def _int(size: int, unsigned: bool) -> Construct:
    return BytesInteger(size, signed=not unsigned, swapped=True)


_INT_SIZES = {
    FieldType.MYSQL_TYPE_LONGLONG: 8,
    FieldType.MYSQL_TYPE_LONG: 4,
    FieldType.MYSQL_TYPE_INT24: 4,
    FieldType.MYSQL_TYPE_SHORT: 2,
    FieldType.MYSQL_TYPE_YEAR: 2,
    FieldType.MYSQL_TYPE_TINY: 1,
}

_FIXED = {
    FieldType.MYSQL_TYPE_DOUBLE: FloatBits(8),
    FieldType.MYSQL_TYPE_FLOAT: FloatBits(4),
    FieldType.MYSQL_TYPE_DATE: BinaryDatetime,
    FieldType.MYSQL_TYPE_DATETIME: BinaryDatetime,
    FieldType.MYSQL_TYPE_TIMESTAMP: BinaryDatetime,
    FieldType.MYSQL_TYPE_TIME: BinaryTime,
    FieldType.MYSQL_TYPE_NULL: Pass,
}

_INTS = {(code, unsigned): _int(size, unsigned)
         for code, size in _INT_SIZES.items() for unsigned in (False, True)}


def binary_value(type_word: int) -> Construct:
    """The construct of one value of the given type word (type | 0x8000 if unsigned)."""
    code = type_word & 0xFF
    if code in _INT_SIZES:
        return _INTS[code, bool(type_word & PARAM_UNSIGNED)]
    return _FIXED.get(code, LenencBytes)


def is_null(bitmap: bytes, index: int, offset: int = 0) -> bool:
    bit = index + offset
    return bool(bitmap[bit // 8] & (1 << (bit % 8)))


def null_bitmap(values, offset: int = 0) -> bytes:
    """The NULL bitmap of ``values`` (None = NULL): ``(n + 7 + offset) // 8`` bytes."""
    out = bytearray((len(values) + 7 + offset) // 8)
    for index, value in enumerate(values):
        if value is None:
            bit = index + offset
            out[bit // 8] |= 1 << (bit % 8)
    return bytes(out)


class BinaryValues(Construct):
    """A run of typed values, one per type, skipping those the NULL bitmap marks.

    ``types`` and ``bitmap`` are context functions giving the type words and the NULL
    bitmap; ``offset`` is the bitmap's bit offset (2 in result rows, 0 for
    parameters).  Parses to a list with None for NULLs; building writes the values
    that are not None.
    """

    def __init__(self, types, bitmap, offset: int = 0):
        super().__init__()
        self.types = types
        self.bitmap = bitmap
        self.offset = offset

    def _parse(self, stream, context, path):
        types = self.types(context)
        bitmap = self.bitmap(context)
        values = []
        for index, type_word in enumerate(types):
            if is_null(bitmap, index, self.offset):
                values.append(None)
            else:
                values.append(binary_value(type_word)._parsereport(
                    stream, context, f"{path} -> [{index}]"))
        return values

    def _build(self, obj, stream, context, path):
        types = self.types(context)
        if len(obj) != len(types):
            raise ConstructError(f"{len(obj)} values for {len(types)} types", path=path)
        for index, (type_word, value) in enumerate(zip(types, obj, strict=True)):
            if value is not None:
                binary_value(type_word)._build(value, stream, context, f"{path} -> [{index}]")
        return obj

    def _sizeof(self, context, path):
        raise SizeofError("variable size", path=path)
