"""Row-image values: how many bytes each column type takes and what they mean.

One declaration per column type code (``enum_field_types``): the size of a value in a
row image given the column's table-map metadata -- fixed, computed from the metadata
(DECIMAL's precision and scale, the fractional-second precision of the temporal
types), or a little-endian length prefix of 1-4 bytes -- and a decoder/encoder pair
between those bytes and Python values.  :func:`codec_for` turns a declaration and one
column (:class:`ColumnDef`) into a :class:`ValueCodec`; ``codec.construct`` is the same
thing as a construct, and ``mysqlproto.rows`` compiles codecs into per-table decoders.

Sources:

- sizes: MySQL ``libs/mysql/binlog/event/binary_log_funcs.cpp`` (``calc_field_size``,
  ``max_display_length_for_field``, ``decimal_binary_size``);
- DECIMAL: ``strings/decimal.cc`` (``bin2decimal``, ``decimal2bin``,
  ``decimal_bin_size``): 9 digits per 4-byte big-endian word, a shorter leading and
  trailing word, the sign in the top bit, negative numbers stored inverted;
- temporal types: ``mysys/my_time.cc`` (``my_time_packed_from_binary``,
  ``my_datetime_packed_from_binary``, ``my_timestamp_from_binary`` and their
  ``*_to_binary`` inverses, ``TIME_from_longlong_*_packed``), ``sql/field.cc``
  (``Field_newdate``: day + month*32 + year*512; ``Field_datetime``: the decimal number
  YYYYMMDDhhmmss; ``Field_time``: the signed decimal number HHMMSS);
- printing (what "the server's form" of a value is): ``sql/log_event.cc``
  ``log_event_print_value``; MariaDB ``sql/log_event_client.cc``;
- MariaDB: ``plugin/type_uuid/sql_type_uuid.h`` (a UUID travels in the binlog in its
  in-memory, RFC 4122 byte order, as BINARY(16): "Convert in-record representation to
  binlog representation"), ``plugin/type_inet`` (INET6/INET4: BINARY(16)/BINARY(4) in
  network order), ``sql/field_comp.cc`` (compressed columns: a header byte, the
  big-endian original length, zlib).

The collation table (id -> character set) was read from the ``information_schema``
of MySQL 9.7, MariaDB 10.11 and MariaDB 11.8 (``COLLATIONS`` and MariaDB's
``COLLATION_CHARACTER_SET_APPLICABILITY``, which lists the UCA 14.0 ids from 2048).
"""

from __future__ import annotations

import datetime
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from construct import Adapter, Bytes, BytesInteger, GreedyBytes, Prefixed

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
    MYSQL_TYPE_NULL,
    MYSQL_TYPE_SET,
    MYSQL_TYPE_SHORT,
    MYSQL_TYPE_STRING,
    MYSQL_TYPE_TIME,
    MYSQL_TYPE_TIME2,
    MYSQL_TYPE_TIMESTAMP,
    MYSQL_TYPE_TIMESTAMP2,
    MYSQL_TYPE_TINY,
    MYSQL_TYPE_TINY_BLOB,
    MYSQL_TYPE_TYPED_ARRAY,
    MYSQL_TYPE_VAR_STRING,
    MYSQL_TYPE_VARCHAR,
    MYSQL_TYPE_VARCHAR_COMPRESSED,
    MYSQL_TYPE_VECTOR,
    MYSQL_TYPE_YEAR,
)

__all__ = [
    "MySQLDate",
    "MySQLDateTime",
    "StringMeta",
    "DecimalMeta",
    "BitMeta",
    "plain_metadata",
    "ColumnDef",
    "ValueCodec",
    "TypeDecl",
    "TYPE_DECLARATIONS",
    "codec_for",
    "charset_name",
    "python_encoding",
    "decimal_bin_size",
    "decimal_segments",
    "decode_decimal",
    "encode_decimal",
    "float32_shortest",
    "BINARY_COLLATION",
    "COLLATION_CHARSETS",
    "CHARSET_ENCODINGS",
    "LOGICAL_TYPES",
    "mariadb_column_compress",
    "mariadb_column_uncompress",
    "text_decoder",
    "text_encoder",
]

# == values that have no exact Python type ==========================================


class MySQLDate(NamedTuple):
    """A DATE that :class:`datetime.date` cannot hold: ``0000-00-00``, a date with a
    zero month or day (``2020-00-00``), or an invalid day (``2021-02-30`` under
    ``ALLOW_INVALID_DATES``).  MySQL stores these; decoding keeps them as they are."""

    year: int
    month: int
    day: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"


class StringMeta(NamedTuple):
    """CHAR/ENUM/SET metadata: the real type and the length (bytes, or pack length)."""

    real_type: int
    length: int


class DecimalMeta(NamedTuple):
    precision: int
    scale: int


class BitMeta(NamedTuple):
    """BIT metadata: bits past the whole bytes, and whole bytes (``Field_bit``)."""

    bits: int
    bytes: int


def plain_metadata(meta):
    """Table-map metadata as hashable values: records become the NamedTuples above."""
    if meta is None or isinstance(meta, (int, bytes, tuple)):
        return meta
    if _has(meta, "real_type"):
        return StringMeta(_get(meta, "real_type"), _get(meta, "length"))
    if _has(meta, "precision"):
        return DecimalMeta(_get(meta, "precision"), _get(meta, "scale"))
    if _has(meta, "bits"):
        return BitMeta(_get(meta, "bits"), _get(meta, "bytes"))
    raise ValueError(f"unknown column metadata {meta!r}")


class MySQLDateTime(NamedTuple):
    """A DATETIME (or the zero TIMESTAMP) that :class:`datetime.datetime` cannot hold."""

    year: int
    month: int
    day: int
    hour: int = 0
    minute: int = 0
    second: int = 0
    microsecond: int = 0

    def __str__(self) -> str:
        text = (f"{self.year:04d}-{self.month:02d}-{self.day:02d} "
                f"{self.hour:02d}:{self.minute:02d}:{self.second:02d}")
        return text + (f".{self.microsecond:06d}" if self.microsecond else "")


def _date(year: int, month: int, day: int):
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return MySQLDate(year, month, day)


def _datetime(year, month, day, hour, minute, second, usec):
    try:
        return datetime.datetime(year, month, day, hour, minute, second, usec)
    except ValueError:
        return MySQLDateTime(year, month, day, hour, minute, second, usec)


def _ymd(value) -> tuple[int, int, int]:
    return value.year, value.month, value.day


def _hms(value) -> tuple[int, int, int, int]:
    return (getattr(value, "hour", 0), getattr(value, "minute", 0),
            getattr(value, "second", 0), getattr(value, "microsecond", 0))


# == character sets =================================================================

BINARY_COLLATION = 63

_COLLATION_RUNS = """
1 big5, 2 latin2, 3 dec8, 4 cp850, 5 latin1, 6 hp8, 7 koi8r, 8 latin1, 9 latin2,
10 swe7, 11 ascii, 12 ujis, 13 sjis, 14 cp1251, 15 latin1, 16 hebrew, 18 tis620,
19 euckr, 20 latin7, 21 latin2, 22 koi8u, 23 cp1251, 24 gb2312, 25 greek,
26 cp1250, 27 latin2, 28 gbk, 29 cp1257, 30 latin5, 31 latin1, 32 armscii8,
33 utf8mb3, 34 cp1250, 35 ucs2, 36 cp866, 37 keybcs2, 38 macce, 39 macroman,
40 cp852, 41-42 latin7, 43 macce, 44 cp1250, 45-46 utf8mb4, 47-49 latin1,
50-52 cp1251, 53 macroman, 54-55 utf16, 56 utf16le, 57 cp1256, 58-59 cp1257,
60-61 utf32, 62 utf16le, 63 binary, 64 armscii8, 65 ascii, 66 cp1250, 67 cp1256,
68 cp866, 69 dec8, 70 greek, 71 hebrew, 72 hp8, 73 keybcs2, 74 koi8r, 75 koi8u,
76 utf8mb3, 77 latin2, 78 latin5, 79 latin7, 80 cp850, 81 cp852, 82 swe7,
83 utf8mb3, 84 big5, 85 euckr, 86 gb2312, 87 gbk, 88 sjis, 89 tis620, 90 ucs2,
91 ujis, 92-93 geostd8, 94 latin1, 95-96 cp932, 97-98 eucjpms, 99 cp1250,
101-124 utf16, 128-151 ucs2, 159 ucs2, 160-183 utf32, 192-215 utf8mb3, 223 utf8mb3,
224-247 utf8mb4, 248-250 gb18030, 255-271 utf8mb4, 273-275 utf8mb4,
277-294 utf8mb4, 296-298 utf8mb4, 300 utf8mb4, 303-323 utf8mb4, 576-579 utf8mb3,
608-611 utf8mb4, 640-642 ucs2, 672-674 utf16, 736-738 utf32, 1025 big5, 1027 dec8,
1028 cp850, 1030 hp8, 1031 koi8r, 1032 latin1, 1033 latin2, 1034 swe7, 1035 ascii,
1036 ujis, 1037 sjis, 1040 hebrew, 1042 tis620, 1043 euckr, 1046 koi8u,
1048 gb2312, 1049 greek, 1050 cp1250, 1052 gbk, 1054 latin5, 1056 armscii8,
1057 utf8mb3, 1059 ucs2, 1060 cp866, 1061 keybcs2, 1062 macce, 1063 macroman,
1064 cp852, 1065 latin7, 1067 macce, 1069-1070 utf8mb4, 1071 latin1,
1074-1075 cp1251, 1077 macroman, 1078-1079 utf16, 1080 utf16le, 1081 cp1256,
1082-1083 cp1257, 1084-1085 utf32, 1086 utf16le, 1088 armscii8, 1089 ascii,
1090 cp1250, 1091 cp1256, 1092 cp866, 1093 dec8, 1094 greek, 1095 hebrew, 1096 hp8,
1097 keybcs2, 1098 koi8r, 1099 koi8u, 1101 latin2, 1102 latin5, 1103 latin7,
1104 cp850, 1105 cp852, 1106 swe7, 1107 utf8mb3, 1108 big5, 1109 euckr,
1110 gb2312, 1111 gbk, 1112 sjis, 1113 tis620, 1114 ucs2, 1115 ujis,
1116-1117 geostd8, 1119-1120 cp932, 1121-1122 eucjpms, 1125 utf16, 1147 utf16,
1152 ucs2, 1174 ucs2, 1184 utf32, 1206 utf32, 1216 utf8mb3, 1238 utf8mb3,
1248 utf8mb4, 1270 utf8mb4, 2048-2215 utf8mb3, 2232-2247 utf8mb3,
2304-2471 utf8mb4, 2488-2503 utf8mb4, 2560-2727 ucs2, 2744-2759 ucs2,
2816-2983 utf16, 3000-3015 utf16, 3072-3239 utf32, 3256-3271 utf32
"""


def _collation_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for item in _COLLATION_RUNS.replace("\n", " ").split(","):
        ids, name = item.split()
        low, _, high = ids.partition("-")
        for collation in range(int(low), int(high or low) + 1):
            table[collation] = name
    return table


COLLATION_CHARSETS: dict[int, str] = _collation_table()
"""Collation id -> character set name, for every id MySQL 9.7 and MariaDB 11.8 know."""

CHARSET_ENCODINGS: dict[str, str | None] = {
    # MySQL charset -> Python codec; None: no codec in Python (values stay bytes).
    "armscii8": None, "ascii": "ascii", "big5": "cp950", "binary": None,
    "cp1250": "cp1250", "cp1251": "cp1251", "cp1256": "cp1256", "cp1257": "cp1257",
    "cp850": "cp850", "cp852": "cp852", "cp866": "cp866", "cp932": "cp932",
    "dec8": None, "eucjpms": "euc_jp", "euckr": "euc_kr", "gb18030": "gb18030",
    "gb2312": "gb2312", "gbk": "gbk", "geostd8": None, "greek": "iso8859_7",
    "hebrew": "iso8859_8", "hp8": None, "keybcs2": None, "koi8r": "koi8_r",
    "koi8u": "koi8_u", "latin1": "mysql-latin1", "latin2": "iso8859_2",
    "latin5": "iso8859_9", "latin7": "iso8859_13", "macce": "mac_latin2",
    "macroman": "mac_roman", "sjis": "shift_jis", "swe7": None, "tis620": "tis_620",
    "ucs2": "utf-16-be", "ujis": "euc_jp", "utf16": "utf-16-be", "utf16le": "utf-16-le",
    "utf32": "utf-32-be", "utf8mb3": "utf-8", "utf8mb4": "utf-8",
}
"""MySQL's latin1 is cp1252 whose five undefined bytes map to the C1 controls of the
same value (``strings/ctype-latin1.cc``); it gets a codec of its own here."""


def charset_name(collation: int | None) -> str | None:
    """The character set of a collation id, e.g. ``255 -> "utf8mb4"``; None if unknown."""
    return COLLATION_CHARSETS.get(collation) if collation is not None else None


def python_encoding(collation: int | None) -> str | None:
    """The Python codec for a collation id, or None (binary, unknown, or no codec)."""
    return CHARSET_ENCODINGS.get(charset_name(collation) or "")


_CP1252_HIGH = bytes(range(0x80, 0xA0)).decode("cp1252", errors="replace")
_MYSQL_LATIN1_DECODE = {
    0x80 + i: (ord(ch) if ch != "\ufffd" else 0x80 + i) for i, ch in enumerate(_CP1252_HIGH)
}
_MYSQL_LATIN1_ENCODE = {v: k for k, v in _MYSQL_LATIN1_DECODE.items()}


def _latin1_decode(data: bytes) -> str:
    return data.decode("latin-1").translate(_MYSQL_LATIN1_DECODE)


def _latin1_encode(text: str) -> bytes:
    return text.translate(_MYSQL_LATIN1_ENCODE).encode("latin-1")


def text_decoder(encoding: str) -> Callable[[bytes], str | bytes]:
    """bytes -> str in ``encoding``; bytes that do not decode are returned unchanged."""
    if encoding == "mysql-latin1":
        return _latin1_decode

    def decode(data: bytes):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            return bytes(data)

    return decode


def text_encoder(encoding: str) -> Callable[[Any], bytes]:
    """str -> bytes in ``encoding``; bytes are written as given."""

    def encode(value) -> bytes:
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value)
        if encoding == "mysql-latin1":
            return _latin1_encode(value)
        return value.encode(encoding)

    return encode


# == columns ========================================================================


@dataclass(frozen=True)
class ColumnDef:
    """What decoding one column's values needs, from the TABLE_MAP event.

    ``type`` and ``metadata`` are the table map's column type and decoded metadata;
    the rest comes from the optional metadata when the server wrote it (MySQL 8.0.1,
    MariaDB 10.5): ``unsigned`` (SIGNEDNESS), ``charset`` (a collation id, from
    DEFAULT_CHARSET/COLUMN_CHARSET or the ENUM_AND_SET_* pair), ``enum_values`` /
    ``set_values`` (ENUM_STR_VALUE / SET_STR_VALUE), ``geometry_type``,
    ``vector_dimension``.  ``logical_type`` names what the binlog cannot say: a MariaDB
    ``"uuid"``, ``"inet6"`` or ``"inet4"`` column travels as BINARY(16)/BINARY(4).
    Nor can it say the precision of MariaDB's old-format TIME/DATETIME/TIMESTAMP
    columns (``mysql56_temporal_format=OFF``): the table map gives them no metadata,
    yet one with a precision of 1-6 is laid out differently (see ``_hires_fsp``);
    a caller who knows it from the table definition puts it in ``metadata``.
    """

    type: int
    metadata: Any = None
    name: str | None = None
    nullable: bool = True
    unsigned: bool = False
    charset: int | None = None
    enum_values: tuple[str, ...] | None = None
    set_values: tuple[str, ...] | None = None
    geometry_type: int | None = None
    vector_dimension: int | None = None
    visible: bool = True
    logical_type: str | None = None

    @property
    def real_type(self) -> int:
        """The type the server means: STRING columns carry ENUM/SET in their metadata."""
        meta = self.metadata
        if self.type in (MYSQL_TYPE_STRING, MYSQL_TYPE_VAR_STRING, MYSQL_TYPE_ENUM,
                         MYSQL_TYPE_SET) and _has(meta, "real_type"):
            return _get(meta, "real_type")
        return self.type

    @property
    def fsp(self) -> int:
        """Fractional-second precision of a temporal column (0 for the old types, unless
        a MariaDB hires column's precision was supplied as ``metadata``)."""
        if self.type in (MYSQL_TYPE_TIME2, MYSQL_TYPE_DATETIME2, MYSQL_TYPE_TIMESTAMP2):
            return int(self.metadata or 0)
        if self.type in (MYSQL_TYPE_TIME, MYSQL_TYPE_DATETIME, MYSQL_TYPE_TIMESTAMP):
            return _hires_fsp(self)
        return 0


def _has(meta, key) -> bool:
    try:
        _get(meta, key)
    except (KeyError, TypeError, AttributeError):
        return False
    return True


def _get(meta, key):
    if isinstance(meta, dict):
        return meta[key]
    return getattr(meta, key)


def _int_meta(column: ColumnDef, what: str) -> int:
    meta = column.metadata
    if not isinstance(meta, int) or isinstance(meta, bool):
        raise ValueError(f"{_type_name(column.type)} column needs its {what} as metadata, "
                         f"got {meta!r}")
    return meta


# == codecs =========================================================================


@dataclass(frozen=True)
class ValueCodec:
    """How one column's values are laid out and read.

    A value takes ``size`` bytes, or when ``size`` is None a little-endian length of
    ``prefix`` bytes then that many bytes.  ``decode`` takes the value bytes (after
    the prefix) to a Python value; ``encode`` does the reverse (``bytes`` given for a
    non-string type are written as they are: that is how a malformed value is crafted).
    ``fmt`` is the :mod:`struct` code when the value is one plain number and
    ``encoding`` the Python codec when it is text: the row decoder compiles those
    inline instead of calling ``decode``.  ``raw`` marks a value kept as bytes.
    """

    name: str
    decode: Callable[[bytes], Any]
    encode: Callable[[Any], bytes]
    size: int | None = None
    prefix: int = 0
    fmt: str | None = None
    encoding: str | None = None
    raw: bool = False

    def __post_init__(self):
        if (self.size is None) == (self.prefix == 0):
            raise ValueError(f"{self.name}: give a fixed size or a length prefix, not both")
        if self.prefix not in (0, 1, 2, 3, 4):
            raise ValueError(f"{self.name}: length prefix of {self.prefix} bytes (1-4 allowed)")

    def value_size(self, data: bytes, offset: int = 0) -> int:
        """Bytes the value at ``data[offset:]`` takes, prefix included."""
        if self.size is not None:
            return self.size
        length = int.from_bytes(data[offset:offset + self.prefix], "little")
        return self.prefix + length

    def encode_field(self, value) -> bytes:
        """The value's bytes in a row image, prefix included."""
        data = self.encode(value)
        if self.size is not None:
            if len(data) != self.size:
                raise ValueError(f"{self.name}: {len(data)} bytes for a {self.size}-byte value")
            return data
        if len(data) >= 1 << (8 * self.prefix):
            raise ValueError(f"{self.name}: {len(data)} bytes do not fit a "
                             f"{self.prefix}-byte length")
        return len(data).to_bytes(self.prefix, "little") + data

    @property
    def construct(self):
        """This codec as a construct (``Bytes(size)`` or a length-prefixed block)."""
        if self.size is not None:
            return _CodecAdapter(Bytes(self.size), self)
        return _CodecAdapter(Prefixed(BytesInteger(self.prefix, swapped=True), GreedyBytes), self)


class _CodecAdapter(Adapter):
    def __init__(self, subcon, codec: ValueCodec):
        super().__init__(subcon)
        self.codec = codec

    def _decode(self, obj, context, path):
        return self.codec.decode(obj)

    def _encode(self, obj, context, path):
        return self.codec.encode(obj)


@dataclass(frozen=True)
class TypeDecl:
    """The declaration of one column type: its row-image layout and how to read it.

    ``layout`` says in words how the size follows from the metadata; ``build`` makes
    the :class:`ValueCodec` for one column.
    """

    code: int
    name: str
    layout: str
    build: Callable[[ColumnDef, dict], ValueCodec]


def _raw_bytes(data: bytes) -> bytes:
    return bytes(data)


def _encode_raw(value) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"expected bytes, got {type(value).__name__}")


def _passthrough(encode):
    """``encode`` that also accepts raw bytes (a crafted, possibly malformed value)."""

    def wrapped(value) -> bytes:
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value)
        return encode(value)

    return wrapped


# -- integers ------------------------------------------------------------------------

_INT_FORMATS = {1: "b", 2: "h", 4: "i", 8: "q"}


def _integer(size: int, name: str) -> Callable[[ColumnDef, dict], ValueCodec]:
    def build(column: ColumnDef, hooks: dict) -> ValueCodec:
        signed = not column.unsigned
        fmt = _INT_FORMATS.get(size)
        label = name + ("" if signed else " UNSIGNED")
        if fmt:
            fmt = fmt if signed else fmt.upper()
            packer = struct.Struct("<" + fmt)
            return ValueCodec(
                label, size=size, fmt=fmt,
                decode=lambda b, _u=packer.unpack: _u(b)[0],
                encode=_passthrough(lambda v, _p=packer.pack: _p(v)),
            )
        return ValueCodec(
            label, size=size,
            decode=lambda b: int.from_bytes(b, "little", signed=signed),
            encode=_passthrough(lambda v: int(v).to_bytes(size, "little", signed=signed)),
        )

    return build


def _float(column: ColumnDef, hooks: dict) -> ValueCodec:
    size = column.metadata if isinstance(column.metadata, int) else 4
    if size not in (4, 8):
        raise ValueError(f"FLOAT with a pack length of {size} bytes")
    return _real(size, "FLOAT")


def _double(column: ColumnDef, hooks: dict) -> ValueCodec:
    size = column.metadata if isinstance(column.metadata, int) else 8
    if size not in (4, 8):
        raise ValueError(f"DOUBLE with a pack length of {size} bytes")
    return _real(size, "DOUBLE")


def _real(size: int, name: str) -> ValueCodec:
    fmt = "f" if size == 4 else "d"
    packer = struct.Struct("<" + fmt)
    return ValueCodec(name, size=size, fmt=fmt,
                      decode=lambda b: packer.unpack(b)[0],
                      encode=_passthrough(lambda v: packer.pack(v)))


def float32_shortest(value: float) -> float:
    """The shortest decimal that reads back as the same float32: ``1.100000023841858``
    (a FLOAT column holding 1.1, widened to a double) gives ``1.1``."""
    if value != value or value in (float("inf"), float("-inf")):
        return value
    pack = struct.Struct("<f")
    target = pack.pack(value)
    for digits in range(1, 10):
        candidate = float(f"{value:.{digits}g}")
        try:
            if pack.pack(candidate) == target:
                return candidate
        except OverflowError:
            continue
    return value


def _year(column: ColumnDef, hooks: dict) -> ValueCodec:
    # Field_year: one byte, 0 for the zero year, else year - 1900.
    def decode(b):
        return b[0] + 1900 if b[0] else 0

    def encode(v):
        v = int(v)
        return bytes((v - 1900 if v else 0,))

    return ValueCodec("YEAR", size=1, decode=decode, encode=_passthrough(encode))


def _bit(column: ColumnDef, hooks: dict) -> ValueCodec:
    meta = column.metadata
    if _has(meta, "bytes"):
        whole, bits = _get(meta, "bytes"), _get(meta, "bits")
    else:
        # the 16-bit form of calc_field_size: bytes << 8 | bits
        whole, bits = (meta or 0) >> 8, (meta or 0) & 0xFF
    size = whole + (1 if bits else 0)
    width = whole * 8 + bits

    def encode(v):
        return int(v).to_bytes(size, "big")

    return ValueCodec(f"BIT({width})", size=size,
                      decode=lambda b: int.from_bytes(b, "big"), encode=_passthrough(encode))


def _null(column: ColumnDef, hooks: dict) -> ValueCodec:
    return ValueCodec("NULL", size=0, decode=lambda b: None, encode=lambda v: b"")


# -- DECIMAL -------------------------------------------------------------------------

_DIG2BYTES = (0, 1, 1, 2, 2, 3, 3, 4, 4, 4)
_DIGITS_PER_WORD = 9


def decimal_bin_size(precision: int, scale: int) -> int:
    """Bytes of a DECIMAL(precision, scale) value (``decimal_bin_size``)."""
    if not (0 <= scale <= precision and precision > 0):
        raise ValueError(f"bad DECIMAL({precision},{scale})")
    intg = precision - scale
    return (intg // 9 * 4 + _DIG2BYTES[intg % 9]
            + scale // 9 * 4 + _DIG2BYTES[scale % 9])


def decimal_segments(precision: int, scale: int) -> list[tuple[int, int]]:
    """(bytes, digits) of each group of a DECIMAL(precision, scale), most significant
    first: a short leading integer group, whole 9-digit words, a short trailing one."""
    intg = precision - scale
    segments = []
    if intg % 9:
        segments.append((_DIG2BYTES[intg % 9], intg % 9))
    segments += [(4, 9)] * (intg // 9)
    segments += [(4, 9)] * (scale // 9)
    if scale % 9:
        segments.append((_DIG2BYTES[scale % 9], scale % 9))
    return segments


def decode_decimal(data: bytes, precision: int, scale: int) -> Decimal:
    """``bin2decimal``: a row-image DECIMAL as an exact :class:`~decimal.Decimal`.

    The result has exactly ``scale`` fraction digits, so ``format(d, "f")`` is the
    server's text (``log_event_print_value`` prints DECIMAL(10,2) 1.5 as ``1.50``).
    A group holding a number too large for its digits raises ValueError, as the
    server's ``E_DEC_BAD_NUM``.
    """
    return _decimal_decoder(precision, scale)(data)


def _decimal_decoder(precision: int, scale: int) -> Callable[[bytes], Decimal]:
    size = decimal_bin_size(precision, scale)
    bits = 8 * size
    sign_bit = 1 << (bits - 1)
    low_mask = sign_bit - 1
    # (shift, mask, limit, scale-multiplier) from the least significant group up
    groups = []
    shift = 0
    for nbytes, digits in reversed(decimal_segments(precision, scale)):
        groups.append((shift, (1 << (8 * nbytes)) - 1, 10 ** digits, digits))
        shift += 8 * nbytes
    groups.reverse()
    exponent = f"E-{scale}" if scale else ""

    def decode(data: bytes) -> Decimal:
        if len(data) != size:
            raise ValueError(f"DECIMAL({precision},{scale}) takes {size} bytes, got {len(data)}")
        stored = int.from_bytes(data, "big")
        if stored & sign_bit:
            sign, magnitude = "", stored ^ sign_bit
        else:
            sign, magnitude = "-", stored ^ low_mask
        number = 0
        for group_shift, mask, limit, digits in groups:
            part = (magnitude >> group_shift) & mask
            if part >= limit:
                raise ValueError(f"DECIMAL({precision},{scale}) group {part} exceeds "
                                 f"{digits} digits")
            number = number * limit + part
        return Decimal(f"{sign}{number}{exponent}")

    return decode


def encode_decimal(value, precision: int, scale: int) -> bytes:
    """``decimal2bin``: an exact decimal (Decimal, int or str) as row-image bytes.

    Raises ValueError for a value with more fraction digits than ``scale`` (other
    than trailing zeros) or more integer digits than ``precision - scale``.
    """
    return _decimal_encoder(precision, scale)(value)


def _decimal_encoder(precision: int, scale: int) -> Callable[[Any], bytes]:
    size = decimal_bin_size(precision, scale)
    segments = decimal_segments(precision, scale)
    sign_bit = 1 << (8 * size - 1)
    low_mask = sign_bit - 1
    limit = 10 ** precision

    def encode(value) -> bytes:
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value)
        if not isinstance(value, Decimal):
            value = Decimal(str(value) if isinstance(value, float) else value)
        if not value.is_finite():
            raise ValueError(f"DECIMAL cannot hold {value}")
        sign, digits, exp = value.as_tuple()
        number = int("".join(map(str, digits)) or "0")
        shift = exp + scale
        if shift >= 0:
            number *= 10 ** shift
        else:
            number, rest = divmod(number, 10 ** -shift)
            if rest:
                raise ValueError(f"{value} has more than {scale} fraction digits")
        if number >= limit:
            raise ValueError(f"{value} does not fit DECIMAL({precision},{scale})")
        magnitude = 0
        remaining = number
        out_shift = 0
        for nbytes, ndigits in reversed(segments):
            remaining, part = divmod(remaining, 10 ** ndigits)
            magnitude |= part << out_shift
            out_shift += 8 * nbytes
        stored = magnitude ^ low_mask if sign else magnitude | sign_bit
        return stored.to_bytes(size, "big")

    return encode


def _newdecimal(column: ColumnDef, hooks: dict) -> ValueCodec:
    meta = column.metadata
    if _has(meta, "precision"):
        precision, scale = _get(meta, "precision"), _get(meta, "scale")
    else:  # the 16-bit form: precision << 8 | scale
        precision, scale = (meta or 0) >> 8, (meta or 0) & 0xFF
    return ValueCodec(f"DECIMAL({precision},{scale})", size=decimal_bin_size(precision, scale),
                      decode=_decimal_decoder(precision, scale),
                      encode=_decimal_encoder(precision, scale))


def _old_decimal(column: ColumnDef, hooks: dict) -> ValueCodec:
    # Pre-5.0 DECIMAL (Field_decimal) is an ASCII number padded to the field length.
    # The table map gives it no metadata, so the size is known only when the caller
    # supplies it (calc_field_size uses the metadata, which the server leaves 0).
    size = column.metadata
    if not isinstance(size, int) or size <= 0:
        raise ValueError("pre-5.0 DECIMAL (type 0): the table map gives no length, so the "
                         "value's size in the row image is unknown")

    def decode(b):
        return Decimal(bytes(b).decode("ascii").strip())

    def encode(v):
        return str(v).rjust(size).encode("ascii")

    return ValueCodec(f"DECIMAL(old, {size} bytes)", size=size, decode=decode,
                      encode=_passthrough(encode))


# -- temporal types ------------------------------------------------------------------

_UTC = datetime.UTC
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=_UTC)
TIMEF_INT_OFS = 0x800000
TIMEF_OFS = 0x800000000000
DATETIMEF_INT_OFS = 0x8000000000


def _date_codec(column: ColumnDef, hooks: dict) -> ValueCodec:
    # Field_newdate: 3 bytes little-endian, day | month << 5 | year << 9.
    def decode(b):
        v = b[0] | b[1] << 8 | b[2] << 16
        return _date(v >> 9, (v >> 5) & 15, v & 31)

    def encode(value):
        y, m, d = _ymd(value)
        return (d | m << 5 | y << 9).to_bytes(3, "little")

    return ValueCodec("DATE", size=3, decode=decode, encode=_passthrough(encode))


# -- MariaDB "hires" TIME/DATETIME/TIMESTAMP (MariaDB 5.3 format) ---------------------
#
# With mysql56_temporal_format=OFF MariaDB makes a TIME(n)/DATETIME(n)/TIMESTAMP(n)
# column with n > 0 a Field_time_hires/Field_datetime_hires/Field_timestamp_hires
# (sql/field.cc), and logs it under the old type code (11, 12, 7) with no metadata, so
# the precision n -- and with it the size -- is not in the binlog.  Layouts, big-endian,
# the fraction cut to n digits (sec_part_shift: microseconds // 10**(6-n)):
#   TIME(n):      time_hires_bytes[n] bytes: the value in such units plus the zero
#                 point 839:00:00 (TIME_MAX_VALUE_SECONDS + 1), so never negative;
#   DATETIME(n):  datetime_hires_bytes[n] bytes: pack_time(), the count of units of
#                 ((((year*13 + month)*32 + day)*24 + hour)*60 + minute)*60 + second;
#   TIMESTAMP(n): 4 bytes of seconds, then the fraction in sec_part_bytes[n] bytes.
# Checked against MariaDB 10.11 and 11.8 binlogs of every precision, both limits
# included (conformance scenario `temporals`, config `old_temporal`).

_SEC_PART_BYTES = (0, 1, 1, 2, 2, 3, 3)
_TIME_HIRES_BYTES = (3, 4, 4, 5, 5, 5, 6)
_DATETIME_HIRES_BYTES = (5, 6, 6, 7, 7, 7, 8)
_TIME_HIRES_ZERO_SECONDS = 3020399 + 1  # TIME_MAX_VALUE_SECONDS + 1


def _hires_fsp(column: ColumnDef) -> int:
    """The precision supplied for an old-type temporal column, 0 when none was."""
    meta = column.metadata
    if isinstance(meta, int) and not isinstance(meta, bool) and 1 <= meta <= 6:
        return meta
    return 0


def _time_hires(column: ColumnDef, fsp: int) -> ValueCodec:
    size, unit = _TIME_HIRES_BYTES[fsp], 10 ** (6 - fsp)
    zero = _TIME_HIRES_ZERO_SECONDS * 1000000 // unit

    def decode(b):
        return datetime.timedelta(microseconds=(int.from_bytes(b, "big") - zero) * unit)

    def encode(value):
        micros = value // datetime.timedelta(microseconds=1)
        return (micros // unit + zero).to_bytes(size, "big")

    return ValueCodec(f"TIME({fsp}) hires", size=size, decode=decode,
                      encode=_passthrough(encode))


def _datetime_hires(column: ColumnDef, fsp: int) -> ValueCodec:
    size, unit = _DATETIME_HIRES_BYTES[fsp], 10 ** (6 - fsp)

    def decode(b):
        packed = int.from_bytes(b, "big") * unit
        packed, usec = divmod(packed, 1000000)
        packed, second = divmod(packed, 60)
        packed, minute = divmod(packed, 60)
        packed, hour = divmod(packed, 24)
        packed, day = divmod(packed, 32)
        year, month = divmod(packed, 13)
        return _datetime(year, month, day, hour, minute, second, usec)

    def encode(value):
        y, m, d = _ymd(value)
        h, mi, s, us = _hms(value)
        packed = (((((y * 13 + m) * 32 + d) * 24 + h) * 60 + mi) * 60 + s) * 1000000 + us
        return (packed // unit).to_bytes(size, "big")

    return ValueCodec(f"DATETIME({fsp}) hires", size=size, decode=decode,
                      encode=_passthrough(encode))


def _timestamp_hires(column: ColumnDef, fsp: int) -> ValueCodec:
    nfrac, unit = _SEC_PART_BYTES[fsp], 10 ** (6 - fsp)

    def decode(b):
        return _timestamp_value(int.from_bytes(b[:4], "big"),
                                int.from_bytes(b[4:], "big") * unit)

    def encode(value):
        sec, usec = _timestamp_parts(value)
        return sec.to_bytes(4, "big") + (usec // unit).to_bytes(nfrac, "big")

    return ValueCodec(f"TIMESTAMP({fsp}) hires", size=4 + nfrac, decode=decode,
                      encode=_passthrough(encode))


def _datetime_old(column: ColumnDef, hooks: dict) -> ValueCodec:
    # Field_datetime (pre-5.6.4): the number YYYYMMDDhhmmss, 8 bytes little-endian.
    if fsp := _hires_fsp(column):
        return _datetime_hires(column, fsp)

    def decode(b):
        v = int.from_bytes(b, "little")
        date, time = divmod(v, 1000000)
        return _datetime(date // 10000, date // 100 % 100, date % 100,
                         time // 10000, time // 100 % 100, time % 100, 0)

    def encode(value):
        y, m, d = _ymd(value)
        h, mi, s, _ = _hms(value)
        return ((y * 10000 + m * 100 + d) * 1000000 + h * 10000 + mi * 100 + s).to_bytes(
            8, "little")

    return ValueCodec("DATETIME", size=8, decode=decode, encode=_passthrough(encode))


def _time_old(column: ColumnDef, hooks: dict) -> ValueCodec:
    # Field_time (pre-5.6.4): the signed number [-]HHMMSS, 3 bytes little-endian.
    if fsp := _hires_fsp(column):
        return _time_hires(column, fsp)

    def decode(b):
        v = int.from_bytes(b, "little", signed=True)
        sign, v = (-1 if v < 0 else 1), abs(v)
        return sign * datetime.timedelta(hours=v // 10000, minutes=v // 100 % 100,
                                         seconds=v % 100)

    def encode(value):
        neg, h, mi, s, _ = _split_timedelta(value)
        v = h * 10000 + mi * 100 + s
        return (-v if neg else v).to_bytes(3, "little", signed=True)

    return ValueCodec("TIME", size=3, decode=decode, encode=_passthrough(encode))


def _timestamp_old(column: ColumnDef, hooks: dict) -> ValueCodec:
    if fsp := _hires_fsp(column):
        return _timestamp_hires(column, fsp)

    def decode(b):
        return _timestamp_value(int.from_bytes(b, "little"), 0)

    def encode(value):
        sec, _ = _timestamp_parts(value)
        return sec.to_bytes(4, "little")

    return ValueCodec("TIMESTAMP", size=4, decode=decode, encode=_passthrough(encode))


def _timestamp_value(sec: int, usec: int):
    # Seconds 0 is MySQL's zero TIMESTAMP, '0000-00-00 00:00:00'.
    if sec == 0:
        return MySQLDateTime(0, 0, 0, 0, 0, 0, usec)
    return _EPOCH + datetime.timedelta(seconds=sec, microseconds=usec)


def _timestamp_parts(value) -> tuple[int, int]:
    if isinstance(value, int):
        return value, 0
    if isinstance(value, MySQLDateTime):
        if value[:6] != (0, 0, 0, 0, 0, 0):
            raise ValueError(f"TIMESTAMP cannot hold {value}")
        return 0, value.microsecond
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_UTC)
        delta = value - _EPOCH
        return delta.days * 86400 + delta.seconds, delta.microseconds
    raise TypeError(f"TIMESTAMP from {type(value).__name__}")


def _frac_size(fsp: int) -> int:
    return (fsp + 1) // 2


def _check_fsp(fsp: int, name: str) -> None:
    if not 0 <= fsp <= 6:
        raise ValueError(f"{name} with fractional-second precision {fsp} (0-6 allowed)")


def _frac_checked(usec: int, fsp: int, name: str) -> int:
    step = 10 ** (6 - fsp)
    if usec % step:
        raise ValueError(f"{name}({fsp}) cannot hold {usec} microseconds")
    return usec


def _timestamp2(column: ColumnDef, hooks: dict) -> ValueCodec:
    # my_timestamp_from_binary: 4 bytes big-endian seconds, then the fraction
    # big-endian in 1, 2 or 3 bytes (hundredths, 1/10000ths, microseconds).
    fsp = column.fsp
    _check_fsp(fsp, "TIMESTAMP")
    nfrac = _frac_size(fsp)
    mult = (0, 10000, 100, 1)[nfrac]
    name = f"TIMESTAMP({fsp})"

    def decode(b):
        sec = int.from_bytes(b[:4], "big")
        # fsp 1-2: an unsigned byte; 3-6: signed big-endian (mi_sint2korr/mi_sint3korr)
        usec = int.from_bytes(b[4:], "big", signed=nfrac > 1) * mult if nfrac else 0
        return _timestamp_value(sec, usec)

    def encode(value):
        sec, usec = _timestamp_parts(value)
        out = sec.to_bytes(4, "big")
        if nfrac:
            out += (_frac_checked(usec, fsp, "TIMESTAMP") // mult).to_bytes(nfrac, "big",
                                                                           signed=True)
        return out

    return ValueCodec(name, size=4 + nfrac, decode=decode, encode=_passthrough(encode))


def _datetime2(column: ColumnDef, hooks: dict) -> ValueCodec:
    # my_datetime_packed_from_binary: 5 bytes big-endian, offset by 2^39: year*13+month
    # (17 bits), day (5), hour (5), minute (6), second (6); then the fraction as
    # for TIMESTAMP2 (signed).
    fsp = column.fsp
    _check_fsp(fsp, "DATETIME")
    nfrac = _frac_size(fsp)
    mult = (0, 10000, 100, 1)[nfrac]
    name = f"DATETIME({fsp})"

    def decode(b):
        intpart = int.from_bytes(b[:5], "big") - DATETIMEF_INT_OFS
        frac = int.from_bytes(b[5:], "big", signed=True) * mult if nfrac else 0
        packed = (intpart << 24) + frac
        if packed < 0:  # a negative DATETIME does not exist; keep its magnitude
            packed = -packed
        ymdhms, usec = packed >> 24, packed & 0xFFFFFF
        ymd, hms = ymdhms >> 17, ymdhms & 0x1FFFF
        ym = ymd >> 5
        return _datetime(ym // 13, ym % 13, ymd & 31, hms >> 12, (hms >> 6) & 63, hms & 63,
                         usec)

    def encode(value):
        y, m, d = _ymd(value)
        h, mi, s, usec = _hms(value)
        intpart = ((y * 13 + m) << 5 | d) << 17 | h << 12 | mi << 6 | s
        out = (intpart + DATETIMEF_INT_OFS).to_bytes(5, "big")
        if nfrac:
            out += (_frac_checked(usec, fsp, "DATETIME") // mult).to_bytes(nfrac, "big",
                                                                          signed=True)
        return out

    return ValueCodec(name, size=5 + nfrac, decode=decode, encode=_passthrough(encode))


def _split_timedelta(value) -> tuple[bool, int, int, int, int]:
    if isinstance(value, datetime.time):
        value = datetime.timedelta(hours=value.hour, minutes=value.minute,
                                   seconds=value.second, microseconds=value.microsecond)
    total = value // datetime.timedelta(microseconds=1)
    neg = total < 0
    total = abs(total)
    secs, usec = divmod(total, 1000000)
    hours, rest = divmod(secs, 3600)
    return neg, hours, rest // 60, rest % 60, usec


def _time2(column: ColumnDef, hooks: dict) -> ValueCodec:
    # my_time_packed_from_binary: 3 bytes big-endian offset by 2^23: sign, hour (10
    # bits), minute (6), second (6); then the fraction.  For a negative value with a
    # fraction the stored integer part is rounded away from zero and the fraction
    # stored as its complement ("reverse fractional part order, for binary sort
    # compatibility").  FSP 5-6 store the whole packed value in 6 bytes.
    fsp = column.fsp
    _check_fsp(fsp, "TIME")
    nfrac = _frac_size(fsp)
    name = f"TIME({fsp})"

    def decode(b):
        if nfrac == 3:
            packed = int.from_bytes(b, "big") - TIMEF_OFS
        else:
            intpart = int.from_bytes(b[:3], "big") - TIMEF_INT_OFS
            if nfrac == 0:
                packed = intpart << 24
            else:
                frac = int.from_bytes(b[3:], "big")
                if intpart < 0 and frac:
                    intpart += 1
                    frac -= 0x100 if nfrac == 1 else 0x10000
                packed = (intpart << 24) + frac * (10000 if nfrac == 1 else 100)
        neg = packed < 0
        packed = abs(packed)
        hms, usec = packed >> 24, packed & 0xFFFFFF
        delta = datetime.timedelta(hours=(hms >> 12) & 0x3FF, minutes=(hms >> 6) & 63,
                                   seconds=hms & 63, microseconds=usec)
        return -delta if neg else delta

    def encode(value):
        neg, h, mi, s, usec = _split_timedelta(value)
        _frac_checked(usec, fsp, "TIME")
        packed = ((h << 12 | mi << 6 | s) << 24) + usec
        if neg:
            packed = -packed
        if nfrac == 3:
            return (packed + TIMEF_OFS).to_bytes(6, "big")
        # int part: arithmetic shift (floor); fraction: C remainder (truncates to 0)
        intpart = packed >> 24
        frac = abs(packed) & 0xFFFFFF
        if packed < 0:
            frac = -frac
        out = (intpart + TIMEF_INT_OFS).to_bytes(3, "big")
        if nfrac == 1:
            out += ((frac // 10000 if frac >= 0 else -(-frac // 10000)) & 0xFF).to_bytes(1, "big")
        elif nfrac == 2:
            out += ((frac // 100 if frac >= 0 else -(-frac // 100)) & 0xFFFF).to_bytes(2, "big")
        return out

    return ValueCodec(name, size=3 + nfrac, decode=decode, encode=_passthrough(encode))


# -- strings, blobs and their relatives -------------------------------------------------


def _string_length(column: ColumnDef) -> int:
    meta = column.metadata
    if _has(meta, "length"):
        return _get(meta, "length")
    if isinstance(meta, int):
        # the 16-bit form: (real_type << 8 | low byte), length bits 8-9 folded, inverted,
        # into bits 12-13 (max_display_length_for_field)
        return (((meta >> 4) & 0x300) ^ 0x300) + (meta & 0xFF)
    raise ValueError(f"CHAR column without its length in the metadata: {meta!r}")


def _text_or_bytes(column: ColumnDef, hooks: dict, name: str, prefix: int) -> ValueCodec:
    logical = (column.logical_type or "").lower()
    if logical in hooks:
        decode, encode = hooks[logical]
        return ValueCodec(f"{logical.upper()}", prefix=prefix, decode=decode, encode=encode)
    encoding = python_encoding(column.charset)
    if column.charset is None and hooks.get("default_charset") is not None:
        encoding = python_encoding(hooks["default_charset"])
    if encoding is None:
        return ValueCodec(name, prefix=prefix, decode=_raw_bytes, encode=_encode_raw, raw=True)
    return ValueCodec(name, prefix=prefix, encoding=encoding,
                      decode=text_decoder(encoding), encode=text_encoder(encoding))


def _enum(column: ColumnDef, size: int) -> ValueCodec:
    # Field_enum::pack: the 1-based index (0: the empty "error" value), little-endian.
    values = column.enum_values

    def decode(b):
        index = int.from_bytes(b, "little")
        if values is None:
            return index
        if index == 0:
            return ""
        if index <= len(values):
            return values[index - 1]
        return index

    def encode(v):
        if isinstance(v, str):
            index = 0 if v == "" else (values or ()).index(v) + 1
        else:
            index = int(v)
        return index.to_bytes(size, "little")

    return ValueCodec(f"ENUM({size} byte{'s' if size > 1 else ''})", size=size, decode=decode,
                      encode=_passthrough(encode))


def _set(column: ColumnDef, size: int) -> ValueCodec:
    # Field_set::pack: the bitmask of members, bit 0 for the first, little-endian.
    values = column.set_values

    def decode(b):
        mask = int.from_bytes(b, "little")
        if values is None or mask >> len(values):
            return mask
        return frozenset(v for i, v in enumerate(values) if mask >> i & 1)

    def encode(v):
        if isinstance(v, int):
            mask = v
        else:
            mask = 0
            for member in v:
                mask |= 1 << (values or ()).index(member)
        return mask.to_bytes(size, "little")

    return ValueCodec(f"SET({size} bytes)", size=size, decode=decode, encode=_passthrough(encode))


def _string(column: ColumnDef, hooks: dict) -> ValueCodec:
    real = column.real_type
    if real in (MYSQL_TYPE_ENUM, MYSQL_TYPE_SET):
        size = _get(column.metadata, "length") if _has(column.metadata, "length") else (
            (column.metadata or 0) & 0xFF)
        if real == MYSQL_TYPE_ENUM:
            return _enum(column, size)
        return _set(column, size)
    length = _string_length(column)
    prefix = 2 if length > 255 else 1
    codec = _text_or_bytes(column, hooks, f"CHAR({length} bytes)", prefix)
    if column.charset == BINARY_COLLATION and not column.logical_type:
        return _binary_char(length, prefix)
    return codec


def _binary_char(length: int, prefix: int) -> ValueCodec:
    # BINARY(n): Field_string::pack drops the trailing pad characters, which for the
    # binary charset are zero bytes; the value is the n bytes with them put back.
    def decode(b):
        return bytes(b).ljust(length, b"\0")

    def encode(v):
        return bytes(v).rstrip(b"\0")

    return ValueCodec(f"BINARY({length})", prefix=prefix, decode=decode, encode=encode)


def _varchar(column: ColumnDef, hooks: dict) -> ValueCodec:
    if column.type == MYSQL_TYPE_VAR_STRING and _has(column.metadata, "length"):
        maximum = _get(column.metadata, "length")
    else:
        maximum = _int_meta(column, "maximum length")
    prefix = 2 if maximum > 255 else 1
    return _text_or_bytes(column, hooks, f"VARCHAR({maximum} bytes)", prefix)


def _pack_length(column: ColumnDef, default: int) -> int:
    meta = column.metadata
    length = meta if isinstance(meta, int) and not isinstance(meta, bool) else default
    if length not in (1, 2, 3, 4):
        raise ValueError(f"{_type_name(column.type)}: length prefix of {length} bytes")
    return length


_BLOB_NAMES = {1: "TINYBLOB", 2: "BLOB", 3: "MEDIUMBLOB", 4: "LONGBLOB"}
_BLOB_DEFAULT_PREFIX = {MYSQL_TYPE_TINY_BLOB: 1, MYSQL_TYPE_MEDIUM_BLOB: 3,
                        MYSQL_TYPE_LONG_BLOB: 4, MYSQL_TYPE_BLOB: 2}


def _blob(column: ColumnDef, hooks: dict) -> ValueCodec:
    prefix = _pack_length(column, _BLOB_DEFAULT_PREFIX.get(column.type, 2))
    return _text_or_bytes(column, hooks, _BLOB_NAMES[prefix], prefix)


def _json(column: ColumnDef, hooks: dict) -> ValueCodec:
    prefix = _pack_length(column, 4)
    decode, encode = hooks.get("json", (_raw_bytes, _encode_raw))
    return ValueCodec("JSON", prefix=prefix, decode=decode, encode=_passthrough(encode))


def _geometry(column: ColumnDef, hooks: dict) -> ValueCodec:
    prefix = _pack_length(column, 4)
    decode, encode = hooks.get("geometry", (_raw_bytes, _encode_raw))
    return ValueCodec("GEOMETRY", prefix=prefix, decode=decode, encode=_passthrough(encode))


def _vector(column: ColumnDef, hooks: dict) -> ValueCodec:
    # MySQL 9.0 VECTOR: little-endian float32 values, 4 bytes each.
    prefix = _pack_length(column, 4)

    def decode(b):
        if len(b) % 4:
            raise ValueError(f"VECTOR value of {len(b)} bytes, not a multiple of 4")
        return list(struct.unpack(f"<{len(b) // 4}f", b))

    def encode(v):
        return struct.pack(f"<{len(v)}f", *v)

    return ValueCodec("VECTOR", prefix=prefix, decode=decode, encode=_passthrough(encode))


def mariadb_column_uncompress(data: bytes) -> bytes:
    """A MariaDB compressed column value (``Field_longstr::uncompress``).

    Empty: the empty string.  Header byte 0: the value follows uncompressed.  Else the
    header is ``0x80 | wrap << 3 | n`` (method 8, zlib), then the original length in n
    bytes big-endian, then a zlib stream (raw deflate when bit 3 is set).
    """
    if not data:
        return b""
    head = data[0]
    if head >> 4 == 0:
        return bytes(data[1:])
    if head >> 4 != 8:
        raise ValueError(f"unknown column compression method {head >> 4}")
    lenlen = head & 7
    original = int.from_bytes(data[1:1 + lenlen], "big")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS if head & 8 else zlib.MAX_WBITS)
    out = inflater.decompress(data[1 + lenlen:], original + 1)
    if len(out) != original:
        raise ValueError(f"compressed column gives {len(out)} bytes, header says {original}")
    return out


def mariadb_column_compress(data: bytes, wrap: bool = False) -> bytes:
    """The inverse of :func:`mariadb_column_uncompress`: raw deflate (the server's
    default, ``column_compression_zlib_wrap=OFF``) or a zlib stream with ``wrap``."""
    if not data:
        return b""
    lenlen = max(1, (len(data).bit_length() + 7) // 8)
    deflater = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS if wrap else -zlib.MAX_WBITS)
    body = deflater.compress(data) + deflater.flush()
    head = 0x80 | lenlen | (0 if wrap else 8)
    packed = bytes((head,)) + len(data).to_bytes(lenlen, "big") + body
    # compress_zlib gives up when the result would not be shorter than the data (its
    # output buffer is the data's length); the value is then stored after a 0 byte.
    if len(data) > 1 and len(packed) <= len(data):
        return packed
    return b"\0" + bytes(data)


def _compressed(inner: ValueCodec) -> ValueCodec:
    def decode(b):
        return inner.decode(mariadb_column_uncompress(b))

    def encode(v):
        return mariadb_column_compress(inner.encode(v))

    # no pass-through of bytes here: bytes are the value of a binary column, and are
    # compressed like any other
    return ValueCodec(inner.name + " COMPRESSED", prefix=inner.prefix, decode=decode,
                      encode=encode)


def _blob_compressed(column: ColumnDef, hooks: dict) -> ValueCodec:
    return _compressed(_blob(column, hooks))


def _varchar_compressed(column: ColumnDef, hooks: dict) -> ValueCodec:
    return _compressed(_varchar(column, hooks))


def _unsupported(reason: str) -> Callable[[ColumnDef, dict], ValueCodec]:
    def build(column: ColumnDef, hooks: dict) -> ValueCodec:
        raise ValueError(reason)

    return build


# -- MariaDB plugin types travelling as BINARY(n) ------------------------------------


def _fixed_binary(size: int, to_value, from_value):
    # Packed as BINARY(n) (StringPack with the binary charset): trailing zero bytes
    # are dropped on the way out and put back on the way in.
    def decode(b):
        return to_value(bytes(b).ljust(size, b"\0")) if len(b) <= size else bytes(b)

    def encode(v):
        return from_value(v).rstrip(b"\0")

    return decode, _passthrough(encode)


def _uuid_hooks():
    import uuid

    return _fixed_binary(16, lambda b: uuid.UUID(bytes=b),
                         lambda v: (v if isinstance(v, uuid.UUID) else uuid.UUID(str(v))).bytes)


def _inet_hooks(size: int):
    import ipaddress

    cls = ipaddress.IPv6Address if size == 16 else ipaddress.IPv4Address
    return _fixed_binary(size, cls, lambda v: cls(v).packed)


LOGICAL_TYPES = {"uuid": _uuid_hooks, "inet6": lambda: _inet_hooks(16),
                 "inet4": lambda: _inet_hooks(4)}
"""MariaDB data-type plugins whose values the binlog carries as BINARY(n)."""


# == the declarations =================================================================

_T = TypeDecl
TYPE_DECLARATIONS: dict[int, TypeDecl] = {d.code: d for d in [
    _T(MYSQL_TYPE_DECIMAL, "DECIMAL (pre-5.0)", "metadata bytes (none written: unknown)",
       _old_decimal),
    _T(MYSQL_TYPE_TINY, "TINYINT", "1 byte", _integer(1, "TINYINT")),
    _T(MYSQL_TYPE_SHORT, "SMALLINT", "2 bytes LE", _integer(2, "SMALLINT")),
    _T(MYSQL_TYPE_LONG, "INT", "4 bytes LE", _integer(4, "INT")),
    _T(MYSQL_TYPE_FLOAT, "FLOAT", "metadata bytes (4): float32 LE", _float),
    _T(MYSQL_TYPE_DOUBLE, "DOUBLE", "metadata bytes (8): float64 LE", _double),
    _T(MYSQL_TYPE_NULL, "NULL", "0 bytes", _null),
    _T(MYSQL_TYPE_TIMESTAMP, "TIMESTAMP (pre-5.6.4)", "4 bytes LE seconds", _timestamp_old),
    _T(MYSQL_TYPE_LONGLONG, "BIGINT", "8 bytes LE", _integer(8, "BIGINT")),
    _T(MYSQL_TYPE_INT24, "MEDIUMINT", "3 bytes LE", _integer(3, "MEDIUMINT")),
    _T(MYSQL_TYPE_DATE, "DATE", "3 bytes LE: d | m << 5 | y << 9", _date_codec),
    _T(MYSQL_TYPE_TIME, "TIME (pre-5.6.4)", "3 bytes LE signed HHMMSS", _time_old),
    _T(MYSQL_TYPE_DATETIME, "DATETIME (pre-5.6.4)", "8 bytes LE YYYYMMDDhhmmss",
       _datetime_old),
    _T(MYSQL_TYPE_YEAR, "YEAR", "1 byte: year - 1900, 0 for 0000", _year),
    _T(MYSQL_TYPE_NEWDATE, "DATE", "3 bytes LE: d | m << 5 | y << 9", _date_codec),
    _T(MYSQL_TYPE_VARCHAR, "VARCHAR", "1-byte length (maximum <= 255) or 2-byte, then bytes",
       _varchar),
    _T(MYSQL_TYPE_BIT, "BIT", "metadata bytes + (bits > 0), big-endian", _bit),
    _T(MYSQL_TYPE_TIMESTAMP2, "TIMESTAMP", "4 bytes BE seconds + (fsp+1)//2 fraction",
       _timestamp2),
    _T(MYSQL_TYPE_DATETIME2, "DATETIME", "5 bytes BE packed + (fsp+1)//2 fraction", _datetime2),
    _T(MYSQL_TYPE_TIME2, "TIME", "3 bytes BE packed + (fsp+1)//2 fraction", _time2),
    _T(MYSQL_TYPE_TYPED_ARRAY, "TYPED_ARRAY", "not written to row images",
       _unsupported("MYSQL_TYPE_TYPED_ARRAY (multi-valued index) values are not logged")),
    _T(MYSQL_TYPE_BLOB_COMPRESSED, "BLOB COMPRESSED (MariaDB)",
       "metadata-byte length, then a compressed value", _blob_compressed),
    _T(MYSQL_TYPE_VARCHAR_COMPRESSED, "VARCHAR COMPRESSED (MariaDB)",
       "as VARCHAR, then a compressed value", _varchar_compressed),
    _T(MYSQL_TYPE_VECTOR, "VECTOR", "metadata-byte length, then float32 LE values", _vector),
    _T(MYSQL_TYPE_JSON, "JSON", "metadata-byte length, then MySQL binary JSON", _json),
    _T(MYSQL_TYPE_NEWDECIMAL, "DECIMAL", "decimal_bin_size(precision, scale) bytes",
       _newdecimal),
    _T(MYSQL_TYPE_ENUM, "ENUM", "metadata length (1-2) bytes LE index", _string),
    _T(MYSQL_TYPE_SET, "SET", "metadata length (1-8) bytes LE bitmask", _string),
    _T(MYSQL_TYPE_TINY_BLOB, "TINYBLOB", "metadata-byte length, then bytes", _blob),
    _T(MYSQL_TYPE_MEDIUM_BLOB, "MEDIUMBLOB", "metadata-byte length, then bytes", _blob),
    _T(MYSQL_TYPE_LONG_BLOB, "LONGBLOB", "metadata-byte length, then bytes", _blob),
    _T(MYSQL_TYPE_BLOB, "BLOB", "metadata-byte (1-4) length, then bytes", _blob),
    _T(MYSQL_TYPE_VAR_STRING, "VAR_STRING", "as CHAR", _string),
    _T(MYSQL_TYPE_STRING, "CHAR", "real type in metadata: ENUM/SET fixed, else 1-byte "
       "length (length <= 255) or 2-byte, then bytes", _string),
    _T(MYSQL_TYPE_GEOMETRY, "GEOMETRY", "metadata-byte length, then SRID (4 LE) + WKB",
       _geometry),
]}


def _type_name(code: int) -> str:
    decl = TYPE_DECLARATIONS.get(code)
    return decl.name if decl else f"type {code}"


def codec_for(column: ColumnDef, hooks: dict | None = None) -> ValueCodec:
    """The codec of one column.

    ``hooks`` supplies decoders this module leaves to others, as ``name: (decode,
    encode)``: ``"json"`` (MySQL binary JSON), ``"geometry"``; ``"default_charset"``
    (a collation id) is the charset assumed for text columns whose charset the table
    map does not give.  Without hooks JSON and GEOMETRY values stay bytes.  Raises
    ValueError for a type this module cannot size (TYPED_ARRAY, pre-5.0 DECIMAL
    without a length, an unknown type code).
    """
    hooks = dict(hooks or {})
    logical = (column.logical_type or "").lower()
    if logical in LOGICAL_TYPES and logical not in hooks:
        hooks[logical] = LOGICAL_TYPES[logical]()
    decl = TYPE_DECLARATIONS.get(column.type)
    if decl is None:
        raise ValueError(f"unknown column type {column.type}")
    return decl.build(column, hooks)
