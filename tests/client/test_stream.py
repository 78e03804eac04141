"""BinlogStream against a scripted primary on 127.0.0.1: streaming, faults, reconnects."""

from __future__ import annotations

import asyncio
import io
import json
import threading
from contextlib import redirect_stdout

import pytest

from mysqlproto import cli
from mysqlproto.aio import AsyncBinlogStream
from mysqlproto.binlog import read_binlog
from mysqlproto.client import BinlogStream, RetryPolicy, is_artificial
from mysqlproto.errors import (
    ChecksumError,
    ProtocolError,
    RetriesExhausted,
    SequenceError,
    ServerError,
    TruncatedError,
)
from mysqlproto.gtid import GtidSet
from tests.client.fakeprimary import Misbehave, ScriptedPrimary, all_gtids, crafted_binlogs

FAST = RetryPolicy(max_retries=3, initial_delay=0.01, max_delay=0.05)


def file_events(files):
    return [(name, event.raw) for name, data in files.items()
            for event in read_binlog(data, keep_raw=True)]


def streamed(stream: BinlogStream):
    out = []
    for event in stream:
        out.append((stream.file, event))
    return out


def real_events(items):
    """(file, raw) of what is in a file, the FDE with LOG_EVENT_BINLOG_IN_USE_F as
    sent (the server clears it)."""
    return [(file, event.raw) for file, event in items if not is_artificial(event)]


def gtids_of(items):
    return [f"{e.body.sid}:{e.body.gno}" for _, e in items if e.type_code == 33]


@pytest.mark.parametrize("checksums", [True, False])
def test_stream_until_end_yields_the_files_events_exactly(checksums):
    files = crafted_binlogs(num_files=2, per_file=3, checksums=checksums)
    with ScriptedPrimary(files, checksums=checksums) as primary:
        stream = BinlogStream(primary.dsn, until_end=True, keep_raw=True, server_id=77)
        items = streamed(stream)
    assert real_events(items) == file_events(files)
    artificial = [e for _, e in items if is_artificial(e)]
    assert [e.name for e in artificial] == ["ROTATE_EVENT", "ROTATE_EVENT"]
    assert all(e.offset is None and e.flags & 0x20 for e in artificial)
    request = primary.requests[0]
    assert (request.command, request.file, request.pos, request.flags, request.server_id) == (
        "COM_BINLOG_DUMP", "", 4, 1, 77)
    assert request.variables["source_binlog_checksum"] == "@@global.binlog_checksum"
    # positions are file offsets, as in `mysqlproto dump`
    first_file = [e for f, e in items if f == "binlog.000001" and not is_artificial(e)]
    assert [e.offset for e in first_file] == [e.offset for e in read_binlog(files["binlog.000001"])]
    assert stream.position.file == "binlog.000002"
    assert stream.position.pos == len(files["binlog.000002"])
    assert stream.position.gtids == GtidSet(",".join(all_gtids(files)))


def test_resume_by_position_starts_with_the_fde_marked_log_pos_0():
    files = crafted_binlogs(num_files=1, per_file=3)
    events = list(read_binlog(files["binlog.000001"]))
    second_gtid = [e for e in events if e.type_code == 33][2]
    with ScriptedPrimary(files) as primary:
        items = streamed(BinlogStream(primary.dsn, until_end=True, file="binlog.000001",
                                      pos=second_gtid.offset))
    names = [e.name for _, e in items]
    assert names[:3] == ["ROTATE_EVENT", "FORMAT_DESCRIPTION_EVENT", "GTID_LOG_EVENT"]
    fde = items[1][1]
    assert fde.log_pos == 0 and fde.offset == 4
    assert items[2][1].offset == second_gtid.offset


def test_dropped_connection_mid_transaction_resumes_exactly_without_loss_or_repeat():
    files = crafted_binlogs(num_files=2, per_file=3)
    # drop inside the 3rd transaction of file 1 (rotate, fde, prev, 2x ddl, 5x txn1...)
    with ScriptedPrimary(files, misbehave=[Misbehave(drop_after=13)]) as primary:
        stream = BinlogStream(primary.dsn, until_end=True, keep_raw=True, retry=FAST)
        items = streamed(stream)
    assert stream.reconnects == 1
    assert gtids_of(items) == all_gtids(files)  # each transaction exactly once, in order
    # the second dump asked for the position just past the last complete transaction
    first, second = primary.requests
    delivered_before = [e for f, e in items[:13] if e.type_code == 16]
    assert (second.file, second.pos) == ("binlog.000001", delivered_before[-1].log_pos)
    # everything but the re-sent artificial ROTATE and FDE is in the files once
    real = [(f, e.raw) for f, e in items if not is_artificial(e)
            and not (e.type_code == 15 and e.log_pos == 0)]
    assert real == file_events(files)


def test_dropped_connection_resumes_by_gtid_with_the_executed_set():
    files = crafted_binlogs(num_files=2, per_file=3)
    with ScriptedPrimary(files, misbehave=[Misbehave(drop_after=12)]) as primary:
        stream = BinlogStream(primary.dsn, until_end=True, gtid="", retry=FAST)
        items = streamed(stream)
    assert gtids_of(items) == all_gtids(files)
    first, second = primary.requests
    assert first.command == second.command == "COM_BINLOG_DUMP_GTID"
    assert first.gtids == GtidSet()
    assert second.gtids == GtidSet(",".join(all_gtids(files)[:2]))  # DDL + one transaction
    # PREVIOUS_GTIDS and the rest re-sent before the resume point are filtered out
    previous = [e for _, e in items if e.type_code == 35]
    assert len(previous) == 2  # one per file


def test_a_retryable_server_error_reconnects_a_fatal_one_raises():
    files = crafted_binlogs(num_files=1, per_file=2)
    with ScriptedPrimary(files, misbehave=[Misbehave(err_after=5, err_code=1053)]) as primary:
        stream = BinlogStream(primary.dsn, until_end=True, retry=FAST)
        assert gtids_of(streamed(stream)) == all_gtids(files)
    assert stream.reconnects == 1 and isinstance(stream.last_error, ServerError)
    with ScriptedPrimary(files, misbehave=[Misbehave(err_after=5)]) as primary:
        with pytest.raises(ServerError) as info:
            streamed(BinlogStream(primary.dsn, until_end=True, retry=FAST))
    assert info.value.code == 1236 and info.value.phase == "binlog dump"


def test_bad_checksum_is_a_checksum_error_with_file_and_position():
    files = crafted_binlogs(num_files=1, per_file=2)
    offsets = [e.offset for e in read_binlog(files["binlog.000001"])]
    with ScriptedPrimary(files, misbehave=[Misbehave(corrupt_at=4)]) as primary:
        with pytest.raises(ChecksumError) as info:
            streamed(BinlogStream(primary.dsn, until_end=True, retry=FAST))
    error = info.value
    assert error.offset == offsets[3] and "binlog.000001" in str(error)
    assert error.field == "checksum" and len(primary.requests) == 1  # not retried


def test_truncated_event_is_a_truncated_error():
    files = crafted_binlogs(num_files=1, per_file=2)
    with ScriptedPrimary(files, misbehave=[Misbehave(truncate_at=5)]) as primary:
        with pytest.raises(TruncatedError, match="the packet holds") as info:
            streamed(BinlogStream(primary.dsn, until_end=True, retry=FAST))
    assert info.value.event_type == "GTID_LOG_EVENT"


def test_out_of_order_sequence_id_mid_stream():
    files = crafted_binlogs(num_files=1, per_file=2)
    with ScriptedPrimary(files, misbehave=[Misbehave(bad_seq_at=3)]) as primary:
        with pytest.raises(SequenceError) as info:
            streamed(BinlogStream(primary.dsn, until_end=True, retry=FAST))
    assert info.value.state == "STREAM"


def test_malformed_packet_mid_stream():
    files = crafted_binlogs(num_files=1, per_file=2)
    with ScriptedPrimary(files, misbehave=[Misbehave(garbage_at=2)]) as primary:
        with pytest.raises(ProtocolError, match="expected BinlogPacket or EndOfStream or Err"):
            streamed(BinlogStream(primary.dsn, until_end=True, retry=FAST))


def test_gives_up_after_bounded_retries_without_progress():
    files = crafted_binlogs(num_files=1, per_file=1)
    plans = [Misbehave(drop_after=0)] * 10
    with ScriptedPrimary(files, misbehave=plans) as primary:
        with pytest.raises(RetriesExhausted) as info:
            streamed(BinlogStream(primary.dsn, until_end=True, retry=FAST))
    assert primary.connections == FAST.max_retries + 1
    assert info.value.last_error is not None


def test_semi_sync_acks_each_transaction_as_asked():
    files = crafted_binlogs(num_files=1, per_file=3)
    with ScriptedPrimary(files, semi_sync=True) as primary:
        stream = BinlogStream(primary.dsn, until_end=True, semi_sync=True)
        items = streamed(stream)
    assert len(gtids_of(items)) == 4
    assert primary.acks == primary.acks_requested and len(primary.acks) == 3
    assert stream.acks_sent == 3


def test_close_from_another_thread_ends_a_blocking_stream():
    files = crafted_binlogs(num_files=1, per_file=1)
    with ScriptedPrimary(files) as primary:
        stream = BinlogStream(primary.dsn)  # blocking: waits after the last event
        seen = []
        thread = threading.Thread(target=lambda: seen.extend(stream))
        thread.start()
        while len(seen) < 7:
            thread.join(0.01)
        stream.close()
        thread.join(5)
    assert not thread.is_alive() and gtids_of([(None, e) for e in seen])


def test_asyncio_stream_reconnects_the_same_way():
    files = crafted_binlogs(num_files=2, per_file=2)

    async def run(dsn):
        out = []
        async with AsyncBinlogStream(dsn, until_end=True, retry=FAST) as stream:
            async for event in stream:
                out.append((stream.file, event))
        return out, stream

    with ScriptedPrimary(files, misbehave=[Misbehave(drop_after=11)]) as primary:
        items, stream = asyncio.run(run(primary.dsn))
    assert stream.reconnects == 1 and gtids_of(items) == all_gtids(files)


def test_cli_stream_prints_dump_format_json():
    files = crafted_binlogs(num_files=1, per_file=1)
    out = io.StringIO()
    with ScriptedPrimary(files) as primary, redirect_stdout(out):
        status = cli.main(["stream", "--dsn", primary.dsn, "--until-end", "--json",
                           "--server-id", "4242"])
    assert status == 0 and primary.requests[0].server_id == 4242
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert records[0]["type"] == "ROTATE_EVENT" and records[0]["flags"] == 0x20
    assert records[1]["file"] == "binlog.000001" and records[1]["pos"] == 4
    assert [r["type"] for r in records][-1] == "XID_EVENT"
    [rows] = [r for r in records if r["type"] == "WRITE_ROWS_EVENT"]
    assert rows["table"] == "items" and rows["next_pos"] == records[-1]["pos"]
