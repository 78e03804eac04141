"""Events as JSON-ready dicts: the format of ``mysqlproto dump --json``.

One object per event with the common header (``pos``, ``next_pos``, ``type``,
``type_code``, ``timestamp``, ``server_id``, ``flags``, ``event_size``, ``log_pos``),
``checksum`` when the event carries one, then the decoded body fields at the top
level.  A body field whose name is taken by a header key is emitted as
``body_<name>`` (the GTID event's own ``flags``, say).  Values: integers as numbers,
text as strings, binary data as ``{"hex": "..."}``, UUIDs as strings, lists and
nested structures as arrays and objects.  An event of a compressed transaction
carries its expanded events in ``inner``; an undecoded event its body in ``raw``; a
corrupt event skipped past its ``error`` and ``raw`` bytes.

Given a :class:`~mysqlproto.rows.TableMapTracker`, a rows event also gets ``schema``,
``table`` and ``rows``: a list of ``{"before": {...} | null, "after": {...} | null}``
keyed by column name (``@1``, ``@2``... when the table map has no names), a column
left out of a MINIMAL/NOBLOB image absent from its object.  Values: integers,
FLOAT/DOUBLE, YEAR and BIT as numbers; DECIMAL as the server's string; text as
strings, binary strings as ``{"hex": ...}``; DATE ``YYYY-MM-DD``, TIME
``[-]HH:MM:SS[.f]``, DATETIME and TIMESTAMP (in UTC) ``YYYY-MM-DD HH:MM:SS[.f]`` with
the column's fraction digits; ENUM as its string (its index when the strings are
unknown), SET as a list of strings (the bitmask when unknown); JSON as the JSON value
(a partial update that cannot be applied as ``{"json_diff": [...]}``); GEOMETRY as
``{"srid": N, "wkt": "..."}``; VECTOR as a list of numbers; NULL as null.  A rows event
whose table map is missing, or whose rows do not decode, has ``rows`` null and a
``rows_error``.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from typing import Any

from mysqlproto.errors import DecodeError
from mysqlproto.events import CorruptEvent, Event

HEADER_KEYS = (
    "pos",
    "next_pos",
    "type",
    "type_code",
    "timestamp",
    "server_id",
    "flags",
    "event_size",
    "log_pos",
    "checksum",
)


def jsonable(value: Any) -> Any:
    """A JSON-serializable rendering of a decoded field value."""
    if value is None or isinstance(value, (bool, int, float, str)):
        if isinstance(value, enum.Enum):
            return value.name
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"hex": bytes(value).hex()}
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if hasattr(value, "to_json"):
        return value.to_json()
    return str(value)


def event_to_json(event: Event, tracker=None) -> dict[str, Any]:
    """One event as a JSON-ready dict; with a ``tracker`` (a ``TableMapTracker`` fed
    through here, in stream order) rows events carry their decoded rows."""
    if tracker is not None:
        tracker.observe(event)
    return _event_to_json(event, tracker)


def _event_to_json(event: Event, tracker) -> dict[str, Any]:
    out: dict[str, Any] = {
        "pos": event.offset,
        "next_pos": event.next_pos,
        "type": event.name,
        "type_code": event.type_code,
        "timestamp": event.timestamp,
        "server_id": event.server_id,
        "flags": event.flags,
        "event_size": event.event_size,
        "log_pos": event.log_pos,
    }
    if event.checksum is not None:
        out["checksum"] = event.checksum
    if isinstance(event, CorruptEvent):
        out["error"] = str(event.error)
        out["raw"] = jsonable(event.raw)
        return out
    body = event.body if isinstance(event.body, Mapping) else {"body": event.body}
    for key, value in body.items():
        key = str(key)
        if key.startswith("_"):
            continue
        name = f"body_{key}" if key in HEADER_KEYS or key == "inner" else key
        out[name] = jsonable(value)
    if tracker is not None:
        _add_rows(out, event, tracker)
    if event.inner is not None:
        out["inner"] = [_event_to_json(inner, tracker) for inner in event.inner]
    return out


def _add_rows(out: dict[str, Any], event: Event, tracker) -> None:
    from mysqlproto.rows import is_rows_event, row_change_to_json

    if not is_rows_event(event):
        return
    table = tracker.table_for(event)
    if table is not None:
        out["schema"] = jsonable(table.schema)
        out["table"] = jsonable(table.table)
    try:
        changes = tracker.decode(event)
        out["rows"] = [row_change_to_json(change, table) for change in changes]
    except DecodeError as exc:
        out["rows_data"] = out.get("rows")
        out["rows"] = None
        out["rows_error"] = exc.reason if not exc.field else f"{exc.reason} (field {exc.field})"


def event_summary(event: Event, width: int = 160) -> str:
    """One human-readable line per event (``mysqlproto dump`` without ``--json``)."""
    head = (
        f"pos={event.offset} next_pos={event.next_pos} type={event.name} "
        f"ts={event.timestamp} server_id={event.server_id} size={event.event_size}"
    )
    if isinstance(event, CorruptEvent):
        return f"{head} CORRUPT: {event.error}"
    parts = []
    body = event.body if isinstance(event.body, Mapping) else {}
    for key, value in body.items():
        key = str(key)
        if key.startswith("_") or value is None or key in ("post_header_extra", "extra") and not value:
            continue
        name = f"body_{key}" if key in HEADER_KEYS else key
        parts.append(f"{name}={_short(jsonable(value))}")
    line = f"{head} " + " ".join(parts) if parts else head
    if event.inner is not None:
        line += f" inner_events={len(event.inner)}"
    return line if len(line) <= width else line[: width - 3] + "..."


def _short(value: Any) -> str:
    if isinstance(value, dict) and set(value) == {"hex"}:
        h = value["hex"]
        return f"0x{h[:32]}{'...' if len(h) > 32 else ''}"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    return str(value)
