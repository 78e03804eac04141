"""The package's exceptions: one root, "bad bytes" apart from "caller misuse".

:class:`DecodeError` and its subclasses mean the bytes from a file or a peer are wrong;
each names where (``offset``), in what (``event_type``) and which ``field``.
:class:`UsageError` means the calling code asked for something impossible.
construct's own errors never escape: the reader wraps them at the boundary.
"""

from __future__ import annotations


class MySQLProtoError(Exception):
    """Root of every error this package raises."""


class DecodeError(MySQLProtoError):
    """Bytes from a file or a network peer that do not decode.

    ``offset`` is the absolute position (in the file or stream) of the event or packet
    at fault, ``event_type`` the server's name of its type when known, ``field`` the
    path of the field at fault ("header.event_size", "status_vars.value"...).
    """

    def __init__(
        self,
        message: str,
        *,
        offset: int | None = None,
        event_type: str | None = None,
        field: str | None = None,
        source: str | None = None,
    ) -> None:
        self.reason = message
        self.offset = offset
        self.event_type = event_type
        self.field = field
        self.source = source
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.source:
            where.append(str(self.source))
        if self.offset is not None:
            where.append(f"offset {self.offset}")
        if self.event_type:
            where.append(self.event_type)
        if self.field:
            where.append(f"field {self.field}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.reason}" if prefix else self.reason


class BadMagicError(DecodeError):
    """The file does not open with the binlog magic bytes."""


class TruncatedError(DecodeError):
    """The input ends inside an event (or packet)."""


class EventLengthError(DecodeError):
    """An event's declared length is impossible (too small, or past the size limit)."""


class ChecksumError(DecodeError):
    """An event's CRC32 does not match its bytes."""


class EventBodyError(DecodeError):
    """An event body does not match its schema (too short, bad values, trailing bytes)."""


class CompressionError(DecodeError):
    """A compressed payload does not decompress, or decompresses to bad events."""


class UsageError(MySQLProtoError, ValueError):
    """The caller asked for something impossible (bad argument, bad composition)."""


class RegistryError(UsageError):
    """A flavour composition is inconsistent, e.g. two events with one type code."""


# -- client/server protocol (mysqlproto.connection, mysqlproto.client) -----------------


class ProtocolError(DecodeError):
    """A peer sent bytes the connection state machine cannot accept: a malformed or
    unexpected packet.  ``state`` is the conversation state it arrived in, ``packet``
    the kind of packet (or what was expected), ``field`` the field at fault."""

    def __init__(self, message: str, *, state: str | None = None, packet: str | None = None,
                 field: str | None = None, offset: int | None = None,
                 source: str | None = None) -> None:
        self.state = state
        self.packet = packet
        where = ", ".join(part for part in (f"state {state}" if state else None, packet) if part)
        super().__init__(message, offset=offset, event_type=where or None, field=field,
                         source=source)


class SequenceError(ProtocolError):
    """A packet whose sequence id is not the next one of the exchange."""


class ServerError(MySQLProtoError):
    """The server answered with an ERR packet.

    ``code`` is the server error number, ``sql_state`` the 5-character SQLSTATE (None
    when the packet has none), ``message`` the server's text, ``phase`` where it came
    ("connect", "auth", "query", "binlog dump"...).
    """

    def __init__(self, code: int, message: str, sql_state: str | None = None,
                 phase: str | None = None) -> None:
        self.code = code
        self.message = message
        self.sql_state = sql_state
        self.phase = phase
        state = f" ({sql_state})" if sql_state else ""
        where = f" during {phase}" if phase else ""
        super().__init__(f"server error {code}{state}{where}: {message}")


class AuthenticationError(MySQLProtoError):
    """Authentication cannot proceed on our side: the server asks for a plugin this
    package does not implement, TLS is required but not offered, the RSA public key
    is unusable... (The server refusing the credentials is a :class:`ServerError`.)"""


class ConnectionLost(MySQLProtoError):
    """The connection ended or timed out: the peer closed it, reset it, or sent
    nothing within the read timeout.  Streams reconnect after this one."""


class RetriesExhausted(MySQLProtoError):
    """A stream gave up reconnecting; ``last_error`` is the failure that ended it."""

    def __init__(self, message: str, last_error: BaseException | None = None) -> None:
        self.last_error = last_error
        super().__init__(message)
