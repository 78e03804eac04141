"""GTID_LOG_EVENT (33), ANONYMOUS_GTID_LOG_EVENT (34), PREVIOUS_GTIDS_LOG_EVENT (35) and
GTID_TAGGED_LOG_EVENT (42).

Sources: MySQL ``libs/mysql/binlog/event/control_events.{h,cpp}`` (``Gtid_event``: the
buffer layout comment in its constructor, ``define_fields``,
``read_gtid_tagged_log_event``; ``Previous_gtids_event``), ``libs/mysql/serialization/``
(``readme.md`` "Message format specification", ``variable_length_integers.h``,
``serializer_default_impl.hpp``, ``serializer_impl.hpp``), ``libs/mysql/gtid/``
(``gtid_format.h``, ``tag.cpp``, ``tsid.cpp``) and ``sql/rpl_gtid_set.cc``
(``encode_nsids_format`` / ``decode_nsids_format``, ``Gtid_set::encode``).

GTID and ANONYMOUS_GTID share one layout.  Its post-header grew: 25 bytes in 5.6 (flags,
SID, GNO), 42 from 5.7 (plus the logical clock); the FDE's post-header length says
which.  MySQL 8.0 appends optional trailers to the body, each present only if bytes
remain, as the server reads them:

* ``immediate_commit_timestamp``, 7 bytes; bit 55 set means
  ``original_commit_timestamp`` (7 bytes) follows, else the two are equal;
* ``transaction_length``, ``int<lenenc>`` (``net_field_length_ll``);
* ``immediate_server_version``, 4 bytes; bit 31 set means ``original_server_version``
  (4 bytes) follows, else the two are equal;
* ``commit_group_ticket``, 8 bytes (8.0.27+, only when set).

Here ``immediate_*`` hold the values with the flag bit cleared and ``original_*`` is None
when it is not on the wire (meaning: equal to the immediate value).  Building sets the
flag bit exactly when ``original_*`` is not None, so the bytes round-trip.

GTID_TAGGED_LOG_EVENT (MySQL 8.3+) carries the same fields in the ``mysql::serialization``
format: a message of (field id, value) pairs with variable-length integers; see
:data:`GtidTaggedEvent`.
"""

from __future__ import annotations

from construct import (
    Adapter,
    Array,
    Bytes,
    BytesInteger,
    Const,
    Construct,
    ConstructError,
    FixedSized,
    FocusedSeq,
    GreedyBytes,
    If,
    IfThenElse,
    Peek,
    Prefixed,
    Rebuild,
    SizeofError,
    Struct,
    stream_read,
    stream_seek,
    stream_tell,
    stream_write,
    this,
)

from spec.binlog.common import Auto, Extra, PostHeaderExtra, Text, known_post_header
from spec.binlog.eventspec import EventSpec
from spec.wire import Int1, Int4, Int6, Int8, LenencInt, Tail, Uuid, UuidAdapter, remaining

# Gtid_event constants (control_events.h)
FLAG_MAY_HAVE_SBR = 1
LOGICAL_TIMESTAMP_TYPECODE = 2
GTID_POST_HEADER_LEN_56 = 1 + 16 + 8
"""MySQL 5.6: flags, SID, GNO."""
GTID_POST_HEADER_LEN = GTID_POST_HEADER_LEN_56 + 1 + 8 + 8
"""``Gtid_event::POST_HEADER_LENGTH`` (5.7+): plus typecode, last_committed, sequence_number."""
ENCODED_COMMIT_TIMESTAMP_LENGTH = 55
ENCODED_SERVER_VERSION_LENGTH = 31
UNDEFINED_SERVER_VERSION = 999999


# -- Gtid_event (untagged) ----------------------------------------------------------


class HighBitFlagged(Construct):
    """An ``n``-byte little-endian integer whose top bit says an optional field follows.

    Parsing returns the value with that bit cleared and leaves the bit in the context
    as ``_<companion>_follows`` for the companion's condition (:func:`follows`).
    Building sets the bit when the companion field is not None.  This is the encoding
    of ``immediate_commit_timestamp`` (bit 55) and ``immediate_server_version`` (bit 31)
    in ``Gtid_event``.
    """

    def __init__(self, length: int, companion: str):
        super().__init__()
        self.length = length
        self.companion = companion
        self.flag = 1 << (8 * length - 1)

    def _parse(self, stream, context, path):
        value = int.from_bytes(stream_read(stream, self.length, path), "little")
        context[f"_{self.companion}_follows"] = bool(value & self.flag)
        return value & ~self.flag

    def _build(self, obj, stream, context, path):
        if not isinstance(obj, int) or not 0 <= obj < self.flag:
            raise ConstructError(f"value must fit in {8 * self.length - 1} bits, got {obj!r}",
                                 path=path)
        value = obj | (self.flag if context.get(self.companion) is not None else 0)
        stream_write(stream, value.to_bytes(self.length, "little"), self.length, path)
        return obj

    def _sizeof(self, context, path):
        return self.length


def follows(companion: str):
    """Condition for the field a :class:`HighBitFlagged` announces."""

    def condition(ctx) -> bool:
        if ctx._parsing:
            return bool(ctx.get(f"_{companion}_follows"))
        return ctx.get(companion) is not None

    return condition


class CanRead(Construct):
    """Parse ``subcon`` only if at least ``size`` bytes remain (the server's ``can_read``),
    else None; None builds nothing."""

    def __init__(self, size: int, subcon: Construct):
        super().__init__()
        self.size = size
        self.subcon = subcon
        self.flagbuildnone = True

    def _parse(self, stream, context, path):
        left = remaining(stream)
        if left is not None and left < self.size:
            return None
        return self.subcon._parsereport(stream, context, path)

    def _build(self, obj, stream, context, path):
        if obj is None:
            return None
        return self.subcon._build(obj, stream, context, path)

    def _sizeof(self, context, path):
        raise SizeofError("optional trailer has a variable size", path=path)


Int7 = BytesInteger(7, swapped=True)
"""7-byte little-endian integer (``original_commit_timestamp``)."""


def _has_logical_clock(ctx) -> bool:
    return ctx.lt_type == LOGICAL_TIMESTAMP_TYPECODE and known_post_header(ctx, GTID_POST_HEADER_LEN)


def _has_trailers(ctx) -> bool:
    return ctx.lt_type == LOGICAL_TIMESTAMP_TYPECODE


GtidEvent = Struct(
    # post-header
    "flags" / Int1,  # gtid_flags: FLAG_MAY_HAVE_SBR
    "sid" / Uuid,
    "gno" / Int8,
    # 5.7+: absent from 5.6's 25-byte post-header.  5.7.4 and earlier used another
    # typecode and shorter clocks; those bytes are then kept in post_header_extra.
    "lt_type" / If(lambda ctx: known_post_header(ctx, GTID_POST_HEADER_LEN_56 + 1), Int1),
    "last_committed" / If(_has_logical_clock, Int8),
    "sequence_number" / If(_has_logical_clock, Int8),
    "post_header_extra" / PostHeaderExtra(),
    # body (8.0.1+), each present only if bytes remain
    "immediate_commit_timestamp" / If(_has_trailers,
                                      Tail(HighBitFlagged(7, "original_commit_timestamp"))),
    "original_commit_timestamp" / If(follows("original_commit_timestamp"), Int7),
    "transaction_length" / If(lambda ctx: ctx.immediate_commit_timestamp is not None,
                              Tail(LenencInt)),
    "immediate_server_version" / If(lambda ctx: ctx.transaction_length is not None,
                                    CanRead(4, HighBitFlagged(4, "original_server_version"))),
    "original_server_version" / If(follows("original_server_version"), Int4),
    "commit_group_ticket" / If(lambda ctx: ctx.immediate_server_version is not None,
                               CanRead(8, Int8)),
    "extra" / Extra,
)
"""GTID_LOG_EVENT / ANONYMOUS_GTID_LOG_EVENT body (``Gtid_event``)."""


# -- mysql::serialization (GTID_TAGGED_LOG_EVENT) -----------------------------------


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


GtidTaggedFields = Struct(
    "flags" / SerializedField(0, VarlenUInt),  # gtid_flags
    "sid" / SerializedField(1, VarlenUuid),
    "gno" / SerializedField(2, VarlenSInt),
    "tag" / SerializedField(3, Text(VarlenBytes)),
    "last_committed" / SerializedField(4, VarlenSInt),
    "sequence_number" / SerializedField(5, VarlenSInt),
    "immediate_commit_timestamp" / SerializedField(6, VarlenUInt),
    "original_commit_timestamp" / SerializedField(7, VarlenUInt),
    "transaction_length" / SerializedField(8, VarlenUInt),
    "immediate_server_version" / SerializedField(9, VarlenUInt),
    "original_server_version" / SerializedField(10, VarlenUInt),
    "commit_group_ticket" / SerializedField(11, VarlenUInt),
    # Fields a newer server defines: their ids are past 11 and their layout unknown to
    # us, so they stay raw (the server skips them to the message end).
    "unknown_fields" / GreedyBytes,
)
"""The fields of ``Gtid_event::define_fields`` in order; field ids count from 0.
A field left out (None) is absent from the message: the server omits
``original_commit_timestamp`` / ``original_server_version`` when equal to the immediate
ones and ``commit_group_ticket`` when unset."""


def _message_header_size(ctx) -> int:
    return (varlen_size(ctx.format_version) + varlen_size(ctx.message_size)
            + varlen_size(ctx.last_non_ignorable_field_id))


def _message_size(ctx) -> int:
    # Serializer_default::get_size_serializable: id + size of the payload's length +
    # last non-ignorable id + payload.
    payload = len(GtidTaggedFields.build(ctx.fields, **ctx._params))
    return (varlen_size(ctx.format_version) + varlen_size(payload)
            + varlen_size(ctx.last_non_ignorable_field_id) + payload)


SERIALIZATION_FORMAT_VERSION = 1

GtidTaggedEvent = Struct(
    # message_format header; the message's own "field id" is the format version
    "format_version" / VarlenUInt,
    "message_size" / Auto(VarlenUInt, _message_size),
    "last_non_ignorable_field_id" / VarlenUInt,
    "fields" / FixedSized(lambda ctx: ctx.message_size - _message_header_size(ctx),
                          GtidTaggedFields),
    "extra" / Extra,
)
"""GTID_TAGGED_LOG_EVENT body: one ``mysql::serialization`` message.

``message_size`` counts the whole message, header included.
``last_non_ignorable_field_id`` is 0 when every field present may be ignored by an
older reader (the case for all of ``Gtid_event``'s fields); a reader that does not know
a field id up to it must fail.  The event has no post-header (length 0 in the FDE).
"""


# -- Previous_gtids_event -----------------------------------------------------------

# mysql::gtid::Gtid_format
GTID_FORMAT_UNTAGGED = 0
GTID_FORMAT_TAGGED = 1


def _tagged(ctx) -> bool:
    return ctx._.gtid_format == GTID_FORMAT_TAGGED


def _count_sids(ctx) -> int:
    return len(ctx._.sids)


GtidInterval = Struct("start" / Int8, "end" / Int8)
"""A half-open GNO interval [start, end)."""

PreviousGtidsSid = Struct(
    "sid" / Uuid,
    "tag" / If(_tagged, Text(VarlenBytes)),
    "n_intervals" / Auto(Int8, lambda ctx: len(ctx.intervals)),
    "intervals" / Array(this.n_intervals, GtidInterval),
)

PreviousGtidsEvent = Struct(
    "post_header_extra" / PostHeaderExtra(),
    # The 8-byte n_sids word: untagged, n_sids in the low seven bytes and the format (0)
    # in the top byte; tagged (8.3+), the format in the lowest and in the top byte and
    # n_sids in the six between (sql/rpl_gtid_set.cc, encode_nsids_format).
    "gtid_format" / Peek(FocusedSeq("format", Bytes(7), "format" / Int1)),
    "n_sids" / IfThenElse(
        this.gtid_format == GTID_FORMAT_TAGGED,
        FocusedSeq("n_sids",
                   Const(bytes((GTID_FORMAT_TAGGED,))),
                   "n_sids" / Auto(Int6, _count_sids),
                   Const(bytes((GTID_FORMAT_TAGGED,)))),
        FocusedSeq("n_sids",
                   "n_sids" / Auto(BytesInteger(7, swapped=True), _count_sids),
                   "format" / Rebuild(Int1, this._.gtid_format)),
    ),
    "sids" / Array(this.n_sids, PreviousGtidsSid),
    "extra" / Extra,
)
"""PREVIOUS_GTIDS_LOG_EVENT body: the GTID set executed before this binlog file."""


SPECS = [
    EventSpec(33, "GTID_LOG_EVENT", GtidEvent, doc="The GTID of the transaction that follows"),
    EventSpec(34, "ANONYMOUS_GTID_LOG_EVENT", GtidEvent,
              doc="Marks a transaction without a GTID (logical clock, timestamps)"),
    EventSpec(35, "PREVIOUS_GTIDS_LOG_EVENT", PreviousGtidsEvent,
              doc="GTIDs executed before this binlog file"),
    EventSpec(42, "GTID_TAGGED_LOG_EVENT", GtidTaggedEvent,
              doc="The tagged GTID of the transaction that follows (MySQL 8.3+)"),
]
