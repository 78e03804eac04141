"""Table state rebuilt from the row events, compared with what SELECT returns.

Theory of operation, for the binlog files of one (server, config) capture and the
ground truths its scenarios recorded (`rebuild_tables`):

1. Replay (`Replayer`), as a replica's applier would: every event of every file in
   order, the inner events of a compressed transaction (MySQL TRANSACTION_PAYLOAD)
   included, MariaDB's compressed rows events too. TABLE_MAP events go to a
   `TableMapTracker`; each rows event is decoded with `decode_rows` and its row
   changes wait in the open transaction until it ends:

   - `XID_EVENT`, a `COMMIT` query, a one-phase `XA_PREPARE_LOG_EVENT`, or any other
     statement (DDL commits implicitly) applies them;
   - a `ROLLBACK` query applies only those of non-transactional tables (the truth's
     `engine` is not InnoDB), which a rolled-back mixed transaction leaves behind;
     `SAVEPOINT` / `ROLLBACK TO` drop the transactional ones after the savepoint;
   - `XA_PREPARE_LOG_EVENT` sets them aside under the xid, and the later
     `XA COMMIT X'..',X'..',n` applies them, `XA ROLLBACK` drops them;
   - `TRUNCATE [TABLE] t` empties the table.

   Applying a change to a `TableState`: WRITE inserts the after image; UPDATE finds
   the row matching the before image and sets the columns of the after image, so a
   column an image leaves out (MINIMAL, NOBLOB, FULL_NODUP) keeps its value; DELETE
   removes the row. A before image matches a row when every column it holds is
   equal, looked up by primary key when it holds the key's columns (MINIMAL images of
   a keyed table hold only those), else by scanning (a table without a key: MINIMAL
   images then hold every column). A JSON column whose partial update could not be
   applied while decoding (its document is not in a MINIMAL before image) is applied
   here, to the rebuilt document. A change that finds no row, or a WRITE onto an
   existing key, is a `replay` mismatch: the replica would stop there.

2. Where the table map lacks what a consumer needs, the schema comes from
   `information_schema`, as a consumer with `binlog_row_metadata=MINIMAL` must do
   (`TableSpec.enrich`, by the runtime's rules: `mysqlproto.schema.enrich_table`):
   column names, signedness and character sets; MariaDB's UUID/INET4/INET6 columns
   travel as BINARY(n), so their logical type is always supplied, as is the precision
   of its old-format temporal columns. ENUM/SET member strings are not supplied
   (`information_schema` turns 4-byte characters in them into `?`): without them the
   binlog's index/bitmask is compared with `CAST(column AS UNSIGNED)`, recorded by
   the snapshot, which checks every member, 4-byte ones included.

3. Compare (`compare_tables`) each table of each truth, except those its scenario
   declared not replayable (`Recorder.not_replayable`: statement-format DML, DDL that
   changes rows), row by row (by primary key, else as a multiset of rows) and value by
   value, both sides turned into one comparable form by `NORMALIZATION`. A column
   missing from every image of a row is `not_logged` where the row image allows it
   (`may_be_unlogged`: a WRITE image leaves out columns that took their default) and
   a mismatch otherwise.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import hashlib
import re
import struct
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from conformance.scenarios.base import MAX_INLINE_BYTES, time_text
from conformance.servers.base import one_line
from mysqlproto.binlog import read_binlog
from mysqlproto.errors import DecodeError
from mysqlproto.events import Event
from mysqlproto.geometry import Geometry
from mysqlproto.jsonbinary import apply_json_diff, to_json_text
from mysqlproto.rows import (
    JsonDiffValue,
    RowChange,
    TableInfo,
    TableMapTracker,
    decode_rows,
    is_rows_event,
    rows_kind,
    value_to_json,
)
from mysqlproto.schema import ColumnInfo, SchemaCatalog, TableSchema
from spec.binlog.events.table_map import (
    MYSQL_TYPE_ENUM,
    MYSQL_TYPE_SET,
)
from spec.binlog.values import LOGICAL_TYPES

#: Characters of a value shown in a mismatch.
SHOW_CHARS = 160
#: Mismatches kept per configuration; the rest are counted.
MAX_MISMATCHES = 200

QualifiedName = tuple[str, str]  # (schema, table)


# -- results ---------------------------------------------------------------------------


@dataclasses.dataclass
class TableMismatch:
    """One difference between the rebuilt table state and the SELECT result.

    `kind`: `value` (a column differs), `missing` (a row SELECT returns that the
    rebuilt state lacks), `extra` (the other way round), `absent` (no image held the
    column), `replay` (a change that could not be applied), `decode` (a rows event
    that did not decode). `key` names the row (`id=5`, or the row's values for a
    table without a primary key).
    """

    table: str
    kind: str
    key: str = ""
    column: str | None = None
    binlog: str = ""
    select: str = ""
    message: str = ""


@dataclasses.dataclass
class TableStateResult:
    """The comparison of one capture: counts, the tables compared, those left out (and
    why), the mismatches (the first `MAX_MISMATCHES`; `mismatch_count` counts all)."""

    tables: int = 0
    rows: int = 0
    values: int = 0
    not_logged: int = 0
    rows_events: int = 0
    row_changes: int = 0
    compared: list[str] = dataclasses.field(default_factory=list)
    skipped: dict[str, str] = dataclasses.field(default_factory=dict)
    mismatches: list[TableMismatch] = dataclasses.field(default_factory=list)
    mismatch_count: int = 0
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and self.mismatch_count == 0

    def add(self, mismatch: TableMismatch) -> None:
        self.mismatch_count += 1
        if len(self.mismatches) < MAX_MISMATCHES:
            self.mismatches.append(mismatch)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TableStateResult:
        data = dict(data)
        mismatches = [TableMismatch(**item) for item in data.pop("mismatches", ())]
        return cls(**data, mismatches=mismatches)


# -- what the truth says about a table -------------------------------------------------


class Column(NamedTuple):
    """One column as `information_schema` describes it, and how its values compare."""

    name: str
    column_type: str
    charset: str | None
    kind: str
    fsp: int = 0

    @property
    def blob(self) -> bool:
        """A BLOB or TEXT column: what `binlog_row_image=NOBLOB` may leave out."""
        return self.column_type.lower().split("(")[0].split()[0] in _BLOB_TYPES


_KIND_OF_TYPE = {
    **dict.fromkeys(("tinyint", "smallint", "mediumint", "int", "integer", "bigint"), "integer"),
    **dict.fromkeys(("decimal", "numeric"), "decimal"),
    "float": "float",
    **dict.fromkeys(("double", "real"), "double"),
    "bit": "bit",
    "year": "year",
    "date": "date",
    "datetime": "datetime",
    "timestamp": "timestamp",
    "time": "time",
    **dict.fromkeys(("char", "varchar", "tinytext", "text", "mediumtext", "longtext"), "text"),
    **dict.fromkeys(
        ("binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"), "binary"
    ),
    "enum": "enum",
    "set": "set",
    "json": "json",
    **dict.fromkeys(
        (
            "geometry",
            "point",
            "linestring",
            "polygon",
            "multipoint",
            "multilinestring",
            "multipolygon",
            "geometrycollection",
            "geomcollection",
        ),
        "geometry",
    ),
    "vector": "vector",
    **dict.fromkeys(LOGICAL_TYPES, "logical"),
}


_BLOB_TYPES = frozenset(
    ("tinyblob", "blob", "mediumblob", "longblob", "tinytext", "text", "mediumtext", "longtext")
)


def column_from_truth(name: str, column_type: str, charset: str | None) -> Column:
    """A `Column` from one `[name, COLUMN_TYPE, CHARACTER_SET_NAME]` of a truth."""
    lowered = column_type.lower()
    match = re.match(r"[a-z0-9]+", lowered)
    base = match.group(0) if match else lowered
    kind = _KIND_OF_TYPE.get(base, "unknown")
    if kind == "text" and charset is None:
        kind = "binary"  # CHAR/VARCHAR ... CHARACTER SET binary
    fsp = 0
    if kind in ("datetime", "timestamp", "time"):
        digits = re.match(r"[a-z]+\((\d+)\)", lowered)
        fsp = int(digits.group(1)) if digits else 0
    return Column(name, column_type, charset, kind, fsp)


@dataclasses.dataclass
class TableSpec:
    """One table of a truth: its columns, primary key, whether it is transactional."""

    schema: str
    table: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    transactional: bool = True
    unreplayable: str | None = None
    _catalog: SchemaCatalog | None = dataclasses.field(default=None, repr=False)

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.table}"

    def enrich(self, info: TableInfo) -> TableInfo:
        """`info` with what its table map lacks taken from `information_schema`, by the
        runtime's rules (`mysqlproto.schema.enrich_table`): a table map whose column
        count or types differ from the truth's (the table was altered since) is left
        as it is. Cached per table definition."""
        if self._catalog is None:
            definition = TableSchema(
                self.schema,
                self.table,
                tuple(
                    ColumnInfo.from_column_type(column.name, column.column_type, column.charset, n)
                    for n, column in enumerate(self.columns, 1)
                ),
                self.primary_key,
            )
            # No member strings: the snapshot's numbers check ENUM/SET exactly (module doc)
            self._catalog = SchemaCatalog([definition], member_strings=False)
        return self._catalog.enrich(info)


def table_specs(truths: Iterable[Mapping[str, Any]]) -> dict[QualifiedName, TableSpec]:
    """A `TableSpec` for every table of every truth (JSON form of `GroundTruth`)."""
    specs = {}
    for truth in truths:
        schema = truth["database"]
        unreplayable = truth.get("unreplayable") or {}
        for table, data in truth.get("tables", {}).items():
            specs[(schema, table)] = TableSpec(
                schema=schema,
                table=table,
                columns=tuple(column_from_truth(*column[:3]) for column in data["columns"]),
                primary_key=tuple(data.get("primary_key") or ()),
                transactional=str(data.get("engine") or "InnoDB").lower() == "innodb",
                unreplayable=unreplayable.get(table),
            )
    return specs


# -- one table's state -----------------------------------------------------------------


def _freeze(value: Any) -> Hashable:
    if isinstance(value, dict):
        return tuple(sorted((str(key), _freeze(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_freeze(item) for item in value)
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    return value


def show(value: Any) -> str:
    """A value for a mismatch line: its repr, cut to `SHOW_CHARS`."""
    if isinstance(value, bytes | bytearray) and len(value) > SHOW_CHARS // 2:
        text = f"<{len(value)} bytes {bytes(value[:24]).hex()}...>"
    else:
        text = repr(value)
    return text if len(text) <= SHOW_CHARS else text[: SHOW_CHARS - 3] + "..."


class TableState:
    """The rows of one table as the row events leave them (see the module doc).

    `rows` maps a row number to the row (column key -> decoded value); `index` maps
    primary-key values to row numbers when the key is known. `numbered` holds the
    ENUM/SET columns whose table map gave no member strings, so their values are
    indexes and bitmasks. Each method returns None, or what went wrong.
    """

    def __init__(self, primary_key: Sequence[str] = ()) -> None:
        self.primary_key = tuple(primary_key)
        self.rows: dict[int, dict[str, Any]] = {}
        self.index: dict[Hashable, int] = {}
        self.numbered: set[str] = set()
        self._next = 0

    def _key(self, image: Mapping[str, Any]) -> Hashable | None:
        if not self.primary_key or any(name not in image for name in self.primary_key):
            return None
        return tuple(_freeze(image[name]) for name in self.primary_key)

    def find(self, image: Mapping[str, Any]) -> int | None:
        """The row whose values equal every column of `image`, or None."""
        key = self._key(image)
        if key is not None:
            number = self.index.get(key)
            if number is None or not _matches(self.rows[number], image):
                return None
            return number
        for number, row in self.rows.items():
            if _matches(row, image):
                return number
        return None

    def clear(self) -> None:
        self.rows.clear()
        self.index.clear()

    def insert(self, after: Mapping[str, Any]) -> str | None:
        row = dict(after)
        key = self._key(row)
        problem = None
        if key is not None and key in self.index:
            problem = f"WRITE of an existing key {_describe_key(self.primary_key, row)}"
            del self.rows[self.index.pop(key)]
        number = self._next
        self._next += 1
        self.rows[number] = row
        if key is not None:
            self.index[key] = number
        return problem

    def delete(self, before: Mapping[str, Any]) -> str | None:
        number = self.find(before)
        if number is None:
            return f"DELETE: no row matches the before image {show(dict(before))}"
        row = self.rows.pop(number)
        key = self._key(row)
        if key is not None:
            self.index.pop(key, None)
        return None

    def update(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> str | None:
        number = self.find(before)
        if number is None:
            return f"UPDATE: no row matches the before image {show(dict(before))}"
        old = self.rows[number]
        new = dict(old)
        for column, value in after.items():
            if isinstance(value, JsonDiffValue):
                if old.get(column) is None:
                    return f"UPDATE: a partial JSON update of {column}, which holds no document"
                value = apply_json_diff(old[column], value.diffs)
            new[column] = value
        old_key, new_key = self._key(old), self._key(new)
        if new_key != old_key and new_key is not None and new_key in self.index:
            return f"UPDATE onto an existing key {_describe_key(self.primary_key, new)}"
        self.rows[number] = new
        if old_key is not None:
            self.index.pop(old_key, None)
        if new_key is not None:
            self.index[new_key] = number
        return None

    def apply(self, kind: str, change: RowChange) -> str | None:
        """Apply one decoded change of a rows event of `kind` (`rows_kind`)."""
        if kind == "write":
            return self.insert(change.after or {})
        if kind == "delete":
            return self.delete(change.before or {})
        return self.update(change.before or {}, change.after or {})


def _matches(row: Mapping[str, Any], image: Mapping[str, Any]) -> bool:
    return all(column in row and row[column] == value for column, value in image.items())


def _describe_key(primary_key: Sequence[str], row: Mapping[str, Any]) -> str:
    return ", ".join(f"{name}={show(row.get(name))}" for name in primary_key)


# -- replay ----------------------------------------------------------------------------


class _Pending(NamedTuple):
    table: QualifiedName
    kind: str
    change: RowChange
    transactional: bool


_QUERY_EVENTS = frozenset({"QUERY_EVENT", "QUERY_COMPRESSED_EVENT"})
_NAME = r"(?:`(?:[^`]|``)+`|[\w$]+)"
_TRUNCATE = re.compile(
    rf"\s*TRUNCATE\s+(?:TABLE\s+)?(?:({_NAME})\s*\.\s*)?({_NAME})\s*;?\s*$", re.I
)
_SAVEPOINT = re.compile(rf"\s*SAVEPOINT\s+({_NAME})\s*$", re.I)
_ROLLBACK_TO = re.compile(rf"\s*ROLLBACK\s+(?:WORK\s+)?TO\s+(?:SAVEPOINT\s+)?({_NAME})\s*$", re.I)
# How both servers write the xid of XA COMMIT/ROLLBACK (MySQL XID::serialize, MariaDB
# the same form): gtrid and bqual as hex literals, then the format id.
_XA_OUTCOME = re.compile(
    r"\s*XA\s+(COMMIT|ROLLBACK)\s+X'([0-9a-f]*)'\s*,\s*X'([0-9a-f]*)'\s*,\s*(\d+)", re.I
)
_WORDS = re.compile(r"\s*([A-Za-z]+)(?:\s+([A-Za-z]+))?")


def _unquote(name: str) -> str:
    if name.startswith("`"):
        return name[1:-1].replace("``", "`")
    return name


def _text(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


class Replayer:
    """Replays the rows events of a binlog stream into `TableState`s (module doc, 1-2).

    Feed every event in order with `feed`, then call `finish`. Only the tables of
    `specs` that are replayable get a state; the rows events of every table are
    decoded all the same, so a value that does not decode is reported wherever it is.
    `problems` lists (table, message) for changes that could not be applied.
    """

    def __init__(self, specs: Mapping[QualifiedName, TableSpec]) -> None:
        self.specs = specs
        self.tracker = TableMapTracker()
        self.states: dict[QualifiedName, TableState] = {}
        self.problems: list[tuple[str, str]] = []
        self.decode_errors: list[tuple[str, str]] = []
        self.rows_events = 0
        self.row_changes = 0
        self._pending: list[_Pending] = []
        self._savepoints: dict[str, int] = {}
        self._prepared: dict[tuple[int, bytes, bytes], list[_Pending]] = {}

    def state(self, table: QualifiedName) -> TableState:
        state = self.states.get(table)
        if state is None:
            spec = self.specs.get(table)
            state = self.states[table] = TableState(spec.primary_key if spec else ())
        return state

    # -- events ------------------------------------------------------------------------

    def feed(self, event: Event) -> None:
        if event.inner is not None:
            for inner in event.inner:
                self.feed(inner)
            return
        name = event.name
        if not isinstance(event.body, Mapping):
            return
        self.tracker.observe(event)
        if is_rows_event(event):
            self._rows(event)
        elif name == "XID_EVENT":
            self._commit()
        elif name == "XA_PREPARE_LOG_EVENT":
            body = event.body
            if body.get("one_phase"):
                self._commit()
            else:
                xid = (int(body["format_id"]), bytes(body["gtrid"]), bytes(body["bqual"]))
                self._prepared[xid] = self._pending
                self._pending, self._savepoints = [], {}
        elif name in _QUERY_EVENTS:
            self._query(_text(event.body.get("db") or ""), _text(event.body.get("query") or ""))

    def finish(self) -> None:
        """The end of the stream: a transaction still open never committed."""
        for item in self._pending:
            self.problems.append(
                (".".join(item.table), "a change of a transaction that never ends")
            )
        self._pending = []

    def _rows(self, event: Event) -> None:
        self.rows_events += 1
        info = self.tracker.table_for(event)
        if info is None:
            self.decode_errors.append(("?", f"{event.name} at {event.offset}: no TABLE_MAP_EVENT"))
            return
        table = (_text(info.schema), _text(info.table))
        spec = self.specs.get(table)
        if spec is not None:
            info = spec.enrich(info)
        try:
            changes = decode_rows(event, info)
        except DecodeError as error:
            self.decode_errors.append((".".join(table), f"{event.name} at {event.offset}: {error}"))
            return
        self.row_changes += len(changes)
        if spec is None or spec.unreplayable:
            return
        state = self.state(table)
        for key, column in zip(info.keys, info.columns, strict=True):
            if (column.real_type == MYSQL_TYPE_ENUM and column.enum_values is None) or (
                column.real_type == MYSQL_TYPE_SET and column.set_values is None
            ):
                state.numbered.add(key)
        kind = rows_kind(event.name)
        self._pending += [_Pending(table, kind, change, spec.transactional) for change in changes]

    def _query(self, db: str, query: str) -> None:
        words = _WORDS.match(query)
        first = words.group(1).upper() if words else ""
        second = (words.group(2) or "").upper() if words else ""
        if first == "BEGIN" or (first == "XA" and second in ("START", "BEGIN", "END")):
            return
        if first == "COMMIT":
            self._commit()
        elif first == "SAVEPOINT" and (match := _SAVEPOINT.match(query)):
            self._savepoints[_unquote(match.group(1))] = len(self._pending)
        elif first == "ROLLBACK" and (match := _ROLLBACK_TO.match(query)):
            mark = self._savepoints.get(_unquote(match.group(1)))
            if mark is not None:
                kept = [item for item in self._pending[mark:] if not item.transactional]
                self._pending[mark:] = kept
        elif first == "ROLLBACK":
            self._pending = [item for item in self._pending if not item.transactional]
            self._commit()
        elif first == "XA" and (match := _XA_OUTCOME.match(query)):
            xid = (
                int(match.group(4)),
                bytes.fromhex(match.group(2)),
                bytes.fromhex(match.group(3)),
            )
            prepared = self._prepared.pop(xid, None)
            if match.group(1).upper() == "COMMIT":
                if prepared is None:
                    self._commit()  # XA COMMIT ... ONE PHASE: the changes are still open
                else:
                    self._apply(prepared)
            elif prepared is None:
                self.problems.append(("?", f"{query[:80]}: no prepared transaction has that xid"))
        else:
            self._commit()  # DDL commits what is open first
            match = _TRUNCATE.match(query)
            if match:
                schema = _unquote(match.group(1)) if match.group(1) else db
                table = (schema, _unquote(match.group(2)))
                if table in self.states:
                    self.states[table].clear()

    def _commit(self) -> None:
        self._apply(self._pending)
        self._pending, self._savepoints = [], {}

    def _apply(self, items: Iterable[_Pending]) -> None:
        for item in items:
            problem = self.state(item.table).apply(item.kind, item.change)
            if problem:
                self.problems.append((".".join(item.table), problem))


# -- normalization ---------------------------------------------------------------------


def _blob_form(data: bytes) -> Hashable:
    """Bytes as compared: themselves, or (like the truth) their SHA-256 and length when
    longer than `MAX_INLINE_BYTES`."""
    data = bytes(data)
    if len(data) > MAX_INLINE_BYTES:
        return ("sha256", hashlib.sha256(data).hexdigest(), len(data))
    return data


def _select_bytes(value: Any, column: Column | None = None) -> Hashable:
    if isinstance(value, Mapping) and "$hex" in value:
        return _blob_form(bytes.fromhex(value["$hex"]))
    if isinstance(value, Mapping) and "$sha256" in value:
        return ("sha256", value["$sha256"], value["length"])
    return _freeze(value)


def _fraction(microsecond: int, fsp: int) -> str:
    digits = f"{microsecond:06d}"
    if digits[fsp:].strip("0"):  # digits the column cannot hold: show them all
        fsp = 6
    return f".{digits[:fsp]}" if fsp else ""


def _datetime_text(value: Any, fsp: int) -> str:
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d} "
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    ) + _fraction(value.microsecond, fsp)


def _date_text(value: Any) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def _binlog_datetime(value: Any, column: Column) -> Hashable:
    if isinstance(value, datetime.datetime | tuple) and hasattr(value, "microsecond"):
        return _datetime_text(value, column.fsp)
    return _freeze(value)


def _select_datetime(value: Any, column: Column) -> Hashable:
    if isinstance(value, Mapping) and "$datetime" in value:
        return _datetime_text(datetime.datetime.fromisoformat(value["$datetime"]), column.fsp)
    return _freeze(value)  # PyMySQL returns what it cannot parse (zero dates) as text


def _binlog_date(value: Any, column: Column) -> Hashable:
    return _date_text(value) if hasattr(value, "day") else _freeze(value)


def _select_date(value: Any, column: Column) -> Hashable:
    if isinstance(value, Mapping) and "$date" in value:
        return _date_text(datetime.date.fromisoformat(value["$date"]))
    return _freeze(value)


def _binlog_time(value: Any, column: Column) -> Hashable:
    return time_text(value) if isinstance(value, datetime.timedelta) else _freeze(value)


def _select_time(value: Any, column: Column) -> Hashable:
    return value["$time"] if isinstance(value, Mapping) and "$time" in value else _freeze(value)


def _select_decimal(value: Any, column: Column) -> Hashable:
    if isinstance(value, Mapping) and "$decimal" in value:
        return decimal.Decimal(value["$decimal"])
    return _freeze(value)


def _select_bit(value: Any, column: Column) -> Hashable:
    if isinstance(value, Mapping) and "$hex" in value:
        return int.from_bytes(bytes.fromhex(value["$hex"]), "big")
    return _freeze(value)


def _binlog_bytes(value: Any, column: Column) -> Hashable:
    if isinstance(value, bytes | bytearray | memoryview):
        return _blob_form(bytes(value))
    return _freeze(value)


def _binlog_geometry(value: Any, column: Column) -> Hashable:
    if isinstance(value, Geometry):
        return _blob_form(value.to_bytes())
    return _binlog_bytes(value, column)


def _binlog_vector(value: Any, column: Column) -> Hashable:
    if isinstance(value, list):
        return _blob_form(struct.pack(f"<{len(value)}f", *value))
    return _binlog_bytes(value, column)


def _binlog_json(value: Any, column: Column) -> Hashable:
    if isinstance(value, JsonDiffValue):
        return ("unapplied JSON diff", _freeze(repr(value)))
    return to_json_text(value)


def _binlog_logical(value: Any, column: Column) -> Hashable:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return value_to_json(value)


def _binlog_set(value: Any, column: Column) -> Hashable:
    return frozenset(value) if isinstance(value, frozenset | set) else _freeze(value)


def _select_set(value: Any, column: Column) -> Hashable:
    if isinstance(value, str):
        return frozenset(value.split(",")) if value else frozenset()
    if isinstance(value, list):
        return frozenset(value)
    return _freeze(value)


def _same(value: Any, column: Column) -> Hashable:
    return _freeze(value)


class Normalization(NamedTuple):
    """How one kind of column compares: the binlog value (as `decode_rows` gives it)
    and the SELECT value (as the truth holds it: PyMySQL's value through
    `scenarios.base.jsonable`) each turned into one comparable form, and why."""

    binlog: Callable[[Any, Column], Hashable]
    select: Callable[[Any, Column], Hashable]
    why: str


#: Every column kind and its normalization. NULL is None on both sides and compares
#: as is. Nothing here rounds or drops information: a difference in the value is
#: still one after both sides are normalized.
NORMALIZATION: dict[str, Normalization] = {
    "integer": Normalization(_same, _same, "int on both sides"),
    "decimal": Normalization(
        _same, _select_decimal, "Decimal on both sides; the truth keeps its digits as text"
    ),
    "float": Normalization(
        _same,
        _same,
        "float on both: the binlog's float32 widened, SELECT `column + 0e0` (the text"
        " protocol would round a FLOAT to 6 digits)",
    ),
    "double": Normalization(_same, _same, "float on both sides"),
    "bit": Normalization(
        _same, _select_bit, "the binlog gives an int; PyMySQL the big-endian bytes"
    ),
    "year": Normalization(_same, _same, "int on both sides (0 for 0000)"),
    "date": Normalization(
        _binlog_date,
        _select_date,
        "text YYYY-MM-DD: zero and partial dates are MySQLDate in the binlog and the"
        " server's text from PyMySQL",
    ),
    "datetime": Normalization(
        _binlog_datetime,
        _select_datetime,
        "text with the column's fraction digits: zero dates are MySQLDateTime in the"
        " binlog and the server's text from PyMySQL",
    ),
    "timestamp": Normalization(
        _binlog_datetime,
        _select_datetime,
        "as DATETIME; the binlog holds UTC (an aware datetime), SELECT runs with"
        " time_zone '+00:00' (naive datetime)",
    ),
    "time": Normalization(
        _binlog_time,
        _select_time,
        "timedelta on both, as the truth's text ([-]HH:MM:SS[.ffffff])",
    ),
    "text": Normalization(_same, _same, "str on both sides"),
    "binary": Normalization(
        _binlog_bytes,
        _select_bytes,
        "bytes on both; over 4096 bytes the truth keeps (SHA-256, length), so both do",
    ),
    "enum": Normalization(
        _same,
        _same,
        "the member string on both; without the table map's strings the index,"
        " against SELECT CAST(column AS UNSIGNED)",
    ),
    "set": Normalization(
        _binlog_set,
        _select_set,
        "a set of member strings: the binlog gives a frozenset, PyMySQL 'a,b'; without"
        " the table map's strings the bitmask, against CAST(column AS UNSIGNED)",
    ),
    "json": Normalization(
        _binlog_json,
        _same,
        "MySQL's JSON text: the binlog's binary JSON printed by to_json_text, PyMySQL"
        " the server's text",
    ),
    "geometry": Normalization(
        _binlog_geometry, _select_bytes, "SRID (4 bytes LE) + WKB on both sides"
    ),
    "vector": Normalization(
        _binlog_vector,
        _select_bytes,
        "float32 LE bytes: MySQL's VECTOR decodes to a list of floats, SELECT reads"
        " CAST(column AS BINARY)",
    ),
    "logical": Normalization(
        _binlog_logical,
        _same,
        "MariaDB UUID/INET4/INET6: uuid.UUID / ipaddress values printed as the server"
        " prints them, PyMySQL the server's text",
    ),
    "unknown": Normalization(_same, _same, "no normalization: a new type needs an entry"),
}


def canonical(value: Any, column: Column, side: str, numbered: bool = False) -> Hashable:
    """`value` of `column` from the `binlog` or `select` side, in comparable form.

    `numbered`: an ENUM/SET column decoded without member strings, whose SELECT
    value is then its number (already swapped in by the caller).
    """
    if value is None:
        return None
    if numbered:
        return _freeze(value)
    rule = NORMALIZATION[column.kind]
    convert = rule.binlog if side == "binlog" else rule.select
    return convert(value, column)


# -- comparison ------------------------------------------------------------------------

_ABSENT = object()


def compare_tables(
    replayer: Replayer,
    truths: Iterable[Mapping[str, Any]],
    specs: Mapping[QualifiedName, TableSpec],
    *,
    row_image: str = "FULL",
    result: TableStateResult | None = None,
) -> TableStateResult:
    """Compare the rebuilt state of every table of `truths` with its final rows."""
    result = result or TableStateResult()
    result.rows_events, result.row_changes = replayer.rows_events, replayer.row_changes
    for table, message in replayer.decode_errors:
        result.add(TableMismatch(table=table, kind="decode", message=one_line(message)))
    problems: dict[str, list[str]] = {}
    for table, message in replayer.problems:
        problems.setdefault(table, []).append(message)
    for truth in truths:
        schema = truth["database"]
        for table, data in truth.get("tables", {}).items():
            spec = specs[(schema, table)]
            if spec.unreplayable:
                result.skipped[spec.qualified] = spec.unreplayable
                continue
            result.tables += 1
            result.compared.append(spec.qualified)
            for message in problems.pop(spec.qualified, ()):
                result.add(TableMismatch(table=spec.qualified, kind="replay", message=message))
            state = replayer.states.get((schema, table)) or TableState(spec.primary_key)
            _compare_table(spec, data, state, row_image.upper(), result)
    for table, messages in problems.items():
        for message in messages:
            result.add(TableMismatch(table=table, kind="replay", message=message))
    return result


def _compare_table(
    spec: TableSpec,
    data: Mapping[str, Any],
    state: TableState,
    row_image: str,
    result: TableStateResult,
) -> None:
    columns = spec.columns
    numbers = data.get("numbers") or {}
    select_rows = []
    for index, values in enumerate(data.get("rows", ())):
        row = dict(zip((column.name for column in columns), values, strict=True))
        for name in state.numbered:
            if name in numbers:
                row[name] = numbers[name][index]
        select_rows.append(row)

    def select_form(row: Mapping[str, Any], column: Column) -> Hashable:
        numbered = column.name in state.numbered
        return canonical(row[column.name], column, "select", numbered)

    def binlog_form(row: Mapping[str, Any], column: Column) -> Hashable:
        if column.name not in row:
            return _ABSENT
        numbered = column.name in state.numbered
        try:
            return canonical(row[column.name], column, "binlog", numbered)
        except Exception as error:  # noqa: BLE001 - a value that does not normalize differs
            return ("cannot normalize", f"{type(error).__name__}: {error}")

    by_name = {column.name: column for column in columns}
    key_columns = [by_name[name] for name in spec.primary_key if name in by_name]
    if not key_columns or len(key_columns) != len(spec.primary_key):
        key_columns = list(columns)  # no primary key: rows are matched whole

    def describe(row: Mapping[str, Any], form: Callable[..., Hashable]) -> str:
        if len(key_columns) == len(columns):
            return "row " + show(tuple(form(row, column) for column in columns))
        return ", ".join(f"{column.name}={show(form(row, column))}" for column in key_columns)

    def keyed(rows: Iterable[Mapping[str, Any]], form: Callable[..., Hashable]):
        out: dict[Hashable, list[Mapping[str, Any]]] = {}
        for row in rows:
            key = tuple(form(row, column) for column in key_columns)
            out.setdefault(key, []).append(row)
        return out

    wanted = keyed(select_rows, select_form)
    have = keyed(state.rows.values(), binlog_form)
    for key, rows in wanted.items():
        found = have.get(key, [])
        for select_row, binlog_row in zip(rows, found, strict=False):
            result.rows += 1
            for column in columns:
                expected = select_form(select_row, column)
                got = binlog_form(binlog_row, column)
                result.values += 1
                if got is _ABSENT:
                    if may_be_unlogged(column, row_image):
                        result.not_logged += 1
                        continue
                    result.add(
                        TableMismatch(
                            table=spec.qualified,
                            kind="absent",
                            key=describe(select_row, select_form),
                            column=column.name,
                            select=show(select_row[column.name]),
                            message="no row image held this column",
                        )
                    )
                elif got != expected:
                    result.add(
                        TableMismatch(
                            table=spec.qualified,
                            kind="value",
                            key=describe(select_row, select_form),
                            column=column.name,
                            binlog=show(binlog_row[column.name]),
                            select=show(select_row[column.name]),
                            message=f"normalized: {show(got)} != {show(expected)}",
                        )
                    )
        for select_row in rows[len(found) :]:
            result.add(
                TableMismatch(
                    table=spec.qualified,
                    kind="missing",
                    key=describe(select_row, select_form),
                    select=show(tuple(select_row.values())),
                    message="SELECT returns this row; the rebuilt state lacks it",
                )
            )
        for binlog_row in found[len(rows) :]:
            _extra(spec, binlog_row, describe(binlog_row, binlog_form), result)
    for key, rows in have.items():
        if key not in wanted:
            for binlog_row in rows:
                _extra(spec, binlog_row, describe(binlog_row, binlog_form), result)


def may_be_unlogged(column: Column, row_image: str) -> bool:
    """Whether no image of a row may hold `column` under `binlog_row_image`.

    MINIMAL: a WRITE image holds only the columns the statement set (and the
    auto-increment one), the rest took their defaults. NOBLOB on MariaDB: a WRITE
    image leaves out the BLOB/TEXT columns the statement did not set
    (`TABLE::mark_columns_per_binlog_row_image`, sql/table.cc).
    """
    return row_image == "MINIMAL" or (row_image == "NOBLOB" and column.blob)


def _extra(spec: TableSpec, row: Mapping[str, Any], key: str, result: TableStateResult) -> None:
    result.add(
        TableMismatch(
            table=spec.qualified,
            kind="extra",
            key=key,
            binlog=show(dict(row)),
            message="the rebuilt state holds this row; SELECT does not return it",
        )
    )


# -- the whole capture -----------------------------------------------------------------


def rebuild_tables(
    paths: Iterable[Path | str],
    truths: Sequence[Mapping[str, Any]],
    *,
    row_image: str = "FULL",
) -> TableStateResult:
    """Replay the rows events of `paths` (in order) and compare with `truths`.

    `row_image` is the configuration's `binlog_row_image`: a column that no image of
    a row held counts as `not_logged` instead of a mismatch where `may_be_unlogged`
    says the row image allows it. Never
    raises for what it finds in the files; an unexpected error is `result.error`.
    """
    result = TableStateResult()
    try:
        specs = table_specs(truths)
        replayer = Replayer(specs)
        for path in paths:
            for event in read_binlog(path, on_error="skip"):
                replayer.feed(event)
        replayer.finish()
        compare_tables(replayer, truths, specs, row_image=row_image, result=result)
    except Exception as error:  # noqa: BLE001 - reported with the capture
        result.error = f"{type(error).__name__}: {one_line(str(error))}"
    return result


def counts_line(result: TableStateResult) -> str:
    """`12 tables, 345 rows, 0 mismatches` (and what was not logged, and errors)."""
    text = f"{result.tables} tables, {result.rows} rows, {result.mismatch_count} mismatches"
    if result.not_logged:
        text += f", {result.not_logged} values not logged"
    if result.error:
        text += f", error: {result.error}"
    return text
