"""mysqlproto.schema against real servers: what the table map lacks, fetched from
information_schema, makes the rows decode to what SELECT returns.

- MariaDB 11.8, a table created under `mysql56_temporal_format=OFF`: its DATETIME(3),
  TIME(6) and TIMESTAMP(2) columns are written under the old type codes with no
  precision, and its UUID as BINARY(16).
- MySQL 9.7 under `binlog_row_metadata=MINIMAL`: no column names, no ENUM/SET strings.

Both variables are dynamic: each test sets it for the table it creates and puts it
back, so the session's servers are not restarted.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path

import pytest

from conformance.servers import Server
from mysqlproto import cli
from mysqlproto.binlog import read_binlog
from mysqlproto.client import Client
from mysqlproto.errors import DecodeError
from mysqlproto.jsonout import event_to_json
from mysqlproto.rows import TableMapTracker, is_rows_event, row_change_to_json
from mysqlproto.schema import server_catalog

pytestmark = pytest.mark.realserver


def client_for(server: Server) -> Client:
    return Client(server.host, server.port, server.user, server.password).connect()


@contextmanager
def global_variable(client: Client, name: str, value: str) -> Iterator[None]:
    before = client.query(f"SELECT @@GLOBAL.{name}").scalar()
    client.query(f"SET GLOBAL {name} = {value}")
    try:
        yield
    finally:
        client.query(f"SET GLOBAL {name} = {before if before.isdigit() else repr(before)}")


def decoded_rows(server: Server, tracker: TableMapTracker, table: str) -> list[dict]:
    """The after images of the WRITE rows events of `table`, as `dump --json` shows them."""
    out = []
    for path in server.binlog_files():
        for event in read_binlog(path):
            tracker.observe(event)
            if is_rows_event(event):
                info = tracker.table_for(event)
                if info is not None and info.table == table:
                    out += [row_change_to_json(change, info)["after"]
                            for change in tracker.decode(event)]
    return out


def selected(client: Client, sql: str) -> list[dict]:
    result = client.query(sql)
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def dump_rows(*argv: str) -> list[dict]:
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(list(argv)) == 0
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    return [change["after"] for record in records if record.get("rows")
            for change in record["rows"]]


def binlog_events(server: Server) -> list:
    return [event for path in server.binlog_files() for event in read_binlog(path)]


def test_mysql_ddl_while_streaming_is_noticed(mysql_97: Server) -> None:
    # MINIMAL metadata; a renamed column and reordered ENUM members keep the column count
    # and types: only the ALTER TABLE in the stream tells the catalog to ask again.
    server = mysql_97
    server.reset()
    with client_for(server) as c:
        c.query("CREATE DATABASE sd")
        c.query("CREATE TABLE sd.t (id INT PRIMARY KEY, e ENUM('a','b'), v INT)")
        with global_variable(c, "binlog_row_metadata", "'MINIMAL'"):
            with client_for(server) as writer:
                writer.query("INSERT INTO sd.t VALUES (1, 'b', 10)")
                catalog = server_catalog(c)
                tracked = TableMapTracker(enrich=catalog)  # shown the QUERY events
                # a bare hook is not: what not noticing DDL gives
                blind = TableMapTracker(enrich=server_catalog(c).enrich)

                def decode(events) -> tuple[list[dict], list[dict]]:
                    out: tuple[list[dict], list[dict]] = ([], [])
                    for event in events:
                        for tracker, rows in zip((tracked, blind), out, strict=True):
                            tracker.observe(event)
                            if is_rows_event(event):
                                info = tracker.table_for(event)
                                rows += [row_change_to_json(change, info)["after"]
                                         for change in tracker.decode(event)]
                    return out

                first = binlog_events(server)
                before = decode(first)
                writer.query("ALTER TABLE sd.t RENAME COLUMN v TO w,"
                             " MODIFY e ENUM('c','a','b')")
                writer.query("INSERT INTO sd.t VALUES (2, 'c', 20)")
                after = decode(binlog_events(server)[len(first):])
        assert before[0] == before[1] == [{"id": 1, "e": "b", "v": 10}]
        assert after[0] == [{"id": 2, "e": "c", "w": 20}]
        assert selected(c, "SELECT * FROM sd.t WHERE id = 2") == [
            {"id": "2", "e": "c", "w": "20"}]
        assert after[1] == [{"id": 2, "e": "a", "v": 20}]  # what not noticing gives
        assert catalog.fetches == 2


# -- MariaDB: old-format hires temporals and UUID -------------------------------------------

HIRES_ROWS = [
    "(1, '2024-02-29 23:59:59.123', '-05:00:00.123456', '2024-01-01 12:00:00.12',"
    " 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6')",
    "(2, '1999-12-31 00:00:00.001', '838:59:59.999999', NULL, '00000000-0000-0000-0000-000000000001')",
    "(3, NULL, '00:00:00.000001', '2038-01-19 03:14:07.99', NULL)",
]


@pytest.fixture(scope="module")
def mariadb_hires(mariadb_118: Server) -> Server:
    """MariaDB 11.8 with `sh.hires` created under mysql56_temporal_format=OFF, rows in."""
    server = mariadb_118
    server.reset()
    with client_for(server) as c:
        c.query("SET time_zone = '+00:00'")
        c.query("CREATE DATABASE sh")
        with global_variable(c, "mysql56_temporal_format", "OFF"):
            c.query("CREATE TABLE sh.hires (id INT PRIMARY KEY, dt DATETIME(3), tm TIME(6),"
                    " ts TIMESTAMP(2) NULL, u UUID)")
        c.query(f"INSERT INTO sh.hires VALUES {', '.join(HIRES_ROWS)}")
    return server


def hires_select(server: Server) -> list[dict]:
    with client_for(server) as c:
        c.query("SET time_zone = '+00:00'")
        rows = selected(c, "SELECT * FROM sh.hires ORDER BY id")
    return [{key: int(value) if key == "id" else value for key, value in row.items()}
            for row in rows]


def test_mariadb_hires_temporals_decode_with_the_servers_definitions(mariadb_hires) -> None:
    server = mariadb_hires
    with client_for(server) as schema_client:
        catalog = server_catalog(schema_client)
        rows = decoded_rows(server, TableMapTracker(enrich=catalog.enrich), "hires")
    assert rows == hires_select(server)
    assert rows[0]["dt"] == "2024-02-29 23:59:59.123"  # DATETIME(3): three digits
    table = catalog.get("sh", "hires")
    assert [column.fsp for column in table.columns] == [0, 3, 6, 2, 0]


def test_mariadb_hires_temporals_without_definitions_are_a_decode_error(mariadb_hires) -> None:
    tracker = TableMapTracker()
    with pytest.raises(DecodeError, match=r"row \d+ \(after image\), column"):
        decoded_rows(mariadb_hires, tracker, "hires")
    # dump --json reports it on the event and goes on
    tracker = TableMapTracker()
    errors = []
    for path in mariadb_hires.binlog_files():
        for event in read_binlog(path):
            record = event_to_json(event, tracker)
            if record.get("table") == "hires" and "rows" in record:
                errors.append((record["rows"], record.get("rows_error")))
    assert errors and all(rows is None and "column" in error for rows, error in errors)


def test_dump_and_stream_complete_the_table_maps_from_the_server(
        mariadb_hires, tmp_path: Path) -> None:
    server = mariadb_hires
    expected = hires_select(server)
    paths = [str(path) for path in server.binlog_files()]
    assert dump_rows("dump", "--json", *paths, "--schema-from", server.dsn) == expected
    saved = tmp_path / "sh.json"
    with redirect_stdout(io.StringIO()):
        assert cli.main(["schema", server.dsn, "--database", "sh", "-o", str(saved)]) == 0
    assert [table["table"] for table in json.loads(saved.read_text())["tables"]] == ["hires"]
    assert dump_rows("dump", "--json", *paths, "--schema", str(saved)) == expected
    streamed = dump_rows("stream", "--dsn", server.dsn, "--json", "--until-end",
                         "--server-schema")
    assert streamed == expected


# -- MySQL: binlog_row_metadata=MINIMAL ----------------------------------------------------------


def test_mysql_minimal_metadata_gets_names_and_member_strings(mysql_97: Server) -> None:
    server = mysql_97
    server.reset()
    with client_for(server) as c:
        c.query("CREATE DATABASE sm")
        c.query("CREATE TABLE sm.t (id INT UNSIGNED PRIMARY KEY, big BIGINT UNSIGNED,"
                " name VARCHAR(20) CHARACTER SET utf8mb4, code CHAR(3) CHARACTER SET latin1,"
                " e ENUM('a','it''s','back\\\\slash') CHARACTER SET utf8mb4,"
                " wide ENUM('x','\U0001f600') CHARACTER SET utf8mb4,"
                " s SET('x','y''z','w'))")
        with global_variable(c, "binlog_row_metadata", "'MINIMAL'"):
            with client_for(server) as writer:
                writer.query(
                    "INSERT INTO sm.t VALUES"
                    " (4000000000, 18446744073709551615, 'h\u00e9llo \U0001f600', '\u00e7a',"
                    "  'it''s', '\U0001f600', 'x,y''z'),"
                    " (2, 0, '', '', 'back\\\\slash', 'x', ''),"
                    " (3, NULL, NULL, NULL, NULL, NULL, NULL)")
        result = c.query("SELECT id, big, name, code, e, CAST(wide AS UNSIGNED), s"
                         " FROM sm.t ORDER BY id")

        bare = decoded_rows(server, TableMapTracker(), "t")
        assert set(bare[0]) == {f"@{n}" for n in range(1, 8)}  # MINIMAL: no names
        catalog = server_catalog(c)
        rows = decoded_rows(server, TableMapTracker(enrich=catalog.enrich), "t")

    def expected(row: tuple) -> dict:
        id_, big, name, code, e, wide, s = row
        return {"id": int(id_), "big": None if big is None else int(big), "name": name,
                "code": code, "e": e, "wide": None if wide is None else int(wide),
                "s": None if s is None else [m for m in ("x", "y'z", "w") if m in s.split(",")]}

    assert sorted(rows, key=lambda row: row["id"]) == [expected(row) for row in result.rows]
    # information_schema shows the 4-byte member as '?': that column keeps its numbers
    assert catalog.get("sm", "t").columns[5].members is None
