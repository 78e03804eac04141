"""Expanding and re-compressing compressed events.

MySQL's TRANSACTION_PAYLOAD_EVENT (``compressed="zstd-payload"``) carries a whole
transaction's events, without checksums, compressed with zstd (or stored, type
NONE).  :func:`expand` decompresses the payload -- bounded: a declared size over the
limit is refused before anything is decompressed, and decompression streams with a
cap, so a lying size or a zstd bomb ends in :class:`CompressionError`, never in a
huge allocation -- and parses the inner events into ``event.inner``.
:func:`compress_inner` is called by the writer before building such an event: it
re-serializes ``event.inner`` and, when the bytes differ from what was expanded,
compresses them again and marks the sizes for recomputation; unchanged inner events
leave the payload as it was read, byte for byte.

MariaDB's compressed query and rows events (``compressed="mariadb-zlib"``) are
decompressed by their schema (``spec.binlog.events.mariadb``); nothing is left to do
here for them.

Sources: MySQL ``libs/mysql/binlog/event/compression/zstd_dec.cpp``,
``control_events.cpp`` (``Transaction_payload_event``), ``sql/binlog_reader.cc``
(inner events are read with checksums off).
"""

from __future__ import annotations

import io
from typing import Any

import zstandard

from mysqlproto.errors import CompressionError, DecodeError
from spec.binlog.events.payload import NONE, ZSTD, forget_sizes

__all__ = ["expand", "compress_inner", "MAX_UNCOMPRESSED_SIZE"]

MAX_UNCOMPRESSED_SIZE = 1 << 30
"""1 GiB: the largest decompressed payload :func:`expand` accepts by default."""

_CHUNK = 1 << 16


def expand(event, spec, ctx, keep_raw: bool = False,
           max_size: int = MAX_UNCOMPRESSED_SIZE) -> None:
    """Decompress ``event``'s payload and parse its inner events into ``event.inner``.

    ``ctx`` is the reader's :class:`~mysqlproto.binlog.FormatContext`; the inner
    events are read under the same format with checksums off.  The decompressed bytes
    are kept on the event (``event._inner_bytes``) for :func:`compress_inner`.
    Raises :class:`CompressionError` naming the field at fault; the reader adds the
    offset and the event type.
    """
    if spec.compressed == "mariadb-zlib":
        return  # the schema already decompressed the query or rows
    if spec.compressed != "zstd-payload":
        raise CompressionError(f"unknown kind of compressed event {spec.compressed!r}")
    data = decompress_payload(event.body, max_size)
    event.inner = parse_inner(data, ctx, keep_raw)
    event._inner_bytes = data


def decompress_payload(body, max_size: int = MAX_UNCOMPRESSED_SIZE) -> bytes:
    """The inner events' bytes of a TRANSACTION_PAYLOAD body."""
    ctype = body.get("compression_type")
    payload = bytes(body.get("payload") or b"")
    if ctype == NONE:
        return payload
    if ctype != ZSTD:
        raise CompressionError(f"unknown compression type {ctype}", field="compression_type")
    declared = body.get("uncompressed_size")
    if declared is not None and declared > max_size:
        raise CompressionError(
            f"declared uncompressed size {declared} exceeds the limit of {max_size} bytes",
            field="uncompressed_size",
        )
    cap = max_size if declared is None else declared
    data = zstd_decompress(payload, cap)
    if declared is not None and len(data) != declared:
        raise CompressionError(
            f"payload decompresses to {len(data)} bytes, uncompressed_size says {declared}",
            field="uncompressed_size",
        )
    return data


def zstd_decompress(data: bytes, cap: int) -> bytes:
    """Decompress zstd frames, refusing output past ``cap`` bytes.

    Streams in chunks, so memory follows the actual output, never a size declared
    in a frame header.  Frames follow each other as in ``ZSTD_decompressStream``.
    """
    out = bytearray()
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(
            io.BytesIO(data), read_across_frames=True)
        with reader:
            while True:
                chunk = reader.read(min(_CHUNK, cap + 1 - len(out)))
                if not chunk:
                    break
                out += chunk
                if len(out) > cap:
                    raise CompressionError(
                        f"payload decompresses to more than {cap} bytes", field="payload")
    except zstandard.ZstdError as exc:
        raise CompressionError(f"zstd: {exc}", field="payload") from exc
    return bytes(out)


def parse_inner(data: bytes, ctx, keep_raw: bool) -> list:
    """The events packed in a decompressed payload (no magic, no checksums)."""
    from mysqlproto.binlog import BinlogReader

    reader = BinlogReader(expect_magic=False, context=ctx.without_checksums(),
                          keep_raw=keep_raw)
    reader.feed(data)
    reader.feed_eof()
    try:
        return list(reader)
    except DecodeError as exc:
        where = f" at inner offset {exc.offset}" if exc.offset is not None else ""
        what = f" ({exc.event_type})" if exc.event_type else ""
        raise CompressionError(f"inner event{what}{where}: {exc.reason}",
                               field="payload") from exc


def compress_inner(event, spec, ctx) -> None:
    """Bring ``event``'s payload in line with ``event.inner`` before it is built.

    Unchanged inner events keep the payload (and sizes) as read.  Otherwise the
    payload is replaced -- zstd-compressed unless the compression type is NONE --
    and ``uncompressed_size``, ``payload_size``, the event's size, position and
    checksum are left to be recomputed.
    """
    if spec.compressed != "zstd-payload" or event.inner is None:
        return
    from mysqlproto.binlog import encode_event

    inner_ctx = ctx.without_checksums()
    data = b"".join(encode_event(inner, inner_ctx, None) for inner in event.inner)
    if data == getattr(event, "_inner_bytes", None):
        return
    body: Any = event.body
    if body.get("compression_type") is None:
        body.compression_type = ZSTD
    if body.compression_type == NONE:
        body.payload = data
    else:
        body.payload = zstandard.ZstdCompressor().compress(data)
        body.uncompressed_size = len(data)
    body.extra = b""
    forget_sizes(body)
    event._inner_bytes = data
    event.event_size = None
    event.log_pos = None
    event.checksum = None
