"""What a scenario is, and the recorder it writes its ground truth through.

A `Scenario` is a name, the servers it applies to (flavour -> minimum version) and a
body: a function taking a `Recorder`. `Scenario.run(conn, server)` makes the
scenario's own database (`sc_<name>`), hands the body a recorder over `conn`, and
returns the `GroundTruth` the body recorded.

The recorder executes SQL and remembers, in a JSON-able `GroundTruth`:

- `statements`: every statement sent, in order, as sent (parameters interpolated;
  one longer than `MAX_STATEMENT_CHARS` as its start, length and SHA-256);
- `changes`: the committed row changes, in commit order (rolled-back work dropped,
  including work undone by `ROLLBACK TO SAVEPOINT`); inserted values are kept as
  given, SQL expressions as `{"$sql": ...}`;
- `tables`: each table's columns, primary key, engine and final contents, read back
  at the end (`ORDER BY 1`), which is what a decoder of the binlog must end up with
  (see `Recorder.snapshot` for how each type is read);
- `unreplayable`: tables whose final rows cannot be rebuilt from row events alone
  (statement-format DML, DDL that fills or drops rows), each with the reason
  (`Recorder.not_replayable`);
- `expected_events`: event types the scenario means to produce on this server and
  configuration (the capture reports the ones that did not appear);
- `notes`: what the scenario left out here and why (a feature the server lacks, a
  statement the configuration refuses).

Every session runs with `time_zone = '+00:00'`, so a TIMESTAMP read back is the UTC
value the binlog holds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import decimal
import hashlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import pymysql

from conformance.servers.base import Flavour, Server, version_tuple

#: Byte strings longer than this are recorded as their SHA-256 and length.
MAX_INLINE_BYTES = 4096
#: Statements longer than this are recorded as their start, length and SHA-256.
MAX_STATEMENT_CHARS = 4096

Version = tuple[int, ...]


class ScenarioError(Exception):
    """A scenario could not run: a statement failed that was not allowed to."""


@dataclasses.dataclass(frozen=True)
class Sql:
    """A value given as an SQL expression, written into the statement as is.

    `Sql("ST_GeomFromText('POINT(1 2)')")`; recorded as `{"$sql": text}`.
    """

    text: str


def jsonable(value: Any) -> Any:
    """`value` (as PyMySQL returns or takes it) in a JSON-able form that keeps its type.

    Decimals, byte strings and temporal values become one-key objects (`{"$decimal":
    "1.50"}`, `{"$hex": "00ff"}`, `{"$datetime": "2024-01-02T03:04:05.123456"}`,
    `{"$time": "-838:59:59"}`, ...), so a later comparison does not confuse them with
    strings. Long byte strings keep only their digest (`{"$sha256": ..., "length": n}`).
    """
    if value is None or isinstance(value, bool | int | str | float):
        return value
    if isinstance(value, decimal.Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        if len(data) > MAX_INLINE_BYTES:
            return {"$sha256": hashlib.sha256(data).hexdigest(), "length": len(data)}
        return {"$hex": data.hex()}
    if isinstance(value, datetime.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"$date": value.isoformat()}
    if isinstance(value, datetime.timedelta):
        return {"$time": time_text(value)}
    if isinstance(value, datetime.time):
        return {"$time": value.isoformat()}
    if isinstance(value, set | frozenset):
        return sorted(jsonable(item) for item in value)
    if isinstance(value, Sql):
        return {"$sql": value.text}
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    raise TypeError(f"no JSON form for {type(value).__name__}: {value!r}")


def _statement_record(text: str) -> str:
    """`text`, or for a statement carrying megabytes of data its start and digest."""
    if len(text) <= MAX_STATEMENT_CHARS:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
    return f"{text[:200]}... [{len(text)} characters, sha256 {digest}]"


def time_text(delta: datetime.timedelta) -> str:
    """A TIME value (PyMySQL's timedelta) as the server writes it: `-838:59:59.000000`."""
    micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    sign = "-" if micros < 0 else ""
    micros = abs(micros)
    seconds, fraction = divmod(micros, 1_000_000)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{sign}{hours:02d}:{minutes:02d}:{seconds:02d}"
    return f"{text}.{fraction:06d}" if fraction else text


@dataclasses.dataclass
class GroundTruth:
    """What one scenario did on one server, as plain JSON-able data (see the module doc)."""

    scenario: str
    database: str
    server: str = ""
    version: str = ""
    statements: list[str] = dataclasses.field(default_factory=list)
    changes: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    tables: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    expected_events: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    unreplayable: dict[str, str] = dataclasses.field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GroundTruth:
        return cls(**data)


class Recorder:
    """Runs a scenario's SQL on one connection and records its `GroundTruth`.

    Transactions: `begin`/`commit`/`rollback` and `savepoint`/`rollback_to` keep the
    row changes of open work aside, so only committed changes reach `changes`.
    `xa_*` methods do the same for XA transactions, which may commit after the
    connection that prepared them ended (`xa_commit` takes the xid).
    """

    def __init__(
        self, conn: pymysql.connections.Connection[Any], server: Server, truth: GroundTruth
    ) -> None:
        self.conn = conn
        self.server = server
        self.truth = truth
        self._open: list[dict[str, Any]] | None = None  # changes of the open transaction
        self._savepoints: dict[str, int] = {}
        self._prepared: dict[str, list[dict[str, Any]]] = {}

    # -- the server --------------------------------------------------------------------

    @property
    def flavour(self) -> Flavour:
        return self.server.flavour

    @property
    def version(self) -> tuple[int, int, int]:
        return version_tuple(self.server.version)

    @property
    def is_mysql(self) -> bool:
        return self.flavour == "mysql"

    @property
    def is_mariadb(self) -> bool:
        return self.flavour == "mariadb"

    def at_least(self, *, mysql: Version | None = None, mariadb: Version | None = None) -> bool:
        """Whether the server is of a flavour given and at least that version."""
        wanted = mysql if self.is_mysql else mariadb
        return wanted is not None and self.version >= tuple(wanted)

    def var(self, name: str) -> Any:
        """The session value of system variable `name` (`SELECT @@name`)."""
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name):
            raise ValueError(f"not a variable name: {name!r}")
        with self.conn.cursor() as cursor:
            cursor.execute(f"SELECT @@{name}")
            (value,) = cursor.fetchone()
        return value.decode() if isinstance(value, bytes) else value

    @property
    def gtid_on(self) -> bool:
        """MySQL: `gtid_mode` is ON. MariaDB always writes GTIDs, so always true there."""
        return self.is_mariadb or str(self.var("gtid_mode")).upper() == "ON"

    @contextlib.contextmanager
    def other_connection(self, **kwargs: Any) -> Iterator[Recorder]:
        """A second session in the scenario's database, recording into the same truth.

        Closed when the block ends; XA transactions it prepared can then be
        committed or rolled back from this recorder.
        """
        conn = self.server.connect(**kwargs)
        other = Recorder(conn, self.server, self.truth)
        other._prepared = self._prepared
        try:
            other.sql("SET SESSION time_zone = '+00:00'")
            other.sql(f"USE `{self.truth.database}`")
            yield other
        finally:
            conn.close()

    # -- statements --------------------------------------------------------------------

    def sql(self, statement: str, args: Any = None) -> list[tuple[Any, ...]]:
        """Execute one statement (PyMySQL `%s` parameters), record it, return its rows."""
        with self.conn.cursor() as cursor:
            text = cursor.mogrify(statement, args) if args is not None else statement
            self.truth.statements.append(_statement_record(text))
            try:
                cursor.execute(text)
            except pymysql.MySQLError as error:
                raise ScenarioError(f"{self.truth.scenario}: {error} in: {text[:300]}") from error
            return list(cursor.fetchall())

    def try_sql(self, statement: str, args: Any = None, why: str = "") -> bool:
        """`sql`, but a server error is noted (with `why`) instead of raised."""
        try:
            self.sql(statement, args)
        except ScenarioError as error:
            self.note(f"refused{f' ({why})' if why else ''}: {error.__cause__}")
            return False
        return True

    def note(self, text: str) -> None:
        self.truth.notes.append(text)

    def not_replayable(self, table: str, why: str) -> None:
        """Say that `table`'s final rows cannot be rebuilt from its row events, and why.

        The capture replays every rows event into a table state and compares it with
        the final rows; a table changed by a statement-format statement, or whose rows
        a DDL statement changed (`ALTER TABLE ... ADD COLUMN ... DEFAULT`, `TRUNCATE
        PARTITION`), is left out of that comparison with this reason.
        """
        self.truth.unreplayable[table] = why

    def expect(self, *event_types: str) -> None:
        """Name event types this scenario produces here (checked by the capture)."""
        for name in event_types:
            if name not in self.truth.expected_events:
                self.truth.expected_events.append(name)

    @contextlib.contextmanager
    def session(self, **variables: Any) -> Iterator[None]:
        """Set session variables for the block and restore them after it."""
        saved = {name: self.var(f"session.{name}") for name in variables}
        for name, value in variables.items():
            self.sql(f"SET SESSION {name} = %s", (value,))
        try:
            yield
        finally:
            for name, value in saved.items():
                self.sql(f"SET SESSION {name} = %s", (value,))

    @contextlib.contextmanager
    def statement_format(self) -> Iterator[bool]:
        """`binlog_format=STATEMENT` for the block; yields whether the server took it.

        MySQL deprecates `binlog_format` since 8.0.34 but still takes it (with warning
        1287). Where it is refused the block runs in ROW format and a note says why.
        """
        before = self.var("session.binlog_format")
        ok = self.try_sql("SET SESSION binlog_format = 'STATEMENT'", why="statement format")
        try:
            yield ok
        finally:
            if ok:
                self.sql("SET SESSION binlog_format = %s", (before,))

    # -- row changes -------------------------------------------------------------------

    def insert(
        self,
        table: str,
        rows: Sequence[Mapping[str, Any]],
        verb: str = "INSERT",
        *,
        nontransactional: bool = False,
    ) -> None:
        """One multi-row `INSERT` of `rows` (column -> value; `Sql` for expressions).

        `nontransactional`: the table is MyISAM-like, so the rows stay even if the
        open transaction rolls back.
        """
        if not rows:
            return
        columns = list(rows[0])
        values, args = [], []
        for row in rows:
            if list(row) != columns:
                raise ValueError(f"{table}: every row must name the same columns in order")
            parts = []
            for column in columns:
                value = row[column]
                if isinstance(value, Sql):
                    parts.append(value.text)
                else:
                    parts.append("%s")
                    args.append(value)
            values.append(f"({', '.join(parts)})")
        names = ", ".join(f"`{column}`" for column in columns)
        self.sql(f"{verb} INTO `{table}` ({names}) VALUES {', '.join(values)}", args)
        self._change(
            {
                "table": table,
                "op": verb.split()[0].lower(),
                "rows": [jsonable(dict(row)) for row in rows],
            },
            nontransactional,
        )

    def change(self, statement: str, args: Any = None, *, table: str, op: str) -> None:
        """Execute an UPDATE/DELETE-like `statement` and record it as a change of `table`."""
        with self.conn.cursor() as cursor:
            text = cursor.mogrify(statement, args) if args is not None else statement
        self.sql(text)
        self._change({"table": table, "op": op, "sql": text})

    def _change(self, change: dict[str, Any], nontransactional: bool = False) -> None:
        if self._open is None or nontransactional:
            self.truth.changes.append(change)
        else:
            self._open.append(change)

    # -- transactions ------------------------------------------------------------------

    def begin(self, statement: str = "BEGIN") -> None:
        self.sql(statement)
        self._open, self._savepoints = [], {}

    def commit(self) -> None:
        self.sql("COMMIT")
        self.truth.changes.extend(self._open or ())
        self._open = None

    def rollback(self) -> None:
        self.sql("ROLLBACK")
        self._open = None

    def savepoint(self, name: str) -> None:
        self.sql(f"SAVEPOINT {name}")
        self._savepoints[name] = len(self._open or ())

    def rollback_to(self, name: str) -> None:
        self.sql(f"ROLLBACK TO SAVEPOINT {name}")
        if self._open is not None:
            del self._open[self._savepoints[name] :]

    def release(self, name: str) -> None:
        self.sql(f"RELEASE SAVEPOINT {name}")
        self._savepoints.pop(name, None)

    def xa_start(self, xid: str) -> None:
        self.sql(f"XA START {xid}")
        self._open = []

    def xa_end_prepare(self, xid: str) -> None:
        self.sql(f"XA END {xid}")
        self.sql(f"XA PREPARE {xid}")
        self._prepared[xid] = self._open or []
        self._open = None

    def xa_commit(self, xid: str, one_phase: bool = False) -> None:
        if one_phase:
            self.sql(f"XA END {xid}")
            self.sql(f"XA COMMIT {xid} ONE PHASE")
            self.truth.changes.extend(self._open or ())
            self._open = None
            return
        self.sql(f"XA COMMIT {xid}")
        self.truth.changes.extend(self._prepared.pop(xid, []))

    def xa_rollback(self, xid: str) -> None:
        if self._open is not None:
            self.sql(f"XA END {xid}")
            self._open = None
        self.sql(f"XA ROLLBACK {xid}")
        self._prepared.pop(xid, None)

    # -- reading back ------------------------------------------------------------------

    def snapshot(self) -> None:
        """Record every base table's columns and final rows in the scenario's database.

        Each table gets `columns` (`[name, COLUMN_TYPE, CHARACTER_SET_NAME]`),
        `primary_key` (column names, in key order), `engine`, `rows`, and for its ENUM
        and SET columns `numbers`: `{column: [CAST(column AS UNSIGNED) of each row]}`,
        the index or bitmask the binlog holds. Most columns are read as they are; these
        are read so that no information is lost:

        - FLOAT as `column + 0e0`: the text protocol prints a FLOAT with 6 significant
          digits (`3.40282e+38`), the widened DOUBLE with all of them;
        - VECTOR (MySQL) `CAST(... AS BINARY)`: PyMySQL does not know the type and would
          decode it as text.

        ENUM/SET numbers are recorded because the member strings `information_schema`
        and `SHOW CREATE TABLE` give turn 4-byte characters into `?` (MySQL 9.7 and
        MariaDB 11.8 both), so a binlog without the table map's member strings
        (`binlog_row_metadata=MINIMAL`) can only be checked by number.
        """
        database = self.truth.database
        with self.conn.cursor() as cursor:
            cursor.execute(
                "SELECT TABLE_NAME, ENGINE FROM information_schema.TABLES"
                " WHERE TABLE_SCHEMA = %s AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
                (database,),
            )
            tables = [(_text(name), _text(engine)) for name, engine in cursor.fetchall()]
            for table, engine in tables:
                cursor.execute(
                    "SELECT COLUMN_NAME, COLUMN_TYPE, CHARACTER_SET_NAME, DATA_TYPE"
                    " FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s"
                    " AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION",
                    (database, table),
                )
                found = [[_text(value) for value in row] for row in cursor.fetchall()]
                columns = [row[:3] for row in found]
                cursor.execute(
                    "SELECT COLUMN_NAME FROM information_schema.STATISTICS"
                    " WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s AND INDEX_NAME = 'PRIMARY'"
                    " ORDER BY SEQ_IN_INDEX",
                    (database, table),
                )
                primary_key = [_text(row[0]) for row in cursor.fetchall()]
                numbered = [
                    name
                    for name, *_, data_type in found
                    if str(data_type).lower() in ("enum", "set")
                ]
                # One statement, so the numbers come in the same row order as the values.
                select = ", ".join(
                    [_select_expression(name, data_type) for name, *_, data_type in found]
                    + [f"CAST(`{name}` AS UNSIGNED)" for name in numbered]
                )
                cursor.execute(f"SELECT {select} FROM `{database}`.`{table}` ORDER BY 1")
                fetched = [list(row) for row in cursor.fetchall()]
                width = len(found)
                rows = [jsonable(row[:width]) for row in fetched]
                numbers = {
                    name: [row[width + index] for row in fetched]
                    for index, name in enumerate(numbered)
                }
                self.truth.tables[table] = {
                    "columns": columns,
                    "primary_key": primary_key,
                    "engine": engine,
                    "rows": rows,
                    "numbers": numbers,
                }


def _select_expression(name: str, data_type: Any) -> str:
    """How `snapshot` reads one column: as is, or losslessly (see there)."""
    kind = str(data_type).lower()
    if kind == "float":
        return f"`{name}` + 0e0"
    if kind == "vector":
        return f"CAST(`{name}` AS BINARY)"
    return f"`{name}`"


def _text(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value


Body = Callable[[Recorder], None]


@dataclasses.dataclass(frozen=True)
class Scenario:
    """One scenario: `name`, where it applies (`requires`: flavour -> minimum version)
    and its `body`. Make one with the `scenario` decorator."""

    name: str
    requires: Mapping[str, Version]
    body: Body
    doc: str = ""
    module: str = ""

    @property
    def database(self) -> str:
        return f"sc_{self.name}"

    def applies(self, flavour: str, version: str | tuple[int, ...]) -> bool:
        """Whether this scenario runs on a server of `flavour` and `version`."""
        minimum = self.requires.get(flavour)
        if minimum is None:
            return False
        have = version_tuple(version) if isinstance(version, str) else tuple(version)
        return have >= tuple(minimum)

    def applies_to(self, server: Server) -> bool:
        return self.applies(server.flavour, server.version)

    def run(self, conn: pymysql.connections.Connection[Any], server: Server) -> GroundTruth:
        """Run the body in a fresh `sc_<name>` database; return what it recorded."""
        truth = GroundTruth(self.name, self.database, server.name, server.version)
        recorder = Recorder(conn, server, truth)
        recorder.sql("SET SESSION time_zone = '+00:00'")
        recorder.sql(f"DROP DATABASE IF EXISTS `{self.database}`")
        # utf8mb4 everywhere: MariaDB still defaults to latin1 without a my.cnf.
        recorder.sql(f"CREATE DATABASE `{self.database}` CHARACTER SET utf8mb4")
        recorder.sql(f"USE `{self.database}`")
        self.body(recorder)
        recorder.snapshot()
        return truth


def scenario(
    *,
    mysql: str | Version | None = None,
    mariadb: str | Version | None = None,
    name: str | None = None,
) -> Callable[[Body], Scenario]:
    """Declare a scenario: the decorated function is its body.

    `mysql`/`mariadb` give the minimum version on each flavour ("8.0" or (8, 0));
    a flavour left out is not run. The name defaults to the function's name and the
    doc to its docstring's first paragraph.
    """

    def parse(version: str | Version | None) -> Version | None:
        if version is None or isinstance(version, tuple):
            return version
        return tuple(int(part) for part in version.split("."))

    requires = {
        flavour: parse(version)
        for flavour, version in (("mysql", mysql), ("mariadb", mariadb))
        if version is not None
    }

    def declare(body: Body) -> Scenario:
        paragraph = (body.__doc__ or "").strip().split("\n\n")[0]
        return Scenario(
            name=name or body.__name__,
            requires=requires,
            body=body,
            doc=" ".join(paragraph.split()),
            module=body.__module__,
        )

    return declare
