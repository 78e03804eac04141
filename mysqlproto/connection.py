"""Sans-IO MySQL/MariaDB classic-protocol connection, for the client and the server role.

Theory of operation
-------------------
A :class:`Connection` is one end of one conversation.  It does no I/O: bytes that
arrive go in with :meth:`Connection.receive_data` and come out of
:meth:`Connection.next_event` as typed events (or :data:`NEED_DATA`); events this end
wants to say go in :meth:`Connection.send` and come out as the bytes to write.  The
model is h11 (``_connection.py``, ``_state.py``).

Both roles walk the same conversation, so a single state names where it is::

    GREETING --Handshake--> LOGIN --SSLRequest--> TLS_LOGIN --HandshakeResponse--+
                              \\------------------HandshakeResponse---------------+
                                                                                 v
      +------------------------- AUTH <--AuthData-- AUTH_REPLY / AUTH_MORE <-----+
      |  Ok                        | AuthSwitchRequest, AuthNextFactor, AuthMoreData
      v
    COMMAND --Command--> RESPONSE / SIMPLE / STREAM ... --> COMMAND (or CLOSED)

:data:`TRANSITIONS` is the whole grammar, as data: for each state, who may speak
(``CLIENT`` or ``SERVER``) and, per event class, the next state -- or a small
function deciding it (the result-set states count column definitions, a dump ends
the connection, ``SERVER_MORE_RESULTS_EXISTS`` loops back).  An incoming payload is
matched against the candidates of the current state in order; each event class
recognises its packets by their bytes (``matches``), as scapy binds layers by data.

Sequence ids (https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_packets.html)
count up by one per packet, modulo 256, across both directions of one exchange, and
restart at 0 with each command.  The connection checks every incoming id and writes
the right one into every outgoing packet.  Semi-sync bends the rule: the replica's ACK
always goes out with sequence id 0 (``net_clear`` before ``my_net_write`` in
``ReplSemiSyncSlave::slaveReply``, MySQL ``plugin/semisync/semisync_replica.cc``;
MariaDB ``sql/semisync_slave.cc``), and after flushing an event that asks for an ACK
the source restarts its count so that its next packet is 1, whether or not the ACK
has arrived (``net_clear`` then ``pkt_nr++`` in ``ReplSemiSyncMaster::flushNet``,
``plugin/semisync/semisync_source.cc``; MariaDB ``Repl_semi_sync_master::flush_net``)
-- the id the replica expects after writing its ACK with 0.

Errors: bytes from the peer that do not fit -- a bad sequence id, a packet the state
does not allow, a field that does not parse -- raise :class:`~mysqlproto.errors.
ProtocolError` (a :class:`~mysqlproto.errors.DecodeError`) naming the state, the packet
and the field, and the connection is then dead (``state is State.ERROR``).  Calling
:meth:`send` with an event this role may not send now raises
:class:`~mysqlproto.errors.UsageError` and changes nothing.

Not modelled: the compressed protocol, prepared statements and their binary result
sets, LOAD DATA LOCAL, COM_STATISTICS / COM_SET_OPTION / COM_FIELD_LIST replies.  A
client-role connection refuses to send those commands; a server-role connection
accepts any command and expects an OK or ERR answer to the ones it does not model.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from construct import Construct, Container

from mysqlproto.errors import ProtocolError, SequenceError, UsageError
from spec.protocol import generic, handshake, replication, resultset
from spec.protocol.commands import COMMANDS, UnknownCommand
from spec.protocol.constants import (
    EOF_HEADER,
    ERR_HEADER,
    MAX_PACKET_LENGTH,
    OK_HEADER,
    SEMI_SYNC_ACK_REQUESTED,
    SEMI_SYNC_MAGIC,
)
from spec.protocol.constants import Capability as C
from spec.protocol.constants import Command as Cmd
from spec.protocol.constants import ServerStatus as S
from spec.protocol.framing import FramingError, PacketReader, PacketSequenceError, frame

__all__ = [
    "Role",
    "CLIENT",
    "SERVER",
    "State",
    "NEED_DATA",
    "TRANSITIONS",
    "Connection",
    "ProtocolEvent",
    "Handshake",
    "SSLRequest",
    "HandshakeResponse",
    "AuthSwitchRequest",
    "AuthMoreData",
    "AuthNextFactor",
    "AuthData",
    "Ok",
    "Err",
    "Command",
    "ColumnCount",
    "ColumnDefinition",
    "ColumnsEnd",
    "Row",
    "ResultSetEnd",
    "BinlogPacket",
    "EndOfStream",
    "SemiSyncAck",
    "ConnectionClosed",
    "DEFAULT_CLIENT_CAPABILITIES",
    "DEFAULT_SERVER_CAPABILITIES",
]


class Role(enum.Enum):
    CLIENT = "client"
    SERVER = "server"

    # Members are singletons compared by identity: hash them as objects (in C) rather
    # than by name (Enum.__hash__, Python code, twice per packet of a binlog stream).
    __hash__ = object.__hash__

    @property
    def peer(self) -> Role:
        return Role.SERVER if self is Role.CLIENT else Role.CLIENT


CLIENT = Role.CLIENT
SERVER = Role.SERVER


class State(enum.Enum):
    GREETING = "GREETING"  # the server greets
    LOGIN = "LOGIN"  # the client answers the greeting (or asks for TLS)
    TLS_LOGIN = "TLS_LOGIN"  # TLS is up (the I/O layer did it); the client answers
    AUTH = "AUTH"  # the server decides: OK, ERR, switch, more data, next factor
    AUTH_REPLY = "AUTH_REPLY"  # the client must answer (after a switch / next factor)
    AUTH_MORE = "AUTH_MORE"  # after more data: the client may answer, or the server go on
    COMMAND = "COMMAND"  # idle: the client sends a command
    RESPONSE = "RESPONSE"  # COM_QUERY: OK, ERR or a result set
    SIMPLE = "SIMPLE"  # other commands: OK or ERR
    COLUMNS = "COLUMNS"  # column definitions
    COLUMNS_END = "COLUMNS_END"  # the EOF after them (without CLIENT_DEPRECATE_EOF)
    ROWS = "ROWS"  # rows, then EOF/OK (or ERR)
    STREAM = "STREAM"  # the binlog network stream (and semi-sync ACKs)
    CLOSED = "CLOSED"
    ERROR = "ERROR"  # a protocol error happened; nothing more is accepted

    __hash__ = object.__hash__  # as Role's


class _NeedData:
    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA = _NeedData()
"""What :meth:`Connection.next_event` returns when it needs more bytes."""


DEFAULT_CLIENT_CAPABILITIES = (
    C.CLIENT_LONG_PASSWORD  # MariaDB reads bit 0 as CLIENT_MYSQL: no extended caps
    | C.CLIENT_LONG_FLAG
    | C.CLIENT_PROTOCOL_41
    | C.CLIENT_TRANSACTIONS
    | C.CLIENT_SECURE_CONNECTION
    | C.CLIENT_MULTI_RESULTS
    | C.CLIENT_PLUGIN_AUTH
    | C.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA
    | C.CLIENT_CONNECT_ATTRS
    | C.CLIENT_SESSION_TRACK
    | C.CLIENT_DEPRECATE_EOF
)
"""What a client-role connection asks for by default (intersected with the server's)."""

DEFAULT_SERVER_CAPABILITIES = (
    DEFAULT_CLIENT_CAPABILITIES | C.CLIENT_CONNECT_WITH_DB | C.CLIENT_FOUND_ROWS
    | C.CLIENT_IGNORE_SPACE | C.CLIENT_MULTI_STATEMENTS | C.CLIENT_PS_MULTI_RESULTS
    | C.CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS
)
"""What :meth:`Handshake.of` offers by default (no TLS: add ``CLIENT_SSL`` to offer it)."""


# -- events ---------------------------------------------------------------------------


def _first(payload: bytes) -> int:
    return payload[0] if payload else -1


@dataclass(frozen=True, eq=False)
class ProtocolEvent:
    """Base of every event.  ``packet`` is the parsed packet (a construct Container)
    and ``payload`` its bytes as received (None for an event built to be sent).

    :meth:`Connection.send` always builds the bytes from ``packet`` with ``schema``,
    so a received event sent again by the opposite role gives back its bytes exactly.
    """

    packet: Any = None
    payload: bytes | None = field(default=None, repr=False, compare=False)

    sender: ClassVar[Role | None] = None
    schema: ClassVar[Construct | None] = None

    @classmethod
    def matches(cls, payload: bytes, conn: Connection) -> bool:
        return True

    @classmethod
    def decode(cls, payload: bytes, conn: Connection) -> ProtocolEvent:
        return cls(packet=conn._parse(cls.schema, payload, cls.__name__), payload=payload)

    def encode(self, conn: Connection) -> bytes:
        return conn._build(self.schema, self.packet, type(self).__name__)

    def __getattr__(self, name: str) -> Any:
        # Fields of the packet read as attributes: ``ok.status_flags``.
        packet = object.__getattribute__(self, "packet")
        if isinstance(packet, dict) and name in packet:
            return packet[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")


# connection phase ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Handshake(ProtocolEvent):
    """Protocol::HandshakeV10, the server's greeting (:data:`spec.protocol.handshake.HandshakeV10`)."""

    sender = SERVER
    schema = handshake.HandshakeV10

    @classmethod
    def matches(cls, payload, conn):
        return _first(payload) == 10

    @property
    def capabilities(self) -> int:
        return handshake.server_capabilities(self.packet)

    @property
    def scramble(self) -> bytes:
        """The auth plugin data (nonce), without the NUL MySQL ends part 2 with."""
        data = self.packet.auth_plugin_data_part_1 + (self.packet.auth_plugin_data_part_2 or b"")
        return data[:-1] if len(data) > 20 and data.endswith(b"\0") else data

    @property
    def auth_plugin(self) -> str | None:
        name = self.packet.get("auth_plugin_name")
        return name.decode() if isinstance(name, bytes) else name

    @property
    def server_version(self) -> str:
        version = self.packet.server_version
        return version.decode("latin-1") if isinstance(version, bytes) else version

    @property
    def connection_id(self) -> int:
        return self.packet.thread_id

    @classmethod
    def of(cls, *, server_version: str = "8.4.0-mysqlproto", connection_id: int = 1,
           scramble: bytes = bytes(range(1, 21)), capabilities: int = DEFAULT_SERVER_CAPABILITIES,
           auth_plugin: str = "mysql_native_password", character_set: int = 255,
           status_flags: int = S.SERVER_STATUS_AUTOCOMMIT) -> Handshake:
        """A greeting as MySQL writes it (20-byte scramble, part 2 ended by a NUL)."""
        caps = int(capabilities)
        return cls(packet=Container(
            protocol_version=10, server_version=server_version, thread_id=connection_id,
            auth_plugin_data_part_1=scramble[:8], filler=0,
            capability_flags_1=caps & 0xFFFF, character_set=character_set,
            status_flags=status_flags, capability_flags_2=(caps >> 16) & 0xFFFF,
            auth_plugin_data_len=None, reserved=bytes(6),
            mariadb_capabilities=(caps >> 32) & 0xFFFFFFFF,
            auth_plugin_data_part_2=scramble[8:] + b"\0",
            auth_plugin_name=auth_plugin, auth_plugin_name_nul=True, extra=b""))


@dataclass(frozen=True, eq=False)
class SSLRequest(ProtocolEvent):
    """Protocol::SSLRequest: the client switches to TLS before logging in."""

    sender = CLIENT
    schema = handshake.SSLRequest

    @classmethod
    def matches(cls, payload, conn):
        return len(payload) == 32 and bool(int.from_bytes(payload[:4], "little") & C.CLIENT_SSL)

    @property
    def capabilities(self) -> int:
        return handshake.client_capabilities(self.packet)

    @classmethod
    def of(cls, capabilities: int, *, max_packet_size: int = 1 << 24,
           character_set: int = 45) -> SSLRequest:
        caps = int(capabilities) | C.CLIENT_SSL
        return cls(packet=Container(client_flag=int(caps) & 0xFFFFFFFF, max_packet_size=max_packet_size,
                                    character_set=character_set, filler=bytes(19),
                                    mariadb_capabilities=(caps >> 32) & 0xFFFFFFFF))


@dataclass(frozen=True, eq=False)
class HandshakeResponse(ProtocolEvent):
    """Protocol::HandshakeResponse41, the client's login."""

    sender = CLIENT
    schema = handshake.HandshakeResponse41

    @property
    def capabilities(self) -> int:
        return handshake.client_capabilities(self.packet)

    @property
    def auth_plugin(self) -> str | None:
        name = self.packet.get("client_plugin_name")
        return name.decode() if isinstance(name, bytes) else name

    @classmethod
    def of(cls, *, capabilities: int, username: str, auth_response: bytes,
           auth_plugin: str | None = None, database: str | None = None,
           connect_attrs: dict[str, str] | None = None, max_packet_size: int = 1 << 24,
           character_set: int = 45) -> HandshakeResponse:
        caps = int(capabilities)
        if database:
            caps |= C.CLIENT_CONNECT_WITH_DB
        else:
            caps &= ~C.CLIENT_CONNECT_WITH_DB
        if connect_attrs is None:
            caps &= ~C.CLIENT_CONNECT_ATTRS
        if auth_plugin is None:
            caps &= ~C.CLIENT_PLUGIN_AUTH
        if not caps & C.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA and len(auth_response) > 255:
            raise UsageError("an auth response over 255 bytes needs "
                             "CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA")
        attrs = [{"key": k, "value": v} for k, v in (connect_attrs or {}).items()]
        return cls(packet=Container(
            client_flag=int(caps) & 0xFFFFFFFF, max_packet_size=max_packet_size,
            character_set=character_set, filler=bytes(19),
            mariadb_capabilities=(caps >> 32) & 0xFFFFFFFF, username=username,
            auth_response=auth_response, database=database, client_plugin_name=auth_plugin,
            client_plugin_name_nul=True, connect_attrs_length=None, connect_attrs=attrs,
            zstd_compression_level=None, extra=b""))


@dataclass(frozen=True, eq=False)
class AuthSwitchRequest(ProtocolEvent):
    """Protocol::AuthSwitchRequest: continue with another auth method.  A lone 0xfe
    (Protocol::OldAuthSwitchRequest) reads as a switch to ``mysql_old_password``."""

    sender = SERVER
    schema = handshake.AuthSwitchRequest

    @classmethod
    def matches(cls, payload, conn):
        return _first(payload) == 0xFE

    @classmethod
    def decode(cls, payload, conn):
        if len(payload) == 1:
            packet = conn._parse(handshake.OldAuthSwitchRequest, payload, cls.__name__)
            packet.plugin_name = None
            return cls(packet=packet, payload=payload)
        return super().decode(payload, conn)

    def encode(self, conn):
        if self.packet.get("plugin_name") is None:
            return conn._build(handshake.OldAuthSwitchRequest, self.packet, "AuthSwitchRequest")
        return super().encode(conn)

    @property
    def plugin(self) -> str:
        name = self.packet.get("plugin_name")
        if name is None:
            return "mysql_old_password"
        return name.decode() if isinstance(name, bytes) else name

    @property
    def data(self) -> bytes:
        return self.packet.get("plugin_provided_data") or b""

    @classmethod
    def of(cls, plugin: str, data: bytes) -> AuthSwitchRequest:
        return cls(packet=Container(status=0xFE, plugin_name=plugin, plugin_provided_data=data))


@dataclass(frozen=True, eq=False)
class AuthMoreData(ProtocolEvent):
    """Protocol::AuthMoreData: another round of the current method."""

    sender = SERVER
    schema = handshake.AuthMoreData

    @classmethod
    def matches(cls, payload, conn):
        return _first(payload) == 0x01

    @property
    def data(self) -> bytes:
        return self.packet.auth_method_data

    @classmethod
    def of(cls, data: bytes) -> AuthMoreData:
        return cls(packet=Container(status=0x01, auth_method_data=data))


@dataclass(frozen=True, eq=False)
class AuthNextFactor(ProtocolEvent):
    """Protocol::AuthNextFactor (MySQL 8.0.27+ multi-factor authentication)."""

    sender = SERVER
    schema = handshake.AuthNextFactor

    @classmethod
    def matches(cls, payload, conn):
        return _first(payload) == 0x02

    @property
    def plugin(self) -> str:
        name = self.packet.plugin_name
        return name.decode() if isinstance(name, bytes) else name

    @property
    def data(self) -> bytes:
        return self.packet.plugin_provided_data

    @classmethod
    def of(cls, plugin: str, data: bytes) -> AuthNextFactor:
        return cls(packet=Container(status=0x02, plugin_name=plugin, plugin_provided_data=data))


@dataclass(frozen=True, eq=False)
class AuthData(ProtocolEvent):
    """The client's auth data after a switch or more data (Protocol::AuthSwitchResponse)."""

    sender = CLIENT
    schema = handshake.AuthSwitchResponse

    @property
    def data(self) -> bytes:
        return self.packet.data

    @classmethod
    def of(cls, data: bytes) -> AuthData:
        return cls(packet=Container(data=data))


# generic responses ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Ok(ProtocolEvent):
    """OK_Packet (header 0x00)."""

    sender = SERVER
    schema = generic.OkPacket

    @classmethod
    def matches(cls, payload, conn):
        return _first(payload) == OK_HEADER

    def encode(self, conn):
        return conn._build(self.schema, _ok_fixups(self.packet, conn), type(self).__name__)

    @classmethod
    def of(cls, *, affected_rows: int = 0, last_insert_id: int = 0,
           status_flags: int = S.SERVER_STATUS_AUTOCOMMIT, warnings: int = 0,
           info: str | None = None, header: int = OK_HEADER) -> Ok:
        return cls(packet=Container(header=header, affected_rows=affected_rows,
                                    last_insert_id=last_insert_id, status_flags=status_flags,
                                    warnings=warnings, info=info, session_state_info=None))


def _ok_fixups(packet, conn: Connection):
    """An OK built for a session without CLIENT_SESSION_TRACK writes ``info`` as
    string<EOF>, which cannot be absent: None becomes ""."""
    if packet.get("info") is None and not conn.capabilities & C.CLIENT_SESSION_TRACK:
        packet = Container(packet)
        packet.info = ""
    return packet


@dataclass(frozen=True, eq=False)
class Err(ProtocolEvent):
    """ERR_Packet."""

    sender = SERVER
    schema = generic.ErrPacket

    @classmethod
    def matches(cls, payload, conn):
        return _first(payload) == ERR_HEADER

    @property
    def code(self) -> int:
        return self.packet.error_code

    @property
    def message(self) -> str:
        text = self.packet.error_message
        return text.decode("utf-8", "replace") if isinstance(text, bytes) else text

    @property
    def sql_state(self) -> str | None:
        return self.packet.get("sql_state")

    @classmethod
    def of(cls, code: int, message: str, sql_state: str | None = "HY000") -> Err:
        return cls(packet=Container(header=ERR_HEADER, error_code=code, progress=None,
                                    sql_state=sql_state, error_message=message))


def _eof_like(payload: bytes, conn: Connection) -> bool:
    return _first(payload) == EOF_HEADER and generic.response_kind(payload, conn.capabilities) in (
        "EOF", "OK")


class _EofOrOk(ProtocolEvent):
    """An EOF packet, or -- under CLIENT_DEPRECATE_EOF -- the OK packet (header 0xfe)
    that replaces it; which one is decided by the session's capabilities."""

    @classmethod
    def matches(cls, payload, conn):
        return _eof_like(payload, conn)

    @classmethod
    def decode(cls, payload, conn):
        return cls(packet=conn._parse(cls._schema_for(conn), payload, cls.__name__),
                   payload=payload)

    def encode(self, conn):
        schema = self._schema_for(conn)
        packet = self.packet
        if schema is generic.OkPacket:
            packet = _ok_fixups(packet, conn)
        return conn._build(schema, packet, type(self).__name__)

    @staticmethod
    def _schema_for(conn: Connection) -> Construct:
        if conn.capabilities & C.CLIENT_DEPRECATE_EOF:
            return generic.OkPacket
        return generic.EofPacket

    @classmethod
    def of(cls, *, status_flags: int = S.SERVER_STATUS_AUTOCOMMIT, warnings: int = 0):
        return cls(packet=Container(header=EOF_HEADER, affected_rows=0, last_insert_id=0,
                                    status_flags=status_flags, warnings=warnings, info=None,
                                    session_state_info=None))


# commands ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Command(ProtocolEvent):
    """A command packet (``COM_*``), parsed with its schema from
    :data:`spec.protocol.commands.COMMANDS` (:data:`~spec.protocol.commands.UnknownCommand`
    for a byte not listed)."""

    sender = CLIENT

    @classmethod
    def matches(cls, payload, conn):
        return bool(payload)

    @classmethod
    def decode(cls, payload, conn):
        schema = COMMANDS.get(payload[0], UnknownCommand)
        name = Cmd(payload[0]).name if payload[0] in Cmd._value2member_map_ else "COMMAND"
        return cls(packet=conn._parse(schema, payload, name), payload=payload)

    def encode(self, conn):
        code = self.command
        schema = COMMANDS.get(code, UnknownCommand)
        return conn._build(schema, self.packet, self.name)

    @property
    def command(self) -> int:
        return self.packet.command

    @property
    def name(self) -> str:
        code = self.command
        return Cmd(code).name if code in Cmd._value2member_map_ else f"COMMAND_0x{code:02x}"

    # convenience constructors
    @classmethod
    def query(cls, sql: str | bytes) -> Command:
        return cls(packet=Container(command=Cmd.COM_QUERY, parameter_count=None,
                                    parameter_set_count=None, null_bitmap=None,
                                    new_params_bind_flag=None, parameter_types=None,
                                    parameter_values=None, query=sql))

    @classmethod
    def quit(cls) -> Command:
        return cls(packet=Container(command=Cmd.COM_QUIT))

    @classmethod
    def ping(cls) -> Command:
        return cls(packet=Container(command=Cmd.COM_PING))

    @classmethod
    def init_db(cls, schema_name: str) -> Command:
        return cls(packet=Container(command=Cmd.COM_INIT_DB, schema_name=schema_name))

    @classmethod
    def register_slave(cls, server_id: int, *, hostname: str = "", user: str = "",
                       password: str = "", port: int = 0) -> Command:
        return cls(packet=Container(command=Cmd.COM_REGISTER_SLAVE, server_id=server_id,
                                    hostname=hostname, user=user, password=password,
                                    port=port, replication_rank=0, master_id=0))

    @classmethod
    def binlog_dump(cls, *, server_id: int, binlog_filename: str = "", binlog_pos: int = 4,
                    flags: int = 0) -> Command:
        return cls(packet=Container(command=Cmd.COM_BINLOG_DUMP, binlog_pos=binlog_pos,
                                    flags=flags, server_id=server_id,
                                    binlog_filename=binlog_filename))

    @classmethod
    def binlog_dump_gtid(cls, *, server_id: int, gtid_set: Any = None,
                         binlog_filename: str = "", binlog_pos: int = 4,
                         flags: int = 0) -> Command:
        """``gtid_set``: a :class:`~mysqlproto.gtid.GtidSet` (or its parsed encoding)."""
        if gtid_set is not None and hasattr(gtid_set, "to_binary"):
            from spec.gtid_set import GtidSetEncoding

            gtid_set = GtidSetEncoding.parse(gtid_set.to_binary())
        return cls(packet=Container(command=Cmd.COM_BINLOG_DUMP_GTID, flags=flags,
                                    server_id=server_id, binlog_filename_len=None,
                                    binlog_filename=binlog_filename, binlog_pos=binlog_pos,
                                    data_size=None, gtid_set=gtid_set))


#: Command -> the state its answer puts the conversation in.  Commands not listed are
#: refused by a client-role connection (their replies are not modelled) and expected to
#: be answered with OK or ERR by a server-role one.
COMMAND_RESPONSES: dict[int, State] = {
    Cmd.COM_QUERY: State.RESPONSE,
    Cmd.COM_QUIT: State.CLOSED,
    Cmd.COM_PING: State.SIMPLE,
    Cmd.COM_INIT_DB: State.SIMPLE,
    Cmd.COM_REGISTER_SLAVE: State.SIMPLE,
    Cmd.COM_RESET_CONNECTION: State.SIMPLE,
    Cmd.COM_PROCESS_KILL: State.SIMPLE,
    Cmd.COM_REFRESH: State.SIMPLE,
    Cmd.COM_CREATE_DB: State.SIMPLE,
    Cmd.COM_DROP_DB: State.SIMPLE,
    Cmd.COM_CHANGE_USER: State.AUTH,
    Cmd.COM_BINLOG_DUMP: State.STREAM,
    Cmd.COM_BINLOG_DUMP_GTID: State.STREAM,
}


# result sets ---------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ColumnCount(ProtocolEvent):
    """The first packet of a text result set."""

    sender = SERVER
    schema = resultset.ColumnCount

    @classmethod
    def of(cls, column_count: int) -> ColumnCount:
        return cls(packet=Container(column_count=column_count, metadata_follows=None))

    @property
    def count(self) -> int:
        return self.packet.column_count


@dataclass(frozen=True, eq=False)
class ColumnDefinition(ProtocolEvent):
    """Protocol::ColumnDefinition41."""

    sender = SERVER
    schema = resultset.ColumnDefinition41

    @classmethod
    def of(cls, name: str, *, type: int = 253, character_set: int = 45, column_length: int = 1024,
           flags: int = 0, decimals: int = 0x1F, schema: str = "", table: str = "") -> ColumnDefinition:
        return cls(packet=Container(
            catalog="def", schema=schema, table=table, org_table=table, name=name, org_name=name,
            extended_metadata_length=None, extended_metadata=None, fixed_length=0x0C,
            character_set=character_set, column_length=column_length, type=type, flags=flags,
            decimals=decimals, filler=b"\0\0", default_values=None))


@dataclass(frozen=True, eq=False)
class ColumnsEnd(ProtocolEvent):
    """The EOF packet ending the column definitions (without CLIENT_DEPRECATE_EOF)."""

    sender = SERVER
    schema = generic.EofPacket

    @classmethod
    def matches(cls, payload, conn):
        return _first(payload) == EOF_HEADER and generic.response_kind(
            payload, conn.capabilities & ~C.CLIENT_DEPRECATE_EOF) == "EOF"

    @classmethod
    def of(cls, *, status_flags: int = S.SERVER_STATUS_AUTOCOMMIT, warnings: int = 0) -> ColumnsEnd:
        return cls(packet=Container(header=EOF_HEADER, warnings=warnings,
                                    status_flags=status_flags))


@dataclass(frozen=True, eq=False)
class Row(ProtocolEvent):
    """Protocol::TextResultsetRow: ``values`` are bytes, None for NULL."""

    sender = SERVER
    schema = resultset.TextResultsetRow

    @property
    def values(self) -> list[bytes | None]:
        return self.packet.column_values

    @classmethod
    def of(cls, values: list[bytes | str | int | None]) -> Row:
        out: list[bytes | None] = []
        for value in values:
            if value is None or isinstance(value, bytes):
                out.append(value)
            else:
                out.append(str(value).encode())
        return cls(packet=Container(column_values=out))


@dataclass(frozen=True, eq=False)
class ResultSetEnd(_EofOrOk):
    """The EOF packet (or, under CLIENT_DEPRECATE_EOF, OK packet with header 0xfe)
    ending the rows of a result set."""

    sender = SERVER


# replication --------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class BinlogPacket(ProtocolEvent):
    """One event of the binlog network stream (:data:`spec.protocol.replication.BinlogEventPacket`):
    ``event`` is the event's bytes (header, body, checksum), ``semi_sync_flags`` the
    byte after the 0xef magic when the stream carries the semi-sync header (0x01: the
    source waits for an ACK of this event), else None.

    Decoded by hand, not with the construct schema: this is the hot path of a stream.
    """

    event: bytes = b""
    semi_sync_flags: int | None = None

    sender = SERVER
    schema = replication.BinlogEventPacket

    @classmethod
    def matches(cls, payload, conn):
        return _first(payload) == OK_HEADER

    @classmethod
    def decode(cls, payload, conn):
        semi = conn.semi_sync
        if semi == "auto":
            # The first packet of every dump is the artificial ROTATE, whose timestamp
            # is 0 (fake_rotate_event in MySQL sql/rpl_binlog_sender.cc and MariaDB
            # sql/sql_repl.cc), so its second byte tells whether the semi-sync header
            # (0xef) is there.
            semi = conn.semi_sync = len(payload) > 1 and payload[1] == SEMI_SYNC_MAGIC
        if semi:
            if len(payload) < 3 or payload[1] != SEMI_SYNC_MAGIC:
                raise conn._protocol_error(f"expected the semi-sync header 0xef, got "
                                  f"{payload[1:2].hex() or 'nothing'}", "BinlogPacket",
                                  "semi_sync_flags")
            return cls(payload=payload, event=payload[3:], semi_sync_flags=payload[2])
        return cls(payload=payload, event=payload[1:])

    def encode(self, conn):
        if self.semi_sync_flags is None:
            return b"\x00" + self.event
        return bytes((OK_HEADER, SEMI_SYNC_MAGIC, self.semi_sync_flags)) + self.event

    @property
    def ack_requested(self) -> bool:
        return bool((self.semi_sync_flags or 0) & SEMI_SYNC_ACK_REQUESTED)


@dataclass(frozen=True, eq=False)
class EndOfStream(_EofOrOk):
    """The end of a non-blocking dump (``BINLOG_DUMP_NON_BLOCK``).

    Quirk: servers end a dump with a classic 5-byte EOF packet even under
    CLIENT_DEPRECATE_EOF (seen from MySQL 9.7, MariaDB 10.11 and 11.8: ``fe 0000 0200``;
    the dump's reply comes from the EOF path of ``send_eof`` rather than from a result
    set), so the form is read off the packet itself -- an EOF packet is 5 bytes, the 0xfe
    OK packet at least 7 -- and kept: ``packet`` has ``affected_rows`` only in the OK form.
    """

    sender = SERVER

    @classmethod
    def matches(cls, payload, conn):
        return _first(payload) == EOF_HEADER and len(payload) < MAX_PACKET_LENGTH

    @classmethod
    def decode(cls, payload, conn):
        ok_form = len(payload) > 5 and conn.capabilities & C.CLIENT_DEPRECATE_EOF
        schema = generic.OkPacket if ok_form else generic.EofPacket
        return cls(packet=conn._parse(schema, payload, cls.__name__), payload=payload)

    def encode(self, conn):
        if self.packet.get("affected_rows") is not None:
            return conn._build(generic.OkPacket, _ok_fixups(self.packet, conn), "EndOfStream")
        return conn._build(generic.EofPacket, self.packet, "EndOfStream")

    @classmethod
    def of(cls, *, status_flags: int = S.SERVER_STATUS_AUTOCOMMIT, warnings: int = 0,
           ok_form: bool = False) -> EndOfStream:
        """The EOF packet servers send (``ok_form=True``: the 0xfe OK packet instead)."""
        if ok_form:
            return super().of(status_flags=status_flags, warnings=warnings)
        return cls(packet=Container(header=EOF_HEADER, warnings=warnings,
                                    status_flags=status_flags))


@dataclass(frozen=True, eq=False)
class SemiSyncAck(ProtocolEvent):
    """The replica's semi-sync acknowledgement: 0xef, position, file name."""

    sender = CLIENT
    schema = replication.SemiSyncAck

    @classmethod
    def matches(cls, payload, conn):
        return _first(payload) == SEMI_SYNC_MAGIC

    @classmethod
    def of(cls, binlog_filename: str, binlog_pos: int) -> SemiSyncAck:
        return cls(packet=Container(magic=SEMI_SYNC_MAGIC, binlog_pos=binlog_pos,
                                    binlog_filename=binlog_filename))


@dataclass(frozen=True, eq=False)
class ConnectionClosed(ProtocolEvent):
    """The peer closed the connection (end of input).  ``clean`` is False when the
    conversation was waiting for the peer in the middle of an exchange."""

    clean: bool = True


# -- the grammar ------------------------------------------------------------------------------

Next = State | Callable[["Connection", ProtocolEvent], State]


def _after_command(conn: Connection, event: ProtocolEvent) -> State:
    code = event.command
    state = COMMAND_RESPONSES.get(code)
    if state is None:
        if conn.our_role is CLIENT:
            raise UsageError(f"{event.name}: its reply is not modelled by this connection")
        return State.SIMPLE
    return state


def _after_ok(conn: Connection, event: ProtocolEvent) -> State:
    if (event.packet.get("status_flags") or 0) & S.SERVER_MORE_RESULTS_EXISTS:
        return State.RESPONSE
    return State.COMMAND


def _after_column_count(conn: Connection, event: ProtocolEvent) -> State:
    count = event.packet.column_count
    if not count:
        raise conn._protocol_error("a result set of 0 columns", "ColumnCount", "column_count")
    if event.packet.get("metadata_follows") == 0:
        # RESULTSET_METADATA_NONE: no column definitions follow
        conn._columns_left = 0
        return State.ROWS
    conn._columns_left = count
    return State.COLUMNS


def _after_column(conn: Connection, event: ProtocolEvent) -> State:
    conn._columns_left -= 1
    if conn._columns_left:
        return State.COLUMNS
    return State.ROWS if conn.capabilities & C.CLIENT_DEPRECATE_EOF else State.COLUMNS_END


@dataclass(frozen=True)
class Transition:
    event: type[ProtocolEvent]
    next: Next


_AUTH_SERVER = [
    Transition(Ok, State.COMMAND),
    Transition(Err, State.CLOSED),
    Transition(AuthSwitchRequest, State.AUTH_REPLY),
    Transition(AuthMoreData, State.AUTH_MORE),
    Transition(AuthNextFactor, State.AUTH_REPLY),
]

#: state -> who may speak -> the events they may send, in matching order, and the state
#: each leads to.  This table is the protocol grammar; nothing else decides order.
TRANSITIONS: dict[State, dict[Role, list[Transition]]] = {
    State.GREETING: {SERVER: [Transition(Err, State.CLOSED), Transition(Handshake, State.LOGIN)]},
    State.LOGIN: {CLIENT: [Transition(SSLRequest, State.TLS_LOGIN),
                           Transition(HandshakeResponse, State.AUTH)]},
    State.TLS_LOGIN: {CLIENT: [Transition(HandshakeResponse, State.AUTH)]},
    State.AUTH: {SERVER: _AUTH_SERVER},
    State.AUTH_REPLY: {CLIENT: [Transition(AuthData, State.AUTH)]},
    State.AUTH_MORE: {SERVER: _AUTH_SERVER, CLIENT: [Transition(AuthData, State.AUTH)]},
    State.COMMAND: {CLIENT: [Transition(Command, _after_command)]},
    State.RESPONSE: {SERVER: [Transition(Ok, _after_ok), Transition(Err, State.COMMAND),
                              Transition(ColumnCount, _after_column_count)]},
    State.SIMPLE: {SERVER: [Transition(Ok, State.COMMAND), Transition(Err, State.COMMAND)]},
    State.COLUMNS: {SERVER: [Transition(ColumnDefinition, _after_column)]},
    State.COLUMNS_END: {SERVER: [Transition(ColumnsEnd, State.ROWS)]},
    State.ROWS: {SERVER: [Transition(ResultSetEnd, _after_ok), Transition(Err, State.COMMAND),
                          Transition(Row, State.ROWS)]},
    # A dump ends the connection: the server closes it after the last packet
    # (dispatch_command, COM_BINLOG_DUMP: "fake COM_QUIT").
    State.STREAM: {SERVER: [Transition(BinlogPacket, State.STREAM),
                            Transition(EndOfStream, State.CLOSED),
                            Transition(Err, State.CLOSED)],
                   CLIENT: [Transition(SemiSyncAck, State.STREAM)]},
    State.CLOSED: {},
    State.ERROR: {},
}


def _lookup(state: State, role: Role, event_type: type) -> Transition | None:
    for transition in TRANSITIONS[state].get(role, ()):
        if transition.event is event_type:
            return transition
    return None


# -- the connection ---------------------------------------------------------------------------


class Connection:
    """One end of a classic-protocol conversation, in the client or the server role.

    ``capabilities`` is the negotiated set once the client has logged in (before: the
    greeting's).  ``semi_sync`` says whether the binlog stream carries the semi-sync
    header: False, True, or ``"auto"`` (decided by the first packet of the dump).
    """

    def __init__(self, our_role: Role, *, max_payload: int = 1 << 30,
                 semi_sync: bool | str = False) -> None:
        if not isinstance(our_role, Role):
            raise UsageError(f"our_role must be CLIENT or SERVER, not {our_role!r}")
        self.our_role = our_role
        self.their_role = our_role.peer
        self.state = State.GREETING
        self.capabilities = C.CLIENT_PROTOCOL_41 | C.CLIENT_TRANSACTIONS
        self.server_capabilities = 0
        self.client_capabilities = 0
        self.semi_sync = semi_sync
        self._reader = PacketReader(max_payload=max_payload)
        self._seq = 0
        self._columns_left = 0
        self._received = 0  # bytes consumed, for error offsets
        self._eof = False
        self._error: ProtocolError | None = None

    # -- receiving --------------------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        """Bytes from the peer; ``b""`` means the peer closed the connection."""
        if self._eof:
            if data:
                raise UsageError("receive_data() after the end of input")
            return
        if data:
            self._reader.feed(data)
        else:
            self._eof = True

    def next_event(self) -> ProtocolEvent | _NeedData:
        """The next event from the peer, or :data:`NEED_DATA`."""
        if self._error is not None:
            raise self._error
        try:
            packet = self._reader.next_packet()
        except PacketSequenceError as exc:
            raise self._fail(SequenceError, str(exc), "packet header", "sequence_id") from None
        except FramingError as exc:  # a payload over max_payload
            raise self._fail(ProtocolError, str(exc), "packet header", "payload_length") from None
        if packet is None:
            if self._eof:
                if self._reader.buffered:
                    raise self._fail(ProtocolError, f"the input ends inside a packet "
                                     f"({self._reader.buffered} bytes buffered)", "packet",
                                     "payload_length")
                # Clean: after the conversation ended, or a client leaving while idle.
                clean = self.state is State.CLOSED or (
                    self.state is State.COMMAND and self.their_role is CLIENT)
                self.state = State.CLOSED
                return ConnectionClosed(clean=clean)
            return NEED_DATA
        seq, payload = packet
        offset = self._received
        self._received += len(payload) + 4 * (len(payload) // MAX_PACKET_LENGTH + 1)
        return self._accept(seq, payload, offset)

    def _accept(self, seq: int, payload: bytes, offset: int) -> ProtocolEvent:
        state = self.state
        candidates = TRANSITIONS[state].get(self.their_role)
        if not candidates:
            raise self._fail(ProtocolError, f"the {self.their_role.value} may not send now "
                             f"({len(payload)}-byte packet, first byte "
                             f"{payload[:1].hex() or 'none'})", "unexpected packet", None,
                             offset)
        for transition in candidates:
            if transition.event.matches(payload, self):
                break
        else:
            expected = " or ".join(t.event.__name__ for t in candidates)
            raise self._fail(ProtocolError, f"expected {expected}, got a packet starting "
                             f"with 0x{payload[:1].hex() or 'none'}", "unexpected packet",
                             None, offset)
        event_type = transition.event
        # sequence ids: see the module docstring
        if event_type is SemiSyncAck:
            if seq != 0:
                raise self._fail(SequenceError, f"semi-sync ACK with sequence id {seq}, "
                                 "expected 0", "SemiSyncAck", "sequence_id", offset)
        else:
            if event_type is Command:
                self._seq = 0
            if seq != self._seq:
                raise self._fail(SequenceError, f"sequence id {seq}, expected {self._seq}",
                                 event_type.__name__, "sequence_id", offset)
            self._seq = self._reader.next_seq
        try:
            event = event_type.decode(payload, self)
            self._advance(transition, event)
        except ProtocolError as exc:
            self._error = exc
            self.state = State.ERROR
            if exc.offset is None:
                exc.offset = offset
                exc.args = (exc._render(),)
            raise
        return event

    # -- sending ----------------------------------------------------------------------------

    def send(self, event: ProtocolEvent) -> bytes:
        """The bytes that say ``event``; the state moves on.  Misuse raises UsageError."""
        if self._error is not None:
            raise UsageError(f"the connection failed earlier: {self._error}")
        if isinstance(event, ConnectionClosed):
            self.state = State.CLOSED
            return b""
        transition = _lookup(self.state, self.our_role, type(event))
        if transition is None:
            allowed = [t.event.__name__ for t in TRANSITIONS[self.state].get(self.our_role, ())]
            raise UsageError(f"the {self.our_role.value} cannot send {type(event).__name__} in "
                             f"state {self.state.value}"
                             + (f" (allowed: {', '.join(allowed)})" if allowed else ""))
        if isinstance(event, Command):
            self._seq = 0
        # The next state is computed before anything changes, so a refused event
        # (a command whose reply is not modelled) leaves the connection as it was.
        next_state = transition.next
        if callable(next_state) and isinstance(event, Command):
            next_state = next_state(self, event)
            transition = Transition(transition.event, next_state)
        payload = event.encode(self)
        if isinstance(event, SemiSyncAck):
            data = frame(payload, 0)
        else:
            data = frame(payload, self._seq)
            self._seq = (self._seq + len(payload) // MAX_PACKET_LENGTH + 1) & 0xFF
        self._advance(transition, event)
        return data

    # -- shared -----------------------------------------------------------------------------

    def _advance(self, transition: Transition, event: ProtocolEvent) -> None:
        if isinstance(event, BinlogPacket):
            if event.ack_requested:
                self._seq = 1  # see the module docstring (semi-sync)
            return  # STREAM -> STREAM: the hot path
        if isinstance(event, Handshake):
            self.server_capabilities = event.capabilities
            self.capabilities = self.server_capabilities
        elif isinstance(event, (HandshakeResponse, SSLRequest)):
            self.client_capabilities = event.capabilities
            self.capabilities = self.client_capabilities & self.server_capabilities
        next_state = transition.next
        if callable(next_state):
            next_state = next_state(self, event)
        self.state = next_state

    def _parse(self, schema: Construct, payload: bytes, name: str):
        try:
            return schema.parse(payload, capabilities=self.capabilities)
        except Exception as exc:  # construct and adapters: wrapped at the boundary
            from mysqlproto.binlog import _error_path, _error_reason

            raise self._protocol_error(_error_reason(exc), name, _error_path(exc)) from None

    def _build(self, schema: Construct, packet, name: str) -> bytes:
        try:
            return schema.build(packet, capabilities=self.capabilities)
        except Exception as exc:
            from mysqlproto.binlog import _error_path, _error_reason

            path = _error_path(exc)
            raise UsageError(f"cannot build {name}: {_error_reason(exc)}"
                             + (f" (field {path})" if path else "")) from None

    def _protocol_error(self, message: str, packet: str | None,
                        field_name: str | None) -> ProtocolError:
        return ProtocolError(message, state=self.state.value, packet=packet, field=field_name)

    def _fail(self, cls, message: str, packet: str | None, field_name: str | None,
              offset: int | None = None) -> ProtocolError:
        error = cls(message, state=self.state.value, packet=packet, field=field_name,
                    offset=offset)
        self._error = error
        self.state = State.ERROR
        return error

    @property
    def their_turn(self) -> bool:
        """Whether the peer may speak now (so reading makes sense)."""
        return bool(TRANSITIONS[self.state].get(self.their_role))

    @property
    def our_turn(self) -> bool:
        return bool(TRANSITIONS[self.state].get(self.our_role))

    def __repr__(self) -> str:
        return f"<Connection {self.our_role.value} {self.state.value}>"
