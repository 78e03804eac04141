"""The crafting API (mysqlproto.craft): crafted binlogs of both flavours read back,
round-trip byte for byte and decode to the rows given; broken ones fail where crafted."""

from __future__ import annotations

import datetime
import ipaddress
import uuid
from decimal import Decimal

import pytest

from mysqlproto.binlog import BinlogWriter, encode_event, read_binlog
from mysqlproto.cli import main as cli_main
from mysqlproto.craft import (
    BinlogBuilder,
    Change,
    Column,
    Table,
    collation_id,
    decode_changes,
    optional_metadata,
    raw_event,
    value_round_trip,
)
from mysqlproto.errors import (
    ChecksumError,
    CompressionError,
    EventBodyError,
    EventLengthError,
    TruncatedError,
    UsageError,
)
from mysqlproto.events import Event, UnknownEvent
from mysqlproto.geometry import WKB_POLYGON, Geometry, Shape
from mysqlproto.rows import MissingTableMapError, RowChange, RowsDecodeError, TableMapTracker
from mysqlproto.samples import MARIADB_118_TABLE, MYSQL_51_TABLE, MYSQL_80_TABLE
from spec.binlog.events import table_map as tm
from spec.binlog.values import BitMeta, DecimalMeta, MySQLDate, MySQLDateTime, StringMeta

UTC = datetime.UTC

ITEMS = Table("shop", "items", [
    Column("id", "INT UNSIGNED NOT NULL PRIMARY KEY"),
    Column("price", "DECIMAL(10,2)"),
    Column("d", "DATETIME(6)"),
    Column("ts", "TIMESTAMP(3)"),
    Column("t", "TIME(2)"),
    Column("day", "DATE"),
    Column("y", "YEAR"),
    Column("bits", "BIT(10)"),
    Column("f", "FLOAT"),
    Column("tags", "SET('a','b')"),
    Column("state", "ENUM('new','paid')", charset="latin1"),
    Column("name", "VARCHAR(32)", charset="utf8mb4"),
    Column("code", "CHAR(4)", charset="latin1"),
    Column("raw", "VARBINARY(8)"),
    Column("body", "TEXT"),
    Column("blob", "BLOB"),
])

ITEM_ROWS = [
    {"id": 1, "price": Decimal("9.99"), "d": datetime.datetime(2024, 1, 2, 3, 4, 5, 123456),
     "ts": datetime.datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=UTC),
     "t": datetime.timedelta(hours=-838, minutes=-59, seconds=-58, microseconds=-990000),
     "day": datetime.date(2024, 2, 29), "y": 2024, "bits": 0x3FF, "f": 1.5,
     "tags": frozenset({"a", "b"}), "state": "paid", "name": "héllo 日本 😀", "code": "é",
     "raw": b"\x00\xff", "body": "", "blob": b"x" * 300},
    {"id": 2, "price": Decimal("-99999999.99"), "d": MySQLDateTime(0, 0, 0),
     "ts": MySQLDateTime(0, 0, 0), "t": datetime.timedelta(0), "day": MySQLDate(0, 0, 0),
     "y": 0, "bits": 0, "f": -0.0, "tags": frozenset(), "state": "", "name": "",
     "code": "", "raw": b"", "body": None, "blob": None},
]

MYSQL_ONLY = Table("shop", "docs", [
    Column("id", "BIGINT NOT NULL PRIMARY KEY"),
    Column("doc", "JSON"),
    Column("g", "GEOMETRY"),
    Column("p", "POINT"),
    Column("v", "VECTOR(3)"),
])
DOC_ROWS = [
    {"id": -(1 << 63), "doc": {"k": [1, 2.5, "x", None, True], "n": {"deep": {}}},
     "g": Geometry.point(1.5, -2, srid=4326), "p": Geometry.point(0, 0), "v": [1.0, 2.0, 3.5]},
    {"id": (1 << 63) - 1, "doc": "just a string", "g": None, "p": None, "v": None},
]

MARIA_ONLY = Table("shop", "maria", [
    Column("id", "INT NOT NULL PRIMARY KEY"),
    Column("u", "UUID"),
    Column("ip6", "INET6"),
    Column("ip4", "INET4"),
    Column("note", "VARCHAR(40) COMPRESSED", charset="utf8mb4"),
    Column("big", "TEXT COMPRESSED", charset="latin1"),
    Column("doc", "JSON"),
    Column("g", "POLYGON"),
])
MARIA_ROWS = [
    {"id": 1, "u": uuid.UUID("12345678-1234-5678-1234-567812345678"),
     "ip6": ipaddress.IPv6Address("2001:db8::1"), "ip4": ipaddress.IPv4Address("10.0.0.1"),
     "note": "compressed " * 3, "big": "é" * 500, "doc": '{"a": [1, 2]}',
     "g": Geometry.from_shape(Shape(WKB_POLYGON, [[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0),
                                                  (0.0, 0.0)]]))},
    {"id": 2, "u": None, "ip6": None, "ip4": None, "note": "", "big": "", "doc": None,
     "g": None},
]


def roundtrip_identical(data: bytes) -> int:
    """What ``mysqlproto roundtrip`` checks: every event (and every event inside a
    compressed payload) re-serializes to its own bytes; returns the event count."""
    writer = BinlogWriter()
    out = writer.begin()
    count = 0
    for event in read_binlog(data, keep_raw=True):
        encoded = writer.encode(event)
        assert encoded == event.raw, event
        inner_ctx = writer.context.without_checksums()
        for inner in event.inner or ():
            assert encode_event(inner, inner_ctx, None) == inner.raw, inner
        out += encoded
        count += 1
    assert out == data
    return count


def names(data: bytes) -> list[str]:
    return [event.name for event in read_binlog(data)]


def offsets(data: bytes) -> list[int]:
    return [event.offset for event in read_binlog(data)]


def shop_binlog(**options) -> BinlogBuilder:
    builder = BinlogBuilder("mysql", **options)
    builder.create_table(ITEMS)
    builder.insert(ITEMS, ITEM_ROWS)
    builder.update(ITEMS, [(ITEM_ROWS[0], {"price": Decimal("1.00"), "name": "bye"})])
    builder.delete(ITEMS, [ITEM_ROWS[1]])
    return builder


# == reading back ========================================================================


@pytest.mark.parametrize("compression", [False, True], ids=["plain", "compressed"])
def test_mysql_binlog_decodes_to_the_rows_given(compression):
    builder = shop_binlog(compression=compression)
    builder.insert(MYSQL_ONLY, DOC_ROWS)
    crafted = builder.build()
    assert crafted.changes[0] == Change("shop", "items", "write",
                                        [RowChange(None, row) for row in ITEM_ROWS])
    assert crafted.changes[1].rows[0].after["price"] == Decimal("1.00")
    assert crafted.changes[1].rows[0].after["raw"] == ITEM_ROWS[0]["raw"]  # the rest kept
    assert decode_changes(crafted.data) == crafted.changes
    assert roundtrip_identical(crafted.data) == len(crafted.events)


def test_mariadb_binlog_decodes_to_the_rows_given():
    builder = BinlogBuilder("mariadb")
    builder.create_table(MARIA_ONLY)
    builder.insert(MARIA_ONLY, MARIA_ROWS, sql="INSERT INTO maria VALUES ...")
    builder.update(MARIA_ONLY, [(MARIA_ROWS[0], {"ip4": ipaddress.IPv4Address("10.0.0.2")})])
    builder.insert(ITEMS, ITEM_ROWS)
    crafted = builder.build()
    # UUID and INET travel as BINARY(n): the table definition says what they are
    assert decode_changes(crafted.data, tables=[MARIA_ONLY, ITEMS]) == crafted.changes
    plain = decode_changes(crafted.data)
    assert plain[0].rows[0].after["u"] == MARIA_ROWS[0]["u"].bytes
    assert plain[2] == crafted.changes[2]
    roundtrip_identical(crafted.data)


@pytest.mark.parametrize("flavour", ["mysql", "mariadb"])
def test_crafted_binlogs_pass_the_roundtrip_command(flavour, tmp_path, capsys):
    builder = BinlogBuilder(flavour)
    builder.create_table(ITEMS)
    with builder.compress():
        builder.insert(ITEMS, ITEM_ROWS)
        builder.query("DROP TABLE old_items", "shop")
    builder.rotate("next.000002")
    path = tmp_path / "crafted.binlog"
    assert builder.write(path) == path.stat().st_size
    assert cli_main(["roundtrip", str(path)]) == 0
    assert capsys.readouterr().out.strip().endswith(f"identical={len(builder.events())}")


def test_decoded_table_maps_carry_the_column_definitions():
    crafted = shop_binlog().build()
    tracker = TableMapTracker()
    for event in read_binlog(crafted.data):
        tracker.observe(event)
    info = next(iter(tracker.tables.values()))
    expected = ITEMS.info(table_id=info.table_id)
    assert info.columns == expected.columns
    assert info.primary_key == (0,)


# == what the builder writes ==============================================================


def test_mysql_transaction_layout_gtids_and_logical_clock():
    builder = shop_binlog(previous_gtids=f"{uuid.UUID(int=7)}:1-3")
    builder.rotate("binlog.000002")
    events = list(read_binlog(builder.to_bytes()))
    assert [e.name for e in events[:9]] == [
        "FORMAT_DESCRIPTION_EVENT", "PREVIOUS_GTIDS_LOG_EVENT",
        "GTID_LOG_EVENT", "QUERY_EVENT",  # CREATE TABLE
        "GTID_LOG_EVENT", "QUERY_EVENT", "TABLE_MAP_EVENT", "WRITE_ROWS_EVENT", "XID_EVENT"]
    assert events[-1].name == "ROTATE_EVENT" and events[-1].body.new_log_ident == "binlog.000002"
    assert events[1].body.sids[0].sid == uuid.UUID(int=7)
    gtids = [e for e in events if e.name == "GTID_LOG_EVENT"]
    assert [g.body.gno for g in gtids] == [1, 2, 3, 4]
    assert [(g.body.last_committed, g.body.sequence_number) for g in gtids] == [
        (0, 1), (1, 2), (2, 3), (3, 4)]
    assert [g.body.flags for g in gtids] == [1, 0, 0, 0]  # DDL may be SBR; rows only: not
    assert gtids[0].body.immediate_server_version == 80040
    # transaction_length: the GTID event and everything up to the next GTID
    for gtid in gtids:
        start = events.index(gtid)
        end = next((i for i in range(start + 1, len(events))
                    if events[i].name in ("GTID_LOG_EVENT", "ROTATE_EVENT")), len(events))
        assert gtid.body.transaction_length == sum(e.event_size for e in events[start:end])
    assert events[3].body.query.startswith("CREATE TABLE `shop`.`items`")
    begin = events[5]
    assert begin.body.query == "BEGIN"
    assert [e.body.xid for e in events if e.name == "XID_EVENT"] == [1, 2, 3]


def test_mysql_without_gtids_writes_anonymous_gtids():
    data = shop_binlog(gtids=False).to_bytes()
    events = list(read_binlog(data))
    anonymous = [e for e in events if e.name == "ANONYMOUS_GTID_LOG_EVENT"]
    assert len(anonymous) == 4 and "GTID_LOG_EVENT" not in names(data)
    assert {(e.body.sid.int, e.body.gno) for e in anonymous} == {(0, 0)}


def test_mariadb_transaction_layout():
    builder = BinlogBuilder("mariadb", domain_id=3, server_id=9, gtid_list="3-9-41,0-1-5")
    builder.create_table(ITEMS)
    builder.insert(ITEMS, ITEM_ROWS[:1], sql="INSERT ...")
    events = list(read_binlog(builder.to_bytes()))
    assert [e.name for e in events] == [
        "FORMAT_DESCRIPTION_EVENT", "GTID_LIST_EVENT", "BINLOG_CHECKPOINT_EVENT",
        "GTID_EVENT", "QUERY_EVENT",
        "GTID_EVENT", "ANNOTATE_ROWS_EVENT", "TABLE_MAP_EVENT", "WRITE_ROWS_EVENT_V1",
        "XID_EVENT"]
    assert events[0].body.server_version == "11.8.5-MariaDB-log"
    assert {(g.domain_id, g.server_id, g.seq_no) for g in events[1].body.gtids} == {
        (3, 9, 41), (0, 1, 5)}
    ddl, dml = events[3], events[5]
    assert (ddl.body.domain_id, ddl.body.seq_no, ddl.body.flags2) == (3, 42, 0x21)
    assert (dml.body.seq_no, dml.body.flags2) == (43, 0x0C)
    assert {e.server_id for e in events} == {9}


@pytest.mark.parametrize("flavour, version, table, alg", [
    ("mysql", "8.0.40", MYSQL_80_TABLE, 1),
    ("mariadb", "11.8.5-MariaDB-log", MARIADB_118_TABLE, 1),
    ("mysql", "5.1.43-log", MYSQL_51_TABLE, None),
])
def test_fde_carries_the_servers_post_header_table(flavour, version, table, alg):
    builder = BinlogBuilder(flavour, server_version=version)
    fde = next(read_binlog(builder.to_bytes()))
    assert fde.body.post_header_lengths == table
    assert fde.body.checksum_alg == alg


def test_mysql_51_binlog_has_no_gtids_checksums_or_optional_metadata():
    table = Table("s", "t", [Column("id", "INT NOT NULL PRIMARY KEY"), Column("at", "DATETIME")])
    builder = BinlogBuilder("mysql", server_version="5.1.43-log")
    builder.insert(table, [{"id": 1, "at": datetime.datetime(2009, 1, 1, 12)}])
    data = builder.to_bytes()
    assert names(data) == ["FORMAT_DESCRIPTION_EVENT", "QUERY_EVENT", "TABLE_MAP_EVENT",
                           "WRITE_ROWS_EVENT_V1", "XID_EVENT"]
    table_map = list(read_binlog(data))[2]
    assert table_map.body.optional_metadata == []
    assert table_map.body.column_types == [tm.MYSQL_TYPE_LONG, tm.MYSQL_TYPE_DATETIME]
    assert decode_changes(data, tables=[table]) == builder.changes
    with pytest.raises(UsageError):
        BinlogBuilder("mysql", server_version="5.1.43-log", checksum=True)


def test_table_ids_are_assigned_once_per_table():
    builder = BinlogBuilder("mysql", first_table_id=70)
    for table in (ITEMS, MYSQL_ONLY, ITEMS):
        builder.insert(table, [ITEM_ROWS[0] if table is ITEMS else DOC_ROWS[0]])
    ids = [e.body.table_id for e in read_binlog(builder.to_bytes())
           if e.name == "TABLE_MAP_EVENT"]
    assert ids == [70, 71, 70]


def test_rows_events_are_cut_at_the_max_size_and_the_last_ends_the_statement():
    table = Table("s", "t", [Column("id", "INT NOT NULL"), Column("pad", "VARCHAR(100)")])
    rows = [{"id": i, "pad": "x" * 50} for i in range(40)]
    builder = BinlogBuilder("mysql", max_rows_event_size=500)
    builder.insert(table, rows)
    builder.insert(table, rows[:1])
    events = [e for e in read_binlog(builder.to_bytes()) if e.name == "WRITE_ROWS_EVENT"]
    assert len(events) > 4
    assert [e.body.flags for e in events] == [0] * (len(events) - 2) + [1, 1]
    # the body (everything after the common header, before the checksum) stays in bounds
    assert all(e.event_size - 19 - 4 <= 500 for e in events)
    assert decode_changes(builder.to_bytes())[0].rows == [RowChange(None, r) for r in rows]


def test_minimal_and_noblob_row_images():
    pairs = [(ITEM_ROWS[0], {"name": "changed", "blob": b"new"})]
    expected_after = {
        "FULL": set(ITEMS.column_names),
        "MINIMAL": {"name", "blob"},
        "NOBLOB": set(ITEMS.column_names) - {"body"},
    }
    expected_before = {"FULL": set(ITEMS.column_names), "MINIMAL": {"id"},
                       "NOBLOB": set(ITEMS.column_names) - {"body", "blob"}}
    for image in ("FULL", "MINIMAL", "NOBLOB"):
        builder = BinlogBuilder("mysql", row_image=image)
        builder.update(ITEMS, pairs)
        builder.delete(ITEMS, [ITEM_ROWS[0]])
        update, delete = builder.changes
        assert set(update.rows[0].after) == expected_after[image]
        assert set(update.rows[0].before) == expected_before[image]
        assert set(delete.rows[0].before) == expected_before[image]
        assert decode_changes(builder.to_bytes()) == builder.changes


def test_without_a_primary_key_minimal_before_images_are_full():
    table = Table("s", "t", [Column("a", "INT"), Column("b", "INT")])
    builder = BinlogBuilder("mysql", row_image="MINIMAL")
    builder.update(table, [({"a": 1, "b": 2}, {"b": 3})])
    assert builder.changes[0].rows == [RowChange({"a": 1, "b": 2}, {"b": 3})]
    assert decode_changes(builder.to_bytes()) == builder.changes


def test_minimal_metadata_decodes_with_the_table_definition():
    builder = BinlogBuilder("mysql", metadata="MINIMAL")
    builder.insert(ITEMS, ITEM_ROWS)
    data = builder.to_bytes()
    table_map = next(e for e in read_binlog(data) if e.name == "TABLE_MAP_EVENT")
    assert [f.name for f in table_map.body.optional_metadata] == [
        "SIGNEDNESS", "COLUMN_CHARSET"]
    positional = decode_changes(data)[0].rows[0].after
    assert "@1" in positional and positional["@10"] == 3  # SET without its strings: a mask
    assert decode_changes(data, tables=[ITEMS]) == builder.changes


def test_full_metadata_fields_in_server_order():
    fields = optional_metadata(ITEMS.info().columns, primary_key=(0,), level="FULL")
    assert [f.name for f in fields] == [
        "SIGNEDNESS", "COLUMN_CHARSET", "COLUMN_NAME", "ENUM_AND_SET_COLUMN_CHARSET",
        "SET_STR_VALUE", "ENUM_STR_VALUE", "SIMPLE_PRIMARY_KEY"]
    by_name = {f.name: f.value for f in fields}
    # unsigned id, signed DECIMAL, YEAR, FLOAT
    assert by_name["SIGNEDNESS"] == [True, False, True, False]
    # name utf8mb4, code latin1, raw binary, body utf8mb4, blob binary
    assert by_name["COLUMN_CHARSET"] == [255, 8, 63, 255, 63]
    assert by_name["ENUM_STR_VALUE"] == [[b"new", b"paid"]]


def test_charsets_shared_by_most_columns_become_default_charset():
    table = Table("s", "t", [Column(f"c{i}", "VARCHAR(5)") for i in range(4)]
                  + [Column("l", "CHAR(2)", charset="latin1")])
    fields = optional_metadata(table.info().columns, level="MINIMAL")
    assert fields[0].name == "DEFAULT_CHARSET"
    assert fields[0].value.default_charset == 255
    assert [(p.column_index, p.charset) for p in fields[0].value.charset_pairs] == [(4, 8)]


def test_mariadb_counts_geometry_among_charset_columns():
    table = Table("s", "t", [Column("g", "GEOMETRY"), Column("v", "VARCHAR(3)"),
                             Column("w", "VARCHAR(3)", charset="latin1")])
    maria = optional_metadata(table.info(mariadb=True).columns, mariadb=True, level="MINIMAL")
    mysql = optional_metadata(table.info().columns, level="MINIMAL")
    assert maria[0].value == [63, 45, 8]
    assert mysql[0].value == [255, 8]


def test_mysql_compressed_transactions():
    builder = BinlogBuilder("mysql")
    builder.insert(ITEMS, ITEM_ROWS[:1])
    with builder.compress():
        with builder.transaction():
            builder.insert(ITEMS, ITEM_ROWS)
            builder.delete(ITEMS, ITEM_ROWS[:1])
        builder.create_table(MYSQL_ONLY)  # DDL is never compressed
    with builder.compress(payload="none"):
        builder.insert(MYSQL_ONLY, DOC_ROWS)
    events = list(read_binlog(builder.to_bytes()))
    payloads = [e for e in events if e.name == "TRANSACTION_PAYLOAD_EVENT"]
    assert [p.body.compression_type for p in payloads] == [0, 255]
    assert [e.name for e in payloads[0].inner] == [
        "QUERY_EVENT", "TABLE_MAP_EVENT", "WRITE_ROWS_EVENT", "TABLE_MAP_EVENT",
        "DELETE_ROWS_EVENT", "XID_EVENT"]
    assert "QUERY_EVENT" in [e.name for e in events[events.index(payloads[0]) + 1:]]
    assert decode_changes(builder.to_bytes()) == builder.changes
    roundtrip_identical(builder.to_bytes())


def test_mariadb_compressed_events():
    builder = BinlogBuilder("mariadb")
    with builder.compress(min_len=40):
        builder.query("CREATE TABLE a_table_whose_statement_is_long_enough (id INT)", "shop")
        builder.query("DROP TABLE t", "shop")  # shorter than min_len: left plain
        builder.insert(ITEMS, ITEM_ROWS)
    events = list(read_binlog(builder.to_bytes()))
    assert [e.name for e in events if "QUERY" in e.name] == [
        "QUERY_COMPRESSED_EVENT", "QUERY_EVENT"]
    assert events[4].body.query.startswith("CREATE TABLE a_table")
    assert "WRITE_ROWS_COMPRESSED_EVENT_V1" in [e.name for e in events]
    assert decode_changes(builder.to_bytes()) == builder.changes
    roundtrip_identical(builder.to_bytes())
    with pytest.raises(UsageError):
        with BinlogBuilder("mysql", server_version="5.7.40").compress():
            pass


def test_update_after_images_take_unnamed_columns_from_before():
    builder = BinlogBuilder("mysql")
    builder.update(ITEMS, [({"id": 5}, {"name": "n"})])
    (change,) = builder.changes
    assert change.rows[0].before == {**dict.fromkeys(ITEMS.column_names), "id": 5}
    assert change.rows[0].after == {**change.rows[0].before, "name": "n"}


def test_rolled_back_and_failed_transactions_write_nothing():
    builder = BinlogBuilder("mysql")
    before = len(builder.events())
    builder.begin()
    builder.insert(ITEMS, ITEM_ROWS)
    builder.rollback()
    with pytest.raises(ValueError), builder.transaction():
        builder.insert(ITEMS, ITEM_ROWS)
        raise ValueError("boom")
    assert len(builder.events()) == before and builder.changes == []


def test_misuse_is_a_usage_error():
    builder = BinlogBuilder("mysql")
    with pytest.raises(UsageError):
        builder.commit()
    builder.begin()
    with pytest.raises(UsageError):
        builder.events()
    with pytest.raises(UsageError):
        builder.begin()
    with pytest.raises(UsageError, match="no column"):
        builder.insert(ITEMS, [{"id": 1, "nope": 2}])
    with pytest.raises(UsageError, match="NOT NULL"):
        builder.insert(ITEMS, [{"price": Decimal(1)}])
    with pytest.raises(UsageError, match="shop.items.price"):
        builder.insert(ITEMS, [{"id": 1, "price": Decimal("1.234")}])
    builder.commit()
    builder.rotate("binlog.000002")
    with pytest.raises(UsageError, match="closed"):
        builder.query("SELECT 1")
    with pytest.raises(UsageError):
        BinlogBuilder("mariadb", gtids=False)
    with pytest.raises(UsageError):
        BinlogBuilder("nosuch")


def test_any_event_can_be_appended_as_given():
    builder = BinlogBuilder("mysql")
    builder.event(UnknownEvent(type_code=222, body={"raw": b"vendor bytes"}))
    builder.event(Event(5, {"type": 2, "value": 7}))  # INTVAR
    events = list(read_binlog(builder.to_bytes()))
    assert isinstance(events[-2], UnknownEvent) and events[-2].body.raw == b"vendor bytes"
    assert events[-1].name == "INTVAR_EVENT" and events[-1].body.value == 7
    roundtrip_identical(builder.to_bytes())


# == crafting broken binlogs: set a field and it is written as given ========================


def test_a_bad_checksum():
    builder = shop_binlog()
    clean = offsets(builder.to_bytes())
    builder.events()[7].checksum = 0xDEADBEEF
    with pytest.raises(ChecksumError) as caught:
        list(read_binlog(builder.to_bytes()))
    assert caught.value.offset == clean[7]
    assert caught.value.event_type == builder.events()[7].name


def test_a_lying_event_size():
    builder = shop_binlog()
    clean = offsets(builder.to_bytes())
    builder.events()[6].event_size = 10  # smaller than the header
    with pytest.raises(EventLengthError) as caught:
        list(read_binlog(builder.to_bytes()))
    assert (caught.value.offset, caught.value.field) == (clean[6], "header.event_size")
    builder.events()[6].event_size = None
    builder.events()[-1].event_size = 1000  # past the end of the file
    with pytest.raises(TruncatedError) as caught:
        list(read_binlog(builder.to_bytes()))
    assert caught.value.offset == clean[-1]


def test_a_lying_log_pos_is_written_as_given():
    builder = shop_binlog()
    builder.events()[4].log_pos = 12345
    assert list(read_binlog(builder.to_bytes()))[4].log_pos == 12345


def test_a_truncated_file():
    data = shop_binlog().to_bytes()
    with pytest.raises(TruncatedError) as caught:
        list(read_binlog(data[:-3]))
    assert caught.value.offset == offsets(data)[-1]


def test_a_length_inside_a_body_that_disagrees_with_its_bytes():
    builder = shop_binlog()
    clean = offsets(builder.to_bytes())
    query = builder.events()[5]  # BEGIN
    body = bytearray(builder.body_bytes(query))
    body[8] = 200  # db_len: thread_id (4), exec_time (4), then the length
    builder.events()[5] = raw_event(query, body)
    with pytest.raises(EventBodyError) as caught:
        list(read_binlog(builder.to_bytes()))
    assert (caught.value.offset, caught.value.event_type, caught.value.field) == (
        clean[5], "QUERY_EVENT", "db")


def test_a_payload_whose_uncompressed_size_lies():
    builder = BinlogBuilder("mysql", compression=True)
    builder.insert(ITEMS, ITEM_ROWS)
    clean = offsets(builder.to_bytes())
    payload = builder.events()[3]
    payload.body.uncompressed_size += 1
    with pytest.raises(CompressionError) as caught:
        list(read_binlog(builder.to_bytes()))
    assert (caught.value.offset, caught.value.field) == (clean[3], "uncompressed_size")


def test_a_table_id_with_no_table_map():
    builder = BinlogBuilder("mysql")
    builder.insert(ITEMS, ITEM_ROWS, table_map=False)
    data = builder.to_bytes()
    rows_offset = offsets(data)[names(data).index("WRITE_ROWS_EVENT")]
    with pytest.raises(MissingTableMapError) as caught:
        decode_changes(data)
    assert (caught.value.offset, caught.value.field) == (rows_offset, "table_id")


def test_a_rows_event_whose_image_is_short():
    builder = BinlogBuilder("mysql")
    builder.insert(ITEMS, ITEM_ROWS[:1])
    rows = builder.events()[5]
    assert rows.name == "WRITE_ROWS_EVENT"
    rows.body.rows = rows.body.rows[:-5]
    data = builder.to_bytes()
    tracker = TableMapTracker()
    with pytest.raises(RowsDecodeError) as caught:
        for event in read_binlog(data):
            tracker.observe(event)
            if event.name == "WRITE_ROWS_EVENT":
                tracker.decode(event)
    assert caught.value.offset == offsets(data)[5]
    assert caught.value.field == "rows[0].after.blob"


def test_a_rows_event_built_for_another_table_id():
    builder = BinlogBuilder("mysql")
    events = builder.rows_events(ITEMS, "write", ITEM_ROWS[:1], table_id=999)
    builder.begin()
    builder.event(builder.table_map_event(ITEMS))
    for event in events:
        builder.event(event)
    builder.commit()
    with pytest.raises(MissingTableMapError, match="999"):
        decode_changes(builder.to_bytes())


# == columns ================================================================================

TYPES = [
    ("INT UNSIGNED", tm.MYSQL_TYPE_LONG, None, {"unsigned": True}),
    ("tinyint(1)", tm.MYSQL_TYPE_TINY, None, {}),
    ("MEDIUMINT ZEROFILL", tm.MYSQL_TYPE_INT24, None, {"unsigned": True}),
    ("BIGINT", tm.MYSQL_TYPE_LONGLONG, None, {}),
    ("DECIMAL(10,2)", tm.MYSQL_TYPE_NEWDECIMAL, DecimalMeta(10, 2), {}),
    ("NUMERIC", tm.MYSQL_TYPE_NEWDECIMAL, DecimalMeta(10, 0), {}),
    ("FLOAT", tm.MYSQL_TYPE_FLOAT, 4, {}),
    ("FLOAT(30)", tm.MYSQL_TYPE_DOUBLE, 8, {}),
    ("DOUBLE PRECISION", tm.MYSQL_TYPE_DOUBLE, 8, {}),
    ("BIT(10)", tm.MYSQL_TYPE_BIT, BitMeta(2, 1), {}),
    ("YEAR", tm.MYSQL_TYPE_YEAR, None, {}),
    ("DATE", tm.MYSQL_TYPE_DATE, None, {}),
    ("DATETIME(6)", tm.MYSQL_TYPE_DATETIME2, 6, {}),
    ("TIMESTAMP", tm.MYSQL_TYPE_TIMESTAMP2, 0, {}),
    ("TIME(3)", tm.MYSQL_TYPE_TIME2, 3, {}),
    ("CHAR(10)", tm.MYSQL_TYPE_STRING, StringMeta(tm.MYSQL_TYPE_STRING, 40), {"charset": 255}),
    ("CHAR(10) CHARACTER SET latin1", tm.MYSQL_TYPE_STRING,
     StringMeta(tm.MYSQL_TYPE_STRING, 10), {"charset": 8}),
    ("BINARY(16)", tm.MYSQL_TYPE_STRING, StringMeta(tm.MYSQL_TYPE_STRING, 16), {"charset": 63}),
    ("VARCHAR(32)", tm.MYSQL_TYPE_VARCHAR, 128, {"charset": 255}),
    ("varchar(300) charset utf8mb3 collate utf8mb3_bin", tm.MYSQL_TYPE_VARCHAR, 900,
     {"charset": 83}),
    ("VARCHAR(10) BINARY", tm.MYSQL_TYPE_VARCHAR, 40, {"charset": 46}),
    ("VARBINARY(8)", tm.MYSQL_TYPE_VARCHAR, 8, {"charset": 63}),
    ("TINYTEXT", tm.MYSQL_TYPE_BLOB, 1, {"charset": 255}),
    ("LONGBLOB", tm.MYSQL_TYPE_BLOB, 4, {"charset": 63}),
    ("ENUM('it''s','a,b','c)')", tm.MYSQL_TYPE_STRING, StringMeta(tm.MYSQL_TYPE_ENUM, 1),
     {"enum_values": ("it's", "a,b", "c)")}),
    ("SET('a','b')", tm.MYSQL_TYPE_STRING, StringMeta(tm.MYSQL_TYPE_SET, 1),
     {"set_values": ("a", "b")}),
    ("JSON", tm.MYSQL_TYPE_JSON, 4, {}),
    ("GEOMETRY", tm.MYSQL_TYPE_GEOMETRY, 4, {"geometry_type": 0}),
    ("MULTIPOLYGON", tm.MYSQL_TYPE_GEOMETRY, 4, {"geometry_type": 6}),
    ("VECTOR(3)", tm.MYSQL_TYPE_VECTOR, 4, {"vector_dimension": 3, "charset": 63}),
]


@pytest.mark.parametrize("text, code, metadata, attributes", TYPES, ids=[t[0] for t in TYPES])
def test_column_types_map_to_what_the_table_map_says(text, code, metadata, attributes):
    definition = Column("c", text).column_def()
    assert (definition.type, definition.metadata) == (code, metadata)
    for key, value in attributes.items():
        assert getattr(definition, key) == value


def test_enum_and_set_pack_lengths_follow_the_member_count():
    def meta(kind, count):
        members = ",".join(f"'m{i}'" for i in range(count))
        return Column("c", f"{kind}({members})").column_def().metadata.length

    assert [meta("ENUM", 255), meta("ENUM", 256)] == [1, 2]
    assert [meta("SET", n) for n in (8, 9, 17, 25, 33, 64)] == [1, 2, 3, 4, 8, 8]


def test_mariadb_column_types():
    maria = {c.name: c.column_def(mariadb=True) for c in MARIA_ONLY.columns}
    assert maria["u"].logical_type == "uuid" and maria["u"].metadata.length == 16
    assert maria["ip4"].metadata == StringMeta(tm.MYSQL_TYPE_STRING, 4)
    assert maria["note"].type == tm.MYSQL_TYPE_VARCHAR_COMPRESSED
    assert maria["big"].type == tm.MYSQL_TYPE_BLOB_COMPRESSED
    assert (maria["doc"].type, maria["doc"].charset) == (tm.MYSQL_TYPE_BLOB, 46)  # LONGTEXT
    for name in ("u", "note"):
        with pytest.raises(UsageError, match="MariaDB"):
            MARIA_ONLY.columns[[c.name for c in MARIA_ONLY.columns].index(name)].column_def()


def test_column_modifiers_and_errors():
    column = Column("id", "int unsigned not null primary key")
    assert (column.nullable, column.primary_key, column.column_def().unsigned) == (
        False, True, True)
    assert Column("h", "INT INVISIBLE").column_def().visible is False
    assert collation_id("utf8mb4", mariadb=True) == 45
    assert collation_id(collation="latin1_bin") == 47
    for bad in ("NOPE", "DECIMAL(70,2)", "VARCHAR", "ENUM(1)", "INT WHATEVER", "CHAR(300)",
                "ENUM('a'", "TIME(7)"):
        with pytest.raises(UsageError):
            Column("c", bad).column_def()
    with pytest.raises(UsageError, match="duplicate"):
        Table("s", "t", [Column("a", "INT"), Column("a", "INT")])


def test_primary_keys_are_not_null_and_may_have_prefixes():
    table = Table("s", "t", [Column("a", "INT"), Column("b", "TEXT")],
                  primary_key=["a", ("b", 10)])
    assert [c.nullable for c in table.columns] == [False, False]
    builder = BinlogBuilder("mysql")
    builder.insert(table, [{"a": 1, "b": "key"}])
    tracker = TableMapTracker()
    for event in read_binlog(builder.to_bytes()):
        tracker.observe(event)
    (info,) = tracker.tables.values()
    assert (info.primary_key, info.primary_key_prefixes) == ((0, 1), {1: 10})
    assert [c.nullable for c in info.columns] == [False, False]


def test_legacy_temporal_types_for_old_servers():
    column = Column("at", "TIMESTAMP")
    assert column.column_def(legacy=True).type == tm.MYSQL_TYPE_TIMESTAMP
    assert Column("t", "TIME", legacy=True).column_def().type == tm.MYSQL_TYPE_TIME
    with pytest.raises(UsageError):
        Column("t", "TIME(2)", legacy=True).column_def()
    value = datetime.datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert value_round_trip(column.column_def(legacy=True), value) == value
