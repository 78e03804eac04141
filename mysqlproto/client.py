"""A blocking client and binlog stream over sockets (the I/O around the sans-IO parts).

:class:`Client` logs in (TLS by ``SSLRequest`` then ``ssl.wrap_socket``, any plugin of
:mod:`mysqlproto.auth`) and runs text-protocol queries.  :class:`BinlogStream` is a
replica: it negotiates checksums and heartbeats, registers (COM_REGISTER_SLAVE),
dumps by file and position (COM_BINLOG_DUMP) or by GTID (MySQL COM_BINLOG_DUMP_GTID;
MariaDB ``@slave_connect_state`` then COM_BINLOG_DUMP), answers semi-sync ACK
requests, and reconnects after a dropped connection or a server restart.

The stream's logic lives in sans-IO pieces shared with :mod:`mysqlproto.aio`:
:func:`dump_setup` (the statements and the dump command for a flavour and a resume
point) and :class:`StreamTracker` (binlog packets in; events, transaction batches,
resume points and ACKs out).

Delivery guarantee
------------------
Events come out as the :class:`~mysqlproto.events.Event` objects :func:`~mysqlproto.
binlog.read_binlog` yields, decoded by one :class:`~mysqlproto.binlog.BinlogReader`
(``expect_magic=False``) per connection, fed one packet at a time.  ``event.offset``
is the event's position in its binlog file (``log_pos - event_size``; None for events
that are not in a file).  The events of a transaction -- from its GTID event (or
``BEGIN``) to its XID, ``COMMIT``/``ROLLBACK`` query, XA_PREPARE, TRANSACTION_PAYLOAD,
or the single DDL query of a GTID without ``BEGIN`` -- are held back and handed out
together once the transaction is complete.  The resume point (file, position, and the
GTID state: for MySQL the executed set plus every transaction handed out, for MariaDB
the last GTID per domain) moves past a transaction only after its last event has been
handed to the caller.

When the connection drops (reset, timeout, server shutdown or restart), the partial
transaction in hand is discarded and the stream reconnects with exponential backoff
(:class:`RetryPolicy`: bounded consecutive failures without progress) and resumes
from the resume point -- by file and position, or by GTID set when it was started by
GTID.  Hence: **each complete transaction is handed to the caller exactly once**, in
binlog order, as long as the source's binlog still holds the resume point (a purged
binlog or a different server answering the address are errors, not resumed
silently).  Events outside transactions (PREVIOUS_GTIDS, GTID_LIST,
BINLOG_CHECKPOINT, STOP, ROTATE) are handed out once as well: a resumed connection
re-sending them before the resume point is filtered out by position.  What the
server sends afresh on each connection is handed out each time and is recognisable:
the artificial ROTATE (and MariaDB's artificial GTID_LIST), flagged
``LOG_EVENT_ARTIFICIAL_F`` (:func:`is_artificial`), heartbeats, and the FORMAT_DESCRIPTION
event of the file being resumed (``log_pos`` 0 when resumed mid-file).

Semi-sync: an event the source flags for acknowledgement is acknowledged (file and
``log_pos``) after the caller has taken its transaction, i.e. when the iterator is
resumed -- the source's commit waits for the caller, up to its own timeout.
"""

from __future__ import annotations

import logging
import random
import socket
import ssl
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from mysqlproto.auth import AuthPlugin, LoginFlow, client_tls_context
from mysqlproto.binlog import BinlogReader, FormatContext
from mysqlproto.connection import (
    CLIENT,
    DEFAULT_CLIENT_CAPABILITIES,
    NEED_DATA,
    AuthMoreData,
    AuthNextFactor,
    AuthSwitchRequest,
    BinlogPacket,
    ColumnCount,
    ColumnDefinition,
    ColumnsEnd,
    Command,
    Connection,
    ConnectionClosed,
    EndOfStream,
    Err,
    Handshake,
    Ok,
    ProtocolEvent,
    ResultSetEnd,
    Row,
    SemiSyncAck,
    State,
)
from mysqlproto.errors import (
    ConnectionLost,
    DecodeError,
    EventLengthError,
    MySQLProtoError,
    ProtocolError,
    RetriesExhausted,
    ServerError,
    TruncatedError,
    UsageError,
)
from mysqlproto.events import Event
from mysqlproto.gtid import Gtid, GtidSet, MariaGtid, MariaGtidList
from mysqlproto.registry import Flavour
from spec.binlog.constants import ChecksumAlg, EventFlag, MySQLEventType
from spec.protocol.constants import BINLOG_DUMP_NON_BLOCK, BINLOG_SEND_ANNOTATE_ROWS_EVENT
from spec.protocol.constants import ServerStatus as S

__all__ = [
    "Client",
    "QueryResult",
    "ConnectParams",
    "parse_dsn",
    "BinlogStream",
    "ResumePoint",
    "RetryPolicy",
    "StreamOptions",
    "StreamTracker",
    "Batch",
    "dump_setup",
    "is_artificial",
    "is_retryable",
    "USE_HEARTBEAT_EVENT_V2",
]

log = logging.getLogger("mysqlproto.client")

USE_HEARTBEAT_EVENT_V2 = 0x02
"""COM_BINLOG_DUMP(_GTID) flag: the replica takes HEARTBEAT_LOG_EVENT_V2 (MySQL 8.0.26+,
``USE_HEARTBEAT_EVENT_V2 (1 << 1)`` in include/mysql.h; read by
``Binlog_sender::send_heartbeat_event`` in sql/rpl_binlog_sender.cc)."""

MARIA_SLAVE_CAPABILITY_GTID = 4
"""``@mariadb_slave_capability``: understands GTID events (MariaDB sql/log_event.h);
below it the source rewrites GTID events into BEGIN queries (sql/sql_repl.cc
``send_event_to_slave``)."""

ARTIFICIAL = EventFlag.LOG_EVENT_ARTIFICIAL_F
_ARTIFICIAL = int(ARTIFICIAL)  # an IntFlag's & costs a microsecond on every event
T = MySQLEventType
HEARTBEATS = frozenset({T.HEARTBEAT_LOG_EVENT, T.HEARTBEAT_LOG_EVENT_V2})
GTID_EVENTS = frozenset({T.GTID_LOG_EVENT, T.ANONYMOUS_GTID_LOG_EVENT,
                         T.GTID_TAGGED_LOG_EVENT, 162})  # 162: MariaDB GTID_EVENT
QUERY_EVENTS = frozenset({T.QUERY_EVENT, 165})  # 165: MariaDB QUERY_COMPRESSED_EVENT
GROUP_ENDS = frozenset({T.XID_EVENT, T.XA_PREPARE_LOG_EVENT, T.TRANSACTION_PAYLOAD_EVENT})
MARIA_FL_STANDALONE = 0x01

#: Server errors after which reconnecting makes sense: the server is going away or
#: the connection was killed, not "your request is wrong".
RETRYABLE_SERVER_ERRORS = frozenset({
    1040,  # ER_CON_COUNT_ERROR
    1053,  # ER_SERVER_SHUTDOWN
    1077,  # ER_NORMAL_SHUTDOWN
    1152,  # ER_ABORTING_CONNECTION
    1158, 1159, 1160, 1161,  # ER_NET_READ_ERROR ... ER_NET_WRITE_INTERRUPTED
    1317,  # ER_QUERY_INTERRUPTED
    1927,  # ER_CONNECTION_KILLED (MariaDB)
    3169,  # ER_SESSION_WAS_KILLED
    4031,  # ER_CLIENT_INTERACTION_TIMEOUT
})


# -- connection parameters --------------------------------------------------------------


@dataclass
class ConnectParams:
    host: str = "127.0.0.1"
    port: int = 3306
    user: str = "root"
    password: str = ""
    database: str | None = None
    tls: str | ssl.SSLContext = "preferred"


def parse_dsn(dsn: str) -> ConnectParams:
    """``mysql://USER:PASS@HOST:PORT[/DB][?ssl=disabled|preferred|required]`` (user and
    password percent-decoded; ``mariadb://`` works too)."""
    parts = urlsplit(dsn)
    if parts.scheme not in ("mysql", "mariadb"):
        raise UsageError(f"a DSN starts with mysql://, not {dsn!r}")
    query = parse_qs(parts.query)
    tls = (query.get("ssl") or query.get("ssl-mode") or query.get("ssl_mode") or ["preferred"])[0]
    tls = tls.lower()
    if tls not in ("disabled", "preferred", "required"):
        raise UsageError(f"ssl must be disabled, preferred or required, not {tls!r}")
    return ConnectParams(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=unquote(parts.username or "root"),
        password=unquote(parts.password or ""),
        database=unquote(parts.path.lstrip("/")) or None,
        tls=tls,
    )


# -- blocking client --------------------------------------------------------------------------


@dataclass
class QueryResult:
    """A query's answer: ``columns`` (names), ``rows`` (tuples of str, bytes for binary
    columns, None), and the OK/EOF fields.  ``more`` holds further result sets."""

    columns: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)
    affected_rows: int = 0
    last_insert_id: int = 0
    warnings: int = 0
    status_flags: int = 0
    info: str | None = None
    column_definitions: list[Any] = field(default_factory=list, repr=False)
    more: list[QueryResult] = field(default_factory=list)

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows and self.rows[0] else None


#: Column types whose values are strings (bytes when the collation is binary, 63);
#: numbers and temporal values come as text whatever their collation says.
_STRING_TYPES = frozenset({0x0F, 0xF5, 0xF7, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE, 0xFF})


class QueryCollector:
    """Sans-IO: turns the events of one COM_QUERY reply into :class:`QueryResult`s."""

    def __init__(self) -> None:
        self.results: list[QueryResult] = []
        self._current = QueryResult()
        self._binary: list[bool] = []
        self.error: Err | None = None

    def feed(self, event: ProtocolEvent) -> bool:
        """Take one event; True once the reply is complete."""
        current = self._current
        if isinstance(event, ColumnCount):
            return False
        if isinstance(event, ColumnDefinition):
            name = event.packet.name
            current.columns.append(name.decode("latin-1") if isinstance(name, bytes) else name)
            current.column_definitions.append(event.packet)
            self._binary.append(event.packet.character_set == 63
                                and event.packet.type in _STRING_TYPES)
            return False
        if isinstance(event, ColumnsEnd):
            return False
        if isinstance(event, Row):
            current.rows.append(tuple(
                value if value is None or binary else value.decode("utf-8", "replace")
                for value, binary in zip(event.values, self._binary or [False] * len(event.values),
                                         strict=False)))
            return False
        if isinstance(event, (Ok, ResultSetEnd)):
            packet = event.packet
            current.affected_rows = packet.get("affected_rows") or 0
            current.last_insert_id = packet.get("last_insert_id") or 0
            current.warnings = packet.get("warnings") or 0
            current.status_flags = packet.get("status_flags") or 0
            current.info = packet.get("info")
            self.results.append(current)
            self._current = QueryResult()
            self._binary = []
            return not current.status_flags & S.SERVER_MORE_RESULTS_EXISTS
        if isinstance(event, Err):
            self.error = event
            return True
        raise ProtocolError(f"unexpected {type(event).__name__} in a query reply",
                            packet=type(event).__name__)

    def result(self) -> QueryResult:
        first = self.results[0] if self.results else QueryResult()
        first.more = self.results[1:]
        return first


def server_error(err: Err, phase: str) -> ServerError:
    return ServerError(err.code, err.message, err.sql_state, phase)


Recorder = Callable[[str, bytes], None]


class ClientSettings:
    """What a connection is made with, shared by :class:`Client` and
    :class:`mysqlproto.aio.AsyncClient`: the arguments, the login flow they configure,
    the TLS context, and what the server's greeting says."""

    def __init__(self, host: str = "127.0.0.1", port: int = 3306, user: str = "root",
                 password: str | bytes = "", *, database: str | None = None,
                 tls: str | ssl.SSLContext = "preferred", connect_timeout: float = 10.0,
                 read_timeout: float | None = None,
                 capabilities: int = DEFAULT_CLIENT_CAPABILITIES,
                 server_public_key: bytes | None = None,
                 plugins: dict[str, type[AuthPlugin]] | None = None,
                 connect_attrs: dict[str, str] | None = None,
                 recorder: Recorder | None = None, recv_size: int = 1 << 18) -> None:
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.tls = tls
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.capabilities = capabilities
        self.server_public_key = server_public_key
        self.plugins = plugins
        self.connect_attrs = connect_attrs if connect_attrs is not None else {
            "_client_name": "mysqlproto", "program_name": "mysqlproto"}
        self.recorder = recorder
        self.recv_size = recv_size
        self.conn: Connection | None = None
        self.handshake: Handshake | None = None
        self.login: LoginFlow | None = None
        self.tls_active = False

    @classmethod
    def from_dsn(cls, dsn: str, **options):
        p = parse_dsn(dsn)
        options.setdefault("tls", p.tls)
        options.setdefault("database", p.database)
        return cls(p.host, p.port, p.user, p.password, **options)

    # -- properties -------------------------------------------------------------------------

    @property
    def server_version(self) -> str:
        return self.handshake.server_version if self.handshake else ""

    @property
    def flavour(self) -> str:
        """``"mariadb"`` or ``"mysql"``, from the greeting's version string."""
        return "mariadb" if "mariadb" in self.server_version.lower() else "mysql"

    @property
    def connection_id(self) -> int | None:
        return self.handshake.connection_id if self.handshake else None

    def _tls_mode(self) -> str:
        return "required" if isinstance(self.tls, ssl.SSLContext) else self.tls

    def _login_flow(self) -> LoginFlow:
        self.login = LoginFlow(
            self.user, self.password, database=self.database, tls=self._tls_mode(),
            capabilities=self.capabilities, plugins=self.plugins,
            connect_attrs=self.connect_attrs, server_public_key=self.server_public_key)
        return self.login

    def _tls_context(self) -> tuple[ssl.SSLContext, str | None]:
        """The TLS context and the host name to check (None when it checks none)."""
        context = self.tls if isinstance(self.tls, ssl.SSLContext) else client_tls_context()
        return context, self.host if context.check_hostname else None


class Client(ClientSettings):
    """A blocking client connection.

    ``tls``: ``"disabled"``, ``"preferred"`` (TLS when the server offers it; the
    certificate is not verified), ``"required"``, or an :class:`ssl.SSLContext` (TLS
    required, verified as that context says).  ``recorder(direction, data)``, when
    given, sees every plaintext chunk: direction ``"server"`` for bytes received,
    ``"client"`` for bytes sent (captures for round-trip tests).
    """

    def __init__(self, *args, **options) -> None:
        super().__init__(*args, **options)
        self.sock: socket.socket | None = None

    # -- connection phase ------------------------------------------------------------------

    def connect(self) -> Client:
        sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock = sock
            self.conn = Connection(CLIENT)
            self._login()
            sock = self.sock
            sock.settimeout(self.read_timeout)
        except BaseException:
            self.close()
            raise
        return self

    def _login(self) -> None:
        flow = self._login_flow()
        while True:
            event = self.read_event()
            if isinstance(event, Handshake):
                self.handshake = event
                out = flow.on_handshake(event)
                self._send_all(out)
                if flow.tls_requested:
                    self._start_tls()
                    self._send_all(flow.after_tls())
            elif isinstance(event, (AuthSwitchRequest, AuthMoreData, AuthNextFactor)):
                self._send_all(flow.on_auth(event))
            elif isinstance(event, Ok):
                return
            elif isinstance(event, Err):
                raise server_error(event, "connect" if self.handshake is None else "auth")
            elif isinstance(event, ConnectionClosed):
                raise ConnectionLost("the server closed the connection during login")

    def _start_tls(self) -> None:
        context, hostname = self._tls_context()
        assert self.sock is not None
        self.sock = context.wrap_socket(self.sock, server_hostname=hostname)
        self.tls_active = True

    # -- packets ------------------------------------------------------------------------------

    def send(self, event: ProtocolEvent) -> None:
        if self.conn is None or self.sock is None:
            raise UsageError("not connected")
        data = self.conn.send(event)
        if self.recorder is not None:
            self.recorder("client", data)
        try:
            self.sock.sendall(data)
        except OSError as exc:
            raise ConnectionLost(f"sending to {self.host}:{self.port}: {exc}") from exc

    def _send_all(self, events: list[ProtocolEvent]) -> None:
        for event in events:
            self.send(event)

    def read_event(self) -> ProtocolEvent:
        """The next event from the server (blocks; raises ConnectionLost on timeout)."""
        conn = self.conn
        if conn is None or self.sock is None:
            raise UsageError("not connected")
        while True:
            event = conn.next_event()
            if event is not NEED_DATA:
                return event
            try:
                data = self.sock.recv(self.recv_size)
            except TimeoutError as exc:
                raise ConnectionLost(f"no data from {self.host}:{self.port} within "
                                      f"{self.sock.gettimeout()} s") from exc
            except OSError as exc:
                raise ConnectionLost(f"reading from {self.host}:{self.port}: {exc}") from exc
            if self.recorder is not None and data:
                self.recorder("server", data)
            conn.receive_data(data)

    # -- commands ---------------------------------------------------------------------------

    def query(self, sql: str) -> QueryResult:
        """Run one statement (text protocol); ERR raises :class:`ServerError`."""
        self.send(Command.query(sql))
        collector = QueryCollector()
        while True:
            event = self.read_event()
            if isinstance(event, ConnectionClosed):
                raise ConnectionLost("the server closed the connection during a query")
            if collector.feed(event):
                break
        if collector.error is not None:
            raise server_error(collector.error, "query")
        return collector.result()

    execute = query

    def ping(self) -> None:
        self.send(Command.ping())
        event = self.read_event()
        if isinstance(event, Err):
            raise server_error(event, "ping")

    def simple_command(self, command: Command, phase: str) -> ProtocolEvent:
        self.send(command)
        event = self.read_event()
        if isinstance(event, Err):
            raise server_error(event, phase)
        if isinstance(event, ConnectionClosed):
            raise ConnectionLost(f"the server closed the connection during {phase}")
        return event

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is None:
            return
        try:
            if self.conn is not None and self.conn.state is State.COMMAND:
                sock.sendall(self.conn.send(Command.quit()))
        except (OSError, MySQLProtoError):
            pass
        try:
            sock.close()
        except OSError:
            pass

    def abort(self) -> None:
        """Cut the connection at once (from another thread too): a blocked read ends."""
        sock = self.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> Client:
        if self.sock is None:
            self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# -- replication: sans-IO parts ---------------------------------------------------------------


def _file_key(name: str) -> tuple[int, str]:
    stem, _, suffix = name.rpartition(".")
    return (int(suffix), stem) if suffix.isdigit() else (-1, name)


@dataclass
class ResumePoint:
    """Where a stream resumes: the binlog ``file`` and ``pos`` just past the last
    complete transaction handed out, and ``gtids``: when streaming by GTID, MySQL's
    executed set (:class:`~mysqlproto.gtid.GtidSet`: the starting set plus every
    transaction handed out) or MariaDB's position (:class:`~mysqlproto.gtid.MariaGtidList`:
    the last GTID per domain); when streaming by position, the GTIDs of the transactions
    handed out so far (None before the first).  ``pos`` is a 32-bit ``log_pos`` read off
    the events: binlog files over 4 GiB are not tracked by position."""

    file: str = ""
    pos: int = 4
    gtids: GtidSet | MariaGtidList | None = None

    def copy(self) -> ResumePoint:
        gtids = self.gtids
        if isinstance(gtids, GtidSet):
            gtids = GtidSet(gtids)
        elif isinstance(gtids, MariaGtidList):
            gtids = MariaGtidList(gtids)
        return ResumePoint(self.file, self.pos, gtids)

    def __str__(self) -> str:
        where = f"{self.file or '(first binlog)'}:{self.pos}"
        return f"{where} gtids={self.gtids}" if self.gtids is not None else where


@dataclass(frozen=True)
class RetryPolicy:
    """Reconnect with exponential backoff: ``initial_delay`` seconds, times
    ``multiplier`` per failure up to ``max_delay``, +/- ``jitter`` (a fraction); give up
    after ``max_retries`` consecutive failures without progress (0: never reconnect)."""

    max_retries: int = 10
    initial_delay: float = 0.1
    max_delay: float = 10.0
    multiplier: float = 2.0
    jitter: float = 0.1

    def delay(self, failures: int) -> float:
        base = min(self.max_delay, self.initial_delay * self.multiplier ** max(0, failures - 1))
        return max(0.0, base * (1 + random.uniform(-self.jitter, self.jitter)))


def is_retryable(exc: BaseException) -> bool:
    """Whether a stream reconnects after ``exc``: a lost connection or a server going
    away, not bad bytes (ProtocolError, ChecksumError...) nor a refused request."""
    if isinstance(exc, ConnectionLost):
        return True
    if isinstance(exc, ServerError):
        return exc.code in RETRYABLE_SERVER_ERRORS
    if isinstance(exc, MySQLProtoError):
        return False
    return isinstance(exc, OSError)


def is_artificial(event: Event) -> bool:
    """Whether the server made ``event`` up for the stream (it is in no binlog file):
    the ROTATE and MariaDB GTID_LIST flagged ``LOG_EVENT_ARTIFICIAL_F``, heartbeats."""
    return bool(event.flags & _ARTIFICIAL) or event.type_code in HEARTBEATS


@dataclass(frozen=True)
class StreamOptions:
    """What a replica asks of the source (see :class:`BinlogStream` for the meaning)."""

    server_id: int = 0
    until_end: bool = False
    heartbeat: float | None = None
    heartbeat_v2: bool = False
    semi_sync: bool = False
    gtid_strict_mode: bool = False
    report_host: str = ""
    report_port: int = 0
    replica_uuid: str = ""


def _sql_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


@dataclass
class Setup:
    """The statements to run before the dump (``optional`` ones may fail: an older
    server without the variable) and the dump command itself."""

    statements: list[tuple[str, bool]]
    register: Command
    dump: Command


def dump_setup(flavour: str, options: StreamOptions, resume: ResumePoint, by_gtid: bool) -> Setup:
    """What a replica says before and for its dump.

    Sources: MySQL ``sql/rpl_replica.cc`` (``get_master_version_and_clock``: the
    checksum and heartbeat user variables, ``register_slave_on_master``,
    ``request_dump``), MariaDB ``sql/slave.cc`` (``@mariadb_slave_capability``,
    ``@slave_connect_state``, ``@slave_gtid_strict_mode``) and ``sql/sql_repl.cc``
    (which variables the sender reads).  Both spellings of MySQL's renamed variables
    are set: 8.0.26+ reads ``@source_*``, earlier servers ``@master_*``.
    """
    mariadb = flavour == "mariadb"
    statements: list[tuple[str, bool]] = []
    if mariadb:
        statements.append(("SET @master_binlog_checksum = @@global.binlog_checksum", True))
        statements.append((f"SET @mariadb_slave_capability = {MARIA_SLAVE_CAPABILITY_GTID}", False))
    else:
        statements.append(("SET @source_binlog_checksum = @@global.binlog_checksum, "
                           "@master_binlog_checksum = @@global.binlog_checksum", True))
    if options.heartbeat:
        ns = int(options.heartbeat * 1_000_000_000)
        if mariadb:
            statements.append((f"SET @master_heartbeat_period = {ns}", False))
        else:
            statements.append((f"SET @source_heartbeat_period = {ns}, "
                               f"@master_heartbeat_period = {ns}", False))
    if options.replica_uuid and not mariadb:
        # A dump thread with the same replica UUID is killed when we reconnect
        # (kill_zombie_dump_threads), so a half-dead earlier connection goes away.
        uid = _sql_string(options.replica_uuid)
        statements.append((f"SET @replica_uuid = {uid}, @slave_uuid = {uid}", False))
    if options.semi_sync:
        if mariadb:
            statements.append(("SET @rpl_semi_sync_slave = 1", False))
        else:
            statements.append(("SET @rpl_semi_sync_replica = 1, @rpl_semi_sync_slave = 1", False))
    flags = BINLOG_DUMP_NON_BLOCK if options.until_end else 0
    if mariadb:
        flags |= BINLOG_SEND_ANNOTATE_ROWS_EVENT  # else ANNOTATE_ROWS events are left out
        if by_gtid:
            state = str(resume.gtids or "")
            statements.append((f"SET @slave_connect_state = {_sql_string(state)}", False))
            statements.append((f"SET @slave_gtid_strict_mode = {int(options.gtid_strict_mode)}",
                               False))
            statements.append(("SET @slave_gtid_ignore_duplicates = 0", False))
    elif options.heartbeat_v2:
        flags |= USE_HEARTBEAT_EVENT_V2
    register = Command.register_slave(options.server_id, hostname=options.report_host,
                                      port=options.report_port)
    if by_gtid and not mariadb:
        dump = Command.binlog_dump_gtid(server_id=options.server_id, flags=flags,
                                        gtid_set=resume.gtids or GtidSet(),
                                        binlog_filename="", binlog_pos=4)
    elif by_gtid:
        dump = Command.binlog_dump(server_id=options.server_id, flags=flags,
                                   binlog_filename="", binlog_pos=4)
    elif resume.pos > 0xFFFFFFFF and not mariadb:
        # COM_BINLOG_DUMP's position is 4 bytes; past 4 GiB MySQL takes the 8-byte one
        # of COM_BINLOG_DUMP_GTID with an empty GTID set.
        dump = Command.binlog_dump_gtid(server_id=options.server_id, flags=flags,
                                        gtid_set=GtidSet(), binlog_filename=resume.file,
                                        binlog_pos=resume.pos)
    else:
        dump = Command.binlog_dump(server_id=options.server_id, flags=flags,
                                   binlog_filename=resume.file, binlog_pos=resume.pos)
    return Setup(statements, register, dump)


@dataclass
class Batch:
    """Events ready for the caller, and what holds once they are all taken: the
    resume point past them, and the semi-sync ACK owed (file, position) if any."""

    events: list[Event]
    resume: ResumePoint | None = None
    ack: tuple[str, int] | None = None
    file: str = ""


def _heartbeat_v2_position(event: Event) -> int | None:
    """The OTW_HB_LOG_POSITION_FIELD of a HEARTBEAT_LOG_EVENT_V2 (its header's log_pos
    is only 32 bits; the v2 event exists for binlogs past 4 GiB)."""
    for item in event.body.get("fields") or ():
        if item.get("type") == 2:
            return item.get("value")
    return None


def _query_text(event: Event) -> str:
    text = event.body.get("query", "") if hasattr(event.body, "get") else ""
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    return text.strip().upper()


class StreamTracker:
    """Sans-IO core of a replica's stream: binlog packets in, batches of events out.

    Per connection (:meth:`new_connection`) a fresh :class:`~mysqlproto.binlog.BinlogReader`
    decodes one event per packet; the tracker follows the file and position, groups the
    events of each transaction, keeps the resume point and the GTID state, filters what
    a resumed connection re-sends, and notes which semi-sync ACKs are owed.
    """

    def __init__(self, resume: ResumePoint, *, by_gtid: bool, flavour: Flavour | None = None,
                 verify_checksums: bool = True, keep_raw: bool = False,
                 source: str = "stream") -> None:
        self.resume = resume.copy()  # committed: past the last batch fully taken
        self.by_gtid = by_gtid
        self.flavour = flavour
        self.verify_checksums = verify_checksums
        self.keep_raw = keep_raw
        self.source = source
        self.file = resume.file
        self.immediate_acks: list[tuple[str, int]] = []
        self.connections = 0
        self.events_decoded = 0
        self.bytes_received = 0
        self._reader: BinlogReader | None = None
        self._fed = 0
        self._group: list[Event] = []
        self._group_gtid: Any = None
        self._group_begin = False
        self._group_ack: tuple[str, int] | None = None
        self._in_group = False
        self._next_resume = self.resume.copy()  # past the last complete batch produced
        self._dedupe_until: tuple[tuple[int, str], int] | None = None

    # -- connections --------------------------------------------------------------------------

    def new_connection(self, checksum_alg: int) -> None:
        """A new dump starts (the first or a resumed one): a partial transaction is
        dropped, and what the new connection re-sends up to the resume point filtered.

        ``checksum_alg`` is the one negotiated (``@master_binlog_checksum``): the
        artificial ROTATE that opens the dump comes before any FDE and carries a CRC32
        exactly when it is CRC32 (``fake_rotate_event``).
        """
        from mysqlproto.registry import MYSQL

        flavour = self.flavour or (self._reader.context.flavour if self._reader else MYSQL)
        context = FormatContext(checksum_alg=checksum_alg, flavour=flavour)
        self._reader = BinlogReader(flavour=self.flavour, expect_magic=False,
                                    verify_checksums=self.verify_checksums,
                                    keep_raw=self.keep_raw, source=self.source, context=context)
        self._fed = 0
        self._drop_group()
        self._next_resume = self.resume.copy()
        if self.connections and self.resume.file:
            self._dedupe_until = (_file_key(self.resume.file), self.resume.pos)
        self.connections += 1

    def _drop_group(self) -> None:
        self._group = []
        self._group_gtid = None
        self._group_begin = False
        self._group_ack = None
        self._in_group = False

    # -- packets --------------------------------------------------------------------------------

    def feed(self, packet: BinlogPacket) -> Batch | None:
        """One event packet; returns a batch when events are ready for the caller."""
        event = self._decode(packet.event)
        self.events_decoded += 1
        self.bytes_received += len(packet.event)
        code = event.type_code
        art = is_artificial(event)
        log_pos = event.log_pos or 0
        if code in HEARTBEATS:
            event.offset = None
            if code == T.HEARTBEAT_LOG_EVENT_V2:
                log_pos = _heartbeat_v2_position(event) or log_pos
            if not self._in_group and log_pos and self._next_resume.file == self.file:
                # A heartbeat after skipped transactions tells the new position
                # (Binlog_sender::send_events).
                self._next_resume.pos = max(self._next_resume.pos, log_pos)
            return Batch([event], self._next_resume.copy(), file=self.file)
        if code == T.ROTATE_EVENT:
            body = event.body
            if art:
                event.offset = None
                self.file = body.new_log_ident
                if not self._next_resume.file:
                    self._next_resume.file = self.file
                    self._next_resume.pos = body.position or 4
                return Batch([event], None, file=self.file)
        if art:
            event.offset = None
            return Batch([event], None, file=self.file)
        # an event of the binlog file
        if log_pos >= (event.event_size or 0) and log_pos:
            event.offset = log_pos - event.event_size
        elif code == T.FORMAT_DESCRIPTION_EVENT:
            event.offset = 4  # resent with log_pos 0 when resuming mid-file
        else:
            event.offset = None
        ack = (self.file, log_pos) if packet.ack_requested else None
        if code == T.FORMAT_DESCRIPTION_EVENT:
            return Batch([event], None, ack=ack, file=self.file)
        if self._is_duplicate(event):
            if ack:
                self.immediate_acks.append(ack)
            return None
        return self._group_step(event, ack)

    def _decode(self, data: bytes) -> Event:
        reader = self._reader
        if reader is None:
            raise UsageError("StreamTracker.feed() before new_connection()")
        try:
            event = reader.decode_whole(data)
        except DecodeError as exc:
            raise self._located(exc, data) from exc
        if event is not None:
            self._fed += len(data)
            return event
        reader.feed(data)
        self._fed += len(data)
        try:
            event = reader.next_event()
        except DecodeError as exc:
            raise self._located(exc, data) from exc
        if event is None:
            size = int.from_bytes(data[9:13], "little") if len(data) >= 13 else None
            name = reader._name(data[4]) if len(data) > 4 else None
            raise TruncatedError(
                f"the packet holds {len(data)} bytes of an event"
                + (f" of event_size {size}" if size is not None else ""),
                offset=self._file_offset(data), event_type=name, field="header.event_size",
                source=f"{self.source} {self.file}".strip())
        if reader.offset != self._fed:
            raise EventLengthError(
                f"the packet holds {self._fed - reader.offset} bytes after the event",
                offset=self._file_offset(data), event_type=event.name,
                field="header.event_size", source=f"{self.source} {self.file}".strip())
        return event

    def _file_offset(self, data: bytes) -> int | None:
        if len(data) < 17:
            return None
        log_pos = int.from_bytes(data[13:17], "little")
        size = int.from_bytes(data[9:13], "little")
        return log_pos - size if log_pos >= size > 0 else None

    def _located(self, exc: DecodeError, data: bytes) -> DecodeError:
        """The reader's error with the position in the binlog file rather than the stream."""
        located = type(exc)(exc.reason, offset=self._file_offset(data), event_type=exc.event_type,
                            field=exc.field, source=f"{self.source} {self.file}".strip())
        return located

    def _is_duplicate(self, event: Event) -> bool:
        limit = self._dedupe_until
        if limit is None or not event.log_pos:
            return False
        here = (_file_key(self.file), event.log_pos)
        if here <= limit:
            return True
        self._dedupe_until = None
        return False

    # -- transactions ------------------------------------------------------------------------------

    def _group_step(self, event: Event, ack: tuple[str, int] | None) -> Batch | None:
        code = event.type_code
        if code in GTID_EVENTS:
            early = None
            if self._in_group:
                # A group that never ended (should not happen in a binlog): hand it out.
                early = self._close_group()
            self._in_group = True
            self._group_begin = False
            self._group_gtid = self._gtid_of(event)
            self._group = [event]
            self._note_ack(ack)
            return early
        if code in QUERY_EVENTS:
            text = _query_text(event)
            if text == "BEGIN" or text.startswith("XA START"):
                if not self._in_group:
                    self._in_group = True
                    self._group_gtid = None
                    self._group = []
                self._group_begin = True
                self._group.append(event)
                self._note_ack(ack)
                return None
            if self._in_group:
                self._group.append(event)
                self._note_ack(ack)
                if not self._group_begin or text in ("COMMIT", "ROLLBACK"):
                    return self._close_group()
                return None
            return self._single(event, ack)
        if self._in_group:
            self._group.append(event)
            self._note_ack(ack)
            if code in GROUP_ENDS:
                return self._close_group()
            return None
        if code == T.ROTATE_EVENT:
            batch = self._single(event, ack)
            self._next_resume.file = event.body.new_log_ident
            self._next_resume.pos = event.body.position or 4
            batch.resume = self._next_resume.copy()
            return batch
        return self._single(event, ack)

    def _note_ack(self, ack: tuple[str, int] | None) -> None:
        if ack is not None:
            if self._group_ack is not None:
                self.immediate_acks.append(self._group_ack)
            self._group_ack = ack

    def _single(self, event: Event, ack: tuple[str, int] | None) -> Batch:
        if event.log_pos:
            self._next_resume.file = self.file or self._next_resume.file
            self._next_resume.pos = event.log_pos
        return Batch([event], self._next_resume.copy(), ack=ack, file=self.file)

    def _close_group(self) -> Batch:
        events = self._group
        last = events[-1]
        if last.log_pos:
            self._next_resume.file = self.file or self._next_resume.file
            self._next_resume.pos = last.log_pos
        gtid = self._group_gtid
        if gtid is not None:
            gtids = self._next_resume.gtids
            if isinstance(gtid, MariaGtid):
                if not isinstance(gtids, MariaGtidList):
                    gtids = self._next_resume.gtids = MariaGtidList()
                gtids.add(gtid)
            else:
                if not isinstance(gtids, GtidSet):
                    gtids = self._next_resume.gtids = GtidSet()
                gtids.add(gtid)
        batch = Batch(events, self._next_resume.copy(), ack=self._group_ack, file=self.file)
        self._drop_group()
        return batch

    @staticmethod
    def _gtid_of(event: Event) -> Gtid | MariaGtid | None:
        body = event.body
        code = event.type_code
        if code == T.GTID_LOG_EVENT:
            return Gtid.of(body.sid, body.gno)
        if code == T.GTID_TAGGED_LOG_EVENT:
            fields = body.fields
            return Gtid.of(fields.sid, fields.gno, fields.get("tag") or None)
        if code == 162:
            return MariaGtid.of(body.domain_id, event.server_id, body.seq_no)
        return None  # anonymous

    def commit(self, batch: Batch) -> None:
        """The caller took every event of ``batch``: its resume point now holds."""
        if batch.resume is not None:
            self.resume = batch.resume

    @property
    def in_transaction(self) -> bool:
        return self._in_group


# -- the blocking stream ------------------------------------------------------------------------


def _checksum_alg(value: Any) -> int:
    if isinstance(value, bytes):
        value = value.decode()
    if value and str(value).upper() == "CRC32":
        return ChecksumAlg.BINLOG_CHECKSUM_ALG_CRC32
    return ChecksumAlg.BINLOG_CHECKSUM_ALG_OFF


def _coerce_gtids(value: Any, flavour: str) -> GtidSet | MariaGtidList:
    if isinstance(value, (GtidSet, MariaGtidList)):
        return value
    text = "" if value is None else str(value)
    return MariaGtidList(text) if flavour == "mariadb" else GtidSet(text)


class BinlogStream:
    """A replica's binlog stream, blocking; iterate it for :class:`~mysqlproto.events.Event`.

    Where to start: ``file`` and ``pos`` (default: the first binlog, position 4), or
    ``gtid`` (MySQL: the GTID set already seen -- text or :class:`GtidSet`, "" for
    everything; MariaDB: the GTID position, text or :class:`MariaGtidList`).

    ``until_end``: stop at the end of the binlog (``BINLOG_DUMP_NON_BLOCK``) instead of
    waiting for more.  ``heartbeat``: seconds between the source's heartbeats when idle
    (``heartbeat_v2`` asks MySQL for HEARTBEAT_LOG_EVENT_V2); ``read_timeout`` then
    defaults to three periods, after which the connection counts as dead.
    ``semi_sync``: announce a semi-sync replica and acknowledge what the source asks.
    ``address``: a callable returning ``(host, port)``, asked at each (re)connection.
    See the module docstring for what a reconnection guarantees.
    """

    def __init__(self, dsn: str | None = None, *, host: str = "127.0.0.1", port: int = 3306,
                 user: str = "root", password: str = "",
                 address: Callable[[], tuple[str, int]] | None = None,
                 server_id: int | None = None, file: str | None = None, pos: int | None = None,
                 gtid: Any = None, until_end: bool = False, heartbeat: float | None = None,
                 heartbeat_v2: bool = False, semi_sync: bool = False,
                 verify_checksums: bool = True, keep_raw: bool = False,
                 flavour: Flavour | None = None, retry: RetryPolicy | None = None,
                 tls: str | ssl.SSLContext = "preferred", connect_timeout: float = 10.0,
                 read_timeout: float | None = None, gtid_strict_mode: bool = False,
                 include_heartbeats: bool = True, recorder: Recorder | None = None,
                 client_options: dict[str, Any] | None = None) -> None:
        if dsn is not None:
            params = parse_dsn(dsn)
            host, port, user, password = params.host, params.port, params.user, params.password
            if tls == "preferred":
                tls = params.tls
        if gtid is not None and (file is not None or pos is not None):
            raise UsageError("start either by gtid or by file/pos, not both")
        self.host, self.port, self.user, self.password = host, port, user, password
        self.address = address
        self.by_gtid = gtid is not None
        self._gtid_start = gtid
        self.options = StreamOptions(
            server_id=server_id if server_id is not None else random.randint(100_000, 2**31 - 1),
            until_end=until_end, heartbeat=heartbeat, heartbeat_v2=heartbeat_v2,
            semi_sync=semi_sync, gtid_strict_mode=gtid_strict_mode,
            replica_uuid=str(uuid.uuid4()))
        self.retry = retry or RetryPolicy()
        self.tls = tls
        self.connect_timeout = connect_timeout
        if read_timeout is None and heartbeat:
            read_timeout = 3 * heartbeat + 1.0
        self.read_timeout = read_timeout
        self.include_heartbeats = include_heartbeats
        self.recorder = recorder
        self.client_options = dict(client_options or {})
        self.tracker = StreamTracker(ResumePoint(file or "", pos if pos is not None else 4),
                                     by_gtid=self.by_gtid, flavour=flavour,
                                     verify_checksums=verify_checksums, keep_raw=keep_raw)
        self.client: Client | None = None
        self.server_flavour: str | None = None
        self.server_version: str | None = None
        self.file = ""  # binlog file of the last event handed out
        self.reconnects = 0
        self.acks_sent = 0
        self.last_error: BaseException | None = None
        self._closed = False
        self._gen: Iterator[Event] | None = None

    # -- public -------------------------------------------------------------------------------

    @property
    def position(self) -> ResumePoint:
        """The resume point: past the last complete transaction handed out."""
        return self.tracker.resume.copy()

    def __iter__(self) -> Iterator[Event]:
        if self._gen is None:
            self._gen = self._events()
        return self._gen

    def __next__(self) -> Event:
        return next(iter(self))

    def close(self) -> None:
        """Stop: from another thread, a blocked read ends and iteration stops."""
        self._closed = True
        client = self.client
        if client is not None:
            client.abort()

    def __enter__(self) -> BinlogStream:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
        if self._gen is not None:
            self._gen.close()  # type: ignore[attr-defined]

    # -- connection --------------------------------------------------------------------------

    def _target(self) -> tuple[str, int]:
        if self.address is not None:
            try:
                return self.address()
            except Exception as exc:
                raise ConnectionLost(f"no address to connect to: {exc}") from exc
        return self.host, self.port

    def _open(self) -> None:
        host, port = self._target()
        options = {"tls": self.tls, "connect_timeout": self.connect_timeout,
                   "read_timeout": self.read_timeout, "recorder": self.recorder,
                   **self.client_options}
        client = self.client = Client(host, port, self.user, self.password, **options)
        client.connect()
        if self._closed:
            raise ConnectionLost("closed")
        self.server_flavour = client.flavour
        self.server_version = client.server_version
        tracker = self.tracker
        if self.by_gtid and tracker.resume.gtids is None:
            tracker.resume.gtids = _coerce_gtids(self._gtid_start, client.flavour)
        setup = dump_setup(client.flavour, self.options, tracker.resume, self.by_gtid)
        for sql, optional in setup.statements:
            try:
                client.query(sql)
            except ServerError:
                if not optional:
                    raise
        alg = _checksum_alg(client.query("SELECT @master_binlog_checksum").scalar())
        client.simple_command(setup.register, "COM_REGISTER_SLAVE")
        if self.options.semi_sync:
            client.conn.semi_sync = "auto"
        client.send(setup.dump)
        tracker.new_connection(alg)

    def _drop(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            client.abort()
            client.close()

    # -- the loop -------------------------------------------------------------------------------

    def _events(self) -> Iterator[Event]:
        failures = 0
        try:
            while not self._closed:
                progressed = False
                try:
                    self._open()
                    client = self.client
                    tracker = self.tracker
                    while True:
                        event = client.read_event()
                        if isinstance(event, BinlogPacket):
                            batch = tracker.feed(event)
                            self._send_acks(tracker.immediate_acks)
                            if batch is None:
                                continue
                            self.file = batch.file
                            for item in batch.events:
                                if not self.include_heartbeats and item.type_code in HEARTBEATS:
                                    continue
                                yield item
                            tracker.commit(batch)
                            if batch.ack is not None:
                                self._send_acks([batch.ack])
                            if batch.resume is not None and not progressed:
                                progressed = True
                                failures = 0
                        elif isinstance(event, EndOfStream):
                            if self.options.until_end:
                                return
                            # Not asked for: the server ended the dump, as MariaDB
                            # does when it shuts down (an EOF, not an error).
                            raise ConnectionLost("the server ended the binlog dump")
                        elif isinstance(event, Err):
                            raise server_error(event, "binlog dump")
                        elif isinstance(event, ConnectionClosed):
                            raise ConnectionLost("the server closed the binlog stream")
                        else:
                            raise ProtocolError(f"unexpected {type(event).__name__}",
                                                state="STREAM", packet=type(event).__name__)
                except Exception as exc:
                    self._drop()
                    if self._closed:
                        return
                    self.last_error = exc
                    if not is_retryable(exc):
                        raise
                    failures += 1
                    if failures > self.retry.max_retries:
                        raise RetriesExhausted(
                            f"gave up after {failures - 1} reconnection attempts: {exc}",
                            exc) from exc
                    delay = self.retry.delay(failures)
                    log.warning("binlog stream: %s; reconnecting in %.2f s from %s", exc,
                                delay, self.tracker.resume)
                    self.reconnects += 1
                    time.sleep(delay)
        finally:
            self._drop()

    def _send_acks(self, acks: list[tuple[str, int]]) -> None:
        while acks:
            file, pos = acks.pop(0)
            assert self.client is not None
            self.client.send(SemiSyncAck.of(file, pos))
            self.acks_sent += 1
