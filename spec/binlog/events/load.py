"""LOAD DATA INFILE events: LOAD (6), CREATE_FILE (8), APPEND_BLOCK (9), EXEC_LOAD (10),
DELETE_FILE (11), NEW_LOAD (12), BEGIN_LOAD_QUERY (17) and EXECUTE_LOAD_QUERY (18).

Sources: MySQL ``libs/mysql/binlog/event/load_data_events.{h,cpp}``
(``Execute_load_query_event``, ``Delete_file_event``, ``Append_block_event``,
``Begin_load_query_event``); for the events 5.0 stopped writing (LOAD, NEW_LOAD,
CREATE_FILE, EXEC_LOAD), ``sql/log_event.cc`` of MySQL 4.1/5.1 (``Load_log_event::
copy_log_event`` and ``write_data_header``/``write_data_body``, ``sql_ex_info::init``
and ``write_data``, ``Create_file_log_event``, ``Execute_load_log_event``) and
libbinlogevents' ``Load_event::copy_load_event`` / ``Create_file_event``.

MySQL 3.23-4.1 logged LOAD DATA as LOAD_EVENT (3.23, one-character terminators) or
NEW_LOAD_EVENT (4.0+, length-prefixed terminators), or -- with the file's contents --
as CREATE_FILE, APPEND_BLOCK..., then EXEC_LOAD or DELETE_FILE.  5.0 replaced this with
BEGIN_LOAD_QUERY, APPEND_BLOCK..., then EXECUTE_LOAD_QUERY (a QUERY_EVENT whose
statement names the file) or DELETE_FILE.
"""

from __future__ import annotations

from construct import Array, Const, GreedyBytes, If, IfThenElse, this

from spec.binlog.common import Auto, Extra, PostHeaderExtra, Text, encoded_len
from spec.binlog.events.query import QUERY_HEADER_LEN, QueryEvent
from spec.binlog.eventspec import EventSpec
from spec.wire import Bytes, Int1, Int4, NulBytes, Prefixed, Struct

LOAD_HEADER_LEN = 4 + 4 + 4 + 1 + 1 + 4
"""``LOAD_HEADER_LEN``: the post-header of LOAD, NEW_LOAD and (before its file id) CREATE_FILE."""
EXECUTE_LOAD_QUERY_EXTRA_HEADER_LEN = 4 + 4 + 4 + 1
EXECUTE_LOAD_QUERY_HEADER_LEN = QUERY_HEADER_LEN + EXECUTE_LOAD_QUERY_EXTRA_HEADER_LEN

# sql_ex opt_flags
DUMPFILE_FLAG = 0x1
OPT_ENCLOSED_FLAG = 0x2
REPLACE_FLAG = 0x4
IGNORE_FLAG = 0x8
# old sql_ex empty_flags
FIELD_TERM_EMPTY = 0x1
ENCLOSED_EMPTY = 0x2
LINE_TERM_EMPTY = 0x4
LINE_START_EMPTY = 0x8
ESCAPED_EMPTY = 0x10

# enum_load_dup_handling
LOAD_DUP_ERROR = 0
LOAD_DUP_IGNORE = 1
LOAD_DUP_REPLACE = 2

SqlExOld = Struct(
    "field_term" / Bytes(1),
    "enclosed" / Bytes(1),
    "line_term" / Bytes(1),
    "line_start" / Bytes(1),
    "escaped" / Bytes(1),
    "opt_flags" / Int1,
    "empty_flags" / Int1,
)
"""``old_sql_ex``: one character per option; ``empty_flags`` marks those that are empty."""

_short_bytes = Prefixed(Int1, GreedyBytes)

SqlExNew = Struct(
    "field_term" / _short_bytes,
    "enclosed" / _short_bytes,
    "line_term" / _short_bytes,
    "line_start" / _short_bytes,
    "escaped" / _short_bytes,
    "opt_flags" / Int1,
)
"""The new ``sql_ex``: each option a 1-byte length then its bytes."""


def _load_post_header():
    return [
        "thread_id" / Int4,
        "exec_time" / Int4,
        "skip_lines" / Int4,
        "table_name_len" / Auto(Int1, lambda ctx: encoded_len(ctx.table_name)),
        "db_len" / Auto(Int1, lambda ctx: encoded_len(ctx.db)),
        "num_fields" / Auto(Int4, lambda ctx: len(ctx.fields)),
    ]


def _load_body(sql_ex):
    return [
        "sql_ex" / sql_ex,
        "field_lens" / Auto(Array(this.num_fields, Int1),
                            lambda ctx: [encoded_len(name) for name in ctx.fields]),
        "fields" / Array(this.num_fields, Text(NulBytes)),
        "table_name" / Text(Bytes(this.table_name_len)),
        Const(b"\0"),
        "db" / Text(Bytes(this.db_len)),
        Const(b"\0"),
    ]


# The reader takes the body to start LOAD_HEADER_LEN bytes after the common header
# whatever the FDE says (Load_log_event::Load_log_event), so these two have no
# post_header_extra.
LoadEvent = Struct(
    *_load_post_header(),
    *_load_body(SqlExOld),
    "fname" / Text(GreedyBytes),
)
"""LOAD_EVENT (3.23): the LOAD DATA statement in pieces; the data is read by the replica
from the primary over the network.  ``fname`` (the primary's file) runs to the end."""

NewLoadEvent = Struct(
    *_load_post_header(),
    *_load_body(SqlExNew),
    "fname" / Text(GreedyBytes),
)
"""NEW_LOAD_EVENT (4.0): LOAD_EVENT with the new, length-prefixed ``sql_ex``."""


def _binlog_v1(ctx) -> bool:
    return ctx._params.get("binlog_version", 4) == 1


CreateFileEvent = Struct(
    # post-header: LOAD's, then CREATE_FILE_HEADER_LEN (4) bytes of its own
    *_load_post_header(),
    "file_id" / Int4,
    # body
    *_load_body(SqlExNew),
    # Binlog v3/v4: the file name, a NUL, then the first block of the file
    # (Create_file_log_event::write_data_body).  A binlog v1 reader reads neither file
    # id nor block (inited_from_old): the name runs to the end.
    "fname" / IfThenElse(_binlog_v1, Text(GreedyBytes), Text(NulBytes)),
    "block" / If(lambda ctx: not _binlog_v1(ctx), GreedyBytes),
)
"""CREATE_FILE_EVENT (4.x): a NEW_LOAD_EVENT plus ``file_id`` and the first data block.
The post-header is ``LOAD_HEADER_LEN`` + 4 bytes although the FDE lists 4 for this type
(the reader adds LOAD_EVENT's length to it)."""

AppendBlockEvent = Struct(
    "file_id" / Int4,
    "post_header_extra" / PostHeaderExtra(),
    "block" / GreedyBytes,
)
"""APPEND_BLOCK_EVENT: a block of the file for ``file_id``, to the end of the body."""

BeginLoadQueryEvent = AppendBlockEvent
"""BEGIN_LOAD_QUERY_EVENT (5.0+): APPEND_BLOCK's layout; it creates the file."""

ExecLoadEvent = Struct(
    "file_id" / Int4,
    "post_header_extra" / PostHeaderExtra(),
    "extra" / Extra,
)
"""EXEC_LOAD_EVENT (4.x): run the load of ``file_id`` (stored as a CREATE_FILE)."""

DeleteFileEvent = Struct(
    "file_id" / Int4,
    "post_header_extra" / PostHeaderExtra(),
    "extra" / Extra,
)
"""DELETE_FILE_EVENT: the LOAD failed on the primary; discard ``file_id``."""


def _query_parts():
    """QUERY_EVENT's post-header fields and its body fields, split at post_header_extra."""
    names = [sc.name for sc in QueryEvent.subcons]
    split = names.index("post_header_extra")
    return QueryEvent.subcons[:split], QueryEvent.subcons[split + 1:]


_QUERY_POST_HEADER, _QUERY_BODY = _query_parts()

ExecuteLoadQueryEvent = Struct(
    # post-header: QUERY_EVENT's 13 bytes, then 13 of its own
    *_QUERY_POST_HEADER,
    "file_id" / Int4,
    "fn_pos_start" / Int4,
    "fn_pos_end" / Int4,
    "dup_handling" / Int1,
    "post_header_extra" / PostHeaderExtra(),
    # body: QUERY_EVENT's (status variables, db, NUL, statement)
    *_QUERY_BODY,
)
"""EXECUTE_LOAD_QUERY_EVENT: a QUERY_EVENT (``Execute_load_query_event``) whose
statement's bytes ``fn_pos_start``..``fn_pos_end`` (`` INFILE '<file>' INTO``) the
replica rewrites to name its temporary file for ``file_id``."""

SPECS = [
    EventSpec(6, "LOAD_EVENT", LoadEvent, doc="LOAD DATA INFILE (3.23)"),
    EventSpec(8, "CREATE_FILE_EVENT", CreateFileEvent,
              doc="LOAD DATA INFILE with the file's first block (4.x)"),
    EventSpec(9, "APPEND_BLOCK_EVENT", AppendBlockEvent, doc="A further block of a loaded file"),
    EventSpec(10, "EXEC_LOAD_EVENT", ExecLoadEvent, doc="Run the load of a file (4.x)"),
    EventSpec(11, "DELETE_FILE_EVENT", DeleteFileEvent, doc="Discard a loaded file"),
    EventSpec(12, "NEW_LOAD_EVENT", NewLoadEvent, doc="LOAD DATA INFILE (4.0)"),
    EventSpec(17, "BEGIN_LOAD_QUERY_EVENT", BeginLoadQueryEvent,
              doc="The first block of a loaded file (5.0+)"),
    EventSpec(18, "EXECUTE_LOAD_QUERY_EVENT", ExecuteLoadQueryEvent,
              doc="The LOAD DATA statement to run on a loaded file (5.0+)"),
]
