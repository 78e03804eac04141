"""The client and the binlog stream against real servers (MySQL 9.7, MariaDB 10.11, 11.8).

Each test takes the session's server (started once, see conformance.servers.pytest_plugin)
and sets the options it needs; servers that cannot run here skip (fail on CI).
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
import zlib

import pytest

from conformance.servers import Server, ServerError
from mysqlproto.aio import AsyncBinlogStream, AsyncClient
from mysqlproto.binlog import read_binlog
from mysqlproto.client import BinlogStream, Client, RetryPolicy, is_artificial
from mysqlproto.connection import BinlogPacket, EndOfStream
from mysqlproto.errors import ConnectionLost
from mysqlproto.errors import ServerError as ProtoServerError
from mysqlproto.gtid import GtidSet, MariaGtidList
from spec.protocol.replication import BinlogNetworkPacket
from tests.client.replay import replay

pytestmark = pytest.mark.realserver

NAMES = ["mysql-9.7", "mariadb-10.11", "mariadb-11.8"]
IN_USE = 0x01  # LOG_EVENT_BINLOG_IN_USE_F


def base_options(server: Server) -> dict:
    if server.flavour == "mysql":
        return {"gtid_mode": "ON", "enforce_gtid_consistency": "ON"}
    return {}


def ensure_options(server: Server, options: dict) -> None:
    if server.options != options:
        server.configure(options)


@pytest.fixture(params=NAMES, scope="module")
def server(request, server_pool) -> Server:
    server = server_pool.get(request.param)
    ensure_options(server, base_options(server))
    return server


def client_for(server: Server, **options) -> Client:
    return Client(server.host, server.port, server.user, server.password, **options).connect()


def stream_for(server: Server, **options) -> BinlogStream:
    return BinlogStream(host=server.host, port=server.port, user=server.user,
                        password=server.password, **options)


def workload(server: Server, *, rotate: bool = True) -> None:
    """A few hundred rows over several transactions, FLUSH BINARY LOGS halfway."""
    with client_for(server) as c:
        c.query("CREATE DATABASE wl")
        c.query("CREATE TABLE wl.t (id INT PRIMARY KEY, v VARCHAR(40), n INT, d DATETIME(3))")
        row = 0
        for batch in range(6):
            c.query("BEGIN")
            for _ in range(5):
                values = ",".join(f"({row + i}, 'v{row + i}', {i}, NOW(3))" for i in range(10))
                c.query(f"INSERT INTO wl.t VALUES {values}")
                row += 10
            c.query("COMMIT")
            if rotate and batch == 2:
                c.query("FLUSH BINARY LOGS")
        c.query("UPDATE wl.t SET n = n + 1, v = NULL WHERE id % 7 = 0")
        c.query("DELETE FROM wl.t WHERE id % 11 = 0")


def file_events(server: Server) -> list[tuple[str, bytes]]:
    out = []
    for path in server.binlog_files():
        for event in read_binlog(path, keep_raw=True):
            out.append((path.name, _normal_fde(event.raw)))
    return out


def _normal_fde(raw: bytes) -> bytes:
    """The sender clears LOG_EVENT_BINLOG_IN_USE_F of the FDE it sends (the CRC is
    computed with it clear, so it still matches): compare FDEs with it clear."""
    if raw[4] == 15 and raw[17] & IN_USE:
        raw = raw[:17] + bytes((raw[17] & ~IN_USE,)) + raw[18:]
    return raw


def _fde_as_resent(raw: bytes) -> bytes:
    """An FDE as a sender resends it when the dump does not start at its file's first
    event: ``log_pos`` and ``created`` zeroed, the CRC computed again (MySQL
    ``Binlog_sender::send_format_description_event``, MariaDB
    ``send_format_descriptor_event``)."""
    event = bytearray(raw)
    event[13:17] = bytes(4)
    event[19 + 52:19 + 56] = bytes(4)
    if raw[-5] == 1:  # checksum_alg CRC32
        event[-4:] = (zlib.crc32(bytes(event[:-4])) & 0xFFFFFFFF).to_bytes(4, "little")
    return bytes(event)


def streamed_events(stream: BinlogStream) -> list[tuple[str, bytes]]:
    out = []
    for event in stream:
        if not is_artificial(event):
            out.append((stream.file, _normal_fde(event.raw)))
    return out


#: Bookkeeping events a dump positioned by GTID may leave out or replace by an artificial
#: one: MariaDB 11 starts at the GTID's offset found in its GTID index (so the file's
#: GTID_LIST is replaced by an artificial one, the FDE resent with log_pos 0).
SKIPPABLE_BY_GTID = {35, 161, 163}  # PREVIOUS_GTIDS, BINLOG_CHECKPOINT, GTID_LIST


def assert_same_as_files(server: Server, streamed: list[tuple[str, bytes]],
                         by_gtid: bool = False) -> None:
    files = file_events(server)
    if not by_gtid:
        assert streamed == files[:len(streamed)]
        rest = files[len(streamed):]
    else:
        index = 0
        for file, raw in streamed:
            while True:
                assert index < len(files), f"{file} event {raw[:19].hex()} not in the files"
                expected_file, expected = files[index]
                index += 1
                if raw[4] == 15 and raw[13:17] == bytes(4):
                    expected = _fde_as_resent(expected)
                if (expected_file, expected) == (file, raw):
                    break
                assert expected[4] in SKIPPABLE_BY_GTID, (expected_file, expected[:19].hex())
        rest = files[index:]
    # MariaDB writes BINLOG_CHECKPOINT events asynchronously after commits
    assert all(raw[4] == 161 for _, raw in rest), rest
    assert len({file for file, _ in streamed}) >= 2  # FLUSH BINARY LOGS rotated


def test_stream_by_position_and_by_gtid_equals_the_binlog_files(server):
    server.reset()
    workload(server)
    time.sleep(0.2)
    by_pos = streamed_events(stream_for(server, until_end=True, keep_raw=True))
    assert_same_as_files(server, by_pos)
    by_gtid = streamed_events(stream_for(server, until_end=True, keep_raw=True, gtid=""))
    assert_same_as_files(server, by_gtid, by_gtid=True)


def test_stream_with_checksums_off_equals_the_binlog_files(server):
    ensure_options(server, {**base_options(server), "binlog_checksum": "NONE"})
    try:
        server.reset()
        workload(server)
        time.sleep(0.2)
        stream = stream_for(server, until_end=True, keep_raw=True, gtid="")
        events = streamed_events(stream)
        assert_same_as_files(server, events, by_gtid=True)
        assert stream.tracker._reader.context.checksum_alg == 0
        assert_same_as_files(server, streamed_events(stream_for(server, until_end=True,
                                                                keep_raw=True)))
    finally:
        ensure_options(server, base_options(server))


def test_asyncio_stream_and_client(server):
    server.reset()
    workload(server, rotate=False)

    async def run():
        async with AsyncClient(server.host, server.port, server.user, server.password) as c:
            count = (await c.query("SELECT COUNT(*) FROM wl.t")).scalar()
        events = []
        async with AsyncBinlogStream(host=server.host, port=server.port, user=server.user,
                                     password=server.password, until_end=True) as stream:
            async for event in stream:
                events.append(event)
        return count, events

    count, events = asyncio.run(run())
    blocking = list(stream_for(server, until_end=True))
    assert int(count) > 200
    assert [(e.name, e.offset, e.checksum) for e in events] == [
        (e.name, e.offset, e.checksum) for e in blocking]


def test_heartbeats_arrive_when_idle(server):
    versions = [False, True] if server.flavour == "mysql" else [False]
    for v2 in versions:
        stream = stream_for(server, heartbeat=0.2, heartbeat_v2=v2)
        beats, started = [], time.monotonic()
        for event in stream:
            if event.type_code in (27, 41):
                beats.append(event)
                if len(beats) == 2:
                    break
            assert time.monotonic() - started < 10
        stream.close()
        assert {e.name for e in beats} == {"HEARTBEAT_LOG_EVENT_V2" if v2 else "HEARTBEAT_LOG_EVENT"}
        assert all(is_artificial(e) and e.offset is None for e in beats)


def test_semi_sync_acks(server):
    with client_for(server) as admin:
        if server.flavour == "mysql":
            installed = admin.query("SELECT COUNT(*) FROM information_schema.plugins "
                                    "WHERE plugin_name = 'rpl_semi_sync_source'").scalar()
            if installed == "0":
                try:
                    admin.query("INSTALL PLUGIN rpl_semi_sync_source SONAME 'semisync_source.so'")
                except ProtoServerError as exc:
                    pytest.skip(f"{server.name}: semisync_source.so does not load: {exc}")
            prefix, enable = "Rpl_semi_sync_source", "rpl_semi_sync_source"
        else:
            prefix, enable = "Rpl_semi_sync_master", "rpl_semi_sync_master"
        # Before enabling: with no semi-sync replica yet, a commit would wait the whole
        # timeout (rpl_semi_sync_*_wait_no_slave / wait_for_replica_count).
        admin.query("CREATE DATABASE IF NOT EXISTS semi")
        admin.query("CREATE TABLE IF NOT EXISTS semi.t (id INT AUTO_INCREMENT PRIMARY KEY)")
        admin.query(f"SET GLOBAL {enable}_timeout = 5000")
        admin.query(f"SET GLOBAL {enable}_enabled = 1")
        try:

            def status() -> dict:
                return {k: int(v) for k, v in admin.query(
                    f"SHOW GLOBAL STATUS LIKE '{prefix}_%tx'").rows}

            stream = stream_for(server, semi_sync=True, heartbeat=0.5)
            thread = threading.Thread(target=lambda: [None for _ in stream], daemon=True)
            thread.start()
            deadline = time.monotonic() + 10
            while int(admin.query(f"SHOW GLOBAL STATUS LIKE '{prefix}_clients'").rows[0][1]) < 1:
                assert time.monotonic() < deadline, "the stream never registered as semi-sync"
                time.sleep(0.05)
            before = status()
            started = time.monotonic()
            for _ in range(3):
                admin.query("INSERT INTO semi.t VALUES ()")
            elapsed = time.monotonic() - started
            after = status()
            stream.close()
            thread.join(5)
        finally:
            admin.query(f"SET GLOBAL {enable}_enabled = 0")
    assert after[f"{prefix}_yes_tx"] - before[f"{prefix}_yes_tx"] == 3
    assert after[f"{prefix}_no_tx"] == before[f"{prefix}_no_tx"]
    assert elapsed < 4 and stream.acks_sent >= 3


def test_captured_sessions_round_trip_byte_exact(server):
    server.reset()
    with client_for(server) as c:
        c.query("CREATE DATABASE cap")
        c.query("CREATE TABLE cap.t (id INT PRIMARY KEY, s VARCHAR(10), b BLOB, f DOUBLE)")
        c.query("INSERT INTO cap.t VALUES (1, 'x', NULL, 1.5), (2, '', x'00ff', NULL)")
    chunks: list[tuple[str, bytes]] = []
    recorder = lambda direction, data: chunks.append((direction, data))  # noqa: E731
    with client_for(server, recorder=recorder) as c:
        c.query("SELECT * FROM cap.t ORDER BY id")
        c.query("SHOW VARIABLES LIKE 'binlog%'")
        c.query("SET @x = 1")
        with pytest.raises(ProtoServerError):
            c.query("SELEC 1")
        c.ping()
    sessions = [chunks[:]]
    chunks.clear()
    list(stream_for(server, until_end=True, recorder=recorder, heartbeat=1.0))
    sessions.append(chunks[:])
    for session in sessions:
        result = replay(session)
        assert result["rebuilt"] == result["captured"]
        client = result["client"]
        for event in result["events"]:
            if isinstance(event, BinlogPacket):
                schema_value = BinlogNetworkPacket.parse(
                    event.payload, capabilities=client.capabilities,
                    semi_sync=event.semi_sync_flags is not None)
                assert BinlogNetworkPacket.build(schema_value, capabilities=client.capabilities,
                                                 semi_sync=event.semi_sync_flags is not None
                                                 ) == event.payload
        kinds = {type(e).__name__ for e in result["events"]}
        assert {"Handshake", "HandshakeResponse", "Ok"} <= kinds
    assert {"Row", "ColumnDefinition", "Err"} <= {type(e).__name__ for e in
                                                  replay(sessions[0])["events"]}
    stream_events = replay(sessions[1])["events"]
    assert sum(isinstance(e, BinlogPacket) for e in stream_events) > 5
    assert isinstance(stream_events[-1], EndOfStream)


def test_restart_mid_workload_loses_and_repeats_nothing(server):
    server.reset()
    by_gtid = server.name != "mariadb-10.11"
    with client_for(server) as c:
        c.query("CREATE DATABASE rt")
        c.query("CREATE TABLE rt.t (id INT PRIMARY KEY)")

    def address():
        return server.host, server.port  # raises while the server is down: retried

    stream = BinlogStream(address=address, user=server.user, password=server.password,
                          heartbeat=0.5, gtid="" if by_gtid else None,
                          retry=RetryPolicy(max_retries=100, initial_delay=0.1, max_delay=1.0))
    seen: list = []
    failure: list = []

    def consume():
        try:
            for event in stream:
                seen.append(event)
        except Exception as exc:  # reported by the test
            failure.append(exc)

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    marker = re.compile(r"/\* txn (\d+) \*/")

    def markers() -> list[int]:
        return [int(m.group(1)) for e in list(seen) if e.type_code in (29, 160)
                for m in [marker.search(str(e.body.query))] if m]

    def commit(numbers) -> None:
        with client_for(server) as c:
            if server.flavour == "mysql":
                c.query("SET SESSION binlog_rows_query_log_events = ON")
            for k in numbers:
                c.query(f"INSERT INTO rt.t VALUES ({k}) /* txn {k} */")

    def wait_for(count: int) -> None:
        deadline = time.monotonic() + 90
        while len(markers()) < count and not failure:
            assert time.monotonic() < deadline, f"only {markers()} after 90 s"
            time.sleep(0.05)

    try:
        commit(range(1, 21))
        wait_for(5)
        server.restart()
        commit(range(21, 41))
        wait_for(40)
    finally:
        stream.close()
        thread.join(10)
    assert not failure, failure
    assert markers() == list(range(1, 41))  # each committed transaction once, in order
    assert stream.reconnects >= 1
    gtid_events = [e for e in seen if e.type_code in (33, 162)]
    keys = [(str(e.body.sid), e.body.gno) if e.type_code == 33
            else (e.body.domain_id, e.body.seq_no) for e in gtid_events]
    assert len(keys) == len(set(keys))
    assert isinstance(stream.position.gtids, GtidSet if server.flavour == "mysql" else MariaGtidList)


# -- authentication ---------------------------------------------------------------------------


def _create_user(admin: Client, server: Server, name: str, plugin: str, password: str) -> None:
    admin.query(f"DROP USER IF EXISTS '{name}'@'127.0.0.1'")
    if server.flavour == "mysql":
        admin.query(f"CREATE USER '{name}'@'127.0.0.1' IDENTIFIED WITH {plugin} BY '{password}'")
    else:
        admin.query(f"CREATE USER '{name}'@'127.0.0.1' IDENTIFIED VIA {plugin} "
                    f"USING PASSWORD('{password}')")


def _install(server: Server, soname: str) -> str | None:
    """INSTALL SONAME on a connection of its own: MariaDB 11.8 may drop the connection
    that installs auth_mysql_sha2 ("failed to read private_key.pem" in its error log)."""
    try:
        with client_for(server) as c:
            c.query(f"INSTALL SONAME '{soname}'")
    except ProtoServerError as exc:
        if exc.code != 1968:  # ER_PLUGIN_INSTALLED
            return str(exc)
    except ConnectionLost:
        pass
    return None


def login(server: Server, user: str, password: str, **options) -> Client:
    c = Client(server.host, server.port, user, password, **options).connect()
    c.query("SELECT 1")
    return c


def test_auth_plugins(server):
    checked = []
    with client_for(server) as admin:
        if server.flavour == "mysql":
            _create_user(admin, server, "u_rsa", "caching_sha2_password", "pw-rsa")
            with login(server, "u_rsa", "pw-rsa", tls="disabled") as c:  # cold cache: RSA
                assert c.login.plugin.full_auth and c.login.plugin.used_rsa
            with login(server, "u_rsa", "pw-rsa", tls="disabled") as c:  # cached: fast path
                assert not c.login.plugin.full_auth
            _create_user(admin, server, "u_tls", "caching_sha2_password", "pw-tls")
            with login(server, "u_tls", "pw-tls", tls="required") as c:
                assert c.tls_active and c.login.plugin.full_auth and not c.login.plugin.used_rsa
            checked.append("caching_sha2_password")
            try:
                _create_user(admin, server, "u_s256", "sha256_password", "pw-256")
            except ProtoServerError as exc:
                pytest.skip(f"sha256_password unavailable on {server.name}: {exc}")
            with login(server, "u_s256", "pw-256", tls="disabled") as c:
                assert c.login.plugins_used[-1] == "sha256_password" and c.login.plugin.used_rsa
            with login(server, "u_s256", "pw-256", tls="required") as c:
                assert not c.login.plugin.used_rsa
            checked.append("sha256_password")
        else:
            with login(server, server.user, server.password, tls="disabled") as c:
                assert c.login.plugins_used == ["mysql_native_password"]
            checked.append("mysql_native_password")
            problem = _install(server, "auth_ed25519")
            if problem is None:
                _create_user(admin, server, "u_ed", "ed25519", "pw-ed")
                with login(server, "u_ed", "pw-ed", tls="disabled") as c:
                    assert c.login.plugins_used[-1] == "client_ed25519"
                checked.append("client_ed25519")
            if server.name == "mariadb-11.8" and _install(server, "auth_mysql_sha2") is None:
                # MariaDB's caching_sha2_password asks for the full path at every login
                # here, and no RSA key pair is set up for it: the password goes over TLS.
                _create_user(admin, server, "u_sha2", "caching_sha2_password", "pw-sha2")
                with login(server, "u_sha2", "pw-sha2", tls="required") as c:
                    assert c.login.plugins_used[-1] == "caching_sha2_password"
                    assert c.login.plugin.full_auth and not c.login.plugin.used_rsa
                checked.append("caching_sha2_password")
        with pytest.raises(ProtoServerError) as info:
            login(server, server.user, "wrong password")
        assert info.value.code == 1045
    assert checked


def test_cli_stream_against_the_server(server, capsys):
    from mysqlproto import cli

    server.reset()
    workload(server, rotate=False)
    dsn = f"mysql://{server.user}:{server.password}@{server.host}:{server.port}"
    assert cli.main(["stream", "--dsn", dsn, "--until-end", "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    import json

    records = [json.loads(line) for line in lines]
    assert records[0]["type"] == "ROTATE_EVENT"
    rows = [r for r in records if r.get("rows")]
    assert rows and rows[0]["table"] == "t"


def test_server_error_message_for_a_bad_start_position(server):
    stream = stream_for(server, until_end=True, file="no-such-binlog.000042", pos=4,
                        retry=RetryPolicy(max_retries=0))
    with pytest.raises(ProtoServerError) as info:
        list(stream)
    assert info.value.code == 1236 and info.value.phase == "binlog dump"


__all__ = ["ServerError"]
