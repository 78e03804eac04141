"""Row images (mysqlproto.rows): the corpus against an independent decoder, crafted round
trips, the generated decoders against the checked one, errors, and ``dump --json``."""

from __future__ import annotations

import datetime
import io
import json
import math
import re
from contextlib import redirect_stdout
from decimal import Decimal
from pathlib import Path

import pytest
from construct import Container
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mysqlproto.binlog import read_binlog
from mysqlproto.cli import main as cli_main
from mysqlproto.errors import DecodeError, UsageError
from mysqlproto.events import Event
from mysqlproto.geometry import Geometry
from mysqlproto.jsonbinary import JsonDiff, JsonDiffOperation
from mysqlproto.jsonout import event_to_json
from mysqlproto.rows import (
    JsonDiffValue,
    MissingTableMapError,
    RowChange,
    RowsDecodeError,
    TableInfo,
    TableMapTracker,
    _Checked,
    decode_rows,
    encode_rows,
    is_rows_event,
    row_change_to_json,
    rows_event_body,
)
from spec.binlog.events import table_map as tm
from spec.binlog.events.mariadb import UpdateRowsCompressedEvent
from spec.binlog.events.rows import UpdateRowsEvent
from spec.binlog.events.table_map import TableMapEvent
from spec.binlog.values import (
    BINARY_COLLATION,
    BitMeta,
    ColumnDef,
    DecimalMeta,
    MySQLDateTime,
    StringMeta,
    python_encoding,
)
from tests.corpus import CORPUS, good_files, rel, require_corpus
from tests.spec.roundtrip import h

UTC = datetime.UTC
BB = "blackbeam__rust_mysql_common/"

# == the corpus against mariadb-binlog -vv ============================================
#
# Next to each corpus file, ``<file>.mariadb-binlog.txt`` holds the output of
# ``mariadb-binlog --base64-output=decode-rows -vv`` (MariaDB 10.11): for each row a
# "### INSERT INTO `db`.`t`" (UPDATE, DELETE FROM) line, "### SET" / "### WHERE", and
# one "###   @N=value /* TYPE meta=M nullable=N is_null=N */" line per column in the
# image.  Its way of printing (log_event_client.cc, log_event_print_value):
# integers signed, with the unsigned reading in parentheses when negative; strings
# quoted, bytes < 0x20, "'" and "\" as \xHH, others as they are; DATE as 'YYYY:MM:DD';
# TIMESTAMP as seconds since the epoch (so no time-zone question); ENUM as its index;
# SET and BIT as b'binary'; DECIMAL and floating point as numbers.  It stops at the
# first rows event of a table with a JSON or VECTOR column, and cannot read
# TRANSACTION_PAYLOAD events, so those files are checked separately below.

ROW_START = re.compile(rb"^### (INSERT INTO|UPDATE|DELETE FROM) `(.*)`\.`(.*)`$")
VALUE = re.compile(rb"^###   @(\d+)=(.*) /\* (.*?) meta=(\d+) nullable=(\d) is_null=(\d) \*/$")


def parse_mariadb_binlog(path: Path) -> list[tuple[str, list[dict[int, bytes]]]]:
    """The rows mariadb-binlog printed: (statement word, images of {column: text})."""
    rows: list[tuple[str, list[dict[int, bytes]]]] = []
    images: list[dict[int, bytes]] | None = None
    for line in path.read_bytes().splitlines():
        start = ROW_START.match(line)
        if start:
            images = []
            rows.append((start.group(1).decode(), images))
        elif images is not None and line in (b"### SET", b"### WHERE"):
            images.append({})
        elif images is not None and (value := VALUE.match(line)) and images:
            images[-1][int(value.group(1))] = value.group(2)
        elif not line.startswith(b"###"):
            images = None
    return rows


def unquote(text: bytes) -> bytes:
    assert text[:1] == b"'" and text[-1:] == b"'", text
    body, out, i = text[1:-1], bytearray(), 0
    while i < len(body):
        if body[i:i + 2] == b"\\x":
            out.append(int(body[i + 2:i + 4], 16))
            i += 4
        else:
            out.append(body[i])
            i += 1
    return bytes(out)


def _epoch_seconds(value) -> tuple[int, int]:
    if isinstance(value, MySQLDateTime):
        return 0, value.microsecond
    delta = value - datetime.datetime(1970, 1, 1, tzinfo=UTC)
    return delta.days * 86400 + delta.seconds, delta.microseconds


def agrees(ours, text: bytes, column: ColumnDef) -> bool:
    """Whether our value is the one mariadb-binlog printed as ``text``."""
    if text == b"NULL":
        return ours is None
    if ours is None:
        return False
    t = column.real_type
    if t in (tm.MYSQL_TYPE_TINY, tm.MYSQL_TYPE_SHORT, tm.MYSQL_TYPE_INT24, tm.MYSQL_TYPE_LONG,
             tm.MYSQL_TYPE_LONGLONG, tm.MYSQL_TYPE_YEAR):
        # "-1064764973 (3230202323)": the signed reading, then the unsigned one
        readings = [int(p) for p in text.replace(b"(", b" ").replace(b")", b" ").split()]
        return ours == (readings[-1] if column.unsigned else readings[0])
    if t in (tm.MYSQL_TYPE_FLOAT, tm.MYSQL_TYPE_DOUBLE):
        tolerance = 1e-6 if t == tm.MYSQL_TYPE_FLOAT else 1e-12
        return math.isclose(ours, float(text), rel_tol=tolerance)
    if t == tm.MYSQL_TYPE_NEWDECIMAL:
        return ours == Decimal(text.decode())
    if t in (tm.MYSQL_TYPE_STRING, tm.MYSQL_TYPE_VARCHAR, tm.MYSQL_TYPE_VAR_STRING,
             tm.MYSQL_TYPE_BLOB):
        raw = unquote(text)
        if isinstance(ours, str):
            encoding = python_encoding(column.charset)
            ours = ours.encode("cp1252" if encoding == "mysql-latin1" else encoding)
        if column.charset == BINARY_COLLATION and t == tm.MYSQL_TYPE_STRING:
            return ours.rstrip(b"\0") == raw  # we put BINARY(n)'s padding back
        return ours == raw
    if t == tm.MYSQL_TYPE_ENUM:
        if isinstance(ours, str):
            ours = 0 if ours == "" else column.enum_values.index(ours) + 1
        return ours == int(text)
    if t in (tm.MYSQL_TYPE_SET, tm.MYSQL_TYPE_BIT):
        if isinstance(ours, frozenset):
            ours = sum(1 << column.set_values.index(member) for member in ours)
        return ours == int(text[2:-1], 2)
    if t in (tm.MYSQL_TYPE_DATE, tm.MYSQL_TYPE_NEWDATE):
        return text == f"'{ours.year:04d}:{ours.month:02d}:{ours.day:02d}'".encode()

    def fraction(usec: int) -> str:
        return "." + f"{usec:06d}"[:column.fsp] if column.fsp else ""

    if t in (tm.MYSQL_TYPE_DATETIME, tm.MYSQL_TYPE_DATETIME2):
        return text == (f"'{ours.year:04d}-{ours.month:02d}-{ours.day:02d} {ours.hour:02d}:"
                        f"{ours.minute:02d}:{ours.second:02d}{fraction(ours.microsecond)}'"
                        ).encode()
    if t in (tm.MYSQL_TYPE_TIMESTAMP, tm.MYSQL_TYPE_TIMESTAMP2):
        seconds, usec = _epoch_seconds(ours)
        return text == f"{seconds}{fraction(usec)}".encode()
    if t in (tm.MYSQL_TYPE_TIME, tm.MYSQL_TYPE_TIME2):
        total = ours // datetime.timedelta(microseconds=1)
        secs, usec = divmod(abs(total), 1000000)
        hours, rest = divmod(secs, 3600)
        return text == (f"'{'-' if total < 0 else ''}{hours:02d}:{rest // 60:02d}:"
                        f"{rest % 60:02d}{fraction(usec)}'").encode()
    raise AssertionError(f"no comparison for column type {t}")


def decoded_rows(path) -> list[tuple[Event, TableInfo, RowChange]]:
    tracker = TableMapTracker()
    out = []
    for event in read_binlog(path):
        tracker.observe(event)
        for ev in [event, *(event.inner or ())]:
            if is_rows_event(ev):
                out += [(ev, tracker.table_for(ev), change) for change in tracker.decode(ev)]
    return out


def _has_printed_rows(path: Path) -> bool:
    text = Path(f"{path}.mariadb-binlog.txt")
    return text.exists() and b"\n###   @" in text.read_bytes()


PRINTED = [p for p in good_files() if _has_printed_rows(p)]
# mariadb-binlog stops at the first JSON/VECTOR table (its rows are missing from the
# text); it cannot read pre-GA row events (nor can we: no column metadata)
INCOMPLETE = {BB + "json.binlog.000001", BB + "vector.binlog",
              "avaitla__mysqlbinlog2parquet/03-mixed-types.binlog",
              BB + "binlog_transaction_with_GTID_TAG.000001", BB + "ver_5_1-wl2325_r.001"}


@pytest.mark.parametrize("path", PRINTED, ids=[rel(p) for p in PRINTED])
def test_rows_agree_with_mariadb_binlog(path):
    require_corpus()
    if rel(path) in INCOMPLETE:
        pytest.skip("mariadb-binlog printed only part of this file's rows")
    expected = parse_mariadb_binlog(Path(f"{path}.mariadb-binlog.txt"))
    ours = decoded_rows(path)
    assert len(ours) == len(expected)
    words = {"write": "INSERT INTO", "update": "UPDATE", "delete": "DELETE FROM"}
    for (word, images), (event, table, change) in zip(expected, ours, strict=True):
        mine = [image for image in change if image is not None]
        assert word == next(w for k, w in words.items() if k.upper() in event.name)
        assert len(mine) == len(images)
        for image, printed in zip(mine, images, strict=True):
            positions = [table.keys.index(key) + 1 for key in image]
            assert positions == sorted(printed), "columns present differ"
            for key, position in zip(image, positions, strict=True):
                column = table.columns[position - 1]
                assert agrees(image[key], printed[position], column), (
                    f"{event.name} @{event.offset} {key}: ours {image[key]!r}, "
                    f"mariadb-binlog {printed[position]!r}")


def test_most_of_the_corpus_rows_are_compared():
    require_corpus()
    values = sum(sum(len(image) for image in images)
                 for path in PRINTED if rel(path) not in INCOMPLETE
                 for _, images in parse_mariadb_binlog(Path(f"{path}.mariadb-binlog.txt")))
    assert len(PRINTED) >= 30 and values >= 3000


def test_every_corpus_rows_event_decodes():
    require_corpus()
    count = 0
    for path in good_files():
        tracker = TableMapTracker()
        for event in read_binlog(path):
            tracker.observe(event)
            for ev in [event, *(event.inner or ())]:
                if not is_rows_event(ev):
                    continue
                if rel(path) == BB + "ver_5_1-wl2325_r.001":
                    with pytest.raises(RowsDecodeError, match="no column metadata"):
                        tracker.decode(ev)
                    continue
                count += len(tracker.decode(ev))
    assert count > 40000


# == corpus files mariadb-binlog cannot print ===========================================


def rows_of(name: str) -> list[RowChange]:
    require_corpus()
    return [change for _, _, change in decoded_rows(CORPUS / name)]


def test_json_and_partial_json_updates():
    rows = rows_of(BB + "json.binlog.000001")
    assert rows[0].after == {"@1": 1, "@2": {"age": 24, "data": "xxxxxxxxxx", "name": "Joe"},
                             "@3": "Joe", "@4": 24}
    assert rows[6].before["@2"]["age"] == 24 and rows[6].after["@2"]["age"] == 25
    # PARTIAL_UPDATE_ROWS with a MINIMAL before image: the JSON column is not in it,
    # so its diff stays a diff
    partial = rows[12]
    assert partial.before == {"@1": 1}
    assert partial.after["@2"] == JsonDiffValue([JsonDiff(JsonDiffOperation.REPLACE, "$.age",
                                                          26)])
    assert partial.after["@3"] == "Joe" and partial.after["@4"] == 26


def test_vectors():
    rows = rows_of(BB + "vector.binlog")
    assert [round(x, 5) for x in rows[0].after["vector_column"]] == [1.1, 2.2, 3.3]
    assert rows[3].after["foo"] == "bar"  # TEXT, charset from DEFAULT_CHARSET's pair


def test_minimal_row_image_leaves_columns_out():
    (change,) = rows_of(BB + "minimal_row_metadata.000001")
    assert change.after == {"@1": 1, "@3": "a", "@5": 3230202323}  # @5 INT UNSIGNED


def test_enum_and_set_strings():
    rows = rows_of(BB + "mysql-enum-string-set.000001")
    assert rows[2].before["f3"] == "variant2"
    assert rows[2].before["f4"] == frozenset({"two", "four"})


def test_rows_inside_a_compressed_transaction():
    assert rows_of(BB + "transaction_compression.000001") == [RowChange(None, {"@1": 1})]


def test_mixed_types_with_fractional_datetime():
    rows = rows_of("avaitla__mysqlbinlog2parquet/03-mixed-types.binlog")
    assert rows[1].after["captured_at"] == datetime.datetime(2024, 1, 1, 0, 0, 1, 500000)
    assert rows[1].after["payload"] == [1, 2, 3]
    assert rows[2].after["value"] is None and rows[2].after["payload"] is None


def test_negative_time_beyond_a_day():
    (change,) = rows_of(BB + "time_issue.000001")
    assert change.after["@1"] == -datetime.timedelta(hours=507, minutes=48, seconds=27)


# == crafted tables and round trips ====================================================

UTF8MB4 = 255

EVERYTHING = TableInfo(table_id=7, schema="db", table="everything", columns=[
    ColumnDef(tm.MYSQL_TYPE_LONG, None, "id", nullable=False),
    ColumnDef(tm.MYSQL_TYPE_TINY, None, "tiny", unsigned=True),
    ColumnDef(tm.MYSQL_TYPE_SHORT, None, "short"),
    ColumnDef(tm.MYSQL_TYPE_INT24, None, "medium"),
    ColumnDef(tm.MYSQL_TYPE_LONGLONG, None, "big", unsigned=True),
    ColumnDef(tm.MYSQL_TYPE_FLOAT, 4, "f"),
    ColumnDef(tm.MYSQL_TYPE_DOUBLE, 8, "d"),
    ColumnDef(tm.MYSQL_TYPE_NEWDECIMAL, DecimalMeta(65, 30), "dec"),
    ColumnDef(tm.MYSQL_TYPE_BIT, BitMeta(5, 1), "bits"),
    ColumnDef(tm.MYSQL_TYPE_YEAR, None, "year"),
    ColumnDef(tm.MYSQL_TYPE_DATE, None, "date"),
    ColumnDef(tm.MYSQL_TYPE_DATETIME2, 6, "dt"),
    ColumnDef(tm.MYSQL_TYPE_TIMESTAMP2, 3, "ts"),
    ColumnDef(tm.MYSQL_TYPE_TIME2, 4, "tm"),
    ColumnDef(tm.MYSQL_TYPE_VARCHAR, 400, "name", charset=UTF8MB4),
    ColumnDef(tm.MYSQL_TYPE_STRING, StringMeta(tm.MYSQL_TYPE_STRING, 40), "code", charset=8),
    ColumnDef(tm.MYSQL_TYPE_STRING, StringMeta(tm.MYSQL_TYPE_ENUM, 1), "state",
              enum_values=("new", "old"), charset=UTF8MB4),
    ColumnDef(tm.MYSQL_TYPE_STRING, StringMeta(tm.MYSQL_TYPE_SET, 1), "tags",
              set_values=("a", "b", "c"), charset=UTF8MB4),
    ColumnDef(tm.MYSQL_TYPE_BLOB, 2, "body", charset=UTF8MB4),
    ColumnDef(tm.MYSQL_TYPE_BLOB, 3, "blob", charset=BINARY_COLLATION),
    ColumnDef(tm.MYSQL_TYPE_JSON, 4, "doc"),
    ColumnDef(tm.MYSQL_TYPE_GEOMETRY, 4, "geo", geometry_type=0),
    ColumnDef(tm.MYSQL_TYPE_VECTOR, 4, "vec", charset=BINARY_COLLATION, vector_dimension=2),
], primary_key=[0])

ROW = {
    "id": 1, "tiny": 255, "short": -32768, "medium": -8388608, "big": 2 ** 64 - 1,
    "f": 1.5, "d": -0.1, "dec": Decimal("-12345.000000000000000000000000000001"),
    "bits": 0x1FFF, "year": 2024, "date": datetime.date(2024, 2, 29),
    "dt": datetime.datetime(2024, 2, 29, 23, 59, 59, 999999),
    "ts": datetime.datetime(2024, 1, 1, 12, 0, 0, 123000, tzinfo=UTC),
    "tm": -datetime.timedelta(hours=838, minutes=59, seconds=59, microseconds=999900),
    "name": "n\u00e4me \U0001f600", "code": "caf\u00e9", "state": "old",
    "tags": frozenset({"a", "c"}), "body": "text " * 30, "blob": bytes(range(256)),
    "doc": {"k": [1, 2.5, None, True, "x"]}, "geo": Geometry.point(1.0, -2.0, srid=4326),
    "vec": [1.5, -2.0],
}


def test_every_type_round_trips_through_a_rows_event():
    nulls = {key: None for key in ROW if key != "id"} | {"id": 2}
    changes = [RowChange(None, ROW), RowChange(None, nulls)]
    body = rows_event_body(EVERYTHING, changes)
    assert decode_rows(body, EVERYTHING, kind="write") == changes


def test_update_and_delete_round_trip():
    after = dict(ROW, name="changed", tags=frozenset(), doc=[])
    for kind, change in (("update", RowChange(ROW, after)), ("delete", RowChange(ROW, None))):
        body = rows_event_body(EVERYTHING, [change, change], kind=kind)
        assert decode_rows(body, EVERYTHING, kind=kind) == [change, change]


def test_minimal_images_leave_absent_columns_out():
    before = {"id": 5}
    after = {"id": 5, "name": None, "tags": frozenset({"b"})}
    body = rows_event_body(EVERYTHING, [RowChange(before, after)], kind="update")
    assert body.columns_present == h("01 00 00")
    (change,) = decode_rows(body, EVERYTHING, kind="update")
    assert change.after == after and "code" not in change.after
    assert change.after["name"] is None  # NULL, not absent


def test_partial_json_update_is_applied_to_the_before_document():
    table = TableInfo(table_id=9, schema="db", table="j", columns=[
        ColumnDef(tm.MYSQL_TYPE_LONG, None, "id"), ColumnDef(tm.MYSQL_TYPE_JSON, 4, "a"),
        ColumnDef(tm.MYSQL_TYPE_JSON, 4, "b")])
    diffs = [JsonDiff(JsonDiffOperation.REPLACE, "$.n", 2),
             JsonDiff(JsonDiffOperation.INSERT, "$.m", "new"),
             JsonDiff(JsonDiffOperation.REMOVE, "$.gone")]
    before = {"id": 1, "a": {"n": 1, "gone": 0}, "b": [1]}
    after = {"id": 1, "a": JsonDiffValue(diffs), "b": [1, 2]}
    body = rows_event_body(table, [RowChange(before, after)], kind="partial")
    (change,) = decode_rows(body, table, kind="partial")
    assert change.after == {"id": 1, "a": {"n": 2, "m": "new"}, "b": [1, 2]}
    # the shared image: value_options 1 (PARTIAL_JSON_UPDATES), bit 0 for column a
    image = encode_rows([RowChange(before, after)], table, kind="partial")
    before_len = len(encode_rows([before], table, kind="delete"))
    assert image[before_len:before_len + 2] == h("01 01")
    # without the base document in the before image, the diff is kept
    body = rows_event_body(table, [RowChange({"id": 1}, after)], kind="partial")
    assert decode_rows(body, table, kind="partial")[0].after["a"] == JsonDiffValue(diffs)


def test_mariadb_compressed_rows_event():
    changes = [RowChange(ROW, dict(ROW, name="z" * 300))] * 3
    body = rows_event_body(EVERYTHING, changes, kind="update")
    params = {"post_header_len": 10}
    data = UpdateRowsCompressedEvent.build(body, **params)
    assert len(data) < len(UpdateRowsEvent.build(body, **params))
    parsed = UpdateRowsCompressedEvent.parse(data, **params)
    event = Event(170, parsed, name="UPDATE_ROWS_COMPRESSED_EVENT")
    assert decode_rows(event, EVERYTHING) == changes


def test_table_map_body_round_trips():
    data = TableMapEvent.build(EVERYTHING.table_map_body(), post_header_len=8)
    body = TableMapEvent.parse(data, post_header_len=8)
    table = TableInfo.from_table_map(body)
    assert table.columns == EVERYTHING.columns
    assert table.keys == EVERYTHING.keys and table.primary_key == (0,)
    assert (table.schema, table.table, table.table_id) == ("db", "everything", 7)


def test_table_info_is_shared_between_identical_table_maps():
    body = TableMapEvent.parse(TableMapEvent.build(EVERYTHING.table_map_body(),
                                                   post_header_len=8), post_header_len=8)
    first, second = TableInfo.from_table_map(body), TableInfo.from_table_map(body)
    assert first is not second and first._layout is second._layout


def test_keys_are_positions_without_column_names():
    body = EVERYTHING.table_map_body(optional_metadata=False)
    table = TableInfo.from_table_map(body)
    assert table.keys[:3] == ("@1", "@2", "@3")
    assert table.columns[14].charset is None  # text without a charset: bytes
    row = decode_rows(rows_event_body(EVERYTHING, [ROW]), table, kind="write")[0].after
    assert row["@15"] == ROW["name"].encode()
    assert row["@2"] == -1  # TINYINT 255 read as signed: no SIGNEDNESS field
    assumed = TableInfo.from_table_map(body, default_charset=UTF8MB4)
    row = decode_rows(rows_event_body(EVERYTHING, [ROW]), assumed, kind="write")[0].after
    assert row["@15"] == ROW["name"]


def test_mariadb_counts_geometry_among_charset_columns():
    # MariaDB 11.8, CREATE TABLE (a CHAR(3) latin1, d GEOMETRY, e TEXT utf8mb3):
    # COLUMN_CHARSET lists a, d and e
    body = TableInfo(table_id=1, schema="x", table="t", columns=[
        ColumnDef(tm.MYSQL_TYPE_STRING, StringMeta(tm.MYSQL_TYPE_STRING, 3), "a"),
        ColumnDef(tm.MYSQL_TYPE_GEOMETRY, 4, "d"),
        ColumnDef(tm.MYSQL_TYPE_BLOB, 2, "e")]).table_map_body()
    body.optional_metadata.append(Container(type=3, name="COLUMN_CHARSET", length=None,
                                            value=[8, 63, 2048]))
    for mariadb in (None, True):  # the list's length tells, or the caller does
        table = TableInfo.from_table_map(body, mariadb=mariadb)
        assert [c.charset for c in table.columns] == [8, 63, 2048]
    table = TableInfo.from_table_map(body, mariadb=False)
    assert [c.charset for c in table.columns] == [8, None, 63]


def test_mariadb_logical_types_by_column_name():
    table = TableInfo(table_id=1, schema="x", table="t", columns=[
        ColumnDef(tm.MYSQL_TYPE_STRING, StringMeta(tm.MYSQL_TYPE_STRING, 16), "u", charset=63)])
    body = table.table_map_body()
    typed = TableInfo.from_table_map(body, logical_types={"u": "uuid"})
    data = h("00 0e 123e4567e89b12d3a45642665544")  # MariaDB drops the trailing zeros
    (change,) = decode_rows({"rows": data, "columns_present": b"\x01"}, typed, kind="write")
    assert str(change.after["u"]) == "123e4567-e89b-12d3-a456-426655440000"


# == generated decoders agree with the checked one ======================================

CHOICES = {
    "tiny": st.integers(0, 255), "short": st.integers(-32768, 32767),
    "name": st.text(max_size=40), "code": st.text("abc\u00e9\u20ac", max_size=10),
    "dec": st.decimals(places=30, min_value=-10 ** 30, max_value=10 ** 30,
                       allow_nan=False, allow_infinity=False),
    "dt": st.datetimes(), "blob": st.binary(max_size=300),
    "tags": st.frozensets(st.sampled_from(["a", "b", "c"])),
}


@st.composite
def images(draw):
    present = draw(st.sets(st.sampled_from(sorted(CHOICES)), min_size=1))
    row = {"id": draw(st.integers(0, 2 ** 31 - 1))}
    for key in present:
        row[key] = draw(st.none() | CHOICES[key])
    return row


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(images(), min_size=1, max_size=4), st.sampled_from(["write", "update", "delete"]))
def test_generated_decoder_matches_the_checked_decoder(rows, kind):
    keys = set(rows[0])
    rows = [{k: row.get(k) for k in keys} for row in rows]  # one bitmap per event
    changes = [RowChange(None if kind == "write" else row, row if kind != "delete" else None)
               for row in rows]
    body = rows_event_body(EVERYTHING, changes, kind=kind)
    generated = EVERYTHING.decoder(kind, body.columns_present, body.columns_present_after)
    fast, end = generated(body.rows)
    slow = _Checked(body.rows, EVERYTHING._layout, None).rows(
        kind, body.columns_present, body.columns_present_after)
    assert end == len(body.rows)
    assert fast == slow == changes
    assert decode_rows(body, EVERYTHING, kind=kind) == changes


WIDE = TableInfo(table_id=9, schema="d", table="wide", columns=[
    ColumnDef(tm.MYSQL_TYPE_LONG, None, "id", nullable=False),
    *[ColumnDef(tm.MYSQL_TYPE_LONGLONG, None, f"b{i}") for i in range(5)],
    ColumnDef(tm.MYSQL_TYPE_VARCHAR, 40, "v1", charset=255),
    ColumnDef(tm.MYSQL_TYPE_DATETIME2, 0, "dt0"),
    ColumnDef(tm.MYSQL_TYPE_DATETIME2, 5, "dt5"),
    ColumnDef(tm.MYSQL_TYPE_VARCHAR, 400, "v2", charset=255),  # 2-byte length prefix
    ColumnDef(tm.MYSQL_TYPE_NEWDECIMAL, DecimalMeta(65, 30), "d65"),
    ColumnDef(tm.MYSQL_TYPE_NEWDECIMAL, DecimalMeta(12, 0), "d12"),
    ColumnDef(tm.MYSQL_TYPE_BLOB, 3, "blob3", charset=63),  # 3-byte length prefix
])
WIDE_VALUES = {
    **{f"b{i}": st.integers(-(2 ** 63), 2 ** 63 - 1) for i in range(5)},
    "v1": st.text(max_size=40), "v2": st.text(max_size=100),
    "dt0": st.datetimes().map(lambda d: d.replace(microsecond=0)), "dt5": st.datetimes(),
    "d65": st.decimals(places=30, min_value=-10 ** 34, max_value=10 ** 34, allow_nan=False,
                       allow_infinity=False),
    "d12": st.decimals(places=0, min_value=-10 ** 12 + 1, max_value=10 ** 12 - 1,
                       allow_nan=False, allow_infinity=False),
    "blob3": st.binary(max_size=50),
}


@st.composite
def wide_rows(draw):
    """Rows of WIDE, every column present (a 2-byte null bitmap), NULLs anywhere."""
    row = {"id": draw(st.integers(0, 2 ** 31 - 1))}
    for key, values in WIDE_VALUES.items():
        row[key] = draw(st.none() | values)
    if row["dt5"] is not None:  # fsp 5: the last digit is not stored
        row["dt5"] = row["dt5"].replace(microsecond=row["dt5"].microsecond // 10 * 10)
    return row


@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(wide_rows(), min_size=1, max_size=5), st.sampled_from(["write", "update"]))
def test_generated_decoder_of_a_wide_table(rows, kind):
    changes = [RowChange(row if kind == "update" else None, row) for row in rows]
    body = rows_event_body(WIDE, changes, kind=kind)
    generated = WIDE.decoder(kind, body.columns_present, body.columns_present_after)
    assert generated(body.rows) == (changes, len(body.rows))


def test_a_short_last_row_of_nulls_stays_on_the_generated_path():
    # The no-NULL layout's first unpack (null bitmap, id, five BIGINTs...) needs more
    # bytes than a row of NULLs at the end of the buffer has: the generated decoder
    # reads that row column by column rather than failing over to the checked one.
    full = {"id": 1, **{f"b{i}": i for i in range(5)}, "v1": "x", "dt0": None, "dt5": None,
            "v2": "y", "d65": Decimal("-0.5"), "d12": Decimal(7), "blob3": b"z"}
    empty = {"id": 2, **dict.fromkeys(WIDE_VALUES)}
    body = rows_event_body(WIDE, [full, empty])
    generated = WIDE.decoder("write", body.columns_present, None)
    rows, end = generated(body.rows)
    assert end == len(body.rows)
    assert rows == [RowChange(None, full), RowChange(None, empty)]


def test_decimals_are_exact_whatever_the_thread_context():
    import decimal

    values = [Decimal("-12345678901234567890123456789012345.123456789012345678901234567891"),
              Decimal("0E-30"), Decimal("-0E-30")]
    table = TableInfo(table_id=1, schema="d", table="t",
                      columns=[ColumnDef(tm.MYSQL_TYPE_NEWDECIMAL, DecimalMeta(65, 30), "n")])
    body = rows_event_body(table, [{"n": v} for v in values])
    with decimal.localcontext(decimal.Context(prec=3, traps=[decimal.Inexact])):
        rows = decode_rows(body, table, kind="write")
    decoded = [change.after["n"] for change in rows]
    assert [str(d) for d in decoded] == [str(v) for v in values]
    assert decoded[2].is_signed() and not decoded[1].is_signed()


# == errors ===============================================================================


def test_truncated_image_names_the_row_and_column():
    body = rows_event_body(EVERYTHING, [ROW, ROW])
    body.rows = body.rows[:-10]
    with pytest.raises(RowsDecodeError) as caught:
        decode_rows(body, EVERYTHING, kind="write")
    assert caught.value.field == "rows[1].after.vec"
    assert "row 1 (after image), column 'vec' (VECTOR)" in caught.value.reason
    assert "remain" in caught.value.reason


@pytest.mark.parametrize("kind", ["write", "delete", "update"])
def test_images_of_no_columns_with_row_data_are_an_error_not_a_hang(kind):
    body = {"rows": b"\x00", "columns_present": b"\x00\x00\x00",
            "columns_present_after": b"\x00\x00\x00"}
    with pytest.raises(RowsDecodeError, match="name no columns, yet 1 bytes"):
        decode_rows(body, EVERYTHING, kind=kind)
    assert decode_rows(dict(body, rows=b""), EVERYTHING, kind=kind) == []


def test_bad_value_names_the_column():
    table = TableInfo(table_id=1, schema="d", table="t",
                      columns=[ColumnDef(tm.MYSQL_TYPE_NEWDECIMAL, DecimalMeta(10, 0), "n")])
    body = {"rows": h("00 80 3b 9a ca 00"), "columns_present": b"\x01"}
    with pytest.raises(RowsDecodeError, match=r"column 'n' \(DECIMAL\(10,0\)\).*exceeds"):
        decode_rows(body, table, kind="write")


def test_column_count_must_match_the_table_map():
    body = rows_event_body(EVERYTHING, [ROW])
    body.column_count = 3
    with pytest.raises(RowsDecodeError, match="3 columns"):
        decode_rows(body, EVERYTHING, kind="write")


def test_kind_is_needed_for_a_bare_body():
    with pytest.raises(UsageError):
        decode_rows(rows_event_body(EVERYTHING, [ROW]), EVERYTHING)
    with pytest.raises(UsageError, match="no column named"):
        encode_rows([{"nope": 1}], EVERYTHING)


def test_rows_event_without_its_table_map():
    event = Event(30, rows_event_body(EVERYTHING, [ROW]), name="WRITE_ROWS_EVENT")
    tracker = TableMapTracker()
    with pytest.raises(MissingTableMapError, match="table id 7"):
        tracker.decode(event)
    record = event_to_json(event, tracker)
    assert record["rows"] is None and "table id 7" in record["rows_error"]
    assert isinstance(MissingTableMapError("x"), DecodeError)


def test_tracker_enrich_hook_supplies_what_the_table_map_lacks():
    # A table map without names (binlog_row_metadata=MINIMAL): the hook names them.
    table = TableInfo(table_id=5, schema="d", table="t", columns=[
        ColumnDef(tm.MYSQL_TYPE_LONG, None, None), ColumnDef(tm.MYSQL_TYPE_LONG, None, None)])
    seen = []

    def enrich(info):
        seen.append((info.schema, info.table, info.keys))
        return TableInfo(table_id=info.table_id, schema=info.schema, table=info.table,
                         columns=[ColumnDef(c.type, c.metadata, name)
                                  for c, name in zip(info.columns, ("a", "b"), strict=True)])

    tracker = TableMapTracker(enrich=enrich)
    tracker.observe(Event(19, table.table_map_body(), name="TABLE_MAP_EVENT"))
    rows = Event(30, rows_event_body(table, [{"@1": 1, "@2": 2}]), name="WRITE_ROWS_EVENT")
    assert seen == [("d", "t", ("@1", "@2"))]
    assert tracker.decode(rows) == [RowChange(None, {"a": 1, "b": 2})]


# == JSON ===================================================================================


def test_values_as_json():
    rendered = row_change_to_json(RowChange(None, ROW), EVERYTHING)["after"]
    assert rendered == {
        "id": 1, "tiny": 255, "short": -32768, "medium": -8388608, "big": 2 ** 64 - 1,
        "f": 1.5, "d": -0.1, "dec": "-12345.000000000000000000000000000001", "bits": 8191,
        "year": 2024, "date": "2024-02-29", "dt": "2024-02-29 23:59:59.999999",
        "ts": "2024-01-01 12:00:00.123", "tm": "-838:59:59.9999", "name": ROW["name"],
        "code": "caf\u00e9", "state": "old", "tags": ["a", "c"], "body": ROW["body"],
        "blob": {"hex": bytes(range(256)).hex()}, "doc": {"k": [1, 2.5, None, True, "x"]},
        "geo": {"srid": 4326, "wkt": "POINT(1 -2)"}, "vec": [1.5, -2.0],
    }
    json.dumps(rendered)


def test_dump_json_prints_rows():
    require_corpus()
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli_main(["dump", "--json", str(CORPUS / BB / "mysql-enum-string-set.000001")]) == 0
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    rows = [r for r in records if r["type"] == "DELETE_ROWS_EVENT"]
    (record,) = rows
    assert record["schema"] == "mysql" and record["table"] == "t"
    (change,) = record["rows"]
    assert change["after"] is None
    assert change["before"]["f3"] == "variant2" and change["before"]["f4"] == ["two", "four"]


def test_dump_json_without_rows_keeps_the_raw_bytes():
    require_corpus()
    out = io.StringIO()
    with redirect_stdout(out):
        cli_main(["dump", "--json", "--no-rows", str(CORPUS / BB / "time_issue.000001")])
    (record,) = [json.loads(line) for line in out.getvalue().splitlines()
                 if '"WRITE_ROWS_EVENT"' in line]
    assert record["rows"] == {"hex": "006043e5"} and "table" not in record


# == live: a real server's rows against its own SELECT ===================================

LIVE_COLUMNS = [
    ("i", "BIGINT UNSIGNED"), ("d", "DECIMAL(20,6)"), ("f", "FLOAT"), ("db", "DOUBLE"),
    ("dt", "DATETIME(3)"), ("ts", "TIMESTAMP(6) NULL"), ("tm", "TIME(2)"), ("dd", "DATE"),
    ("y", "YEAR"), ("b", "BIT(12)"), ("e", "ENUM('one','two','three')"),
    ("s", "SET('a','b','c')"), ("c", "CHAR(10) CHARACTER SET latin1"),
    ("v", "VARCHAR(300) CHARACTER SET utf8mb4"), ("t", "TEXT"), ("bl", "BLOB"),
    ("j", "JSON"), ("g", "GEOMETRY"),
]
LIVE_STATEMENTS = [
    "INSERT INTO live.t VALUES (1, 18446744073709551615, -12345678901234.123456, 1.5, 0.1, "
    "'2024-02-29 23:59:59.999', '2024-01-01 00:00:01.000001', '-838:59:59.99', '0000-00-00', "
    "2155, b'101010101010', 'two', 'a,c', 'caf\u00e9', REPEAT('\u00e9', 300), 'text', "
    "0x00ff, '{\"n\": 1, \"list\": [1, 2]}', ST_GeomFromText('POINT(1 2)'))",
    "INSERT INTO live.t (id) VALUES (2)",
    "UPDATE live.t SET v = 'changed', s = '' WHERE id = 1",
    "UPDATE live.t SET j = JSON_SET(j, '$.n', 2, '$.new', 'x') WHERE id = 1",
    "UPDATE live.t SET j = JSON_REMOVE(j, '$.list[0]') WHERE id = 1",
    "UPDATE live.t SET i = 0, tm = '12:00:00' WHERE id = 2",
    "DELETE FROM live.t WHERE id = 2",
]


def _select_row(cursor, key: int) -> dict | None:
    exprs = ", ".join(_live_text(name, sql) for name, sql in LIVE_COLUMNS)
    cursor.execute(f"SELECT id, {exprs} FROM live.t WHERE id = {key}")
    found = cursor.fetchone()
    if found is None:
        return None
    values = [v.decode("utf-8") if isinstance(v, bytes) else v for v in found]
    return dict(zip(["id", *(name for name, _ in LIVE_COLUMNS)], values, strict=True))


def _live_text(name: str, sql: str) -> str:
    base = sql.split("(")[0].split()[0]
    if base == "BLOB":
        return f"HEX({name})"
    if base == "BIT":
        return f"CAST({name} + 0 AS CHAR)"
    if base == "GEOMETRY":
        return f"CONCAT(ST_SRID({name}), ' ', ST_AsText({name}))"
    return f"CAST({name} AS CHAR)"


@pytest.mark.realserver
@pytest.mark.parametrize("row_image", ["FULL", "MINIMAL"])
def test_live_rows_match_the_servers_select(real_server, row_image):
    from mysqlproto.jsonbinary import apply_json_diff
    from tests.test_values import server_text_agrees

    server = real_server
    mysql = server.flavour == "mysql" or getattr(server.flavour, "name", "") == "mysql"
    options = {"binlog_row_metadata": "FULL", "binlog_row_image": row_image}
    if mysql:
        options["binlog_row_value_options"] = "PARTIAL_JSON"
    server.configure(options)
    try:
        server.reset()
        states = []
        with server.connect() as conn, conn.cursor() as cursor:
            cursor.execute("SET SESSION time_zone = '+00:00'")
            cursor.execute("SET SESSION sql_mode = ''")
            cursor.execute("CREATE DATABASE live")
            columns = ", ".join(f"{name} {sql}" for name, sql in LIVE_COLUMNS)
            cursor.execute(f"CREATE TABLE live.t (id INT PRIMARY KEY, {columns})")
            for statement in LIVE_STATEMENTS:
                cursor.execute(statement)
                states.append({key: _select_row(cursor, key) for key in (1, 2)})
        server.flush_binlogs()
        changes = []
        for path in server.binlog_files():
            for event, table, change in decoded_rows(path):
                if table.table == "t":
                    changes.append((event, table, change))
    finally:
        server.configure({})
    assert len(changes) == len(LIVE_STATEMENTS)
    sql_types = dict(LIVE_COLUMNS, id="INT")
    previous: dict = {1: None, 2: None}
    for (event, table, change), state in zip(changes, states, strict=True):
        image = change.after if change.after is not None else change.before
        key = image.get("id", (change.before or {}).get("id"))
        expected = state[key] if change.after is not None else previous[key]
        columns = dict(zip(table.keys, table.columns, strict=True))
        for name, value in image.items():
            text = expected[name]
            if isinstance(value, JsonDiffValue):  # MINIMAL before image: apply it ourselves
                assert row_image == "MINIMAL"
                value = apply_json_diff(json.loads(previous[key]["j"]), value.diffs)
            if text is None:
                assert value is None, (event.name, name)
                continue
            assert server_text_agrees(sql_types[name], columns[name], value, text), (
                event.name, name, value, text)
        previous = state
    if mysql:
        assert any(e.name == "PARTIAL_UPDATE_ROWS_EVENT" for e, _, _ in changes)


def test_corrupt_table_map_is_passed_over():
    from mysqlproto.events import CorruptEvent

    tracker = TableMapTracker()
    tracker.observe(CorruptEvent(type_code=19, body=Container(), name="TABLE_MAP_EVENT",
                                 raw=b"", error=DecodeError("bad")))
    assert tracker.tables == {}
