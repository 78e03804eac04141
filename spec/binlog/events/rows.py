"""Row events: PRE_GA (20-22), V1 (23-25), V2 (30-32) and PARTIAL_UPDATE_ROWS (39).

MySQL ``libs/mysql/binlog/event/rows_event.{h,cpp}`` (``Rows_event``,
``enum_extra_row_info_typecode``, ``EXTRA_ROW_INFO_*``); MariaDB ``sql/log_event.h``
(``RW_*`` offsets, ``ROWS_HEADER_LEN_V1``/``_V2``) and ``log_event.cc``
(``Rows_log_event::Rows_log_event``).

Post-header: table_id (6 bytes; 4 when the FDE's post-header length is 6, as the
5.1 development trees wrote it), flags, and -- only when the post-header length is
``ROWS_HEADER_LEN_V2`` = 10, which is how both servers tell a v2 event -- the length
of the "extra row info" that follows, counting its own 2 bytes.  The extra row info
is a sequence of tagged entries: NDB cluster info (tag 0, ``RW_V_EXTRAINFO_TAG``) and
partition ids (tag 1, MySQL 8.0); the servers stop at a tag they do not know, and so
do we, keeping it and the bytes after it raw.

Body: the column count (``int<lenenc>``, the server's ``m_width``), the bitmap of
columns present in the (first) row image, for UPDATE_ROWS V1/V2 and
PARTIAL_UPDATE_ROWS a second bitmap for the after image, then the row images.  The
row images are kept as raw bytes here; decoding values needs the table map.

The PRE_GA events of MySQL 5.1.5-5.1.17 have the V1 layout without the after-image
bitmap: only the V1 update code (24) and later carry it
(``LOG_EVENT_IS_UPDATE_ROW`` in MariaDB names exactly the update codes that do).
"""

from __future__ import annotations

from construct import Default, GreedyBytes, Pass, Switch, this

from spec.binlog.common import (
    Auto,
    Choose,
    NameOf,
    PostHeaderSurplus,
    When,
    built_size,
    post_header_len,
)
from spec.binlog.events.table_map import short_table_id
from spec.binlog.eventspec import EventSpec
from spec.wire import (
    Bytes,
    FixedSized,
    GreedyRange,
    Int1,
    Int2,
    Int4,
    Int6,
    LenencInt,
    Select,
    Struct,
)

ROWS_HEADER_LEN_V1 = 8
ROWS_HEADER_LEN_V2 = 10

# Rows_event::enum_flag
STMT_END_F = 0x1
NO_FOREIGN_KEY_CHECKS_F = 0x2
RELAXED_UNIQUE_CHECKS_F = 0x4
COMPLETE_ROWS_F = 0x8
USE_SQL_FOREIGN_KEY_F = 0x10

# enum_extra_row_info_typecode (MySQL); MariaDB's RW_V_EXTRAINFO_TAG is the NDB tag.
EXTRA_ROW_INFO_NDB = 0
EXTRA_ROW_INFO_PART = 1
RW_V_EXTRAINFO_TAG = EXTRA_ROW_INFO_NDB

EXTRA_ROW_INFO_NAMES = {EXTRA_ROW_INFO_NDB: "NDB", EXTRA_ROW_INFO_PART: "PART"}

EXTRA_ROW_INFO_HEADER_LENGTH = 2
"""The NDB entry's length byte counts itself and the format byte."""

NdbRowInfo = Struct(
    "length" / Auto(Int1, lambda ctx: EXTRA_ROW_INFO_HEADER_LENGTH + len(ctx.data)),
    "format" / Int1,
    "data" / Bytes(this.length - EXTRA_ROW_INFO_HEADER_LENGTH),
)
"""``extra_row_ndb_info``: length (including these 2 bytes), format, NDB data."""


def _extra_row_info_entry(source_partition: bool):
    part = Struct(
        "partition_id" / Int2,
        "source_partition_id" / (Int2 if source_partition else Pass),
    )
    known = Struct(
        "tag" / Int1,
        "name" / NameOf(EXTRA_ROW_INFO_NAMES, "tag"),
        "value" / Switch(this.tag, {EXTRA_ROW_INFO_NDB: NdbRowInfo, EXTRA_ROW_INFO_PART: part},
                         default=GreedyBytes),
    )
    # An entry that does not fit its tag's layout (the servers reject those) is kept
    # raw with everything after it, like an unknown tag, so the event round-trips.
    raw = Struct(
        "tag" / Int1,
        "name" / NameOf(EXTRA_ROW_INFO_NAMES, "tag"),
        "value" / GreedyBytes,
    )
    return Select(known, raw)


def ExtraRowInfo(source_partition: bool):
    """The v2 extra row info entries.

    ``source_partition``: the PART entry carries a second id, the partition the row
    came from -- only for UPDATE_ROWS_EVENT and PARTIAL_UPDATE_ROWS_EVENT
    (``Rows_event::Rows_event``).
    """
    return GreedyRange(_extra_row_info_entry(source_partition))


def RowsEvent(*, v2_default: bool, after_image: bool, source_partition: bool = False,
              rows=None):
    """The body schema of one rows event type.

    ``v2_default``: the layout used when no FDE gives a post-header length (a crafted
    event); with one, the length decides, as in the servers.  ``after_image``: the
    type carries a second columns bitmap (UPDATE V1/V2, PARTIAL_UPDATE).  ``rows``:
    the construct for the row images (raw bytes by default; MariaDB's compressed
    events pass a decompressing one).
    """

    def is_v2(ctx) -> bool:
        declared = post_header_len(ctx)
        if declared is None:
            return v2_default
        return declared == ROWS_HEADER_LEN_V2

    extra = ExtraRowInfo(source_partition)
    return Struct(
        # post-header
        "table_id" / Choose(short_table_id, Int4, Int6),
        "flags" / Int2,
        "var_header_len" / When(is_v2, Auto(Int2, lambda ctx: 2 + built_size(extra, "extra_data")(ctx))),
        "post_header_extra" / When(lambda ctx: not is_v2(ctx), PostHeaderSurplus(ROWS_HEADER_LEN_V1)),
        # body
        "extra_data" / When(is_v2, Default(FixedSized(this.var_header_len - 2, extra), [])),
        "column_count" / LenencInt,
        "columns_present" / Bytes((this.column_count + 7) // 8),
        "columns_present_after" / (Bytes((this.column_count + 7) // 8) if after_image else Pass),
        "rows" / (rows if rows is not None else GreedyBytes),
    )


_V1 = dict(v2_default=False)
_V2 = dict(v2_default=True)

PreGaWriteRowsEvent = RowsEvent(after_image=False, **_V1)
PreGaUpdateRowsEvent = RowsEvent(after_image=False, **_V1)
PreGaDeleteRowsEvent = RowsEvent(after_image=False, **_V1)
WriteRowsEventV1 = RowsEvent(after_image=False, **_V1)
UpdateRowsEventV1 = RowsEvent(after_image=True, **_V1)
DeleteRowsEventV1 = RowsEvent(after_image=False, **_V1)
WriteRowsEvent = RowsEvent(after_image=False, **_V2)
UpdateRowsEvent = RowsEvent(after_image=True, source_partition=True, **_V2)
DeleteRowsEvent = RowsEvent(after_image=False, **_V2)
PartialUpdateRowsEvent = RowsEvent(after_image=True, source_partition=True, **_V2)


SPECS = [
    EventSpec(20, "PRE_GA_WRITE_ROWS_EVENT", PreGaWriteRowsEvent,
              doc="Inserted rows, MySQL 5.1.5-5.1.17 layout"),
    EventSpec(21, "PRE_GA_UPDATE_ROWS_EVENT", PreGaUpdateRowsEvent,
              doc="Updated rows (before/after pairs), MySQL 5.1.5-5.1.17 layout"),
    EventSpec(22, "PRE_GA_DELETE_ROWS_EVENT", PreGaDeleteRowsEvent,
              doc="Deleted rows, MySQL 5.1.5-5.1.17 layout"),
    EventSpec(23, "WRITE_ROWS_EVENT_V1", WriteRowsEventV1, doc="Inserted rows (v1)"),
    EventSpec(24, "UPDATE_ROWS_EVENT_V1", UpdateRowsEventV1,
              doc="Updated rows, before and after images (v1)"),
    EventSpec(25, "DELETE_ROWS_EVENT_V1", DeleteRowsEventV1, doc="Deleted rows (v1)"),
    EventSpec(30, "WRITE_ROWS_EVENT", WriteRowsEvent, doc="Inserted rows (v2)"),
    EventSpec(31, "UPDATE_ROWS_EVENT", UpdateRowsEvent,
              doc="Updated rows, before and after images (v2)"),
    EventSpec(32, "DELETE_ROWS_EVENT", DeleteRowsEvent, doc="Deleted rows (v2)"),
    EventSpec(39, "PARTIAL_UPDATE_ROWS_EVENT", PartialUpdateRowsEvent,
              doc="Updated rows with partial JSON after images (MySQL 8.0)"),
]
