"""Events as the reader hands them out and the writer takes them in.

An :class:`Event` is the common header's fields plus the decoded ``body`` (a construct
``Container`` shaped by the event's schema).  Header fields left as None when
building (``event_size``, ``log_pos``, ``checksum``) are computed by the writer; set
explicitly they are written as given, which is how broken binlogs are crafted.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from construct import Container

from spec.binlog.constants import event_type_name


@dataclasses.dataclass(eq=False)
class Event:
    """One binlog event.

    ``offset`` is where the event starts in its file or stream (None for a crafted
    event).  ``inner`` holds the events of a compressed transaction payload, expanded
    (None for other events).  ``raw`` holds the event's bytes as read when the reader
    was asked to keep them (``keep_raw=True``), else None.
    """

    type_code: int
    body: Any = dataclasses.field(default_factory=Container)
    timestamp: int = 0
    server_id: int = 1
    flags: int = 0
    event_size: int | None = None
    log_pos: int | None = None
    checksum: int | None = None
    offset: int | None = None
    name: str = ""
    inner: list[Event] | None = None
    raw: bytes | None = dataclasses.field(default=None, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.body, dict) and not isinstance(self.body, Container):
            self.body = Container(self.body)
        if not self.name:
            self.name = event_type_name(self.type_code)

    @property
    def type(self) -> str:
        """The server's name for the event type, e.g. ``"QUERY_EVENT"``."""
        return self.name

    @property
    def next_pos(self) -> int | None:
        """Offset just past this event, when it was read from somewhere."""
        if self.offset is None or self.event_size is None:
            return None
        return self.offset + self.event_size

    def header_dict(self) -> dict[str, Any]:
        return {
            "timestamp": self.timestamp,
            "type_code": self.type_code,
            "server_id": self.server_id,
            "event_size": self.event_size,
            "log_pos": self.log_pos,
            "flags": self.flags,
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Event):
            return NotImplemented
        return (
            type(self) is type(other)
            and self.header_dict() == other.header_dict()
            and self.body == other.body
            and self.checksum == other.checksum
        )

    def __repr__(self) -> str:
        where = f" @{self.offset}" if self.offset is not None else ""
        return f"<{self.name}{where} size={self.event_size}>"


@dataclasses.dataclass(eq=False, repr=False)
class UnknownEvent(Event):
    """An event whose type code the flavour does not know: body kept raw (``body.raw``)."""


@dataclasses.dataclass(eq=False, repr=False)
class CorruptEvent(Event):
    """An event the reader skipped past (``on_error="skip"``): its raw bytes and the error.

    ``raw`` is the whole event as found (header, body, checksum); the writer writes it
    back unchanged.
    """

    error: Exception | None = None
