"""Flavours and vendor events: composed as values, found by reader and writer."""

from __future__ import annotations

import uuid

import pytest
from construct import GreedyBytes, Struct

from mysqlproto.binlog import BinlogWriter, read_binlog
from mysqlproto.errors import RegistryError
from mysqlproto.events import Event, UnknownEvent
from mysqlproto.registry import MARIADB, MYSQL, Flavour
from mysqlproto.vendors import AURORA, POLARDBX, TDSQL, tdsql_flavour
from spec.binlog.eventspec import EventSpec
from spec.binlog.vendors.tdsql import TDSQL_GTID_EVENT_CODE
from spec.wire import Int8

# post-header lengths of a MySQL 8.0.29 FDE (zendesk__maxwell/binlog.000004)
MYSQL80_TABLE = [0, 13, 0, 8, 0, 0, 0, 0, 4, 0, 4, 0, 0, 0, 98, 0, 4, 26, 8, 0, 0, 0, 8, 8, 8,
                 2, 0, 0, 0, 10, 10, 10, 42, 42, 0, 18, 52, 0, 10, 40, 0]


def fde(version="8.0.40") -> Event:
    return Event(15, {"binlog_version": 4, "server_version": version, "create_timestamp": 0,
                      "header_length": 19, "post_header_lengths": MYSQL80_TABLE,
                      "checksum_alg": 1})


def query(sql: str) -> Event:
    return Event(2, {"thread_id": 1, "exec_time": 0, "error_code": 0, "status_vars": [],
                     "db": "test", "query": sql})


def test_base_flavours_know_their_codes():
    assert MYSQL.spec_for(2).name == "QUERY_EVENT"
    assert MARIADB.spec_for(2).name == "QUERY_EVENT"
    assert MYSQL.spec_for(15).name == "FORMAT_DESCRIPTION_EVENT"


def test_two_events_with_one_code_is_an_error_at_composition():
    spec = EventSpec(200, "A_EVENT", Struct("x" / GreedyBytes))
    with pytest.raises(RegistryError):
        Flavour("broken", [spec, EventSpec(200, "B_EVENT", GreedyBytes)])
    with pytest.raises(RegistryError):
        MYSQL.extend([EventSpec(2, "NOT_QUERY", GreedyBytes)], name="x")
    assert MYSQL.extend([EventSpec(2, "MY_QUERY", GreedyBytes)], name="x",
                        replace=True).spec_for(2).name == "MY_QUERY"


def test_extending_does_not_change_the_base():
    acme = MYSQL.extend([EventSpec(200, "ACME_EVENT", Struct("seq" / Int8))], name="acme")
    assert acme.spec_for(200).name == "ACME_EVENT"
    assert MYSQL.spec_for(200) is None and acme.parent is MYSQL


def test_aurora_and_polardbx_keep_code_101_apart():
    assert AURORA.spec_for(101).name == "AURORA_EVENT_101"
    assert POLARDBX.spec_for(101).name == "CONSENSUS_LOG_EVENT"
    assert POLARDBX.spec_for(105).name == "GCN_LOG_EVENT"
    with pytest.raises(RegistryError):
        AURORA.extend([POLARDBX.spec_for(101)], name="both")


def craft_tdsql_binlog(tmp_path, flavour):
    sid = uuid.UUID("3e11fa47-71ca-11e1-9e33-c80aa9429562")
    events = [
        fde(),
        Event(TDSQL_GTID_EVENT_CODE, {"flags": 1, "sid": sid, "gno": 42, "extra": b"\x07\x08"},
              flags=0x80),
        query("BEGIN"),
        query("INSERT INTO t VALUES (1)"),
        Event(16, {"xid": 99}),
    ]
    path = tmp_path / "tdsql.bin"
    writer = BinlogWriter(flavour=flavour)
    path.write_bytes(writer.begin() + b"".join(writer.encode(e) for e in events))
    return path


def test_tdsql_worked_example(tmp_path):
    path = craft_tdsql_binlog(tmp_path, TDSQL)
    events = list(read_binlog(path, flavour=TDSQL, keep_raw=True))
    gtid = events[1]
    assert gtid.name == "TDSQL_GTID_EVENT"
    assert (gtid.body.gno, str(gtid.body.sid), gtid.body.extra) == (
        42, "3e11fa47-71ca-11e1-9e33-c80aa9429562", b"\x07\x08")
    # Read without the vendor flavour the event is kept raw and still round-trips.
    plain = list(read_binlog(path, keep_raw=True))
    assert isinstance(plain[1], UnknownEvent) and plain[1].name == f"UNKNOWN_{TDSQL_GTID_EVENT_CODE}"
    writer = BinlogWriter()
    writer.begin()
    assert all(writer.encode(e) == e.raw for e in plain)
    assert [e.name for e in plain[2:]] == ["QUERY_EVENT", "QUERY_EVENT", "XID_EVENT"]


def test_tdsql_code_is_configurable(tmp_path):
    flavour = tdsql_flavour(code=190)
    assert flavour.spec_for(190).name == "TDSQL_GTID_EVENT" and flavour.spec_for(180) is None


def test_unknown_event_writes_back_unchanged():
    writer = BinlogWriter()
    data = writer.begin() + writer.encode(fde()) + writer.encode(
        UnknownEvent(250, {"raw": b"\x01\x02\x03"}, timestamp=5))
    events = list(read_binlog(data, keep_raw=True))
    assert isinstance(events[1], UnknownEvent) and events[1].body.raw == b"\x01\x02\x03"
    again = BinlogWriter()
    assert again.begin() + b"".join(again.encode(e) for e in events) == data


def test_crafted_lengths_and_checksums_are_written_as_given():
    writer = BinlogWriter()
    head = writer.begin() + writer.encode(fde())
    bad = writer.encode(Event(16, {"xid": 1}, checksum=0xDEADBEEF, log_pos=7))
    assert bad[-4:] == bytes.fromhex("efbeadde") and bad[13:17] == (7).to_bytes(4, "little")
    from mysqlproto.errors import ChecksumError

    with pytest.raises(ChecksumError):
        list(read_binlog(head + bad))
    assert list(read_binlog(head + bad, verify_checksums=False))[1].body.xid == 1
