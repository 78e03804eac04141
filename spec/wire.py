"""Wire types shared by the binlog and client/server schemas.

Names follow the "Basic Types" page of the MySQL source documentation
(https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_data_types.html):
``int<N>`` fixed little-endian integers, ``int<lenenc>`` length-encoded integers,
``string<NUL>``, ``string<lenenc>``, ``string<EOF>``.  Strings are kept as ``bytes``:
the wire carries no charset, so decoding is left to the layer that knows it.
"""

from __future__ import annotations

import io
import keyword
import re
import uuid

import construct
from construct import (
    Adapter,
    Construct,
    ConstructError,
    GreedyBytes,
    Int8ul,
    Int16ul,
    Int32ul,
    Int64ul,
    NullTerminated,
    SizeofError,
    StreamError,
    Subconstruct,
    singleton,
    stream_read,
    stream_tell,
    stream_write,
)
from construct.expr import ExprMixin

__all__ = [
    "Int1",
    "Int2",
    "Int3",
    "Int4",
    "Int6",
    "Int7",
    "Int8",
    "IntBE",
    "LenencInt",
    "StrictLenencInt",
    "LenencBytes",
    "StrictLenencBytes",
    "NulBytes",
    "EofBytes",
    "Uuid",
    "Tail",
    "Remaining",
    "remaining",
    "lenenc_size",
    "Bytes",
    "BytesInteger",
    "FixedSized",
    "Prefixed",
    "GreedyRange",
    "Struct",
    "Select",
    "fails_at_end",
    "CompiledAdapter",
    "emit_helper",
]


# -- compiling ----------------------------------------------------------------------
#
# Event bodies are parsed with construct's compiler (``Construct.compile()``): each
# construct emits a Python expression (``_emitparse``) and the schema becomes one
# straight-line function.  A construct without ``_emitparse`` is called through its
# interpreted ``_parse``, and so is everything below it, which is what made an event
# with one custom field cost as much as an uncompiled one.  The constructs here
# complete the compiler where construct's own emitters parse differently from the
# interpreter: construct's compiled ``Bytes``, ``FixedSized``, ``Prefixed`` and
# ``BytesInteger`` read with ``io.read(n)`` and take a short read (or a negative
# length) silently, where parsing raises.  Their subclasses below keep construct's
# names and behaviour and emit reads that fail alike, so a compiled parser never
# returns a value the interpreted schema would refuse; inside ``GreedyRange``,
# ``Select`` and other fall-back regions that matters for values, not just errors.


def emit_helper(code, source: str) -> None:
    """Add a module-level helper (a ``def``) to the generated code; once per name."""
    code.append(source)


_READ_BYTES = """
    def read_bytes(io, n):
        if n < 0:
            raise StreamError(f"length must be non-negative, found {n}")
        data = io.read(n)
        if len(data) != n:
            raise StreamError(f"stream read less than specified amount, expected {n}, found {len(data)}")
        return data
"""


def emit_read(code, length) -> str:
    """Expression reading exactly ``length`` bytes: an int, a ``this`` expression, a
    function of the context (called from the generated code), or generated code."""
    emit_helper(code, _READ_BYTES)
    return f"read_bytes(io, {emit_value(code, length)})"


def emit_value(code, value) -> str:
    """Generated code for a construct parameter: a constant or ``this`` expression as
    itself, a function of the context as a call (construct would write its repr)."""
    if callable(value) and not isinstance(value, ExprMixin):
        code.linkedinstances[id(value)] = value
        return f"linkedinstances[{id(value)}](this)"
    return str(value)


class Bytes(construct.Bytes):
    """construct's ``Bytes``; compiled, a short read fails as it does when interpreted."""

    def _emitparse(self, code):
        return emit_read(code, self.length)


class BytesInteger(construct.BytesInteger):
    """construct's ``BytesInteger``; compiled, a short read fails as it does when
    interpreted."""

    def _emitparse(self, code):
        if not isinstance(self.length, int) or not isinstance(self.swapped, bool) or self.length <= 0:
            raise NotImplementedError
        order = "little" if self.swapped else "big"
        return f"int.from_bytes({emit_read(code, self.length)}, {order!r}, signed={self.signed})"


class FixedSized(construct.FixedSized):
    """construct's ``FixedSized``; compiled, a short read or a negative length fails as
    it does when interpreted."""

    def _emitparse(self, code):
        return emit_whole(code, self.subcon, emit_read(code, self.length))


class Prefixed(construct.Prefixed):
    """construct's ``Prefixed``; compiled, a length past the end fails as it does when
    interpreted."""

    def _emitparse(self, code):
        if self.includelength:
            raise NotImplementedError
        return emit_whole(code, self.subcon, emit_read(code, self.lengthfield._compileparse(code)))


def emit_whole(code, subcon, data: str) -> str:
    """Expression parsing ``subcon`` from the bytes ``data`` (an expression), the body
    of a ``FixedSized`` or ``Prefixed``: without a stream when ``subcon`` takes all."""
    if subcon is GreedyBytes:
        return data
    if isinstance(subcon, CompiledAdapter) and subcon.subcon is GreedyBytes:
        return subcon._emitdecode(code, data)
    return f"restream({data}, lambda io: ({subcon._compileparse(code)}))"


class GreedyRange(construct.GreedyRange):
    """construct's ``GreedyRange``, compiled (construct's compiler links it in
    interpreted): items until one fails to parse, whose bytes are left unread."""

    def _emitparse(self, code):
        if self.discard:
            raise NotImplementedError
        fname = f"parse_greedyrange_{code.allocateId()}"
        # An item that cannot parse from no bytes fails at the end of the stream; the
        # loop stops there without the cost of trying (and raising).
        at_end = "fallback == end" if fails_at_end(self.subcon) else "False"
        code.append(f"""
            def {fname}(io, this):
                items = ListContainer()
                fallback = io.tell()
                end = io.seek(0, 2)
                io.seek(fallback)
                i = 0
                while True:
                    this['_index'] = i
                    fallback = io.tell()
                    if {at_end}:
                        return items
                    try:
                        items.append({self.subcon._compileparse(code)})
                    except StopFieldError:
                        return items
                    except ExplicitError:
                        raise
                    except Exception:
                        io.seek(fallback)
                        return items
                    i += 1
        """)
        return f"{fname}(io, this)"


def fails_at_end(sc: Construct) -> bool:
    """True when ``sc`` surely raises an ordinary error (not ``ExplicitError`` or
    ``StopFieldError``) if parsed at the end of a stream: its first step reads bytes.
    False when not sure."""
    while True:
        if isinstance(sc, (construct.FormatField, StrictLenencInt.__class__, LenencInt.__class__)):
            return True
        if isinstance(sc, (construct.Bytes, construct.BytesInteger)):
            return isinstance(sc.length, int) and sc.length > 0
        if isinstance(sc, construct.Prefixed):
            sc = sc.lengthfield
        elif isinstance(sc, (construct.Renamed, construct.Adapter, construct.Rebuild)):
            sc = sc.subcon
        elif isinstance(sc, (construct.Struct, construct.Sequence, construct.FocusedSeq)):
            if not sc.subcons:
                return False
            sc = sc.subcons[0]
        else:
            return False


_CONTEXT_USE = re.compile(r"\bthis\b(?:\['([A-Za-z_][A-Za-z0-9_]*)'\])?")


class Struct(construct.Struct):
    """construct's ``Struct``; compiled, a struct whose fields read no context but
    each other's values is parsed without the context construct sets up for it
    (a ``Container`` of nine entries per struct, often the most of a small one's cost).

    The fields' generated code tells: ``this['name']`` of a field parsed before is
    the only use of ``this`` allowed.  Otherwise the code is construct's, but for one
    thing: the outermost struct's context refers to itself (``_root``), a cycle only
    the garbage collector frees, which then ran every few hundred events; the
    reference is dropped when the struct is parsed.
    """

    def _emitparse(self, code):
        fields = []
        full = False
        for sc in self.subcons:
            expr = sc._compileparse(code)
            earlier = {name for name, _ in fields if name}
            if "parse_stopif" in expr or any(
                    m.group(1) not in earlier for m in _CONTEXT_USE.finditer(expr)):
                full = True
            fields.append((sc.name, expr))
        if full:
            return self._emit_with_context(code, fields)
        names = [name for name, _ in fields]
        if (all(name and name.isidentifier() and not keyword.iskeyword(name) for name in names)
                and len(set(names)) == len(names)
                and not any("this" in expr for _, expr in fields)):
            return "Container(" + ", ".join(f"{name}={expr}" for name, expr in fields) + ")"
        fname = f"parse_struct_{code.allocateId()}"
        block = f"""
            def {fname}(io, this):
                this = Container()
        """
        for name, expr in fields:
            block += f"""
                {f'this[{name!r}] = ' if name else ''}{expr}
            """
        block += """
                return this
        """
        code.append(block)
        return f"{fname}(io, this)"

    def _emit_with_context(self, code, fields) -> str:
        fname = f"parse_struct_{code.allocateId()}"
        block = f"""
            def {fname}(io, this):
                result = Container()
                this = Container(_ = this, _params = this['_params'], _root = None, _parsing = True, _building = False, _sizing = False, _subcons = None, _io = io, _index = this.get('_index', None))
                this['_root'] = this['_'].get('_root', this)
                try:
        """
        for name, expr in fields:
            block += f"""
                    {f'result[{name!r}] = this[{name!r}] = ' if name else ''}{expr}
            """
        block += """
                    pass
                except StopFieldError:
                    pass
                if this['_root'] is this:
                    this['_root'] = None
                return result
        """
        code.append(block)
        return f"{fname}(io, this)"


class Select(construct.Select):
    """construct's ``Select``, compiled: the first alternative that parses."""

    def _emitparse(self, code):
        fname = f"parse_select_{code.allocateId()}"
        block = f"""
            def {fname}(io, this):
                fallback = io.tell()
        """
        for sc in self.subcons:
            block += f"""
                try:
                    return {sc._compileparse(code)}
                except ExplicitError:
                    raise
                except Exception:
                    io.seek(fallback)
            """
        block += """
                raise SelectError("no subconstruct matched")
        """
        code.append(block)
        return f"{fname}(io, this)"


class CompiledAdapter(Adapter):
    """An ``Adapter`` the compiler compiles: its subcon compiled, then ``_decode``.

    construct compiles none of its ``Adapter`` subclasses but a few of its own, so an
    adapter (and all below it) runs interpreted inside a compiled schema.  Adapters
    whose ``_decode`` needs no path derive from this instead.
    """

    def _emitparse(self, code):
        return self._emitdecode(code, self.subcon._compileparse(code))

    def _emitdecode(self, code, data: str) -> str:
        """Expression decoding ``data``, an expression for what the subcon parsed."""
        code.linkedinstances[id(self)] = self
        return f"linkedinstances[{id(self)}]._decode({data}, this, '(compiled)')"

Int1 = Int8ul
Int2 = Int16ul
Int3 = BytesInteger(3, swapped=True)
Int4 = Int32ul
Int6 = BytesInteger(6, swapped=True)
Int7 = BytesInteger(7, swapped=True)
Int8 = Int64ul


def IntBE(n: int) -> Construct:
    """Big-endian unsigned integer of ``n`` bytes (row-image DECIMAL, DATETIME2...)."""
    return BytesInteger(n)


@singleton
class LenencInt(Construct):
    r"""``int<lenenc>``: MySQL's length-encoded integer (``net_field_length`` in the server).

    First byte < 0xfb: the value itself; 0xfc: 2 more bytes; 0xfd: 3 more bytes;
    0xfe: 8 more bytes.  0xfb stands for NULL in text result rows and parses to None.
    0xff is not a valid first byte (it marks an ERR packet) and raises.

    Build writes the shortest form, as the server's ``net_store_length`` does.

    >>> LenencInt.build(300)
    b'\xfc,\x01'
    """

    def _parse(self, stream, context, path):
        first = stream_read(stream, 1, path)[0]
        if first < 0xFB:
            return first
        if first == 0xFB:
            return None
        if first == 0xFC:
            return int.from_bytes(stream_read(stream, 2, path), "little")
        if first == 0xFD:
            return int.from_bytes(stream_read(stream, 3, path), "little")
        if first == 0xFE:
            return int.from_bytes(stream_read(stream, 8, path), "little")
        raise StreamError(f"invalid length-encoded integer first byte 0xff at {path}", path=path)

    def _emitparse(self, code):
        return emit_lenenc(code)

    def _build(self, obj, stream, context, path):
        if obj is None:
            stream_write(stream, b"\xfb", 1, path)
            return obj
        if not isinstance(obj, int) or obj < 0:
            raise ConstructError(f"length-encoded integer must be a non-negative int, got {obj!r}", path=path)
        if obj < 0xFB:
            data = bytes((obj,))
        elif obj < 1 << 16:
            data = b"\xfc" + obj.to_bytes(2, "little")
        elif obj < 1 << 24:
            data = b"\xfd" + obj.to_bytes(3, "little")
        elif obj < 1 << 64:
            data = b"\xfe" + obj.to_bytes(8, "little")
        else:
            raise ConstructError(f"length-encoded integer out of range: {obj}", path=path)
        stream_write(stream, data, len(data), path)
        return obj

    def _sizeof(self, context, path):
        raise SizeofError("int<lenenc> has a variable size", path=path)


_PARSE_LENENC = """
    def parse_lenenc(io):
        first = io.read(1)
        if first and first[0] < 0xFB:
            return first[0]
        return parse_lenenc_long(io, first)

    def parse_lenenc_long(io, first):
        if not first:
            raise StreamError("stream read less than specified amount, expected 1, found 0")
        first = first[0]
        if first == 0xFB:
            return None
        if first == 0xFC:
            return int.from_bytes(read_bytes(io, 2), "little")
        if first == 0xFD:
            return int.from_bytes(read_bytes(io, 3), "little")
        if first == 0xFE:
            return int.from_bytes(read_bytes(io, 8), "little")
        raise StreamError("invalid length-encoded integer first byte 0xff")
"""


def emit_lenenc(code) -> str:
    """Expression parsing an ``int<lenenc>`` (see :data:`LenencInt`)."""
    emit_helper(code, _READ_BYTES)
    emit_helper(code, _PARSE_LENENC)
    return "parse_lenenc(io)"


@singleton
class StrictLenencInt(Construct):
    """``int<lenenc>`` that refuses a non-shortest encoding.

    The servers write lengths in the shortest form (``net_store_length``).  Inside an
    open-ended region, refusing the other forms makes a field that uses one fall back
    to raw bytes, which rebuild exactly, instead of being re-encoded shorter: every
    value this parses, :data:`LenencInt` builds to the very same bytes.
    """

    def _parse(self, stream, context, path):
        start = stream_tell(stream, path)
        value = LenencInt._parsereport(stream, context, path)
        if stream_tell(stream, path) - start != lenenc_size(value):
            raise ConstructError(f"int<lenenc> {value} not in its shortest form", path=path)
        return value

    def _emitparse(self, code):
        emit_lenenc(code)
        emit_helper(code, """
            def parse_lenenc_strict(io):
                first = io.read(1)
                if first and first[0] < 0xFB:
                    return first[0]
                value = parse_lenenc_long(io, first)
                if value is not None and value < (0xFB if first[0] == 0xFC else
                                                  1 << 16 if first[0] == 0xFD else 1 << 24):
                    raise ConstructError(f"int<lenenc> {value} not in its shortest form")
                return value
        """)
        return "parse_lenenc_strict(io)"

    def _build(self, obj, stream, context, path):
        return LenencInt._build(obj, stream, context, path)

    def _sizeof(self, context, path):
        raise SizeofError("int<lenenc> has a variable size", path=path)


LenencBytes = Prefixed(LenencInt, GreedyBytes)
"""``string<lenenc>``: a length-encoded integer then that many bytes."""

StrictLenencBytes = Prefixed(StrictLenencInt, GreedyBytes)
"""``string<lenenc>`` whose length is in its shortest form (see :data:`StrictLenencInt`)."""

NulBytes = NullTerminated(GreedyBytes)
"""``string<NUL>``: bytes up to a 0x00 terminator (the terminator is consumed, not kept)."""

EofBytes = GreedyBytes
"""``string<EOF>``: the rest of the enclosing packet or event body."""


class UuidAdapter(CompiledAdapter):
    """16 raw bytes as a :class:`uuid.UUID` (server UUIDs in GTID events)."""

    def _decode(self, obj, context, path):
        return uuid.UUID(bytes=obj)

    def _encode(self, obj, context, path):
        if isinstance(obj, uuid.UUID):
            return obj.bytes
        if isinstance(obj, str):
            return uuid.UUID(obj).bytes
        return obj


Uuid = UuidAdapter(Bytes(16))


def remaining(stream) -> int | None:
    """Bytes left in ``stream`` or None when that cannot be told (non-seekable)."""
    try:
        here = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(here)
        return end - here
    except (OSError, AttributeError, ValueError):
        return None


class Tail(Subconstruct):
    """A trailing field that a newer server appends and an older one leaves out.

    Parses the subcon only if at least ``need`` bytes remain in the enclosing (bounded)
    body (1 by default: any), else yields None; building None writes nothing.  This is
    how the server itself reads optional trailers, e.g. the commit timestamps of a
    GTID event (libbinlogevents/src/control_events.cpp, ``Gtid_event::Gtid_event``,
    whose ``can_read(n)`` is ``need``).
    """

    def __init__(self, subcon, need: int = 1):
        super().__init__(subcon)
        self.need = need
        self.flagbuildnone = True

    def _parse(self, stream, context, path):
        left = remaining(stream)
        if left is not None and left < self.need:
            return None
        return self.subcon._parsereport(stream, context, path)

    def _emitparse(self, code):
        emit_helper(code, _BYTES_LEFT)
        return f"(({self.subcon._compileparse(code)}) if bytes_left(io) >= {self.need} else None)"

    def _build(self, obj, stream, context, path):
        if obj is None:
            return None
        return self.subcon._build(obj, stream, context, path)

    def _sizeof(self, context, path):
        raise SizeofError("optional trailer has a variable size", path=path)


_BYTES_LEFT = """
    def bytes_left(io):
        here = io.tell()
        end = io.seek(0, 2)
        io.seek(here)
        return end - here
"""


@singleton
class Remaining(Construct):
    """Computed: the number of bytes left in the enclosing bounded stream (parse only)."""

    flagbuildnone = True

    def _parse(self, stream, context, path):
        return remaining(stream)

    def _build(self, obj, stream, context, path):
        return obj

    def _sizeof(self, context, path):
        return 0


def stream_position(stream, path) -> int:
    return stream_tell(stream, path)


def lenenc_size(value: int | None) -> int:
    """Bytes ``int<lenenc>`` takes for ``value`` in its shortest form (NULL: 1)."""
    if value is None or value < 0xFB:
        return 1
    if value < 1 << 16:
        return 3
    if value < 1 << 24:
        return 4
    return 9
