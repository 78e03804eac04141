"""Packet framing: the 4-byte header, large payloads, the compressed protocol.

Sources: https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_packets.html,
https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_compression.html,
MySQL ``sql-common/net_serv.cc`` (``my_net_write``, ``net_write_buff``,
``my_net_read``, ``compress_packet``), ``mysys/my_compress.cc``
(``my_compress``: a payload under ``MIN_COMPRESS_LENGTH`` or one that does not
shrink is sent as is), and the MariaDB KB "0 - Packet" page.

Every payload travels in packets of ``int<3>`` payload_length, ``int<1>``
sequence_id, payload.  A payload of 2^24 - 1 bytes or more is cut into packets of
exactly 0xffffff bytes and a last, shorter one -- empty when the length is a
multiple of 0xffffff, which is how the reader knows the payload ended.  The
sequence id counts up by one per packet, modulo 256, within a command exchange.

With ``CLIENT_COMPRESS`` (zlib) or ``CLIENT_ZSTD_COMPRESSION_ALGORITHM`` the stream of
plain packets (headers included) is carried in compressed packets of ``int<3>``
compressed length, ``int<1>`` compressed sequence id, ``int<3>`` length before
compression; a length before compression of 0 means the bytes are not compressed.
A compressed packet may hold several plain packets or part of one.

Nothing here does I/O: :func:`split_packets` and :func:`compress_packets` return
bytes, :class:`PacketReader` and :class:`CompressedPacketReader` take bytes as
they arrive and hand out whole payloads.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from construct import Bytes, ConstructError, Struct, this

from spec.binlog.common import Auto
from spec.protocol.constants import MAX_PACKET_LENGTH, MIN_COMPRESS_LENGTH
from spec.wire import Int1, Int3

__all__ = [
    "FramingError",
    "PacketTooLargeError",
    "PacketSequenceError",
    "CompressedPacketError",
    "PacketHeader",
    "Packet",
    "CompressedPacketHeader",
    "packet_header",
    "split_packets",
    "frame",
    "PacketReader",
    "Codec",
    "ZLIB",
    "compress_packets",
    "CompressedPacketReader",
    "DEFAULT_MAX_PAYLOAD",
]

DEFAULT_MAX_PAYLOAD = 1 << 30
"""1 GiB, the largest ``max_allowed_packet``: the default bound on a joined payload."""


class FramingError(ConstructError):
    """Bytes that do not frame into packets."""


class PacketTooLargeError(FramingError):
    """A payload (all its packets joined) longer than the reader's bound."""


class PacketSequenceError(FramingError):
    """A packet whose sequence id is not the one expected."""


class CompressedPacketError(FramingError):
    """A compressed packet that does not decompress to its declared length."""


PacketHeader = Struct("payload_length" / Int3, "sequence_id" / Int1)

Packet = Struct(
    "payload_length" / Auto(Int3, lambda ctx: len(ctx.payload)),
    "sequence_id" / Int1,
    "payload" / Bytes(this.payload_length),
)
"""One packet on the wire (``payload_length`` computed when None)."""

CompressedPacketHeader = Struct(
    "compressed_length" / Int3,
    "compressed_sequence_id" / Int1,
    "uncompressed_length" / Int3,
)
"""The 7-byte header of the compressed protocol; ``uncompressed_length`` 0 = stored."""


def packet_header(length: int, seq: int) -> bytes:
    if not 0 <= length <= MAX_PACKET_LENGTH:
        raise ValueError(f"packet length {length} out of range")
    if not 0 <= seq <= 0xFF:
        raise ValueError(f"sequence id {seq} out of range")
    return length.to_bytes(3, "little") + bytes((seq,))


def split_packets(payload: bytes, seq: int = 0) -> list[bytes]:
    """``payload`` framed as packets (header and chunk each), sequence ids from ``seq``.

    Chunks are 0xffffff bytes but the last; a payload whose length is a multiple of
    0xffffff (including 0) ends with an empty packet.
    """
    view = memoryview(payload)
    packets = []
    start = 0
    while True:
        chunk = view[start:start + MAX_PACKET_LENGTH]
        packets.append(packet_header(len(chunk), seq) + chunk)
        seq = (seq + 1) & 0xFF
        start += len(chunk)
        if len(chunk) < MAX_PACKET_LENGTH:
            return packets


def frame(payload: bytes, seq: int = 0) -> bytes:
    """``payload`` as the bytes of its packets (see :func:`split_packets`)."""
    return b"".join(split_packets(payload, seq))


class PacketReader:
    """Sans-IO reader of plain packets: feed bytes, take ``(sequence_id, payload)``.

    Theory of operation: bytes are appended to a buffer; :meth:`next_packet` looks
    for a whole packet at the front.  A packet of 0xffffff bytes is a fragment: its
    body is set aside and the next packet continues the payload, which must carry the
    next sequence id.  The first packet shorter than 0xffffff ends the payload,
    returned whole with the sequence id of its first packet.  The joined length is
    checked against ``max_payload`` as each header arrives, before its body is
    buffered.

    ``expected_seq``, when set, is the sequence id the next payload must start with;
    it is cleared after each payload (a reader of one direction of a conversation
    sees gaps where the peer spoke).  ``next_seq`` is the id after the last packet.
    """

    def __init__(self, max_payload: int = DEFAULT_MAX_PAYLOAD):
        self.max_payload = max_payload
        self.expected_seq: int | None = None
        self.next_seq: int | None = None
        self._buf = bytearray()
        self._pos = 0
        self._fragments: list[bytes] = []
        self._joined = 0
        self._first_seq: int | None = None
        self._offset = 0  # stream offset of self._buf[0]
        self._header: tuple[int, int] | None = None  # parsed header awaiting its body
        self._need = 4  # buffer length at which next_packet can progress

    def feed(self, data: bytes) -> None:
        self._buf += data

    @property
    def buffered(self) -> int:
        """Bytes received and not yet handed out (partial packets included)."""
        return len(self._buf) - self._pos + self._joined

    @property
    def in_payload(self) -> bool:
        """True between packets of one large payload."""
        return bool(self._fragments)

    def next_packet(self) -> tuple[int, bytes] | None:
        """The next whole payload, or None until more bytes arrive."""
        while True:
            buf = self._buf
            if len(buf) < self._need:
                return None
            pos = self._pos
            if self._header is None:
                length = buf[pos] | buf[pos + 1] << 8 | buf[pos + 2] << 16
                seq = buf[pos + 3]
                self._check_header(length, seq, pos)
                self._header = (length, seq)
                self._need = pos + 4 + length
                if len(buf) < self._need:
                    return None
            length, seq = self._header
            body = bytes(buf[pos + 4:pos + 4 + length])
            self._header = None
            self._pos = pos + 4 + length
            self._compact()
            self._need = self._pos + 4
            self.next_seq = (seq + 1) & 0xFF
            if self._first_seq is None:
                self._first_seq = seq
            if length == MAX_PACKET_LENGTH:
                self._fragments.append(body)
                self._joined += length
                continue
            first = self._first_seq
            if self._fragments:
                self._fragments.append(body)
                body = b"".join(self._fragments)
            self._fragments = []
            self._joined = 0
            self._first_seq = None
            self.expected_seq = None
            return first, body

    def _check_header(self, length: int, seq: int, pos: int) -> None:
        where = self._offset + pos
        if self._fragments:
            want = self.next_seq
            if seq != want:
                raise PacketSequenceError(
                    f"packet at offset {where} continues a payload with sequence id "
                    f"{seq}, expected {want}")
        elif self.expected_seq is not None and seq != self.expected_seq:
            raise PacketSequenceError(f"packet at offset {where} has sequence id {seq}, "
                                      f"expected {self.expected_seq}")
        if self._joined + length > self.max_payload:
            raise PacketTooLargeError(
                f"payload at offset {where} exceeds {self.max_payload} bytes "
                f"({self._joined} joined + {length})")

    def _compact(self) -> None:
        if self._pos > 65536 and self._pos * 2 > len(self._buf):
            del self._buf[:self._pos]
            self._offset += self._pos
            self._pos = 0

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        while (packet := self.next_packet()) is not None:
            yield packet

    def read_all(self, data: bytes) -> list[tuple[int, bytes]]:
        """Feed ``data`` and return every payload it completes."""
        self.feed(data)
        return list(self)


# -- compressed protocol -------------------------------------------------------------


def _zlib_decompress(data: bytes, length: int) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, length + 1)
    except zlib.error as exc:
        raise CompressedPacketError(f"zlib: {exc}") from None
    if inflater.unconsumed_tail or not inflater.eof:
        raise CompressedPacketError(f"zlib data does not end after {length} bytes")
    return out


@dataclass(frozen=True)
class Codec:
    """A compression algorithm of the compressed protocol.

    ``compress(data) -> bytes``; ``decompress(data, length) -> bytes`` must return at
    most ``length + 1`` bytes (so a lying header cannot exhaust memory) and may raise
    any exception for bad data.  zstd (``CLIENT_ZSTD_COMPRESSION_ALGORITHM``) is not in
    the standard library: build a Codec from zstandard's functions.
    """

    name: str
    compress: Callable[[bytes], bytes]
    decompress: Callable[[bytes, int], bytes]


ZLIB = Codec("zlib", zlib.compress, _zlib_decompress)
"""``CLIENT_COMPRESS``: zlib (deflate with zlib header)."""


def compress_packets(data: bytes, seq: int = 0, codec: Codec = ZLIB,
                     min_length: int = MIN_COMPRESS_LENGTH) -> list[bytes]:
    """``data`` (plain packets, headers included) as compressed packets.

    Each compressed packet carries at most 0xffffff bytes of ``data``.  A chunk
    shorter than ``min_length``, or one that compression does not shrink, is stored
    with an uncompressed length of 0, as ``my_compress`` does.
    """
    view = memoryview(data)
    out = []
    start = 0
    while True:
        chunk = bytes(view[start:start + MAX_PACKET_LENGTH])
        start += len(chunk)
        body, original = chunk, 0
        if len(chunk) >= min_length:
            packed = codec.compress(chunk)
            if len(packed) < len(chunk):
                body, original = packed, len(chunk)
        out.append(len(body).to_bytes(3, "little") + bytes((seq,))
                   + original.to_bytes(3, "little") + body)
        seq = (seq + 1) & 0xFF
        if start >= len(data):
            return out


class CompressedPacketReader:
    """Sans-IO reader of compressed packets: feed bytes, take
    ``(compressed_sequence_id, data)`` with ``data`` decompressed.  The plain packets
    inside go to a :class:`PacketReader`, possibly split across compressed packets.

    Each decompression is bounded by the declared length (at most 0xffffff), and
    must give exactly that many bytes.
    """

    def __init__(self, codec: Codec = ZLIB):
        self.codec = codec
        self._buf = bytearray()
        self._offset = 0

    def feed(self, data: bytes) -> None:
        self._buf += data

    def next_packet(self) -> tuple[int, bytes] | None:
        buf = self._buf
        if len(buf) < 7:
            return None
        length = int.from_bytes(buf[0:3], "little")
        seq = buf[3]
        original = int.from_bytes(buf[4:7], "little")
        if len(buf) < 7 + length:
            return None
        body = bytes(buf[7:7 + length])
        where = self._offset
        del buf[:7 + length]
        self._offset += 7 + length
        if original == 0:
            return seq, body
        try:
            data = self.codec.decompress(body, original)
        except CompressedPacketError as exc:
            raise CompressedPacketError(f"compressed packet at offset {where}: {exc}") from None
        except Exception as exc:  # a pluggable codec's own errors
            raise CompressedPacketError(
                f"compressed packet at offset {where}: {self.codec.name}: {exc}") from None
        if len(data) != original:
            raise CompressedPacketError(
                f"compressed packet at offset {where} declares {original} bytes, "
                f"decompresses to {len(data)}{'+' if len(data) > original else ''}")
        return seq, data

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        while (packet := self.next_packet()) is not None:
            yield packet
