"""mysqlproto.schema: table maps completed from information_schema, with no server.

Table maps are crafted as the servers write them without metadata (MINIMAL/NO_LOG,
MariaDB's old-format hires temporals); rows are encoded with the full definition and
decoded with a tracker whose ``enrich`` hook is a catalog built from rows shaped like
``information_schema.COLUMNS``.
"""

from __future__ import annotations

import datetime
import io
import json
import uuid
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from mysqlproto import cli
from mysqlproto.craft import BinlogBuilder, Column, Table
from mysqlproto.errors import UsageError
from mysqlproto.events import Event
from mysqlproto.rows import (
    RowChange,
    RowsDecodeError,
    TableInfo,
    TableMapTracker,
    rows_event_body,
)
from mysqlproto.schema import (
    COLUMNS_QUERY,
    ColumnInfo,
    SchemaCatalog,
    TableSchema,
    ddl_tables,
    enrich_table,
    fetch_table,
    parse_members,
    query_tables,
    server_catalog,
    sql_string,
)
from spec.binlog.events import table_map as tm
from spec.binlog.values import ColumnDef, StringMeta

UTF8MB4 = 255  # utf8mb4_general_ci
LATIN1 = 8  # latin1_swedish_ci

# -- ENUM/SET member strings ---------------------------------------------------------------


def test_members_follow_the_sql_quoting_rules() -> None:
    # COLUMN_TYPE as MySQL 9.7 and MariaDB 11.8 print it for
    # ENUM('a','it''s','back\\slash','nl\n','q?','pct\%')
    column_type = "enum('a','it''s','back\\\\slash','nl\\n','q?','pct\\\\%')"
    assert parse_members(column_type) == ("a", "it's", "back\\slash", "nl\n", "q?", "pct\\%")
    assert parse_members("set('x','y''z','')") == ("x", "y'z", "")
    assert parse_members("SET('\\0\\Z\\t\\'')") == ("\0\x1a\t'",)
    assert parse_members("enum()") == ()
    assert parse_members("int(11)") is None
    assert parse_members("enum('unterminated") is None


def test_members_spoiled_by_information_schema_are_not_supplied() -> None:
    # ENUM('ä','😀') CHARACTER SET utf8mb4: information_schema shows the emoji as '?'
    wide = ColumnInfo("e", 1, "enum", "enum('ä','?')", "utf8mb4")
    assert wide.members is None
    # latin1 has no 4-byte characters: its '?' is a '?'
    assert ColumnInfo("e", 1, "enum", "enum('ä','?')", "latin1").members == ("ä", "?")
    assert ColumnInfo("i", 1, "int", "int").members is None


def test_column_from_its_column_type() -> None:
    column = ColumnInfo.from_column_type("dt", "datetime(3) /* mariadb-5.3 */", None, 4)
    assert (column.data_type, column.fsp, column.ordinal_position) == ("datetime", 3, 4)
    assert ColumnInfo.from_column_type("n", "int(10) unsigned").unsigned
    assert not ColumnInfo.from_column_type("d", "decimal(10,2) unsigned").unsigned
    assert ColumnInfo.from_column_type("u", "uuid").logical_type == "uuid"


# -- a MINIMAL table map ----------------------------------------------------------------------

#: What the table is: the definition the rows are encoded with.
FULL_COLUMNS = [
    ColumnDef(tm.MYSQL_TYPE_LONG, None, "id", nullable=False, unsigned=True),
    ColumnDef(tm.MYSQL_TYPE_TINY, None, "small", unsigned=True),
    ColumnDef(tm.MYSQL_TYPE_LONGLONG, None, "signed"),
    ColumnDef(tm.MYSQL_TYPE_VARCHAR, 80, "name", charset=UTF8MB4),
    ColumnDef(tm.MYSQL_TYPE_STRING, StringMeta(tm.MYSQL_TYPE_STRING, 10), "code",
              charset=LATIN1),
    ColumnDef(tm.MYSQL_TYPE_STRING, StringMeta(tm.MYSQL_TYPE_ENUM, 1), "e",
              enum_values=("a", "it's", "c")),
    ColumnDef(tm.MYSQL_TYPE_STRING, StringMeta(tm.MYSQL_TYPE_SET, 1), "s",
              set_values=("x", "y", "z")),
]

#: What information_schema says of it, in COLUMNS_QUERY's column order.
COLUMN_ROWS = [
    ("shop", "items", "id", 1, "int", "int unsigned", None, None),
    ("shop", "items", "small", 2, "tinyint", "tinyint(3) unsigned", None, None),
    ("shop", "items", "signed", 3, "bigint", "bigint(20)", None, None),
    ("shop", "items", "name", 4, "varchar", "varchar(20)", "utf8mb4", None),
    ("shop", "items", "code", 5, "char", "char(10)", "latin1", None),
    ("shop", "items", "e", 6, "enum", "enum('a','it''s','c')", "utf8mb4", None),
    ("shop", "items", "s", 7, "set", "set('x','y','z')", "utf8mb4", None),
]
PRIMARY_KEY_ROWS = [("shop", "items", "id")]

ROW = {"id": 4000000000, "small": 200, "signed": -5, "name": "héllo 😀", "code": "ç",
       "e": "it's", "s": frozenset({"x", "z"})}


def full_table(table_id: int = 7) -> TableInfo:
    return TableInfo(table_id=table_id, schema="shop", table="items", columns=FULL_COLUMNS,
                     primary_key=(0,))


def minimal_table_map(table_id: int = 7) -> Event:
    """The TABLE_MAP of `shop.items` with no optional metadata (MINIMAL/NO_LOG)."""
    body = full_table(table_id).table_map_body(optional_metadata=False)
    return Event(19, body, name="TABLE_MAP_EVENT")


def write(table: TableInfo, *rows: dict, table_id: int | None = None) -> Event:
    return Event(30, rows_event_body(table, rows, table_id=table_id), name="WRITE_ROWS_EVENT")


def catalog(**options) -> SchemaCatalog:
    return SchemaCatalog.from_rows(COLUMN_ROWS, PRIMARY_KEY_ROWS, **options)


def test_a_minimal_table_map_gets_names_signedness_charsets_and_member_strings() -> None:
    bare = TableMapTracker()
    bare.observe(minimal_table_map())
    (change,) = bare.decode(write(full_table(), ROW))
    assert change.after == {"@1": -294967296, "@2": -56, "@3": -5,
                            "@4": "héllo 😀".encode(), "@5": "ç".encode("latin-1"),
                            "@6": 2, "@7": 0b101}

    tracker = TableMapTracker(enrich=catalog().enrich)
    tracker.observe(minimal_table_map())
    assert tracker.decode(write(full_table(), ROW)) == [RowChange(None, ROW)]
    info = tracker.tables[7]
    assert info.keys == tuple(row[2] for row in COLUMN_ROWS)
    assert info.primary_key == (0,)


def test_member_strings_can_be_left_out() -> None:
    tracker = TableMapTracker(enrich=catalog(member_strings=False).enrich)
    tracker.observe(minimal_table_map())
    (change,) = tracker.decode(write(full_table(), ROW))
    assert (change.after["e"], change.after["s"], change.after["name"]) == (2, 0b101, "héllo 😀")


def test_a_full_table_map_keeps_what_it_says() -> None:
    info = full_table()
    assert catalog().enrich(info) is info


def test_a_table_whose_column_count_differs_is_left_as_it_is() -> None:
    rows = COLUMN_ROWS + [("shop", "items", "added", 8, "int", "int", None, None)]
    info = TableInfo.from_table_map(minimal_table_map().body)
    assert SchemaCatalog.from_rows(rows).enrich(info) is info


def test_a_table_whose_column_types_differ_is_left_as_it_is() -> None:
    rows = [row if row[2] != "small" else row[:4] + ("smallint", "smallint(5)") + row[6:]
            for row in COLUMN_ROWS]
    info = TableInfo.from_table_map(minimal_table_map().body)
    assert SchemaCatalog.from_rows(rows).enrich(info) is info
    assert SchemaCatalog.from_rows(COLUMN_ROWS).enrich(info) is not info


def test_a_table_the_catalog_does_not_know_is_left_as_it_is() -> None:
    info = TableInfo.from_table_map(minimal_table_map().body)
    assert SchemaCatalog().enrich(info) is info


def test_enriched_tables_are_cached_per_definition_and_keep_each_table_id() -> None:
    found = catalog()
    first = found.enrich(TableInfo.from_table_map(minimal_table_map(7).body))
    assert found.enrich(TableInfo.from_table_map(minimal_table_map(7).body)) is first
    other = found.enrich(TableInfo.from_table_map(minimal_table_map(9).body))
    assert other.table_id == 9 and first.table_id == 7
    assert other.codecs is first.codecs  # one set of decoders per definition


# -- MariaDB's old-format hires temporals, and its UUID ----------------------------------------


def mariadb_table(*, known: bool) -> TableInfo:
    """A table of MariaDB with mysql56_temporal_format=OFF: DATETIME(3), TIME(6) and
    TIMESTAMP(2) under the old codes. `known`: with the precisions (and the UUID) the
    table map does not carry."""
    def precision(fsp: int) -> int | None:
        return fsp if known else None

    return TableInfo(table_id=3, schema="m", table="t", columns=[
        ColumnDef(tm.MYSQL_TYPE_LONG, None, None, nullable=False),
        ColumnDef(tm.MYSQL_TYPE_DATETIME, precision(3)),
        ColumnDef(tm.MYSQL_TYPE_TIME, precision(6)),
        ColumnDef(tm.MYSQL_TYPE_TIMESTAMP, precision(2)),
        ColumnDef(tm.MYSQL_TYPE_STRING, StringMeta(tm.MYSQL_TYPE_STRING, 16),
                  logical_type="uuid" if known else None),
    ])


MARIADB_ROWS = [
    ("m", "t", "id", 1, "int", "int(11)", None, None),
    ("m", "t", "dt", 2, "datetime", "datetime(3) /* mariadb-5.3 */", None, 3),
    ("m", "t", "tm", 3, "time", "time(6) /* mariadb-5.3 */", None, 6),
    ("m", "t", "ts", 4, "timestamp", "timestamp(2) /* mariadb-5.3 */", None, 2),
    ("m", "t", "u", 5, "uuid", "uuid", None, None),
]

MARIADB_VALUES = [
    {"@1": 1, "@2": datetime.datetime(2024, 2, 29, 23, 59, 59, 123000),
     "@3": -datetime.timedelta(hours=5, microseconds=123456),
     "@4": datetime.datetime(2024, 1, 1, 12, 0, 0, 120000, tzinfo=datetime.UTC),
     "@5": uuid.UUID("f81d4fae-7dec-11d0-a765-00a0c91e6bf6")},
    {"@1": 2, "@2": datetime.datetime(1999, 12, 31, 0, 0, 0, 1000),
     "@3": datetime.timedelta(hours=838, minutes=59, seconds=59, microseconds=999999),
     "@4": None, "@5": uuid.UUID(int=1)},
]


def mariadb_tracker(enrich=None) -> TableMapTracker:
    tracker = TableMapTracker(mariadb=True, enrich=enrich)
    body = mariadb_table(known=False).table_map_body(optional_metadata=False)
    tracker.observe(Event(19, body, name="TABLE_MAP_EVENT"))
    return tracker


def test_mariadb_hires_temporals_decode_once_their_precision_is_supplied() -> None:
    event = write(mariadb_table(known=True), *MARIADB_VALUES)
    found = SchemaCatalog.from_rows(MARIADB_ROWS)
    changes = mariadb_tracker(found.enrich).decode(event)
    names = ("id", "dt", "tm", "ts", "u")
    assert [change.after for change in changes] == [
        dict(zip(names, row.values(), strict=True)) for row in MARIADB_VALUES]
    column = found.enrich(TableInfo.from_table_map(event_body_of_table_map()))
    assert [c.fsp for c in column.columns[1:4]] == [3, 6, 2]


def event_body_of_table_map():
    return mariadb_table(known=False).table_map_body(optional_metadata=False)


def test_mariadb_hires_temporals_without_their_precision_fail_to_decode() -> None:
    event = write(mariadb_table(known=True), *MARIADB_VALUES)
    with pytest.raises(RowsDecodeError, match="mysql56_temporal_format=OFF"):
        mariadb_tracker().decode(event)


def test_with_table_map_names_only_the_logical_type_and_precision_are_added() -> None:
    named = TableInfo(table_id=3, schema="m", table="t", columns=[
        ColumnDef(c.type, c.metadata, name)
        for c, name in zip(mariadb_table(known=False).columns, "abcde", strict=True)])
    enriched = SchemaCatalog.from_rows(MARIADB_ROWS).enrich(named)
    assert enriched.keys == ("a", "b", "c", "d", "e")  # the table map's names stay
    assert enriched.columns[4].logical_type == "uuid"
    assert enriched.columns[1].metadata == 3


# -- fetching from a server ----------------------------------------------------------------------


class FakeClient:
    """Answers COLUMNS_QUERY and PRIMARY_KEY_QUERY from `tables` (rows as
    COLUMN_ROWS), recording the SQL it was sent."""

    def __init__(self, rows: list[tuple]) -> None:
        self.rows = rows
        self.sent: list[str] = []

    def query(self, sql: str) -> list[tuple]:
        self.sent.append(sql)
        wanted = {(schema, table) for schema, table in _quoted_pairs(sql)}
        if "information_schema.STATISTICS" in sql:
            return [row[:3] for row in self.rows
                    if row[:2] in wanted and row[2] == "id"]
        return [row for row in self.rows if row[:2] in wanted]


def _quoted_pairs(sql: str):
    import re

    return re.findall(r"TABLE_SCHEMA = '([^']*)' AND TABLE_NAME = '([^']*)'", sql)


def test_a_server_catalog_fetches_a_table_once_on_first_use() -> None:
    client = FakeClient(list(COLUMN_ROWS))
    found = server_catalog(client)
    tracker = TableMapTracker(enrich=found.enrich)
    for table_id in (7, 8, 7):
        tracker.observe(minimal_table_map(table_id))
    assert tracker.decode(write(full_table(), ROW, table_id=8)) == [RowChange(None, ROW)]
    assert len(client.sent) == 2  # COLUMNS and STATISTICS, once
    assert found.get("shop", "items").primary_key == ("id",)


def test_a_table_map_that_no_longer_fits_fetches_the_table_again() -> None:
    # The server answered before an ALTER TABLE ... ADD COLUMN; the binlog goes on
    # with the new table map.
    client = FakeClient(list(COLUMN_ROWS))
    found = server_catalog(client)
    found.enrich(TableInfo.from_table_map(minimal_table_map().body))
    client.rows.append(("shop", "items", "added", 8, "int", "int", None, None))
    grown = TableInfo(table_id=7, schema="shop", table="items",
                      columns=[*FULL_COLUMNS, ColumnDef(tm.MYSQL_TYPE_LONG, None, "added")])
    body = grown.table_map_body(optional_metadata=False)
    enriched = found.enrich(TableInfo.from_table_map(body))
    assert enriched.keys[-1] == "added" and found.fetches == 2
    # the table map enriched before is still enriched as it was: no query
    again = found.enrich(TableInfo.from_table_map(minimal_table_map().body))
    assert again.keys[0] == "id" and found.fetches == 2
    # one the server's definition does not fit (an older binlog) asks once, then is
    # left as it is
    shrunk = TableInfo(table_id=7, schema="shop", table="items", columns=FULL_COLUMNS[:-1])
    for _ in range(2):
        body = shrunk.table_map_body(optional_metadata=False)
        assert found.enrich(TableInfo.from_table_map(body)).keys[0] == "@1"
    assert found.fetches == 3


# -- DDL in the stream ------------------------------------------------------------------------


@pytest.mark.parametrize("statement, tables", [
    ("ALTER TABLE `exception` modify column exp_str longtext NOT NULL", [("d", "exception")]),
    ("/* ApplicationName=DBeaver */ CREATE TABLE `t1` (\r\n `id` bigint)", [("d", "t1")]),
    ("CREATE TABLE performance_schema.setup_actors(HOST CHAR(60))",
     [("performance_schema", "setup_actors")]),
    ("create temporary table if not exists tt (a int)", [("d", "tt")]),
    ("CREATE OR REPLACE TABLE t2 LIKE t1", [("d", "t2")]),
    ("DROP TABLE IF EXISTS `a`, b.`c``d` /* generated by server */",
     [("d", "a"), ("b", "c`d")]),
    ('DROP TEMPORARY TABLE IF EXISTS "tt"', [("d", "tt")]),
    ("RENAME TABLE a TO b, x.y TO z", [("d", "a"), ("d", "b"), ("x", "y"), ("d", "z")]),
    ("RENAME TABLE `a`to`b`", [("d", "a"), ("d", "b")]),
    ("ALTER TABLE t1 RENAME COLUMN a TO b", [("d", "t1")]),
    ("ALTER TABLE db1.t1 ADD c INT, RENAME TO db2.t2", [("db1", "t1"), ("db2", "t2")]),
    ("ALTER ONLINE IGNORE TABLE t ADD x INT", [("d", "t")]),
    ("/*!40000 ALTER TABLE `t` DISABLE KEYS */", [("d", "t")]),
    ("DROP DATABASE IF EXISTS `foo`", [("foo", None)]),
    ("ALTER SCHEMA s CHARACTER SET utf8mb4", [("s", None)]),
    ("CREATE DATABASE foobar", []),
    ("BEGIN", []),
    ("INSERT INTO t VALUES (1)", []),
    ("TRUNCATE TABLE t", []),
    ("CREATE INDEX i ON t (a)", []),
    ("ALTER USER 'repl'@'%' IDENTIFIED BY 'x'", []),
    ('CREATE DEFINER="root"@"localhost" TRIGGER t1 BEFORE INSERT ON t1 FOR EACH ROW SET @a=1',
     []),
    ("CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`localhost` SQL SECURITY DEFINER VIEW `v1` AS"
     " SELECT 1", []),
    ("ALTER SOMETHING NEW x", None),
    ("ALTER TABLE", None),
    ("CREATE TABLE (a INT)", None),
])
def test_ddl_statements_name_the_tables_they_change(statement, tables) -> None:
    assert ddl_tables(statement, "d") == tables


def query_event(statement: str, db: str = "shop") -> Event:
    return Event(2, {"thread_id": 1, "exec_time": 0, "error_code": 0, "status_vars": [],
                     "db": db, "query": statement}, name="QUERY_EVENT")


def test_ddl_in_the_stream_makes_a_fetching_catalog_ask_again() -> None:
    # MINIMAL metadata: a renamed column and reordered ENUM members keep the column
    # count and types, so only the ALTER TABLE in the stream says the table changed.
    client = FakeClient(list(COLUMN_ROWS))
    found = server_catalog(client)
    tracker = TableMapTracker(enrich=found)
    tracker.observe(minimal_table_map())
    assert tracker.decode(write(full_table(), ROW))[0].after["e"] == "it's"
    tracker.observe(query_event("INSERT INTO items VALUES (1)"))
    tracker.observe(query_event("CREATE TABLE other (a INT)"))
    assert found.fetches == 1
    client.rows[0] = ("shop", "items", "ident", 1, "int", "int(10) unsigned", None, None)
    client.rows[5] = ("shop", "items", "e", 6, "enum", "enum('c','a','it''s')", "utf8mb4", None)
    tracker.observe(query_event("ALTER TABLE `ITEMS` RENAME COLUMN id TO ident, MODIFY e "
                                "ENUM('c','a','it''s')"))
    tracker.observe(minimal_table_map(8))
    (change,) = tracker.decode(write(full_table(8), ROW))
    assert found.fetches == 2
    assert change.after["ident"] == ROW["id"] and change.after["e"] == "a"  # index 2


def test_ddl_leaves_the_definitions_a_caller_gave() -> None:
    given = catalog()
    given.observe(query_event("DROP TABLE items"))
    assert given.get("shop", "items") is not None
    fetching = SchemaCatalog([given.get("shop", "items")],
                             fetch=lambda s, t: fetch_table(FakeClient(COLUMN_ROWS), s, t))
    fetching.enrich(TableInfo(table_id=1, schema="x", table="t",
                              columns=[ColumnDef(tm.MYSQL_TYPE_LONG)]))
    assert ("x", "t") in fetching._tables  # remembered as unknown
    fetching.observe(query_event("ALTER WHATEVER"))  # unreadable: forget all fetched
    assert ("x", "t") not in fetching._tables and fetching.get("shop", "items") is not None


def test_a_dropped_database_forgets_its_tables() -> None:
    found = server_catalog(FakeClient(list(COLUMN_ROWS)))
    found.enrich(TableInfo.from_table_map(minimal_table_map().body))
    assert found.get("shop", "items") is not None
    found.observe(query_event("DROP DATABASE Shop", db=""))
    assert found.get("shop", "items") is None


def test_fetched_tables_are_bounded() -> None:
    rows = [(f"s{n}", "t", "id", 1, "int", "int", None, None) for n in range(5)]
    found = SchemaCatalog(fetch=lambda s, t: fetch_table(FakeClient(rows), s, t), max_tables=2)
    for n in range(5):
        info = TableInfo(table_id=n, schema=f"s{n}", table="t",
                         columns=[ColumnDef(tm.MYSQL_TYPE_LONG)])
        assert found.enrich(info).keys == ("id",)
    assert [table.schema for table in found.tables] == ["s3", "s4"]


def test_names_are_quoted_as_sql_strings() -> None:
    assert sql_string("it's") == "'it''s'"
    assert sql_string("a\\b") == "CONVERT(X'615c62' USING utf8mb4)"
    client = FakeClient([])
    assert query_tables(client, tables=[("d'b", "t")]) == []
    assert "TABLE_SCHEMA = 'd''b' AND TABLE_NAME = 't'" in client.sent[0]
    assert client.sent[0].startswith(COLUMNS_QUERY.split("{where}")[0])
    query_tables(client, schemas=["a", "b"])
    assert "TABLE_SCHEMA IN ('a', 'b')" in client.sent[-1]
    query_tables(client)
    assert "TABLE_SCHEMA NOT IN ('information_schema', 'mysql'" in client.sent[-1]


# -- the JSON file ---------------------------------------------------------------------------


def test_a_catalog_survives_its_json_file(tmp_path: Path) -> None:
    path = tmp_path / "schema.json"
    catalog().save(path)
    loaded = SchemaCatalog.load(path)
    assert loaded.tables == catalog().tables
    assert json.loads(path.read_text())["format"] == "mysqlproto-schema"
    tracker = TableMapTracker(enrich=loaded.enrich)
    tracker.observe(minimal_table_map())
    assert tracker.decode(write(full_table(), ROW)) == [RowChange(None, ROW)]
    with pytest.raises(UsageError, match="not a mysqlproto-schema"):
        SchemaCatalog.from_json({"tables": []})


def test_enrich_table_is_the_uncached_rule() -> None:
    info = TableInfo.from_table_map(minimal_table_map().body)
    table = TableSchema("shop", "items",
                        tuple(ColumnInfo(*row[2:]) for row in COLUMN_ROWS), ("id",))
    assert enrich_table(info, table).keys == tuple(row[2] for row in COLUMN_ROWS)


# -- the command line ------------------------------------------------------------------------


def test_dump_names_the_columns_of_a_minimal_binlog_from_a_saved_catalog(tmp_path: Path) -> None:
    items = Table("shop", "items", [
        Column("id", "INT UNSIGNED", primary_key=True),
        Column("e", "ENUM('a','b')"),
    ])
    builder = BinlogBuilder("mysql", server_version="8.0.40", metadata="MINIMAL")
    builder.create_table(items)
    with builder.transaction():
        builder.insert(items, [{"id": 4000000000, "e": "b"}])
    binlog = tmp_path / "minimal.binlog"
    builder.write(binlog)
    schema = tmp_path / "schema.json"
    SchemaCatalog.from_rows([
        ("shop", "items", "id", 1, "int", "int unsigned", None, None),
        ("shop", "items", "e", 2, "enum", "enum('a','b')", "utf8mb4", None),
    ]).save(schema)

    def rows_of(*options: str) -> list:
        out = io.StringIO()
        with redirect_stdout(out):
            assert cli.main(["dump", "--json", str(binlog), *options]) == 0
        records = [json.loads(line) for line in out.getvalue().splitlines()]
        return [record["rows"] for record in records if "rows" in record]

    assert rows_of() == [[{"before": None, "after": {"@1": 4000000000, "@2": 2}}]]
    assert rows_of("--schema", str(schema)) == [
        [{"before": None, "after": {"id": 4000000000, "e": "b"}}]]


def test_schema_options_need_json(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="give --json"):
        cli.main(["dump", "--schema", str(tmp_path / "none.json")])


def test_a_file_that_is_not_a_catalog_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"tables": []}')
    with pytest.raises(SystemExit, match="not a mysqlproto-schema"):
        cli.main(["dump", "--json", "--schema", str(path)])


def test_a_definition_added_again_replaces_what_was_cached() -> None:
    found = catalog()
    info = TableInfo.from_table_map(minimal_table_map().body)
    assert found.enrich(info).keys[0] == "id"
    renamed = [("shop", "items", "key" if row[2] == "id" else row[2], *row[3:])
               for row in COLUMN_ROWS]
    (table,) = SchemaCatalog.from_rows(renamed).tables
    found.add(table)
    assert found.enrich(info).keys[0] == "key"
    found.forget("shop", "items")
    assert found.enrich(info) is info
