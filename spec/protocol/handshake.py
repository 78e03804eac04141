"""Connection phase: the server's greeting, the client's reply, authentication.

Sources: https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase.html
and its sub-pages (``page_protocol_connection_phase_packets_protocol_handshake_v10``,
``..._handshake_v9``, ``..._handshake_response``, ``..._ssl_request``,
``..._auth_switch_request``, ``..._old_auth_switch_request``,
``..._auth_switch_response``, ``..._auth_more_data``, ``..._auth_next_factor_request``);
MySQL ``sql/auth/sql_authentication.cc`` (``send_server_handshake_packet``,
``parse_client_handshake_packet``); MariaDB ``sql/sql_acl.cc``
(``send_server_handshake_packet``: 6 filler bytes then the 4 bytes of extended
capabilities in what MySQL reserves) and the MariaDB KB "Connection" page.

A server greets with :data:`HandshakeV10` (or :data:`HandshakeV9` before MySQL
3.21); the client answers :data:`HandshakeResponse41` (:data:`HandshakeResponse320`
for pre-4.1 protocol), preceded by :data:`SSLRequest` when it switches to TLS.
Then the server may ask for another method (:data:`AuthSwitchRequest`), more rounds
(:data:`AuthMoreData`) or another factor (:data:`AuthNextFactor`), and ends with an
OK or ERR packet.  Which optional fields a packet carries is decided by the
capability flags *in that packet* (the client's for its reply).
"""

from __future__ import annotations

from construct import (
    Bytes,
    Const,
    Default,
    GreedyBytes,
    If,
    IfThenElse,
    Prefixed,
    Struct,
    Switch,
)

from spec.binlog.common import Auto, Text
from spec.protocol.constants import Capability as C
from spec.protocol.fields import (
    KeyValue,
    LengthPrefixedList,
    NulTerminator,
    NulText,
    UntilNul,
)
from spec.wire import EofBytes, Int1, Int2, Int3, Int4, LenencBytes, NulBytes, Tail

__all__ = [
    "HandshakeV10",
    "HandshakeV9",
    "SSLRequest",
    "HandshakeResponse41",
    "HandshakeResponse320",
    "AuthSwitchRequest",
    "OldAuthSwitchRequest",
    "AuthSwitchResponse",
    "AuthMoreData",
    "AuthNextFactor",
    "server_capabilities",
    "client_capabilities",
]


def when(condition, fields: list) -> list:
    """Each of ``fields`` present only when ``condition(ctx)``."""
    return [field.name / If(condition, field.subcon) for field in fields]


def _server_caps(ctx) -> int:
    return ctx.capability_flags_1 | (ctx.capability_flags_2 or 0) << 16


def _has_tail(ctx) -> bool:
    return ctx.character_set is not None


def _auth_plugin_data_len(ctx) -> int:
    # MySQL sends 21: the 20-byte scramble and the NUL ending part 2.
    if _server_caps(ctx) & C.CLIENT_PLUGIN_AUTH:
        return len(ctx.auth_plugin_data_part_1) + len(ctx.auth_plugin_data_part_2 or b"")
    return 0


def _part_2_length(ctx) -> int:
    return max(13, ctx.auth_plugin_data_len - 8)


HandshakeV10 = Struct(
    "protocol_version" / Const(10, Int1),
    "server_version" / NulText,  # MariaDB prefixes "5.5.5-" for old replicas
    "thread_id" / Int4,  # connection id
    "auth_plugin_data_part_1" / Bytes(8),  # first 8 bytes of the scramble
    "filler" / Default(Int1, 0),
    "capability_flags_1" / Int2,  # lower 16 bits
    # "if more data in the packet" (every server since 4.1 sends it)
    "character_set" / Tail(Int1),  # low byte of the default collation id
    "status_flags" / If(_has_tail, Int2),
    "capability_flags_2" / If(_has_tail, Int2),  # upper 16 bits
    "auth_plugin_data_len" / If(_has_tail, Auto(Int1, _auth_plugin_data_len)),
    "reserved" / If(_has_tail, Default(Bytes(6), bytes(6))),
    # MySQL: 4 more reserved zero bytes.  MariaDB 10.2+: its capabilities 32-63 when
    # it clears CLIENT_MYSQL (bit 0).
    "mariadb_capabilities" / If(_has_tail, Default(Int4, 0)),
    "auth_plugin_data_part_2" / If(
        lambda ctx: _has_tail(ctx) and _server_caps(ctx) & C.CLIENT_SECURE_CONNECTION,
        Bytes(_part_2_length)),
    # NUL-terminated, but 5.5.7-5.5.9 left the NUL out (bug #59453).
    *when(lambda ctx: _has_tail(ctx) and _server_caps(ctx) & C.CLIENT_PLUGIN_AUTH, [
        "auth_plugin_name" / Text(UntilNul),
        "auth_plugin_name_nul" / NulTerminator,
    ]),
    "extra" / Default(GreedyBytes, b""),
)
"""Protocol::HandshakeV10, the server's greeting.

The scramble is ``auth_plugin_data_part_1 + auth_plugin_data_part_2`` (part 2 is
``max(13, auth_plugin_data_len - 8)`` bytes, 12 and a NUL from MySQL).  ``extra``
keeps bytes a newer server might append.
"""


def server_capabilities(handshake) -> int:
    """The 64-bit server capabilities of a parsed :data:`HandshakeV10`."""
    caps = handshake.capability_flags_1 | (handshake.capability_flags_2 or 0) << 16
    if not caps & C.CLIENT_LONG_PASSWORD and handshake.get("mariadb_capabilities"):
        caps |= handshake.mariadb_capabilities << 32
    return caps


HandshakeV9 = Struct(
    "protocol_version" / Const(9, Int1),
    "server_version" / NulText,
    "thread_id" / Int4,
    "scramble" / NulBytes,
)
"""Protocol::HandshakeV9 (MySQL before 3.21)."""


SSLRequest = Struct(
    "client_flag" / Int4,  # CLIENT_SSL set
    "max_packet_size" / Int4,
    "character_set" / Int1,
    "filler" / Default(Bytes(19), bytes(19)),
    "mariadb_capabilities" / Default(Int4, 0),
)
"""Protocol::SSLRequest: the first 32 bytes of HandshakeResponse41, sent in clear
before the TLS handshake.  The last 4 of MySQL's 23 filler bytes carry MariaDB's
extended client capabilities when ``CLIENT_MYSQL`` is clear."""


def _client(flag: int):
    return lambda ctx: bool(ctx.client_flag & flag)


def _auth_response_kind(ctx) -> str:
    # parse_client_handshake_packet: lenenc, else a 1-byte length (secure connection),
    # else NUL-terminated (4.1 before secure connection).
    if ctx.client_flag & C.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA:
        return "lenenc"
    if ctx.client_flag & C.CLIENT_SECURE_CONNECTION:
        return "length1"
    return "nul"


AuthResponse = Switch(_auth_response_kind, {
    "lenenc": LenencBytes,
    "length1": Prefixed(Int1, GreedyBytes),
    "nul": NulBytes,
})

HandshakeResponse41 = Struct(
    "client_flag" / Int4,
    "max_packet_size" / Int4,
    "character_set" / Int1,
    "filler" / Default(Bytes(19), bytes(19)),
    "mariadb_capabilities" / Default(Int4, 0),  # MySQL: 4 more filler bytes
    "username" / NulText,
    "auth_response" / AuthResponse,
    "database" / If(_client(C.CLIENT_CONNECT_WITH_DB), NulText),
    *when(_client(C.CLIENT_PLUGIN_AUTH), [
        "client_plugin_name" / Text(UntilNul),
        "client_plugin_name_nul" / NulTerminator,
    ]),
    *when(_client(C.CLIENT_CONNECT_ATTRS),
          LengthPrefixedList(KeyValue, "connect_attrs", "connect_attrs_length")),
    "zstd_compression_level" / If(_client(C.CLIENT_ZSTD_COMPRESSION_ALGORITHM), Int1),
    "extra" / Default(GreedyBytes, b""),
)
"""Protocol::HandshakeResponse41, the client's reply.

``connect_attrs`` is a list of ``{key, value}`` (order and duplicates kept);
``connect_attrs_length`` is their byte count, computed when None.
"""


def client_capabilities(response) -> int:
    """The 64-bit client capabilities of a parsed HandshakeResponse41 / SSLRequest."""
    caps = response.client_flag
    if not caps & C.CLIENT_LONG_PASSWORD:
        caps |= response.mariadb_capabilities << 32
    return caps


HandshakeResponse320 = Struct(
    "client_flag" / Int2,
    "max_packet_size" / Int3,
    "username" / NulText,
    "auth_response" / IfThenElse(_client(C.CLIENT_CONNECT_WITH_DB), NulBytes, EofBytes),
    "database" / If(_client(C.CLIENT_CONNECT_WITH_DB), NulText),
)
"""Protocol::HandshakeResponse320 (pre-4.1 clients)."""


AuthSwitchRequest = Struct(
    "status" / Const(0xFE, Int1),
    "plugin_name" / NulText,
    "plugin_provided_data" / EofBytes,  # the new scramble (MySQL ends it with a NUL)
)
"""Protocol::AuthSwitchRequest: use another authentication method."""

OldAuthSwitchRequest = Struct("status" / Const(0xFE, Int1))
"""Protocol::OldAuthSwitchRequest: a lone 0xfe, switch to mysql_old_password."""

AuthSwitchResponse = Struct("data" / EofBytes)
"""Protocol::AuthSwitchResponse: the client's answer, the new method's data."""

AuthMoreData = Struct(
    "status" / Const(0x01, Int1),
    "auth_method_data" / EofBytes,  # e.g. caching_sha2_password's 0x03 fast-auth OK
)
"""Protocol::AuthMoreData: another round of the current method."""

AuthNextFactor = Struct(
    "status" / Const(0x02, Int1),
    "plugin_name" / NulText,
    "plugin_provided_data" / EofBytes,
)
"""Protocol::AuthNextFactor (MySQL 8.0.27+ multi-factor authentication)."""
