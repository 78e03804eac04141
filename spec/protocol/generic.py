"""Generic response packets: OK, ERR and EOF.

Sources: https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_ok_packet.html,
``page_protocol_basic_err_packet.html``, ``page_protocol_basic_eof_packet.html``;
MySQL ``sql/protocol_classic.cc`` (``net_send_ok``, ``net_send_error_packet``,
``net_send_eof``), ``sql/session_tracker.cc`` (the session state entries),
``sql-common/client.cc`` (``read_ok_ex``: the client reads ``info`` only when bytes
remain); MariaDB ``sql/protocol.cc`` (``net_send_progress_packet``) and the MariaDB
KB "OK_Packet", "ERR_Packet", "EOF_Packet" pages.

Layouts depend on the negotiated capabilities, passed as the context parameter
``capabilities``: status flags and warnings need ``CLIENT_PROTOCOL_41`` (status
alone with ``CLIENT_TRANSACTIONS``); ``CLIENT_SESSION_TRACK`` turns ``info`` into a
``string<lenenc>`` that may be left out and adds the session state changes when the
status has ``SERVER_SESSION_STATE_CHANGED``; the ERR packet's SQL state needs
``CLIENT_PROTOCOL_41``.

Quirk: the MariaDB KB describes the progress report (error code 0xffff) as stage,
max_stage, progress, info; the server writes a "number of strings" byte (1) first
(``net_send_progress_packet``), kept here as ``num_strings``.
"""

from __future__ import annotations

from construct import (
    Const,
    Construct,
    ConstructError,
    Default,
    FixedSized,
    GreedyBytes,
    GreedyRange,
    If,
    IfThenElse,
    OneOf,
    SizeofError,
    Struct,
    stream_read,
    stream_seek,
    stream_write,
    this,
)

from spec.binlog.common import Auto
from spec.protocol.constants import (
    EOF_HEADER,
    ERR_HEADER,
    MARIADB_PROGRESS_ERROR_CODE,
    MAX_PACKET_LENGTH,
    OK_HEADER,
    SessionStateType,
)
from spec.protocol.constants import Capability as C
from spec.protocol.constants import ServerStatus as S
from spec.protocol.fields import EofText, Exactly, LenencText, capabilities, has_capability
from spec.wire import Int1, Int2, Int3, LenencInt, Tail, remaining

__all__ = [
    "OkPacket",
    "ErrPacket",
    "EofPacket",
    "SessionStateInfo",
    "SessionStateChange",
    "SESSION_STATE_BODIES",
    "response_kind",
]


# -- session state tracking --------------------------------------------------------

SESSION_STATE_BODIES = {
    SessionStateType.SESSION_TRACK_SYSTEM_VARIABLES: Exactly(Struct(
        "name" / LenencText, "value" / LenencText)),
    SessionStateType.SESSION_TRACK_SCHEMA: Exactly(Struct("name" / LenencText)),
    # "1" when the session state changed
    SessionStateType.SESSION_TRACK_STATE_CHANGE: Exactly(Struct("is_tracked" / LenencText)),
    SessionStateType.SESSION_TRACK_GTIDS: Exactly(Struct(
        "encoding_specification" / Int1,  # 0: the GTID set as text
        "gtids" / LenencText)),
    SessionStateType.SESSION_TRACK_TRANSACTION_CHARACTERISTICS: Exactly(Struct(
        "characteristics" / LenencText)),  # SQL that recreates them, e.g. "START TRANSACTION READ ONLY;"
    SessionStateType.SESSION_TRACK_TRANSACTION_STATE: Exactly(Struct(
        "state" / LenencText)),  # 8 characters, e.g. "T_______"
}
"""Entry type -> body layout.  A type not listed keeps its body raw."""


def _body(type_code: int) -> Construct:
    return SESSION_STATE_BODIES.get(type_code, GreedyBytes)


class SessionStateBody(Construct):
    """An entry body, bounded by its ``length``, laid out by its ``type``."""

    def _parse(self, stream, context, path):
        data = stream_read(stream, context.length, path)
        return _body(context.type).parse(data, **context._params)

    def _build(self, obj, stream, context, path):
        data = _body(context.type).build(obj, **context._params)
        stream_write(stream, data, len(data), path)
        return obj

    def _sizeof(self, context, path):
        raise SizeofError("variable size", path=path)


def _entry_length(ctx) -> int:
    return len(_body(ctx.type).build(ctx.data, **ctx._params))


SessionStateChange = Struct(
    "type" / Int1,  # enum_session_state_type
    "length" / Auto(LenencInt, _entry_length),
    "data" / SessionStateBody(),
)
"""One tracker entry.  Note: the length of ``data`` is only checked for known types."""

_Changes = GreedyRange(SessionStateChange)

SessionStateInfo = Struct(
    "length" / Auto(LenencInt, lambda ctx: len(_Changes.build(ctx.changes, **ctx._params))),
    "changes" / FixedSized(this.length, Exactly(_Changes)),
)
"""``string<lenenc>`` session state info: the tracker entries."""


# -- OK -----------------------------------------------------------------------------


def _has_status(ctx) -> bool:
    return bool(capabilities(ctx) & (C.CLIENT_PROTOCOL_41 | C.CLIENT_TRANSACTIONS))


def _session_track(ctx) -> bool:
    return bool(capabilities(ctx) & C.CLIENT_SESSION_TRACK)


def _state_changed(ctx) -> bool:
    return _session_track(ctx) and bool((ctx.status_flags or 0) & S.SERVER_SESSION_STATE_CHANGED)


OkPacket = Struct(
    "header" / Default(OneOf(Int1, (OK_HEADER, EOF_HEADER)), OK_HEADER),
    "affected_rows" / LenencInt,
    "last_insert_id" / LenencInt,
    "status_flags" / If(_has_status, Int2),
    "warnings" / If(has_capability(C.CLIENT_PROTOCOL_41), Int2),
    # With CLIENT_SESSION_TRACK: string<lenenc>, left out by net_send_ok when there is
    # neither a message nor a state change (None).  Without: string<EOF>.
    "info" / IfThenElse(_session_track, Tail(LenencText), EofText),
    "session_state_info" / If(_state_changed, Tail(SessionStateInfo)),
)
"""OK_Packet.  ``header`` is 0x00, or 0xfe when it ends a result set under
``CLIENT_DEPRECATE_EOF``."""


# -- ERR ----------------------------------------------------------------------------


class SqlStateConstruct(Construct):
    """``'#'`` and a 5-byte SQL state, or nothing: parsed only when the next byte is
    ``'#'`` (the client's rule, ``net_clear`` users in sql-common/client.cc)."""

    def __init__(self):
        super().__init__()
        self.flagbuildnone = True

    def _parse(self, stream, context, path):
        if not remaining(stream):
            return None
        if stream_read(stream, 1, path) != b"#":
            stream_seek(stream, -1, 1, path)
            return None
        data = stream_read(stream, 5, path)
        try:
            return data.decode("ascii")
        except UnicodeDecodeError:
            return data

    def _build(self, obj, stream, context, path):
        if obj is None:
            return None
        data = obj.encode("ascii") if isinstance(obj, str) else bytes(obj)
        if len(data) != 5:
            raise ConstructError(f"SQL state must be 5 bytes, got {obj!r}", path=path)
        stream_write(stream, b"#" + data, 6, path)
        return obj

    def _sizeof(self, context, path):
        raise SizeofError("variable size", path=path)


def _is_progress(ctx) -> bool:
    return ctx.error_code == MARIADB_PROGRESS_ERROR_CODE


MariaDBProgress = Struct(
    "num_strings" / Default(Int1, 1),
    "stage" / Int1,
    "max_stage" / Int1,
    "progress" / Int3,  # per 100000 of the stage
    "progress_info" / LenencText,
)

ErrPacket = Struct(
    "header" / Const(ERR_HEADER, Int1),
    "error_code" / Int2,
    "progress" / If(_is_progress, MariaDBProgress),
    "sql_state" / If(lambda ctx: not _is_progress(ctx)
                     and capabilities(ctx) & C.CLIENT_PROTOCOL_41, SqlStateConstruct()),
    "error_message" / EofText,
)
"""ERR_Packet; with MariaDB's error code 0xffff, a progress report (``progress``).

``sql_state`` is None when absent (pre-4.1, or a message not starting with '#');
``error_message`` is "" after a progress report.
"""


# -- EOF ----------------------------------------------------------------------------

EofPacket = Struct(
    "header" / Const(EOF_HEADER, Int1),
    "warnings" / If(has_capability(C.CLIENT_PROTOCOL_41), Int2),
    "status_flags" / If(has_capability(C.CLIENT_PROTOCOL_41), Int2),
)
"""EOF_Packet (replaced by an OK packet with header 0xfe under CLIENT_DEPRECATE_EOF)."""


def response_kind(payload: bytes, capabilities: int) -> str:
    """How a generic response reads: ``"OK"``, ``"ERR"``, ``"EOF"`` or ``"OTHER"``.

    0xfe is an EOF packet -- or, with ``CLIENT_DEPRECATE_EOF``, an OK packet -- only
    when the payload is shorter than 0xffffff (a result row may also open with 0xfe,
    a length-encoded integer); before that flag, only when shorter than 9 bytes.
    """
    if not payload:
        return "OTHER"
    first = payload[0]
    if first == ERR_HEADER:
        return "ERR"
    if first == OK_HEADER:
        return "OK"
    if first == EOF_HEADER:
        if capabilities & C.CLIENT_DEPRECATE_EOF:
            return "OK" if len(payload) < MAX_PACKET_LENGTH else "OTHER"
        return "EOF" if len(payload) < 9 else "OTHER"
    return "OTHER"
