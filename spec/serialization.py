"""``mysql::serialization``: the self-describing format of MySQL 8.3+ events.

Variable-length integers and byte strings, and the field framing that
GTID_TAGGED_LOG_EVENT and tagged GTID sets use.  Sources: MySQL
``libs/mysql/serialization/variable_length_integers.h`` (``get_size_integer_varlen_unsigned``,
``write_varlen_bytes_unsigned``, ``read_varlen_bytes_unsigned``),
``serializer_default_impl.hpp`` and ``field_definition.h``.
"""

from __future__ import annotations

from construct import (
    Adapter,
    Array,
    Construct,
    ConstructError,
    GreedyBytes,
    Prefixed,
    SizeofError,
    stream_read,
    stream_seek,
    stream_tell,
    stream_write,
)

from spec.wire import UuidAdapter, remaining


def varlen_size(value: int) -> int:
    """Bytes of an unsigned variable-length integer (``get_size_integer_varlen_unsigned``).

    One byte per 7 bits up to 56 bits, 9 bytes past that.
    """
    return ((value.bit_length() * 575) >> 12) + 1


class VarlenUnsignedInt(Construct):
    r"""``mysql::serialization`` variable-length unsigned integer (1-9 bytes).

    The number of trailing one bits of the first byte, plus one, is the byte count.
    Up to 8 bytes, the value follows those bits (first byte's high bits, then the next
    bytes little-endian); a first byte of 0xff means the full 64-bit value follows in
    8 bytes.  Build writes the shortest form, as the server does.

    >>> VarlenUInt.build(65535)
    b'\xfb\xff\x07'
    """

    def _parse(self, stream, context, path):
        first = stream_read(stream, 1, path)[0]
        count = 1
        while count < 9 and first & (1 << (count - 1)):
            count += 1
        if count == 9:
            return int.from_bytes(stream_read(stream, 8, path), "little")
        rest = int.from_bytes(stream_read(stream, count - 1, path), "little") if count > 1 else 0
        return (first >> count) | (rest << (8 - count))

    def _build(self, obj, stream, context, path):
        if not isinstance(obj, int) or not 0 <= obj < 1 << 64:
            raise ConstructError(f"varlen integer must be a 64-bit unsigned int, got {obj!r}",
                                 path=path)
        count = varlen_size(obj)
        if count == 9:
            data = b"\xff" + obj.to_bytes(8, "little")
        else:
            first = ((1 << (count - 1)) - 1) | ((obj << count) & 0xFF)
            data = bytes((first,)) + (obj >> (8 - count)).to_bytes(count - 1, "little")
        stream_write(stream, data, len(data), path)
        return obj

    def _sizeof(self, context, path):
        raise SizeofError("varlen integer has a variable size", path=path)


VarlenUInt = VarlenUnsignedInt()


class VarlenSignedAdapter(Adapter):
    """Signed variant: the sign in bit 0, the magnitude above it (``x<<1`` for x >= 0,
    ``((-(x+1))<<1)|1`` for x < 0), then encoded unsigned."""

    def _decode(self, obj, context, path):
        return -(obj >> 1) - 1 if obj & 1 else obj >> 1

    def _encode(self, obj, context, path):
        return ((-obj - 1) << 1) | 1 if obj < 0 else obj << 1


VarlenSInt = VarlenSignedAdapter(VarlenUInt)

VarlenBytes = Prefixed(VarlenUInt, GreedyBytes)
"""``string_format``: a varlen length then that many bytes (the GTID tag)."""


class ByteArrayAdapter(Adapter):
    """A fixed array of varlen-encoded byte values as ``bytes`` (the SID's 16 bytes)."""

    def _decode(self, obj, context, path):
        return bytes(obj)

    def _encode(self, obj, context, path):
        return list(obj)


VarlenUuid = UuidAdapter(ByteArrayAdapter(Array(16, VarlenUInt)))
"""The SID as ``fixed_container_format``: 16 bytes, each a varlen integer (so 16-32 bytes)."""


class SerializedField(Construct):
    """One optional field of a ``mysql::serialization`` message: its field id then value.

    Parsing peeks at the next field id: when it is this field's id the id and value are
    read, otherwise (another field's id, or the end of the message) the field is missing
    and parses to None -- as ``Serializer_default::decode_field_id`` does.  Building None
    writes nothing; a value writes the id then the value.
    """

    def __init__(self, field_id: int, subcon: Construct):
        super().__init__()
        self.field_id = field_id
        self.subcon = subcon
        self.flagbuildnone = True

    def _parse(self, stream, context, path):
        if not remaining(stream):
            return None
        here = stream_tell(stream, path)
        try:
            field_id = VarlenUInt._parsereport(stream, context, path)
        except ConstructError:
            field_id = None
        if field_id != self.field_id:
            stream_seek(stream, here, 0, path)
            return None
        return self.subcon._parsereport(stream, context, path)

    def _build(self, obj, stream, context, path):
        if obj is None:
            return None
        VarlenUInt._build(self.field_id, stream, context, path)
        return self.subcon._build(obj, stream, context, path)

    def _sizeof(self, context, path):
        raise SizeofError("optional field has a variable size", path=path)
