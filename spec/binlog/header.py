"""The common event header, in its two layouts.

MySQL ``libs/mysql/binlog/event/binlog_event.h`` (``Log_event_header``) and the
"Binlog Event header" page of the source documentation:

* binlog v3 and v4 (MySQL 4.0 and later): 19 bytes
  ``timestamp int<4>, type_code int<1>, server_id int<4>, event_size int<4>,
  log_pos int<4>, flags int<2>``;
* binlog v1 (MySQL 3.23): 13 bytes, without ``log_pos`` and ``flags``.

``event_size`` counts the whole event: header, body and checksum.  ``log_pos`` is the
position of the next event in the primary's binlog (0 in some artificial events).
"""

from construct import Struct

from spec.wire import Int1, Int2, Int4

EventHeaderV4 = Struct(
    "timestamp" / Int4,
    "type_code" / Int1,
    "server_id" / Int4,
    "event_size" / Int4,
    "log_pos" / Int4,
    "flags" / Int2,
)
"""Common header of binlog v3 and v4 (``LOG_EVENT_HEADER_LEN`` = 19)."""

EventHeaderV1 = Struct(
    "timestamp" / Int4,
    "type_code" / Int1,
    "server_id" / Int4,
    "event_size" / Int4,
)
"""Common header of binlog v1 (``OLD_HEADER_LEN`` = 13)."""
