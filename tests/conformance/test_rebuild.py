"""Rebuilding tables from rows events and comparing them with SELECT, with no server.

`TableState` is fed crafted `RowChange` sequences as each row image mode writes them
(FULL, MINIMAL, NOBLOB); the `Replayer` crafted events (transactions, savepoints, XA,
TRUNCATE, a compressed transaction); `compare_tables` crafted truths.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from conformance.rebuild import (
    MAX_MISMATCHES,
    NORMALIZATION,
    Replayer,
    TableMismatch,
    TableState,
    TableStateResult,
    canonical,
    column_from_truth,
    compare_tables,
    table_specs,
)
from mysqlproto.events import Event
from mysqlproto.geometry import Geometry
from mysqlproto.jsonbinary import JsonDiff, JsonDiffOperation
from mysqlproto.rows import JsonDiffValue, RowChange, TableInfo, rows_event_body
from spec.binlog.events import table_map as tm
from spec.binlog.values import MySQLDate, MySQLDateTime

UTF8MB4 = 255
LATIN1 = 8

# -- one table's state -----------------------------------------------------------------


def keyed_state(*rows: dict[str, Any]) -> TableState:
    state = TableState(["id"])
    for row in rows:
        assert state.insert(row) is None
    return state


def test_minimal_update_finds_the_row_by_its_key_and_keeps_the_other_columns() -> None:
    state = keyed_state({"id": 1, "a": "x", "b": 2}, {"id": 2, "a": "y", "b": 3})
    # MINIMAL: the before image holds the key, the after image the changed columns
    assert state.update({"id": 1}, {"b": 20}) is None
    assert list(state.rows.values()) == [{"id": 1, "a": "x", "b": 20}, {"id": 2, "a": "y", "b": 3}]


def test_noblob_update_keeps_the_blob_it_left_out() -> None:
    state = keyed_state({"id": 1, "note": "old", "payload": b"\x00" * 70000})
    # NOBLOB: every column but the unchanged blob, before and after
    assert state.update({"id": 1, "note": "old"}, {"id": 1, "note": "new"}) is None
    assert state.rows[0] == {"id": 1, "note": "new", "payload": b"\x00" * 70000}


def test_an_update_of_the_key_moves_the_row_in_the_index() -> None:
    state = keyed_state({"id": 1, "a": "x"})
    assert state.update({"id": 1}, {"id": 1001}) is None
    assert state.find({"id": 1}) is None
    assert state.rows[state.find({"id": 1001})] == {"id": 1001, "a": "x"}
    assert state.delete({"id": 1001}) is None and not state.rows and not state.index


def test_a_table_without_key_matches_on_every_column_of_the_image() -> None:
    state = TableState()
    for row in ({"a": 1, "b": "v"}, {"a": 1, "b": "v"}, {"a": 2, "b": None}):
        assert state.insert(row) is None
    # MINIMAL on a table without a key: the before image holds every column
    assert state.delete({"a": 1, "b": "v"}) is None
    assert sorted(state.rows.values(), key=str) == [{"a": 1, "b": "v"}, {"a": 2, "b": None}]
    assert state.update({"a": 2, "b": None}, {"a": 2, "b": "w"}) is None
    assert {"a": 2, "b": "w"} in state.rows.values()


def test_a_change_that_cannot_apply_is_a_problem_as_it_would_stop_a_replica() -> None:
    state = keyed_state({"id": 1, "a": "x"})
    assert "no row matches" in state.update({"id": 9}, {"a": "y"})
    assert "no row matches" in state.delete({"id": 9})
    # a FULL before image that disagrees with the rebuilt row does not match it
    assert "no row matches" in state.update({"id": 1, "a": "stale"}, {"id": 1, "a": "y"})
    assert "existing key" in state.insert({"id": 1, "a": "again"})
    assert list(state.rows.values()) == [{"id": 1, "a": "again"}]


def test_a_partial_json_update_applies_to_the_rebuilt_document() -> None:
    state = keyed_state({"id": 1, "j": {"a": 1, "c": [1, 2, 3]}})
    diffs = [
        JsonDiff(JsonDiffOperation.REPLACE, "$.a", 100),
        JsonDiff(JsonDiffOperation.INSERT, "$.new", "v"),
        JsonDiff(JsonDiffOperation.REMOVE, "$.c[1]"),
    ]
    # MINIMAL before image: the key only, so the decoder could not apply the diffs
    assert state.update({"id": 1}, {"j": JsonDiffValue(diffs)}) is None
    assert state.rows[0]["j"] == {"a": 100, "c": [1, 3], "new": "v"}


def test_apply_dispatches_on_the_event_kind() -> None:
    state = TableState(["id"])
    assert state.apply("write", RowChange(None, {"id": 1, "v": 1})) is None
    assert state.apply("update", RowChange({"id": 1}, {"v": 2})) is None
    assert state.apply("partial", RowChange({"id": 1}, {"v": 3})) is None
    assert state.rows[0] == {"id": 1, "v": 3}
    assert state.apply("delete", RowChange({"id": 1}, None)) is None
    assert not state.rows


# -- replaying events ------------------------------------------------------------------

COLUMNS = [["id", "int", None], ["n", "int unsigned", None], ["s", "varchar(20)", "utf8mb4"]]


def truth(
    tables: Mapping[str, Sequence[Sequence[Any]]],
    *,
    engine: str = "InnoDB",
    unreplayable: Mapping[str, str] | None = None,
    columns: Sequence[Sequence[Any]] = COLUMNS,
    primary_key: Sequence[str] = ("id",),
    numbers: Mapping[str, Sequence[Any]] | None = None,
) -> dict[str, Any]:
    """A ground truth (JSON form) of database `db`: each table's final rows."""
    return {
        "scenario": "crafted",
        "database": "db",
        "tables": {
            name: {
                "columns": [list(column) for column in columns],
                "primary_key": list(primary_key),
                "engine": engine,
                "rows": [list(row) for row in rows],
                "numbers": dict(numbers or {}),
            }
            for name, rows in tables.items()
        },
        "unreplayable": dict(unreplayable or {}),
    }


def table_info(table: str = "t", table_id: int = 1, *, names: bool = True) -> TableInfo:
    """`db.<table>` as a table map gives it: with the optional metadata (names,
    signedness, charsets), or without any (`binlog_row_metadata=MINIMAL`)."""
    columns = [
        tm_column(tm.MYSQL_TYPE_LONG, "id", unsigned=False),
        tm_column(tm.MYSQL_TYPE_LONG, "n", unsigned=True),
        tm_column(tm.MYSQL_TYPE_VARCHAR, "s", metadata=80, charset=UTF8MB4),
    ]
    if not names:
        columns = [tm_column(column.type, None, metadata=column.metadata) for column in columns]
    return TableInfo(table_id=table_id, schema="db", table=table, columns=columns)


def tm_column(code: int, name: str | None, **extra: Any):
    from spec.binlog.values import ColumnDef

    return ColumnDef(code, extra.pop("metadata", None), name, **extra)


def table_map(info: TableInfo) -> Event:
    return Event(type_code=19, body=info.table_map_body(optional_metadata=info.keys[0] == "id"))


def rows(info: TableInfo, kind: str, *changes: Any) -> Event:
    code = {"write": 30, "update": 31, "delete": 32}[kind]
    return Event(type_code=code, body=rows_event_body(info, changes, kind=kind))


def query(text: str) -> Event:
    return Event(type_code=2, body={"db": "db", "query": text})


XID = Event(type_code=16, body={"xid": 1})


def xa_prepare(gtrid: bytes, bqual: bytes = b"", format_id: int = 1, one_phase: int = 0):
    body = {"one_phase": one_phase, "format_id": format_id, "gtrid": gtrid, "bqual": bqual}
    return Event(type_code=38, body=body)


def replay(truths: Sequence[dict[str, Any]], *events: Event) -> Replayer:
    replayer = Replayer(table_specs(truths))
    for event in events:
        replayer.feed(event)
    replayer.finish()
    return replayer


def rows_of(replayer: Replayer, table: str = "t") -> list[dict[str, Any]]:
    return sorted(replayer.states[("db", table)].rows.values(), key=lambda row: row["id"])


def test_committed_changes_apply_and_rolled_back_ones_do_not() -> None:
    info = table_info()
    replayer = replay(
        [truth({"t": []})],
        table_map(info),
        query("BEGIN"),
        rows(info, "write", {"id": 1, "n": 1, "s": "a"}),
        XID,
        query("BEGIN"),
        rows(info, "write", {"id": 2, "n": 2, "s": "b"}),
        query("ROLLBACK"),
        query("BEGIN"),
        rows(info, "update", RowChange({"id": 1}, {"s": "c"})),
        query("COMMIT"),
    )
    assert rows_of(replayer) == [{"id": 1, "n": 1, "s": "c"}]
    assert replayer.problems == [] and replayer.row_changes == 3


def test_a_rolled_back_transaction_keeps_its_non_transactional_changes() -> None:
    inno, myisam = table_info("inno", 1), table_info("myi", 2)
    truths = [truth({"inno": []}), truth({"myi": []}, engine="MyISAM")]
    replayer = replay(
        truths,
        table_map(inno),
        table_map(myisam),
        query("BEGIN"),
        rows(inno, "write", {"id": 1, "n": 1, "s": "rolled back"}),
        rows(myisam, "write", {"id": 1, "n": 1, "s": "kept"}),
        query("ROLLBACK"),
    )
    assert rows_of(replayer, "inno") == []
    assert rows_of(replayer, "myi") == [{"id": 1, "n": 1, "s": "kept"}]


def test_rollback_to_a_savepoint_drops_the_changes_after_it() -> None:
    info = table_info()
    replayer = replay(
        [truth({"t": []})],
        table_map(info),
        query("BEGIN"),
        rows(info, "write", {"id": 1, "n": 1, "s": "a"}),
        query("SAVEPOINT `sp`"),
        rows(info, "write", {"id": 2, "n": 2, "s": "b"}),
        query("ROLLBACK TO `sp`"),
        rows(info, "write", {"id": 3, "n": 3, "s": "c"}),
        XID,
    )
    assert [row["id"] for row in rows_of(replayer)] == [1, 3]


def test_xa_prepared_changes_wait_for_their_commit_or_rollback() -> None:
    info = table_info()
    replayer = replay(
        [truth({"t": []})],
        table_map(info),
        query("XA START X'6b',X'',1"),
        rows(info, "write", {"id": 1, "n": 1, "s": "committed"}),
        query("XA END X'6b',X'',1"),
        xa_prepare(b"k"),
        query("XA START X'72',X'62',7"),
        rows(info, "write", {"id": 2, "n": 2, "s": "rolled back"}),
        query("XA END X'72',X'62',7"),
        xa_prepare(b"r", b"b", 7),
        query("XA START X'6f',X'',1"),
        rows(info, "write", {"id": 3, "n": 3, "s": "one phase"}),
        query("XA END X'6f',X'',1"),
        xa_prepare(b"o", one_phase=1),  # MySQL's XA COMMIT ... ONE PHASE
    )
    assert [row["id"] for row in rows_of(replayer)] == [3]  # the others are still prepared
    replayer.feed(query("XA ROLLBACK X'72',X'62',7"))
    replayer.feed(query("XA COMMIT X'6b',X'',1"))
    assert [row["id"] for row in rows_of(replayer)] == [1, 3]
    assert replayer.problems == []


def test_truncate_empties_the_table() -> None:
    info = table_info()
    replayer = replay(
        [truth({"t": []})],
        table_map(info),
        query("BEGIN"),
        rows(info, "write", {"id": 1, "n": 1, "s": "a"}),
        query("COMMIT"),
        query("TRUNCATE TABLE `db`.`t`"),
        query("BEGIN"),
        rows(info, "write", {"id": 1, "n": 2, "s": "after"}),
        query("COMMIT"),
    )
    assert rows_of(replayer) == [{"id": 1, "n": 2, "s": "after"}]


def test_changes_inside_a_compressed_transaction_are_replayed() -> None:
    info = table_info()
    payload = Event(
        type_code=40,
        body={},
        inner=[table_map(info), rows(info, "write", {"id": 1, "n": 1, "s": "a"}), XID],
    )
    replayer = replay([truth({"t": []})], payload)
    assert rows_of(replayer) == [{"id": 1, "n": 1, "s": "a"}]


def test_a_table_map_without_metadata_takes_the_schema_from_the_truth() -> None:
    # binlog_row_metadata=MINIMAL: no names, no signedness, no charsets
    bare = table_info(names=False)
    assert bare.keys == ("@1", "@2", "@3")
    # the bytes ff ff ff ff, which only the truth's `int unsigned` makes 2**32 - 1
    write = rows(bare, "write", {"@1": 1, "@2": -1, "@3": "é".encode()})
    replayer = replay([truth({"t": []})], table_map(bare), write, XID)
    assert rows_of(replayer) == [{"id": 1, "n": 2**32 - 1, "s": "é"}]


def test_a_statement_left_open_at_the_end_is_a_problem() -> None:
    info = table_info()
    replayer = replay(
        [truth({"t": []})], table_map(info), rows(info, "write", {"id": 1, "n": 1, "s": "a"})
    )
    assert replayer.problems == [("db.t", "a change of a transaction that never ends")]


def test_unreplayable_tables_are_decoded_but_not_rebuilt() -> None:
    info = table_info()
    truths = [truth({"t": [[1, 1, "a"]]}, unreplayable={"t": "statement format"})]
    replayer = replay(truths, table_map(info), rows(info, "write", {"id": 1, "n": 1, "s": "a"}))
    assert replayer.row_changes == 1 and ("db", "t") not in replayer.states
    result = compare_tables(replayer, truths, table_specs(truths))
    assert result.skipped == {"db.t": "statement format"} and result.tables == 0


# -- comparing with SELECT -------------------------------------------------------------


def compare(
    truths: Sequence[dict[str, Any]], *events: Event, row_image: str = "FULL"
) -> TableStateResult:
    specs = table_specs(truths)
    replayer = Replayer(specs)
    for event in events:
        replayer.feed(event)
    replayer.finish()
    return compare_tables(replayer, truths, specs, row_image=row_image)


def test_equal_tables_pass_and_are_counted() -> None:
    info = table_info()
    result = compare(
        [truth({"t": [[1, 7, "a"], [2, 8, None]]})],
        table_map(info),
        rows(info, "write", {"id": 1, "n": 7, "s": "a"}, {"id": 2, "n": 8, "s": None}),
        XID,
    )
    assert result.passed, result.mismatches
    assert (result.tables, result.rows, result.values) == (1, 2, 6)
    assert result.compared == ["db.t"]


def test_differences_are_mismatches_naming_the_row_and_column() -> None:
    info = table_info()
    result = compare(
        [truth({"t": [[1, 7, "a"], [2, 8, "b"]]})],
        table_map(info),
        rows(info, "write", {"id": 1, "n": 7, "s": "A"}, {"id": 3, "n": 9, "s": "c"}),
        XID,
    )
    by_kind = {mismatch.kind: mismatch for mismatch in result.mismatches}
    assert set(by_kind) == {"value", "missing", "extra"} and not result.passed
    value = by_kind["value"]
    assert (value.table, value.key, value.column) == ("db.t", "id=1", "s")
    assert (value.binlog, value.select) == ("'A'", "'a'")
    assert by_kind["missing"].key == "id=2" and by_kind["extra"].key == "id=3"


def test_a_replay_problem_fails_the_comparison() -> None:
    info = table_info()
    result = compare(
        [truth({"t": []})],
        table_map(info),
        rows(info, "delete", {"id": 1, "n": 7, "s": "a"}),
        XID,
    )
    (mismatch,) = result.mismatches
    assert mismatch.kind == "replay" and "DELETE" in mismatch.message


@pytest.mark.parametrize(
    ("row_image", "column_type", "not_logged"),
    [
        ("MINIMAL", "varchar(20)", True),
        ("NOBLOB", "text", True),
        ("NOBLOB", "varchar(20)", False),
        ("FULL", "text", False),
    ],
)
def test_a_column_no_image_held_is_allowed_only_where_the_row_image_omits_it(
    row_image: str, column_type: str, not_logged: bool
) -> None:
    info = table_info()
    columns = [*COLUMNS[:2], ["s", column_type, "utf8mb4"]]
    result = compare(
        [truth({"t": [[1, 7, None]]}, columns=columns)],
        table_map(info),
        rows(info, "write", {"id": 1, "n": 7}),  # `s` took its default
        XID,
        row_image=row_image,
    )
    assert result.not_logged == (1 if not_logged else 0)
    assert result.passed is not_logged
    if not not_logged:
        assert result.mismatches[0].kind == "absent"


def test_a_table_without_key_is_compared_as_a_multiset() -> None:
    info = table_info()
    truths = [truth({"t": [[1, 1, "a"], [1, 1, "a"], [2, 2, "b"]]}, primary_key=())]
    same = rows(info, "write", *[{"id": 1, "n": 1, "s": "a"}] * 2, {"id": 2, "n": 2, "s": "b"})
    assert compare(truths, table_map(info), same, XID).passed
    once = rows(info, "write", {"id": 1, "n": 1, "s": "a"}, {"id": 2, "n": 2, "s": "b"})
    (mismatch,) = compare(truths, table_map(info), once, XID).mismatches
    assert mismatch.kind == "missing" and mismatch.key.startswith("row (1, 1, 'a')")


def test_enum_and_set_without_member_strings_compare_by_number() -> None:
    from spec.binlog.values import ColumnDef, StringMeta

    columns = [
        ["id", "int", None],
        ["e", "enum('a','😀')", "utf8mb4"],
        ["s", "set('x','y')", "latin1"],
    ]
    bare = TableInfo(
        table_id=1,
        schema="db",
        table="t",
        columns=[
            ColumnDef(tm.MYSQL_TYPE_LONG),
            ColumnDef(tm.MYSQL_TYPE_STRING, StringMeta(tm.MYSQL_TYPE_ENUM, 1)),
            ColumnDef(tm.MYSQL_TYPE_STRING, StringMeta(tm.MYSQL_TYPE_SET, 1)),
        ],
    )
    # information_schema says '?' for the 4-byte member; the snapshot's numbers do not
    truths = [truth({"t": [[1, "😀", "x,y"]]}, columns=columns, numbers={"e": [2], "s": [3]})]
    write = rows(bare, "write", {"@1": 1, "@2": 2, "@3": 3})
    result = compare(truths, table_map(bare), write, XID)
    assert result.passed, result.mismatches
    wrong = rows(bare, "write", {"@1": 1, "@2": 1, "@3": 3})
    (mismatch,) = compare(truths, table_map(bare), wrong, XID).mismatches
    assert (mismatch.column, mismatch.binlog, mismatch.select) == ("e", "1", "2")


def test_mismatches_past_the_limit_are_counted_not_kept() -> None:
    result = TableStateResult()
    for n in range(MAX_MISMATCHES + 5):
        result.add(TableMismatch(table="db.t", kind="value", key=f"id={n}"))
    assert result.mismatch_count == MAX_MISMATCHES + 5
    assert len(result.mismatches) == MAX_MISMATCHES
    again = TableStateResult.from_json(
        {**vars(result), "mismatches": [vars(m) for m in result.mismatches]}
    )
    assert again == result


# -- normalization ---------------------------------------------------------------------

BIG = bytes(range(256)) * 20  # past MAX_INLINE_BYTES: the truth keeps its digest
UTC = datetime.UTC

#: (COLUMN_TYPE, charset, binlog value, SELECT value as the truth holds it): equal.
EQUAL = [
    ("bigint unsigned", None, 2**64 - 1, 2**64 - 1),
    ("decimal(5,2)", None, decimal.Decimal("-999.99"), {"$decimal": "-999.99"}),
    ("float", None, 3.4028234663852886e38, 3.4028234663852886e38),
    ("bit(9)", None, 0x101, {"$hex": "0101"}),
    ("year", None, 0, 0),
    ("date", None, datetime.date(2024, 2, 29), {"$date": "2024-02-29"}),
    ("date", None, MySQLDate(2024, 5, 0), "2024-05-00"),
    (
        "datetime(3)",
        None,
        datetime.datetime(2024, 2, 29, 12, 34, 56, 123000),
        {"$datetime": "2024-02-29T12:34:56.123000"},
    ),
    ("datetime(6)", None, MySQLDateTime(0, 0, 0), "0000-00-00 00:00:00.000000"),
    (
        "timestamp(1)",
        None,
        datetime.datetime(2000, 1, 1, 0, 0, 0, 500000, tzinfo=UTC),
        {"$datetime": "2000-01-01T00:00:00.500000"},
    ),
    ("time(6)", None, -datetime.timedelta(microseconds=1000001), {"$time": "-00:00:01.000001"}),
    ("time", None, datetime.timedelta(hours=838, minutes=59, seconds=59), {"$time": "838:59:59"}),
    ("varchar(10)", "utf8mb4", "😀", "😀"),
    ("binary(4)", None, b"\x01\x00\x00\x00", {"$hex": "01000000"}),
    (
        "longblob",
        None,
        BIG,
        {"$sha256": hashlib.sha256(BIG).hexdigest(), "length": len(BIG)},
    ),
    ("enum('a','b')", "latin1", "b", "b"),
    ("set('x','y','z')", "latin1", frozenset({"x", "z"}), "x,z"),
    ("set('x','y','z')", "latin1", frozenset(), ""),
    ("json", None, {"a": [1, 2.5, None]}, '{"a": [1, 2.5, null]}'),
    (
        "point",
        None,
        Geometry.point(1.0, 2.0, 4326),
        {"$hex": Geometry.point(1.0, 2.0, 4326).to_bytes().hex()},
    ),
    ("vector(2)", None, [1.0, -2.5], {"$hex": "0000803f000020c0"}),
    ("inet6", None, __import__("ipaddress").IPv6Address("2001:db8::1"), "2001:db8::1"),
    ("uuid", None, __import__("uuid").UUID(int=1), "00000000-0000-0000-0000-000000000001"),
]

#: Pairs that must stay different: normalization never hides a real difference.
DIFFERENT = [
    ("float", None, 3.4028234663852886e38, 3.40282e38),  # the text protocol's 6 digits
    ("decimal(5,2)", None, decimal.Decimal("1.51"), {"$decimal": "1.50"}),
    (
        "datetime(3)",
        None,
        datetime.datetime(2024, 2, 29, 12, 34, 56, 123001),  # a digit the column cannot hold
        {"$datetime": "2024-02-29T12:34:56.123000"},
    ),
    (
        "timestamp",
        None,
        datetime.datetime(2000, 1, 1, 1, 0, 0, tzinfo=UTC),
        {"$datetime": "2000-01-01T00:00:00"},
    ),
    ("varchar(10)", "utf8mb4", b"\xc3\xa9", "é"),  # undecoded text
    (
        "longblob",
        None,
        BIG[:-1] + b"\x00",
        {"$sha256": hashlib.sha256(BIG).hexdigest(), "length": len(BIG)},
    ),
    ("set('x','y','z')", "latin1", frozenset({"x"}), "x,z"),
    ("json", None, {"a": 1}, '{"a": 1.0}'),
    ("bit(9)", None, 0x100, {"$hex": "0101"}),
]


@pytest.mark.parametrize(
    ("column_type", "charset", "binlog", "select"),
    EQUAL,
    ids=[f"{case[0]}-{n}" for n, case in enumerate(EQUAL)],
)
def test_normalization_makes_both_forms_of_one_value_equal(
    column_type: str, charset: str | None, binlog: Any, select: Any
) -> None:
    column = column_from_truth("c", column_type, charset)
    assert canonical(binlog, column, "binlog") == canonical(select, column, "select")


@pytest.mark.parametrize(
    ("column_type", "charset", "binlog", "select"),
    DIFFERENT,
    ids=[f"{case[0]}-{n}" for n, case in enumerate(DIFFERENT)],
)
def test_normalization_keeps_real_differences(
    column_type: str, charset: str | None, binlog: Any, select: Any
) -> None:
    column = column_from_truth("c", column_type, charset)
    assert canonical(binlog, column, "binlog") != canonical(select, column, "select")


def test_every_normalization_but_the_plainest_has_an_example_above() -> None:
    kinds = {column_from_truth("c", t, charset).kind for t, charset, *_ in EQUAL}
    assert set(NORMALIZATION) - kinds == {"double", "unknown"}
    assert column_from_truth("c", "varchar(1000) /*M!100301 COMPRESSED*/", "utf8mb4").kind == (
        "text"
    )
    assert column_from_truth("c", "varbinary(8)", None).kind == "binary"
    assert column_from_truth("c", "timestamp(4)", None).fsp == 4
