"""TRANSACTION_PAYLOAD_EVENT (40): a whole transaction's events, compressed.

MySQL ``libs/mysql/binlog/event/control_events.{h,cpp}``
(``Transaction_payload_event``), ``libs/mysql/binlog/event/codecs/binary.{h,cpp}``
(``Transaction_payload::encode``/``decode`` and the ``OTW_PAYLOAD_*`` field codes),
``libs/mysql/binlog/event/compression/base.h`` (``type``: ZSTD = 0, NONE = 255).

The body has no fixed post-header: it opens with a "payload data header" of
type-length-value fields -- type and length as ``int<lenenc>``, and for the three
known fields a value that is itself an ``int<lenenc>`` -- closed by the type 0 end
mark, then the payload: the transaction's events, without checksums, compressed as
the compression type says.  MySQL writes compression type, uncompressed size (only
when compressed), payload size, end mark.  Its reader takes the fields in any order,
keeps the last of a repeated one, reads a known field's value where it stands
(ignoring its stored length) and skips an unknown field by its length.

The schema turns the header into ``compression_type``, ``uncompressed_size`` and
``payload_size`` (None when absent; ``payload_size`` left None when building is
computed from the payload), and records the header as it was found in
``header_layout`` -- each field's type and stored length, plus the value of unknown
and repeated fields -- so the header rebuilds byte for byte.  A crafted event leaves
``header_layout`` None and gets MySQL's order.  The payload is kept compressed here;
``mysqlproto.compression`` expands it into the inner events.
"""

from __future__ import annotations

from construct import (
    Adapter,
    ConstructError,
    Container,
    GreedyBytes,
    If,
    ListContainer,
    RepeatUntil,
    Switch,
    this,
)

from spec.binlog.eventspec import EventSpec
from spec.wire import Bytes, LenencInt, Struct, lenenc_size

OTW_PAYLOAD_HEADER_END_MARK = 0
OTW_PAYLOAD_SIZE_FIELD = 1
OTW_PAYLOAD_COMPRESSION_TYPE_FIELD = 2
OTW_PAYLOAD_UNCOMPRESSED_SIZE_FIELD = 3

PAYLOAD_FIELD_NAMES = {
    OTW_PAYLOAD_HEADER_END_MARK: "OTW_PAYLOAD_HEADER_END_MARK",
    OTW_PAYLOAD_SIZE_FIELD: "OTW_PAYLOAD_SIZE_FIELD",
    OTW_PAYLOAD_COMPRESSION_TYPE_FIELD: "OTW_PAYLOAD_COMPRESSION_TYPE_FIELD",
    OTW_PAYLOAD_UNCOMPRESSED_SIZE_FIELD: "OTW_PAYLOAD_UNCOMPRESSED_SIZE_FIELD",
}

# mysql::binlog::event::compression::type
ZSTD = 0
NONE = 255

_KEY_OF = {
    OTW_PAYLOAD_SIZE_FIELD: "payload_size",
    OTW_PAYLOAD_COMPRESSION_TYPE_FIELD: "compression_type",
    OTW_PAYLOAD_UNCOMPRESSED_SIZE_FIELD: "uncompressed_size",
}


PayloadHeaderField = Struct(
    "type" / LenencInt,
    "length" / If(this.type != OTW_PAYLOAD_HEADER_END_MARK, LenencInt),
    "value" / If(
        this.type != OTW_PAYLOAD_HEADER_END_MARK,
        Switch(this.type, {code: LenencInt for code in _KEY_OF}, default=Bytes(this.length)),
    ),
)
"""One TLV of the payload data header as it is on the wire."""

RawTransactionPayloadEvent = Struct(
    "header" / RepeatUntil(lambda obj, lst, ctx: obj.type == OTW_PAYLOAD_HEADER_END_MARK,
                           PayloadHeaderField),
    "payload" / GreedyBytes,
)
"""The body as the wire has it: the TLV list through the end mark, then the rest."""


class TransactionPayloadAdapter(Adapter):
    """Named header fields over the wire's TLV list (see the module docstring)."""

    def _decode(self, obj, context, path):
        out = Container(compression_type=None, uncompressed_size=None, payload_size=None)
        fields = [field for field in obj.header if field.type != OTW_PAYLOAD_HEADER_END_MARK]
        last = {field.type: i for i, field in enumerate(fields)}
        layout = ListContainer()
        for i, field in enumerate(fields):
            key = _KEY_OF.get(field.type)
            effective = key is not None and last[field.type] == i
            if effective:
                out[key] = field.value
            layout.append(Container(type=field.type, length=field.length,
                                    value=None if effective else field.value))
        data = obj.payload
        size = out.payload_size
        if size is not None and size > len(data):
            # Transaction_payload::decode refuses a payload size past the event's end.
            raise ConstructError(f"payload_size {size} exceeds the {len(data)} bytes left",
                                 path=path)
        cut = len(data) if size is None else size
        out.payload = data[:cut]
        out.extra = data[cut:]
        out.header_layout = layout
        return out

    def _encode(self, obj, context, path):
        values = {
            "compression_type": obj.get("compression_type"),
            "uncompressed_size": obj.get("uncompressed_size"),
            "payload_size": obj.get("payload_size"),
        }
        payload = bytes(obj.get("payload") or b"")
        if values["payload_size"] is None:
            values["payload_size"] = len(payload)
        layout = obj.get("header_layout")
        if layout is None:
            layout = [Container(type=code, length=None, value=None)
                      for code, key in ((OTW_PAYLOAD_COMPRESSION_TYPE_FIELD, "compression_type"),
                                        (OTW_PAYLOAD_UNCOMPRESSED_SIZE_FIELD, "uncompressed_size"),
                                        (OTW_PAYLOAD_SIZE_FIELD, "payload_size"))
                      if values[key] is not None]
        header = []
        for entry in layout:
            key = _KEY_OF.get(entry["type"])
            value = entry.get("value")
            if value is None and key is not None:
                value = values[key]
            length = entry.get("length")
            if length is None:
                length = lenenc_size(value) if key is not None else len(value)
            header.append(Container(type=entry["type"], length=length, value=value))
        header.append(Container(type=OTW_PAYLOAD_HEADER_END_MARK, length=None, value=None))
        return Container(header=header, payload=payload + bytes(obj.get("extra") or b""))


TransactionPayloadEvent = TransactionPayloadAdapter(RawTransactionPayloadEvent)
"""TRANSACTION_PAYLOAD_EVENT body: ``compression_type``, ``uncompressed_size``,
``payload_size``, ``payload`` (compressed bytes), ``extra`` (bytes past
``payload_size``, which the server ignores), ``header_layout``."""


def forget_sizes(body) -> None:
    """Mark the sizes of a payload body for recomputation after its payload changed.

    Sets ``payload_size`` to None (computed at build time) and clears the stored
    lengths of the size fields in ``header_layout`` (recomputed from the values).
    """
    body.payload_size = None
    for entry in body.get("header_layout") or ():
        if entry["type"] in (OTW_PAYLOAD_SIZE_FIELD, OTW_PAYLOAD_UNCOMPRESSED_SIZE_FIELD):
            entry["length"] = None


SPECS = [
    EventSpec(40, "TRANSACTION_PAYLOAD_EVENT", TransactionPayloadEvent,
              doc="A transaction's events, compressed (MySQL 8.0.20)",
              compressed="zstd-payload"),
]
