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

from construct import Construct, ConstructError, GreedyBytes, stream_read, stream_write, this

from spec.binlog.common import (
    Auto,
    Extra,
    KnownPostHeader,
    PostHeaderExtra,
    Text,
    When,
    known_post_header,
    present,
)
from spec.binlog.eventspec import EventSpec
from spec.gtid_set import GtidSetEncoding
from spec.serialization import (
    SerializedField,
    VarlenBytes,
    VarlenSInt,
    VarlenUInt,
    VarlenUuid,
    varlen_size,
)
from spec.wire import (
    BytesInteger,
    FixedSized,
    Int1,
    Int4,
    Int8,
    LenencInt,
    Struct,
    Tail,
    Uuid,
    emit_read,
)

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
        return self.split(stream_read(stream, self.length, path), context)

    def split(self, data: bytes, context) -> int:
        value = int.from_bytes(data, "little")
        context[f"_{self.companion}_follows"] = bool(value & self.flag)
        return value & ~self.flag

    def _emitparse(self, code):
        code.linkedinstances[id(self)] = self
        return f"linkedinstances[{id(self)}].split({emit_read(code, self.length)}, this)"

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

    flag = f"_{companion}_follows"

    def condition(ctx) -> bool:
        if ctx["_parsing"]:
            return bool(ctx.get(flag))
        return ctx.get(companion) is not None

    return condition


Int7 = BytesInteger(7, swapped=True)
"""7-byte little-endian integer (``original_commit_timestamp``)."""


def _has_logical_clock(ctx) -> bool:
    return (ctx["lt_type"] == LOGICAL_TIMESTAMP_TYPECODE
            and known_post_header(ctx, GTID_POST_HEADER_LEN))


_has_trailers = this.lt_type == LOGICAL_TIMESTAMP_TYPECODE


GtidEvent = Struct(
    # post-header
    "flags" / Int1,  # gtid_flags: FLAG_MAY_HAVE_SBR
    "sid" / Uuid,
    "gno" / Int8,
    # 5.7+: absent from 5.6's 25-byte post-header.  5.7.4 and earlier used another
    # typecode and shorter clocks; those bytes are then kept in post_header_extra.
    "lt_type" / KnownPostHeader(GTID_POST_HEADER_LEN_56 + 1, Int1),
    "last_committed" / When(_has_logical_clock, Int8),
    "sequence_number" / When(_has_logical_clock, Int8),
    "post_header_extra" / PostHeaderExtra(),
    # body (8.0.1+), each present only if bytes remain
    "immediate_commit_timestamp" / When(_has_trailers,
                                      Tail(HighBitFlagged(7, "original_commit_timestamp"))),
    "original_commit_timestamp" / When(follows("original_commit_timestamp"), Int7),
    "transaction_length" / When(present("immediate_commit_timestamp"), Tail(LenencInt)),
    "immediate_server_version" / When(present("transaction_length"),
                                    Tail(need=4, subcon=HighBitFlagged(4, "original_server_version"))),
    "original_server_version" / When(follows("original_server_version"), Int4),
    "commit_group_ticket" / When(present("immediate_server_version"), Tail(need=8, subcon=Int8)),
    "extra" / Extra,
)
"""GTID_LOG_EVENT / ANONYMOUS_GTID_LOG_EVENT body (``Gtid_event``)."""


# -- mysql::serialization (GTID_TAGGED_LOG_EVENT) -----------------------------------


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

PreviousGtidsEvent = Struct(
    "post_header_extra" / PostHeaderExtra(),
    *GtidSetEncoding.subcons,
    "extra" / Extra,
)
"""PREVIOUS_GTIDS_LOG_EVENT body: the GTID set executed before this binlog file, in
``Gtid_set::encode`` form (:data:`spec.gtid_set.GtidSetEncoding`, shared with
COM_BINLOG_DUMP_GTID)."""


SPECS = [
    EventSpec(33, "GTID_LOG_EVENT", GtidEvent, doc="The GTID of the transaction that follows"),
    EventSpec(34, "ANONYMOUS_GTID_LOG_EVENT", GtidEvent,
              doc="Marks a transaction without a GTID (logical clock, timestamps)"),
    EventSpec(35, "PREVIOUS_GTIDS_LOG_EVENT", PreviousGtidsEvent,
              doc="GTIDs executed before this binlog file"),
    EventSpec(42, "GTID_TAGGED_LOG_EVENT", GtidTaggedEvent,
              doc="The tagged GTID of the transaction that follows (MySQL 8.3+)"),
]
