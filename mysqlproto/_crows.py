"""The optional C decoder of row images: programs for :mod:`mysqlproto._rowsc`.

:func:`mysqlproto.rows._compile` calls :func:`compile_decoder` before generating a
Python decoder (unless ``MYSQLPROTO_PURE_PYTHON`` is set).  It turns one (table
layout, event kind, present columns) into a program -- per image, per present column,
an op saying how the value is laid out and converted, and its dict key -- and returns
the C decoder built from it, or None to leave the table to the generated Python
decoder.  Each op gives exactly the value the generated Python decoder gives
(``_emit_value``, ``_inline_datetime2``, ``_inline_decimal`` in rows.py): numbers as
``struct`` unpacks them, text decoded strictly and kept as bytes when it does not
decode, DATETIME2 and DECIMAL inline with the same fallbacks.  Where the Python
decoder calls the column codec's ``decode``, an op imitates the codecs of
:mod:`spec.binlog.values` it knows (TIME2, TIMESTAMP2, DATE, YEAR, ENUM, SET, BIT,
MEDIUMINT), after checking it against the codec on a few byte patterns; a JSON
column whose codec is :func:`mysqlproto.jsonbinary.decode_json_document` is decoded
by the extension's binary JSON decoder (mysqlproto/_jsonb.c), the codec deciding
when that one gives up; any other value, and one whose codec the op does not match,
goes to the codec's ``decode``.
``tests/test_native_rows.py`` checks that both decoders agree.

Importing this module raises ImportError when the extension is not built (a source
checkout without a compiler), so rows.py keeps to the Python decoders.
"""

from __future__ import annotations

import codecs
import datetime
import random
from decimal import Decimal

from mysqlproto import (
    _rowsc,  # ImportError when the C extension is not built
    jsonbinary,
)
from spec.binlog.events.table_map import (
    MYSQL_TYPE_BIT,
    MYSQL_TYPE_DATE,
    MYSQL_TYPE_DATETIME2,
    MYSQL_TYPE_ENUM,
    MYSQL_TYPE_INT24,
    MYSQL_TYPE_NEWDATE,
    MYSQL_TYPE_NEWDECIMAL,
    MYSQL_TYPE_SET,
    MYSQL_TYPE_TIME2,
    MYSQL_TYPE_TIMESTAMP2,
    MYSQL_TYPE_YEAR,
)
from spec.binlog.values import (
    ColumnDef,
    MySQLDate,
    MySQLDateTime,
    ValueCodec,
    decimal_segments,
)

__all__ = ["compile_decoder", "image_ops"]

_KINDS = {"write": _rowsc.KIND_WRITE, "delete": _rowsc.KIND_DELETE,
          "update": _rowsc.KIND_UPDATE}

_NUMBER_OPS = {
    "b": _rowsc.OP_I8, "B": _rowsc.OP_U8, "h": _rowsc.OP_I16, "H": _rowsc.OP_U16,
    "i": _rowsc.OP_I32, "I": _rowsc.OP_U32, "q": _rowsc.OP_I64, "Q": _rowsc.OP_U64,
    "f": _rowsc.OP_F32, "d": _rowsc.OP_F64,
}
_NUMBER_SIZES = {"b": 1, "B": 1, "h": 2, "H": 2, "i": 4, "I": 4, "q": 8, "Q": 8, "f": 4,
                 "d": 8}

# codecs.lookup() names of the codecs the extension calls directly; any other goes
# through PyUnicode_Decode, which is what bytes.decode does
_ENCODINGS = {
    "utf-8": _rowsc.ENC_UTF8, "ascii": _rowsc.ENC_ASCII, "iso8859-1": _rowsc.ENC_LATIN1,
    "utf-16-be": _rowsc.ENC_UTF16BE, "utf-16-le": _rowsc.ENC_UTF16LE,
    "utf-32-be": _rowsc.ENC_UTF32BE, "utf-32-le": _rowsc.ENC_UTF32LE,
}

_MEDIUMINT = {"MEDIUMINT": _rowsc.OP_I24, "MEDIUMINT UNSIGNED": _rowsc.OP_U24}


class _NoNativeOp(Exception):
    """A column the generated Python decoder handles in a way no op mirrors."""


def _fixed_op(column: ColumnDef, codec: ValueCodec, key: str) -> tuple:
    size = codec.size
    if codec.fmt:
        op = _NUMBER_OPS.get(codec.fmt)
        if op is None or _NUMBER_SIZES[codec.fmt] != size:
            raise _NoNativeOp(f"struct format {codec.fmt!r} for {size} bytes")
        return (op, key, size)
    if codec.raw:
        return (_rowsc.OP_FIXED_BYTES, key, size)
    if size and column.type == MYSQL_TYPE_DATETIME2:
        return _datetime2_op(column, codec, key)
    if size and column.type == MYSQL_TYPE_NEWDECIMAL:
        return _decimal_op(column, codec, key)
    native = _codec_op(column, codec, key)
    if native is not None and _agrees(native, codec):
        return native
    return (_rowsc.OP_CALL_FIXED, key, size, codec.decode)


def _codec_op(column: ColumnDef, codec: ValueCodec, key: str) -> tuple | None:
    """The native op doing what this fixed-size codec of spec.binlog.values does (by
    the column type and the codec's name), or None."""
    size, name, real = codec.size, codec.name, column.real_type
    fsp = column.fsp
    if real == MYSQL_TYPE_INT24 and size == 3 and name in _MEDIUMINT:
        return (_MEDIUMINT[name], key, size)  # int.from_bytes(b, "little", signed=...)
    if real == MYSQL_TYPE_YEAR and size == 1 and name == "YEAR":
        return (_rowsc.OP_YEAR, key, size)
    if real in (MYSQL_TYPE_DATE, MYSQL_TYPE_NEWDATE) and size == 3 and name == "DATE":
        return (_rowsc.OP_DATE, key, size, MySQLDate)
    if real == MYSQL_TYPE_TIME2 and name == f"TIME({fsp})" and size == 3 + (fsp + 1) // 2:
        return (_rowsc.OP_TIME2, key, size, fsp)
    if (real == MYSQL_TYPE_TIMESTAMP2 and name == f"TIMESTAMP({fsp})"
            and size == 4 + (fsp + 1) // 2):
        return (_rowsc.OP_TIMESTAMP2, key, size, fsp, MySQLDateTime, datetime.UTC)
    if real == MYSQL_TYPE_ENUM and name.startswith("ENUM(") and size in (1, 2):
        return (_rowsc.OP_ENUM, key, size, _members(column.enum_values))
    if real == MYSQL_TYPE_SET and name.startswith("SET(") and 1 <= size <= 8:
        return (_rowsc.OP_SET, key, size, _members(column.set_values))
    if real == MYSQL_TYPE_BIT and name.startswith("BIT(") and 1 <= size <= 8:
        return (_rowsc.OP_BIT, key, size)  # int.from_bytes(b, "big")
    return None


def _members(values) -> tuple | None:
    return None if values is None else tuple(values)


def _samples(size: int) -> list[bytes]:
    rnd = random.Random(size)
    out = [bytes(size), b"\xff" * size, b"\x80" + bytes(size - 1), b"\x7f" + b"\xff" * (size - 1),
           bytes(range(1, size + 1)), b"\x01" * size]
    out += [rnd.randbytes(size) for _ in range(10)]
    return out


def _agrees(op: tuple, codec: ValueCodec) -> bool:
    """Whether the native op gives what the codec gives (value and type, or both
    fail) for a few byte patterns: a codec changed since the op was written is then
    called, not imitated."""
    from mysqlproto.rows import RowChange

    probe = _rowsc.Decoder(_rowsc.KIND_WRITE, RowChange, (op,), None)
    for raw in _samples(op[2]):
        try:
            expected = codec.decode(raw)
        except Exception:  # noqa: BLE001 - failing alike is agreeing
            expected = _FAILS
        try:
            got = probe(b"\x00" + raw)[0][0].after[op[1]]
        except Exception:  # noqa: BLE001
            got = _FAILS
        if type(got) is not type(expected) or repr(got) != repr(expected):
            return False
    return True


_FAILS = object()


def _datetime2_op(column: ColumnDef, codec: ValueCodec, key: str) -> tuple:
    fsp = column.fsp
    if not 0 <= fsp <= 6 or codec.size != 5 + (fsp + 1) // 2:
        raise _NoNativeOp(f"DATETIME2({fsp}) of {codec.size} bytes")
    return (_rowsc.OP_DATETIME2, key, codec.size, codec.decode, fsp, MySQLDateTime)


def _decimal_op(column: ColumnDef, codec: ValueCodec, key: str) -> tuple:
    from mysqlproto.rows import _DECIMAL_CONTEXT

    meta = column.metadata
    precision, scale = meta.precision, meta.scale  # as rows._inline_decimal reads them
    segments = tuple(decimal_segments(precision, scale))
    if (not segments or len(segments) > _rowsc.MAX_DECIMAL_SEGMENTS
            or sum(nbytes for nbytes, _ in segments) != codec.size):
        raise _NoNativeOp(f"DECIMAL({precision},{scale}) of {codec.size} bytes")
    negative_zero = Decimal(f"-0E-{scale}" if scale else "-0")
    if scale:
        multiply, quantum = _DECIMAL_CONTEXT.multiply, Decimal(f"1E-{scale}")
    else:
        multiply = quantum = None
    return (_rowsc.OP_DECIMAL, key, codec.size, codec.decode, segments, Decimal, multiply,
            quantum, negative_zero)


def _prefixed_op(codec: ValueCodec, key: str) -> tuple:
    if codec.decode is jsonbinary.decode_json_document:
        # the native binary JSON decoder, the codec when that gives up
        return (_rowsc.OP_JSON, key, codec.prefix, codec.decode, jsonbinary.JsonUInt,
                jsonbinary._native_opaque, jsonbinary.JSON_NULL)
    if codec.raw:
        return (_rowsc.OP_BYTES, key, codec.prefix)
    if codec.encoding and codec.encoding != "mysql-latin1":
        name = codecs.lookup(codec.encoding).name
        enc = _ENCODINGS.get(name, _rowsc.ENC_OTHER)
        return (_rowsc.OP_TEXT, key, codec.prefix, enc, codec.encoding)
    return (_rowsc.OP_CALL_PREFIXED, key, codec.prefix, codec.decode)


def image_ops(layout, present: list[int]) -> tuple:
    """The ops of one image: one per present column, in column order."""
    ops = []
    for i in present:
        column, codec, key = layout.columns[i], layout.codecs[i], layout.keys[i]
        if codec.size is not None:
            ops.append(_fixed_op(column, codec, key))
        else:
            ops.append(_prefixed_op(codec, key))
    return tuple(ops)


_OP_NAMES = {getattr(_rowsc, name): name for name in dir(_rowsc) if name.startswith("OP_")}


def _show(param) -> str:
    if callable(param) and hasattr(param, "__qualname__"):
        return f"{getattr(param, '__module__', None) or ''}.{param.__qualname__}".lstrip(".")
    return repr(param)


def _listing(kind: str, images: list[tuple[str, tuple]]) -> str:
    lines = [f"# native row decoder ({kind}), mysqlproto._rowsc"]
    for label, ops in images:
        lines.append(f"{label} image: {len(ops)} columns, NULL bitmap of "
                     f"{(len(ops) + 7) // 8} bytes")
        for op in ops:
            params = ", ".join(_show(p) for p in op[2:])
            lines.append(f"    {op[1]!r}: {_OP_NAMES[op[0]]}({params})")
    return "\n".join(lines)


def compile_decoder(layout, kind: str, before_cols: list[int], after_cols: list[int]):
    """A C decoder of ``kind`` rows with these present columns, with the generated
    decoder's contract (``decode(buf) -> (rows, end)``), or None."""
    from mysqlproto.rows import RowChange

    if kind not in _KINDS:
        return None
    try:
        first = image_ops(layout, before_cols)
        second = image_ops(layout, after_cols) if kind == "update" else None
        images = [("after" if kind == "write" else "before", first)]
        if second is not None:
            images.append(("after", second))
        return _rowsc.Decoder(_KINDS[kind], RowChange, first, second, _listing(kind, images))
    except (_NoNativeOp, AttributeError, TypeError, ValueError):
        return None  # the Python decoder is generated, as without the extension
