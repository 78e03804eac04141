"""Building blocks shared by the client/server packet schemas.

Capability-dependent fields read the negotiated capabilities from the context
parameter ``capabilities``; :func:`capabilities` fails with a clear message when a
schema that needs them is used without.
"""

from __future__ import annotations

from construct import (
    Construct,
    ConstructError,
    FixedSized,
    FocusedSeq,
    GreedyRange,
    SizeofError,
    Struct,
    Terminated,
    stream_read,
    stream_seek,
    stream_write,
)

from spec.binlog.common import Auto, Text
from spec.wire import EofBytes, LenencBytes, LenencInt, NulBytes, remaining

__all__ = [
    "capabilities",
    "has_capability",
    "LenencText",
    "NulText",
    "EofText",
    "UntilNul",
    "NulTerminator",
    "Exactly",
    "built_length",
    "LengthPrefixedList",
    "KeyValue",
]

LenencText = Text(LenencBytes)
NulText = Text(NulBytes)
EofText = Text(EofBytes)


def capabilities(ctx) -> int:
    """The negotiated capability flags from the ``capabilities`` context parameter."""
    params = getattr(ctx, "_params", None) or {}
    caps = params.get("capabilities")
    if caps is None:
        raise ConstructError("this packet's layout depends on the capability flags: "
                             "pass capabilities=... as a context parameter")
    return int(caps)


def has_capability(flag: int):
    """A condition: ``flag`` is set in the ``capabilities`` context parameter."""

    def condition(ctx) -> bool:
        return bool(capabilities(ctx) & flag)

    return condition


class UntilNulConstruct(Construct):
    """Bytes up to a 0x00 byte or the end of the packet, the 0x00 left unread.

    Used with :data:`NulTerminator` for the few ``string<NUL>`` fields that some
    servers send without their terminator at the end of a packet (the handshake's
    auth plugin name, MySQL bug #59453), so both forms round-trip.
    """

    def _parse(self, stream, context, path):
        out = bytearray()
        while True:
            chunk = stream.read(1)
            if not chunk:
                break
            if chunk == b"\x00":
                stream_seek(stream, -1, 1, path)
                break
            out += chunk
        return bytes(out)

    def _build(self, obj, stream, context, path):
        if b"\x00" in obj:
            raise ConstructError("string<NUL> value contains a NUL byte", path=path)
        stream_write(stream, obj, len(obj), path)
        return obj

    def _sizeof(self, context, path):
        raise SizeofError("variable size", path=path)


UntilNul = UntilNulConstruct()


class NulTerminatorConstruct(Construct):
    """The terminator after :data:`UntilNul`: True when a 0x00 was there, False when
    the packet ended first.  Building None or True writes the 0x00."""

    def __init__(self):
        super().__init__()
        self.flagbuildnone = True

    def _parse(self, stream, context, path):
        if remaining(stream) == 0:
            return False
        if stream_read(stream, 1, path) != b"\x00":
            raise ConstructError("expected the NUL terminator", path=path)
        return True

    def _build(self, obj, stream, context, path):
        if obj is None or obj:
            stream_write(stream, b"\x00", 1, path)
            return True
        return False

    def _sizeof(self, context, path):
        raise SizeofError("variable size", path=path)


NulTerminator = NulTerminatorConstruct()


def Exactly(subcon: Construct) -> Construct:
    """``subcon`` that must use up its whole (bounded) region: leftover bytes are an
    error rather than silently dropped, so a bounded body always round-trips."""
    return FocusedSeq("value", "value" / subcon, Terminated)


def built_length(subcon: Construct, key: str):
    """For :class:`~spec.binlog.common.Auto`: the length of sibling ``key`` built."""

    def length(ctx) -> int:
        return len(subcon.build(ctx[key], **ctx._params))

    return length


def LengthPrefixedList(item: Construct, key: str, length_name: str) -> list:
    """Two fields: ``length_name``, an ``int<lenenc>`` byte count (computed when None),
    then ``key``, the items filling exactly that many bytes."""
    items = GreedyRange(item)
    return [
        length_name / Auto(LenencInt, built_length(items, key)),
        key / FixedSized(lambda ctx: ctx[length_name], Exactly(items)),
    ]


KeyValue = Struct("key" / LenencText, "value" / LenencText)
"""One connection attribute: ``string<lenenc>`` key then value."""
