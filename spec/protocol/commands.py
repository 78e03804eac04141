"""Command phase: every ``COM_*`` packet a client (or replica) sends.

Sources: https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_command_phase.html
and the per-command pages (``page_protocol_com_query``, ``..._com_stmt_execute``,
``..._com_change_user``, ``page_protocol_com_binlog_dump``,
``page_protocol_com_register_replica`` ...); MySQL ``sql/protocol_classic.cc``
(``Protocol_classic::parse_packet``), ``sql/rpl_source.cc``
(``com_binlog_dump``, ``com_binlog_dump_gtid``, ``register_replica``); MariaDB
``include/mysql_com.h`` and the MariaDB KB "clientserver-protocol" pages
("COM_QUERY", "COM_STMT_EXECUTE", "COM_STMT_BULK_EXECUTE", "COM_BINLOG_DUMP").

Every schema opens with ``command``, the command byte (a ``Const``).  Layouts that
depend on the session take context parameters:

* ``capabilities`` -- COM_QUERY and COM_STMT_EXECUTE (``CLIENT_QUERY_ATTRIBUTES``),
  COM_CHANGE_USER;
* ``num_params`` -- COM_STMT_EXECUTE: the statement's parameter count from its
  COM_STMT_PREPARE_OK, needed to find the NULL bitmap (MySQL's own parser looks the
  statement up for the same reason);
* ``param_types`` -- COM_STMT_EXECUTE, optional: the type words bound by an earlier
  execute, to decode values sent without types (``new_params_bind_flag`` 0);
  without it such values stay raw bytes.

Quirks kept here, each from the server's parser rather than the documentation:

* COM_STMT_EXECUTE's ``parameter_count`` is on the wire only with
  ``CLIENT_QUERY_ATTRIBUTES`` *and* the ``PARAMETER_COUNT_AVAILABLE`` flag (the doc
  page reads as if the capability alone sufficed).
* COM_BINLOG_DUMP_GTID: the server reads ``data_size`` and the GTID set whatever the
  flags (the old internals manual made them depend on ``BINLOG_THROUGH_GTID``);
  here they are parsed when bytes remain after ``binlog_pos``.
"""

from __future__ import annotations

from construct import (
    Array,
    Bytes,
    Const,
    Construct,
    ConstructError,
    Default,
    FixedSized,
    GreedyBytes,
    If,
    IfThenElse,
    Prefixed,
    Struct,
    this,
)

from spec.binlog.common import Auto, Text
from spec.gtid_set import GtidSetEncoding
from spec.protocol.binary import BinaryValues, null_bitmap
from spec.protocol.constants import Capability as C
from spec.protocol.constants import Command, CursorType
from spec.protocol.fields import (
    EofText,
    KeyValue,
    LenencText,
    LengthPrefixedList,
    NulText,
    built_length,
    capabilities,
    has_capability,
)
from spec.wire import EofBytes, Int1, Int2, Int4, Int8, LenencInt, NulBytes, Tail, remaining

__all__ = [
    "COMMANDS",
    "ComSleep", "ComQuit", "ComInitDb", "ComQuery", "ComFieldList", "ComCreateDb",
    "ComDropDb", "ComRefresh", "ComShutdown", "ComStatistics", "ComProcessInfo",
    "ComConnect", "ComProcessKill", "ComDebug", "ComPing", "ComTime", "ComDelayedInsert",
    "ComChangeUser", "ComBinlogDump", "ComTableDump", "ComConnectOut", "ComRegisterSlave",
    "ComStmtPrepare", "ComStmtExecute", "ComStmtSendLongData", "ComStmtClose",
    "ComStmtReset", "ComSetOption", "ComStmtFetch", "ComDaemon", "ComBinlogDumpGtid",
    "ComResetConnection", "ComClone", "ComSubscribeGroupReplicationStream",
    "ComStmtBulkExecute", "UnknownCommand",
]


def command(code: int) -> Construct:
    return "command" / Const(int(code), Int1)


def _bare(code: int, doc: str) -> Construct:
    schema = Struct(command(code))
    schema.__doc__ = doc
    return schema


# -- utility commands ----------------------------------------------------------------

ComSleep = _bare(Command.COM_SLEEP, "COM_SLEEP: internal to the server, rejected.")
ComQuit = _bare(Command.COM_QUIT, "COM_QUIT: close the connection (no reply).")
ComStatistics = _bare(Command.COM_STATISTICS, "COM_STATISTICS: a status string in reply.")
ComProcessInfo = _bare(Command.COM_PROCESS_INFO, "COM_PROCESS_INFO (deprecated): SHOW PROCESSLIST.")
ComConnect = _bare(Command.COM_CONNECT, "COM_CONNECT: internal to the server.")
ComDebug = _bare(Command.COM_DEBUG, "COM_DEBUG: dump debug info to the error log.")
ComPing = _bare(Command.COM_PING, "COM_PING: an OK packet in reply.")
ComTime = _bare(Command.COM_TIME, "COM_TIME: internal to the server.")
ComDelayedInsert = _bare(Command.COM_DELAYED_INSERT, "COM_DELAYED_INSERT: internal.")
ComConnectOut = _bare(Command.COM_CONNECT_OUT, "COM_CONNECT_OUT: internal.")
ComDaemon = _bare(Command.COM_DAEMON, "COM_DAEMON: internal to the server.")
ComResetConnection = _bare(Command.COM_RESET_CONNECTION,
                           "COM_RESET_CONNECTION: reset the session, keep the connection.")
ComClone = _bare(Command.COM_CLONE, "COM_CLONE: switch the connection to the clone protocol.")
ComSubscribeGroupReplicationStream = Struct(
    command(Command.COM_SUBSCRIBE_GROUP_REPLICATION_STREAM),
    "data" / EofBytes,
)
"""COM_SUBSCRIBE_GROUP_REPLICATION_STREAM (MySQL 8.0.30+, internal); body kept raw."""

ComInitDb = Struct(command(Command.COM_INIT_DB), "schema_name" / EofText)
"""COM_INIT_DB: change the default schema (``page_protocol_com_init_db``)."""

ComCreateDb = Struct(command(Command.COM_CREATE_DB), "schema_name" / EofText)
"""COM_CREATE_DB (removed in MySQL 8.0)."""

ComDropDb = Struct(command(Command.COM_DROP_DB), "schema_name" / EofText)
"""COM_DROP_DB (removed in MySQL 8.0)."""

ComFieldList = Struct(
    command(Command.COM_FIELD_LIST),
    "table" / NulText,
    "wildcard" / EofText,
)
"""COM_FIELD_LIST (deprecated): column definitions of ``table`` matching ``wildcard``."""

ComRefresh = Struct(command(Command.COM_REFRESH), "sub_command" / Int1)
"""COM_REFRESH (deprecated): ``sub_command`` is a mask of ``REFRESH_*`` flags."""

ComShutdown = Struct(command(Command.COM_SHUTDOWN), "shutdown_type" / Tail(Int1))
"""COM_SHUTDOWN: ``shutdown_type`` (``mysql_enum_shutdown_level``) may be left out."""

ComProcessKill = Struct(command(Command.COM_PROCESS_KILL), "connection_id" / Int4)
"""COM_PROCESS_KILL (deprecated): KILL ``connection_id``."""

ComSetOption = Struct(command(Command.COM_SET_OPTION), "option_operation" / Int2)
"""COM_SET_OPTION: ``MYSQL_OPTION_MULTI_STATEMENTS_ON`` (0) or ``_OFF`` (1)."""

ComTableDump = Struct(
    command(Command.COM_TABLE_DUMP),
    "database" / Text(Prefixed(Int1, GreedyBytes)),
    "table" / Text(Prefixed(Int1, GreedyBytes)),
)
"""COM_TABLE_DUMP (removed in 5.1): a 1-byte length before each name."""


def _secure(ctx) -> bool:
    return bool(capabilities(ctx) & C.CLIENT_SECURE_CONNECTION)


def _change_user_has(flag: int):
    return lambda ctx: ctx.character_set is not None and bool(capabilities(ctx) & flag)


ComChangeUser = Struct(
    command(Command.COM_CHANGE_USER),
    "user" / NulText,
    "auth_plugin_data" / IfThenElse(_secure, Prefixed(Int1, GreedyBytes), NulBytes),
    "database" / NulText,
    # "if more data"
    "character_set" / Tail(Int2),
    "auth_plugin_name" / If(_change_user_has(C.CLIENT_PLUGIN_AUTH), NulText),
    *[f.name / If(_change_user_has(C.CLIENT_CONNECT_ATTRS), f.subcon)
      for f in LengthPrefixedList(KeyValue, "connect_attrs", "connect_attrs_length")],
)
"""COM_CHANGE_USER (``page_protocol_com_change_user``): re-authenticate.  Needs
``capabilities``; the auth data is length-prefixed with ``CLIENT_SECURE_CONNECTION``,
NUL-terminated without."""


# -- text protocol: COM_QUERY ---------------------------------------------------------


def _query_attrs(ctx) -> bool:
    return bool(capabilities(ctx) & C.CLIENT_QUERY_ATTRIBUTES)


def _qa_count(ctx) -> int:
    return ctx.parameter_count if _query_attrs(ctx) else 0


def _types_of(ctx) -> list[int]:
    return [entry.type for entry in ctx.parameter_types]


def _bitmap_of(ctx) -> bytes:
    return ctx.null_bitmap


def _count_values(ctx) -> int:
    """The parameter count when building: from the types, else the decoded values."""
    if ctx.get("parameter_types") is not None:
        return len(ctx.parameter_types)
    values = ctx.get("parameter_values")
    if values is None:
        return 0
    if isinstance(values, bytes | bytearray):
        raise ConstructError("raw parameter values: pass num_params=... or parameter_count")
    return len(values)


ParameterType = Struct(
    "type" / Int2,  # enum_field_types | 0x8000 when unsigned
    "name" / LenencText,
)

ComQuery = Struct(
    command(Command.COM_QUERY),
    "parameter_count" / If(_query_attrs, Auto(LenencInt, _count_values)),
    "parameter_set_count" / If(_query_attrs, Default(LenencInt, 1)),  # always 1
    "null_bitmap" / If(lambda ctx: _qa_count(ctx) > 0, Auto(
        Bytes(lambda ctx: (ctx.parameter_count + 7) // 8),
        lambda ctx: null_bitmap(ctx.parameter_values))),
    "new_params_bind_flag" / If(lambda ctx: _qa_count(ctx) > 0, Default(Int1, 1)),
    "parameter_types" / If(lambda ctx: _qa_count(ctx) > 0 and ctx.new_params_bind_flag,
                           Array(this.parameter_count, ParameterType)),
    "parameter_values" / If(lambda ctx: ctx.get("parameter_types") is not None,
                            BinaryValues(_types_of, _bitmap_of)),
    "query" / EofText,
)
"""COM_QUERY (``page_protocol_com_query``): a statement in the text protocol.

With ``CLIENT_QUERY_ATTRIBUTES`` (MySQL 8.0.23+) the query attributes come first:
their count, the number of sets (always 1), a NULL bitmap, ``new_params_bind_flag``
(always 1), then per attribute its type word and name, then the typed values
(None for NULL; see :mod:`spec.protocol.binary`).  A bind flag of 0 leaves the
values undelimited; they then stay in ``query``.
"""


# -- prepared statements --------------------------------------------------------------

ComStmtPrepare = Struct(command(Command.COM_STMT_PREPARE), "query" / EofText)
"""COM_STMT_PREPARE: the reply is COM_STMT_PREPARE_OK (:mod:`spec.protocol.resultset`)."""


def _count_sent(ctx) -> bool:
    return bool(capabilities(ctx) & C.CLIENT_QUERY_ATTRIBUTES
                and ctx.flags & CursorType.PARAMETER_COUNT_AVAILABLE)


def _execute_count(ctx) -> int:
    if ctx.parameter_count is not None:
        return ctx.parameter_count
    num = ctx._params.get("num_params")
    if num is not None:
        return num
    if ctx._parsing:
        if not remaining(ctx._io):
            return 0
        raise ConstructError("COM_STMT_EXECUTE: pass num_params=... (from the statement's "
                             "COM_STMT_PREPARE_OK) to find its NULL bitmap")
    return _count_values(ctx)


def _execute_has_params(ctx) -> bool:
    return _execute_count(ctx) > 0


def _execute_types(ctx) -> list[int] | None:
    if ctx.get("parameter_types") is not None:
        return [entry.type for entry in ctx.parameter_types]
    return ctx._params.get("param_types")


ExecuteParameterType = Struct(
    "type" / Int2,
    "name" / If(has_capability(C.CLIENT_QUERY_ATTRIBUTES), LenencText),
)

ComStmtExecute = Struct(
    command(Command.COM_STMT_EXECUTE),
    "statement_id" / Int4,  # MariaDB: 0xffffffff = the last statement prepared
    "flags" / Int1,  # enum_cursor_type, PARAMETER_COUNT_AVAILABLE
    "iteration_count" / Default(Int4, 1),
    "parameter_count" / If(_count_sent, Auto(LenencInt, _count_values)),
    "null_bitmap" / If(_execute_has_params, Auto(
        Bytes(lambda ctx: (_execute_count(ctx) + 7) // 8),
        lambda ctx: null_bitmap(ctx.parameter_values))),
    "new_params_bind_flag" / If(_execute_has_params, Default(
        Int1, lambda ctx: int(ctx.get("parameter_types") is not None))),
    "parameter_types" / If(lambda ctx: _execute_has_params(ctx) and ctx.new_params_bind_flag,
                           Array(_execute_count, ExecuteParameterType)),
    "parameter_values" / If(_execute_has_params, IfThenElse(
        lambda ctx: _execute_types(ctx) is not None,
        BinaryValues(_execute_types, _bitmap_of),
        GreedyBytes)),
)
"""COM_STMT_EXECUTE (``page_protocol_com_stmt_execute``).

Needs ``capabilities``, and ``num_params`` unless ``parameter_count`` is sent.
``parameter_values`` is a list (None for NULL) when the types are known -- sent in
this packet or given as ``param_types`` -- and raw bytes otherwise.  MariaDB's bulk
indicators (``MARIADB_CLIENT_STMT_BULK_OPERATIONS``) belong to COM_STMT_BULK_EXECUTE.
"""

ComStmtSendLongData = Struct(
    command(Command.COM_STMT_SEND_LONG_DATA),
    "statement_id" / Int4,
    "param_id" / Int2,
    "data" / EofBytes,
)
"""COM_STMT_SEND_LONG_DATA: a chunk of a parameter's value (no reply)."""

ComStmtClose = Struct(command(Command.COM_STMT_CLOSE), "statement_id" / Int4)
"""COM_STMT_CLOSE (no reply)."""

ComStmtReset = Struct(command(Command.COM_STMT_RESET), "statement_id" / Int4)
"""COM_STMT_RESET: drop long data and close the cursor."""

ComStmtFetch = Struct(
    command(Command.COM_STMT_FETCH),
    "statement_id" / Int4,
    "num_rows" / Int4,
)
"""COM_STMT_FETCH: rows from an open cursor."""

ComStmtBulkExecute = Struct(
    command(Command.COM_STMT_BULK_EXECUTE),
    "statement_id" / Int4,
    "bulk_flags" / Int2,  # STMT_BULK_FLAG_CLIENT_SEND_TYPES (128), ..._INSERT_ID_REQUEST (64)
    "data" / EofBytes,
)
"""MariaDB COM_STMT_BULK_EXECUTE (10.2+): an array of parameter sets.  Types (when
sent) and the indicator-prefixed values need the statement's parameter count and are
kept raw."""


# -- replication ----------------------------------------------------------------------

ComRegisterSlave = Struct(
    command(Command.COM_REGISTER_SLAVE),
    "server_id" / Int4,
    "hostname" / Text(Prefixed(Int1, GreedyBytes)),  # report_host
    "user" / Text(Prefixed(Int1, GreedyBytes)),  # report_user
    "password" / Text(Prefixed(Int1, GreedyBytes)),  # report_password
    "port" / Int2,  # report_port
    "replication_rank" / Default(Int4, 0),  # ignored
    "master_id" / Default(Int4, 0),  # ignored
)
"""COM_REGISTER_SLAVE (``page_protocol_com_register_replica``): a replica announces
itself (shown by SHOW REPLICAS).  The three strings have a 1-byte length each."""

ComBinlogDump = Struct(
    command(Command.COM_BINLOG_DUMP),
    "binlog_pos" / Int4,
    "flags" / Int2,  # BINLOG_DUMP_NON_BLOCK; MariaDB BINLOG_SEND_ANNOTATE_ROWS_EVENT
    "server_id" / Int4,
    "binlog_filename" / EofText,
)
"""COM_BINLOG_DUMP (``page_protocol_com_binlog_dump``): stream the binlog from a file
and position (4 = the first event).  MariaDB replicas using GTIDs send it too, having
set ``@slave_connect_state`` first."""


def _gtid_data_present(ctx) -> bool:
    if ctx._parsing:
        return bool(remaining(ctx._io))
    return ctx.get("gtid_set") is not None or ctx.get("data_size") is not None


ComBinlogDumpGtid = Struct(
    command(Command.COM_BINLOG_DUMP_GTID),
    "flags" / Int2,  # BINLOG_DUMP_NON_BLOCK, BINLOG_THROUGH_POSITION, BINLOG_THROUGH_GTID
    "server_id" / Int4,
    "binlog_filename_len" / Auto(Int4, built_length(Text(GreedyBytes), "binlog_filename")),
    "binlog_filename" / Text(Bytes(this.binlog_filename_len)),
    "binlog_pos" / Int8,
    "data_size" / If(_gtid_data_present, Auto(Int4, built_length(GtidSetEncoding, "gtid_set"))),
    "gtid_set" / If(lambda ctx: ctx.data_size is not None,
                    FixedSized(this.data_size, GtidSetEncoding)),
)
"""COM_BINLOG_DUMP_GTID (``page_protocol_com_binlog_dump_gtid``, MySQL 5.6+): stream
the binlog, skipping the transactions of ``gtid_set`` (the replica's executed and
retrieved GTIDs, in the :data:`~spec.gtid_set.GtidSetEncoding` format,
tagged in MySQL 8.3+ when the set holds tagged GTIDs)."""


UnknownCommand = Struct("command" / Int1, "data" / EofBytes)
"""A command byte this table does not know, its body raw."""


COMMANDS: dict[int, Construct] = {
    Command.COM_SLEEP: ComSleep,
    Command.COM_QUIT: ComQuit,
    Command.COM_INIT_DB: ComInitDb,
    Command.COM_QUERY: ComQuery,
    Command.COM_FIELD_LIST: ComFieldList,
    Command.COM_CREATE_DB: ComCreateDb,
    Command.COM_DROP_DB: ComDropDb,
    Command.COM_REFRESH: ComRefresh,
    Command.COM_SHUTDOWN: ComShutdown,
    Command.COM_STATISTICS: ComStatistics,
    Command.COM_PROCESS_INFO: ComProcessInfo,
    Command.COM_CONNECT: ComConnect,
    Command.COM_PROCESS_KILL: ComProcessKill,
    Command.COM_DEBUG: ComDebug,
    Command.COM_PING: ComPing,
    Command.COM_TIME: ComTime,
    Command.COM_DELAYED_INSERT: ComDelayedInsert,
    Command.COM_CHANGE_USER: ComChangeUser,
    Command.COM_BINLOG_DUMP: ComBinlogDump,
    Command.COM_TABLE_DUMP: ComTableDump,
    Command.COM_CONNECT_OUT: ComConnectOut,
    Command.COM_REGISTER_SLAVE: ComRegisterSlave,
    Command.COM_STMT_PREPARE: ComStmtPrepare,
    Command.COM_STMT_EXECUTE: ComStmtExecute,
    Command.COM_STMT_SEND_LONG_DATA: ComStmtSendLongData,
    Command.COM_STMT_CLOSE: ComStmtClose,
    Command.COM_STMT_RESET: ComStmtReset,
    Command.COM_SET_OPTION: ComSetOption,
    Command.COM_STMT_FETCH: ComStmtFetch,
    Command.COM_DAEMON: ComDaemon,
    Command.COM_BINLOG_DUMP_GTID: ComBinlogDumpGtid,
    Command.COM_RESET_CONNECTION: ComResetConnection,
    Command.COM_CLONE: ComClone,
    Command.COM_SUBSCRIBE_GROUP_REPLICATION_STREAM: ComSubscribeGroupReplicationStream,
    Command.COM_STMT_BULK_EXECUTE: ComStmtBulkExecute,
}
"""Command byte -> schema.  A byte not listed: :data:`UnknownCommand`.  This is a
plain dict: compose your own (``{**COMMANDS, 0x42: MyCommand}``) rather than edit it."""


def command_schema(payload: bytes, commands: dict[int, Construct] = COMMANDS) -> Construct:
    """The schema of a command packet's payload, by its first byte."""
    if not payload:
        raise ConstructError("empty command packet")
    return commands.get(payload[0], UnknownCommand)
