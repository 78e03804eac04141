"""Vendor flavours, composed from the declarations in :mod:`spec.binlog.vendors`.

Each is a :class:`~mysqlproto.registry.Flavour` value; pass it as ``flavour=`` to the
reader, the writer or the fake primary.  Aurora and PolarDB-X both use type code 101,
which is why they are two flavours and never one.
"""

from __future__ import annotations

from mysqlproto.registry import MYSQL, Flavour
from spec.binlog.vendors import aurora, polardbx, tdsql

AURORA = MYSQL.extend(aurora.SPECS, name="aurora")
POLARDBX = MYSQL.extend(polardbx.SPECS, name="polardbx")
TDSQL = MYSQL.extend(tdsql.SPECS, name="tdsql")

FLAVOURS = {flavour.name: flavour for flavour in (AURORA, POLARDBX, TDSQL)}


def tdsql_flavour(code: int = tdsql.TDSQL_GTID_EVENT_CODE) -> Flavour:
    """A TDSQL flavour whose GTID event uses ``code`` (the one your build writes)."""
    return MYSQL.extend(tdsql.specs(code), name=f"tdsql-{code}")
