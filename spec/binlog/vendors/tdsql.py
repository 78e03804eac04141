"""TDSQL's custom GTID event: the worked example of a vendor extension.

TDSQL (Tencent's distributed MySQL) writes a GTID event type of its own into
otherwise MySQL-format binlogs; python-mysql-replication's issue #382 ("About event
extensions", 2022) shows that library could only support it by copying and patching
its private event map.  Here it is one declaration, composed into a flavour with no
edit to the package (``mysqlproto.vendors.tdsql_flavour``).

The issue does not publish the event's type code or byte layout.  This declaration
therefore takes the layout of the MySQL GTID event that TDSQL's extends (commit flag,
server UUID, sequence number; MySQL ``control_events.h``, ``Gtid_event``), keeps every
byte after those raw so any TDSQL addition round-trips, and uses
``TDSQL_GTID_EVENT_CODE`` by default -- a code no MySQL or MariaDB release uses; pass
the code your TDSQL build writes to ``tdsql_flavour(code=...)``.
"""

from construct import Struct

from spec.binlog.common import Extra
from spec.binlog.eventspec import EventSpec
from spec.wire import Int1, Int8, Uuid

TDSQL_GTID_EVENT_CODE = 180

TdsqlGtidEvent = Struct(
    "flags" / Int1,
    "sid" / Uuid,
    "gno" / Int8,
    "extra" / Extra,
)


def specs(code: int = TDSQL_GTID_EVENT_CODE) -> list[EventSpec]:
    return [EventSpec(code, "TDSQL_GTID_EVENT", TdsqlGtidEvent,
                      doc="TDSQL's GTID event (vendor extension)")]


SPECS = specs()
