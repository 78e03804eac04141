"""StreamTracker, the sans-IO core of a stream: packets in, transaction batches out."""

from __future__ import annotations

import pytest

from mysqlproto.binlog import BinlogWriter, read_binlog
from mysqlproto.client import ResumePoint, StreamTracker
from mysqlproto.connection import BinlogPacket
from mysqlproto.errors import EventLengthError
from mysqlproto.events import Event
from mysqlproto.gtid import GtidSet, MariaGtidList
from mysqlproto.registry import MARIADB, MYSQL
from mysqlproto.samples import (
    MYSQL_80_TABLE,
    SERVER_UUID,
    _fde,
    _gtid,
    _query,
    _table_map,
    _write_rows,
    mariadb118_sample,
    mysql80_sample,
)
from spec.binlog.constants import ChecksumAlg
from tests.client.fakeprimary import fake_rotate

CRC32 = ChecksumAlg.BINLOG_CHECKSUM_ALG_CRC32


def raw_events(data: bytes) -> list[bytes]:
    return [event.raw for event in read_binlog(data, keep_raw=True)]


def run(tracker: StreamTracker, file: str, data: bytes, *, start: int = 0):
    """Feed the artificial ROTATE then the file's events; returns the batches."""
    tracker.new_connection(CRC32)
    batches = [tracker.feed(BinlogPacket(event=fake_rotate(file, 4, True)))]
    for raw in raw_events(data)[start:]:
        batches.append(tracker.feed(BinlogPacket(event=raw)))
    return [b for b in batches if b is not None]


def test_mysql_transactions_come_out_whole_and_move_the_resume_point():
    tracker = StreamTracker(ResumePoint(), by_gtid=True)
    batches = run(tracker, "binlog.000001", mysql80_sample())
    shapes = [[e.name for e in b.events] for b in batches]
    assert shapes == [
        ["ROTATE_EVENT"], ["FORMAT_DESCRIPTION_EVENT"], ["PREVIOUS_GTIDS_LOG_EVENT"],
        ["GTID_LOG_EVENT", "QUERY_EVENT"],  # DDL: a GTID without BEGIN ends at its query
        ["GTID_LOG_EVENT", "QUERY_EVENT", "ROWS_QUERY_LOG_EVENT", "TABLE_MAP_EVENT",
         "WRITE_ROWS_EVENT", "XID_EVENT"],
        ["GTID_LOG_EVENT", "TRANSACTION_PAYLOAD_EVENT"],
        ["ROTATE_EVENT"],
    ]
    assert batches[0].resume is None and batches[1].resume is None  # not in the file / FDE
    ddl = batches[3]
    assert ddl.resume.pos == ddl.events[-1].log_pos
    assert ddl.resume.gtids == GtidSet(f"{SERVER_UUID}:1")
    for batch in batches:
        tracker.commit(batch)
    assert tracker.resume == ResumePoint("binlog.000002", 4, GtidSet(f"{SERVER_UUID}:1-3"))


def test_mariadb_standalone_group_and_gtid_position():
    tracker = StreamTracker(ResumePoint(), by_gtid=True)
    batches = run(tracker, "mariadb-bin.000001", mariadb118_sample())
    shapes = [[e.name for e in b.events] for b in batches]
    assert ["GTID_EVENT", "QUERY_EVENT", "ANNOTATE_ROWS_EVENT", "TABLE_MAP_EVENT",
            "WRITE_ROWS_EVENT_V1", "XID_EVENT"] in shapes
    assert ["GTID_EVENT", "QUERY_COMPRESSED_EVENT"] in shapes
    assert batches[-2].resume.gtids == MariaGtidList("0-1-2")


def xa_binlog() -> bytes:
    events = [_fde("8.0.40", MYSQL_80_TABLE, 1),
              _gtid(1, 0), _query("XA START X'31',X'',1"), _table_map(91),
              _write_rows(30, 91, [(1, "a")]), _query("XA END X'31',X'',1"),
              Event(38, {"one_phase": 0, "format_id": 1, "gtrid": b"1", "bqual": b""}),
              _gtid(2, 1), _query("XA COMMIT X'31',X'',1")]
    writer = BinlogWriter(flavour=MYSQL)
    return writer.begin() + b"".join(writer.encode(e) for e in events)


def test_xa_prepare_ends_a_group_and_xa_commit_is_its_own():
    tracker = StreamTracker(ResumePoint(), by_gtid=True)
    shapes = [[e.name for e in b.events] for b in run(tracker, "b.000001", xa_binlog())]
    assert shapes[2:] == [
        ["GTID_LOG_EVENT", "QUERY_EVENT", "TABLE_MAP_EVENT", "WRITE_ROWS_EVENT", "QUERY_EVENT",
         "XA_PREPARE_LOG_EVENT"],
        ["GTID_LOG_EVENT", "QUERY_EVENT"],
    ]


def test_a_new_connection_drops_the_partial_transaction_and_filters_what_is_resent():
    tracker = StreamTracker(ResumePoint(), by_gtid=False)
    data = mysql80_sample()
    raws = raw_events(data)
    tracker.new_connection(CRC32)
    tracker.feed(BinlogPacket(event=fake_rotate("binlog.000001", 4, True)))
    delivered = []
    for raw in raws[:7]:  # stops inside the row transaction (GTID, BEGIN, ROWS_QUERY)
        batch = tracker.feed(BinlogPacket(event=raw))
        if batch:
            delivered += batch.events
            tracker.commit(batch)
    assert tracker.in_transaction
    assert delivered[-1].name == "QUERY_EVENT"  # the DDL
    resume = tracker.resume
    assert (resume.file, resume.pos) == ("binlog.000001", delivered[-1].log_pos)
    # the primary re-sends the whole file (as a GTID dump would): only new events pass
    again = run(tracker, "binlog.000001", data)
    names = [e.name for b in again for e in b.events]
    assert names[:3] == ["ROTATE_EVENT", "FORMAT_DESCRIPTION_EVENT", "GTID_LOG_EVENT"]
    assert names.count("PREVIOUS_GTIDS_LOG_EVENT") == 0 and names.count("QUERY_EVENT") == 1


def test_a_packet_with_bytes_after_its_event():
    tracker = StreamTracker(ResumePoint(), by_gtid=False)
    tracker.new_connection(CRC32)
    with pytest.raises(EventLengthError, match="3 bytes after the event"):
        tracker.feed(BinlogPacket(event=fake_rotate("b.000001", 4, True) + b"xyz"))


def test_flavour_follows_the_fde():
    tracker = StreamTracker(ResumePoint(), by_gtid=False)
    run(tracker, "m.000001", mariadb118_sample())
    assert tracker._reader.context.flavour is MARIADB
