"""MySQL's binary JSON: the bytes of a JSON column in a row image, and partial JSON diffs.

Sources (MySQL 8.0/9.x): ``sql-common/json_binary.{h,cc}`` (the format, ``serialize``,
``parse_binary``, ``Value::element``/``key``), ``sql-common/json_dom.{h,cc}``
(``Json_decimal::get_binary``, ``Json_datetime::to_packed``, ``wrapper_to_string``),
``sql-common/json_diff.{h,cc}`` -- ``sql/json_diff.{h,cc}`` before 8.3
(``Json_diff::write_binary``, ``read_json_diff``, ``apply_json_diff``),
``sql-common/json_path.cc`` (``Json_path_leg::to_string``, ``parse_path``),
``mysys/my_time.cc`` (``TIME_to_longlong_*_packed``), ``strings/decimal.cc``
(``decimal2bin``), ``strings/dtoa.cc`` (``my_gcvt``), ``mysys/base64.cc``.

Format
------
A document is one type byte then the value.  Types (``JSONB_TYPE_*``)::

    0x00 small object   0x01 large object   0x02 small array   0x03 large array
    0x04 literal (0x00 null, 0x01 true, 0x02 false)
    0x05 int16  0x06 uint16  0x07 int32  0x08 uint32  0x09 int64  0x0a uint64
    0x0b double (IEEE 754, little-endian)
    0x0c string: variable-length length, then utf8mb4 bytes
    0x0f opaque: field type byte (enum_field_types), variable-length length, bytes

All integers are little-endian.  A variable-length length is 7 bits per byte, least
significant group first, the high bit set on every byte but the last (at most 5 bytes).

An object or array is: element count, size in bytes (both 2 bytes in the small
format, 4 in the large one; the size counts from the count field to the end of the
container), then for an object one key entry per member (key offset in 2 or 4 bytes,
key length in 2 bytes), then one value entry per element (type byte, then 2 or 4
bytes), then the keys, then the values.  Offsets count from the count field.  A value
entry holds the value itself ("inlined") for literals, int16 and uint16, and in the
large format for int32 and uint32 too; for any other type it holds the offset of the
value.  Keys are stored sorted by length, then bytewise.

``serialize`` writes each container in the small format and starts it again in the
large one when an offset or size does not fit 16 bits; a container in the small format
must have only small containers inside it, so the retry climbs until a large container
(or the top) can take it.  The result: a container is small exactly when everything
in it written small fits 65535 bytes; inside a large container each child chooses
again.  :func:`encode_json` does the same.

Python values
-------------
JSON objects are dicts (keys in stored order), arrays lists, strings str, literals
None/True/False, doubles float.  Integers are ints; the wire's signed/unsigned
distinction is kept by :class:`JsonUInt` (an int subclass) for the uint types, so a
decoded document encodes back to the same bytes.  Opaque values MySQL prints as
numbers or dates decode to :class:`JsonDecimal` (a ``Decimal`` that remembers the
precision byte), ``datetime.date`` (DATE), ``datetime.timedelta`` (TIME, which can be
negative or longer than a day), ``datetime.datetime`` (DATETIME) and
:class:`JsonTimestamp` (a ``datetime`` subclass, for TIMESTAMP).  Any other opaque value,
and a date or time Python cannot hold (``0000-00-00``), is a :class:`JsonOpaque`.
These subclasses compare equal to the plain values, so callers can ignore them.

Encoding a plain ``int`` uses the signed types (int16, int32, int64; uint64 above the
int64 range), as MySQL does for a ``Json_int``.  Note that MySQL's JSON *text* parser
makes any integer above 4294967295 a ``Json_uint`` (``JSON_TYPE('4294967296')`` is
``UNSIGNED INTEGER``, seen on 9.7): wrap it in :class:`JsonUInt` to get those bytes.
A plain ``Decimal`` gets precision = integer digits (at least 1) + scale, as MySQL
gives a decimal literal.

Bounds
------
:func:`decode_json` checks every offset and size against its container, as
``parse_binary`` and ``Value::element``/``key`` do, limits nesting to
``JSON_DOCUMENT_MAX_DEPTH`` (100) containers, and refuses a document whose entries
point at shared bytes so often that it would expand beyond its own size (a legitimate
document never does).  Every failure is a :class:`~mysqlproto.errors.DecodeError` whose
``field`` is ``json`` plus the JSON path of the value at fault.

Three decoders give the same values: the checked one (``_Decoder``, which names the
error), a fast one (``_decode_json_fast``) and the same fast one in C
(``mysqlproto._rowsc.decode_json``, mysqlproto/_jsonb.c, used when the optional
extension is built and ``MYSQLPROTO_PURE_PYTHON`` is not set).  :func:`decode_json`
runs a fast one and hands any doubt to the checked one, so errors are always the
checked decoder's; tests/test_jsonbinary.py and tests/test_native_json.py hold them to
that.

Like ``parse_binary``, the decoder ignores bytes after the top-level value (partial
updates leave free space inside containers, never after the document), accepts keys
out of order, and reads an empty column value (``b""``) as JSON null: MySQL writes one
when ``INSERT IGNORE`` or a non-strict ``sql_mode`` puts the empty string into a
``NOT NULL`` JSON column (comment in ``json_binary::parse_binary``).  It rejects
duplicate keys, which a dict cannot hold.
"""

from __future__ import annotations

import base64
import datetime
import itertools
import json
import math
import operator
import os
import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from typing import Any

from mysqlproto.errors import DecodeError, UsageError

__all__ = [
    "JSONB_TYPE_SMALL_OBJECT",
    "JSONB_TYPE_LARGE_OBJECT",
    "JSONB_TYPE_SMALL_ARRAY",
    "JSONB_TYPE_LARGE_ARRAY",
    "JSONB_TYPE_LITERAL",
    "JSONB_TYPE_INT16",
    "JSONB_TYPE_UINT16",
    "JSONB_TYPE_INT32",
    "JSONB_TYPE_UINT32",
    "JSONB_TYPE_INT64",
    "JSONB_TYPE_UINT64",
    "JSONB_TYPE_DOUBLE",
    "JSONB_TYPE_STRING",
    "JSONB_TYPE_OPAQUE",
    "JSON_DOCUMENT_MAX_DEPTH",
    "JsonOpaque",
    "JsonUInt",
    "JsonDecimal",
    "JsonTimestamp",
    "decode_json",
    "encode_json",
    "to_json_text",
    "JsonDiffOperation",
    "JsonDiff",
    "JsonDiffRejected",
    "ArrayFromEnd",
    "decode_json_diff",
    "encode_json_diff",
    "apply_json_diff",
    "parse_json_path",
    "format_json_path",
]

# -- constants (json_binary.cc) ---------------------------------------------------------

JSONB_TYPE_SMALL_OBJECT = 0x0
JSONB_TYPE_LARGE_OBJECT = 0x1
JSONB_TYPE_SMALL_ARRAY = 0x2
JSONB_TYPE_LARGE_ARRAY = 0x3
JSONB_TYPE_LITERAL = 0x4
JSONB_TYPE_INT16 = 0x5
JSONB_TYPE_UINT16 = 0x6
JSONB_TYPE_INT32 = 0x7
JSONB_TYPE_UINT32 = 0x8
JSONB_TYPE_INT64 = 0x9
JSONB_TYPE_UINT64 = 0xA
JSONB_TYPE_DOUBLE = 0xB
JSONB_TYPE_STRING = 0xC
JSONB_TYPE_OPAQUE = 0xF

JSONB_NULL_LITERAL = 0x0
JSONB_TRUE_LITERAL = 0x1
JSONB_FALSE_LITERAL = 0x2

JSON_DOCUMENT_MAX_DEPTH = 100
"""``json_syntax_check.h``: deeper documents are refused (``check_json_depth``)."""

# enum_field_types values that have a meaning inside an opaque value (json_dom.cc).
MYSQL_TYPE_TIMESTAMP = 7
MYSQL_TYPE_DATE = 10
MYSQL_TYPE_TIME = 11
MYSQL_TYPE_DATETIME = 12
MYSQL_TYPE_NEWDECIMAL = 246
MYSQL_TYPE_VAR_STRING = 253

_UINT16_MAX = 0xFFFF
_UINT32_MAX = 0xFFFFFFFF
_UINT64_MAX = (1 << 64) - 1
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1

_CONTAINER_TYPES = {
    JSONB_TYPE_SMALL_OBJECT: (True, False),
    JSONB_TYPE_LARGE_OBJECT: (True, True),
    JSONB_TYPE_SMALL_ARRAY: (False, False),
    JSONB_TYPE_LARGE_ARRAY: (False, True),
}
_FIXED_SCALARS = {  # type -> struct format
    JSONB_TYPE_INT16: "<h",
    JSONB_TYPE_UINT16: "<H",
    JSONB_TYPE_INT32: "<i",
    JSONB_TYPE_UINT32: "<I",
    JSONB_TYPE_INT64: "<q",
    JSONB_TYPE_UINT64: "<Q",
    JSONB_TYPE_DOUBLE: "<d",
}
_UNSIGNED_TYPES = {JSONB_TYPE_UINT16, JSONB_TYPE_UINT32, JSONB_TYPE_UINT64}


def _offset_size(large: bool) -> int:
    return 4 if large else 2


def _key_entry_size(large: bool) -> int:
    return 2 + _offset_size(large)


def _value_entry_size(large: bool) -> int:
    return 1 + _offset_size(large)


def _inlined_type(jtype: int, large: bool) -> bool:
    """``inlined_type``: which value types live in the value entry itself."""
    if jtype in (JSONB_TYPE_LITERAL, JSONB_TYPE_INT16, JSONB_TYPE_UINT16):
        return True
    return large and jtype in (JSONB_TYPE_INT32, JSONB_TYPE_UINT32)


# -- Python values for what plain types cannot say --------------------------------------


@dataclass(frozen=True)
class JsonOpaque:
    """An opaque value: a MySQL field type (``enum_field_types``) and raw bytes.

    MySQL prints it as ``"base64:type<field_type>:<base64 of data>"``.
    """

    field_type: int
    data: bytes


class JsonUInt(int):
    """An integer stored with an unsigned type (uint16/uint32/uint64, ``Json_uint``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"JsonUInt({int(self)})"


class JsonDecimal(Decimal):
    """A DECIMAL (opaque NEWDECIMAL) that remembers the precision byte it was stored with.

    The binary form is precision, scale, then ``decimal2bin`` bytes, whose length
    depends on the precision (``Json_decimal::get_binary``); a DECIMAL(10,2) column
    value keeps precision 10 although 1.50 needs 3.  The scale is the Decimal's own
    exponent.
    """

    precision: int

    def __new__(cls, value: Any = "0", precision: int | None = None) -> JsonDecimal:
        self = super().__new__(cls, value)
        self.precision = _default_precision(Decimal(self)) if precision is None else precision
        return self


class JsonTimestamp(datetime.datetime):
    """A TIMESTAMP value (opaque field type 7); a plain ``datetime`` encodes as DATETIME."""


# -- decoding ---------------------------------------------------------------------------


def _leg_member(path: str, key: str) -> str:
    return path + "." + (key if _is_identifier(key) else _double_quote(key))


class _Decoder:
    """One document's decoding state: the buffer and the expansion budget."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        # Nodes plus string bytes decoded; a document that does not share bytes
        # between values never exceeds its own length (each value has its own entry
        # of 3+ bytes, each string or key its own bytes).
        self.budget = len(data) + 1

    def fail(self, message: str, path: str, at: int | None = None) -> DecodeError:
        where = f" (byte {at} of {len(self.data)})" if at is not None else ""
        return DecodeError(message + where, field="json" + path)

    def spend(self, amount: int, path: str) -> None:
        self.budget -= amount
        if self.budget < 0:
            raise self.fail("the document's values share bytes and expand beyond its size",
                            path)

    def value(self, jtype: int, start: int, end: int, depth: int, path: str) -> Any:
        """``parse_value``: the value of type ``jtype`` at ``start``, within ``end``."""
        container = _CONTAINER_TYPES.get(jtype)
        if container is not None:
            is_object, large = container
            return self.container(start, end, is_object, large, depth + 1, path)
        return self.scalar(jtype, start, end, path)

    def scalar(self, jtype: int, start: int, end: int, path: str) -> Any:
        """``parse_scalar``."""
        data = self.data
        available = end - start
        self.spend(1, path)
        if jtype == JSONB_TYPE_LITERAL:
            if available < 1:
                raise self.fail("truncated literal", path, start)
            literal = data[start]
            if literal == JSONB_NULL_LITERAL:
                return None
            if literal == JSONB_TRUE_LITERAL:
                return True
            if literal == JSONB_FALSE_LITERAL:
                return False
            raise self.fail(f"bad literal 0x{literal:02x}", path, start)
        fmt = _FIXED_SCALARS.get(jtype)
        if fmt is not None:
            size = struct.calcsize(fmt)
            if available < size:
                raise self.fail(f"truncated {_TYPE_NAMES[jtype]}", path, start)
            (number,) = struct.unpack_from(fmt, data, start)
            return JsonUInt(number) if jtype in _UNSIGNED_TYPES else number
        if jtype == JSONB_TYPE_STRING:
            length, used = self.variable_length(start, end, path)
            if available < used + length:
                raise self.fail(f"string of {length} bytes runs past its container", path,
                                start)
            self.spend(length, path)
            raw = data[start + used:start + used + length]
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise self.fail(f"string is not UTF-8: {exc.reason}", path, start) from None
        if jtype == JSONB_TYPE_OPAQUE:
            if available < 1:
                raise self.fail("truncated opaque value", path, start)
            field_type = data[start]
            length, used = self.variable_length(start + 1, end, path)
            if available < 1 + used + length:
                raise self.fail(f"opaque value of {length} bytes runs past its container",
                                path, start)
            self.spend(length, path)
            payload = data[start + 1 + used:start + 1 + used + length]
            return _opaque_value(field_type, payload, lambda msg: self.fail(msg, path, start))
        raise self.fail(f"unknown JSON value type 0x{jtype:02x}", path, start)

    def variable_length(self, start: int, end: int, path: str) -> tuple[int, int]:
        """``read_variable_length``: (length, bytes used); at most 5 bytes, < 2**32."""
        length = 0
        for i in range(min(end - start, 5)):
            byte = self.data[start + i]
            length |= (byte & 0x7F) << (7 * i)
            if not byte & 0x80:
                if length > _UINT32_MAX:
                    raise self.fail("variable-length length above 2**32-1", path, start)
                return length, i + 1
        raise self.fail("unterminated variable-length length", path, start)

    def container(self, base: int, end: int, is_object: bool, large: bool, depth: int,
                  path: str) -> Any:
        """``parse_array_or_object`` then every ``Value::key``/``Value::element``."""
        if depth > JSON_DOCUMENT_MAX_DEPTH:
            raise self.fail(f"nested deeper than {JSON_DOCUMENT_MAX_DEPTH}", path, base)
        data = self.data
        osz = _offset_size(large)
        fmt = "<I" if large else "<H"
        kind = "object" if is_object else "array"
        if end - base < 2 * osz:
            raise self.fail(f"truncated {kind} header", path, base)
        (count,) = struct.unpack_from(fmt, data, base)
        (size,) = struct.unpack_from(fmt, data, base + osz)
        if size > end - base:
            raise self.fail(f"{kind} size {size} runs past the {end - base} bytes available",
                            path, base)
        kes = _key_entry_size(large)
        ves = _value_entry_size(large)
        header = 2 * osz + count * ((kes if is_object else 0) + ves)
        if header > size:
            raise self.fail(f"{kind} of {count} elements needs {header} header bytes, "
                            f"has size {size}", path, base)
        self.spend(1, path)
        cend = base + size
        first_value_entry = 2 * osz + (count * kes if is_object else 0)

        keys: list[str] = []
        if is_object:
            for i in range(count):
                entry = base + 2 * osz + i * kes
                (key_offset,) = struct.unpack_from(fmt, data, entry)
                (key_length,) = struct.unpack_from("<H", data, entry + osz)
                if key_offset < header or key_offset + key_length > size:
                    raise self.fail(f"key {i} at offset {key_offset}, length {key_length} "
                                    f"is outside the object's key area", path, entry)
                self.spend(key_length, path)
                raw = data[base + key_offset:base + key_offset + key_length]
                try:
                    keys.append(raw.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    raise self.fail(f"key {i} is not UTF-8: {exc.reason}", path,
                                    base + key_offset) from None

        values: list[Any] = []
        for i in range(count):
            entry_rel = first_value_entry + i * ves
            entry = base + entry_rel
            child_path = _leg_member(path, keys[i]) if is_object else f"{path}[{i}]"
            jtype = data[entry]
            if _inlined_type(jtype, large):
                values.append(self.scalar(jtype, entry + 1, entry + ves, child_path))
                continue
            (value_offset,) = struct.unpack_from(fmt, data, entry + 1)
            if value_offset > size or value_offset < entry_rel + ves:
                raise self.fail(f"value offset {value_offset} is outside the {kind} "
                                f"(size {size})", child_path, entry)
            values.append(self.value(jtype, base + value_offset, cend, depth, child_path))

        if not is_object:
            return values
        result: dict[str, Any] = {}
        for key, value in zip(keys, values, strict=True):
            if key in result:
                raise self.fail(f"duplicate key {key!r}", path, base)
            result[key] = value
        return result


# -- the fast decoder --------------------------------------------------------------------
#
# decode_json runs two decoders.  The fast one below builds no JSON paths and no error
# messages, reads all the entries of a container with one struct call and inlines the
# common scalars.  It checks every bound _Decoder (the checked decoder) checks, some
# more strictly, and at the first thing it does not vouch for raises _Bail (or lets an
# IndexError, struct.error, UnicodeDecodeError... escape).  decode_json then decodes the
# same bytes again with _Decoder, which has the last word: values and errors (message,
# path, byte offset) are exactly the checked decoder's, and a document the fast decoder
# is too strict for still decodes.
#
# The fast decoder is safe on its own all the same: nesting stops at
# JSON_DOCUMENT_MAX_DEPTH; every offset is checked against its container before use (a
# slice past the end does not raise, so that is never relied on; offsets are unsigned,
# so no position is negative); and it spends the checked decoder's budget -- a node per
# value, the bytes of every key, string and opaque payload -- before the work it pays
# for (a container's elements and keys when it starts, a string or opaque payload
# before it is copied), so a document whose entries share bytes costs no more than its
# own length before it fails.


class _Bail(Exception):
    """The fast decoder met something it does not vouch for; the checked one decides."""


def _bail(_message: str) -> _Bail:
    return _Bail()


_LITERALS = (None, True, False)  # by JSONB_NULL_LITERAL, _TRUE_LITERAL, _FALSE_LITERAL
_FAST_HEADERS = (  # by container type: (unpack count and size, entries start, entry bytes)
    (struct.Struct("<HH").unpack_from, 4, 2 + 2 + 1 + 2),  # small object: key + value entry
    (struct.Struct("<II").unpack_from, 8, 4 + 2 + 1 + 4),  # large object
    (struct.Struct("<HH").unpack_from, 4, 1 + 2),  # small array: value entry
    (struct.Struct("<II").unpack_from, 8, 1 + 4),  # large array
)
_FAST_FIXED = {  # fixed-size scalars: type -> (unpack_from, size, unsigned)
    jtype: (struct.Struct(fmt).unpack_from, struct.calcsize(fmt), jtype in _UNSIGNED_TYPES)
    for jtype, fmt in _FIXED_SCALARS.items()
}
_unpack_double = _FAST_FIXED[JSONB_TYPE_DOUBLE][0]

# Up to _FAST_ENTRIES_MAX_COUNT elements, one Struct per container type and element
# count reads every key entry (offset, length) then every value entry (type, offset or
# inlined value); past it, the entries are read one by one (iter_unpack).
_ENTRY_FORMATS = (("HH", "BH"), ("IH", "BI"), ("", "BH"), ("", "BI"))
_ENTRY_STRUCTS = tuple((struct.Struct("<" + keys), struct.Struct("<" + values))
                       for keys, values in _ENTRY_FORMATS)
_FAST_ENTRIES: tuple[dict[int, Any], ...] = ({}, {}, {}, {})
_FAST_ENTRIES_MAX_COUNT = 64

# Keys as decoded before, by an object's key entries, so objects of one shape (the
# rows of a table) decode their keys once: (header size, end of the last key, the bytes
# from the header to there, keys, key bytes).  Used when the bytes still match.  Only
# for objects of up to _FAST_ENTRIES_MAX_COUNT keys.
_FAST_KEYS: dict[tuple[int, ...], tuple[int, int, bytes, tuple[str, ...], int]] = {}
_FAST_KEYS_MAX = 256  # entries; emptied when full
_FAST_KEYS_MAX_BYTES = 1024  # bytes of the key area


def _fast_entries(jtype: int, count: int) -> Any:
    """``unpack_from`` of the Struct for all entries of a container of ``count``."""
    keys, values = _ENTRY_FORMATS[jtype]
    unpack = struct.Struct("<" + keys * count + values * count).unpack_from
    _FAST_ENTRIES[jtype][count] = unpack
    return unpack


def _fast_many_entries(data: bytes, start: int, jtype: int,
                       count: int) -> tuple[tuple[int, ...], Iterator[tuple[int, int]]]:
    """The entries of a container of many elements: (key entries flat, value entries)."""
    key_struct, value_struct = _ENTRY_STRUCTS[jtype]
    view = memoryview(data)
    key_entries: tuple[int, ...] = ()
    if jtype <= JSONB_TYPE_LARGE_OBJECT:
        stop = start + count * key_struct.size
        key_entries = tuple(itertools.chain.from_iterable(
            key_struct.iter_unpack(view[start:stop])))
        start = stop
    return key_entries, value_struct.iter_unpack(view[start:start + count * value_struct.size])


def _fast_variable_length(data: bytes, pos: int, end: int) -> tuple[int, int]:
    """``read_variable_length``: (length, position after it)."""
    length = 0
    shift = 0
    stop = min(end, pos + 5)
    while pos < stop:
        byte = data[pos]
        pos += 1
        length |= (byte & 0x7F) << shift
        if byte < 0x80:
            if length > _UINT32_MAX:
                raise _Bail
            return length, pos
        shift += 7
    raise _Bail


def _fast_scalar(data: bytes, jtype: int, pos: int, end: int, budget: int) -> tuple[Any, int]:
    """A scalar at ``pos`` within ``end``, not inlined: (value, budget left).

    Its node is paid for by its container (or the document); a string or opaque value
    pays its bytes here, before they are copied.
    """
    if jtype == JSONB_TYPE_STRING:
        length, pos = _fast_variable_length(data, pos, end)
        stop = pos + length
        budget -= length
        if stop > end or budget < 0:
            raise _Bail
        return data[pos:stop].decode(), budget
    fixed = _FAST_FIXED.get(jtype)
    if fixed is not None:
        unpack, size, unsigned = fixed
        if pos + size > end:
            raise _Bail
        (number,) = unpack(data, pos)
        return (JsonUInt(number) if unsigned else number), budget
    if jtype == JSONB_TYPE_LITERAL:
        if pos >= end:
            raise _Bail
        return _LITERALS[data[pos]], budget  # IndexError past JSONB_FALSE_LITERAL
    if jtype == JSONB_TYPE_OPAQUE:
        if pos >= end:
            raise _Bail
        field_type = data[pos]
        length, pos = _fast_variable_length(data, pos + 1, end)
        stop = pos + length
        budget -= length
        if stop > end or budget < 0:
            raise _Bail
        return _opaque_value(field_type, data[pos:stop], _bail), budget
    raise _Bail


def _fast_keys(data: bytes, base: int, key_entries: tuple[int, ...], header: int, size: int,
               budget: int) -> tuple[Any, int]:
    """An object's keys from its key entries (offset, length, ...): (keys, budget left)."""
    key_offsets = key_entries[0::2]
    key_lengths = key_entries[1::2]
    key_bytes = sum(key_lengths)
    budget -= key_bytes
    if budget < 0:
        raise _Bail
    keys = []
    for key_offset, key_length in zip(key_offsets, key_lengths):  # noqa: B905 -- same length
        if key_offset < header or key_offset + key_length > size:
            raise _Bail
        start = base + key_offset
        keys.append(data[start:start + key_length].decode())
    if len(keys) <= _FAST_ENTRIES_MAX_COUNT:
        end = max(map(operator.add, key_offsets, key_lengths), default=header)
        if end - header <= _FAST_KEYS_MAX_BYTES:
            if len(_FAST_KEYS) >= _FAST_KEYS_MAX:
                _FAST_KEYS.clear()
            _FAST_KEYS[key_entries] = (header, end, data[base + header:base + end],
                                       tuple(keys), key_bytes)
    return keys, budget


def _fast_container(data: bytes, base: int, end: int, jtype: int, depth: int,
                    budget: int) -> tuple[Any, int]:
    """The object or array of type ``jtype`` at ``base`` within ``end``: (value, budget)."""
    if depth > JSON_DOCUMENT_MAX_DEPTH:
        raise _Bail
    unpack_header, first_entry, entry_bytes = _FAST_HEADERS[jtype]
    count, size = unpack_header(data, base)  # struct.error past the data
    header = first_entry + count * entry_bytes
    # header >= first_entry: this also refuses a header cut short by ``end``.
    if size > end - base or header > size:
        raise _Bail
    budget -= count  # a node per element
    if budget < 0:
        raise _Bail
    cend = base + size
    is_object = jtype <= JSONB_TYPE_LARGE_OBJECT
    if count <= _FAST_ENTRIES_MAX_COUNT:
        flat = (_FAST_ENTRIES[jtype].get(count) or _fast_entries(jtype, count))(
            data, base + first_entry)
        if is_object:
            split = 2 * count
            key_entries = flat[:split]
            flat = iter(flat[split:])
            known = _FAST_KEYS.get(key_entries)
            if (known is not None and known[0] == header and known[1] <= size
                    and data[base + header:base + known[1]] == known[2]):
                keys = known[3]
                budget -= known[4]
                if budget < 0:
                    raise _Bail
            else:
                keys, budget = _fast_keys(data, base, key_entries, header, size, budget)
        else:
            flat = iter(flat)
        value_entries = zip(flat, flat)  # noqa: B905 -- pairs
    else:
        key_entries, value_entries = _fast_many_entries(data, base + first_entry, jtype,
                                                        count)
        if is_object:
            keys, budget = _fast_keys(data, base, key_entries, header, size, budget)

    values: list[Any] = []
    append = values.append
    for jt, entry in value_entries:
        # Literals, int16 and uint16 (and int32, uint32 in a large container) are in the
        # entry; any other entry is an offset, which must point past the header (the
        # checked decoder asks for past the entry only; MySQL writes past the header).
        if jt == JSONB_TYPE_STRING:
            if entry < header:
                raise _Bail
            pos = base + entry
            length = data[pos]  # IndexError past the data; past cend: caught below
            if length < 0x80:  # one byte of length
                pos += 1
            else:
                high = data[pos + 1]
                if high >= 0x80:  # three or more: 16 KiB or more
                    value, budget = _fast_scalar(data, jt, pos, cend, budget)
                    append(value)
                    continue
                length = length & 0x7F | high << 7
                pos += 2
            stop = pos + length
            budget -= length
            if stop > cend or budget < 0:
                raise _Bail
            append(data[pos:stop].decode())
        elif jt == JSONB_TYPE_INT16:
            entry &= 0xFFFF
            append(entry - 0x10000 if entry & 0x8000 else entry)
        elif jt == JSONB_TYPE_LITERAL:
            append(_LITERALS[entry & 0xFF])  # IndexError past JSONB_FALSE_LITERAL
        elif jt <= JSONB_TYPE_LARGE_ARRAY:
            if entry < header:
                raise _Bail
            value, budget = _fast_container(data, base + entry, cend, jt, depth + 1,
                                            budget)
            append(value)
        elif jt == JSONB_TYPE_DOUBLE:
            if entry < header:
                raise _Bail
            pos = base + entry
            if pos + 8 > cend:
                raise _Bail
            append(_unpack_double(data, pos)[0])
        elif jt == JSONB_TYPE_UINT16:
            append(JsonUInt(entry & 0xFFFF))
        elif jt == JSONB_TYPE_INT32 and jtype & 1:  # large
            append(entry - 0x100000000 if entry & 0x80000000 else entry)
        elif jt == JSONB_TYPE_UINT32 and jtype & 1:
            append(JsonUInt(entry))
        else:
            if entry < header:
                raise _Bail
            value, budget = _fast_scalar(data, jt, base + entry, cend, budget)
            append(value)
    if not is_object:
        return values, budget
    result = dict(zip(keys, values))  # noqa: B905 -- same length; strict= is slow here
    if len(result) != count:  # a duplicate key
        raise _Bail
    return result, budget


def _decode_json_fast(data: bytes) -> Any:
    """The fast decoder on a non-empty document; raises _Bail (or anything) if unsure."""
    jtype = data[0]
    budget = len(data)  # the checked decoder's len + 1, less the top value's node
    if jtype <= JSONB_TYPE_LARGE_ARRAY:
        return _fast_container(data, 1, len(data), jtype, 1, budget)[0]
    return _fast_scalar(data, jtype, 1, len(data), budget)[0]


def _decode_json_checked(data: bytes) -> Any:
    """The checked decoder on a non-empty document: precise errors."""
    return _Decoder(data).value(data[0], 1, len(data), 0, "$")


class JsonNull:
    """The JSON ``null`` that a whole JSON column value can be, as opposed to SQL NULL.

    Inside a document a JSON null is Python ``None`` (there is no ambiguity there); a
    column whose document *is* ``null`` decodes to :data:`JSON_NULL`
    (:func:`decode_json_document`), so a row can tell it from a NULL column.  It is
    falsy and renders as ``null`` in JSON output.
    """

    _instance: JsonNull | None = None

    def __new__(cls) -> JsonNull:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "JSON_NULL"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self):
        return (JsonNull, ())

    def to_json(self) -> None:
        return None


JSON_NULL = JsonNull()


def decode_json_document(data: bytes | bytearray | memoryview) -> Any:
    """A JSON column's value: :func:`decode_json`, with a document that is JSON null
    (or empty, which MySQL reads as null) given as :data:`JSON_NULL`."""
    value = decode_json(data)
    return JSON_NULL if value is None else value


def decode_json(data: bytes | bytearray | memoryview) -> Any:
    """Decode one binary JSON document (``json_binary::parse_binary`` + ``Json_dom::parse``).

    ``data`` is the column value without its length prefix.  ``b""`` is JSON null,
    as MySQL reads it.  Raises :class:`DecodeError` for anything malformed.
    """
    data = bytes(data)
    if not data:
        return None
    # Any doubt and the checked decoder decides; outside the handler, so that its
    # DecodeError does not chain the fast decoder's exception.
    try:
        if _NATIVE_DECODE is not None:
            return _NATIVE_DECODE(data, JsonUInt, _native_opaque)
        return _decode_json_fast(data)
    except Exception:
        pass
    return _decode_json_checked(data)


def _native_opaque(field_type: int, payload: bytes) -> Any:
    """The native decoder's hook for opaque values: as the fast decoder makes them."""
    return _opaque_value(field_type, payload, _bail)


def _native_json_decoder() -> Any:
    """``mysqlproto._rowsc.decode_json`` -- :func:`_decode_json_fast` in C (same values,
    gives up where it does) -- when the optional extension is built and
    ``MYSQLPROTO_PURE_PYTHON`` is not set, else None."""
    if os.environ.get("MYSQLPROTO_PURE_PYTHON"):
        return None
    try:
        from mysqlproto._rowsc import decode_json as native
    except ImportError:
        return None
    return native


_NATIVE_DECODE = _native_json_decoder()


_TYPE_NAMES = {
    JSONB_TYPE_INT16: "int16",
    JSONB_TYPE_UINT16: "uint16",
    JSONB_TYPE_INT32: "int32",
    JSONB_TYPE_UINT32: "uint32",
    JSONB_TYPE_INT64: "int64",
    JSONB_TYPE_UINT64: "uint64",
    JSONB_TYPE_DOUBLE: "double",
}

# -- opaque payloads: DECIMAL (strings/decimal.cc) ---------------------------------------

_DIG_PER_DEC1 = 9
_DIG2BYTES = (0, 1, 1, 2, 2, 3, 3, 4, 4, 4)
DECIMAL_MAX_PRECISION = 65
DECIMAL_MAX_SCALE = 30


def _decimal_bin_size(precision: int, scale: int) -> int:
    """``decimal_bin_size``."""
    intg = precision - scale
    return (intg // _DIG_PER_DEC1 * 4 + _DIG2BYTES[intg % _DIG_PER_DEC1]
            + scale // _DIG_PER_DEC1 * 4 + _DIG2BYTES[scale % _DIG_PER_DEC1])


def _digit_groups(intg: int, scale: int) -> list[int]:
    """The digit count of each group ``decimal2bin`` writes, most significant first."""
    groups = []
    if intg % _DIG_PER_DEC1:
        groups.append(intg % _DIG_PER_DEC1)
    groups += [_DIG_PER_DEC1] * (intg // _DIG_PER_DEC1)
    groups += [_DIG_PER_DEC1] * (scale // _DIG_PER_DEC1)
    if scale % _DIG_PER_DEC1:
        groups.append(scale % _DIG_PER_DEC1)
    return groups


def _decode_decimal(payload: bytes) -> JsonDecimal:
    """``Json_decimal::convert_from_binary``: precision, scale, then ``bin2decimal``.

    Raises ValueError with the reason when the payload is not a decimal.
    """
    if len(payload) < 2:
        raise ValueError("DECIMAL needs precision and scale bytes")
    precision, scale = payload[0], payload[1]
    if not (1 <= precision <= DECIMAL_MAX_PRECISION and scale <= DECIMAL_MAX_SCALE
            and scale <= precision):
        raise ValueError(f"bad DECIMAL precision {precision} / scale {scale}")
    body = bytearray(payload[2:])
    if len(body) != _decimal_bin_size(precision, scale):
        raise ValueError(f"DECIMAL({precision},{scale}) needs "
                         f"{_decimal_bin_size(precision, scale)} bytes, has {len(body)}")
    # The first byte's top bit is flipped; negative numbers have every bit inverted.
    body[0] ^= 0x80
    negative = bool(body[0] & 0x80)
    if negative:
        body = bytearray(b ^ 0xFF for b in body)
    intg = precision - scale
    digits = []
    pos = 0
    for ndigits in _digit_groups(intg, scale):
        nbytes = _DIG2BYTES[ndigits]
        group = int.from_bytes(body[pos:pos + nbytes], "big")
        pos += nbytes
        if group >= 10**ndigits:
            raise ValueError(f"DECIMAL digit group {group} has more than {ndigits} digits")
        digits.append(str(group).rjust(ndigits, "0"))
    text = "".join(digits)
    int_part = text[:intg].lstrip("0") or "0"
    frac_part = text[intg:]
    number = ("-" if negative else "") + int_part + ("." + frac_part if scale else "")
    return JsonDecimal(number, precision)


def _default_precision(value: Decimal) -> int:
    """The precision MySQL gives a decimal literal: integer digits (at least 1) + scale."""
    _, digits, exponent = value.as_tuple()
    scale = max(0, -int(exponent))
    int_digits = max(1, len(digits) + int(exponent)) if digits != (0,) else 1
    return int_digits + scale


def _encode_decimal(value: Decimal) -> bytes:
    """``Json_decimal::get_binary``: precision, scale, ``decimal2bin`` bytes."""
    if not value.is_finite():
        raise UsageError(f"JSON cannot hold the DECIMAL {value}")
    sign, digit_tuple, exponent = value.as_tuple()
    exponent = int(exponent)
    coefficient = int("".join(map(str, digit_tuple)) or "0")
    if exponent >= 0:
        int_part, frac_part, scale = coefficient * 10**exponent, 0, 0
    else:
        scale = -exponent
        int_part, frac_part = divmod(coefficient, 10**scale)
    precision = value.precision if isinstance(value, JsonDecimal) else _default_precision(value)
    intg = precision - scale
    if scale > DECIMAL_MAX_SCALE or not 1 <= precision <= DECIMAL_MAX_PRECISION or intg < 0:
        raise UsageError(f"DECIMAL({precision},{scale}) is outside MySQL's limits "
                         f"(precision 1-{DECIMAL_MAX_PRECISION}, scale 0-{DECIMAL_MAX_SCALE})")
    int_text = str(int_part) if int_part else ""
    if len(int_text) > intg:
        raise UsageError(f"{value} does not fit DECIMAL({precision},{scale})")
    text = int_text.rjust(intg, "0") + (str(frac_part).rjust(scale, "0") if scale else "")
    body = bytearray()
    pos = 0
    for ndigits in _digit_groups(intg, scale):
        body += int(text[pos:pos + ndigits]).to_bytes(_DIG2BYTES[ndigits], "big")
        pos += ndigits
    if sign:
        body = bytearray(b ^ 0xFF for b in body)
    if body:
        body[0] ^= 0x80
    return bytes([precision, scale]) + bytes(body)


# -- opaque payloads: dates and times (mysys/my_time.cc) --------------------------------


@dataclass(frozen=True)
class _MySQLTime:
    """The fields of a ``MYSQL_TIME`` unpacked from ``longlong`` packed form."""

    negative: bool
    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int
    microsecond: int


def _unpack_time(field_type: int, packed: int) -> _MySQLTime:
    """``TIME_from_longlong_{time,date,datetime}_packed``."""
    negative = packed < 0
    if negative:
        packed = -packed
    fraction = packed % (1 << 24)
    if field_type == MYSQL_TYPE_TIME:
        hms = packed >> 24
        return _MySQLTime(negative, 0, 0, 0, (hms >> 12) % (1 << 10), (hms >> 6) % (1 << 6),
                          hms % (1 << 6), fraction)
    ymdhms = packed >> 24
    ymd = ymdhms >> 17
    ym = ymd >> 5
    hms = ymdhms % (1 << 17)
    if field_type == MYSQL_TYPE_DATE:
        return _MySQLTime(negative, ym // 13, ym % 13, ymd % (1 << 5), 0, 0, 0, 0)
    return _MySQLTime(negative, ym // 13, ym % 13, ymd % (1 << 5), hms >> 12,
                      (hms >> 6) % (1 << 6), hms % (1 << 6), fraction)


def _pack_datetime(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
                   second: int = 0, microsecond: int = 0) -> int:
    """``TIME_to_longlong_datetime_packed`` (and ``_date_packed`` with a zero time)."""
    ymd = ((year * 13 + month) << 5) | day
    hms = (hour << 12) | (minute << 6) | second
    return (((ymd << 17) | hms) << 24) + microsecond


def _pack_time(delta: datetime.timedelta) -> int:
    """``TIME_to_longlong_time_packed`` for a signed duration."""
    negative = delta < datetime.timedelta(0)
    micros = abs(delta) // datetime.timedelta(microseconds=1)
    seconds, fraction = divmod(micros, 1_000_000)
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    if hours >= 1 << 10:
        raise UsageError(f"TIME {delta} has more hours than MySQL can store (1023)")
    packed = (((hours << 12) | (minute << 6) | second) << 24) + fraction
    return -packed if negative else packed


def _time_value(field_type: int, payload: bytes) -> Any:
    """The Python value of a packed DATE/TIME/DATETIME/TIMESTAMP; ValueError if none."""
    (packed,) = struct.unpack("<q", payload)
    t = _unpack_time(field_type, packed)
    if field_type == MYSQL_TYPE_TIME:
        delta = datetime.timedelta(hours=t.hour, minutes=t.minute, seconds=t.second,
                                   microseconds=t.microsecond)
        return -delta if t.negative else delta
    if t.negative:
        raise ValueError("negative date")
    if field_type == MYSQL_TYPE_DATE:
        return datetime.date(t.year, t.month, t.day)
    cls = JsonTimestamp if field_type == MYSQL_TYPE_TIMESTAMP else datetime.datetime
    return cls(t.year, t.month, t.day, t.hour, t.minute, t.second, t.microsecond)


def _format_time(field_type: int, payload: bytes) -> str:
    """``my_TIME_to_str(t, buf, 6)``: how MySQL prints a date or time in JSON."""
    (packed,) = struct.unpack("<q", payload)
    t = _unpack_time(field_type, packed)
    if field_type == MYSQL_TYPE_TIME:
        sign = "-" if t.negative else ""
        return f"{sign}{t.hour:02d}:{t.minute:02d}:{t.second:02d}.{t.microsecond:06d}"
    date = f"{t.year:04d}-{t.month:02d}-{t.day:02d}"
    if field_type == MYSQL_TYPE_DATE:
        return date
    return f"{date} {t.hour:02d}:{t.minute:02d}:{t.second:02d}.{t.microsecond:06d}"


_TIME_TYPES = (MYSQL_TYPE_DATE, MYSQL_TYPE_TIME, MYSQL_TYPE_DATETIME, MYSQL_TYPE_TIMESTAMP)
_PACKED_SIZE = 8  # Json_datetime::PACKED_SIZE


def _opaque_value(field_type: int, payload: bytes, fail) -> Any:
    """What ``json_binary_to_dom_template`` makes of an opaque value."""
    if field_type == MYSQL_TYPE_NEWDECIMAL:
        try:
            return _decode_decimal(payload)
        except ValueError as exc:
            raise fail(str(exc)) from None
    if field_type in _TIME_TYPES:
        if len(payload) != _PACKED_SIZE:
            raise fail(f"packed date/time of {len(payload)} bytes, not {_PACKED_SIZE}")
        try:
            return _time_value(field_type, payload)
        except ValueError:
            # A zero date (0000-00-00) or other fields Python cannot hold.
            return JsonOpaque(field_type, payload)
    return JsonOpaque(field_type, payload)


# -- encoding ---------------------------------------------------------------------------


class _TooBig(Exception):
    """``VALUE_TOO_BIG``: the small format cannot hold this container."""


def _variable_length(length: int) -> bytes:
    """``append_variable_length``."""
    out = bytearray()
    while True:
        byte = length & 0x7F
        length >>= 7
        if length:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _inline(value: Any, large: bool) -> tuple[int, int] | None:
    """``attempt_inline_value``: (type, number) for a value its entry can hold."""
    if value is None:
        return JSONB_TYPE_LITERAL, JSONB_NULL_LITERAL
    if value is True:
        return JSONB_TYPE_LITERAL, JSONB_TRUE_LITERAL
    if value is False:
        return JSONB_TYPE_LITERAL, JSONB_FALSE_LITERAL
    if isinstance(value, JsonUInt):
        if 0 <= value <= _UINT16_MAX:
            return JSONB_TYPE_UINT16, int(value)
        if large and 0 <= value <= _UINT32_MAX:
            return JSONB_TYPE_UINT32, int(value)
        return None
    if isinstance(value, int):
        if -(1 << 15) <= value < (1 << 15):
            return JSONB_TYPE_INT16, int(value)
        if large and -(1 << 31) <= value < (1 << 31):
            return JSONB_TYPE_INT32, int(value)
    return None


def _key_bytes(key: Any) -> bytes:
    if not isinstance(key, str):
        raise UsageError(f"JSON object keys must be str, not {type(key).__name__}")
    raw = _utf8(key)
    if len(raw) > _UINT16_MAX:
        raise UsageError(f"JSON key of {len(raw)} bytes is longer than 65535 (JSON_KEY_TOO_BIG)")
    return raw


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UsageError(f"JSON strings must be valid Unicode: {exc.reason}") from None


def _mysql_key_order(raw_keys: Iterable[bytes]) -> list[bytes]:
    """Keys as ``Json_object`` orders them: by length, then bytewise."""
    return sorted(raw_keys, key=lambda k: (len(k), k))


def _encode_container(value: Any, is_object: bool, large: bool, depth: int) -> bytes:
    """``serialize_json_object`` / ``serialize_json_array``: the bytes after the type."""
    if depth > JSON_DOCUMENT_MAX_DEPTH:
        raise UsageError(f"JSON nested deeper than {JSON_DOCUMENT_MAX_DEPTH}")
    limit = _UINT32_MAX if large else _UINT16_MAX
    osz = _offset_size(large)
    fmt = "<I" if large else "<H"
    ves = _value_entry_size(large)
    if is_object:
        by_raw = {_key_bytes(k): v for k, v in value.items()}
        raw_keys = _mysql_key_order(by_raw)
        elements = [by_raw[k] for k in raw_keys]
    else:
        raw_keys = []
        elements = list(value)
    count = len(elements)
    if count > limit:
        raise _TooBig
    header = 2 * osz + count * ((_key_entry_size(large) if is_object else 0) + ves)

    key_entries = bytearray()
    offset = header
    for raw in raw_keys:
        if offset > limit:
            raise _TooBig
        key_entries += struct.pack(fmt, offset) + struct.pack("<H", len(raw))
        offset += len(raw)

    value_entries = bytearray()
    tail = bytearray(b"".join(raw_keys))
    for element in elements:
        inlined = _inline(element, large)
        if inlined is not None:
            jtype, number = inlined
            value_entries.append(jtype)
            value_entries += number.to_bytes(osz, "little", signed=number < 0)
            continue
        offset = header + len(tail)
        if offset > limit:
            raise _TooBig
        jtype, body = _encode_value(element, depth, small_parent=not large)
        value_entries.append(jtype)
        value_entries += struct.pack(fmt, offset)
        tail += body
        if header + len(tail) > limit:
            raise _TooBig
    size = header + len(tail)
    if size > limit:
        raise _TooBig
    return struct.pack(fmt, count) + struct.pack(fmt, size) + key_entries + value_entries + tail


def _encode_value(value: Any, depth: int, small_parent: bool) -> tuple[int, bytes]:
    """``serialize_json_value``: (type byte, bytes of the value)."""
    if isinstance(value, dict | list | tuple):
        is_object = isinstance(value, dict)
        small, large = ((JSONB_TYPE_SMALL_OBJECT, JSONB_TYPE_LARGE_OBJECT) if is_object
                        else (JSONB_TYPE_SMALL_ARRAY, JSONB_TYPE_LARGE_ARRAY))
        try:
            return small, _encode_container(value, is_object, False, depth + 1)
        except _TooBig:
            if small_parent:
                raise
        try:
            return large, _encode_container(value, is_object, True, depth + 1)
        except _TooBig:
            raise UsageError("JSON document is larger than 4 GiB") from None
    if value is None:
        return JSONB_TYPE_LITERAL, bytes([JSONB_NULL_LITERAL])
    if value is True:
        return JSONB_TYPE_LITERAL, bytes([JSONB_TRUE_LITERAL])
    if value is False:
        return JSONB_TYPE_LITERAL, bytes([JSONB_FALSE_LITERAL])
    if isinstance(value, JsonUInt):
        if not 0 <= value <= _UINT64_MAX:
            raise UsageError(f"JsonUInt {int(value)} is outside 0..2**64-1")
        if value <= _UINT16_MAX:
            return JSONB_TYPE_UINT16, struct.pack("<H", value)
        if value <= _UINT32_MAX:
            return JSONB_TYPE_UINT32, struct.pack("<I", value)
        return JSONB_TYPE_UINT64, struct.pack("<Q", value)
    if isinstance(value, int):
        if -(1 << 15) <= value < (1 << 15):
            return JSONB_TYPE_INT16, struct.pack("<h", value)
        if -(1 << 31) <= value < (1 << 31):
            return JSONB_TYPE_INT32, struct.pack("<i", value)
        if _INT64_MIN <= value <= _INT64_MAX:
            return JSONB_TYPE_INT64, struct.pack("<q", value)
        if 0 <= value <= _UINT64_MAX:
            return JSONB_TYPE_UINT64, struct.pack("<Q", value)
        raise UsageError(f"integer {value} does not fit JSON's int64/uint64")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise UsageError(f"JSON cannot hold the double {value}")
        return JSONB_TYPE_DOUBLE, struct.pack("<d", value)
    if isinstance(value, str):
        raw = _utf8(value)
        return JSONB_TYPE_STRING, _variable_length(len(raw)) + raw
    return JSONB_TYPE_OPAQUE, _encode_opaque(value)


def _opaque_parts(value: Any) -> tuple[int, bytes]:
    """(field type, payload) of a value MySQL stores as opaque."""
    if isinstance(value, JsonOpaque):
        if not 0 <= value.field_type <= 0xFF:
            raise UsageError(f"opaque field type {value.field_type} is not a byte")
        return value.field_type, bytes(value.data)
    if isinstance(value, Decimal):
        return MYSQL_TYPE_NEWDECIMAL, _encode_decimal(value)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            raise UsageError("MySQL JSON datetimes have no time zone; pass a naive datetime")
        field_type = MYSQL_TYPE_TIMESTAMP if isinstance(value, JsonTimestamp) \
            else MYSQL_TYPE_DATETIME
        packed = _pack_datetime(value.year, value.month, value.day, value.hour, value.minute,
                                value.second, value.microsecond)
        return field_type, struct.pack("<q", packed)
    if isinstance(value, datetime.date):
        return MYSQL_TYPE_DATE, struct.pack("<q", _pack_datetime(value.year, value.month,
                                                                 value.day))
    if isinstance(value, datetime.timedelta):
        return MYSQL_TYPE_TIME, struct.pack("<q", _pack_time(value))
    if isinstance(value, datetime.time):
        delta = datetime.timedelta(hours=value.hour, minutes=value.minute,
                                   seconds=value.second, microseconds=value.microsecond)
        return MYSQL_TYPE_TIME, struct.pack("<q", _pack_time(delta))
    raise UsageError(f"no JSON form for {type(value).__name__} (wrap bytes in JsonOpaque)")


def _encode_opaque(value: Any) -> bytes:
    """``serialize_opaque``: field type, variable-length length, payload."""
    field_type, payload = _opaque_parts(value)
    return bytes([field_type]) + _variable_length(len(payload)) + payload


def encode_json(value: Any) -> bytes:
    """Serialize a value as MySQL does (``json_binary::serialize``).

    Accepts dict (str keys), list/tuple, str, int (:class:`JsonUInt` for the unsigned
    types), float, bool, None, Decimal, ``datetime.date``/``datetime``/``timedelta``/
    ``time`` and :class:`JsonOpaque`.  Raises :class:`UsageError` for anything else or
    for a value MySQL could not store.
    """
    if value is JSON_NULL:
        value = None
    jtype, body = _encode_value(value, 0, small_parent=False)
    return bytes([jtype]) + body


# -- text, as MySQL prints it (json_dom.cc wrapper_to_string) ----------------------------

_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"',
            "\\": "\\\\"}


def _double_quote(text: str) -> str:
    """``double_quote``: quotes, and escapes for ``"``, ``\\`` and control characters."""
    out = ['"']
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) <= 0x1F:
            out.append(f"\\u00{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


MAX_DECPT_FOR_F_FORMAT = 15  # DBL_DIG


def _format_double(number: float) -> str:
    """``my_gcvt(d, MY_GCVT_ARG_DOUBLE, MY_GCVT_MAX_FIELD_WIDTH)`` plus JSON's ``.0``.

    With that width (34) dtoa mode 4 returns the shortest digits that round-trip --
    the digits of Python's ``repr`` -- so only the choice between the 'f' and 'e'
    forms remains: 'f' when -14 <= decpt and (decpt <= 15 or the digits reach past
    the point), where the value is 0.DIGITS x 10**decpt.
    """
    if not math.isfinite(number):
        raise UsageError(f"JSON cannot hold the double {number}")
    sign = "-" if math.copysign(1.0, number) < 0 else ""
    if number == 0:
        digits, decpt = "0", 1
    else:
        _, digit_tuple, exponent = Decimal(repr(abs(number))).as_tuple()
        text = "".join(map(str, digit_tuple))
        stripped = text.rstrip("0")
        exponent = int(exponent) + len(text) - len(stripped)
        digits = stripped
        decpt = len(digits) + exponent
    length = len(digits)
    if decpt >= -MAX_DECPT_FOR_F_FORMAT + 1 and (decpt <= MAX_DECPT_FOR_F_FORMAT
                                                or length > decpt):
        if decpt <= 0:
            body = "0." + "0" * -decpt + digits
        elif decpt < length:
            body = digits[:decpt] + "." + digits[decpt:]
        else:
            body = digits + "0" * (decpt - length)
    else:
        exp = decpt - 1
        body = digits[0] + ("." + digits[1:] if length > 1 else "") + "e" + str(exp)
    if "." not in body and "e" not in body:
        body += ".0"
    return sign + body


def _base64_mysql(data: bytes) -> str:
    """``base64_encode``: standard alphabet, a newline after every 76 characters."""
    text = base64.b64encode(data).decode("ascii")
    return "\n".join(text[i:i + 76] for i in range(0, len(text), 76))


def _opaque_text(field_type: int, data: bytes) -> str:
    if field_type in _TIME_TYPES and len(data) == _PACKED_SIZE:
        return _double_quote(_format_time(field_type, data))
    if field_type == MYSQL_TYPE_NEWDECIMAL:
        try:
            return _decimal_text(_decode_decimal(data))
        except ValueError:
            pass
    if field_type == MYSQL_TYPE_VAR_STRING:
        # wrapper_to_string prints opaque VAR_STRING values as plain strings.
        return _double_quote(data.decode("utf-8", "replace"))
    return _double_quote(f"base64:type{field_type}:{_base64_mysql(data)}")


def _decimal_text(value: Decimal) -> str:
    """``decimal2string``: all digits of the scale, no exponent."""
    if not value.is_finite():
        raise UsageError(f"JSON cannot hold the DECIMAL {value}")
    return format(value, "f")


def _to_text(value: Any, out: list[str], depth: int) -> None:
    if isinstance(value, dict | list | tuple):
        depth += 1
        if depth > JSON_DOCUMENT_MAX_DEPTH:
            raise UsageError(f"JSON nested deeper than {JSON_DOCUMENT_MAX_DEPTH}")
    if isinstance(value, dict):
        out.append("{")
        for i, (key, member) in enumerate(value.items()):
            if i:
                out.append(", ")
            if not isinstance(key, str):
                raise UsageError(f"JSON object keys must be str, not {type(key).__name__}")
            out.append(_double_quote(key))
            out.append(": ")
            _to_text(member, out, depth)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, element in enumerate(value):
            if i:
                out.append(", ")
            _to_text(element, out, depth)
        out.append("]")
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(str(int(value)))
    elif isinstance(value, float):
        out.append(_format_double(value))
    elif isinstance(value, str):
        out.append(_double_quote(value))
    elif isinstance(value, Decimal):
        out.append(_decimal_text(value))
    else:
        field_type, payload = _opaque_parts(value)
        out.append(_opaque_text(field_type, payload))


def to_json_text(value: Any) -> str:
    """The text MySQL prints for a JSON value (``CAST(j AS CHAR)``, ``mysql`` client).

    ``Json_wrapper::to_string`` without pretty printing: ``", "`` and ``": "``
    separators, strings escaped by ``double_quote``; doubles as ``my_gcvt`` prints them
    with ``.0`` added to integral ones; DECIMAL as a bare number with all its scale
    digits; DATE/TIME/DATETIME/TIMESTAMP as quoted strings with six fractional digits
    (``my_TIME_to_str(..., 6)``: ``"2020-01-02"``, ``"-838:59:58.000001"``,
    ``"2020-01-02 03:04:05.123456"``); other opaque values as
    ``"base64:type<field type>:<base64>"`` with MySQL's newline every 76 characters.
    """
    if value is JSON_NULL:
        value = None
    out: list[str] = []
    _to_text(value, out, 0)
    return "".join(out)


# -- JSON paths (json_path.cc) ----------------------------------------------------------


@dataclass(frozen=True)
class ArrayFromEnd:
    """The array leg ``[last]`` (offset 0) or ``[last-N]``."""

    offset: int = 0


PathLeg = str | int | ArrayFromEnd
"""A member name, an index from the start, or an :class:`ArrayFromEnd`."""

def _is_identifier(name: str) -> bool:
    """Whether MySQL prints ``name`` unquoted in a path (``is_ecmascript_identifier``).

    An approximation: MySQL's letter test (``my_isalpha`` on the utf8mb4 ctype table)
    is exact for ASCII only, so any non-ASCII name is treated as needing quotes; quoted
    names are always accepted, so paths written here always parse in MySQL.
    """
    if not name:
        return False
    for i, ch in enumerate(name):
        if ch.isascii() and (ch.isalpha() or ch in "$_"):
            continue
        if i and ch.isascii() and ch.isdigit():
            continue
        return False
    return True


def _is_identifier_lenient(name: str) -> bool:
    """What an unquoted leg may hold: the accepting side of ``is_ecmascript_identifier``.

    Letters, ``$`` and ``_`` anywhere; digits, combining marks, connector punctuation,
    ZWNJ/ZWJ after the first character; any non-ASCII character, since MySQL's letter
    test is not a Unicode one.
    """
    if not name:
        return False
    for i, ch in enumerate(name):
        code = ord(ch)
        if ch.isalpha() or ch in "$_" or code >= 0x80:
            continue
        if i and ch.isdigit():
            continue
        return False
    return True


def format_json_path(legs: Sequence[PathLeg]) -> str:
    """``Json_path::to_string``: ``$``, then ``.name`` / ``."quoted"`` / ``[n]`` / ``[last-n]``."""
    parts = ["$"]
    for leg in legs:
        if isinstance(leg, str):
            parts.append("." + (leg if _is_identifier(leg) else _double_quote(leg)))
        elif isinstance(leg, ArrayFromEnd):
            parts.append("[last]" if leg.offset == 0 else f"[last-{leg.offset}]")
        elif isinstance(leg, int) and not isinstance(leg, bool) and leg >= 0:
            parts.append(f"[{leg}]")
        else:
            raise UsageError(f"bad JSON path leg {leg!r}")
    return "".join(parts)


_PATH_WHITESPACE = " \t\n\r\v\f"


class _PathError(ValueError):
    pass


def parse_json_path(text: str) -> list[PathLeg]:
    """Parse the paths a JSON diff carries (``parse_path``), without wildcards or ranges.

    ``$`` then any of ``.name``, ``."quoted name"`` (JSON string escapes), ``[N]``,
    ``[last]``, ``[last-N]``; whitespace between tokens.  Raises :class:`UsageError`.
    """
    try:
        return _parse_path(text)
    except _PathError as exc:
        raise UsageError(f"bad JSON path {text!r}: {exc}") from None


def _parse_path(text: str) -> list[PathLeg]:
    pos = 0
    end = len(text)

    def skip_ws() -> None:
        nonlocal pos
        while pos < end and text[pos] in _PATH_WHITESPACE:
            pos += 1

    def index() -> int | ArrayFromEnd:
        nonlocal pos
        from_end = False
        if text.startswith("last", pos):
            pos += 4
            from_end = True
            skip_ws()
            if pos < end and text[pos] == "-":
                pos += 1
                skip_ws()
            else:
                return ArrayFromEnd(0)
        start = pos
        while pos < end and text[pos] in "0123456789":
            pos += 1
        if start == pos:
            raise _PathError(f"expected an array index at {start}")
        number = int(text[start:pos])
        if number > _UINT32_MAX:
            raise _PathError(f"array index {number} above 2**32-1")
        return ArrayFromEnd(number) if from_end else number

    legs: list[PathLeg] = []
    skip_ws()
    if pos >= end or text[pos] != "$":
        raise _PathError("a path starts with $")
    pos += 1
    skip_ws()
    while pos < end:
        ch = text[pos]
        if ch == "[":
            pos += 1
            skip_ws()
            if pos < end and text[pos] == "*":
                raise _PathError("wildcards cannot appear in a JSON diff path")
            leg = index()
            skip_ws()
            if text.startswith("to", pos):
                raise _PathError("ranges cannot appear in a JSON diff path")
            if pos >= end or text[pos] != "]":
                raise _PathError(f"expected ] at {pos}")
            pos += 1
            legs.append(leg)
        elif ch == ".":
            pos += 1
            skip_ws()
            if pos >= end:
                raise _PathError("member name missing")
            if text[pos] == "*":
                raise _PathError("wildcards cannot appear in a JSON diff path")
            if text[pos] == '"':
                start = pos
                pos += 1
                while pos < end:
                    c = text[pos]
                    pos += 1
                    if c == "\\":
                        pos += 1
                    elif c == '"':
                        break
                else:
                    raise _PathError("unterminated quoted member name")
                try:
                    name = json.loads(text[start:pos])
                except ValueError as exc:
                    raise _PathError(f"bad quoted member name: {exc}") from None
                legs.append(name)
            else:
                start = pos
                while pos < end and text[pos] not in _PATH_WHITESPACE + "[.*":
                    pos += 1
                try:
                    name = json.loads('"' + text[start:pos] + '"')
                except ValueError as exc:
                    raise _PathError(f"bad member name: {exc}") from None
                if not _is_identifier_lenient(name):
                    raise _PathError(f"unquoted member name {name!r} is not an identifier")
                legs.append(name)
        elif ch == "*":
            raise _PathError("** cannot appear in a JSON diff path")
        else:
            raise _PathError(f"unexpected {ch!r} at {pos}")
        skip_ws()
    return legs


# -- JSON diffs (json_diff.cc) ----------------------------------------------------------


class JsonDiffOperation(IntEnum):
    """``enum_json_diff_operation``."""

    REPLACE = 0
    """``JSON_REPLACE(col, path, value)``."""
    INSERT = 1
    """``JSON_ARRAY_INSERT`` for an array cell, ``JSON_INSERT`` for a member."""
    REMOVE = 2
    """``JSON_REMOVE(col, path)``; carries no value."""


@dataclass(frozen=True)
class JsonDiff:
    """One ``Json_diff``: operation, path text, and (unless REMOVE) the new value."""

    operation: JsonDiffOperation
    path: str
    value: Any = None


class JsonDiffRejected(DecodeError):
    """A diff that does not apply to the document (``enum_json_diff_status::REJECTED``)."""


def _net_field_length(data: bytes, pos: int, end: int) -> tuple[int, int]:
    """``net_field_length_checked``: (value, new position); ValueError if bad."""
    if pos >= end:
        raise ValueError("length missing")
    first = data[pos]
    if first < 251:
        return first, pos + 1
    sizes = {0xFC: 2, 0xFD: 3, 0xFE: 8}
    if first not in sizes:
        raise ValueError(f"bad length prefix 0x{first:02x}")
    size = sizes[first]
    if end - pos - 1 < size:
        raise ValueError("truncated length")
    return int.from_bytes(data[pos + 1:pos + 1 + size], "little"), pos + 1 + size


def _net_store_length(length: int) -> bytes:
    """``net_store_length``."""
    if length < 251:
        return bytes([length])
    if length < 1 << 16:
        return b"\xfc" + length.to_bytes(2, "little")
    if length < 1 << 24:
        return b"\xfd" + length.to_bytes(3, "little")
    return b"\xfe" + length.to_bytes(8, "little")


def decode_json_diff(data: bytes | bytearray | memoryview) -> list[JsonDiff]:
    """Decode the diffs of a partially updated JSON column (``read_json_diff``).

    In a PARTIAL_UPDATE_ROWS_EVENT after image, a JSON column whose partial bit is set
    holds ``Json_diff_vector::write_binary`` output: a 4-byte length (the same prefix
    any JSON column has, its metadata being 4) then the diffs; ``data`` is what follows
    that length.  Each diff: operation byte; path length (``net_field_length``) and
    path text; unless REMOVE, value length (``net_field_length``) and the value as
    binary JSON.  Raises :class:`DecodeError` (``field`` ``json_diff[i]...``).
    """
    data = bytes(data)
    diffs: list[JsonDiff] = []
    pos = 0
    end = len(data)
    while pos < end:
        field = f"json_diff[{len(diffs)}]"
        operation_number = data[pos]
        try:
            operation = JsonDiffOperation(operation_number)
        except ValueError:
            raise DecodeError(f"unknown JSON diff operation {operation_number}",
                              field=field + ".operation") from None
        pos += 1
        try:
            path_length, pos = _net_field_length(data, pos, end)
        except ValueError as exc:
            raise DecodeError(str(exc), field=field + ".path_length") from None
        if path_length > end - pos:
            raise DecodeError(f"path of {path_length} bytes runs past the diff",
                              field=field + ".path")
        try:
            path = data[pos:pos + path_length].decode("utf-8")
            parse_json_path(path)
        except (UnicodeDecodeError, UsageError) as exc:
            raise DecodeError(f"bad JSON path: {exc}", field=field + ".path") from None
        pos += path_length
        if operation == JsonDiffOperation.REMOVE:
            diffs.append(JsonDiff(operation, path))
            continue
        try:
            value_length, pos = _net_field_length(data, pos, end)
        except ValueError as exc:
            raise DecodeError(str(exc), field=field + ".value_length") from None
        if value_length > end - pos:
            raise DecodeError(f"value of {value_length} bytes runs past the diff",
                              field=field + ".value")
        try:
            value = decode_json(data[pos:pos + value_length])
        except DecodeError as exc:
            raise DecodeError(exc.reason, field=f"{field}.value:{exc.field}") from None
        pos += value_length
        diffs.append(JsonDiff(operation, path, value))
    return diffs


def encode_json_diff(diffs: Iterable[JsonDiff]) -> bytes:
    """The inverse of :func:`decode_json_diff` (``Json_diff::write_binary``), no length."""
    out = bytearray()
    for diff in diffs:
        operation = JsonDiffOperation(diff.operation)
        parse_json_path(diff.path)
        path = _utf8(diff.path)
        out.append(operation)
        out += _net_store_length(len(path)) + path
        if operation != JsonDiffOperation.REMOVE:
            value = encode_json(diff.value)
            out += _net_store_length(len(value)) + value
    return bytes(out)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(v) for v in value]
    return value


def _array_position(leg: int | ArrayFromEnd, length: int) -> tuple[int, bool]:
    """``Json_array_index``: (position clamped to 0..length, within bounds)."""
    if isinstance(leg, ArrayFromEnd):
        index = leg.offset
        return (length - index - 1 if index < length else 0), index < length
    return min(leg, length), leg < length


def _seek(doc: Any, legs: Sequence[PathLeg]) -> tuple[bool, Any]:
    """``seek_exact_path``: (found, value); no auto-wrapping, no wildcards."""
    for leg in legs:
        if isinstance(doc, list):
            if isinstance(leg, str):
                return False, None
            position, within = _array_position(leg, len(doc))
            if not within:
                return False, None
            doc = doc[position]
        elif isinstance(doc, dict):
            if not isinstance(leg, str) or leg not in doc:
                return False, None
            doc = doc[leg]
        else:
            return False, None
    return True, doc


def _resort(obj: dict) -> None:
    """Put an object's members back in MySQL's key order after an insert."""
    items = sorted(obj.items(), key=lambda kv: (len(_utf8(kv[0])), _utf8(kv[0])))
    obj.clear()
    obj.update(items)


def apply_json_diff(doc: Any, diffs: Iterable[JsonDiff]) -> Any:
    """Apply diffs to a decoded document as a replica does (``apply_json_diff``).

    Returns a new document; ``doc`` is left alone.  REPLACE works as
    ``JSON_REPLACE`` (the path must exist); INSERT adds a member that must not exist
    (``JSON_INSERT``) or inserts into an array at the index, clamped to its end
    (``JSON_ARRAY_INSERT``); REMOVE works as ``JSON_REMOVE`` (the path must exist).
    Paths match exactly: no auto-wrapping of scalars, no wildcards, ``$`` alone is
    refused.  A diff that does not apply raises :class:`JsonDiffRejected`, as
    ``enum_json_diff_status::REJECTED`` makes the replica fall back to an error.
    """
    doc = _copy(None if doc is JSON_NULL else doc)
    for i, diff in enumerate(diffs):
        field = f"json_diff[{i}]"
        try:
            legs = parse_json_path(diff.path)
        except UsageError as exc:
            raise JsonDiffRejected(str(exc), field=field + ".path") from None
        if not legs:
            raise JsonDiffRejected("a diff cannot target the whole document ($)",
                                   field=field + ".path")
        operation = JsonDiffOperation(diff.operation)
        found, parent = _seek(doc, legs[:-1])
        last = legs[-1]
        if not found:
            raise JsonDiffRejected(f"{diff.path}: parent path not found", field=field)
        new_value = _copy(diff.value)
        if operation == JsonDiffOperation.REPLACE:
            found, _ = _seek(parent, [last])
            if not found:
                raise JsonDiffRejected(f"{diff.path}: nothing to replace", field=field)
            if isinstance(parent, dict):
                parent[last] = new_value
            else:
                parent[_array_position(last, len(parent))[0]] = new_value
        elif operation == JsonDiffOperation.INSERT:
            if isinstance(parent, dict) and isinstance(last, str):
                if last in parent:
                    raise JsonDiffRejected(f"{diff.path}: member already exists",
                                           field=field)
                parent[last] = new_value
                _resort(parent)
            elif isinstance(parent, list) and not isinstance(last, str):
                parent.insert(_array_position(last, len(parent))[0], new_value)
            else:
                raise JsonDiffRejected(f"{diff.path}: cannot insert there", field=field)
        else:
            if isinstance(parent, dict) and isinstance(last, str) and last in parent:
                del parent[last]
            elif isinstance(parent, list) and not isinstance(last, str):
                position, within = _array_position(last, len(parent))
                if not within:
                    raise JsonDiffRejected(f"{diff.path}: index out of range", field=field)
                del parent[position]
            else:
                raise JsonDiffRejected(f"{diff.path}: nothing to remove", field=field)
    return doc
