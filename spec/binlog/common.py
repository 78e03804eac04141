"""Building blocks shared by the event body schemas."""

from __future__ import annotations

import io

from construct import (
    Construct,
    ConstructError,
    Default,
    GreedyBytes,
    SizeofError,
    Subconstruct,
    stream_read,
    stream_tell,
    stream_write,
)
from construct.expr import ExprMixin

from spec.wire import CompiledAdapter, emit_helper, emit_read

__all__ = ["PostHeaderExtra", "Text", "ByteList", "Extra", "known_post_header"]

# Every construct here emits compiled code (``_emitparse``), so that a schema built
# from them compiles to straight-line code (see "compiling" in spec/wire.py).  What
# needs Python (a predicate, the FDE's lengths) is called from the generated code as
# ``linkedinstances[id]``, the construct itself.


def _link(code, obj) -> str:
    """The generated code's name for ``obj``."""
    code.linkedinstances[id(obj)] = obj
    return f"linkedinstances[{id(obj)}]"


def _emit_condition(code, predicate) -> str:
    """Generated code for a predicate: a ``this`` expression inline, a function called.

    Functions are called with the context, a ``Container``: they should read it by
    subscript (``ctx["field"]``), as attribute access on a ``Container`` costs a
    failed lookup and a Python call each time.
    """
    if isinstance(predicate, ExprMixin):
        return f"({predicate!r})"
    return f"{_link(code, predicate)}(this)"


class PostHeaderExtra(Construct):
    """Post-header bytes past the fields this schema knows, kept raw.

    The length of an event's post-header is not a constant: the format description
    event in force gives it per type code (``post_header_len``), and a newer server may
    give more than an older reader knows.  The server then skips the surplus
    (``Log_event_header`` users in libs/mysql/binlog/event/*.cpp read fields then jump
    to ``post_header_len``); this construct keeps it so the event round-trips.

    It must follow the known post-header fields of a body schema parsed from the body's
    first byte.  Parsing reads ``post_header_len - position`` bytes (none when no FDE
    gives a length).  A post-header shorter than the known fields is an error naming
    both lengths.  Building writes the given bytes, or pads with zeros up to
    ``post_header_len`` when given None (a crafted event under a longer table).
    """

    def __init__(self):
        super().__init__()
        self.flagbuildnone = True  # may be left out when building

    def _needed(self, stream, context, path) -> int:
        declared = context["_params"].get("post_header_len")
        if declared is None:
            return 0
        here = stream_tell(stream, path)
        if declared < here:
            raise ConstructError(
                f"post_header_len {declared} from the format description is shorter than "
                f"the {here} bytes of known post-header fields",
                path=path,
            )
        return declared - here

    def _parse(self, stream, context, path):
        return stream_read(stream, self._needed(stream, context, path), path)

    def _emitparse(self, code):
        return emit_read(code, f"{_link(code, self)}._needed(io, this, '(compiled)')")

    def _build(self, obj, stream, context, path):
        if obj is None:
            obj = bytes(self._needed(stream, context, path))
        stream_write(stream, obj, len(obj), path)
        return obj

    def _sizeof(self, context, path):
        raise SizeofError("post-header surplus depends on the format description", path=path)


def known_post_header(context, known: int) -> bool:
    """True when the FDE's post-header length for this event covers ``known`` bytes.

    Used where a field exists only in newer post-header layouts (e.g. the logical
    clock of MySQL 5.7 GTID events, absent from 5.6's 25-byte post-header).
    """
    declared = context["_params"].get("post_header_len")
    return declared is None or declared >= known


class KnownPostHeader(Subconstruct):
    """A post-header field present only when the FDE's post-header length covers
    ``known`` bytes (see :func:`known_post_header`); else None, and None builds
    nothing.  A construct rather than ``If(lambda ...)`` so the enclosing schema can
    be compiled."""

    def __init__(self, known: int, subcon: Construct):
        super().__init__(subcon)
        self.known = known
        self.flagbuildnone = True

    def _parse(self, stream, context, path):
        if not known_post_header(context, self.known):
            return None
        return self.subcon._parsereport(stream, context, path)

    def _emitparse(self, code):
        return (f"(({self.subcon._compileparse(code)}) if {_link(code, known_post_header)}"
                f"(this, {self.known}) else None)")

    def _build(self, obj, stream, context, path):
        if not known_post_header(context, self.known):
            return None
        return self.subcon._build(obj, stream, context, path)

    def _sizeof(self, context, path):
        raise SizeofError("depends on the format description", path=path)


class When(Subconstruct):
    """``If`` with a Python predicate: ``subcon`` when ``predicate(context)`` holds,
    else None (and None builds nothing).

    construct's ``If`` compiles only with ``this`` expressions; conditions that need
    the format description (``this._params``) or a helper are plain functions, and
    this construct keeps the enclosing schema compilable.  ``predicate`` may be a
    ``this`` expression too.
    """

    def __init__(self, predicate, subcon: Construct):
        super().__init__(subcon)
        self.predicate = predicate
        self.flagbuildnone = True

    def _parse(self, stream, context, path):
        if not self.predicate(context):
            return None
        return self.subcon._parsereport(stream, context, path)

    def _emitparse(self, code):
        return (f"(({self.subcon._compileparse(code)}) if {_emit_condition(code, self.predicate)} "
                f"else None)")

    def _build(self, obj, stream, context, path):
        if not self.predicate(context):
            return None
        return self.subcon._build(obj, stream, context, path)

    def _sizeof(self, context, path):
        raise SizeofError("conditional field", path=path)


def present(field: str):
    """A :class:`When` predicate: field ``field`` (parsed before) is not None."""

    def condition(ctx) -> bool:
        return ctx[field] is not None

    return condition


class Choose(Construct):
    """``IfThenElse`` with a Python predicate (see :class:`When`)."""

    def __init__(self, predicate, then: Construct, otherwise: Construct):
        super().__init__()
        self.predicate = predicate
        self.then = then
        self.otherwise = otherwise
        self.flagbuildnone = then.flagbuildnone and otherwise.flagbuildnone

    def _pick(self, context) -> Construct:
        return self.then if self.predicate(context) else self.otherwise

    def _parse(self, stream, context, path):
        return self._pick(context)._parsereport(stream, context, path)

    def _emitparse(self, code):
        return (f"(({self.then._compileparse(code)}) if {_emit_condition(code, self.predicate)} "
                f"else ({self.otherwise._compileparse(code)}))")

    def _build(self, obj, stream, context, path):
        return self._pick(context)._build(obj, stream, context, path)

    def _sizeof(self, context, path):
        raise SizeofError("conditional field", path=path)


class NameOf(Construct):
    """Computed: the server's name for the code in field ``field`` (``names``), or
    ``UNKNOWN_<code>``.  Builds nothing.  A construct rather than ``Computed(lambda)``
    so the enclosing schema can be compiled."""

    def __init__(self, names: dict[int, str], field: str):
        super().__init__()
        self.names = names
        self.field = field
        self.flagbuildnone = True

    def _parse(self, stream, context, path):
        return self.name_of(context[self.field])

    def name_of(self, code: int) -> str:
        return self.names.get(code, f"UNKNOWN_{code}")

    def _emitparse(self, code):
        return f"{_link(code, self)}.name_of(this[{self.field!r}])"

    def _build(self, obj, stream, context, path):
        return obj

    def _sizeof(self, context, path):
        return 0


class TextAdapter(CompiledAdapter):
    """Bytes shown as ``str`` when they are valid UTF-8, kept as ``bytes`` otherwise.

    Identifiers and SQL text travel without a charset of their own; decoding as UTF-8
    when it is valid keeps them readable while a non-UTF-8 value (latin1 query text,
    say) stays bytes, so parse then build always gives back the same bytes.
    """

    def _decode(self, obj, context, path):
        try:
            return obj.decode("utf-8")
        except UnicodeDecodeError:
            return obj

    def _emitdecode(self, code, data):
        emit_helper(code, """
            def decode_text(data):
                try:
                    return data.decode("utf-8")
                except UnicodeDecodeError:
                    return data
        """)
        return f"decode_text({data})"

    def _encode(self, obj, context, path):
        if isinstance(obj, str):
            return obj.encode("utf-8")
        return obj


def Text(subcon: Construct) -> Construct:
    return TextAdapter(subcon)


class ByteListAdapter(CompiledAdapter):
    """Raw bytes as a list of small ints (the FDE post-header length table)."""

    def _decode(self, obj, context, path):
        return list(obj)

    def _emitdecode(self, code, data):
        return f"list({data})"

    def _encode(self, obj, context, path):
        return bytes(obj)


def ByteList(subcon: Construct) -> Construct:
    return ByteListAdapter(subcon)


Extra = Default(GreedyBytes, b"")
"""Body bytes past the fields a schema knows (a newer server's additions), kept raw;
empty when a crafted event leaves it out."""


class AllButLast(Construct):
    """Bytes up to ``reserve`` bytes before the end of the enclosing body.

    ``reserve`` is an int or a context function.  Used for a variable run followed by
    a fixed trailer, e.g. the FDE's post-header length table before its checksum
    algorithm byte.
    """

    def __init__(self, reserve):
        super().__init__()
        self.reserve = reserve

    def _parse(self, stream, context, path):
        from spec.wire import remaining

        reserve = self.reserve(context) if callable(self.reserve) else self.reserve
        left = remaining(stream)
        if left is None or left < reserve:
            raise ConstructError(f"need at least {reserve} more bytes, {left} remain", path=path)
        return stream_read(stream, left - reserve, path)

    def _build(self, obj, stream, context, path):
        stream_write(stream, obj, len(obj), path)
        return obj

    def _sizeof(self, context, path):
        raise SizeofError("variable size", path=path)


class Auto(Construct):
    """A derived field (a length, a count) computed at build time unless given.

    Parsing returns the stored value.  Building writes the value given, or, when it is
    None or absent, ``func(context)``: the scapy way, so a length left unset is filled
    in and one set explicitly is written as given -- which is how a broken event (a
    lying length) gets crafted.  Note that a parsed event keeps its stored lengths: set
    them to None after editing the fields they measure.
    """

    def __init__(self, subcon: Construct, func):
        super().__init__()
        self.subcon = subcon
        self.func = func
        self.flagbuildnone = True  # may be left out when building

    def _parse(self, stream, context, path):
        return self.subcon._parsereport(stream, context, path)

    def _emitparse(self, code):
        return self.subcon._compileparse(code)

    def _build(self, obj, stream, context, path):
        if obj is None:
            obj = self.func(context)
        return self.subcon._build(obj, stream, context, path)

    def _sizeof(self, context, path):
        return self.subcon._sizeof(context, path)


def encoded_len(value) -> int:
    """Length in bytes of a field value that may be held as ``str`` (UTF-8) or ``bytes``."""
    if value is None:
        return 0
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    return len(value)


def post_header_len(ctx) -> int | None:
    """The FDE's post-header length for the event being parsed or built."""
    return ctx["_params"].get("post_header_len")


def PostHeaderSurplus(known: int):
    """:class:`PostHeaderExtra` only when the FDE gives more than ``known`` bytes.

    Some FDEs list a post-header length smaller than the fields an event type has
    (MySQL 9 gives 0 for the V1 rows events it no longer writes); the servers then
    read the fields regardless, so a shorter length means no surplus, not an error.
    """
    return When(lambda ctx: (post_header_len(ctx) or 0) > known, _SurplusBytes())


class _SurplusBytes(PostHeaderExtra):
    def __init__(self):
        super().__init__()
        self.flagbuildnone = True  # None builds the zero padding


def built_size(subcon, key: str):
    """An :class:`Auto` function: the size ``subcon`` gives ``ctx[key]`` when built.

    The value is built with the enclosing context, so a field whose layout depends
    on its neighbours (column metadata on the column types) is measured correctly.
    """

    def size(ctx) -> int:
        stream = io.BytesIO()
        subcon._build(ctx[key], stream, ctx, "(size)")
        return len(stream.getvalue())

    return size
