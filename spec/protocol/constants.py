"""Client/server protocol constants, spelled as the servers spell them.

Sources: MySQL ``include/mysql_com.h`` (capability flags ``CLIENT_*``,
``SERVER_STATUS_flags_enum``, column flags, ``enum_cursor_type``,
``enum_session_state_type``), ``include/my_command.h`` (``enum_server_command``),
``include/field_types.h`` (``enum_field_types``); MariaDB ``include/mysql_com.h``
(``MARIADB_CLIENT_*`` extended capabilities in the upper 32 bits, ``CLIENT_MYSQL``,
``SERVER_STATUS_ANSI_QUOTES``, ``COM_STMT_BULK_EXECUTE`` and the 250-254 codes).
Documentation: https://dev.mysql.com/doc/dev/mysql-server/latest/group__group__cs__capabilities__flags.html
and the MariaDB KB "Connection" page of "clientserver-protocol".
"""

from __future__ import annotations

import enum

from spec.types import FieldType  # noqa: F401  (re-exported: column and parameter types)

MAX_PACKET_LENGTH = 0xFFFFFF
"""Largest payload one packet carries (``MAX_PACKET_LENGTH``, 2^24 - 1)."""

NET_HEADER_SIZE = 4
COMP_HEADER_SIZE = 3
"""Extra header bytes of the compressed protocol (``COMP_HEADER_SIZE``)."""

MIN_COMPRESS_LENGTH = 50
"""Payloads shorter than this are sent uncompressed (mysys ``my_compress``)."""

SCRAMBLE_LENGTH = 20
SQLSTATE_LENGTH = 5


class Capability(enum.IntFlag):
    """Capability flags (``CLIENT_*``).  The low 32 bits are MySQL's; MariaDB puts its
    own in the upper 32 (sent in the handshake's reserved bytes, see
    :mod:`spec.protocol.handshake`), and only when ``CLIENT_MYSQL`` is clear."""

    CLIENT_LONG_PASSWORD = 1 << 0
    """MySQL: obsolete, always set.  MariaDB calls bit 0 ``CLIENT_MYSQL``: set by a
    MySQL (or old MariaDB) peer, cleared by MariaDB 10.2+ to announce the extended
    capabilities."""
    CLIENT_FOUND_ROWS = 1 << 1
    CLIENT_LONG_FLAG = 1 << 2
    CLIENT_CONNECT_WITH_DB = 1 << 3
    CLIENT_NO_SCHEMA = 1 << 4
    CLIENT_COMPRESS = 1 << 5
    CLIENT_ODBC = 1 << 6
    CLIENT_LOCAL_FILES = 1 << 7
    CLIENT_IGNORE_SPACE = 1 << 8
    CLIENT_PROTOCOL_41 = 1 << 9
    CLIENT_INTERACTIVE = 1 << 10
    CLIENT_SSL = 1 << 11
    CLIENT_IGNORE_SIGPIPE = 1 << 12
    CLIENT_TRANSACTIONS = 1 << 13
    CLIENT_RESERVED = 1 << 14
    CLIENT_SECURE_CONNECTION = 1 << 15
    """MySQL 8 names it ``CLIENT_RESERVED2``."""
    CLIENT_MULTI_STATEMENTS = 1 << 16
    CLIENT_MULTI_RESULTS = 1 << 17
    CLIENT_PS_MULTI_RESULTS = 1 << 18
    CLIENT_PLUGIN_AUTH = 1 << 19
    CLIENT_CONNECT_ATTRS = 1 << 20
    CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 1 << 21
    CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS = 1 << 22
    CLIENT_SESSION_TRACK = 1 << 23
    CLIENT_DEPRECATE_EOF = 1 << 24
    CLIENT_OPTIONAL_RESULTSET_METADATA = 1 << 25
    CLIENT_ZSTD_COMPRESSION_ALGORITHM = 1 << 26
    CLIENT_QUERY_ATTRIBUTES = 1 << 27
    MULTI_FACTOR_AUTHENTICATION = 1 << 28
    CLIENT_CAPABILITY_EXTENSION = 1 << 29
    """MySQL 8.0.28+; MariaDB: ``CLIENT_PROGRESS_OBSOLETE``."""
    CLIENT_SSL_VERIFY_SERVER_CERT = 1 << 30
    CLIENT_REMEMBER_OPTIONS = 1 << 31
    # MariaDB extended capabilities (MARIADB_CLIENT_FLAGS_MASK = 0xffffffff00000000)
    MARIADB_CLIENT_PROGRESS = 1 << 32
    MARIADB_CLIENT_RESERVED_1 = 1 << 33
    """Formerly ``MARIADB_CLIENT_COM_MULTI`` (removed)."""
    MARIADB_CLIENT_STMT_BULK_OPERATIONS = 1 << 34
    MARIADB_CLIENT_EXTENDED_METADATA = 1 << 35
    """Type and format names in column definitions (``MARIADB_CLIENT_EXTENDED_TYPE_INFO``
    in Connector/C)."""
    MARIADB_CLIENT_CACHE_METADATA = 1 << 36
    MARIADB_CLIENT_BULK_UNIT_RESULTS = 1 << 37


CLIENT_MYSQL = Capability.CLIENT_LONG_PASSWORD
"""MariaDB's name for bit 0 (``include/mysql_com.h``)."""
CLIENT_RESERVED2 = Capability.CLIENT_SECURE_CONNECTION
MARIADB_CLIENT_FLAGS_MASK = 0xFFFFFFFF00000000


class ServerStatus(enum.IntFlag):
    """``SERVER_STATUS_flags_enum``: the status flags of OK and EOF packets."""

    SERVER_STATUS_IN_TRANS = 1
    SERVER_STATUS_AUTOCOMMIT = 2
    SERVER_MORE_RESULTS_EXISTS = 8
    SERVER_QUERY_NO_GOOD_INDEX_USED = 16
    SERVER_QUERY_NO_INDEX_USED = 32
    SERVER_STATUS_CURSOR_EXISTS = 64
    SERVER_STATUS_LAST_ROW_SENT = 128
    SERVER_STATUS_DB_DROPPED = 256
    SERVER_STATUS_NO_BACKSLASH_ESCAPES = 512
    SERVER_STATUS_METADATA_CHANGED = 1024
    SERVER_QUERY_WAS_SLOW = 2048
    SERVER_PS_OUT_PARAMS = 4096
    SERVER_STATUS_IN_TRANS_READONLY = 8192
    SERVER_SESSION_STATE_CHANGED = 1 << 14
    SERVER_STATUS_ANSI_QUOTES = 1 << 15
    """MariaDB only."""


class Command(enum.IntEnum):
    """``enum_server_command``: the first byte of a command packet."""

    COM_SLEEP = 0x00
    COM_QUIT = 0x01
    COM_INIT_DB = 0x02
    COM_QUERY = 0x03
    COM_FIELD_LIST = 0x04
    COM_CREATE_DB = 0x05
    COM_DROP_DB = 0x06
    COM_REFRESH = 0x07
    COM_SHUTDOWN = 0x08
    COM_STATISTICS = 0x09
    COM_PROCESS_INFO = 0x0A
    COM_CONNECT = 0x0B
    COM_PROCESS_KILL = 0x0C
    COM_DEBUG = 0x0D
    COM_PING = 0x0E
    COM_TIME = 0x0F
    COM_DELAYED_INSERT = 0x10
    COM_CHANGE_USER = 0x11
    COM_BINLOG_DUMP = 0x12
    COM_TABLE_DUMP = 0x13
    COM_CONNECT_OUT = 0x14
    COM_REGISTER_SLAVE = 0x15
    COM_STMT_PREPARE = 0x16
    COM_STMT_EXECUTE = 0x17
    COM_STMT_SEND_LONG_DATA = 0x18
    COM_STMT_CLOSE = 0x19
    COM_STMT_RESET = 0x1A
    COM_SET_OPTION = 0x1B
    COM_STMT_FETCH = 0x1C
    COM_DAEMON = 0x1D
    COM_BINLOG_DUMP_GTID = 0x1E
    """MySQL only; MariaDB leaves 0x1e unimplemented (``COM_UNIMPLEMENTED``)."""
    COM_RESET_CONNECTION = 0x1F
    COM_CLONE = 0x20
    COM_SUBSCRIBE_GROUP_REPLICATION_STREAM = 0x21
    # MariaDB (include/mysql_com.h)
    COM_STMT_BULK_EXECUTE = 0xFA
    COM_SLAVE_WORKER = 0xFB
    COM_SLAVE_IO = 0xFC
    COM_SLAVE_SQL = 0xFD
    COM_RESERVED_1 = 0xFE
    """MariaDB: the removed ``COM_MULTI``."""


PARAM_UNSIGNED = 0x8000
"""In a binary-protocol type word (``int<2>``, low byte the type): the unsigned flag
(the flag byte's high bit, ``0x80``)."""


class ColumnFlag(enum.IntFlag):
    """Column definition flags (``*_FLAG`` in ``mysql_com.h``) sent to clients."""

    NOT_NULL_FLAG = 1
    PRI_KEY_FLAG = 2
    UNIQUE_KEY_FLAG = 4
    MULTIPLE_KEY_FLAG = 8
    BLOB_FLAG = 16
    UNSIGNED_FLAG = 32
    ZEROFILL_FLAG = 64
    BINARY_FLAG = 128
    ENUM_FLAG = 256
    AUTO_INCREMENT_FLAG = 512
    TIMESTAMP_FLAG = 1024
    SET_FLAG = 2048
    NO_DEFAULT_VALUE_FLAG = 4096
    ON_UPDATE_NOW_FLAG = 8192
    PART_KEY_FLAG = 16384
    NUM_FLAG = 32768


class CursorType(enum.IntFlag):
    """``enum_cursor_type``: the flags byte of COM_STMT_EXECUTE."""

    CURSOR_TYPE_NO_CURSOR = 0
    CURSOR_TYPE_READ_ONLY = 1
    CURSOR_TYPE_FOR_UPDATE = 2
    CURSOR_TYPE_SCROLLABLE = 4
    PARAMETER_COUNT_AVAILABLE = 8
    """MySQL 8.0.26+: ``parameter_count`` is sent (with ``CLIENT_QUERY_ATTRIBUTES``)."""


class SessionStateType(enum.IntEnum):
    """``enum_session_state_type``: entry types of the OK packet's session state info."""

    SESSION_TRACK_SYSTEM_VARIABLES = 0
    SESSION_TRACK_SCHEMA = 1
    SESSION_TRACK_STATE_CHANGE = 2
    SESSION_TRACK_GTIDS = 3
    SESSION_TRACK_TRANSACTION_CHARACTERISTICS = 4
    SESSION_TRACK_TRANSACTION_STATE = 5


# enum_mysql_set_option (COM_SET_OPTION)
MYSQL_OPTION_MULTI_STATEMENTS_ON = 0
MYSQL_OPTION_MULTI_STATEMENTS_OFF = 1

# enum_resultset_metadata (metadata_follows)
RESULTSET_METADATA_NONE = 0
RESULTSET_METADATA_FULL = 1

# COM_BINLOG_DUMP / COM_BINLOG_DUMP_GTID flags (MySQL sql/rpl_source.h, MariaDB
# sql/sql_repl.h: BINLOG_SEND_ANNOTATE_ROWS_EVENT shares bit 1 with
# BINLOG_THROUGH_POSITION).
BINLOG_DUMP_NON_BLOCK = 0x01
BINLOG_THROUGH_POSITION = 0x02
BINLOG_SEND_ANNOTATE_ROWS_EVENT = 0x02
BINLOG_THROUGH_GTID = 0x04

# Response headers
OK_HEADER = 0x00
AUTH_MORE_DATA_HEADER = 0x01
AUTH_NEXT_FACTOR_HEADER = 0x02
LOCAL_INFILE_HEADER = 0xFB
EOF_HEADER = 0xFE
AUTH_SWITCH_HEADER = 0xFE
ERR_HEADER = 0xFF

SEMI_SYNC_MAGIC = 0xEF
"""First byte of the semi-sync header and of the replica's ACK (``ReplSemiSyncBase::kPacketMagicNum``)."""
SEMI_SYNC_ACK_REQUESTED = 0x01

MARIADB_PROGRESS_ERROR_CODE = 0xFFFF
"""An ERR packet with this code is a MariaDB progress report (sql/protocol.cc,
``net_send_progress_packet``)."""
