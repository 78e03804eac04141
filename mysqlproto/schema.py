"""Table definitions from ``information_schema``, for binlogs whose table maps lack them.

A TABLE_MAP event does not always say what decoding its rows needs:

- under ``binlog_row_metadata=MINIMAL`` (MySQL's default) and ``NO_LOG`` (MariaDB's),
  and in every binlog before MySQL 8.0.1 / MariaDB 10.5, there are no column names,
  no ENUM/SET member strings, and (NO_LOG, older servers) no signedness and no
  character sets;
- MariaDB's UUID, INET4 and INET6 columns travel as BINARY(16)/BINARY(4) whatever the
  metadata setting;
- MariaDB with ``mysql56_temporal_format=OFF`` writes TIME(n), DATETIME(n) and
  TIMESTAMP(n) with n > 0 under the old type codes with no metadata, so their
  precision, hence their size, is unknown from the binlog alone (see
  :class:`spec.binlog.values.ColumnDef`).

The server knows all of it: ``information_schema.COLUMNS``.

Theory of operation. A :class:`SchemaCatalog` holds :class:`TableSchema` records (one
per table, its :class:`ColumnInfo` in ordinal order), built from rows of
``information_schema.COLUMNS`` (:meth:`SchemaCatalog.from_rows`), read from a JSON file
(:meth:`SchemaCatalog.load`), or fetched on first use through a ``fetch(schema, table)``
callable. Its :meth:`~SchemaCatalog.enrich` is a
:class:`~mysqlproto.rows.TableMapTracker` ``enrich`` hook: it takes the
:class:`~mysqlproto.rows.TableInfo` a table map defines and returns it with what the
table map lacks (:func:`enrich_table`), cached per table definition so that a stream's
many TABLE_MAP events of one table cost one dict lookup. A definition whose column
count or column types differ from the table map's (the table was altered between the
binlog and the catalog) is never applied; with ``fetch`` the table is fetched again
once, as DDL may have happened since it was cached.

This module does no IO: :func:`fetch_table`, :func:`query_tables` and
:func:`server_catalog` take a connected client, anything with ``query(sql)`` returning
rows of text (:class:`mysqlproto.client.Client`).

What ``information_schema`` cannot say, and this module therefore cannot supply:

- the definition the table had when the binlog was written: the catalog describes the
  table as it is now. A fetching catalog that is shown the stream's QUERY events
  (:meth:`SchemaCatalog.observe`; ``TableMapTracker(enrich=catalog)`` does it) forgets
  a table when a statement alters, creates, renames or drops it, and fetches it again
  at its next table map: streaming near the server's head, that is the definition the
  rows were written with. Reading an older binlog, it is the table as it is now; a
  change that keeps the column count and types (renamed columns, ENUM members added,
  a hires precision changed under ``mysql56_temporal_format=OFF``) goes unnoticed
  there;
- ENUM/SET members with 4-byte characters: ``COLUMN_TYPE`` (and ``SHOW CREATE
  TABLE``) turn them into ``?`` (MySQL 9.7, MariaDB 11.8 both). A column whose members
  hold a ``?`` and whose charset can encode 4-byte characters keeps its index/bitmask
  values rather than risk a wrong string (:attr:`ColumnInfo.members`).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from mysqlproto.errors import UsageError
from mysqlproto.rows import QUERY_EVENT_NAMES, TableInfo
from spec.binlog.values import COLLATION_CHARSETS, LOGICAL_TYPES, ColumnDef
from spec.types import (
    MYSQL_TYPE_BIT,
    MYSQL_TYPE_BLOB,
    MYSQL_TYPE_BLOB_COMPRESSED,
    MYSQL_TYPE_DATE,
    MYSQL_TYPE_DATETIME,
    MYSQL_TYPE_DATETIME2,
    MYSQL_TYPE_DECIMAL,
    MYSQL_TYPE_DOUBLE,
    MYSQL_TYPE_ENUM,
    MYSQL_TYPE_FLOAT,
    MYSQL_TYPE_GEOMETRY,
    MYSQL_TYPE_INT24,
    MYSQL_TYPE_JSON,
    MYSQL_TYPE_LONG,
    MYSQL_TYPE_LONG_BLOB,
    MYSQL_TYPE_LONGLONG,
    MYSQL_TYPE_MEDIUM_BLOB,
    MYSQL_TYPE_NEWDATE,
    MYSQL_TYPE_NEWDECIMAL,
    MYSQL_TYPE_SET,
    MYSQL_TYPE_SHORT,
    MYSQL_TYPE_STRING,
    MYSQL_TYPE_TIME,
    MYSQL_TYPE_TIME2,
    MYSQL_TYPE_TIMESTAMP,
    MYSQL_TYPE_TIMESTAMP2,
    MYSQL_TYPE_TINY,
    MYSQL_TYPE_TINY_BLOB,
    MYSQL_TYPE_VAR_STRING,
    MYSQL_TYPE_VARCHAR,
    MYSQL_TYPE_VARCHAR_COMPRESSED,
    MYSQL_TYPE_VECTOR,
    MYSQL_TYPE_YEAR,
)

__all__ = [
    "COLUMNS_QUERY",
    "PRIMARY_KEY_QUERY",
    "ColumnInfo",
    "SchemaCatalog",
    "TableSchema",
    "enrich_table",
    "fetch_table",
    "parse_members",
    "ddl_tables",
    "query_tables",
    "server_catalog",
]

QualifiedName = tuple[str, str]  # (schema, table)

#: Databases :func:`query_tables` leaves out unless asked for by name.
SYSTEM_SCHEMAS = frozenset({"mysql", "information_schema", "performance_schema", "sys"})


# == what information_schema says ======================================================

_INTEGER_TYPES = frozenset({"tinyint", "smallint", "mediumint", "int", "integer", "bigint"})
_BLOB_TYPES = frozenset({MYSQL_TYPE_BLOB, MYSQL_TYPE_TINY_BLOB, MYSQL_TYPE_MEDIUM_BLOB,
                         MYSQL_TYPE_LONG_BLOB, MYSQL_TYPE_BLOB_COMPRESSED})
_GEOMETRY_NAMES = ("geometry", "point", "linestring", "polygon", "multipoint",
                   "multilinestring", "multipolygon", "geometrycollection", "geomcollection")

#: The table-map type codes (``ColumnDef.real_type``) a column of each DATA_TYPE may
#: have. A DATA_TYPE not listed fits any code. Both the old and the new (MySQL 5.6)
#: temporal codes, since MariaDB writes the old ones under
#: ``mysql56_temporal_format=OFF``; MariaDB's compressed columns have codes of their
#: own; MariaDB's JSON is LONGTEXT (a BLOB), its VECTOR a VARCHAR of bytes, its
#: UUID/INET4/INET6 the BINARY(n) they are stored as (as MariaDB 11.8 writes them).
_TYPE_CODES: dict[str, frozenset[int]] = {
    "tinyint": frozenset({MYSQL_TYPE_TINY}),
    "smallint": frozenset({MYSQL_TYPE_SHORT}),
    "mediumint": frozenset({MYSQL_TYPE_INT24}),
    "int": frozenset({MYSQL_TYPE_LONG}),
    "integer": frozenset({MYSQL_TYPE_LONG}),
    "bigint": frozenset({MYSQL_TYPE_LONGLONG}),
    "decimal": frozenset({MYSQL_TYPE_NEWDECIMAL, MYSQL_TYPE_DECIMAL}),
    "numeric": frozenset({MYSQL_TYPE_NEWDECIMAL, MYSQL_TYPE_DECIMAL}),
    "float": frozenset({MYSQL_TYPE_FLOAT}),
    "double": frozenset({MYSQL_TYPE_DOUBLE}),
    "real": frozenset({MYSQL_TYPE_DOUBLE}),
    "bit": frozenset({MYSQL_TYPE_BIT}),
    "year": frozenset({MYSQL_TYPE_YEAR}),
    "date": frozenset({MYSQL_TYPE_DATE, MYSQL_TYPE_NEWDATE}),
    "time": frozenset({MYSQL_TYPE_TIME, MYSQL_TYPE_TIME2}),
    "datetime": frozenset({MYSQL_TYPE_DATETIME, MYSQL_TYPE_DATETIME2}),
    "timestamp": frozenset({MYSQL_TYPE_TIMESTAMP, MYSQL_TYPE_TIMESTAMP2}),
    **dict.fromkeys(("char", "binary", "uuid", "inet4", "inet6"),
                    frozenset({MYSQL_TYPE_STRING, MYSQL_TYPE_VAR_STRING})),
    **dict.fromkeys(("varchar", "varbinary"),
                    frozenset({MYSQL_TYPE_VARCHAR, MYSQL_TYPE_VAR_STRING,
                               MYSQL_TYPE_VARCHAR_COMPRESSED})),
    **dict.fromkeys(("tinytext", "text", "mediumtext", "longtext",
                     "tinyblob", "blob", "mediumblob", "longblob"), _BLOB_TYPES),
    "enum": frozenset({MYSQL_TYPE_ENUM}),
    "set": frozenset({MYSQL_TYPE_SET}),
    "json": frozenset({MYSQL_TYPE_JSON, *_BLOB_TYPES}),
    **dict.fromkeys(_GEOMETRY_NAMES, frozenset({MYSQL_TYPE_GEOMETRY})),
    "vector": frozenset({MYSQL_TYPE_VECTOR, MYSQL_TYPE_VARCHAR}),
}

#: Character sets that can encode characters outside the BMP, which
#: ``information_schema`` shows as ``?`` in ENUM/SET members (``binary`` too: its
#: members are bytes, shown as whatever they decode to).
_WIDE_CHARSETS = frozenset({"utf8mb4", "utf16", "utf16le", "utf32", "gb18030", "binary"})

_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}


def parse_members(column_type: str) -> tuple[str, ...] | None:
    """The member strings of an ``enum(...)``/``set(...)`` COLUMN_TYPE, else None.

    The server writes each member as a quoted string (``append_unescaped``, sql/sql_show.cc
    in MySQL, sql/sql_show.cc in MariaDB): a quote doubled (``'it''s'``), a backslash,
    NUL, newline, CR and Ctrl-Z backslash-escaped. Read back with the string-literal
    rules (https://dev.mysql.com/doc/refman/8.4/en/string-literals.html): ``\\x`` for
    an x not in the table is x.
    """
    match = re.match(r"\s*(?:enum|set)\s*\(", column_type, re.I)
    if match is None:
        return None
    text = column_type
    i, n = match.end(), len(text)
    members: list[str] = []
    while i < n:
        while i < n and text[i] in " ,\t\n":
            i += 1
        if i < n and text[i] == ")":
            return tuple(members)
        if i >= n or text[i] not in "'\"":
            return None
        quote = text[i]
        i += 1
        out: list[str] = []
        while True:
            if i >= n:
                return None  # unterminated
            ch = text[i]
            if ch == "\\" and i + 1 < n:
                out.append(_ESCAPES.get(text[i + 1], text[i + 1]))
                i += 2
            elif ch == quote:
                if i + 1 < n and text[i + 1] == quote:
                    out.append(quote)
                    i += 2
                else:
                    i += 1
                    break
            else:
                out.append(ch)
                i += 1
        members.append("".join(out))
    return None


@dataclasses.dataclass(frozen=True)
class ColumnInfo:
    """One row of ``information_schema.COLUMNS``: the columns decoding can use.

    Fields keep the server's meaning (and its column name, lower-cased):
    ``column_name``, ``ordinal_position`` (1-based), ``data_type`` (``int``,
    ``varchar``, ``enum``, MariaDB's ``uuid``...), ``column_type`` (``int unsigned``,
    ``enum('a','b')``, ``datetime(3) /* mariadb-5.3 */``), ``character_set_name``
    (None for non-text columns), ``datetime_precision`` (None for non-temporal ones).
    """

    column_name: str
    ordinal_position: int
    data_type: str
    column_type: str
    character_set_name: str | None = None
    datetime_precision: int | None = None

    @classmethod
    def from_column_type(cls, name: str, column_type: str, charset: str | None = None,
                         ordinal_position: int = 0) -> ColumnInfo:
        """A column from its COLUMN_TYPE alone (DATA_TYPE and precision derived)."""
        lowered = column_type.lower()
        match = re.match(r"[a-z0-9]+", lowered)
        data_type = match.group(0) if match else lowered
        precision = None
        if data_type in ("time", "datetime", "timestamp"):
            digits = re.match(r"[a-z]+\((\d+)\)", lowered)
            precision = int(digits.group(1)) if digits else 0
        return cls(name, ordinal_position, data_type, column_type, charset, precision)

    @property
    def unsigned(self) -> bool:
        """An integer column declared UNSIGNED."""
        return self.data_type in _INTEGER_TYPES and "unsigned" in self.column_type.lower()

    @property
    def fsp(self) -> int:
        """Fractional-second precision of a TIME/DATETIME/TIMESTAMP column, else 0."""
        return self.datetime_precision or 0

    @property
    def logical_type(self) -> str | None:
        """``"uuid"``, ``"inet4"`` or ``"inet6"`` for MariaDB's plugin types."""
        return self.data_type if self.data_type in LOGICAL_TYPES else None

    @property
    def members(self) -> tuple[str, ...] | None:
        """ENUM/SET member strings, or None: not an ENUM/SET, or members that may have
        lost characters (a ``?`` in a charset that has 4-byte characters: see the
        module docstring)."""
        if self.data_type not in ("enum", "set"):
            return None
        members = parse_members(self.column_type)
        if members is None:
            return None
        charset = (self.character_set_name or "").lower()
        if charset in _WIDE_CHARSETS and any("?" in member for member in members):
            return None
        return members

    def fits(self, column: ColumnDef) -> bool:
        """Whether a table-map column of ``column``'s type can be this column."""
        codes = _TYPE_CODES.get(self.data_type)
        return codes is None or column.real_type in codes

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ColumnInfo:
        return cls(**{field.name: data.get(field.name) for field in dataclasses.fields(cls)
                      if field.name in data})


@dataclasses.dataclass(frozen=True)
class TableSchema:
    """One table: its columns in ordinal order and its primary key's column names."""

    schema: str
    table: str
    columns: tuple[ColumnInfo, ...]
    primary_key: tuple[str, ...] = ()

    @property
    def qualified(self) -> QualifiedName:
        return (self.schema, self.table)

    def fits(self, info: TableInfo) -> bool:
        """Whether this is a definition ``info`` (a table map) can have: as many
        columns, each of a fitting type. Names are not compared (a MINIMAL table map
        has none; a FULL one does not need this)."""
        columns = info.columns
        return len(columns) == len(self.columns) and all(
            mine.fits(column) for mine, column in zip(self.columns, columns, strict=True))

    def to_json(self) -> dict[str, Any]:
        return {"schema": self.schema, "table": self.table,
                "primary_key": list(self.primary_key),
                "columns": [column.to_json() for column in self.columns]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TableSchema:
        return cls(str(data["schema"]), str(data["table"]),
                   tuple(ColumnInfo.from_json(column) for column in data["columns"]),
                   tuple(data.get("primary_key") or ()))


# == enriching a table map ==============================================================

#: A collation id for each character set name, for ``ColumnDef.charset``: which
#: collation does not matter for decoding, only its character set.
_COLLATION_OF_CHARSET: dict[str, int] = {}
for _collation, _charset in sorted(COLLATION_CHARSETS.items()):
    _COLLATION_OF_CHARSET.setdefault(_charset, _collation)

_OLD_TEMPORAL_TYPES = frozenset({MYSQL_TYPE_TIME, MYSQL_TYPE_DATETIME, MYSQL_TYPE_TIMESTAMP})


def _enrich_column(column: ColumnDef, truth: ColumnInfo, minimal: bool,
                   member_strings: bool) -> ColumnDef:
    changes: dict[str, Any] = {}
    # MariaDB's UUID/INET4/INET6 are BINARY(n) in the table map, FULL metadata or not.
    if column.logical_type is None and truth.logical_type is not None:
        changes["logical_type"] = truth.logical_type
    # MariaDB hires TIME/DATETIME/TIMESTAMP under the old codes carry no metadata; the
    # precision goes in `metadata` (spec.binlog.values.ColumnDef, _hires_fsp).
    if column.type in _OLD_TEMPORAL_TYPES and column.metadata is None and truth.fsp:
        changes["metadata"] = truth.fsp
    if minimal:
        # No names: MINIMAL/NO_LOG or a server before MySQL 8.0.1 / MariaDB 10.5. Of
        # signedness and charsets a MINIMAL table map may carry some, so only what is
        # missing is added.
        changes["name"] = truth.column_name
        if truth.unsigned:
            changes["unsigned"] = True
        if column.charset is None and truth.character_set_name is not None:
            collation = _COLLATION_OF_CHARSET.get(truth.character_set_name.lower())
            if collation is not None:
                changes["charset"] = collation
    if member_strings:
        real = column.real_type
        if real == MYSQL_TYPE_ENUM and column.enum_values is None:
            members = truth.members
            if members is not None:
                changes["enum_values"] = members
        elif real == MYSQL_TYPE_SET and column.set_values is None:
            members = truth.members
            if members is not None:
                changes["set_values"] = members
    return dataclasses.replace(column, **changes) if changes else column


def _no_metadata(info: TableInfo) -> bool:
    """A table map with no column metadata at all (MySQL 5.1 development trees): the
    sizes of its values are unknown whatever names it gets, and rebuilding it would
    lose the decoder's note saying so."""
    return not info.has_column_metadata


def enrich_table(info: TableInfo, table: TableSchema, *,
                 member_strings: bool = True) -> TableInfo:
    """``info`` (from a table map) with what it lacks taken from ``table``.

    Always: the logical type of MariaDB's UUID/INET4/INET6 columns and the precision
    of its old-format TIME/DATETIME/TIMESTAMP columns (neither is ever in the table
    map). When the table map has no column names: names, signedness and character
    sets where it lacks them, and the primary key. ENUM/SET member strings where the
    table map has none (``member_strings``; see :attr:`ColumnInfo.members`). A table
    map whose column count or types do not fit ``table`` (the table was altered
    since) is returned as it is, as is one with nothing to add. Not cached: see
    :class:`SchemaCatalog`.
    """
    if not table.fits(info) or _no_metadata(info):
        return info
    minimal = all(column.name is None for column in info.columns)
    columns = [_enrich_column(column, truth, minimal, member_strings)
               for column, truth in zip(info.columns, table.columns, strict=True)]
    primary_key = info.primary_key
    if minimal and not primary_key and table.primary_key:
        index = {column.column_name: i for i, column in enumerate(table.columns)}
        if all(name in index for name in table.primary_key):
            primary_key = tuple(index[name] for name in table.primary_key)
    if primary_key == info.primary_key and all(
            new is old for new, old in zip(columns, info.columns, strict=True)):
        return info
    return TableInfo(table_id=info.table_id, schema=info.schema, table=info.table,
                     columns=columns, primary_key=primary_key,
                     primary_key_prefixes=info.primary_key_prefixes, flags=info.flags)


def _text(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


Fetch = Callable[[str, str], "TableSchema | None"]

_MISSING = object()


class SchemaCatalog:
    """Table definitions by (schema, table), and the ``enrich`` hook that applies them.

    ``tables``: the definitions to start with. ``fetch(schema, table)``, when given, is
    asked for a table met for the first time, and again (once) when a table map no
    longer fits the definition it gave (DDL happened); it returns a
    :class:`TableSchema`, or None for a table it does not know. ``max_tables`` bounds
    the fetched definitions kept (least recently used go first); ``max_layouts`` the
    enriched table maps kept. ``member_strings``: supply ENUM/SET member strings.

    The catalog (or its ``enrich`` method) goes to ``TableMapTracker(enrich=...)``;
    given the catalog itself, the tracker also shows it the QUERY events
    (:meth:`observe`), so that DDL makes it fetch the tables concerned again.
    """

    def __init__(self, tables: Iterable[TableSchema] = (), *, fetch: Fetch | None = None,
                 max_tables: int | None = 1024, max_layouts: int = 4096,
                 member_strings: bool = True) -> None:
        self.fetch = fetch
        self.max_tables = max_tables
        self.max_layouts = max_layouts
        self.member_strings = member_strings
        self._tables: OrderedDict[QualifiedName, TableSchema | None] = OrderedDict()
        self._pinned: set[QualifiedName] = set()
        # (schema, table, columns, primary key) of a table map -> the table to decode
        # with, or None for "as it is"
        self._enriched: OrderedDict[tuple, TableInfo | None] = OrderedDict()
        # The same by the identity of the columns tuple: TableInfo.from_table_map
        # shares one per table map content, and hashing ColumnDefs is most of the cost
        # of a lookup. Entries hold the tuple, so its id stays theirs.
        self._recent: dict[int, tuple] = {}
        self.fetches = 0
        for table in tables:
            self.add(table)

    # -- definitions -------------------------------------------------------------------

    def add(self, table: TableSchema) -> None:
        """Add or replace a table's definition; one added here is never evicted."""
        self._tables[table.qualified] = table
        self._pinned.add(table.qualified)
        self._forget_enriched(table.qualified)

    def get(self, schema: str, table: str) -> TableSchema | None:
        """The definition held for a table (no fetch)."""
        return self._tables.get((schema, table))

    def forget(self, schema: str, table: str) -> None:
        """Drop a table's definition (fetched again on next use when there is
        ``fetch``), e.g. after an ALTER TABLE seen in the stream."""
        self._tables.pop((schema, table), None)
        self._pinned.discard((schema, table))
        self._forget_enriched((schema, table))

    def observe(self, event: Any) -> None:
        """Notice DDL in a stream: shown a QUERY event (plain or MariaDB's compressed
        one) whose statement alters, creates, renames or drops tables, forget the
        fetched definitions of those tables (all fetched ones when the statement names
        them in a way :func:`ddl_tables` cannot read), so the next table map of each
        fetches it again. Definitions given to the catalog (``tables``, :meth:`add`,
        a schema file) stay: they are what the caller says the tables are. Without
        ``fetch`` this does nothing. :class:`~mysqlproto.rows.TableMapTracker` calls
        it for every QUERY event when the catalog is its ``enrich`` hook."""
        if self.fetch is None or event.name not in QUERY_EVENT_NAMES:
            return
        body = event.body
        if not isinstance(body, Mapping):
            return
        names = ddl_tables(_text(body.get("query", "")), _text(body.get("db", "")))
        if names is None:
            self.forget_fetched()
            return
        for name in names:
            self.forget_fetched(*name)

    def forget_fetched(self, schema: str | None = None, table: str | None = None) -> None:
        """Drop fetched (not given) definitions: of the table ``schema.table`` (names
        compared without regard to case: ``lower_case_table_names`` may fold them),
        of every table of ``schema`` when ``table`` is None, of every table when both
        are None."""
        def matches(key: QualifiedName) -> bool:
            if schema is not None and key[0].lower() != schema.lower():
                return False
            return table is None or key[1].lower() == table.lower()

        for key in [key for key in self._tables if key not in self._pinned and matches(key)]:
            del self._tables[key]
            self._forget_enriched(key)

    def _forget_enriched(self, name: QualifiedName) -> None:
        self._recent.clear()
        for key in [key for key in self._enriched if key[:2] == name]:
            del self._enriched[key]

    @property
    def tables(self) -> list[TableSchema]:
        return [table for table in self._tables.values() if table is not None]

    def __len__(self) -> int:
        return len(self.tables)

    def _lookup(self, name: QualifiedName) -> tuple[TableSchema | None, bool]:
        """The definition of ``name`` and whether it was fetched just now."""
        found = self._tables.get(name, _MISSING)
        if found is not _MISSING:
            self._tables.move_to_end(name)
            return found, False  # type: ignore[return-value]
        if self.fetch is None:
            return None, False
        return self._fetch(name), True

    def _fetch(self, name: QualifiedName) -> TableSchema | None:
        assert self.fetch is not None
        self.fetches += 1
        table = self.fetch(*name)
        self._tables[name] = table
        self._tables.move_to_end(name)
        if self.max_tables is not None:
            unpinned = [key for key in self._tables if key not in self._pinned]
            for key in unpinned[: max(0, len(unpinned) - self.max_tables)]:
                del self._tables[key]
        return table

    # -- rows of information_schema.COLUMNS --------------------------------------------

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[Any]],
                  primary_keys: Iterable[Sequence[Any]] = (), **options: Any) -> SchemaCatalog:
        """A catalog from the rows of :data:`COLUMNS_QUERY` (and of
        :data:`PRIMARY_KEY_QUERY`)."""
        return cls(tables_from_rows(rows, primary_keys), **options)

    # -- JSON ----------------------------------------------------------------------------

    FORMAT = "mysqlproto-schema"

    def to_json(self) -> dict[str, Any]:
        tables = sorted(self.tables, key=lambda table: table.qualified)
        return {"format": self.FORMAT, "version": 1,
                "tables": [table.to_json() for table in tables]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], **options: Any) -> SchemaCatalog:
        if not isinstance(data, Mapping) or data.get("format") != cls.FORMAT:
            raise UsageError(f"not a {cls.FORMAT} document (its \"format\" is "
                             f"{data.get('format') if isinstance(data, Mapping) else None!r})")
        if data.get("version") != 1:
            raise UsageError(f"{cls.FORMAT} version {data.get('version')!r} is not supported")
        return cls((TableSchema.from_json(table) for table in data["tables"]), **options)

    def save(self, path: str | os.PathLike[str]) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(self.to_json(), fh, ensure_ascii=False, indent=1)
            fh.write("\n")

    @classmethod
    def load(cls, path: str | os.PathLike[str], **options: Any) -> SchemaCatalog:
        with open(path, encoding="utf-8") as fh:
            return cls.from_json(json.load(fh), **options)

    # -- the hook ------------------------------------------------------------------------

    def enrich(self, info: TableInfo) -> TableInfo:
        """``info`` with what its table map lacks (:func:`enrich_table`), from the
        definition of its table: cached per (schema, table, columns)."""
        columns = info.columns
        recent = self._recent.get(id(columns))
        if (recent is not None and recent[0] is columns and recent[1] == info.schema
                and recent[2] == info.table and recent[3] == info.primary_key):
            done = recent[4]
        else:
            key = (info.schema, info.table, columns, info.primary_key)
            cache = self._enriched
            try:
                done = cache[key]
            except KeyError:
                done = self._enrich(info)
                cache[key] = done
                if len(cache) > self.max_layouts:
                    cache.popitem(last=False)
                    self._recent.clear()
            else:
                cache.move_to_end(key)
            if len(self._recent) >= self.max_layouts:
                self._recent.clear()
            self._recent[id(columns)] = (columns, info.schema, info.table, info.primary_key,
                                         done)
        if done is None:
            return info
        if done.table_id == info.table_id and done.flags == info.flags:
            return done
        clone = copy.copy(done)  # shares the decoders, compiled once per definition
        clone.table_id, clone.flags = info.table_id, info.flags
        return clone

    __call__ = enrich

    def _enrich(self, info: TableInfo) -> TableInfo | None:
        name = (_text(info.schema), _text(info.table))
        table, fresh = self._lookup(name)
        if (table is None or not table.fits(info)) and self.fetch is not None and not fresh:
            table = self._fetch(name)  # altered, created or dropped since: ask again
        if table is None:
            return None
        enriched = enrich_table(info, table, member_strings=self.member_strings)
        return None if enriched is info else enriched


def tables_from_rows(rows: Iterable[Sequence[Any]],
                     primary_keys: Iterable[Sequence[Any]] = ()) -> list[TableSchema]:
    """:class:`TableSchema` records from rows of :data:`COLUMNS_QUERY` (any order) and
    :data:`PRIMARY_KEY_QUERY` (in key order)."""
    columns: dict[QualifiedName, list[ColumnInfo]] = {}
    for row in rows:
        schema, table, name, position, data_type, column_type, charset, precision = row[:8]
        columns.setdefault((_text(schema), _text(table)), []).append(ColumnInfo(
            column_name=_text(name),
            ordinal_position=int(position),
            data_type=_text(data_type).lower(),
            column_type=_text(column_type),
            character_set_name=None if charset is None else _text(charset),
            datetime_precision=None if precision is None else int(precision),
        ))
    keys: dict[QualifiedName, list[str]] = {}
    for schema, table, name in primary_keys:
        keys.setdefault((_text(schema), _text(table)), []).append(_text(name))
    return [TableSchema(schema, table,
                        tuple(sorted(found, key=lambda column: column.ordinal_position)),
                        tuple(keys.get((schema, table), ())))
            for (schema, table), found in columns.items()]


# == reading information_schema from a server ===========================================

#: One row per column: what :func:`tables_from_rows` reads. ``{where}`` restricts it.
COLUMNS_QUERY = (
    "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, DATA_TYPE,"
    " COLUMN_TYPE, CHARACTER_SET_NAME, DATETIME_PRECISION"
    " FROM information_schema.COLUMNS WHERE {where}"
    " ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION"
)
#: The primary key's columns in key order. Its own query rather than a join, so that
#: each stays a lookup of one table (a join makes MariaDB open every table).
PRIMARY_KEY_QUERY = (
    "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM information_schema.STATISTICS"
    " WHERE INDEX_NAME = 'PRIMARY' AND {where}"
    " ORDER BY TABLE_SCHEMA, TABLE_NAME, SEQ_IN_INDEX"
)


# == DDL in a stream ====================================================================

# A name: `quoted` (`` doubles a backtick), "quoted" (ANSI_QUOTES) or bare.
_IDENT = r'(?:`(?:[^`]|``)*`|"(?:[^"]|"")*"|[^\s`"\'.,;()]+)'
_NAME = re.compile(rf"\s*({_IDENT})(?:\s*\.\s*({_IDENT}))?")
_LEADING = re.compile(r"(?:\s+|/\*(?!!).*?\*/|/\*!\d*|--[^\n]*\n|#[^\n]*\n)*", re.S)
_COMMA = re.compile(r"\s*,")
_RENAME_TO = re.compile(r"(?i)\s*TO\b")
_TABLE_DDL = re.compile(
    r"(?is)(?:(ALTER)(?:\s+(?:ONLINE|OFFLINE|IGNORE))*\s+TABLE(?:\s+IF\s+EXISTS)?"
    r"|(CREATE)(?:\s+OR\s+REPLACE)?(?:\s+TEMPORARY)?\s+TABLE(?:\s+IF\s+NOT\s+EXISTS)?"
    r"|(DROP)(?:\s+TEMPORARY)?\s+TABLES?(?:\s+IF\s+EXISTS)?"
    r"|(RENAME)\s+TABLES?"
    r"|(DROP|ALTER)\s+(?:DATABASE|SCHEMA)(?:\s+IF\s+EXISTS)?)\b")
# Statements that never change a table's columns (the rest of CREATE/ALTER/DROP).
_HARMLESS = re.compile(
    r"(?is)(?:CREATE|ALTER|DROP)\s+(?:OR\s+REPLACE\s+)?(?:(?:DEFINER\s*=\s*\S+|"
    r"ALGORITHM\s*=\s*\w+|SQL\s+SECURITY\s+\w+|UNIQUE|FULLTEXT|SPATIAL|ONLINE|"
    r"OFFLINE|AGGREGATE)\s+)*(?:USER|ROLE|VIEW|EVENT|FUNCTION|PROCEDURE|TRIGGER|INDEX|"
    r"SERVER|TABLESPACE|LOGFILE|RESOURCE|SPATIAL\s+REFERENCE|SEQUENCE|PACKAGE|"
    r"UNDO|INSTANCE|DATABASE|SCHEMA)\b")


# ALTER TABLE t ..., RENAME [TO|AS] u (not RENAME COLUMN/INDEX/KEY)
_ALTER_RENAME = re.compile(
    rf"(?is).*?\bRENAME\s+(?!(?:COLUMN|INDEX|KEY)\b)(?:(?:TO|AS)\s+)?"
    rf"({_IDENT}(?:\s*\.\s*{_IDENT})?)")


def _unquote(name: str) -> str:
    if name[:1] == "`":
        return name[1:-1].replace("``", "`")
    if name[:1] == '"':
        return name[1:-1].replace('""', '"')
    return name


def _names(text: str, pos: int, default_schema: str,
           rename: bool = False) -> tuple[list[tuple[str, str | None]], int] | None:
    """Comma-separated names from ``pos`` (``a TO b, c TO d`` when ``rename``):
    (names, end), or None when no name is there."""
    names: list[tuple[str, str | None]] = []
    while True:
        match = _NAME.match(text, pos)
        if match is None:
            return None
        first, second = match.group(1), match.group(2)
        names.append((_unquote(first), _unquote(second)) if second is not None
                     else (default_schema, _unquote(first)))
        pos = match.end()
        more = _RENAME_TO.match(text, pos) if rename else None
        more = more or _COMMA.match(text, pos)
        if more is None:
            return names, pos
        pos = more.end()


def ddl_tables(statement: str,
               default_schema: str = "") -> list[tuple[str, str | None]] | None:
    """The tables whose columns a statement may change, as (schema, table).

    ``ALTER TABLE`` (and the table it renames to), ``CREATE [OR REPLACE] TABLE``,
    ``DROP TABLE`` and ``RENAME TABLE`` give the tables they name, ``default_schema``
    (the QUERY event's ``db``) for unqualified names; ``DROP``/``ALTER DATABASE`` gives
    ``(schema, None)``: all its tables. Any other statement gives ``[]``; one of those
    kinds whose names cannot be read, or a CREATE/ALTER/DROP of an unknown kind of
    object, gives None (the caller then forgets every table). Leading comments are
    skipped and version comments (``/*!50001 ... */``) read through. Names are as
    written; compare them without regard to case.
    """
    start = _LEADING.match(statement).end()
    match = _TABLE_DDL.match(statement, start)
    if match is None:
        if _HARMLESS.match(statement, start) or not re.match(
                r"(?i)(?:ALTER|CREATE|DROP|RENAME)\b", statement[start:]):
            return []
        return None  # CREATE/ALTER/DROP of something we do not know: be safe
    kind = next(group for group in match.groups() if group)
    if match.group(5):  # DROP/ALTER DATABASE
        found = _NAME.match(statement, match.end())
        return None if found is None else [(_unquote(found.group(1)), None)]
    parsed = _names(statement, match.end(), default_schema, kind.upper() == "RENAME")
    if parsed is None:
        return None
    names, end = parsed
    if kind.upper() in ("ALTER", "CREATE"):
        names = names[:1]  # ALTER TABLE t RENAME TO u: u is new, t is gone, both fetch
        rename = _ALTER_RENAME.match(statement, end) if kind.upper() == "ALTER" else None
        if rename is not None:
            more = _names(rename.group(1), 0, default_schema)
            if more is not None:
                names += more[0]
    return names


class Queryable(Protocol):
    """A connected client: :class:`mysqlproto.client.Client` for instance."""

    def query(self, sql: str) -> Any: ...


def sql_string(text: str) -> str:
    """``text`` as an SQL string literal, the same under any ``sql_mode``: quotes
    doubled, and a hex literal when it holds a backslash (which
    ``NO_BACKSLASH_ESCAPES`` reads differently)."""
    if "\\" in text or "\0" in text:
        return f"CONVERT(X'{text.encode('utf-8').hex()}' USING utf8mb4)"
    return "'" + text.replace("'", "''") + "'"


def _rows(result: Any) -> list[Sequence[Any]]:
    return list(getattr(result, "rows", result))


def query_tables(client: Queryable, *, schemas: Iterable[str] | None = None,
                 tables: Iterable[QualifiedName] | None = None) -> list[TableSchema]:
    """The definitions of ``tables``, or of every table of ``schemas``, or of every
    table outside the system databases (:data:`SYSTEM_SCHEMAS`): two queries."""
    if tables is not None:
        conditions = [f"(TABLE_SCHEMA = {sql_string(schema)} AND TABLE_NAME = "
                      f"{sql_string(table)})" for schema, table in tables]
        if not conditions:
            return []
        where = " OR ".join(conditions)
    elif schemas is not None:
        names = [sql_string(schema) for schema in schemas]
        if not names:
            return []
        where = f"TABLE_SCHEMA IN ({', '.join(names)})"
    else:
        where = ("TABLE_SCHEMA NOT IN ("
                 + ", ".join(sql_string(name) for name in sorted(SYSTEM_SCHEMAS)) + ")")
    columns = _rows(client.query(COLUMNS_QUERY.format(where=where)))
    keys = _rows(client.query(PRIMARY_KEY_QUERY.format(where=where)))
    return tables_from_rows(columns, keys)


def fetch_table(client: Queryable, schema: str, table: str) -> TableSchema | None:
    """One table's definition from ``client``'s server, None if it has no such table."""
    found = query_tables(client, tables=[(schema, table)])
    return found[0] if found else None


def server_catalog(client: Queryable, **options: Any) -> SchemaCatalog:
    """A catalog that fetches each table from ``client``'s server on first use (and
    again after DDL): ``TableMapTracker(enrich=server_catalog(client))``."""
    return SchemaCatalog(fetch=lambda schema, table: fetch_table(client, schema, table),
                         **options)
