"""Replication: the binlog network stream, semi-synchronous replication.

Sources: https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_replication.html,
``page_protocol_replication_binlog_event.html`` ("Binlog Network Stream"),
``page_protocol_com_binlog_dump.html``, ``page_protocol_com_register_replica.html``;
MySQL ``sql/rpl_source.cc`` (``mysql_binlog_send``), ``sql/rpl_binlog_sender.cc``
(``Binlog_sender::send_packet``, ``reset_transmit_packet``: the 0x00 byte and
semi-sync header before each event), ``plugin/semisync/semisync.h``
(``kPacketMagicNum`` 0xef, ``kPacketFlagSync`` 0x01),
``plugin/semisync/semisync_replica.cc`` (the ACK: magic, position, file name);
MariaDB ``sql/semisync.h`` and the MariaDB KB "Semi-sync replication" protocol notes.

After COM_BINLOG_DUMP or COM_BINLOG_DUMP_GTID the server sends one packet per event:
0x00 then the event (common header, body, checksum), or an ERR packet, or -- with
``BINLOG_DUMP_NON_BLOCK`` at the end of the binlog -- an EOF packet (an OK packet
with header 0xfe under ``CLIENT_DEPRECATE_EOF``).  When the replica has announced
semi-sync (``SET @rpl_semi_sync_replica = 1``; MariaDB ``@rpl_semi_sync_slave``), two
bytes go between the 0x00 and the event: 0xef and a flag, 0x01 when the source waits
for an ACK of this event, which the replica then sends on the same connection as
:data:`SemiSyncAck`.

The event itself is left as bytes here: :mod:`mysqlproto.binlog` parses events.
"""

from __future__ import annotations

from construct import Const, FocusedSeq, If, Peek, Struct, Switch, this

from spec.protocol.commands import ComBinlogDump, ComBinlogDumpGtid, ComRegisterSlave
from spec.protocol.constants import EOF_HEADER, ERR_HEADER, OK_HEADER, SEMI_SYNC_MAGIC
from spec.protocol.fields import EofText
from spec.protocol.generic import EofPacket, ErrPacket
from spec.wire import EofBytes, Int1, Int8

__all__ = [
    "BinlogEventPacket",
    "BinlogNetworkPacket",
    "SemiSyncAck",
    "ComBinlogDump",
    "ComBinlogDumpGtid",
    "ComRegisterSlave",
]


def _semi_sync(ctx) -> bool:
    return bool(ctx._params.get("semi_sync"))


BinlogEventPacket = Struct(
    "header" / Const(OK_HEADER, Int1),
    "semi_sync_flags" / If(_semi_sync, FocusedSeq(
        "flags", Const(bytes((SEMI_SYNC_MAGIC,))), "flags" / Int1)),
    "event" / EofBytes,
)
"""One event of the binlog network stream.  With context ``semi_sync=True``,
``semi_sync_flags`` is the byte after the 0xef magic (0x01: ACK requested)."""


BinlogNetworkPacket = Struct(
    "packet_type" / Peek(Int1),
    "packet" / Switch(this.packet_type, {
        OK_HEADER: BinlogEventPacket,
        # The end of a non-blocking dump is a classic 5-byte EOF packet even when
        # CLIENT_DEPRECATE_EOF was negotiated: seen from MySQL 9.7, MariaDB 10.11 and
        # 11.8 in tests/client.
        EOF_HEADER: EofPacket,
        ERR_HEADER: ErrPacket,
    }),
)
"""Any packet of the binlog network stream, chosen by its first byte: an event, the
end of a non-blocking dump, or an error.  Needs ``capabilities`` (and ``semi_sync``)."""


SemiSyncAck = Struct(
    "magic" / Const(SEMI_SYNC_MAGIC, Int1),
    "binlog_pos" / Int8,  # end of the acknowledged event
    "binlog_filename" / EofText,
)
"""The replica's semi-sync acknowledgement (``ReplSemiSyncSlave::slaveReply``)."""
