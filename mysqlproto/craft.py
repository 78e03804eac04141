"""Crafting binlogs: tables, rows and transactions in; a binlog and its ground truth out.

Theory of operation
-------------------
A :class:`Column` is a name and an SQL type as one would write it in ``CREATE TABLE``
(``"INT UNSIGNED"``, ``"DECIMAL(10,2)"``, ``"VARCHAR(32)"`` with a ``charset``,
``"SET('a','b')"``, ``"JSON"``, ``"POINT"``, ``"VECTOR(3)"``...).  A :class:`Table`
groups columns and turns them into what the binlog says about them: one
:class:`~spec.binlog.values.ColumnDef` per column (type code, table-map metadata,
signedness, collation, ENUM/SET strings, geometry type, vector dimension), a
:class:`~mysqlproto.rows.TableInfo`, and the TABLE_MAP optional metadata as the server
writes it for ``binlog_row_metadata`` MINIMAL or FULL.

:class:`BinlogBuilder` plays the server.  It opens the file as the flavour and version
do (FORMAT_DESCRIPTION with that server's post-header table, then PREVIOUS_GTIDS for
MySQL, GTID_LIST and BINLOG_CHECKPOINT for MariaDB) and turns calls into event groups:

- MySQL: ``GTID`` (or ``ANONYMOUS_GTID``; none before 5.6) with the logical clock and,
  from 8.0.2, ``transaction_length``; ``QUERY BEGIN``; per statement ``TABLE_MAP`` and
  the rows events, the last one flagged ``STMT_END_F``; ``XID``.  Inside
  :meth:`BinlogBuilder.compress` everything after the GTID goes into one
  ``TRANSACTION_PAYLOAD_EVENT`` (zstd), as ``binlog_transaction_compression=ON`` does.
- MariaDB: ``GTID_EVENT`` (domain, sequence number; it stands for BEGIN) then the
  statements then ``XID``; inside :meth:`BinlogBuilder.compress` queries and rows events
  are written as the ``*_COMPRESSED_EVENT`` types (``log_bin_compress=ON``).

Row images follow ``binlog_row_image`` (FULL, MINIMAL, NOBLOB), and a rows event is
cut when the next row would take its body past ``max_rows_event_size`` (the server's
``binlog_row_event_max_size``).  What the rows events hold is recorded as the ground
truth (:attr:`BinlogBuilder.changes`): one :class:`Change` per statement, the images
as a reader should decode them.  :func:`decode_changes` reads a binlog back into the
same shape.

Crafting broken binlogs, the scapy way: the builder leaves every length, position
and checksum None, so the writer computes them; whatever is set explicitly on an event
is written as given.  :meth:`BinlogBuilder.events` is the live list the bytes are
written from, so setting ``checksum``, ``event_size`` or ``log_pos`` on one of its
events, or a length field inside its body, or cutting ``body.rows`` short, crafts the
damage.  A length the schema reads its bytes by (``db_len`` before ``db``) cannot
disagree with them when built -- construct refuses -- so for those take the body bytes
(:meth:`BinlogBuilder.body_bytes`), edit them, and put the event back with
:func:`raw_event`.  :meth:`BinlogBuilder.event` appends any event at all (vendor
events, raw ``UnknownEvent``), and ``table_map=False`` on a rows statement leaves its
table undefined.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from construct import Container

from mysqlproto.binlog import BinlogWriter, FormatContext, encode_event, read_binlog
from mysqlproto.errors import UsageError
from mysqlproto.events import Event, UnknownEvent
from mysqlproto.gtid import GtidSet, MariaGtidList
from mysqlproto.registry import MARIADB, MYSQL, Flavour
from mysqlproto.rows import (
    _CHARACTER_TYPES_MARIADB,
    _CHARACTER_TYPES_MYSQL,
    RowChange,
    TableInfo,
    TableMapTracker,
    decode_rows,
    encode_rows,
    is_rows_event,
    rows_kind,
    value_hooks,
)
from mysqlproto.samples import MARIADB_118_TABLE, MYSQL_51_TABLE, MYSQL_80_TABLE
from spec.binlog.events import table_map as tm
from spec.binlog.events.fde import has_checksum_alg, is_mariadb_version, version_split
from spec.binlog.events.payload import NONE as PAYLOAD_NONE
from spec.binlog.events.payload import ZSTD as PAYLOAD_ZSTD
from spec.binlog.events.rows import STMT_END_F
from spec.binlog.values import (
    BINARY_COLLATION,
    BitMeta,
    ColumnDef,
    DecimalMeta,
    StringMeta,
    charset_name,
    codec_for,
    python_encoding,
    text_encoder,
)
from spec.wire import lenenc_size

__all__ = [
    "Column",
    "Table",
    "Change",
    "CraftedBinlog",
    "BinlogBuilder",
    "decode_changes",
    "raw_event",
    "optional_metadata",
    "value_round_trip",
    "collation_id",
    "mbmaxlen",
    "CHARSETS",
]

# == character sets ===================================================================

CHARSETS: dict[str, tuple[int, int]] = {
    # charset -> (default collation id, bytes per character at most), as
    # information_schema.CHARACTER_SETS lists them (DEFAULT_COLLATE_NAME, MAXLEN).
    "big5": (1, 2), "dec8": (3, 1), "cp850": (4, 1), "hp8": (6, 1), "koi8r": (7, 1),
    "latin1": (8, 1), "latin2": (9, 1), "swe7": (10, 1), "ascii": (11, 1), "ujis": (12, 3),
    "sjis": (13, 2), "hebrew": (16, 1), "tis620": (18, 1), "euckr": (19, 2),
    "koi8u": (22, 1), "gb2312": (24, 2), "greek": (25, 1), "cp1250": (26, 1),
    "gbk": (28, 2), "latin5": (30, 1), "armscii8": (32, 1), "utf8mb3": (33, 3),
    "ucs2": (35, 2), "cp866": (36, 1), "keybcs2": (37, 1), "macce": (38, 1),
    "macroman": (39, 1), "cp852": (40, 1), "latin7": (41, 1), "cp1251": (51, 1),
    "utf16": (54, 4), "utf16le": (56, 4), "cp1256": (57, 1), "cp1257": (59, 1),
    "utf32": (60, 4), "binary": (63, 1), "geostd8": (92, 1), "cp932": (95, 2),
    "eucjpms": (97, 3), "gb18030": (248, 4), "utf8mb4": (255, 4),
}
"""MySQL 8.0's defaults.  MariaDB's default utf8mb4 collation is taken as
utf8mb4_general_ci (45): see :func:`collation_id`."""

_CHARSET_ALIASES = {"utf8": "utf8mb3"}
_MBMAXLEN = {name: maxlen for name, (_, maxlen) in CHARSETS.items()}

_COLLATIONS = {
    "utf8mb4_general_ci": 45, "utf8mb4_bin": 46, "utf8mb4_unicode_ci": 224,
    "utf8mb4_unicode_520_ci": 246, "utf8mb4_0900_ai_ci": 255, "utf8mb4_0900_as_cs": 278,
    "utf8mb4_0900_bin": 309, "utf8mb3_general_ci": 33, "utf8mb3_bin": 83,
    "utf8mb3_unicode_ci": 192, "utf8_general_ci": 33, "utf8_bin": 83, "utf8_unicode_ci": 192,
    "latin1_german1_ci": 5, "latin1_swedish_ci": 8, "latin1_danish_ci": 15,
    "latin1_german2_ci": 31, "latin1_bin": 47, "latin1_general_ci": 48,
    "latin1_general_cs": 49, "latin1_spanish_ci": 94, "ascii_general_ci": 11, "ascii_bin": 65,
    "binary": 63, "ucs2_general_ci": 35, "ucs2_bin": 90, "utf16_general_ci": 54,
    "utf16_bin": 55, "utf16le_general_ci": 56, "utf16le_bin": 62, "utf32_general_ci": 60,
    "utf32_bin": 61, "cp1251_general_ci": 51, "cp1251_bin": 50, "gbk_chinese_ci": 28,
    "gbk_bin": 87, "big5_chinese_ci": 1, "big5_bin": 84, "sjis_japanese_ci": 13,
    "sjis_bin": 88, "cp932_japanese_ci": 95, "cp932_bin": 96, "euckr_korean_ci": 19,
    "euckr_bin": 85, "gb2312_chinese_ci": 24, "gb2312_bin": 86, "gb18030_chinese_ci": 248,
    "gb18030_bin": 249, "latin2_general_ci": 9, "latin2_bin": 77, "greek_general_ci": 25,
    "hebrew_general_ci": 16, "cp1250_general_ci": 26, "cp1250_bin": 66,
    "koi8r_general_ci": 7, "ujis_japanese_ci": 12, "eucjpms_japanese_ci": 97,
}
"""Collation names -> ids for the collations one meets most; any id may be given as an
int instead."""

MARIADB_UTF8MB4_DEFAULT = 45


def collation_id(charset: str | int | None = None, collation: str | int | None = None, *,
                 mariadb: bool = False) -> int:
    """The collation id for a charset name and/or a collation name (or id).

    ``collation_id("utf8mb4")`` is 255 (MySQL 8.0's utf8mb4_0900_ai_ci), 45 with
    ``mariadb=True``; ``collation_id(collation="latin1_bin")`` is 47; ints pass through.
    """
    if collation is not None:
        if isinstance(collation, int):
            return collation
        key = collation.strip().lower()
        if key in _COLLATIONS:
            return _COLLATIONS[key]
        raise UsageError(f"unknown collation {collation!r}: give its id as an int")
    if charset is None:
        charset = "utf8mb4"
    if isinstance(charset, int):
        return charset
    name = _CHARSET_ALIASES.get(charset.strip().lower(), charset.strip().lower())
    if name == "utf8mb4" and mariadb:
        return MARIADB_UTF8MB4_DEFAULT
    if name not in CHARSETS:
        raise UsageError(f"unknown character set {charset!r}")
    return CHARSETS[name][0]


def mbmaxlen(collation: int) -> int:
    """Bytes per character at most in a collation's charset (1 when unknown)."""
    return _MBMAXLEN.get(charset_name(collation) or "", 1)


# == column types =====================================================================


class _TypeSpec(NamedTuple):
    base: str
    args: tuple
    unsigned: bool
    zerofill: bool
    compressed: bool
    binary: bool
    charset: str | None
    collation: str | None
    not_null: bool | None
    primary_key: bool
    invisible: bool


_WORD = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)")


def _parse_args(text: str, pos: int, source: str) -> tuple[tuple, int]:
    """The comma-separated arguments after ``(`` at ``pos``: ints and quoted strings."""
    args: list = []
    token: list[str] = []
    quoted: str | None = None
    i = pos
    while i < len(text):
        ch = text[i]
        if ch in "'\"":
            quote, i = ch, i + 1
            buf = []
            while True:
                if i >= len(text):
                    raise UsageError(f"unterminated string in type {source!r}")
                c = text[i]
                if c == "\\" and i + 1 < len(text):
                    buf.append({"n": "\n", "t": "\t", "0": "\0"}.get(text[i + 1], text[i + 1]))
                    i += 2
                    continue
                if c == quote:
                    if i + 1 < len(text) and text[i + 1] == quote:  # '' inside '...'
                        buf.append(quote)
                        i += 2
                        continue
                    i += 1
                    break
                buf.append(c)
                i += 1
            quoted = "".join(buf)
            continue
        if ch in ",)":
            word = "".join(token).strip()
            if quoted is not None:
                args.append(quoted)
            elif word:
                try:
                    args.append(int(word))
                except ValueError:
                    raise UsageError(f"bad argument {word!r} in type {source!r}") from None
            quoted, token = None, []
            i += 1
            if ch == ")":
                return tuple(args), i
            continue
        token.append(ch)
        i += 1
    raise UsageError(f"missing ')' in type {source!r}")


def _parse_type(text: str) -> _TypeSpec:
    match = _WORD.match(text)
    if not match:
        raise UsageError(f"cannot read the column type {text!r}")
    base = match.group(1).upper()
    pos = match.end()
    if base == "DOUBLE":
        more = _WORD.match(text, pos)
        if more and more.group(1).upper() == "PRECISION":
            pos = more.end()
    args: tuple = ()
    rest = text[pos:].lstrip()
    if rest.startswith("("):
        args, end = _parse_args(rest, 1, text)
        rest = rest[end:]
    words = rest.split()
    upper = [w.upper() for w in words]
    flags = dict(unsigned=False, zerofill=False, compressed=False, binary=False, charset=None,
                 collation=None, not_null=None, primary_key=False, invisible=False)
    i = 0
    while i < len(words):
        word = upper[i]
        nxt = upper[i + 1] if i + 1 < len(words) else None
        if word in ("UNSIGNED", "ZEROFILL", "BINARY", "INVISIBLE"):
            flags[word.lower()] = True
            if word == "ZEROFILL":
                flags["unsigned"] = True
        elif word == "SIGNED" or word in ("AUTO_INCREMENT", "VISIBLE"):
            pass
        elif word.startswith("COMPRESSED"):
            flags["compressed"] = True
        elif word == "CHARACTER" and nxt == "SET" and i + 2 < len(words):
            flags["charset"] = words[i + 2]
            i += 2
        elif word == "CHARSET" and nxt is not None:
            flags["charset"] = words[i + 1]
            i += 1
        elif word == "COLLATE" and nxt is not None:
            flags["collation"] = words[i + 1]
            i += 1
        elif word == "NOT" and nxt == "NULL":
            flags["not_null"] = True
            i += 1
        elif word == "NULL":
            flags["not_null"] = False
        elif word == "PRIMARY" and nxt == "KEY":
            flags["primary_key"] = True
            i += 1
        else:
            raise UsageError(f"unknown word {words[i]!r} in column type {text!r}")
        i += 1
    return _TypeSpec(base, args, **flags)


_INTEGERS = {
    "TINYINT": tm.MYSQL_TYPE_TINY, "INT1": tm.MYSQL_TYPE_TINY, "BOOL": tm.MYSQL_TYPE_TINY,
    "BOOLEAN": tm.MYSQL_TYPE_TINY, "SMALLINT": tm.MYSQL_TYPE_SHORT, "INT2": tm.MYSQL_TYPE_SHORT,
    "MEDIUMINT": tm.MYSQL_TYPE_INT24, "INT3": tm.MYSQL_TYPE_INT24,
    "MIDDLEINT": tm.MYSQL_TYPE_INT24, "INT": tm.MYSQL_TYPE_LONG, "INTEGER": tm.MYSQL_TYPE_LONG,
    "INT4": tm.MYSQL_TYPE_LONG, "BIGINT": tm.MYSQL_TYPE_LONGLONG, "INT8": tm.MYSQL_TYPE_LONGLONG,
}
_TEXTS = {"TINYTEXT": 1, "TEXT": 2, "MEDIUMTEXT": 3, "LONGTEXT": 4}
_BLOBS = {"TINYBLOB": 1, "BLOB": 2, "MEDIUMBLOB": 3, "LONGBLOB": 4}
GEOMETRY_TYPES = {
    # Field::geometry_type, the values of the GEOMETRY_TYPE optional metadata
    "GEOMETRY": 0, "POINT": 1, "LINESTRING": 2, "POLYGON": 3, "MULTIPOINT": 4,
    "MULTILINESTRING": 5, "MULTIPOLYGON": 6, "GEOMETRYCOLLECTION": 7, "GEOMCOLLECTION": 7,
}
_MARIADB_LOGICAL = {"UUID": 16, "INET6": 16, "INET4": 4}
BLOB_LIKE_TYPES = frozenset({
    tm.MYSQL_TYPE_BLOB, tm.MYSQL_TYPE_TINY_BLOB, tm.MYSQL_TYPE_MEDIUM_BLOB,
    tm.MYSQL_TYPE_LONG_BLOB, tm.MYSQL_TYPE_JSON, tm.MYSQL_TYPE_GEOMETRY, tm.MYSQL_TYPE_VECTOR,
    tm.MYSQL_TYPE_BLOB_COMPRESSED,
})
"""Columns that ``binlog_row_image=NOBLOB`` leaves out when not needed (their field
classes derive from ``Field_blob``)."""


def _enum_pack_length(count: int) -> int:
    return 1 if count < 256 else 2  # get_enum_pack_length


def _set_pack_length(count: int) -> int:
    size = (count + 7) // 8  # get_set_pack_length
    return 8 if size > 4 else size


@dataclasses.dataclass(frozen=True)
class Column:
    """One column: a name and an SQL type, as in ``CREATE TABLE``.

    ``type`` may carry ``UNSIGNED``, ``ZEROFILL``, ``CHARACTER SET x``, ``COLLATE y``,
    ``NOT NULL``, ``PRIMARY KEY``, ``INVISIBLE`` and (MariaDB) ``COMPRESSED``;
    ``NOT NULL``/``PRIMARY KEY`` there override ``nullable``/``primary_key``.
    ``charset``/``collation`` (a name or a collation id) apply to text, ENUM and SET
    columns; without them the table's default charset applies.  ``legacy=True`` gives
    TIME, DATETIME and TIMESTAMP their pre-5.6.4 layouts (type codes 11, 12, 7).
    """

    name: str
    type: str
    nullable: bool = True
    primary_key: bool = False
    charset: str | int | None = None
    collation: str | int | None = None
    unsigned: bool | None = None
    visible: bool = True
    legacy: bool = False
    spec: _TypeSpec = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        spec = _parse_type(self.type)
        object.__setattr__(self, "spec", spec)
        if spec.not_null is not None:
            object.__setattr__(self, "nullable", not spec.not_null)
        if spec.primary_key:
            object.__setattr__(self, "primary_key", True)
        if self.primary_key:  # a primary key column is NOT NULL, declared so or not
            object.__setattr__(self, "nullable", False)
        if spec.invisible:
            object.__setattr__(self, "visible", False)

    @property
    def base_type(self) -> str:
        """The type's keyword, upper case: ``"DECIMAL"`` for ``"decimal(10,2)"``."""
        return self.spec.base

    def collation_id(self, default: str | int | None = None, *, mariadb: bool = False) -> int:
        """The column's collation id (text, ENUM and SET columns)."""
        spec = self.spec
        if self.collation is not None or spec.collation is not None:
            return collation_id(collation=self.collation if self.collation is not None
                                else spec.collation, mariadb=mariadb)
        charset = self.charset if self.charset is not None else spec.charset
        if charset is None:
            charset = default
        cid = collation_id(charset, mariadb=mariadb)
        if spec.binary and cid != BINARY_COLLATION:
            # CHAR(n) BINARY: the charset's _bin collation
            name = charset_name(cid)
            key = f"{name}_bin"
            if key in _COLLATIONS:
                return _COLLATIONS[key]
        return cid

    def column_def(self, *, mariadb: bool = False, default_charset: str | int | None = None,
                   legacy: bool | None = None) -> ColumnDef:
        """What the binlog says about this column: type code, metadata and the rest.

        ``mariadb`` picks MariaDB's representation where the servers differ (JSON is a
        LONGTEXT; UUID, INET4, INET6 and COMPRESSED exist); ``legacy`` forces the
        pre-5.6.4 temporal layouts (a MySQL 5.1-5.5 server).
        """
        return _column_def(self, mariadb=mariadb, default_charset=default_charset,
                           legacy=self.legacy if legacy is None else legacy or self.legacy)


def _column_def(col: Column, *, mariadb: bool, default_charset, legacy: bool) -> ColumnDef:
    spec = col.spec
    base, args = spec.base, spec.args
    unsigned = spec.unsigned if col.unsigned is None else col.unsigned
    common: dict[str, Any] = dict(name=col.name, nullable=col.nullable, visible=col.visible)

    def arg(index: int, default: int) -> int:
        value = args[index] if len(args) > index else default
        if not isinstance(value, int):
            raise UsageError(f"column {col.name!r}: {col.type!r} needs a number, got {value!r}")
        return value

    def text_collation() -> int:
        return col.collation_id(default_charset, mariadb=mariadb)

    def need_mariadb(what: str) -> None:
        if not mariadb:
            raise UsageError(f"column {col.name!r}: {what} is a MariaDB type")

    if spec.compressed:
        need_mariadb("COMPRESSED")
    if base in _INTEGERS:
        return ColumnDef(_INTEGERS[base], None, unsigned=unsigned, **common)
    if base == "FLOAT":
        if len(args) == 1 and arg(0, 0) > 24:
            return ColumnDef(tm.MYSQL_TYPE_DOUBLE, 8, unsigned=unsigned, **common)
        return ColumnDef(tm.MYSQL_TYPE_FLOAT, 4, unsigned=unsigned, **common)
    if base in ("DOUBLE", "REAL"):
        return ColumnDef(tm.MYSQL_TYPE_DOUBLE, 8, unsigned=unsigned, **common)
    if base in ("DECIMAL", "DEC", "NUMERIC", "FIXED"):
        precision, scale = arg(0, 10), arg(1, 0)
        if not (1 <= precision <= 65 and 0 <= scale <= 30 and scale <= precision):
            raise UsageError(f"column {col.name!r}: bad DECIMAL({precision},{scale})")
        return ColumnDef(tm.MYSQL_TYPE_NEWDECIMAL, DecimalMeta(precision, scale),
                         unsigned=unsigned, **common)
    if base == "BIT":
        width = arg(0, 1)
        if not 1 <= width <= 64:
            raise UsageError(f"column {col.name!r}: BIT({width}) (1-64 allowed)")
        return ColumnDef(tm.MYSQL_TYPE_BIT, BitMeta(width % 8, width // 8), **common)
    if base == "YEAR":
        return ColumnDef(tm.MYSQL_TYPE_YEAR, None, unsigned=True, **common)
    if base == "DATE":
        return ColumnDef(tm.MYSQL_TYPE_DATE, None, **common)
    if base in ("TIME", "DATETIME", "TIMESTAMP"):
        fsp = arg(0, 0)
        if not 0 <= fsp <= 6:
            raise UsageError(f"column {col.name!r}: fractional-second precision {fsp}")
        if legacy:
            if fsp:
                raise UsageError(f"column {col.name!r}: the pre-5.6.4 {base} has no fraction")
            code = {"TIME": tm.MYSQL_TYPE_TIME, "DATETIME": tm.MYSQL_TYPE_DATETIME,
                    "TIMESTAMP": tm.MYSQL_TYPE_TIMESTAMP}[base]
            return ColumnDef(code, None, **common)
        code = {"TIME": tm.MYSQL_TYPE_TIME2, "DATETIME": tm.MYSQL_TYPE_DATETIME2,
                "TIMESTAMP": tm.MYSQL_TYPE_TIMESTAMP2}[base]
        return ColumnDef(code, fsp, **common)
    if base in ("CHAR", "CHARACTER", "NCHAR", "BINARY"):
        length = arg(0, 1)
        if not 0 <= length <= 255:
            raise UsageError(f"column {col.name!r}: {base}({length}) (0-255 allowed)")
        cid = BINARY_COLLATION if base == "BINARY" else text_collation()
        return ColumnDef(tm.MYSQL_TYPE_STRING,
                         StringMeta(tm.MYSQL_TYPE_STRING, length * mbmaxlen(cid)),
                         charset=cid, **common)
    if base in ("VARCHAR", "NVARCHAR", "VARBINARY"):
        if not args:
            raise UsageError(f"column {col.name!r}: {base} needs a length")
        length = arg(0, 0)
        cid = BINARY_COLLATION if base == "VARBINARY" else text_collation()
        maximum = length * mbmaxlen(cid)
        if spec.compressed:
            # room for the compression header byte, which a value stored uncompressed
            # also carries (Field_varstring_compressed; taken to widen the field by one)
            maximum += 1
        if maximum > 65535:
            raise UsageError(f"column {col.name!r}: {base}({length}) is over 65535 bytes")
        code = tm.MYSQL_TYPE_VARCHAR_COMPRESSED if spec.compressed else tm.MYSQL_TYPE_VARCHAR
        return ColumnDef(code, maximum, charset=cid, **common)
    if base in _TEXTS or base in _BLOBS:
        pack = _TEXTS.get(base) or _BLOBS[base]
        cid = text_collation() if base in _TEXTS else BINARY_COLLATION
        code = tm.MYSQL_TYPE_BLOB_COMPRESSED if spec.compressed else tm.MYSQL_TYPE_BLOB
        return ColumnDef(code, pack, charset=cid, **common)
    if base in ("ENUM", "SET"):
        members = tuple(args)
        if not members or not all(isinstance(m, str) for m in members):
            raise UsageError(f"column {col.name!r}: {base} needs quoted members")
        if base == "ENUM":
            meta = StringMeta(tm.MYSQL_TYPE_ENUM, _enum_pack_length(len(members)))
            return ColumnDef(tm.MYSQL_TYPE_STRING, meta, charset=text_collation(),
                             enum_values=members, **common)
        if len(members) > 64:
            raise UsageError(f"column {col.name!r}: SET has at most 64 members")
        meta = StringMeta(tm.MYSQL_TYPE_SET, _set_pack_length(len(members)))
        return ColumnDef(tm.MYSQL_TYPE_STRING, meta, charset=text_collation(),
                         set_values=members, **common)
    if base == "JSON":
        if mariadb:  # MariaDB's JSON is an alias of LONGTEXT COLLATE utf8mb4_bin
            return ColumnDef(tm.MYSQL_TYPE_BLOB, 4, charset=_COLLATIONS["utf8mb4_bin"], **common)
        return ColumnDef(tm.MYSQL_TYPE_JSON, 4, **common)
    if base in GEOMETRY_TYPES:
        # MariaDB counts GEOMETRY among the charset columns (binary).
        return ColumnDef(tm.MYSQL_TYPE_GEOMETRY, 4, geometry_type=GEOMETRY_TYPES[base],
                         charset=BINARY_COLLATION if mariadb else None, **common)
    if base == "VECTOR":
        if mariadb:
            raise UsageError(f"column {col.name!r}: MariaDB's VECTOR is not supported")
        dimension = arg(0, 2048)
        if not 1 <= dimension <= 16383:
            raise UsageError(f"column {col.name!r}: VECTOR({dimension})")
        return ColumnDef(tm.MYSQL_TYPE_VECTOR, 4, charset=BINARY_COLLATION,
                         vector_dimension=dimension, **common)
    if base in _MARIADB_LOGICAL:
        need_mariadb(base)
        size = _MARIADB_LOGICAL[base]
        return ColumnDef(tm.MYSQL_TYPE_STRING, StringMeta(tm.MYSQL_TYPE_STRING, size),
                         charset=BINARY_COLLATION, logical_type=base.lower(), **common)
    raise UsageError(f"column {col.name!r}: unsupported type {col.type!r}")


# == tables ===========================================================================


@dataclasses.dataclass(frozen=True)
class Table:
    """A table: schema, name, columns, and its primary key.

    ``primary_key`` lists column names (or ``(name, prefix_length)`` pairs); by
    default it is the columns flagged ``primary_key``.  ``charset`` is the default
    for text columns that name none (the builder's default when None).
    """

    schema: str
    name: str
    columns: Sequence[Column]
    primary_key: Sequence[str | tuple[str, int]] | None = None
    charset: str | int | None = None
    _cache: dict = dataclasses.field(default_factory=dict, init=False, repr=False,
                                     compare=False, hash=False)

    def __post_init__(self) -> None:
        columns = tuple(self.columns)
        object.__setattr__(self, "columns", columns)
        if not columns:
            raise UsageError(f"table {self.schema}.{self.name} has no columns")
        names = [c.name for c in columns]
        if len(set(names)) != len(names):
            raise UsageError(f"table {self.schema}.{self.name}: duplicate column names")
        if self.primary_key is None:
            pk: tuple = tuple(c.name for c in columns if c.primary_key)
        else:
            pk = tuple(self.primary_key)
        object.__setattr__(self, "primary_key", pk)
        keys = {entry[0] if isinstance(entry, tuple) else entry for entry in pk}
        for key in keys - set(names):
            raise UsageError(f"table {self.schema}.{self.name}: no column {key!r} for the "
                             "primary key")
        object.__setattr__(self, "columns", tuple(
            dataclasses.replace(c, nullable=False) if c.name in keys and c.nullable else c
            for c in columns))

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def primary_key_indexes(self) -> tuple[int, ...]:
        names = self.column_names
        return tuple(names.index(e[0] if isinstance(e, tuple) else e) for e in self.primary_key)

    @property
    def primary_key_prefixes(self) -> dict[int, int]:
        names = self.column_names
        return {names.index(e[0]): e[1] for e in self.primary_key
                if isinstance(e, tuple) and e[1]}

    def column_defs(self, *, mariadb: bool = False, legacy: bool = False,
                    default_charset: str | int | None = None) -> tuple[ColumnDef, ...]:
        charset = self.charset if self.charset is not None else default_charset
        key = ("defs", mariadb, legacy, charset)
        defs = self._cache.get(key)
        if defs is None:
            defs = self._cache[key] = tuple(
                c.column_def(mariadb=mariadb, default_charset=charset, legacy=legacy)
                for c in self.columns)
        return defs

    def info(self, *, table_id: int | None = None, mariadb: bool = False, legacy: bool = False,
             default_charset: str | int | None = None) -> TableInfo:
        """The :class:`TableInfo` to decode this table's rows with (or to encode them):
        names, ENUM/SET strings and MariaDB logical types included, whatever the
        binlog's ``binlog_row_metadata`` left out."""
        return TableInfo(table_id=table_id, schema=self.schema, table=self.name,
                         columns=self.column_defs(mariadb=mariadb, legacy=legacy,
                                                  default_charset=default_charset),
                         primary_key=self.primary_key_indexes,
                         primary_key_prefixes=self.primary_key_prefixes, flags=1)

    def create_sql(self) -> str:
        """A ``CREATE TABLE`` statement for the table (for the DDL a binlog opens with)."""
        parts = []
        for c in self.columns:
            text = f"`{c.name}` {c.type}"
            extra = []
            if c.charset is not None and isinstance(c.charset, str):
                extra.append(f"CHARACTER SET {c.charset}")
            if c.collation is not None and isinstance(c.collation, str):
                extra.append(f"COLLATE {c.collation}")
            if not c.nullable and "NOT NULL" not in c.type.upper():
                extra.append("NOT NULL")
            parts.append(" ".join([text, *extra]))
        if self.primary_key:
            keys = ", ".join(f"`{e[0]}`({e[1]})" if isinstance(e, tuple) and e[1]
                             else f"`{e[0] if isinstance(e, tuple) else e}`"
                             for e in self.primary_key)
            if not any(c.spec.primary_key for c in self.columns):
                parts.append(f"PRIMARY KEY ({keys})")
        return f"CREATE TABLE `{self.schema}`.`{self.name}` ({', '.join(parts)})"


# == TABLE_MAP optional metadata ======================================================


def _field(code: int, value) -> Container:
    return Container(type=code, name=tm.OPTIONAL_METADATA_NAMES[code], length=None, value=value)


def _charset_field(collations: list[int], default_code: int, column_code: int) -> Container:
    """DEFAULT_CHARSET (the most used collation plus exceptions) or COLUMN_CHARSET (one
    per column), whichever MySQL's ``Table_map_log_event::init_charset_field`` picks:
    it compares the two lengths assuming one byte per index and per collation id."""
    counts = Counter(collations)
    most = min(counts, key=lambda c: (-counts[c], c))  # std::map order, first maximum
    if len(collations) < 1 + (len(collations) - counts[most]) * 2:
        return _field(column_code, list(collations))
    pairs = [Container(column_index=i, charset=c) for i, c in enumerate(collations) if c != most]
    return _field(default_code, Container(default_charset=most, charset_pairs=pairs))


def _member_bytes(value: str, collation: int | None) -> bytes | str:
    """An ENUM/SET member as the server writes it: in the column's charset."""
    encoding = python_encoding(collation)
    if encoding is None:
        return value
    return text_encoder(encoding)(value)


def optional_metadata(columns: Sequence[ColumnDef], *, primary_key: Sequence[int] = (),
                      primary_key_prefixes: Mapping[int, int] | None = None,
                      mariadb: bool = False, level: str = "FULL") -> list[Container]:
    """The TABLE_MAP optional metadata fields for ``binlog_row_metadata=level``.

    Order and content follow ``Table_map_log_event::init_metadata_fields`` (MySQL
    ``sql/log_event.cc``; MariaDB's port is the same): MINIMAL writes SIGNEDNESS, the
    column charsets and GEOMETRY_TYPE (and, MySQL 9, VECTOR_DIMENSIONALITY -- its
    place in the order is a guess); FULL adds COLUMN_NAME, the ENUM/SET charsets,
    SET_STR_VALUE, ENUM_STR_VALUE, the primary key and COLUMN_VISIBILITY (written
    here only when a column is invisible).  MariaDB counts GEOMETRY among the charset
    columns and MySQL counts VECTOR (as :mod:`mysqlproto.rows` reads them).
    """
    level = level.upper()
    if level == "NONE":
        return []
    if level not in ("MINIMAL", "FULL"):
        raise UsageError(f"metadata must be FULL, MINIMAL or NONE, not {level!r}")
    out = []
    numeric = [c for c in columns if c.type in tm.NUMERIC_TYPES]
    if numeric:
        out.append(_field(tm.SIGNEDNESS, [bool(c.unsigned) for c in numeric]))
    char_types = _CHARACTER_TYPES_MARIADB if mariadb else _CHARACTER_TYPES_MYSQL
    chars = [c.charset if c.charset is not None else BINARY_COLLATION
             for c in columns if c.real_type in char_types]
    if chars:
        out.append(_charset_field(chars, tm.DEFAULT_CHARSET, tm.COLUMN_CHARSET))
    geos = [c.geometry_type or 0 for c in columns if c.type == tm.MYSQL_TYPE_GEOMETRY]
    if geos:
        out.append(_field(tm.GEOMETRY_TYPE, geos))
    dims = [c.vector_dimension or 0 for c in columns if c.type == tm.MYSQL_TYPE_VECTOR]
    if dims:
        out.append(_field(tm.VECTOR_DIMENSIONALITY, dims))
    if level == "FULL":
        out.append(_field(tm.COLUMN_NAME, [c.name for c in columns]))
        enum_set = [c.charset if c.charset is not None else BINARY_COLLATION for c in columns
                    if c.real_type in (tm.MYSQL_TYPE_ENUM, tm.MYSQL_TYPE_SET)]
        if enum_set:
            out.append(_charset_field(enum_set, tm.ENUM_AND_SET_DEFAULT_CHARSET,
                                      tm.ENUM_AND_SET_COLUMN_CHARSET))
        sets = [[_member_bytes(m, c.charset) for m in c.set_values or ()]
                for c in columns if c.real_type == tm.MYSQL_TYPE_SET]
        if sets:
            out.append(_field(tm.SET_STR_VALUE, sets))
        enums = [[_member_bytes(m, c.charset) for m in c.enum_values or ()]
                 for c in columns if c.real_type == tm.MYSQL_TYPE_ENUM]
        if enums:
            out.append(_field(tm.ENUM_STR_VALUE, enums))
        if primary_key:
            prefixes = primary_key_prefixes or {}
            if prefixes:
                out.append(_field(tm.PRIMARY_KEY_WITH_PREFIX, [
                    Container(column_index=i, prefix_length=prefixes.get(i, 0))
                    for i in primary_key]))
            else:
                out.append(_field(tm.SIMPLE_PRIMARY_KEY, list(primary_key)))
        if not all(c.visible for c in columns):
            out.append(_field(tm.COLUMN_VISIBILITY, [c.visible for c in columns]))
    return out


# == ground truth =====================================================================


class Change(NamedTuple):
    """The rows of one statement on one table: ``kind`` is ``"write"``, ``"update"`` or
    ``"delete"`` (as :func:`mysqlproto.rows.rows_kind` names them); ``rows`` holds one
    :class:`~mysqlproto.rows.RowChange` per row, images keyed by column name."""

    schema: str
    table: str
    kind: str
    rows: list[RowChange]


@dataclasses.dataclass
class CraftedBinlog:
    """A crafted binlog: its bytes, the events they were written from, and the ground
    truth (``changes``, in binlog order; ``tables`` by qualified name)."""

    data: bytes
    events: list[Event]
    changes: list[Change]
    tables: dict[str, Table]
    flavour: Flavour
    mariadb: bool


# == the builder ======================================================================

FDE, QUERY, ROTATE, STOP, XID = 15, 2, 4, 3, 16
TABLE_MAP = 19
ROWS_QUERY, GTID, ANONYMOUS_GTID, PREVIOUS_GTIDS, PAYLOAD = 29, 33, 34, 35, 40
ANNOTATE_ROWS, BINLOG_CHECKPOINT, MARIA_GTID, GTID_LIST, QUERY_COMPRESSED = 160, 161, 162, 163, 165
ROWS_CODES = {1: {"write": 23, "update": 24, "delete": 25},
              2: {"write": 30, "update": 31, "delete": 32}}
MARIADB_COMPRESSED_ROWS_CODES = {1: {"write": 166, "update": 167, "delete": 168},
                                 2: {"write": 169, "update": 170, "delete": 171}}
ROWS_HEADER_LEN = {1: 8, 2: 10}

# MariaDB Gtid_log_event flags2
FL_STANDALONE, FL_TRANSACTIONAL, FL_ALLOW_PARALLEL, FL_DDL = 0x01, 0x04, 0x08, 0x20
FLAG_MAY_HAVE_SBR = 1
_DDL = re.compile(r"\s*(CREATE|ALTER|DROP|RENAME|TRUNCATE)\b", re.I)

DEFAULT_SERVER_UUID = uuid.UUID("6f5c2f6e-1f3b-11ef-9a1b-0242ac110002")
DEFAULT_TIMESTAMP = 1_732_000_000
SQL_MODE_NO_ENGINE_SUBSTITUTION = 0x40000000


def _mysql_table(version: tuple[int, int, int]) -> list[int]:
    """The FDE post-header table of a MySQL version, from the tables read off real
    servers (5.1.43 and 8.0.29).  Between them the table only grew at the end; the
    cut points are the versions that added event types (5.6: GTIDs, 25-byte GTID
    post-header; 5.7: the logical clock, TRANSACTION_CONTEXT, VIEW_CHANGE,
    XA_PREPARE; 8.0.20 TRANSACTION_PAYLOAD; 8.0.26 HEARTBEAT_V2; 8.3
    GTID_TAGGED).  Approximate for the versions in between."""
    if version < (5, 6, 0):
        return list(MYSQL_51_TABLE)
    if version < (5, 7, 0):
        table = list(MYSQL_80_TABLE[:35])
        table[GTID - 1] = table[ANONYMOUS_GTID - 1] = 25
        return table
    if version < (8, 0, 0):
        return list(MYSQL_80_TABLE[:38])
    if version < (8, 0, 20):
        return list(MYSQL_80_TABLE[:39])
    if version < (8, 0, 26):
        return list(MYSQL_80_TABLE[:40])
    if version < (8, 3, 0):
        return list(MYSQL_80_TABLE)
    return list(MYSQL_80_TABLE) + [0]


def _version_number(version: tuple[int, int, int]) -> int:
    return version[0] * 10000 + version[1] * 100 + version[2]


def _is_mariadb_flavour(flavour: Flavour) -> bool:
    while flavour is not None:
        if flavour is MARIADB or flavour.name == "mariadb":
            return True
        flavour = flavour.parent
    return False


class _Txn:
    __slots__ = ("events", "changes", "compress", "statements")

    def __init__(self, compress: int | None):
        self.events: list[Event] = []
        self.changes: list[Change] = []
        self.compress = compress
        self.statements = False  # a statement-based event is in the transaction


class BinlogBuilder:
    """Builds a binlog the way a server would write it (see the module docstring).

    Parameters
    ----------
    flavour:
        ``"mysql"``, ``"mariadb"``, a vendor flavour's name, or a
        :class:`~mysqlproto.registry.Flavour`.
    server_version:
        Written in the FDE; decides the post-header table and which events and fields
        exist.  Defaults: ``"8.0.40"``, ``"11.8.5-MariaDB-log"``.  A MariaDB flavour's
        version gets ``-MariaDB`` appended when it lacks it (readers tell the servers
        apart by it).
    checksum, gtids:
        None means what the server can do (CRC32 from MySQL 5.6.1 / MariaDB 5.3; GTID
        events from MySQL 5.6, always on MariaDB).  ``gtids=False`` on MySQL 5.7+ gives
        ANONYMOUS_GTID events.
    row_image, metadata:
        ``binlog_row_image`` (FULL, MINIMAL, NOBLOB) and ``binlog_row_metadata`` (FULL,
        MINIMAL, NONE; None: FULL where the server has optional metadata -- MySQL 8.0.1,
        MariaDB 10.5 -- else NONE).
    compression:
        Compress every transaction (as inside :meth:`compress`).
    max_rows_event_size:
        ``binlog_row_event_max_size``: a rows event body grows past it only by its
        first row.
    post_header_lengths:
        Overrides the FDE's table (a server whose table is not built in).
    """

    def __init__(self, flavour: str | Flavour = "mysql", *, server_version: str | None = None,
                 checksum: bool | None = None, gtids: bool | None = None, server_id: int = 1,
                 server_uuid: uuid.UUID | str = DEFAULT_SERVER_UUID,
                 start_timestamp: int = DEFAULT_TIMESTAMP, row_image: str = "FULL",
                 metadata: str | None = None, binlog_file: str | None = None,
                 previous_gtids: GtidSet | str | None = None,
                 gtid_list: MariaGtidList | str | None = None, domain_id: int = 0,
                 first_table_id: int = 100, first_xid: int = 1, thread_id: int = 8,
                 max_rows_event_size: int = 8192, compression: bool = False,
                 rows_event_version: int | None = None,
                 post_header_lengths: Sequence[int] | None = None,
                 default_charset: str = "utf8mb4", sql_mode: int = SQL_MODE_NO_ENGINE_SUBSTITUTION):
        self.flavour, self.mariadb = self._resolve_flavour(flavour, server_version)
        mariadb = self.mariadb
        if server_version is None:
            server_version = "11.8.5-MariaDB-log" if mariadb else "8.0.40"
        if mariadb and not is_mariadb_version(server_version):
            server_version += "-MariaDB"
        self.server_version = server_version
        version = version_split(server_version)
        self.version = version
        self.server_id = server_id
        self.server_uuid = uuid.UUID(str(server_uuid))
        self.timestamp = start_timestamp
        self.thread_id = thread_id
        self.domain_id = domain_id
        self.default_charset = default_charset
        self.sql_mode = sql_mode
        self.max_rows_event_size = max_rows_event_size
        self.binlog_file = binlog_file or ("mariadb-bin.000001" if mariadb else "binlog.000001")
        self.row_image = row_image.upper()
        if self.row_image not in ("FULL", "MINIMAL", "NOBLOB"):
            raise UsageError(f"row_image must be FULL, MINIMAL or NOBLOB, not {row_image!r}")

        # what this server can write
        can_checksum = has_checksum_alg(server_version)
        self.checksum = can_checksum if checksum is None else checksum
        if self.checksum and not can_checksum:
            raise UsageError(f"server {server_version} writes no checksums")
        can_gtid = mariadb or version >= (5, 6, 0)
        self.gtids = can_gtid if gtids is None else gtids
        if self.gtids and not can_gtid:
            raise UsageError(f"MySQL {server_version} has no GTIDs")
        if mariadb and not self.gtids:
            raise UsageError("MariaDB always writes GTID events")
        self.legacy_temporal = not mariadb and version < (5, 6, 4)
        if metadata is None:
            has_meta = version >= ((10, 5, 0) if mariadb else (8, 0, 1))
            metadata = "FULL" if has_meta else "NONE"
        self.metadata = metadata.upper()
        if self.metadata not in ("FULL", "MINIMAL", "NONE"):
            raise UsageError(f"metadata must be FULL, MINIMAL or NONE, not {metadata!r}")
        if rows_event_version is None:
            rows_event_version = 1 if mariadb or version < (5, 6, 0) else 2
        self.rows_event_version = rows_event_version
        if post_header_lengths is None:
            post_header_lengths = MARIADB_118_TABLE if mariadb else _mysql_table(version)
        self.post_header_lengths = list(post_header_lengths)
        self._compression_ok = mariadb or len(self.post_header_lengths) >= PAYLOAD
        self._compressing = False
        self._mariadb_min_len = 0
        self._payload = "zstd"
        if compression:
            self._check_compression()
            self._compressing = True

        self._events: list[Event] = []
        self.changes: list[Change] = []
        self.tables: dict[str, Table] = {}
        self._table_ids: dict[tuple[str, str], int] = {}
        self._next_table_id = first_table_id
        self._xid = first_xid
        self._sequence = 0  # logical clock
        self._txn: _Txn | None = None
        self._closed = False

        fde = self._event(FDE, {
            "binlog_version": 4, "server_version": server_version,
            "create_timestamp": start_timestamp, "header_length": 19,
            "post_header_lengths": list(self.post_header_lengths),
            "checksum_alg": (1 if self.checksum else 0) if can_checksum else None})
        self.context = FormatContext.from_fde(fde.body, self.flavour)
        self._events.append(fde)
        if mariadb:
            listed = MariaGtidList(gtid_list) if not isinstance(gtid_list, MariaGtidList) \
                else gtid_list
            mine = listed.get(domain_id)
            self._seq_no = (mine.seq_no if mine else 0) + 1
            self._events.append(self._event(GTID_LIST, {
                "count_and_flags": {"gl_flags": 0},
                "gtids": [{"domain_id": g.domain_id, "server_id": g.server_id,
                           "seq_no": g.seq_no} for g in listed]}))
            self._events.append(self._event(BINLOG_CHECKPOINT,
                                            {"binlog_file_name": self.binlog_file}))
        elif version >= (5, 6, 0):
            executed = previous_gtids if isinstance(previous_gtids, GtidSet) \
                else GtidSet(previous_gtids or "")
            ends = [end for sid, tag, _, end in executed.intervals()
                    if sid == self.server_uuid and tag is None]
            self._gno = max(ends, default=0) + 1
            sids: dict[tuple, list] = {}
            for sid, tag, start, end in executed.intervals():
                sids.setdefault((sid, tag), []).append({"start": start, "end": end + 1})
            self._events.append(self._event(PREVIOUS_GTIDS, {
                "gtid_format": None, "n_sids": None,
                "sids": [{"sid": sid, "tag": tag, "n_intervals": None, "intervals": iv}
                         for (sid, tag), iv in sids.items()]}))

    # -- set-up helpers -----------------------------------------------------------------
    @staticmethod
    def _resolve_flavour(flavour, server_version) -> tuple[Flavour, bool]:
        if isinstance(flavour, Flavour):
            if server_version is not None and is_mariadb_version(server_version):
                return flavour, True
            return flavour, _is_mariadb_flavour(flavour)
        name = str(flavour).lower()
        if name == "mysql":
            return MYSQL, False
        if name == "mariadb":
            return MARIADB, True
        from mysqlproto.vendors import FLAVOURS

        if name in FLAVOURS:
            return FLAVOURS[name], False
        raise UsageError(f"unknown flavour {flavour!r}: mysql, mariadb, "
                         f"{', '.join(sorted(FLAVOURS))} or a Flavour")

    def _check_compression(self) -> None:
        if not self._compression_ok:
            raise UsageError(f"{self.server_version} has no compressed transactions "
                             "(TRANSACTION_PAYLOAD_EVENT is MySQL 8.0.20)")

    def _event(self, code: int, body, **header) -> Event:
        header.setdefault("timestamp", self.timestamp)
        header.setdefault("server_id", self.server_id)
        return Event(code, Container(body), **header)

    def _require_open(self) -> None:
        if self._closed:
            raise UsageError("the binlog is closed (rotate() or stop() was called)")

    def _emit(self, *events: Event) -> None:
        self._require_open()
        if self._txn is not None:
            self._txn.events.extend(events)
        else:
            self._events.extend(events)

    # -- statements -----------------------------------------------------------------------
    def query_event(self, sql: str | bytes, db: str = "", *, status_vars=None,
                    error_code: int = 0, exec_time: int = 0) -> Event:
        """A QUERY_EVENT (QUERY_COMPRESSED_EVENT inside MariaDB's :meth:`compress`)
        with the status variables a server writes for a session in its defaults; not
        appended."""
        if status_vars is None:
            collation = collation_id(self.default_charset, mariadb=self.mariadb)
            status_vars = [
                {"code": 0, "value": 0},  # Q_FLAGS2_CODE
                {"code": 1, "value": self.sql_mode},  # Q_SQL_MODE_CODE
                {"code": 4, "value": {  # Q_CHARSET_CODE
                    "character_set_client": collation, "collation_connection": collation,
                    "collation_server": collation}},
            ]
            if not self.mariadb:
                status_vars.insert(2, {"code": 6, "value": {"value": "std"}})  # Q_CATALOG_NZ
        code = QUERY
        if self.mariadb and self._compressing:
            size = len(sql.encode() if isinstance(sql, str) else sql)
            if size >= self._mariadb_min_len:
                code = QUERY_COMPRESSED
        return self._event(code, {"thread_id": self.thread_id, "exec_time": exec_time,
                                  "error_code": error_code, "status_vars": status_vars,
                                  "db": db, "query": sql})

    def query(self, sql: str | bytes, db: str = "", **options) -> None:
        """A statement.  Inside a transaction it is one more event of it; outside, a
        transaction of its own (GTID then the QUERY, as DDL is logged)."""
        event = self.query_event(sql, db, **options)
        if self._txn is not None:
            self._txn.statements = True
            self._emit(event)
            return
        self._require_open()
        if self.mariadb:
            text = sql.decode("utf-8", "replace") if isinstance(sql, bytes) else sql
            flags2 = FL_STANDALONE | (FL_DDL if _DDL.match(text) else 0)
            self._events.append(self._mariadb_gtid(flags2))
            self._events.append(event)
        else:
            self._events.extend(self._mysql_gtid([event], rbr_only=False))
            self._events.append(event)

    def create_table(self, table: Table) -> None:
        """Log ``CREATE TABLE`` for ``table`` (a DDL transaction)."""
        self.query(table.create_sql(), table.schema)

    def begin(self) -> None:
        """Open a transaction; :meth:`commit` writes it."""
        self._require_open()
        if self._txn is not None:
            raise UsageError("a transaction is already open")
        payload = self._payload_type() if self._compressing and not self.mariadb else None
        self._txn = _Txn(payload)

    def rollback(self) -> None:
        """Drop the open transaction (a transactional engine logs nothing of it)."""
        if self._txn is None:
            raise UsageError("no transaction is open")
        self._txn = None

    def commit(self) -> None:
        """Write the open transaction: its GTID, BEGIN, its events, XID."""
        txn = self._txn
        if txn is None:
            raise UsageError("no transaction is open")
        self._txn = None
        xid = self._event(XID, {"xid": self._xid})
        self._xid += 1
        if self.mariadb:
            group = [self._mariadb_gtid(FL_TRANSACTIONAL | FL_ALLOW_PARALLEL),
                     *txn.events, xid]
        else:
            body = [self.query_event("BEGIN"), *txn.events, xid]
            if txn.compress is not None:
                body = [self._event(PAYLOAD, {"compression_type": txn.compress}, inner=body)]
            group = self._mysql_gtid(body, rbr_only=not txn.statements) + body
        self._events.extend(group)
        self.changes.extend(txn.changes)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[BinlogBuilder]:
        """``with builder.transaction(): ...`` -- begin, then commit (or roll back on an
        exception)."""
        self.begin()
        try:
            yield self
        except BaseException:
            self._txn = None
            raise
        self.commit()

    @contextlib.contextmanager
    def compress(self, enabled: bool = True, *, payload: str = "zstd",
                 min_len: int = 0) -> Iterator[BinlogBuilder]:
        """Compress what is written inside the block.

        MySQL: transactions begun inside become TRANSACTION_PAYLOAD events
        (``payload="zstd"``, or ``"none"`` for the stored, uncompressed form).
        MariaDB: queries and rows events whose data is at least ``min_len`` bytes
        become the compressed event types (the server's ``log_bin_compress_min_len``
        defaults to 256; 0 here compresses everything).
        """
        if enabled:
            self._check_compression()
        if payload not in ("zstd", "none"):
            raise UsageError(f"payload must be 'zstd' or 'none', not {payload!r}")
        saved = (self._compressing, self._mariadb_min_len, self._payload)
        self._compressing, self._mariadb_min_len, self._payload = enabled, min_len, payload
        try:
            yield self
        finally:
            self._compressing, self._mariadb_min_len, self._payload = saved

    def _payload_type(self) -> int:
        return PAYLOAD_NONE if self._payload == "none" else PAYLOAD_ZSTD

    # -- GTIDs ------------------------------------------------------------------------------
    def _mariadb_gtid(self, flags2: int) -> Event:
        event = self._event(MARIA_GTID, {"seq_no": self._seq_no, "domain_id": self.domain_id,
                                         "flags2": flags2})
        self._seq_no += 1
        return event

    def _mysql_gtid(self, group: list[Event], *, rbr_only: bool) -> list[Event]:
        """The GTID (or ANONYMOUS_GTID) event before ``group``, or none (5.1-5.5, and
        5.6 without GTIDs)."""
        version = self.version
        if version < (5, 6, 0) or (not self.gtids and version < (5, 7, 0)):
            return []
        self._sequence += 1
        body = Container(flags=0 if rbr_only else FLAG_MAY_HAVE_SBR,
                         sid=self.server_uuid if self.gtids else uuid.UUID(int=0),
                         gno=self._gno if self.gtids else 0, lt_type=None,
                         last_committed=None, sequence_number=None,
                         immediate_commit_timestamp=None, original_commit_timestamp=None,
                         transaction_length=None, immediate_server_version=None,
                         original_server_version=None, commit_group_ticket=None)
        if self.gtids:
            self._gno += 1
        if version >= (5, 7, 0):
            body.lt_type = 2
            body.last_committed = self._sequence - 1
            body.sequence_number = self._sequence
        if version >= (8, 0, 1):
            body.immediate_commit_timestamp = self.timestamp * 1_000_000
        event = self._event(GTID if self.gtids else ANONYMOUS_GTID, body)
        body = event.body
        if version >= (8, 0, 2):
            if version >= (8, 0, 14):
                body.immediate_server_version = _version_number(version)
            rest = sum(len(encode_event(e, self.context, None)) for e in group)
            length = rest
            while True:
                body.transaction_length = length
                total = rest + len(encode_event(event, self.context, None))
                if total == length:
                    break
                length = total
        return [event]

    # -- rows ---------------------------------------------------------------------------------
    def table_id(self, table: Table) -> int:
        """The table's id, assigned on first use and kept."""
        key = (table.schema, table.name)
        tid = self._table_ids.get(key)
        if tid is None:
            tid = self._table_ids[key] = self._next_table_id
            self._next_table_id += 1
        self.tables[table.qualified] = table
        return tid

    def table_info(self, table: Table) -> TableInfo:
        return table.info(table_id=self.table_id(table), mariadb=self.mariadb,
                          legacy=self.legacy_temporal, default_charset=self.default_charset)

    def table_map_event(self, table: Table, *, table_id: int | None = None) -> Event:
        """The TABLE_MAP_EVENT this server writes for ``table`` (not appended)."""
        info = self.table_info(table)
        body = info.table_map_body(table_id=table_id, flags=1, optional_metadata=False)
        body.optional_metadata = optional_metadata(
            info.columns, primary_key=info.primary_key,
            primary_key_prefixes=info.primary_key_prefixes, mariadb=self.mariadb,
            level=self.metadata)
        return self._event(TABLE_MAP, body)

    def rows_events(self, table: Table, kind: str, changes: Iterable, *,
                    table_id: int | None = None) -> list[Event]:
        """The rows events of one statement (not appended): ``kind`` is ``"write"``,
        ``"update"`` or ``"delete"``; ``changes`` as :meth:`insert`, :meth:`update`,
        :meth:`delete` take them."""
        return self._rows_events(table, kind, list(changes), table_id)[0]

    def _images(self, table: Table, kind: str, changes: list) -> tuple[list[int], list[int] | None,
                                                                        list[RowChange]]:
        """Columns present (before/first image, after image) and the images, per
        ``binlog_row_image``."""
        defs = table.column_defs(mariadb=self.mariadb, legacy=self.legacy_temporal,
                                 default_charset=self.default_charset)
        names = table.column_names
        n = len(names)
        everything = list(range(n))
        pk = list(table.primary_key_indexes)
        blobs = {i for i, c in enumerate(defs) if c.real_type in BLOB_LIKE_TYPES}
        image_mode = self.row_image

        def check(row: Mapping) -> None:
            unknown = set(row) - set(names)
            if unknown:
                raise UsageError(f"{table.qualified} has no column {sorted(unknown)!r}")

        def fill(row: Mapping, columns: Iterable[int]) -> dict:
            check(row)
            out = {}
            for i in columns:
                name = names[i]
                if name in row:
                    out[name] = row[name]
                elif defs[i].nullable:
                    out[name] = None
                else:
                    raise UsageError(f"{table.qualified}: the row {dict(row)!r} lacks the NOT "
                                     f"NULL column {name!r}")
            return out

        def identifying() -> list[int]:
            # binlog_prepare_row_images: only a table with a primary key gets a
            # before image smaller than FULL
            if not pk or image_mode == "FULL":
                return everything
            if image_mode == "MINIMAL":
                return pk
            return sorted(set(everything) - blobs | set(pk))

        if kind == "write":
            rows = [c.after if isinstance(c, RowChange) else c for c in changes]
            if image_mode == "MINIMAL":
                for row in rows:
                    check(row)
                present = [i for i in everything if any(names[i] in row for row in rows)]
            else:
                present = everything
            return present, None, [RowChange(None, fill(row, present)) for row in rows]
        if kind == "delete":
            rows = [c.before if isinstance(c, RowChange) else c for c in changes]
            present = identifying()
            return present, None, [RowChange(fill(row, present), None) for row in rows]
        if kind != "update":
            raise UsageError(f"kind must be write, update or delete, not {kind!r}")
        present = identifying()
        pairs = []
        for change in changes:
            before, after = change
            check(after)
            pairs.append((fill(before, present), {**before, **after}, before, after))
        changed = {i for i in everything for _, _, before, after in pairs
                   if names[i] in after
                   and (names[i] not in before or after[names[i]] != before[names[i]])}
        if image_mode == "MINIMAL":
            present_after = sorted(changed)
        elif image_mode == "NOBLOB":
            present_after = sorted(set(everything) - blobs | changed)
        else:
            present_after = everything
        images = [RowChange(first, fill(merged, present_after)) for first, merged, _, _ in pairs]
        return present, present_after, images

    def _encode_row(self, info: TableInfo, kind: str, image: RowChange, present, present_after):
        try:
            return encode_rows([image], info, kind=kind, columns_present=present,
                               columns_present_after=present_after)
        except Exception as exc:  # name the column at fault
            for values in (image.before, image.after):
                for key, value in (values or {}).items():
                    i = info.keys.index(key)
                    if value is None:
                        continue
                    try:
                        info.codecs[i].encode_field(value)
                    except Exception as inner:  # noqa: BLE001
                        raise UsageError(f"{info.schema}.{info.table}.{key}: cannot encode "
                                         f"{value!r}: {inner}") from inner
            raise UsageError(f"{info.schema}.{info.table}: {exc}") from exc

    def _rows_events(self, table: Table, kind: str, changes: list,
                     table_id: int | None) -> tuple[list[Event], list[RowChange]]:
        info = self.table_info(table)
        if table_id is None:
            table_id = info.table_id
        present, present_after, images = self._images(table, kind, changes)
        n = len(info.columns)
        bitmap = _bitmap(present, n)
        bitmap_after = _bitmap(present_after, n) if present_after is not None else None
        version = self.rows_event_version
        overhead = (ROWS_HEADER_LEN[version] + lenenc_size(n)
                    + len(bitmap) * (2 if bitmap_after is not None else 1))
        groups: list[list[bytes]] = [[]]
        size = 0
        for image in images:
            data = self._encode_row(info, kind, image, present, present_after)
            if groups[-1] and overhead + size + len(data) > self.max_rows_event_size:
                groups.append([])
                size = 0
            groups[-1].append(data)
            size += len(data)
        compressed = self.mariadb and self._compressing
        events = []
        for k, group in enumerate(groups):
            rows = b"".join(group)
            codes = (MARIADB_COMPRESSED_ROWS_CODES if compressed
                     and len(rows) >= self._mariadb_min_len else ROWS_CODES)
            body = Container(table_id=table_id, flags=STMT_END_F if k == len(groups) - 1 else 0,
                             var_header_len=None, post_header_extra=None,
                             extra_data=[] if version == 2 else None, column_count=n,
                             columns_present=bitmap, columns_present_after=bitmap_after,
                             rows=rows)
            events.append(self._event(codes[version][kind], body))
        return events, images

    def _statement(self, table: Table, kind: str, changes, *, sql: str | None,
                   table_map: bool) -> None:
        self._require_open()
        if self._txn is None:
            with self.transaction():
                self._statement(table, kind, changes, sql=sql, table_map=table_map)
            return
        changes = list(changes)
        events, images = self._rows_events(table, kind, changes, None)
        before = []
        if sql is not None:
            before.append(self._event(ANNOTATE_ROWS if self.mariadb else ROWS_QUERY,
                                      {"query": sql}))
        if table_map:
            before.append(self.table_map_event(table))
        self._emit(*before, *events)
        self._txn.changes.append(Change(table.schema, table.name, kind, images))

    def insert(self, table: Table, rows: Iterable[Mapping], *, sql: str | None = None,
               table_map: bool = True) -> None:
        """One INSERT statement: a TABLE_MAP and WRITE_ROWS events for ``rows`` (dicts
        keyed by column name; a nullable column left out is NULL).  ``sql`` adds the
        ROWS_QUERY (MySQL) or ANNOTATE_ROWS (MariaDB) event; ``table_map=False`` leaves
        the table undefined (a crafted fault).  Outside a transaction, it is one."""
        self._statement(table, "write", rows, sql=sql, table_map=table_map)

    def update(self, table: Table, changes: Iterable[tuple[Mapping, Mapping]], *,
               sql: str | None = None, table_map: bool = True) -> None:
        """One UPDATE statement: ``(before, after)`` pairs; ``after`` may name only the
        columns that change."""
        self._statement(table, "update", changes, sql=sql, table_map=table_map)

    def delete(self, table: Table, rows: Iterable[Mapping], *, sql: str | None = None,
               table_map: bool = True) -> None:
        """One DELETE statement of ``rows``."""
        self._statement(table, "delete", rows, sql=sql, table_map=table_map)

    # -- anything else --------------------------------------------------------------------
    def event(self, event: Event) -> None:
        """Append ``event`` as it is (into the open transaction, if any)."""
        if self._txn is not None and event.type_code in (QUERY, QUERY_COMPRESSED):
            self._txn.statements = True
        self._emit(event)

    def rotate(self, next_file: str, position: int = 4) -> None:
        """End the file with a ROTATE_EVENT naming the next one."""
        self._close(self._event(ROTATE, {"position": position, "new_log_ident": next_file}))

    def stop(self) -> None:
        """End the file with a STOP_EVENT (the server shut down)."""
        self._close(self._event(STOP, {}))

    def _close(self, event: Event) -> None:
        self._require_open()
        if self._txn is not None:
            raise UsageError("commit() or rollback() the open transaction first")
        self._events.append(event)
        self._closed = True

    def body_bytes(self, event: Event) -> bytes:
        """The body bytes the writer writes for ``event`` under this binlog's format
        (between the common header and the checksum): edit them and put the event back
        with :func:`raw_event` to craft what the schema cannot build, such as a length
        that disagrees with the bytes it measures."""
        data = encode_event(event, self.context, None)
        trailer = 4 if self.context.has_checksums else 0
        return data[self.context.header_len:len(data) - trailer]

    # -- output -----------------------------------------------------------------------------
    def events(self) -> list[Event]:
        """The events written so far: the live list the bytes are written from, so an
        event edited in it is written edited."""
        if self._txn is not None:
            raise UsageError("a transaction is open: commit() it first")
        return self._events

    def to_bytes(self) -> bytes:
        writer = BinlogWriter(flavour=self.flavour)
        return writer.begin() + b"".join(writer.encode(event) for event in self.events())

    def write(self, path: str | os.PathLike) -> int:
        data = self.to_bytes()
        with open(path, "wb") as fh:
            fh.write(data)
        return len(data)

    def build(self) -> CraftedBinlog:
        """The bytes with the events and the ground truth."""
        return CraftedBinlog(self.to_bytes(), list(self.events()), list(self.changes),
                             dict(self.tables), self.flavour, self.mariadb)


def raw_event(event: Event, body: bytes) -> UnknownEvent:
    """``event`` with its body replaced by ``body``, written byte for byte (header
    fields kept; size, position and checksum still computed unless set)."""
    return UnknownEvent(type_code=event.type_code, body=Container(raw=bytes(body)),
                        timestamp=event.timestamp, server_id=event.server_id,
                        flags=event.flags, event_size=event.event_size, log_pos=event.log_pos,
                        checksum=event.checksum, name=event.name)


def _bitmap(indexes: Iterable[int], n: int) -> bytes:
    out = bytearray((n + 7) // 8)
    for i in indexes:
        out[i // 8] |= 1 << (i % 8)
    return bytes(out)


# == reading back =====================================================================


def _walk(event: Event) -> Iterator[Event]:
    yield event
    for inner in event.inner or ():
        yield from _walk(inner)


def decode_changes(source, *, tables: Iterable[Table] | Mapping[str, Table] | None = None,
                   flavour: Flavour | None = None, default_charset: str | int = "utf8mb4",
                   **options) -> list[Change]:
    """The row changes of a binlog, one :class:`Change` per statement (rows events up
    to the one flagged STMT_END_F), in the shape of :attr:`BinlogBuilder.changes`.

    Rows are decoded with the TABLE_MAP events; a table in ``tables`` is decoded with
    its own definition instead (names, ENUM/SET strings and MariaDB logical types
    that ``binlog_row_metadata`` MINIMAL or NONE leave out; ``default_charset`` as the
    builder's).  ``options`` go to
    :func:`~mysqlproto.binlog.read_binlog`.
    """
    if isinstance(tables, Mapping):
        tables = tables.values()
    known = {(t.schema, t.name): t for t in tables or ()}
    tracker = TableMapTracker()
    out: list[Change] = []
    pending: Change | None = None
    pending_key = None
    for top in read_binlog(source, flavour=flavour, **options):
        for event in _walk(top):
            if event.inner is None:
                tracker.observe(event)
            if not is_rows_event(event):
                continue
            info = tracker.table_for(event)
            if info is not None and (info.schema, info.table) in known:
                info = known[info.schema, info.table].info(
                    table_id=info.table_id, mariadb=bool(tracker.mariadb),
                    legacy=_legacy_columns(info), default_charset=default_charset)
                rows = decode_rows(event, info)
            else:
                rows = tracker.decode(event)
                info = tracker.table_for(event)
            kind = rows_kind(event.name)
            key = (event.body.get("table_id"), kind)
            if pending is not None and key != pending_key:
                out.append(pending)
                pending = None
            if pending is None:
                pending = Change(info.schema, info.table, kind, [])
                pending_key = key
            pending.rows.extend(rows)
            if event.body.get("flags", 0) & STMT_END_F:
                out.append(pending)
                pending = None
    if pending is not None:
        out.append(pending)
    return out


def _legacy_columns(info: TableInfo) -> bool:
    return any(c.type in (tm.MYSQL_TYPE_TIME, tm.MYSQL_TYPE_DATETIME, tm.MYSQL_TYPE_TIMESTAMP)
               for c in info.columns)


def value_round_trip(column: Column | ColumnDef, value, *, mariadb: bool = False):
    """``decode(encode(value))`` through the column's row-image codec."""
    definition = column if isinstance(column, ColumnDef) else column.column_def(mariadb=mariadb)
    codec = codec_for(definition, value_hooks())
    data = codec.encode_field(value)
    body = data[codec.prefix:] if codec.size is None else data
    return codec.decode(body)
