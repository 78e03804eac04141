"""Wire types shared by the binlog and client/server schemas.

Names follow the "Basic Types" page of the MySQL source documentation
(https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_data_types.html):
``int<N>`` fixed little-endian integers, ``int<lenenc>`` length-encoded integers,
``string<NUL>``, ``string<lenenc>``, ``string<EOF>``.  Strings are kept as ``bytes``:
the wire carries no charset, so decoding is left to the layer that knows it.
"""

from __future__ import annotations

import io
import uuid

from construct import (
    Adapter,
    Bytes,
    BytesInteger,
    Construct,
    ConstructError,
    GreedyBytes,
    Int8ul,
    Int16ul,
    Int24ul,
    Int32ul,
    Int64ul,
    NullTerminated,
    Prefixed,
    SizeofError,
    StreamError,
    Subconstruct,
    singleton,
    stream_read,
    stream_tell,
    stream_write,
)

__all__ = [
    "Int1",
    "Int2",
    "Int3",
    "Int4",
    "Int6",
    "Int8",
    "IntBE",
    "LenencInt",
    "LenencBytes",
    "NulBytes",
    "EofBytes",
    "Uuid",
    "Tail",
    "Remaining",
    "remaining",
    "lenenc_size",
]

Int1 = Int8ul
Int2 = Int16ul
Int3 = Int24ul
Int4 = Int32ul
Int6 = BytesInteger(6, swapped=True)
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


LenencBytes = Prefixed(LenencInt, GreedyBytes)
"""``string<lenenc>``: a length-encoded integer then that many bytes."""

NulBytes = NullTerminated(GreedyBytes)
"""``string<NUL>``: bytes up to a 0x00 terminator (the terminator is consumed, not kept)."""

EofBytes = GreedyBytes
"""``string<EOF>``: the rest of the enclosing packet or event body."""


class UuidAdapter(Adapter):
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

    def _build(self, obj, stream, context, path):
        if obj is None:
            return None
        return self.subcon._build(obj, stream, context, path)

    def _sizeof(self, context, path):
        raise SizeofError("optional trailer has a variable size", path=path)


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
