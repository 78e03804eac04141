"""MariaDB's own events, codes 160-172.

MariaDB ``sql/log_event.h`` (``Log_event_type`` from ``MARIA_EVENTS_BEGIN``, the
``*_HEADER_LEN`` post-header lengths, ``Gtid_log_event``/``Gtid_list_log_event`` flag
bits), ``sql/log_event.cc`` (the reading constructors of ``Annotate_rows_log_event``,
``Binlog_checkpoint_log_event``, ``Gtid_log_event``, ``Gtid_list_log_event``,
``Start_encryption_log_event``, ``Rows_log_event``; ``binlog_buf_compress``,
``binlog_buf_uncompress``, ``query_event_uncompress``, ``row_log_event_uncompress``)
and ``sql/log_event_server.cc`` (``Gtid_log_event::write``: the GTID data is padded
with zeros to ``GTID_HEADER_LEN`` = 19).  PARTIAL_ROW_DATA_EVENT (172, MariaDB 12.3,
MDEV-32570): its server source was not available to us; its layout follows the
MariaDB documentation page "PARTIAL_ROW_DATA_EVENT" (mariadb.com/docs, client/server
protocol, replication protocol).

Compressed events (``log_bin_compress``): QUERY_COMPRESSED_EVENT is the QUERY_EVENT
layout whose statement is compressed; the *_ROWS_COMPRESSED_EVENT[_V1] types are the
rows layouts whose row images are compressed.  A compressed block is one header byte
``0x80 | n`` (bits 4-6: algorithm, 0 = zlib; bits 0-2: n, the byte count of the
uncompressed length), the uncompressed length in n bytes big-endian, then a zlib
stream.  :class:`MariaDBCompressed` decompresses on parse -- refusing a declared
length over :data:`MAX_UNCOMPRESSED_SIZE` and never allocating by the declared
length -- into a ``bytes`` (or ``str``) value that remembers its wire bytes: built
unchanged, the original bytes are written back; replaced by plain bytes or text, the
value is compressed afresh the way the server does (``compress()``, zlib's default
level, shortest length field).
"""

from __future__ import annotations

import zlib

from construct import (
    Adapter,
    Array,
    BitsInteger,
    BitStruct,
    ByteSwapped,
    Construct,
    ConstructError,
    GreedyBytes,
    If,
    SizeofError,
    stream_read,
    stream_tell,
    stream_write,
    this,
)

from spec.binlog.common import Auto, Extra, PostHeaderSurplus, Text, When, encoded_len
from spec.binlog.events.query import QueryEvent
from spec.binlog.events.rows import RowsEvent
from spec.binlog.eventspec import EventSpec
from spec.wire import Bytes, Int1, Int4, Int8, Struct, Tail, remaining

# -- the compressed block ----------------------------------------------------------

MAX_UNCOMPRESSED_SIZE = 1 << 30
"""1 GiB (``MAX_MAX_ALLOWED_PACKET``): the largest declared length accepted."""

BINLOG_COMPRESSED_HEADER_LEN = 1
BINLOG_COMPRESSED_ORIGINAL_LENGTH_MAX_BYTES = 4


class CompressedDataError(ConstructError):
    """A compressed block that does not decompress to what its header declares."""


class CompressedBytes(bytes):
    """Decompressed bytes that remember the compressed block they came from (``wire``)."""

    wire: bytes | None = None

    def __new__(cls, data: bytes, wire: bytes | None = None):
        obj = super().__new__(cls, data)
        obj.wire = wire
        return obj


class CompressedText(str):
    """Decompressed text (valid UTF-8) that remembers its compressed block (``wire``)."""

    wire: bytes | None = None

    def __new__(cls, text: str, wire: bytes | None = None):
        obj = super().__new__(cls, text)
        obj.wire = wire
        return obj


def mariadb_uncompress(block: bytes, max_size: int = MAX_UNCOMPRESSED_SIZE) -> bytes:
    """``binlog_buf_uncompress``: the data of one compressed block, bounded.

    Raises :class:`CompressedDataError` for a block that is not compressed, an
    unknown algorithm, a length field of a bad size, a declared length over
    ``max_size``, or zlib data that does not give exactly the declared length.
    """
    if not block:
        raise CompressedDataError("empty compressed block")
    head = block[0]
    if not head & 0x80:
        raise CompressedDataError(f"header byte 0x{head:02x} lacks the compressed bit 0x80")
    algorithm = (head & 0x70) >> 4
    if algorithm != 0:
        raise CompressedDataError(f"unknown compression algorithm {algorithm} (0 is zlib)")
    lenlen = head & 0x07
    if not 1 <= lenlen <= BINLOG_COMPRESSED_ORIGINAL_LENGTH_MAX_BYTES or len(block) < 1 + lenlen:
        raise CompressedDataError(f"bad length field size {lenlen}")
    declared = int.from_bytes(block[1 : 1 + lenlen], "big")
    if declared > max_size:
        raise CompressedDataError(
            f"declared uncompressed length {declared} exceeds the limit of {max_size} bytes")
    inflater = zlib.decompressobj()
    try:
        # max_length bounds the output whatever the stream holds; one byte more than
        # declared is enough to tell an overlong stream.
        data = inflater.decompress(block[1 + lenlen :], declared + 1)
    except zlib.error as exc:
        raise CompressedDataError(f"zlib: {exc}") from exc
    if len(data) > declared or not inflater.eof:
        raise CompressedDataError(
            f"zlib data does not end at the declared uncompressed length {declared}")
    if len(data) != declared:
        raise CompressedDataError(
            f"zlib data gives {len(data)} bytes, the header declares {declared}")
    return data


def mariadb_compress(data: bytes) -> bytes:
    """``binlog_buf_compress``: header byte, big-endian length, zlib ``compress()``."""
    size = len(data)
    lenlen = max(1, (size.bit_length() + 7) // 8)
    if lenlen > BINLOG_COMPRESSED_ORIGINAL_LENGTH_MAX_BYTES:
        raise ValueError(f"cannot compress {size} bytes: the length field holds 4 bytes")
    return bytes((0x80 | lenlen,)) + size.to_bytes(lenlen, "big") + zlib.compress(data)


class MariaDBCompressed(Adapter):
    """A compressed block (to the end of the body) shown decompressed.

    ``text``: decode valid UTF-8 to :class:`CompressedText` (the statement of
    QUERY_COMPRESSED_EVENT), else :class:`CompressedBytes`.
    """

    def __init__(self, subcon: Construct = GreedyBytes, *, text: bool = False):
        super().__init__(subcon)
        self.text = text

    def _decode(self, obj, context, path):
        data = mariadb_uncompress(obj)
        if self.text:
            try:
                return CompressedText(data.decode("utf-8"), obj)
            except UnicodeDecodeError:
                pass
        return CompressedBytes(data, obj)

    def _encode(self, obj, context, path):
        wire = getattr(obj, "wire", None)
        if wire is not None:
            return wire
        if isinstance(obj, str):
            obj = obj.encode("utf-8")
        return mariadb_compress(bytes(obj))


# -- 160 ANNOTATE_ROWS_EVENT ---------------------------------------------------------

AnnotateRowsEvent = Struct(
    "query" / Text(GreedyBytes),
)
"""ANNOTATE_ROWS_EVENT body: the statement behind the row events that follow.

The server reads it from the end of the common header, whatever the post-header
length (``Annotate_rows_log_event::Annotate_rows_log_event``)."""

# -- 161 BINLOG_CHECKPOINT_EVENT -----------------------------------------------------

BINLOG_CHECKPOINT_HEADER_LEN = 4

BinlogCheckpointEvent = Struct(
    # post-header (BINLOG_CHECKPOINT_HEADER_LEN = 4)
    "binlog_file_len" / Auto(Int4, lambda ctx: encoded_len(ctx.binlog_file_name)),
    "post_header_extra" / PostHeaderSurplus(BINLOG_CHECKPOINT_HEADER_LEN),
    # body
    "binlog_file_name" / Text(Bytes(this.binlog_file_len)),
    "extra" / Extra,
)
"""BINLOG_CHECKPOINT_EVENT body: the oldest binlog file XA recovery still needs."""

# -- 162 GTID_EVENT -------------------------------------------------------------------

GTID_HEADER_LEN = 19

# Gtid_log_event flags2
FL_STANDALONE = 0x01
FL_GROUP_COMMIT_ID = 0x02
FL_TRANSACTIONAL = 0x04
FL_ALLOW_PARALLEL = 0x08
FL_WAITED = 0x10
FL_DDL = 0x20
FL_PREPARED_XA = 0x40
FL_COMPLETED_XA = 0x80
# Gtid_log_event flags_extra
FL_EXTRA_MULTI_ENGINE_E1 = 0x01  # 10.5
FL_START_ALTER_E1 = 0x02  # 10.8
FL_COMMIT_ALTER_E1 = 0x04  # 10.8
FL_ROLLBACK_ALTER_E1 = 0x08  # 10.8
FL_EXTRA_THREAD_ID = 0x10  # 11.5, MDEV-7850


class PadTo(Construct):
    """The bytes left at the end of a body, kept raw; zeros up to ``size`` when built
    from None.

    ``Gtid_log_event::write`` pads the GTID data with zeros to ``GTID_HEADER_LEN``;
    a crafted event that leaves this None gets the same padding.
    """

    def __init__(self, size: int):
        super().__init__()
        self.size = size
        self.flagbuildnone = True

    def _parse(self, stream, context, path):
        return stream_read(stream, remaining(stream) or 0, path)

    def _build(self, obj, stream, context, path):
        if obj is None:
            obj = bytes(max(0, self.size - stream_tell(stream, path)))
        stream_write(stream, obj, len(obj), path)
        return obj

    def _sizeof(self, context, path):
        raise SizeofError("padding has a variable size", path=path)


def _flags_extra(ctx) -> int:
    return ctx["flags_extra"] or 0


Xid = Struct(
    "format_id" / Int4,
    "gtrid_length" / Auto(Int1, lambda ctx: len(ctx.gtrid)),
    "bqual_length" / Auto(Int1, lambda ctx: len(ctx.bqual)),
    "gtrid" / Bytes(this.gtrid_length),
    "bqual" / Bytes(this.bqual_length),
)
"""An XA transaction id (``XID``): format id, global transaction id, branch qualifier."""

GtidEvent = Struct(
    "seq_no" / Int8,
    "domain_id" / Int4,
    "flags2" / Int1,
    "commit_id" / If(this.flags2 & FL_GROUP_COMMIT_ID, Int8),
    "xid" / If(this.flags2 & (FL_PREPARED_XA | FL_COMPLETED_XA), Xid),
    # Read "if bytes remain" (Gtid_log_event::Gtid_log_event): from a server that
    # wrote no flags_extra this is the first byte of the zero padding, so 0.
    "flags_extra" / Tail(Int1),
    "extra_engines" / When(lambda ctx: _flags_extra(ctx) & FL_EXTRA_MULTI_ENGINE_E1, Int1),
    "sa_seq_no" / When(lambda ctx: _flags_extra(ctx) & (FL_COMMIT_ALTER_E1 | FL_ROLLBACK_ALTER_E1),
                       Int8),
    "thread_id" / When(lambda ctx: _flags_extra(ctx) & FL_EXTRA_THREAD_ID, Int4),
    "extra" / PadTo(GTID_HEADER_LEN),
)
"""GTID_EVENT body.  The server id of the GTID is the common header's.

``extra`` holds the zero padding to 19 bytes (and anything a newer server appends).
``thread_id`` is read as 4 bytes: that is what the 11.8 binlogs of the corpus hold
(flags_extra 0x10, 4 bytes, one byte of padding); the server source of MDEV-7850 was
not available to confirm it."""

# -- 163 GTID_LIST_EVENT -------------------------------------------------------------

# Gtid_list_log_event::gl_flags (the top 4 bits of the count field)
FLAG_UNTIL_REACHED = 0x1
FLAG_IGN_GTIDS = 0x2

GtidListEntry = Struct(
    "domain_id" / Int4,
    "server_id" / Int4,
    "seq_no" / Int8,
)

GtidListEvent = Struct(
    # post-header (GTID_LIST_HEADER_LEN = 4): count in the low 28 bits, flags above.
    # The list follows at once: the server reads it from offset 4, not from the
    # post-header length.
    "count_and_flags" / ByteSwapped(BitStruct(
        "gl_flags" / BitsInteger(4),
        "count" / Auto(BitsInteger(28), lambda ctx: len(ctx._.gtids)),
    )),
    "gtids" / Array(this.count_and_flags.count, GtidListEntry),
    "extra" / Extra,
)
"""GTID_LIST_EVENT body: the last GTID of each (domain, server) in earlier binlogs."""

# -- 164 START_ENCRYPTION_EVENT ------------------------------------------------------

BINLOG_NONCE_LENGTH = 12

StartEncryptionEvent = Struct(
    "crypto_scheme" / Int1,
    "key_version" / Int4,
    "nonce" / Bytes(BINLOG_NONCE_LENGTH),
    "extra" / Extra,
)
"""START_ENCRYPTION_EVENT body.  The events after it in the file are encrypted."""

# -- 165 QUERY_COMPRESSED_EVENT ------------------------------------------------------

if QueryEvent.subcons[-1].name != "query":  # pragma: no cover - guards the reuse below
    raise ImportError("QueryEvent no longer ends with its statement")

QueryCompressedEvent = Struct(
    *QueryEvent.subcons[:-1],
    "query" / MariaDBCompressed(GreedyBytes, text=True),
)
"""QUERY_COMPRESSED_EVENT body: QUERY_EVENT's, with ``query`` compressed on the wire."""

# -- 166-171 compressed rows events --------------------------------------------------


def _compressed_rows(*, v2: bool, after_image: bool):
    return RowsEvent(v2_default=v2, after_image=after_image, rows=MariaDBCompressed())


WriteRowsCompressedEventV1 = _compressed_rows(v2=False, after_image=False)
UpdateRowsCompressedEventV1 = _compressed_rows(v2=False, after_image=True)
DeleteRowsCompressedEventV1 = _compressed_rows(v2=False, after_image=False)
WriteRowsCompressedEvent = _compressed_rows(v2=True, after_image=False)
UpdateRowsCompressedEvent = _compressed_rows(v2=True, after_image=True)
DeleteRowsCompressedEvent = _compressed_rows(v2=True, after_image=False)

# -- 172 PARTIAL_ROW_DATA_EVENT ------------------------------------------------------

FL_ORIG_EVENT_SIZE = 0x01

PartialRowDataEvent = Struct(
    "total_fragments" / Int4,
    "seq_no" / Int4,
    "flags" / Int1,
    "orig_event_size" / If(this.flags & FL_ORIG_EVENT_SIZE, Int8),
    "data" / GreedyBytes,
)
"""PARTIAL_ROW_DATA_EVENT body (``Partial_rows_log_event``, MariaDB 12.3): one
fragment of a rows event too large for ``slave_max_allowed_packet``.  ``seq_no``
counts from 1; the first fragment carries the reassembled event's size."""

SPECS = [
    EventSpec(160, "ANNOTATE_ROWS_EVENT", AnnotateRowsEvent,
              doc="The statement behind the following row events"),
    EventSpec(161, "BINLOG_CHECKPOINT_EVENT", BinlogCheckpointEvent,
              doc="Oldest binlog file still needed for crash recovery"),
    EventSpec(162, "GTID_EVENT", GtidEvent, doc="Starts an event group, with its GTID"),
    EventSpec(163, "GTID_LIST_EVENT", GtidListEvent,
              doc="GTID state at the start of a binlog file"),
    EventSpec(164, "START_ENCRYPTION_EVENT", StartEncryptionEvent,
              doc="The following events are encrypted"),
    EventSpec(165, "QUERY_COMPRESSED_EVENT", QueryCompressedEvent,
              doc="QUERY_EVENT with the statement zlib-compressed", compressed="mariadb-zlib"),
    EventSpec(166, "WRITE_ROWS_COMPRESSED_EVENT_V1", WriteRowsCompressedEventV1,
              doc="Inserted rows, compressed (v1)", compressed="mariadb-zlib"),
    EventSpec(167, "UPDATE_ROWS_COMPRESSED_EVENT_V1", UpdateRowsCompressedEventV1,
              doc="Updated rows, compressed (v1)", compressed="mariadb-zlib"),
    EventSpec(168, "DELETE_ROWS_COMPRESSED_EVENT_V1", DeleteRowsCompressedEventV1,
              doc="Deleted rows, compressed (v1)", compressed="mariadb-zlib"),
    EventSpec(169, "WRITE_ROWS_COMPRESSED_EVENT", WriteRowsCompressedEvent,
              doc="Inserted rows, compressed (v2)", compressed="mariadb-zlib"),
    EventSpec(170, "UPDATE_ROWS_COMPRESSED_EVENT", UpdateRowsCompressedEvent,
              doc="Updated rows, compressed (v2)", compressed="mariadb-zlib"),
    EventSpec(171, "DELETE_ROWS_COMPRESSED_EVENT", DeleteRowsCompressedEvent,
              doc="Deleted rows, compressed (v2)", compressed="mariadb-zlib"),
    EventSpec(172, "PARTIAL_ROW_DATA_EVENT", PartialRowDataEvent,
              doc="A fragment of a large rows event (MariaDB 12.3)"),
]
