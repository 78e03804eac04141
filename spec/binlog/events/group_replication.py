"""TRANSACTION_CONTEXT_EVENT (36) and VIEW_CHANGE_EVENT (37), written by Group Replication.

Sources: MySQL ``libs/mysql/binlog/event/control_events.{h,cpp}``
(``Transaction_context_event``, ``View_change_event`` and their ``ENCODED_*_OFFSET`` /
``ENCODED_*_LEN`` constants), ``event_reader.cpp`` (``read_data_set``,
``read_data_map``), ``sql/log_event.cc`` (``Transaction_context_log_event::
write_data_header`` / ``write_data_body``, ``View_change_log_event::write_data_header``
/ ``write_data_map``).

The post-header's counts are of items, not bytes: the server calls them
``write_set_len``, ``read_set_len`` and ``cert_info_len``.
"""

from __future__ import annotations

from construct import Array, GreedyBytes, NullStripped, this

from spec.binlog.common import Auto, Extra, PostHeaderExtra, Text, encoded_len
from spec.binlog.eventspec import EventSpec
from spec.wire import Bytes, FixedSized, Int1, Int2, Int4, Int8, Prefixed, Struct

TRANSACTION_CONTEXT_HEADER_LEN = 18
VIEW_CHANGE_HEADER_LEN = 52
ENCODED_VIEW_ID_MAX_LEN = 40

_set_item = Prefixed(Int2, GreedyBytes)
"""A write-set or read-set item: a 2-byte length then the bytes (a row hash)."""

TransactionContextEvent = Struct(
    # post-header (TRANSACTION_CONTEXT_HEADER_LEN = 18)
    "server_uuid_len" / Auto(Int1, lambda ctx: encoded_len(ctx.server_uuid)),
    "thread_id" / Int4,
    "gtid_specified" / Int1,
    "encoded_snapshot_version_length" / Auto(Int4, lambda ctx: len(ctx.encoded_snapshot_version)),
    "num_write_set_items" / Auto(Int4, lambda ctx: len(ctx.write_set)),
    "num_read_set_items" / Auto(Int4, lambda ctx: len(ctx.read_set)),
    "post_header_extra" / PostHeaderExtra(),
    # body
    "server_uuid" / Text(Bytes(this.server_uuid_len)),
    "encoded_snapshot_version" / Bytes(this.encoded_snapshot_version_length),
    "write_set" / Array(this.num_write_set_items, _set_item),
    "read_set" / Array(this.num_read_set_items, _set_item),
    "extra" / Extra,
)
"""TRANSACTION_CONTEXT_EVENT: the transaction's write set for certification.
``encoded_snapshot_version`` is an encoded GTID set, kept as bytes."""

_cert_info_entry = Struct(
    "key" / Text(Prefixed(Int2, GreedyBytes)),
    "value" / Prefixed(Int4, GreedyBytes),
)

ViewChangeEvent = Struct(
    # post-header (VIEW_CHANGE_HEADER_LEN = 52)
    # view_id is a char[40], NUL-padded; only trailing NULs are padding, so any content
    # round-trips.
    "view_id" / Text(FixedSized(ENCODED_VIEW_ID_MAX_LEN, NullStripped(GreedyBytes))),
    "seq_number" / Int8,
    "num_cert_info" / Auto(Int4, lambda ctx: len(ctx.certification_info)),
    "post_header_extra" / PostHeaderExtra(),
    # body
    "certification_info" / Array(this.num_cert_info, _cert_info_entry),
    "extra" / Extra,
)
"""VIEW_CHANGE_EVENT: a member joined or left the group; ``certification_info`` is the
certifier's map (key: 2-byte length then bytes; value: 4-byte length then bytes), in
the order written."""

SPECS = [
    EventSpec(36, "TRANSACTION_CONTEXT_EVENT", TransactionContextEvent,
              doc="Group Replication: a transaction's write set"),
    EventSpec(37, "VIEW_CHANGE_EVENT", ViewChangeEvent,
              doc="Group Replication: the group membership changed"),
]
