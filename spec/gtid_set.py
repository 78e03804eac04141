"""MySQL's binary encoding of a GTID set (``Gtid_set::encode``).

Used by COM_BINLOG_DUMP_GTID (the replica's executed set) and by the body of
PREVIOUS_GTIDS_LOG_EVENT (:mod:`spec.binlog.events.gtid`): one schema for both.

Sources: MySQL ``sql/rpl_gtid_set.cc`` (``Gtid_set::encode``,
``Gtid_set::add_gtid_encoding``, ``encode_nsids_format`` / ``decode_nsids_format``,
``analyze_encoding_format``), ``libs/mysql/gtid/tsid.cpp`` (``Tsid::encode_tsid``),
``libs/mysql/gtid/tag.cpp`` (``Tag::encode_tag``: a ``mysql::serialization``
string, a variable-length byte count then the bytes), ``libs/mysql/gtid/gtid_format.h``.

Layout::

    int<8>  n_sids word
    n_sids times:
        byte<16>  uuid
        tag       (tagged format only) varlen length + lower-case tag, "" if untagged
        int<8>    n_intervals
        n_intervals times: int<8> start, int<8> end    -- [start, end), end exclusive

The n_sids word says the format: untagged (MySQL up to 8.2, and 8.3+ when no
entry is tagged), ``n_sids`` in the low 7 bytes and 0 in the top byte; tagged
(8.3+), the format (1) in the top *and* the lowest byte and ``n_sids`` in the six
bytes between -- an older server, reading the top byte as part of a 64-bit count,
then sees an absurd number and refuses the set.  The server decodes the format from
the top byte only; this schema also requires the lowest byte to match.

The server writes entries sorted by (uuid, tag) with the untagged entry of a uuid
first, intervals ascending, disjoint and not adjacent; when reading it requires each
interval's start to be past the previous end and start < end
(``add_gtid_encoding``).  This schema does not enforce that order -- it parses what
is on the wire -- :class:`mysqlproto.gtid.GtidSet` does.
"""

from __future__ import annotations

from construct import (
    Array,
    BytesInteger,
    Const,
    Construct,
    ConstructError,
    Default,
    FocusedSeq,
    If,
    Rebuild,
    Struct,
    Switch,
    stream_read,
    stream_seek,
    this,
)

from spec.binlog.common import Auto, Text
from spec.serialization import VarlenBytes
from spec.wire import Int1, Int6, Int8, Uuid

__all__ = [
    "GtidSetEncoding",
    "GtidSetSid",
    "GtidInterval",
    "GTID_FORMAT_TAGGED",
    "GTID_FORMAT_UNTAGGED",
]


class GtidFormat(Construct):
    """The encoding format, read from the top byte of the n_sids word without
    consuming it.  Building None picks tagged when any entry has a non-empty tag."""

    def __init__(self):
        super().__init__()
        self.flagbuildnone = True

    def _parse(self, stream, context, path):
        word = stream_read(stream, 8, path)
        stream_seek(stream, -8, 1, path)
        fmt = word[7]
        if fmt not in (GTID_FORMAT_UNTAGGED, GTID_FORMAT_TAGGED):
            raise ConstructError(f"unknown GTID set encoding format {fmt}", path=path)
        return fmt

    def _build(self, obj, stream, context, path):
        if obj is None:
            tagged = any(sid.get("tag") for sid in context.sids)
            obj = GTID_FORMAT_TAGGED if tagged else GTID_FORMAT_UNTAGGED
        return obj

    def _sizeof(self, context, path):
        return 0


# mysql::gtid::Gtid_format (libs/mysql/gtid/gtid_format.h)
GTID_FORMAT_UNTAGGED = 0
GTID_FORMAT_TAGGED = 1


def _tagged(ctx) -> bool:
    return ctx._.gtid_format == GTID_FORMAT_TAGGED


def _count(ctx) -> int:
    return len(ctx._.sids)


GtidInterval = Struct("start" / Int8, "end" / Int8)
"""GNOs start to end - 1."""

GtidSetSid = Struct(
    "sid" / Uuid,
    "tag" / If(_tagged, Default(Text(VarlenBytes), "")),
    "n_intervals" / Auto(Int8, lambda ctx: len(ctx.intervals)),
    "intervals" / Array(this.n_intervals, GtidInterval),
)
"""One (uuid, tag) entry: ``tag`` is None in the untagged format, "" for an untagged
entry of the tagged format."""

GtidSetEncoding = Struct(
    "gtid_format" / GtidFormat(),
    "n_sids" / Switch(this.gtid_format, {
        GTID_FORMAT_TAGGED: FocusedSeq(
            "n_sids",
            Const(bytes((GTID_FORMAT_TAGGED,))),
            "n_sids" / Auto(Int6, _count),
            Const(bytes((GTID_FORMAT_TAGGED,))),
        ),
        GTID_FORMAT_UNTAGGED: FocusedSeq(
            "n_sids",
            "n_sids" / Auto(BytesInteger(7, swapped=True), _count),
            "format" / Rebuild(Int1, this._.gtid_format),
        ),
    }),
    "sids" / Array(this.n_sids, GtidSetSid),
)
"""A GTID set, ``Gtid_set::encode`` format.  ``gtid_format`` and the counts are
computed when None."""
