"""START_EVENT_V3 (1) and FORMAT_DESCRIPTION_EVENT (15).

MySQL ``libs/mysql/binlog/event/control_events.h`` (``Format_description_event``,
``Start_event_v3``); ``sql/log_event.cc`` ``Format_description_log_event`` for the
post-header tables of binlog v1 and v3; MariaDB ``sql/log_event.h``.

The FDE's body is the START_EVENT_V3 body (binlog version, 50-byte server version,
creation time) followed by the common-header length and one post-header length per
event type, then -- for servers that know checksums (MySQL 5.6.1 and later, MariaDB
5.3 and later) -- one byte naming the checksum algorithm.  Whether that byte exists is
decided, as the server decides it, from the server version written in the event.
"""

from __future__ import annotations

import re

from construct import Adapter, Computed, If, this

from spec.binlog.common import AllButLast, ByteList, Extra
from spec.binlog.eventspec import EventSpec
from spec.wire import Bytes, Int1, Int2, Int4, Struct

CHECKSUM_VERSION_SPLIT_MYSQL = (5, 6, 1)
"""First MySQL version whose FDE carries the checksum algorithm (``checksum_version_split``)."""
CHECKSUM_VERSION_SPLIT_MARIADB = (5, 3, 0)
"""First MariaDB version to do so (``checksum_version_split_mariadb``)."""


def version_split(server_version: str) -> tuple[int, int, int]:
    """The server's ``do_server_version_split``: up to three leading numbers, or (0,0,0)."""
    match = re.match(r"(\d+)\.(\d+)\.(\d+)", server_version)
    if not match:
        return (0, 0, 0)
    parts = tuple(int(p) for p in match.groups())
    if any(p > 255 for p in parts):
        return (0, 0, 0)
    return parts  # type: ignore[return-value]


def is_mariadb_version(server_version: str) -> bool:
    """MariaDB marks its version strings with "MariaDB" (or "-maria-" in early builds)."""
    return "MariaDB" in server_version or "-maria-" in server_version


def has_checksum_alg(server_version: str) -> bool:
    """Whether an FDE written by this server ends with a checksum-algorithm byte."""
    split = version_split(server_version)
    if is_mariadb_version(server_version):
        return split >= CHECKSUM_VERSION_SPLIT_MARIADB
    return split >= CHECKSUM_VERSION_SPLIT_MYSQL


class ServerVersionAdapter(Adapter):
    """The 50-byte, NUL-padded server version as ``str``.

    Padding that is not all NULs (garbage after the terminator) keeps the field as raw
    bytes so the event still round-trips.
    """

    def _decode(self, obj, context, path):
        text, _, pad = obj.partition(b"\0")
        if pad.strip(b"\0"):
            return obj
        try:
            return text.decode("ascii")
        except UnicodeDecodeError:
            return obj

    def _encode(self, obj, context, path):
        if isinstance(obj, str):
            obj = obj.encode("ascii")
        if len(obj) > 50:
            raise ValueError(f"server version longer than 50 bytes: {obj!r}")
        return obj.ljust(50, b"\0")


def server_version_text(value: str | bytes) -> str:
    """A server version field as text, whatever form it was parsed into."""
    if isinstance(value, bytes):
        return value.split(b"\0", 1)[0].decode("ascii", "replace")
    return value


ServerVersion = ServerVersionAdapter(Bytes(50))


def _has_alg(ctx) -> bool:
    return has_checksum_alg(server_version_text(ctx.server_version))


StartEventV3 = Struct(
    "binlog_version" / Int2,
    "server_version" / ServerVersion,
    "create_timestamp" / Int4,
    "extra" / Extra,
)
"""START_EVENT_V3 body (``START_V3_HEADER_LEN`` = 56 bytes of post-header, no body)."""

FormatDescriptionEvent = Struct(
    "binlog_version" / Int2,
    "server_version" / ServerVersion,
    "create_timestamp" / Int4,
    "header_length" / Int1,
    "has_checksum_alg" / Computed(_has_alg),
    "post_header_lengths" / ByteList(AllButLast(lambda ctx: 1 if ctx.has_checksum_alg else 0)),
    "checksum_alg" / If(this.has_checksum_alg, Int1),
)
"""FORMAT_DESCRIPTION_EVENT body, without the 4 checksum bytes every checksum-aware
FDE carries (those are the event's checksum trailer, kept apart by the reader)."""

# Post-header lengths of binlog v1 (3.23) and v3 (4.0) for event types 1-14, as the
# server builds them for an artificial FDE (sql/log_event.cc,
# Format_description_log_event::Format_description_log_event(uint8 binlog_ver)).
START_V3_HEADER_LEN = 56
QUERY_HEADER_MINIMAL_LEN = 11
ROTATE_HEADER_LEN = 8
LOAD_HEADER_LEN = 18
CREATE_FILE_HEADER_LEN = 4
APPEND_BLOCK_HEADER_LEN = 4
EXEC_LOAD_HEADER_LEN = 4
DELETE_FILE_HEADER_LEN = 4


def old_post_header_lengths(binlog_version: int) -> list[int]:
    """The post-header length table implied for binlog v1 or v3 (no FDE in those files)."""
    return [
        START_V3_HEADER_LEN,  # 1 START_EVENT_V3
        QUERY_HEADER_MINIMAL_LEN,  # 2 QUERY_EVENT
        0,  # 3 STOP_EVENT
        0 if binlog_version == 1 else ROTATE_HEADER_LEN,  # 4 ROTATE_EVENT
        0,  # 5 INTVAR_EVENT
        LOAD_HEADER_LEN,  # 6 LOAD_EVENT
        0,  # 7 SLAVE_EVENT
        CREATE_FILE_HEADER_LEN,  # 8 CREATE_FILE_EVENT
        APPEND_BLOCK_HEADER_LEN,  # 9 APPEND_BLOCK_EVENT
        EXEC_LOAD_HEADER_LEN,  # 10 EXEC_LOAD_EVENT
        DELETE_FILE_HEADER_LEN,  # 11 DELETE_FILE_EVENT
        LOAD_HEADER_LEN,  # 12 NEW_LOAD_EVENT
        0,  # 13 RAND_EVENT
        0,  # 14 USER_VAR_EVENT
    ]


# Development trees of 5.1/5.2 (the "wl2325" replication trees) numbered the events
# after FORMAT_DESCRIPTION_EVENT differently.  The server recognises them by version
# string and maps their codes (libbinlogevents/src/control_events.cpp,
# Format_description_event::Format_description_event, ``event_type_permutation``):
# index = code in the file, value = code today.
_PRE_GA_PERMUTATION = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                       19,  # TABLE_MAP_EVENT
                       20, 21, 22,  # PRE_GA_WRITE/UPDATE/DELETE_ROWS_EVENT
                       16,  # XID_EVENT
                       17,  # BEGIN_LOAD_QUERY_EVENT
                       18)  # EXECUTE_LOAD_QUERY_EVENT
_PRE_GA_VERSION = re.compile(r"5\.(1\.[1-5]-a_drop5|1\.4-a_drop6|2\.[0-2]-a_drop6)")


def event_type_permutation(server_version: str, n_types: int) -> tuple[int, ...] | None:
    """The file-code -> today's-code map for a pre-GA 5.1/5.2 development tree, or None.

    Applies, as in the server, to versions ``5.1.[1-5]-a_drop5*``, ``5.1.4-a_drop6*``
    and ``5.2.[0-2]-a_drop6*`` whose FDE lists 22 event types.
    """
    if n_types == 22 and _PRE_GA_VERSION.match(server_version):
        return _PRE_GA_PERMUTATION
    return None


SPECS = [
    EventSpec(1, "START_EVENT_V3", StartEventV3, doc="Start of a binlog v1/v3 file"),
    EventSpec(15, "FORMAT_DESCRIPTION_EVENT", FormatDescriptionEvent,
              doc="Describes the binlog format: header and post-header lengths, checksum"),
]
