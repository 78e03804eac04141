"""PolarDB-X (Alibaba) consensus and GCN events, codes 101-105.

PolarDB-X's storage engine (a MySQL 8.0 fork with X-Paxos consensus replication)
adds to ``Log_event_type``: 101 CONSENSUS_LOG_EVENT, 102
PREVIOUS_CONSENSUS_INDEX_LOG_EVENT, 103 CONSENSUS_CLUSTER_INFO_EVENT, 104
CONSENSUS_EMPTY_EVENT, 105 GCN_LOG_EVENT.  Layouts from its ``sql/consensus_log_event.cc``
(``write_data_header_to_memory``: flag 4 bytes, term, index, length, reserve 8 bytes
each; previous index 8 bytes; cluster info length 4 bytes then the info) and
``libbinlogevents/src/gcn_event.cpp`` (flags 1 byte, commit_gcn 8 bytes).  All are
written with ``LOG_EVENT_IGNORABLE_F``.  The server reads these fixed fields whatever
post-header length its FDE lists for them, so the schemas do too; bytes past them are
kept raw (``extra``).

Code 101 is also one of Aurora's (``spec.binlog.vendors.aurora``): the two vendors live
in two flavours, never in one.
"""

from construct import Bytes, Struct, this

from spec.binlog.common import Auto, Extra
from spec.binlog.eventspec import EventSpec
from spec.wire import Int1, Int4, Int8

ConsensusLogEvent = Struct(
    "flag" / Int4,
    "term" / Int8,
    "index" / Int8,
    "length" / Int8,
    "reserve" / Int8,
    "extra" / Extra,
)
"""CONSENSUS_LOG_EVENT: the X-Paxos log entry that precedes each transaction."""

PreviousConsensusIndexLogEvent = Struct(
    "index" / Int8,
    "extra" / Extra,
)

ConsensusClusterInfoEvent = Struct(
    "info_length" / Auto(Int4, lambda ctx: len(ctx.info)),
    "info" / Bytes(this.info_length),
    "extra" / Extra,
)

ConsensusEmptyEvent = Struct("extra" / Extra)

GcnLogEvent = Struct(
    "flags" / Int1,
    "commit_gcn" / Int8,
    "extra" / Extra,
)
"""GCN_LOG_EVENT: the global commit number of the following transaction."""

SPECS = [
    EventSpec(101, "CONSENSUS_LOG_EVENT", ConsensusLogEvent),
    EventSpec(102, "PREVIOUS_CONSENSUS_INDEX_LOG_EVENT", PreviousConsensusIndexLogEvent),
    EventSpec(103, "CONSENSUS_CLUSTER_INFO_EVENT", ConsensusClusterInfoEvent),
    EventSpec(104, "CONSENSUS_EMPTY_EVENT", ConsensusEmptyEvent),
    EventSpec(105, "GCN_LOG_EVENT", GcnLogEvent),
]
