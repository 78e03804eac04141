"""Binlog reading and writing, sans-IO.

Theory of operation
-------------------
A binlog file is the 4 magic bytes then events.  Each event is a common header (19
bytes in binlog v3/v4, 13 in v1), a body, and -- when the format description event
(FDE) in force names CRC32 -- a 4-byte checksum.  How to cut and read a body depends
on that FDE: the header length, the post-header length of each type code, the checksum
algorithm, and the server (MySQL or MariaDB) that wrote it.  :class:`FormatContext`
holds what the FDE in force says; the reader and the writer each keep one and replace
it whenever an FDE goes by, so both read and write post-header lengths from the FDE,
never from literals.

:class:`BinlogReader` takes bytes (``feed``) and hands out :class:`Event` objects
(``next_event`` or iteration); it does no I/O.  It buffers at most one event past what
it has handed out and refuses an event longer than ``max_event_size`` before reading
it, so memory stays bounded whatever a length field says.  :func:`read_binlog` drives
it over a path (``.gz`` too), bytes, or a binary file object.

:class:`BinlogWriter` does the reverse: events in, bytes out, filling in what a
crafted event leaves as None (``event_size``, ``log_pos``, ``checksum``).

Errors in the input raise :class:`~mysqlproto.errors.DecodeError` subclasses naming
the offset, the event type and the field; with ``on_error="skip"`` the reader instead
yields a :class:`CorruptEvent` for the bad event and goes on with the next one.
"""

from __future__ import annotations

import gzip
import io
import os
import struct
import zlib
from collections.abc import Iterable, Iterator
from typing import IO, Any, Literal

from construct import Container

from mysqlproto.errors import (
    BadMagicError,
    ChecksumError,
    CompressionError,
    DecodeError,
    EventBodyError,
    EventLengthError,
    TruncatedError,
    UsageError,
)
from mysqlproto.events import CorruptEvent, Event, UnknownEvent
from mysqlproto.registry import MYSQL, Flavour, flavour_for_server_version
from spec.binlog.constants import (
    BINLOG_CHECKSUM_LEN,
    BINLOG_MAGIC,
    LOG_EVENT_HEADER_LEN,
    OLD_HEADER_LEN,
    ChecksumAlg,
    EventFlag,
    MySQLEventType,
    event_type_name,
)
from spec.binlog.events.fde import (
    event_type_permutation,
    has_checksum_alg,
    old_post_header_lengths,
    server_version_text,
)
from spec.binlog.events.mariadb import CompressedDataError

__all__ = [
    "FormatContext",
    "BinlogReader",
    "BinlogWriter",
    "read_binlog",
    "write_binlog",
    "encode_event",
    "DEFAULT_MAX_EVENT_SIZE",
]

FDE = MySQLEventType.FORMAT_DESCRIPTION_EVENT
START_V3 = MySQLEventType.START_EVENT_V3
CRC32 = ChecksumAlg.BINLOG_CHECKSUM_ALG_CRC32
IN_USE = EventFlag.LOG_EVENT_BINLOG_IN_USE_F

DEFAULT_MAX_EVENT_SIZE = 1 << 30
"""1 GiB: the largest ``max_allowed_packet`` a server accepts, so no real event is larger."""

_HEADER_V4 = struct.Struct("<IBIIIH")
_HEADER_V1 = struct.Struct("<IBII")
_FDE_VERSION_SLICE = slice(2, 52)  # server_version inside the FDE/START_V3 body


class FormatContext:
    """What the format description in force says about the events that follow."""

    __slots__ = (
        "binlog_version",
        "header_len",
        "post_header_lengths",
        "checksum_alg",
        "server_version",
        "flavour",
        "permutation",
        "_params",
        "_specs",
    )

    def __init__(
        self,
        *,
        binlog_version: int = 4,
        header_len: int = LOG_EVENT_HEADER_LEN,
        post_header_lengths: list[int] | None = None,
        checksum_alg: int = ChecksumAlg.BINLOG_CHECKSUM_ALG_OFF,
        server_version: str = "",
        flavour: Flavour = MYSQL,
        permutation: tuple[int, ...] | None = None,
    ) -> None:
        self.binlog_version = binlog_version
        self.header_len = header_len
        self.post_header_lengths = post_header_lengths
        self.checksum_alg = checksum_alg
        self.server_version = server_version
        self.flavour = flavour
        self.permutation = permutation
        self._params: dict[int, dict[str, Any]] = {}
        # code as written -> (flavour, permutation, spec): spec_for runs on every event
        self._specs: dict[int, tuple[Any, Any, Any]] = {}

    @classmethod
    def for_old_binlog(cls, binlog_version: int, flavour: Flavour = MYSQL) -> FormatContext:
        """The implied format of binlog v1 (3.23) or v3 (4.0), which have no FDE."""
        return cls(
            binlog_version=binlog_version,
            header_len=OLD_HEADER_LEN if binlog_version == 1 else LOG_EVENT_HEADER_LEN,
            post_header_lengths=old_post_header_lengths(binlog_version),
            server_version="3.23" if binlog_version == 1 else "4.0",
            flavour=flavour,
        )

    @classmethod
    def from_fde(cls, body: Container, flavour: Flavour | None = None) -> FormatContext:
        """The format a parsed FORMAT_DESCRIPTION_EVENT body describes.

        ``flavour`` forces the event registry; by default it follows the server
        version (MariaDB or MySQL).
        """
        version = server_version_text(body["server_version"])
        alg = body.get("checksum_alg")
        table = list(body["post_header_lengths"])
        permutation = event_type_permutation(version, len(table))
        if permutation:
            # The table is indexed by the file's codes; re-index it by today's.
            permuted = list(table)
            for file_code in range(1, len(table) + 1):
                permuted[permutation[file_code] - 1] = table[file_code - 1]
            table = permuted
        return cls(
            binlog_version=body["binlog_version"],
            header_len=body["header_length"],
            post_header_lengths=table,
            permutation=permutation,
            checksum_alg=CRC32 if alg == CRC32 else ChecksumAlg.BINLOG_CHECKSUM_ALG_OFF,
            server_version=version,
            flavour=flavour or flavour_for_server_version(version),
        )

    def canonical(self, code: int) -> int:
        """Today's type code for a code as written in the file (see ``permutation``)."""
        perm = self.permutation
        if perm is not None and code < len(perm):
            return perm[code]
        return code

    def spec_for(self, code: int):
        """The event spec for a code as written in the file."""
        known = self._specs.get(code)
        if known is not None and known[0] is self.flavour and known[1] is self.permutation:
            return known[2]
        spec = self.flavour.spec_for(self.canonical(code))
        self._specs[code] = (self.flavour, self.permutation, spec)
        return spec

    @property
    def has_checksums(self) -> bool:
        return self.checksum_alg == CRC32

    def post_header_len(self, code: int) -> int | None:
        table = self.post_header_lengths
        if table is None or not 1 <= code <= len(table):
            return None
        return table[code - 1]

    def params(self, code: int) -> dict[str, Any]:
        """Context parameters for parsing or building a body of file type ``code``."""
        params = self._params.get(code)
        if params is None:
            params = self._params[code] = {
                "post_header_len": self.post_header_len(self.canonical(code)),
                "header_len": self.header_len,
                "binlog_version": self.binlog_version,
                "server_version": self.server_version,
            }
        return params

    def without_checksums(self) -> FormatContext:
        """The same format with checksums off: the inner events of a compressed payload."""
        return FormatContext(
            binlog_version=self.binlog_version,
            header_len=self.header_len,
            post_header_lengths=self.post_header_lengths,
            server_version=self.server_version,
            flavour=self.flavour,
            permutation=self.permutation,
        )


def _error_path(exc: Exception) -> str | None:
    path = getattr(exc, "path", None)
    if not path:
        return None
    path = path.replace("(parsing)", "").replace("(building)", "").strip()
    parts = [p.strip() for p in path.split("->") if p.strip()]
    return ".".join(parts) or None


def _error_reason(exc: Exception) -> str:
    text = str(exc)
    # construct prefixes its messages with the path; it is reported as ``field``.
    if "\n" in text:
        text = text.splitlines()[-1]
    path = getattr(exc, "path", None)
    if path and text.startswith(path):
        text = text[len(path) :].lstrip(" :")
    return text or type(exc).__name__


def decode_body(spec_schema, body: bytes, params: dict[str, Any]):
    """Parse one body with its schema; every byte must be accounted for."""
    stream = io.BytesIO(body)
    value = spec_schema.parse_stream(stream, **params)
    left = len(body) - stream.tell()
    if left:
        raise EventBodyError(f"{left} bytes after the last field the schema knows")
    return value


def _decode_with(spec, body: bytes, params: dict[str, Any]):
    """Decode with the compiled parser; on any failure decode again with the
    interpreted schema, whose errors name the field at fault (compiled code reports
    no path), and which has the last word."""
    try:
        return decode_body(spec.parser, body, params)
    except Exception:
        if spec.parser is spec.schema:
            raise
    return decode_body(spec.schema, body, params)


def compute_crc(data: bytes | bytearray, is_fde: bool) -> int:
    """CRC32 of an event's bytes before the checksum.

    The FDE's checksum is computed with LOG_EVENT_BINLOG_IN_USE_F cleared: the server
    sets that flag while the file is open and clears it on close, without rewriting
    the checksum (sql/binlog.cc, MYSQL_BIN_LOG::open_binlog / close).
    """
    if is_fde and data[17] & IN_USE:
        data = bytearray(data)
        data[17] &= ~IN_USE & 0xFF
    return zlib.crc32(data) & 0xFFFFFFFF


class BinlogReader:
    """Sans-IO binlog decoder: ``feed`` bytes, take events.

    Parameters
    ----------
    flavour:
        The event registry to decode with.  None follows each FDE's server version
        (MySQL or MariaDB); a vendor flavour forces its own events.
    expect_magic:
        True for files (they open with ``\\xfebin``); False for a replication stream.
    verify_checksums:
        Check the CRC32 of every event when the FDE in force names CRC32.
    on_error:
        ``"raise"`` stops at the first bad event with a :class:`DecodeError`;
        ``"skip"`` yields a :class:`CorruptEvent` for it and goes on.
    max_event_size:
        An event declaring more is refused before any of it is buffered.
    expand_compressed:
        Decompress TRANSACTION_PAYLOAD and MariaDB compressed events into
        ``event.inner`` / decompressed fields.
    keep_raw:
        Attach each event's bytes as ``event.raw`` (for round-trip checks).
    source:
        A name for error messages (the file path).
    start_offset:
        The absolute offset of the first byte fed (a stream joined mid-file).
    """

    def __init__(
        self,
        *,
        flavour: Flavour | None = None,
        expect_magic: bool = True,
        verify_checksums: bool = True,
        on_error: Literal["raise", "skip"] = "raise",
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        expand_compressed: bool = True,
        keep_raw: bool = False,
        source: str | None = None,
        start_offset: int = 0,
        context: FormatContext | None = None,
    ) -> None:
        if on_error not in ("raise", "skip"):
            raise UsageError(f"on_error must be 'raise' or 'skip', not {on_error!r}")
        self.forced_flavour = flavour
        self.context = context or FormatContext(flavour=flavour or MYSQL)
        self.verify_checksums = verify_checksums
        self.on_error = on_error
        self.max_event_size = max_event_size
        self.expand_compressed = expand_compressed
        self.keep_raw = keep_raw
        self.source = source
        self._buf = bytearray()
        self._pos = 0  # index into _buf of the next unread byte
        self._offset = start_offset  # absolute offset of _buf[0]
        self._need_magic = expect_magic
        self._first_event = True
        self._eof = False
        self._done = False
        self.errors: list[DecodeError] = []

    # -- input -------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        if self._eof:
            raise UsageError("feed() after feed_eof()")
        if self._pos > 65536 and self._pos > len(self._buf) // 2:
            del self._buf[: self._pos]
            self._offset += self._pos
            self._pos = 0
        self._buf += data

    def feed_eof(self) -> None:
        self._eof = True

    @property
    def offset(self) -> int:
        """Absolute offset of the next byte to decode."""
        return self._offset + self._pos

    # -- output ------------------------------------------------------------------
    def __iter__(self) -> Iterator[Event]:
        while True:
            event = self.next_event()
            if event is None:
                return
            yield event

    def next_event(self) -> Event | None:
        """The next complete event, or None when more input is needed (or at the end)."""
        if self._done:
            return None
        if self._need_magic:
            if not self._take_magic():
                return None
        try:
            return self._next_event()
        except DecodeError as exc:
            if self.on_error == "raise":
                self._done = True
                raise
            self.errors.append(exc)
            return self._skip(exc)

    def decode_whole(self, raw: bytes) -> Event | None:
        """``raw`` holding exactly one event (a replication packet's), decoded as
        :meth:`feed` then :meth:`next_event` would, without the buffering: the hot path
        of a stream.  Returns None -- nothing consumed -- when this fast path does not
        apply (bytes already buffered, the magic or the first event still to come, a
        size that is not ``len(raw)``, ``on_error="skip"``); the caller then feeds as
        usual, which decodes the same event and reports what is wrong with it."""
        if (self._first_event or self._need_magic or self._done or self._pos != len(self._buf)
                or type(raw) is not bytes or self.on_error != "raise"):
            return None
        hl = self.context.header_len
        size = len(raw)
        if hl != LOG_EVENT_HEADER_LEN or size < hl or size > self.max_event_size:
            return None
        timestamp, code, server_id, event_size, log_pos, flags = _HEADER_V4.unpack_from(raw)
        if event_size != size:
            return None
        offset = self._offset + self._pos
        try:
            event = self._decode(raw, offset, code, self._name(code), timestamp, server_id,
                                 size, log_pos, flags)
        except DecodeError:
            self._done = True  # as next_event with on_error="raise"
            raise
        self._offset += size
        return event

    def _fail(self, cls, message: str, *, offset: int, event_type: str | None = None,
              field: str | None = None) -> DecodeError:
        return cls(message, offset=offset, event_type=event_type, field=field,
                   source=self.source)

    def _take_magic(self) -> bool:
        have = len(self._buf) - self._pos
        if have < 4:
            if self._eof:
                self._done = True
                got = bytes(self._buf[self._pos :])
                if not got:
                    raise self._fail(TruncatedError, "empty input, no binlog magic",
                                     offset=self.offset, field="magic")
                raise self._fail(TruncatedError, f"input ends after {have} bytes of the magic",
                                 offset=self.offset, field="magic")
            return False
        magic = bytes(self._buf[self._pos : self._pos + 4])
        if magic != BINLOG_MAGIC:
            self._done = True
            raise self._fail(BadMagicError, f"bad magic {magic.hex()}, expected fe62696e",
                             offset=self.offset, field="magic")
        self._pos += 4
        self._need_magic = False
        return True

    def _detect_old_format(self) -> None:
        """Pick binlog v1 or v3 when the first event is a START_EVENT_V3 (no FDE)."""
        buf, pos = self._buf, self._pos
        if len(buf) - pos < 13 or buf[pos + 4] != START_V3:
            return
        (size,) = struct.unpack_from("<I", buf, pos + 9)
        # A v3 START_EVENT_V3 is 19 + 56 bytes, a v1 one 13 + 56 (mysqlbinlog's
        # check_header() draws the line the same way).
        version = 1 if size < LOG_EVENT_HEADER_LEN + 56 else 3
        self.context = FormatContext.for_old_binlog(version, self.forced_flavour or MYSQL)

    def _next_event(self) -> Event | None:
        if self._first_event and len(self._buf) - self._pos >= 13:
            self._first_event = False
            self._detect_old_format()
        ctx = self.context
        hl = ctx.header_len
        buf, pos = self._buf, self._pos
        offset = self._offset + pos
        have = len(buf) - pos
        if have < hl:
            if self._eof:
                self._done = True
                if have:
                    raise self._fail(TruncatedError,
                                     f"input ends {have} bytes into a {hl}-byte event header",
                                     offset=offset, field="header")
            return None
        if hl == LOG_EVENT_HEADER_LEN:
            timestamp, code, server_id, size, log_pos, flags = _HEADER_V4.unpack_from(buf, pos)
        else:
            timestamp, code, server_id, size = _HEADER_V1.unpack_from(buf, pos)
            log_pos, flags = None, 0
        name = self._name(code)
        if size < hl:
            raise self._fail(EventLengthError, f"event_size {size} is smaller than the "
                             f"{hl}-byte header", offset=offset, event_type=name,
                             field="header.event_size")
        if size > self.max_event_size:
            raise self._fail(EventLengthError, f"event_size {size} exceeds the limit of "
                             f"{self.max_event_size} bytes", offset=offset, event_type=name,
                             field="header.event_size")
        if have < size:
            if self._eof:
                raise self._fail(TruncatedError, f"event_size {size} but only {have} bytes "
                                 "remain", offset=offset, event_type=name,
                                 field="header.event_size")
            return None
        raw = bytes(buf[pos : pos + size])
        event = self._decode(raw, offset, code, name, timestamp, server_id, size, log_pos, flags)
        self._pos = pos + size
        return event

    def _name(self, code: int) -> str:
        spec = self.context.spec_for(code)
        return spec.name if spec else event_type_name(self.context.canonical(code))

    def _decode(self, raw: bytes, offset: int, code: int, name: str, timestamp: int,
                server_id: int, size: int, log_pos: int | None, flags: int) -> Event:
        ctx = self.context
        hl = ctx.header_len
        is_fde = code == FDE and hl == LOG_EVENT_HEADER_LEN
        if is_fde:
            version = server_version_text(raw[hl:][_FDE_VERSION_SLICE])
            trailer = BINLOG_CHECKSUM_LEN if has_checksum_alg(version) else 0
            verify = trailer and size >= hl + 58 + trailer and raw[-5] == CRC32
        else:
            trailer = BINLOG_CHECKSUM_LEN if ctx.has_checksums else 0
            verify = trailer
        if size < hl + trailer:
            raise self._fail(EventLengthError, f"event_size {size} leaves no room for the "
                             f"{trailer}-byte checksum", offset=offset, event_type=name,
                             field="header.event_size")
        checksum = None
        if trailer:
            (checksum,) = struct.unpack_from("<I", raw, size - trailer)
            if verify and self.verify_checksums:
                actual = compute_crc(raw[: size - trailer], is_fde)
                if actual != checksum:
                    raise self._fail(ChecksumError, f"CRC32 {checksum:08x} stored, "
                                     f"{actual:08x} computed", offset=offset,
                                     event_type=name, field="checksum")
        body_bytes = raw[hl : size - trailer]
        spec = ctx.spec_for(code)
        cls: type[Event] = Event
        if spec is None:
            cls, body = UnknownEvent, Container(raw=body_bytes)
        else:
            try:
                body = _decode_with(spec, body_bytes, ctx.params(code))
            except DecodeError as exc:
                raise self._fail(type(exc), exc.reason, offset=offset, event_type=name,
                                 field=exc.field) from exc
            except CompressedDataError as exc:
                raise self._fail(CompressionError, _error_reason(exc), offset=offset,
                                 event_type=name, field=_error_path(exc)) from exc
            except Exception as exc:  # construct and adapters: wrapped at the boundary
                raise self._fail(EventBodyError, _error_reason(exc), offset=offset,
                                 event_type=name, field=_error_path(exc)) from exc
        event = cls(
            type_code=code,
            body=body,
            timestamp=timestamp,
            server_id=server_id,
            flags=flags,
            event_size=size,
            log_pos=log_pos,
            checksum=checksum,
            offset=offset,
            name=name,
            raw=raw if self.keep_raw else None,
        )
        if is_fde:
            if body.header_length != LOG_EVENT_HEADER_LEN:
                # Every v4 writer uses 19; a longer header would need its surplus kept,
                # a shorter one cannot hold the v4 fields.
                raise self._fail(EventBodyError, f"unsupported common-header length "
                                 f"{body.header_length} (binlog v4 uses 19)", offset=offset,
                                 event_type=name, field="header_length")
            self.context = FormatContext.from_fde(body, self.forced_flavour)
        elif spec is not None and spec.compressed and self.expand_compressed:
            from mysqlproto.compression import expand

            try:
                expand(event, spec, ctx, keep_raw=self.keep_raw)
            except DecodeError as exc:
                raise self._fail(type(exc), exc.reason, offset=offset, event_type=name,
                                 field=exc.field) from exc
        return event

    # -- recovery ----------------------------------------------------------------
    def _skip(self, exc: DecodeError) -> Event | None:
        """Yield the bad bytes as a CorruptEvent and resume at the next good event."""
        buf, pos = self._buf, self._pos
        start = self._offset + pos
        if isinstance(exc, (BadMagicError,)) or self._need_magic:
            self._done = True
            return None
        hl = self.context.header_len
        have = len(buf) - pos
        size = None
        if have >= hl:
            (size,) = struct.unpack_from("<I", buf, pos + 9)
        framing_ok = (
            size is not None
            and not isinstance(exc, (EventLengthError, TruncatedError))
            and hl <= size <= have
        )
        if framing_ok:
            end = pos + size
        else:
            end = self._resync(pos + 1)
            if end is None:
                if not self._eof:
                    # More input may reveal the next header; keep what we have.
                    self._done = False
                    return None
                end = len(buf)
                self._done = True
        raw = bytes(buf[pos:end])
        self._pos = end
        code = raw[4] if len(raw) > 4 else 0
        return CorruptEvent(type_code=code, body=Container(), offset=start,
                            event_size=len(raw), raw=raw, error=exc, name=self._name(code))

    def _resync(self, start: int) -> int | None:
        """Index of the next plausible event header at or after ``start``, if any.

        Plausible: a size that fits, and either a matching CRC (when checksums are on)
        or a ``log_pos`` that points just past it.
        """
        ctx = self.context
        if ctx.header_len != LOG_EVENT_HEADER_LEN:
            return None
        buf = self._buf
        end = len(buf) - LOG_EVENT_HEADER_LEN
        for i in range(start, end + 1):
            _, code, _, size, log_pos, _ = _HEADER_V4.unpack_from(buf, i)
            if size < LOG_EVENT_HEADER_LEN or i + size > len(buf):
                continue
            if ctx.has_checksums and code != FDE:
                (stored,) = struct.unpack_from("<I", buf, i + size - 4)
                if compute_crc(buf[i : i + size - 4], False) == stored:
                    return i
            elif log_pos == self._offset + i + size:
                return i
        self._done = self._eof
        return None


def _open_source(source) -> tuple[IO[bytes], str | None, bool]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(source)), None, True
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        raw = open(path, "rb")  # noqa: SIM115 - closed by the caller
        head = raw.read(2)
        raw.seek(0)
        if head == b"\x1f\x8b":
            return gzip.GzipFile(fileobj=raw), path, True
        return raw, path, True
    if hasattr(source, "read"):
        return source, getattr(source, "name", None), False
    raise UsageError(f"cannot read a binlog from {type(source).__name__}")


def read_binlog(source, *, chunk_size: int = 1 << 16, **options) -> Iterator[Event]:
    """Events of a binlog given as a path (plain or ``.gz``), bytes, or a binary file.

    ``options`` are :class:`BinlogReader`'s.  The file is read in ``chunk_size``
    pieces, so memory stays flat in the file's size.
    """
    stream, name, owned = _open_source(source)
    options.setdefault("source", name)
    reader = BinlogReader(**options)
    try:
        while True:
            try:
                chunk = stream.read(chunk_size)
            except (OSError, EOFError, zlib.error) as exc:
                raise TruncatedError(f"cannot read input: {exc}", offset=reader.offset,
                                     source=name) from exc
            if chunk:
                reader.feed(chunk)
            else:
                reader.feed_eof()
            yield from reader
            if not chunk:
                return
    finally:
        if owned:
            stream.close()


# -- writing ---------------------------------------------------------------------


def _with_defaults(body, schema):
    """``body`` with its schema's top-level fields that a crafted event left out set to
    None: optional fields (present only for some flags or versions), derived lengths
    and raw tails are then built as absent or computed."""
    names = [sc.name for sc in getattr(schema, "subcons", ()) if sc.name]
    if not isinstance(body, dict) or all(name in body for name in names):
        return body
    filled = Container(body)
    for name in names:
        filled.setdefault(name, None)
    return filled


def encode_event(event: Event, ctx: FormatContext, position: int | None) -> bytes:
    """Serialize one event under format ``ctx``, starting at file offset ``position``.

    ``event_size``, ``log_pos`` and ``checksum`` left None are computed; given, they
    are written as they are.
    """
    if isinstance(event, CorruptEvent):
        return event.raw or b""
    code = event.type_code
    hl = ctx.header_len
    spec = ctx.spec_for(code)
    if isinstance(event, UnknownEvent) or spec is None:
        body_bytes = bytes(event.body["raw"])
    else:
        if spec.compressed and event.inner is not None:
            from mysqlproto.compression import compress_inner

            compress_inner(event, spec, ctx)
        try:
            body_bytes = spec.schema.build(_with_defaults(event.body, spec.schema),
                                           **ctx.params(code))
        except Exception as exc:
            raise UsageError(
                f"cannot build {spec.name} body: {_error_reason(exc)}"
                + (f" (field {_error_path(exc)})" if _error_path(exc) else "")
            ) from exc
    is_fde = code == FDE and hl == LOG_EVENT_HEADER_LEN
    if is_fde:
        version = server_version_text(event.body.get("server_version", ""))
        trailer = BINLOG_CHECKSUM_LEN if has_checksum_alg(version) else 0
    else:
        trailer = BINLOG_CHECKSUM_LEN if ctx.has_checksums else 0
    size = event.event_size if event.event_size is not None else hl + len(body_bytes) + trailer
    if hl == LOG_EVENT_HEADER_LEN:
        if event.log_pos is not None:
            log_pos = event.log_pos
        else:
            log_pos = (position + size) if position is not None else 0
        header = _HEADER_V4.pack(event.timestamp, code, event.server_id, size,
                                 log_pos & 0xFFFFFFFF, event.flags)
    else:
        header = _HEADER_V1.pack(event.timestamp, code, event.server_id, size)
    data = header + body_bytes
    if trailer:
        checksum = event.checksum
        if checksum is None:
            checksum = compute_crc(data, is_fde)
        data += struct.pack("<I", checksum)
    return data


class BinlogWriter:
    """Sans-IO binlog encoder: events in, bytes out.

    The writer follows the FDEs it writes, as the reader follows those it reads:
    post-header lengths and the checksum algorithm come from the last FDE written.
    """

    def __init__(self, *, flavour: Flavour | None = None, magic: bool = True,
                 context: FormatContext | None = None, start_offset: int = 0) -> None:
        self.forced_flavour = flavour
        self.context = context or FormatContext(flavour=flavour or MYSQL)
        self.position = start_offset
        self._magic_pending = magic

    def begin(self) -> bytes:
        """The file's opening bytes (the magic), once."""
        if not self._magic_pending:
            return b""
        self._magic_pending = False
        self.position += len(BINLOG_MAGIC)
        return BINLOG_MAGIC

    def encode(self, event: Event) -> bytes:
        out = self.begin() if self._magic_pending else b""
        if event.type_code == START_V3 and self.position == len(BINLOG_MAGIC) and not isinstance(
            event, CorruptEvent
        ):
            version = event.body.get("binlog_version", 4)
            if version in (1, 3):
                self.context = FormatContext.for_old_binlog(version, self.forced_flavour or MYSQL)
        data = encode_event(event, self.context, self.position)
        self.position += len(data)
        if event.type_code == FDE and not isinstance(event, (CorruptEvent, UnknownEvent)):
            self.context = FormatContext.from_fde(event.body, self.forced_flavour)
        return out + data


def write_binlog(target, events: Iterable[Event], **options) -> int:
    """Write ``events`` as a binlog file to a path or binary file; returns bytes written."""
    writer = BinlogWriter(**options)
    owned = isinstance(target, (str, os.PathLike))
    stream = open(target, "wb") if owned else target  # noqa: SIM115
    total = 0
    try:
        data = writer.begin()
        stream.write(data)
        total += len(data)
        for event in events:
            data = writer.encode(event)
            stream.write(data)
            total += len(data)
    finally:
        if owned:
            stream.close()
    return total
