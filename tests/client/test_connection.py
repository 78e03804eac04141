"""The sans-IO connection: a client instance talking to a server instance in memory."""

from __future__ import annotations

import pytest

from mysqlproto.auth import LoginFlow, native_password_hash, verify_native_password
from mysqlproto.connection import (
    CLIENT,
    DEFAULT_CLIENT_CAPABILITIES,
    NEED_DATA,
    SERVER,
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
    HandshakeResponse,
    Ok,
    ResultSetEnd,
    Row,
    SemiSyncAck,
    State,
)
from mysqlproto.errors import DecodeError, ProtocolError, SequenceError, UsageError
from spec.protocol.constants import Capability as C
from spec.protocol.constants import ServerStatus as S
from tests.client.replay import replay


def drain(conn: Connection, data: bytes, *, byte_at_a_time: bool = False) -> list:
    chunks = [data[i:i + 1] for i in range(len(data))] if byte_at_a_time else [data]
    events = []
    for chunk in chunks:
        conn.receive_data(chunk)
        while (event := conn.next_event()) is not NEED_DATA:
            events.append(event)
    return events


def logged_in(capabilities: int = DEFAULT_CLIENT_CAPABILITIES) -> tuple[Connection, Connection]:
    client, server = Connection(CLIENT), Connection(SERVER)
    greeting = Handshake.of()
    [received] = drain(client, server.send(greeting))
    flow = LoginFlow("repl", "secret", tls="disabled", capabilities=capabilities)
    [login] = drain(server, b"".join(client.send(e) for e in flow.on_handshake(received)))
    assert isinstance(login, HandshakeResponse)
    assert verify_native_password(greeting.scramble, login.packet.auth_response,
                                  native_password_hash(b"secret"))
    [ok] = drain(client, server.send(Ok.of()))
    assert isinstance(ok, Ok) and client.state is server.state is State.COMMAND
    return client, server


def result_set(server: Connection, rows: list[list]) -> bytes:
    out = server.send(ColumnCount.of(2))
    out += server.send(ColumnDefinition.of("id")) + server.send(ColumnDefinition.of("name"))
    if not server.capabilities & C.CLIENT_DEPRECATE_EOF:
        out += server.send(ColumnsEnd.of())
    for row in rows:
        out += server.send(Row.of(row))
    return out + server.send(ResultSetEnd.of())


@pytest.mark.parametrize("deprecate_eof", [True, False])
def test_query_result_set_both_eof_styles(deprecate_eof):
    caps = DEFAULT_CLIENT_CAPABILITIES
    caps = caps if deprecate_eof else caps & ~C.CLIENT_DEPRECATE_EOF
    client, server = logged_in(caps)
    [command] = drain(server, client.send(Command.query("SELECT id, name FROM t")))
    assert command.packet.query == "SELECT id, name FROM t" and server.state is State.RESPONSE
    events = drain(client, result_set(server, [[1, "a"], [2, None], ["", b"\xff"]]))
    kinds = [type(e).__name__ for e in events]
    expected = ["ColumnCount", "ColumnDefinition", "ColumnDefinition"]
    expected += [] if deprecate_eof else ["ColumnsEnd"]
    assert kinds == expected + ["Row", "Row", "Row", "ResultSetEnd"]
    assert [e.values for e in events if isinstance(e, Row)] == [
        [b"1", b"a"], [b"2", None], [b"", b"\xff"]]  # a row opening with 0x00 is a row
    assert client.state is server.state is State.COMMAND


def test_every_received_event_is_sent_again_byte_exact_by_the_opposite_role():
    client, server = Connection(CLIENT), Connection(SERVER)
    chunks = []

    def say(sender: Connection, receiver: Connection, event) -> list:
        data = sender.send(event)
        chunks.append(("server" if sender is server else "client", data))
        return drain(receiver, data)

    [greeting] = say(server, client, Handshake.of())
    flow = LoginFlow("repl", "secret", tls="disabled")
    for event in flow.on_handshake(greeting):
        say(client, server, event)
    say(server, client, Ok.of(info="welcome"))
    say(client, server, Command.query("SELECT id, name FROM t"))
    for event in [ColumnCount.of(2), ColumnDefinition.of("id"), ColumnDefinition.of("name"),
                  Row.of([1, None]), ResultSetEnd.of()]:
        say(server, client, event)
    say(client, server, Command.binlog_dump(server_id=3, binlog_filename="b.000001", flags=1))
    say(server, client, BinlogPacket(event=bytes(30)))
    say(server, client, EndOfStream.of())
    result = replay(chunks)
    assert result["rebuilt"] == result["captured"]
    assert len(result["events"]) == 12


def test_fed_one_byte_at_a_time():
    client, server = logged_in()
    drain(server, client.send(Command.query("SELECT 1")))
    events = drain(client, result_set(server, [[1, "a"]]), byte_at_a_time=True)
    assert [type(e).__name__ for e in events][-2:] == ["Row", "ResultSetEnd"]


def test_multi_results_loop_until_no_more_results():
    client, server = logged_in()
    drain(server, client.send(Command.query("CALL p()")))
    out = server.send(Ok.of(status_flags=S.SERVER_STATUS_AUTOCOMMIT | S.SERVER_MORE_RESULTS_EXISTS))
    assert server.state is State.RESPONSE
    out += server.send(Ok.of(affected_rows=3))
    events = drain(client, out)
    assert [e.affected_rows for e in events] == [0, 3] and client.state is State.COMMAND


def test_err_ends_a_result_set_midway():
    client, server = logged_in()
    drain(server, client.send(Command.query("SELECT SLEEP(10)")))
    out = server.send(ColumnCount.of(1)) + server.send(ColumnDefinition.of("s"))
    out += server.send(Row.of([0])) + server.send(Err.of(1317, "Query execution was interrupted"))
    *_, err = drain(client, out)
    assert isinstance(err, Err) and err.code == 1317 and err.sql_state == "HY000"
    assert client.state is State.COMMAND


def test_out_of_order_sequence_id_is_a_protocol_error_naming_state_and_field():
    client, server = logged_in()
    drain(server, client.send(Command.query("SELECT 1")))
    data = bytearray(server.send(Ok.of()))
    data[3] = 7  # sequence id 7, expected 1
    client.receive_data(bytes(data))
    with pytest.raises(SequenceError) as info:
        client.next_event()
    error = info.value
    assert isinstance(error, DecodeError)
    assert error.state == "RESPONSE" and error.field == "sequence_id" and error.offset is not None
    assert "expected 1" in str(error)
    assert client.state is State.ERROR
    with pytest.raises(SequenceError):  # the connection stays dead
        client.next_event()


def test_a_packet_the_state_does_not_allow_is_a_protocol_error():
    client = Connection(CLIENT)
    client.receive_data(b"\x02\x00\x00\x00\x42\x42")
    with pytest.raises(ProtocolError, match="expected Err or Handshake") as info:
        client.next_event()
    assert info.value.state == "GREETING"


def test_a_malformed_field_names_the_packet_and_the_field():
    client = Connection(CLIENT)
    server = Connection(SERVER)
    greeting = server.send(Handshake.of())
    cut = greeting[4:4 + 30]  # the greeting stops inside its fixed fields
    client.receive_data(len(cut).to_bytes(3, "little") + b"\x00" + cut)
    with pytest.raises(ProtocolError) as info:
        client.next_event()
    assert info.value.packet == "Handshake" and info.value.field


def test_input_ending_inside_a_packet():
    client = Connection(CLIENT)
    client.receive_data(b"\x10\x00\x00\x00\x0a\x35")
    client.receive_data(b"")
    with pytest.raises(ProtocolError, match="ends inside a packet"):
        client.next_event()


def test_peer_closing_is_an_event_unclean_when_the_peer_owed_an_answer():
    client, server = logged_in()
    drain(server, client.send(Command.query("SELECT 1")))
    client.receive_data(b"")
    closed = client.next_event()
    assert isinstance(closed, ConnectionClosed) and not closed.clean


def test_sending_out_of_turn_is_a_usage_error_and_changes_nothing():
    client = Connection(CLIENT)
    with pytest.raises(UsageError, match="cannot send Command in state GREETING"):
        client.send(Command.ping())
    assert client.state is State.GREETING
    server = Connection(SERVER)
    with pytest.raises(UsageError):
        server.send(Command.ping())  # a server never sends commands


def test_client_refuses_a_command_whose_reply_is_not_modelled():
    client, _ = logged_in()
    statistics = Command(packet={"command": 0x09})
    with pytest.raises(UsageError, match="not modelled"):
        client.send(statistics)
    assert client.state is State.COMMAND
    client.send(Command.ping())  # still usable


def test_server_role_accepts_any_command_and_expects_ok_or_err():
    client, server = logged_in()
    server.receive_data(b"\x01\x00\x00\x00\x09")  # COM_STATISTICS
    command = server.next_event()
    assert command.name == "COM_STATISTICS" and server.state is State.SIMPLE
    server.send(Err.of(1047, "Unknown command"))
    assert server.state is State.COMMAND


# -- the binlog stream ---------------------------------------------------------------------


def dumping(flags: int = 0) -> tuple[Connection, Connection]:
    client, server = logged_in()
    [dump] = drain(server, client.send(Command.binlog_dump(server_id=9, binlog_filename="b.1",
                                                            binlog_pos=4, flags=flags)))
    assert dump.packet.server_id == 9 and client.state is server.state is State.STREAM
    return client, server


def test_binlog_stream_then_end_of_stream_closes():
    client, server = dumping(flags=1)
    out = server.send(BinlogPacket(event=b"\x00" * 19)) + server.send(EndOfStream.of())
    packet, end = drain(client, out)
    assert packet.event == b"\x00" * 19 and packet.semi_sync_flags is None
    assert isinstance(end, EndOfStream) and client.state is State.CLOSED


def test_end_of_stream_is_a_classic_eof_even_under_deprecate_eof():
    client, server = dumping(flags=1)
    assert client.capabilities & C.CLIENT_DEPRECATE_EOF
    [end] = drain(client, server.send(EndOfStream.of()))
    assert end.payload == b"\xfe\x00\x00\x02\x00"
    assert "affected_rows" not in end.packet


def test_err_mid_stream():
    client, server = dumping()
    out = server.send(BinlogPacket(event=b"e1")) + server.send(
        Err.of(1236, "could not find next log", "HY000"))
    _, err = drain(client, out)
    assert err.code == 1236 and client.state is State.CLOSED


def test_semi_sync_ack_resets_the_sequence_both_ways():
    client, server = dumping()
    client.semi_sync = "auto"
    rotate = server.send(BinlogPacket(event=bytes(19), semi_sync_flags=0))
    xid = server.send(BinlogPacket(event=b"\x01" * 19, semi_sync_flags=1))
    assert xid[3] == 2
    first, second = drain(client, rotate + xid)
    assert client.semi_sync is True and first.semi_sync_flags == 0 and second.ack_requested
    ack = client.send(SemiSyncAck.of("b.1", 1234))
    assert ack[3] == 0  # an ACK always has sequence id 0
    [received] = drain(server, ack)
    assert received.packet.binlog_pos == 1234 and received.packet.binlog_filename == "b.1"
    following = server.send(BinlogPacket(event=b"\x02" * 19, semi_sync_flags=0))
    assert following[3] == 1  # the source counts from 1 after an ACK request
    [third] = drain(client, following)
    assert third.event == b"\x02" * 19


def test_semi_sync_header_missing_is_a_protocol_error():
    client, server = dumping()
    client.semi_sync = True
    client.receive_data(server.send(BinlogPacket(event=b"\x00" * 19)))
    with pytest.raises(ProtocolError, match="semi-sync header") as info:
        client.next_event()
    assert info.value.field == "semi_sync_flags"


def test_an_ack_with_a_nonzero_sequence_id_is_refused():
    client, server = dumping()
    data = bytearray(client.send(SemiSyncAck.of("b.1", 4)))
    data[3] = 3
    server.receive_data(bytes(data))
    with pytest.raises(SequenceError):
        server.next_event()


def test_an_event_over_16_mib_travels_in_several_packets():
    client, server = dumping()
    event = bytes(range(256)) * (0x1000000 // 256 + 10)
    data = server.send(BinlogPacket(event=event))
    assert data[3] == 1 and data[4 + 0xFFFFFF + 3] == 2  # two packets, ids 1 and 2
    [packet] = drain(client, data)
    assert packet.event == event
    [nxt] = drain(client, server.send(BinlogPacket(event=b"x")))
    assert nxt.event == b"x"
