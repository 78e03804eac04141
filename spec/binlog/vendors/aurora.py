"""Amazon Aurora MySQL's non-standard events 100 and 101.

Aurora writes events of types 100 and 101 into its binlogs, flagged
``LOG_EVENT_IGNORABLE_F``; their layout is not documented.  Source: the Debezium
report DBZ-2499 and mysql-binlog-connector-java pull request 23 ("AWS Aurora writes
some non-standard ignorable events of types 100 and 101 ... no documentation reference
so far").  Their bodies are therefore kept raw (``data``), which is exactly what a
replica does with an ignorable event it does not know, and they round-trip.
"""

from construct import GreedyBytes, Struct

from spec.binlog.eventspec import EventSpec

AuroraEvent = Struct("data" / GreedyBytes)
"""Undocumented body, kept whole."""

SPECS = [
    EventSpec(100, "AURORA_EVENT_100", AuroraEvent, doc="Aurora ignorable event (undocumented)"),
    EventSpec(101, "AURORA_EVENT_101", AuroraEvent, doc="Aurora ignorable event (undocumented)"),
]
