"""QUERY_EVENT (2), its status variables, and QUERY_COMPRESSED_EVENT's shared layout.

MySQL ``libs/mysql/binlog/event/statement_events.{h,cpp}`` (``Query_event``,
``enum_query_event_status_vars``), MariaDB ``sql/log_event.h`` / ``log_event.cc``
(``Query_log_event``, codes 128-131).

Post-header (``QUERY_HEADER_LEN`` = 13 in binlog v4, 11 in v1/v3, which have no
status variables): thread_id, exec_time, db_len, error_code, status_vars_len.
Body: the status-variable block, the default database and a NUL, the statement.

Status variables are a sequence of (code, value) pairs whose value layout depends on
the code.  The server stops reading at a code it does not know (it cannot tell the
value's length); so do we, and the unknown code with every byte after it in the block
is kept raw as ``value``, so the event still round-trips.
"""

from __future__ import annotations

import io
import struct

from construct import (
    Array,
    Const,
    Construct,
    ConstructError,
    Container,
    GreedyBytes,
    If,
    ListContainer,
    SizeofError,
    stream_read,
    stream_seek,
    stream_tell,
    stream_write,
    this,
)

from spec.binlog.common import Auto, KnownPostHeader, PostHeaderExtra, Text, encoded_len
from spec.binlog.eventspec import EventSpec
from spec.wire import (
    Bytes,
    Int1,
    Int2,
    Int3,
    Int4,
    Int8,
    NulBytes,
    Struct,
    emit_read,
    remaining,
)

OVER_MAX_DBS_IN_EVENT_MTS = 254
"""Q_UPDATED_DB_NAMES count meaning "too many databases, names not listed"."""

# MySQL enum_query_event_status_vars and MariaDB's additions.
Q_FLAGS2_CODE = 0
Q_SQL_MODE_CODE = 1
Q_CATALOG_CODE = 2
Q_AUTO_INCREMENT = 3
Q_CHARSET_CODE = 4
Q_TIME_ZONE_CODE = 5
Q_CATALOG_NZ_CODE = 6
Q_LC_TIME_NAMES_CODE = 7
Q_CHARSET_DATABASE_CODE = 8
Q_TABLE_MAP_FOR_UPDATE_CODE = 9
Q_MASTER_DATA_WRITTEN_CODE = 10
Q_INVOKER = 11
Q_UPDATED_DB_NAMES = 12
Q_MICROSECONDS = 13
Q_COMMIT_TS = 14
Q_COMMIT_TS2 = 15
Q_EXPLICIT_DEFAULTS_FOR_TIMESTAMP = 16
Q_DDL_LOGGED_WITH_XID = 17
Q_DEFAULT_COLLATION_FOR_UTF8MB4 = 18
Q_SQL_REQUIRE_PRIMARY_KEY = 19
Q_DEFAULT_TABLE_ENCRYPTION = 20
Q_HRNOW = 128
Q_XID = 129
Q_GTID_FLAGS3 = 130
Q_CHARACTER_SET_COLLATIONS = 131

STATUS_VAR_NAMES = {
    value: name
    for name, value in dict(globals()).items()
    if name.startswith("Q_") and isinstance(value, int)
}
"""Code -> server name, e.g. ``0 -> "Q_FLAGS2_CODE"``."""

# MariaDB Gtid_log_event flags_extra bits that make Q_GTID_FLAGS3 carry the sequence
# number of the START ALTER a COMMIT or ROLLBACK ALTER completes (sql/log_event.h:
# FL_COMMIT_ALTER_E1, FL_ROLLBACK_ALTER_E1).  A START ALTER itself (FL_START_ALTER_E1,
# 0x02) carries none: seen in MariaDB 10.11 and 11.8 binlogs with
# binlog_alter_two_phase=ON.
_ALTER_FLAGS = 0x04 | 0x08

def _short_string():
    """A 1-byte length then that many bytes (time zone, catalog, invoker parts)."""
    return Struct("length" / Auto(Int1, lambda ctx: encoded_len(ctx.value)),
                  "value" / Text(Bytes(this.length)))


StatusVarValues = {
    Q_FLAGS2_CODE: Int4,
    Q_SQL_MODE_CODE: Int8,
    Q_CATALOG_CODE: Struct(
        "length" / Auto(Int1, lambda ctx: encoded_len(ctx.value)),
        "value" / Text(Bytes(this.length)),
        Const(b"\0"),
    ),
    Q_AUTO_INCREMENT: Struct("increment" / Int2, "offset" / Int2),
    Q_CHARSET_CODE: Struct(
        "character_set_client" / Int2,
        "collation_connection" / Int2,
        "collation_server" / Int2,
    ),
    Q_TIME_ZONE_CODE: _short_string(),
    Q_CATALOG_NZ_CODE: _short_string(),
    Q_LC_TIME_NAMES_CODE: Int2,
    Q_CHARSET_DATABASE_CODE: Int2,
    Q_TABLE_MAP_FOR_UPDATE_CODE: Int8,
    Q_MASTER_DATA_WRITTEN_CODE: Int4,
    Q_INVOKER: Struct("user" / _short_string(), "host" / _short_string()),
    Q_UPDATED_DB_NAMES: Struct(
        "count" / Auto(Int1, lambda ctx: len(ctx.names or [])),
        "names" / If(this.count != OVER_MAX_DBS_IN_EVENT_MTS, Array(this.count, Text(NulBytes))),
    ),
    Q_MICROSECONDS: Int3,
    Q_EXPLICIT_DEFAULTS_FOR_TIMESTAMP: Int1,
    Q_DDL_LOGGED_WITH_XID: Int8,
    Q_DEFAULT_COLLATION_FOR_UTF8MB4: Int2,
    Q_SQL_REQUIRE_PRIMARY_KEY: Int1,
    Q_DEFAULT_TABLE_ENCRYPTION: Int1,
    Q_HRNOW: Int3,
    Q_XID: Int8,
    Q_GTID_FLAGS3: Struct(
        "flags3" / Int1,
        "sa_seq_no" / If(this.flags3 & _ALTER_FLAGS, Int8),
    ),
    Q_CHARACTER_SET_COLLATIONS: Struct(
        "count" / Auto(Int1, lambda ctx: len(ctx.pairs)),
        "pairs" / Array(this.count, Struct("charset_id" / Int2, "collation_id" / Int2)),
    ),
}

class StatusVarList(Construct):
    """The status-variable block: (code, value) pairs, each value by its code's schema.

    Parsing reads a code, then the value with that code's layout (from ``values``,
    compiled once for speed -- the block is most of a QUERY_EVENT's decoding time);
    an unknown code, or a known one whose value does not fit its layout (cut short, or
    a layout this schema gets wrong), takes the rest of the block raw, as the server
    stops reading there too -- so the event still round-trips.  Each item is
    ``{code, name, value}``; building writes the code, then the value with its
    layout, or as given when it is raw bytes.
    """

    def __init__(self, values: dict[int, Construct]):
        super().__init__()
        self.values = values
        self._compiled: dict[int, Construct] | None = None

    def _parsers(self) -> dict[int, Construct]:
        if self._compiled is None:
            compiled = {}
            for code, schema in self.values.items():
                try:
                    compiled[code] = schema.compile()
                except Exception:  # a layout construct cannot compile: interpret it
                    compiled[code] = schema
            self._compiled = compiled
        return self._compiled

    def _parse(self, stream, context, path):
        # The block is bounded by status_vars_len (none in binlog v1/v3).
        size = context.get("status_vars_len") or 0
        block = stream_read(stream, size, path)
        return self._parse_block(io.BytesIO(block), context, path)

    def _parse_block(self, stream, context, path):
        parsers = self._parsers()
        items = ListContainer()
        while remaining(stream):
            code = stream_read(stream, 1, path)[0]
            start = stream_tell(stream, path)
            parser = parsers.get(code)
            value = None
            if parser is not None:
                try:
                    value = parser._parsereport(stream, context, path)
                except (ConstructError, struct.error, ValueError, IndexError):
                    # compiled layouts report a short value as struct.error
                    stream_seek(stream, start, 0, path)
                    parser = None
            if parser is None:
                value = stream_read(stream, remaining(stream), path)
            items.append(Container(code=code, name=_status_var_name(code), value=value))
            if parser is None:
                break
        return items

    def _emitparse(self, code):
        # _parse_block, with each layout compiled in place.
        layouts = f"status_var_layouts_{code.allocateId()}"
        code.append(f"{layouts} = {{}}")
        for var_code, schema in self.values.items():
            code.append(f"{layouts}[{var_code}] = lambda io, this: {schema._compileparse(code)}")
        code.linkedinstances[id(STATUS_VAR_NAMES)] = STATUS_VAR_NAMES
        code.append(f"""
            def parse_{layouts}(io, this):
                block = {emit_read(code, "this.get('status_vars_len') or 0")}
                end = len(block)
                io = BytesIO(block)
                items = ListContainer()
                names = linkedinstances[{id(STATUS_VAR_NAMES)}]
                start = 0
                while start < end:
                    var_code = io.read(1)[0]
                    layout = {layouts}.get(var_code)
                    value = None
                    if layout is not None:
                        try:
                            value = layout(io, this)
                        except (ConstructError, struct.error, ValueError, IndexError):
                            io.seek(start + 1)
                            layout = None
                    if layout is None:
                        value = io.read()
                    items.append(Container(code=var_code,
                                           name=names.get(var_code) or f"UNKNOWN_{{var_code}}",
                                           value=value))
                    if layout is None:
                        break
                    start = io.tell()
                return items
        """)
        return f"parse_{layouts}(io, this)"

    def _build(self, obj, stream, context, path):
        start = stream_tell(stream, path)
        self._build_block(obj, stream, context, path)
        size = context.get("status_vars_len")
        written = stream_tell(stream, path) - start
        if size is not None and written != size:
            raise ConstructError(f"status_vars_len is {size} but the status variables "
                                 f"take {written} bytes", path=path)
        return obj

    def _build_block(self, obj, stream, context, path):
        for item in obj or ():
            code = item["code"]
            stream_write(stream, bytes((code,)), 1, path)
            value = item.get("value")
            schema = self.values.get(code)
            if schema is None or isinstance(value, (bytes, bytearray)):
                data = bytes(value or b"")
                stream_write(stream, data, len(data), path)
            else:
                schema._build(value, stream, context, path)
        return obj

    def _sizeof(self, context, path):
        raise SizeofError("status variables have a variable size", path=path)


def _status_var_name(code: int) -> str:
    return STATUS_VAR_NAMES.get(code, f"UNKNOWN_{code}")


StatusVars = StatusVarList(StatusVarValues)
"""The status-variable block of QUERY_EVENT (and its MariaDB compressed twin)."""


def _status_vars_len(ctx) -> int:
    stream = io.BytesIO()
    StatusVars._build_block(ctx.status_vars or [], stream, ctx, "(status_vars_len)")
    return len(stream.getvalue())


QUERY_HEADER_LEN = 13

QueryEvent = Struct(
    # post-header
    "thread_id" / Int4,
    "exec_time" / Int4,
    "db_len" / Auto(Int1, lambda ctx: encoded_len(ctx.db)),
    "error_code" / Int2,
    "status_vars_len" / KnownPostHeader(QUERY_HEADER_LEN, Auto(Int2, _status_vars_len)),
    "post_header_extra" / PostHeaderExtra(),
    # body
    "status_vars" / StatusVars,
    "db" / Text(Bytes(this.db_len)),
    Const(b"\0"),
    "query" / Text(GreedyBytes),
)
"""QUERY_EVENT body.  ``query`` runs to the end of the body."""

SPECS = [
    EventSpec(2, "QUERY_EVENT", QueryEvent, doc="A statement, DDL, or BEGIN/COMMIT"),
]
