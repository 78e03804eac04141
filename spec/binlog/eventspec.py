"""The declaration that binds an event type code to its body schema.

An :class:`EventSpec` is plain data: the server's name for the event, its type code,
and the construct schema of its body (post-header and payload, i.e. everything
between the common header and the checksum).  Flavours (``mysqlproto.registry``) are
composed from lists of these, so a vendor adds an event by declaring one more spec,
with no edit to the package.

Body schemas are parsed and built with these context parameters, reachable from any
nesting level as ``this._params.NAME``:

``post_header_len``
    The post-header length the format description event in force gives for this type
    code, or None when it gives none (no FDE yet, or a code past its table).
``header_len``
    The common-header length (19 for binlog v3/v4, 13 for v1).
``binlog_version``
    1, 3 or 4.
``server_version``
    The FDE's server version as a string ("" when unknown).
"""

from __future__ import annotations

import dataclasses
import functools

from construct import CancelParsing, Compiled, Construct, Container


@dataclasses.dataclass(frozen=True)
class EventSpec:
    """One event type: ``code`` and server ``name`` bound to a body ``schema``.

    ``compressed`` names the kind of compressed payload the event carries
    ("zstd-payload" for MySQL TRANSACTION_PAYLOAD, "mariadb-zlib" for MariaDB's
    compressed query and rows events); the runtime expands those.
    """

    code: int
    name: str
    schema: Construct
    doc: str = ""
    compressed: str | None = None

    @functools.cached_property
    def parser(self) -> Construct:
        """The schema compiled for parsing (construct's ``compile()``), or the schema
        itself where a field cannot be compiled (a lambda, for one).  Both parse alike;
        the compiled one is faster.  Building always uses :attr:`schema`."""
        try:
            compiled = self.schema.compile()
        except Exception:  # construct raises whatever its code generation hits
            return self.schema
        return CompiledBody(compiled.parsefunc, compiled.buildfunc, compiled)

    def __post_init__(self) -> None:
        if not 0 <= self.code <= 255:
            raise ValueError(f"event type code must be 0-255, got {self.code}")
        if not self.name:
            raise ValueError("an EventSpec needs the server's name for the event")


class CompiledBody(Compiled):
    """A compiled body schema whose ``parse_stream`` sets up the context directly.

    construct's ``parse_stream`` fills the context through ``Container.__setattr__``,
    a Python call per entry; for a short event that was a fifth of its decoding time.
    The context holds the same entries (``_params`` is the context itself, as in
    construct, until the parse ends).
    """

    def __init__(self, parsefunc, buildfunc, compiled: Compiled):
        super().__init__(parsefunc, buildfunc)
        self.source = compiled.source
        self.defersubcon = compiled.defersubcon
        self.module = compiled.module  # the generated code refers to its module's globals

    def parse_stream(self, stream, **contextkw):
        context = Container(contextkw, _parsing=True, _building=False, _sizing=False)
        context["_params"] = context
        try:
            return self.parsefunc(stream, context)
        except CancelParsing:
            return None
        finally:
            # The context refers to itself; breaking that lets it go with its last
            # reference rather than wait for the garbage collector.
            del context["_params"]
