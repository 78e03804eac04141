"""Binlog event body schemas, one module per family of events.

``MYSQL_EVENTS`` and ``MARIADB_EVENTS`` list the specs the two base flavours are
composed from (``mysqlproto.registry``).  MariaDB reads and writes the MySQL codes it
shares, and a MariaDB relay log can hold a MySQL primary's events, so its list is
MySQL's plus its own codes from 160.
"""

from __future__ import annotations

import importlib

from spec.binlog.eventspec import EventSpec

_MYSQL_MODULES = [
    "fde",
    "query",
    "control",
    "load",
    "table_map",
    "rows",
    "gtid",
    "group_replication",
    "payload",
]
_MARIADB_MODULES = ["mariadb"]


def _collect(modules: list[str]) -> list[EventSpec]:
    specs: list[EventSpec] = []
    for name in modules:
        specs.extend(importlib.import_module(f"{__name__}.{name}").SPECS)
    return specs


MYSQL_EVENTS: list[EventSpec] = _collect(_MYSQL_MODULES)
MARIADB_EVENTS: list[EventSpec] = MYSQL_EVENTS + _collect(_MARIADB_MODULES)
