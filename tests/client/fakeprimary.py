"""Test helpers: crafted binlogs and a scripted primary on 127.0.0.1.

:class:`ScriptedPrimary` stands on a server-role :class:`~mysqlproto.connection.Connection`:
it greets, accepts any password, answers the replica's SET statements and
``SELECT @master_binlog_checksum``, records every dump request, and streams crafted
binlog files the way the real sender does (artificial ROTATE, FDE -- with ``log_pos``
0 when resuming mid-file --, the events, an artificial ROTATE before each next file).
Per connection it can misbehave (:class:`Misbehave`): drop the connection, send an ERR,
corrupt a checksum, truncate an event, break the sequence ids, send garbage.
"""

from __future__ import annotations

import socket
import struct
import threading
import uuid
import zlib
from dataclasses import dataclass, field

from mysqlproto.binlog import BinlogWriter, read_binlog
from mysqlproto.connection import (
    NEED_DATA,
    SERVER,
    BinlogPacket,
    ColumnCount,
    ColumnDefinition,
    Command,
    Connection,
    ConnectionClosed,
    EndOfStream,
    Err,
    Handshake,
    HandshakeResponse,
    Ok,
    ResultSetEnd,
    Row,
    SemiSyncAck,
)
from mysqlproto.events import Event
from mysqlproto.gtid import GtidSet
from mysqlproto.registry import MYSQL
from mysqlproto.samples import MYSQL_80_TABLE, _fde, _gtid, _query, _table_map, _write_rows
from spec.protocol.constants import Command as Cmd

SID = uuid.UUID("6f5c2f6e-1f3b-11ef-9a1b-0242ac110002")
TS = 1_732_000_000


def transaction(gno: int, item: int) -> list[Event]:
    """GTID, BEGIN, TABLE_MAP, WRITE_ROWS, XID: one row ``(item, 'n<item>')``."""
    return [_gtid(gno, gno - 1), _query("BEGIN"), _table_map(91),
            _write_rows(30, 91, [(item, f"n{item}")]), Event(16, {"xid": 1000 + gno}, timestamp=TS)]


def crafted_binlogs(num_files: int = 2, per_file: int = 3, *, checksums: bool = True,
                    basename: str = "binlog") -> dict[str, bytes]:
    """``num_files`` MySQL 8.0-style binlogs of ``per_file`` one-row transactions each
    (the first file also opens with a DDL transaction), GNOs counting up across files,
    each file but the last ended by a ROTATE to the next."""
    files: dict[str, bytes] = {}
    gno = 1
    for index in range(1, num_files + 1):
        events = [_fde("8.0.40", MYSQL_80_TABLE, 1 if checksums else 0),
                  Event(35, {"gtid_format": 0, "n_sids": 0, "sids": []}, timestamp=TS)]
        if index == 1:
            events += [_gtid(gno, 0), _query("CREATE TABLE items (id INT NOT NULL, "
                                            "name VARCHAR(32))")]
            gno += 1
        for _ in range(per_file):
            events += transaction(gno, gno)
            gno += 1
        if index < num_files:
            events.append(Event(4, {"position": 4, "new_log_ident": f"{basename}.{index + 1:06d}"},
                                timestamp=TS))
        writer = BinlogWriter(flavour=MYSQL)
        files[f"{basename}.{index:06d}"] = writer.begin() + b"".join(
            writer.encode(event) for event in events)
    return files


def all_gtids(files: dict[str, bytes]) -> list[str]:
    out = []
    for data in files.values():
        for event in read_binlog(data):
            if event.type_code == 33:
                out.append(f"{event.body.sid}:{event.body.gno}")
    return out


def _crc(data: bytes) -> bytes:
    return struct.pack("<I", zlib.crc32(data) & 0xFFFFFFFF)


def fake_rotate(name: str, pos: int, checksums: bool, server_id: int = 1) -> bytes:
    body = struct.pack("<Q", pos) + name.encode()
    size = 19 + len(body) + (4 if checksums else 0)
    header = struct.pack("<IBIIIH", 0, 4, server_id, size, 0, 0x20)
    event = header + body
    return event + _crc(event) if checksums else event


@dataclass
class Misbehave:
    """What one connection does wrong, counting event packets sent after the dump
    request (the artificial ROTATE is packet 0)."""

    drop_after: int | None = None  # close the socket after this many packets
    err_after: int | None = None  # send an ERR after this many packets
    err_code: int = 1236
    corrupt_at: int | None = None  # flip a byte of this packet's event (bad CRC)
    truncate_at: int | None = None  # cut this packet's event short
    bad_seq_at: int | None = None  # send this packet with a wrong sequence id
    garbage_at: int | None = None  # send a packet starting with 0x42 instead


@dataclass
class DumpRequest:
    command: str
    file: str
    pos: int
    flags: int
    server_id: int
    gtids: GtidSet | None = None
    variables: dict[str, str] = field(default_factory=dict)


class ScriptedPrimary:
    """A scripted primary serving ``files`` (name -> binlog bytes) on 127.0.0.1."""

    def __init__(self, files: dict[str, bytes], *, misbehave: list[Misbehave] | None = None,
                 checksums: bool = True, server_version: str = "8.0.40-fake",
                 semi_sync: bool = False) -> None:
        self.files = files
        self.misbehave = list(misbehave or [])
        self.checksums = checksums
        self.server_version = server_version
        self.semi_sync = semi_sync
        self.requests: list[DumpRequest] = []
        self.acks: list[tuple[str, int]] = []
        self.acks_requested: list[tuple[str, int]] = []
        self.errors: list[BaseException] = []
        self.connections = 0
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def dsn(self) -> str:
        return f"mysql://root:pw@127.0.0.1:{self.port}?ssl=disabled"

    def __enter__(self) -> ScriptedPrimary:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._sock.close()
        self._thread.join(5)

    # -- serving -----------------------------------------------------------------------------

    def _serve(self) -> None:
        self._sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self._sock.accept()
            except OSError:
                continue
            index = self.connections
            self.connections += 1
            plan = self.misbehave[index] if index < len(self.misbehave) else Misbehave()
            try:
                with client:
                    client.settimeout(10)
                    _Session(self, client, plan).run()
            except Exception as exc:  # kept for the test to look at
                self.errors.append(exc)

    # -- binlog ---------------------------------------------------------------------------------

    def events_from(self, file: str, pos: int) -> list[tuple[str, bytes]]:
        """(file, event bytes) from ``file:pos`` to the end, with the artificial events."""
        names = list(self.files)
        if not file:
            file = names[0]
        out: list[tuple[str, bytes]] = []
        for name in names[names.index(file):]:
            data = self.files[name]
            out.append((name, fake_rotate(name, pos, self.checksums)))
            events = _split(data)
            fde = events[0][1]
            if pos > 4:
                fde = _zero_log_pos(fde, self.checksums)
            out.append((name, fde))
            for offset, event in events[1:]:
                if offset >= pos:
                    out.append((name, event))
            pos = 4
        return out


def _split(data: bytes) -> list[tuple[int, bytes]]:
    out = []
    pos = 4
    while pos < len(data):
        size = struct.unpack_from("<I", data, pos + 9)[0]
        out.append((pos, data[pos:pos + size]))
        pos += size
    return out


def _zero_log_pos(fde: bytes, checksums: bool) -> bytes:
    event = bytearray(fde)
    event[13:17] = b"\0\0\0\0"
    if checksums:
        event[-4:] = _crc(bytes(event[:-4]))
    return bytes(event)


class _Session:
    def __init__(self, primary: ScriptedPrimary, sock: socket.socket, plan: Misbehave) -> None:
        self.primary = primary
        self.sock = sock
        self.plan = plan
        self.conn = Connection(SERVER)
        self.variables: dict[str, str] = {}

    def send(self, event) -> None:
        self.sock.sendall(self.conn.send(event))

    def receive(self):
        while True:
            event = self.conn.next_event()
            if event is not NEED_DATA:
                return event
            data = self.sock.recv(65536)
            self.conn.receive_data(data)

    def run(self) -> None:
        self.send(Handshake.of(server_version=self.primary.server_version))
        login = self.receive()
        assert isinstance(login, HandshakeResponse), login
        self.send(Ok.of())
        while True:
            event = self.receive()
            if isinstance(event, ConnectionClosed):
                return
            assert isinstance(event, Command)
            code = event.command
            if code == Cmd.COM_QUERY:
                self.query(event.packet.query)
            elif code == Cmd.COM_REGISTER_SLAVE:
                self.send(Ok.of())
            elif code in (Cmd.COM_BINLOG_DUMP, Cmd.COM_BINLOG_DUMP_GTID):
                self.dump(event)
                return
            elif code == Cmd.COM_QUIT:
                return
            else:
                self.send(Err.of(1047, "Unknown command"))

    def query(self, sql: str) -> None:
        text = sql.strip()
        if text.upper().startswith("SET "):
            for part in text[4:].split(","):
                name, _, value = part.partition("=")
                self.variables[name.strip().lstrip("@")] = value.strip()
            self.send(Ok.of())
        elif text.upper().startswith("SELECT @MASTER_BINLOG_CHECKSUM"):
            self.send(ColumnCount.of(1))
            self.send(ColumnDefinition.of("@master_binlog_checksum"))
            self.send(Row.of(["CRC32" if self.primary.checksums else "NONE"]))
            self.send(ResultSetEnd.of())
        else:
            self.send(Err.of(1064, f"fake primary does not run {text[:40]!r}"))

    def dump(self, command: Command) -> None:
        p = command.packet
        gtids = None
        if command.command == Cmd.COM_BINLOG_DUMP_GTID:
            gtids = GtidSet.from_binary(_gtid_bytes(p.gtid_set)) if p.gtid_set else GtidSet()
        request = DumpRequest(command.name, p.binlog_filename, p.binlog_pos, p.flags,
                              p.server_id, gtids, dict(self.variables))
        self.primary.requests.append(request)
        semi = self.primary.semi_sync and self.variables.get("rpl_semi_sync_replica") == "1"
        plan = self.plan
        start_file, start_pos = (("", 4) if gtids is not None else (p.binlog_filename, p.binlog_pos))
        skipping = False
        sent = 0
        for name, event in self.primary.events_from(start_file, start_pos):
            if gtids is not None:
                code = event[4]
                if code == 33:
                    sid = uuid.UUID(bytes=event[20:36])
                    gno = struct.unpack_from("<q", event, 36)[0]
                    skipping = gtids.contains(f"{sid}:{gno}")
                if skipping:
                    # the skipped group ends at its XID, or at its DDL query
                    if code == 16 or (code == 2 and b"BEGIN" not in event):
                        skipping = False
                    continue
            if plan.drop_after is not None and sent >= plan.drop_after:
                return
            if plan.err_after is not None and sent >= plan.err_after:
                self.send(Err.of(plan.err_code, "fake primary: stream error"))
                return
            if plan.corrupt_at == sent:
                broken = bytearray(event)
                broken[20] ^= 0xFF
                event = bytes(broken)
            if plan.truncate_at == sent:
                event = event[:-7]
            if plan.garbage_at == sent:
                self.sock.sendall(self.conn.send(BinlogPacket(event=b""))[:4] + b"\x42")
                return
            ack = semi and event[4] == 16
            packet = BinlogPacket(event=event, semi_sync_flags=(1 if ack else 0) if semi else None)
            data = self.conn.send(packet)
            if plan.bad_seq_at == sent:
                data = data[:3] + bytes(((data[3] + 5) & 0xFF,)) + data[4:]
            self.sock.sendall(data)
            sent += 1
            if ack:
                self.primary.acks_requested.append((name, struct.unpack_from("<I", event, 13)[0]))
                reply = self.receive()
                assert isinstance(reply, SemiSyncAck), reply
                self.primary.acks.append((reply.packet.binlog_filename, reply.packet.binlog_pos))
        if p.flags & 1:
            self.send(EndOfStream.of())
            return
        # blocking dump: wait for the replica to go away
        try:
            while self.sock.recv(65536):
                pass
        except OSError:
            pass


def _gtid_bytes(parsed) -> bytes:
    from spec.gtid_set import GtidSetEncoding

    return GtidSetEncoding.build(parsed)
