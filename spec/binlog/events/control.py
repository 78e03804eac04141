"""Control events: STOP, ROTATE, INTVAR, SLAVE, RAND, USER_VAR, XID, INCIDENT, HEARTBEAT
(v1 and v2), IGNORABLE, ROWS_QUERY and XA_PREPARE.

Sources: MySQL ``libs/mysql/binlog/event/control_events.{h,cpp}`` (``Rotate_event``,
``Stop_event``, ``Incident_event``, ``Xid_event``, ``XA_prepare_event``,
``Ignorable_event``, ``Heartbeat_event``, ``Heartbeat_event_v2``),
``statement_events.{h,cpp}`` (``User_var_event``, ``Intvar_event``, ``Rand_event``),
``rows_event.h`` (``Rows_query_event``), ``codecs/binary.{h,cpp}`` (the heartbeat v2
TLV codec); ``sql/log_event.cc`` of MySQL 4.1/5.0 for ``Slave_log_event`` and for
``write_str_at_most_255_bytes`` (the ROWS_QUERY length byte); MariaDB ``sql/log_event.h``
and ``log_event_server.cc`` (``User_var_log_event::write``).

Every schema starts its body where the FDE's post-header length for the type says the
post-header ends (``PostHeaderExtra``), as the server does (``forward(post_header_len)``),
and where the server reads a fixed set of fields and ignores what follows, the rest is
kept raw in ``extra``.  That is also how these schemas survive files from pre-release
servers that numbered events differently (the 5.2 development-tree files of the
corpus carry a TABLE_MAP body under code 16).
"""

from __future__ import annotations

from construct import Computed, GreedyBytes, If, RepeatUntil, Switch, this

from spec.binlog.common import (
    Auto,
    Extra,
    KnownPostHeader,
    PostHeaderExtra,
    Text,
    When,
    encoded_len,
)
from spec.binlog.eventspec import EventSpec
from spec.wire import (
    Bytes,
    FixedSized,
    Int1,
    Int2,
    Int4,
    Int8,
    LenencInt,
    NulBytes,
    Struct,
    Tail,
    remaining,
)

ROTATE_HEADER_LEN = 8
"""``ROTATE_HEADER_LEN``: the position; 0 in binlog v1 (MySQL 3.23), whose ROTATE has none."""

StopEvent = Struct(
    "post_header_extra" / PostHeaderExtra(),
    "extra" / Extra,
)
"""STOP_EVENT: empty post-header and body (``Stop_event``)."""

RotateEvent = Struct(
    # post-header
    "position" / KnownPostHeader(ROTATE_HEADER_LEN, Int8),
    "post_header_extra" / PostHeaderExtra(),
    # body
    "new_log_ident" / Text(GreedyBytes),
)
"""ROTATE_EVENT: the next file's name runs to the end of the body, without a NUL.

The server reads the position only when the FDE gives ROTATE a post-header
(``Rotate_event::Rotate_event``: ``if (post_header_len)``, else 4).  With no FDE yet --
the artificial ROTATE a primary sends before its FDE -- the v4 layout applies.
"""

# Intvar_event::Int_event_type
INVALID_INT_EVENT = 0
LAST_INSERT_ID_EVENT = 1
INSERT_ID_EVENT = 2

IntvarEvent = Struct(
    "post_header_extra" / PostHeaderExtra(),
    "type" / Int1,
    "value" / Int8,
    "extra" / Extra,
)
"""INTVAR_EVENT: ``type`` is LAST_INSERT_ID_EVENT (1) or INSERT_ID_EVENT (2)."""

SlaveEvent = Struct(
    "post_header_extra" / PostHeaderExtra(),
    "master_pos" / Int8,
    "master_port" / Int2,
    "master_host" / Text(NulBytes),
    "master_log" / Text(GreedyBytes),
)
"""SLAVE_EVENT (MySQL 4.x, never written by 5.0 and later; the code was removed in 2010).

Layout from ``Slave_log_event::write_data`` / ``init_from_mem_pool`` (sql/log_event.cc,
4.1/5.0): ``SL_MASTER_POS_OFFSET`` 0 (8 bytes), ``SL_MASTER_PORT_OFFSET`` 8 (2 bytes),
``SL_MASTER_HOST_OFFSET`` 10 (NUL-terminated), then the master log name to the end of
the body (``get_data_size`` counts one NUL only, the host's).
"""

RandEvent = Struct(
    "post_header_extra" / PostHeaderExtra(),
    "seed1" / Int8,
    "seed2" / Int8,
    "extra" / Extra,
)
"""RAND_EVENT: the two seeds of RAND() for the next statement."""

# User_var_event::Value_type (Item_result)
STRING_RESULT = 0
REAL_RESULT = 1
INT_RESULT = 2
ROW_RESULT = 3
DECIMAL_RESULT = 4

# User_var_event flags
UNDEF_F = 0
UNSIGNED_F = 1


def _not_null(ctx) -> bool:
    return ctx.is_null == 0


UserVarEvent = Struct(
    "post_header_extra" / PostHeaderExtra(),
    "name_len" / Auto(Int4, lambda ctx: encoded_len(ctx.name)),
    "name" / Text(Bytes(this.name_len)),
    "is_null" / Int1,
    "type" / When(_not_null, Int1),
    "charset" / When(_not_null, Int4),
    "value_len" / When(_not_null, Auto(Int4, lambda ctx: len(ctx.value))),
    "value" / When(_not_null, Bytes(this.value_len)),
    # Added in MySQL 5.1 (bug #35583): absent in older files.  MySQL then writes it for
    # every non-NULL value; MariaDB only for INT_RESULT (unsigned_len in
    # User_var_log_event::write).  The reader takes it when a byte remains.
    "flags" / When(_not_null, Tail(Int1)),
    "extra" / Extra,
)
"""USER_VAR_EVENT.  ``value`` is the server's binary encoding (8-byte int or double,
precision/scale/decimal bytes, or the string in ``charset``), kept as bytes."""

XidEvent = Struct(
    "post_header_extra" / PostHeaderExtra(),
    "xid" / Int8,
    "extra" / Extra,
)
"""XID_EVENT: the storage engine's transaction id, in the primary's byte order
(``memcpy<int64_t>``; little-endian on every supported platform)."""

# Incident_event::enum_incident
INCIDENT_NONE = 0
INCIDENT_LOST_EVENTS = 1

IncidentEvent = Struct(
    # post-header (INCIDENT_HEADER_LEN = 2)
    "incident" / Int2,
    "post_header_extra" / PostHeaderExtra(),
    # body
    "message_length" / Auto(Int1, lambda ctx: encoded_len(ctx.message)),
    "message" / Text(Bytes(this.message_length)),
    "extra" / Extra,
)
"""INCIDENT_EVENT: incident number, then a message of at most 255 bytes."""

HeartbeatEvent = Struct(
    "post_header_extra" / PostHeaderExtra(),
    "log_ident" / Text(GreedyBytes),
)
"""HEARTBEAT_LOG_EVENT: the name of the primary's current binlog, to the end of the
body; the position is the common header's ``log_pos``.  Sent on the wire only."""

IgnorableEvent = Struct(
    "post_header_extra" / PostHeaderExtra(),
    "data" / GreedyBytes,
)
"""IGNORABLE_LOG_EVENT: no defined content; whatever a server put there is kept."""

RowsQueryEvent = Struct(
    "post_header_extra" / PostHeaderExtra(),
    # The server writes the length with write_str_at_most_255_bytes, i.e. cast to one
    # byte (length mod 256), and reads the whole rest of the body regardless.
    "length" / Auto(Int1, lambda ctx: encoded_len(ctx.query) & 0xFF),
    "query" / Text(GreedyBytes),
)
"""ROWS_QUERY_LOG_EVENT: the statement behind the rows events that follow."""

# Heartbeat_event_v2 TLV field types (codecs/binary.h, Heartbeat::fields)
OTW_HB_HEADER_END_MARK = 0
OTW_HB_LOG_FILENAME_FIELD = 1
OTW_HB_LOG_POSITION_FIELD = 2

HEARTBEAT_V2_FIELD_NAMES = {
    OTW_HB_HEADER_END_MARK: "OTW_HB_HEADER_END_MARK",
    OTW_HB_LOG_FILENAME_FIELD: "OTW_HB_LOG_FILENAME_FIELD",
    OTW_HB_LOG_POSITION_FIELD: "OTW_HB_LOG_POSITION_FIELD",
}

_HEARTBEAT_V2_VALUES = {
    OTW_HB_LOG_FILENAME_FIELD: Text(GreedyBytes),
    OTW_HB_LOG_POSITION_FIELD: LenencInt,
}


def _hb_value_len(ctx) -> int:
    return len(_HEARTBEAT_V2_VALUES.get(ctx.type, GreedyBytes).build(ctx.value))


def _is_field(ctx) -> bool:
    return ctx.type != OTW_HB_HEADER_END_MARK


HeartbeatV2Field = Struct(
    "type" / LenencInt,
    "name" / Computed(lambda ctx: HEARTBEAT_V2_FIELD_NAMES.get(ctx.type, f"UNKNOWN_{ctx.type}")),
    "length" / If(_is_field, Auto(LenencInt, _hb_value_len)),
    "value" / If(_is_field, FixedSized(this.length, Switch(this.type, _HEARTBEAT_V2_VALUES,
                                                          default=GreedyBytes))),
)
"""One TLV: type and length as ``int<lenenc>``, then the value; an unknown type's value
is kept raw (the server skips it).  The end mark has a type only."""


def _last_heartbeat_field(field, built, ctx) -> bool:
    if field["type"] == OTW_HB_HEADER_END_MARK:
        return True
    if ctx._parsing:
        return not remaining(ctx._io)
    return len(built) == len(ctx.fields)


HeartbeatEventV2 = Struct(
    "post_header_extra" / PostHeaderExtra(),
    "fields" / Tail(RepeatUntil(_last_heartbeat_field, HeartbeatV2Field)),
    "extra" / Extra,
)
"""HEARTBEAT_LOG_EVENT_V2 (MySQL 8.0.26+): TLV fields up to and including the end mark
(``Heartbeat::decode`` also stops at the end of the body), then whatever follows, raw.
The log position is an ``int<lenenc>`` inside its TLV value."""

XaPrepareEvent = Struct(
    "post_header_extra" / PostHeaderExtra(),
    "one_phase" / Int1,
    "format_id" / Int4,
    "gtrid_length" / Auto(Int4, lambda ctx: len(ctx.gtrid)),
    "bqual_length" / Auto(Int4, lambda ctx: len(ctx.bqual)),
    "gtrid" / Bytes(this.gtrid_length),
    "bqual" / Bytes(this.bqual_length),
    "extra" / Extra,
)
"""XA_PREPARE_LOG_EVENT: ``one_phase``, then the XID (``formatID``, ``gtrid_length``,
``bqual_length``, and ``data`` = gtrid followed by bqual, here split in two).  The
server reads ``formatID`` as an unsigned 4-byte value; MariaDB uses the same layout."""

SPECS = [
    EventSpec(3, "STOP_EVENT", StopEvent, doc="The server shut down, or a relay log ended"),
    EventSpec(4, "ROTATE_EVENT", RotateEvent, doc="Continue in the named binlog file"),
    EventSpec(5, "INTVAR_EVENT", IntvarEvent, doc="LAST_INSERT_ID or INSERT_ID for the next statement"),
    EventSpec(7, "SLAVE_EVENT", SlaveEvent, doc="Obsolete (4.x): a replica's primary coordinates"),
    EventSpec(13, "RAND_EVENT", RandEvent, doc="RAND() seeds for the next statement"),
    EventSpec(14, "USER_VAR_EVENT", UserVarEvent, doc="A user variable the next statement uses"),
    EventSpec(16, "XID_EVENT", XidEvent, doc="Commit of an XA-capable engine's transaction"),
    EventSpec(26, "INCIDENT_EVENT", IncidentEvent, doc="Something happened that may make replicas diverge"),
    EventSpec(27, "HEARTBEAT_LOG_EVENT", HeartbeatEvent, doc="Primary alive (wire only)"),
    EventSpec(28, "IGNORABLE_LOG_EVENT", IgnorableEvent, doc="An event replicas may skip"),
    EventSpec(29, "ROWS_QUERY_LOG_EVENT", RowsQueryEvent, doc="The statement behind rows events"),
    EventSpec(38, "XA_PREPARE_LOG_EVENT", XaPrepareEvent, doc="XA PREPARE (or XA COMMIT ONE PHASE)"),
    EventSpec(41, "HEARTBEAT_LOG_EVENT_V2", HeartbeatEventV2,
              doc="Primary alive, with a 64-bit position (wire only)"),
]
