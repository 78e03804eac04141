"""mysqlproto: the runtime over :mod:`spec` -- binlog reader and writer, registry, CLI."""

from mysqlproto.binlog import (
    BinlogReader,
    BinlogWriter,
    FormatContext,
    read_binlog,
    write_binlog,
)
from mysqlproto.errors import DecodeError, MySQLProtoError, UsageError
from mysqlproto.events import CorruptEvent, Event, UnknownEvent
from mysqlproto.registry import MARIADB, MYSQL, Flavour
from mysqlproto.rows import RowChange, TableMapTracker

__all__ = [
    "BinlogReader",
    "BinlogWriter",
    "FormatContext",
    "read_binlog",
    "write_binlog",
    "DecodeError",
    "MySQLProtoError",
    "UsageError",
    "Event",
    "UnknownEvent",
    "CorruptEvent",
    "Flavour",
    "MYSQL",
    "MARIADB",
    "RowChange",
    "TableMapTracker",
]
__version__ = "0.1.0"
