"""GTID sets: MySQL's ``GtidSet`` (UUID, optional tag, intervals) and MariaDB's
``MariaGtidList`` (one domain-server-sequence triple per replication domain).

MySQL
-----
A GTID is ``uuid:gno``, or ``uuid:tag:gno`` in MySQL 8.3+.  A set maps each (uuid,
tag) to sorted, disjoint, non-adjacent closed ranges of GNOs, written as the server
writes ``@@gtid_executed``::

    3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:11-18:tag1:3-7

Parsing follows ``Gtid_set::add_gtid_text`` (sql/rpl_gtid_set.cc) and
``Tag::from_cstring`` (libs/mysql/gtid/tag.cpp):

* whitespace may surround every token; entries are separated by commas, and empty
  entries (``,,``) and the empty string are allowed;
* a UUID is the 36-character hyphenated form, hex in either case;
* after the UUID, ``:``-separated items are intervals (``n`` or ``n-m``, 1 <= n <=
  2^63 - 2) or a tag that applies to the intervals after it;
* a tag is ``[a-z_][a-z0-9_]{0,31}``, case-insensitive, kept in lower case;
* a range whose end is below its start adds nothing, as in the server.

Differences from the server: GNOs are decimal digits only (the server's
``strtoll(base 0)`` would also take ``0x1f``, ``017`` and a sign) and the
``ANONYMOUS`` keyword is not accepted.

The text form (``str``) is canonical: UUIDs in lower case and ascending, each
UUID's untagged intervals first and then its tags in ascending order, entries
joined by ``,`` (the server joins with ``",\\n"``: pass ``separator``).

The binary form is ``Gtid_set::encode``'s (PREVIOUS_GTIDS_LOG_EVENT, COM_BINLOG_DUMP_GTID),
through :data:`spec.gtid_set.GtidSetEncoding`: untagged unless the set holds
a tagged GTID.  Decoding applies the server's checks (``add_gtid_encoding``): each
interval starts after the previous one ends (not adjacent) and is not empty, tags
are valid, no bytes trail.

MariaDB
-------
A MariaDB GTID is ``domain-server-seq``.  A GTID *position* (``@@gtid_slave_pos``,
``@@gtid_binlog_pos``, ``@slave_connect_state``) holds, per replication domain, the
last GTID applied, so :class:`MariaGtidList` keeps one GTID per domain and rejects
text naming a domain twice, as the server does (ER_DUPLICATE_GTID_DOMAIN).

Ordering within a domain is by ``seq_no`` alone: the server id records where a
transaction came from and does not order it.  This is how MariaDB decides that a
position has been reached (``MASTER_GTID_WAIT``, ``START SLAVE UNTIL
master_gtid_pos``: per domain, ``seq_no`` at or past the target; sql/rpl_gtid.cc
``gtid_waiting``).  Hence, here:

* ``a.contains(b)``: every domain of ``b`` is in ``a`` with a ``seq_no`` >= ``b``'s;
* ``a | b``: per domain the GTID with the higher ``seq_no``; on equal ``seq_no``
  with different server ids (two servers wrote the same sequence number: diverged
  histories, which ``gtid_strict_mode`` prevents) the higher server id, so the union
  is commutative;
* ``a - b``: the GTIDs of ``a`` whose domain ``b`` lacks or has at a lower
  ``seq_no`` -- what ``a`` has that ``b`` has not reached;
* :meth:`MariaGtidList.conflicts` lists domains where both have the same
  ``seq_no`` from different servers -- the case a primary reports when a replica
  connects with a GTID it never logged.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import NamedTuple

from construct import ConstructError, FocusedSeq, Terminated

from mysqlproto.errors import DecodeError, UsageError
from spec.gtid_set import GtidSetEncoding

__all__ = [
    "Gtid",
    "GtidSet",
    "GtidEncodingError",
    "MariaGtid",
    "MariaGtidList",
    "MAX_GNO",
    "TAG_MAX_LENGTH",
]

MAX_GNO = (1 << 63) - 2
"""Largest GNO: ``GNO_END`` (INT64_MAX) is excluded (sql/rpl_gtid.h)."""

TAG_MAX_LENGTH = 32
"""``mysql::gtid::tag_max_length``."""

_TAG = re.compile(r"[a-z_][a-z0-9_]{0,31}", re.ASCII)
_TAG_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_WS = " \t\n\r\f\v"


class GtidEncodingError(DecodeError):
    """A binary GTID set that the server would refuse (ER_MALFORMED_GTID_SET_ENCODING)."""


def _normalize_tag(tag: str | None) -> str | None:
    if tag is None or tag == "":
        return None
    if not isinstance(tag, str):
        raise UsageError(f"a tag is a str, got {tag!r}")
    lowered = tag.lower()
    if not _TAG.fullmatch(lowered):
        raise UsageError(f"invalid GTID tag {tag!r}: [a-z_][a-z0-9_]{{0,31}} expected")
    return lowered


def _as_uuid(value) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str) and _UUID.fullmatch(value.strip()):
        return uuid.UUID(value.strip())
    raise UsageError(f"not a UUID: {value!r}")


def _check_gno(gno: int) -> int:
    if not isinstance(gno, int) or isinstance(gno, bool) or not 1 <= gno <= MAX_GNO:
        raise UsageError(f"GNO must be an int in 1..{MAX_GNO}, got {gno!r}")
    return gno


class Gtid(NamedTuple):
    """One MySQL GTID: ``uuid[:tag]:gno``."""

    sid: uuid.UUID
    gno: int
    tag: str | None = None

    @classmethod
    def parse(cls, text: str) -> Gtid:
        """``"uuid:gno"`` or ``"uuid:tag:gno"`` (whitespace around tokens allowed)."""
        parts = [part.strip(_WS) for part in text.split(":")]
        if len(parts) == 2:
            sid, gno_text, tag = parts[0], parts[1], None
        elif len(parts) == 3 and parts[1]:
            sid, tag, gno_text = parts
        else:
            raise UsageError(f"malformed GTID {text!r}: uuid[:tag]:gno expected")
        if not gno_text.isdigit() or not gno_text.isascii():
            raise UsageError(f"malformed GTID {text!r}: bad GNO {gno_text!r}")
        return cls.of(sid, int(gno_text), tag)

    @classmethod
    def of(cls, sid, gno: int, tag: str | None = None) -> Gtid:
        """A checked GTID from a UUID (or its text), a GNO and an optional tag."""
        return cls(_as_uuid(sid), _check_gno(gno), _normalize_tag(tag))

    def __str__(self) -> str:
        if self.tag:
            return f"{self.sid}:{self.tag}:{self.gno}"
        return f"{self.sid}:{self.gno}"


Tsid = tuple[uuid.UUID, str | None]
Interval = tuple[int, int]


def _tsid_key(tsid: Tsid) -> tuple[bytes, str]:
    return tsid[0].bytes, tsid[1] or ""


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, merged closed intervals (overlapping and adjacent ones joined)."""
    out: list[list[int]] = []
    for start, end in sorted(intervals):
        if end < start:
            continue
        if out and start <= out[-1][1] + 1:
            if end > out[-1][1]:
                out[-1][1] = end
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def _subtract(a: list[Interval], b: list[Interval]) -> list[Interval]:
    out = []
    j = 0
    for start, end in a:
        while j < len(b) and b[j][1] < start:
            j += 1
        k = j
        cur = start
        while k < len(b) and b[k][0] <= end:
            if b[k][0] > cur:
                out.append((cur, b[k][0] - 1))
            cur = max(cur, b[k][1] + 1)
            if cur > end:
                break
            k += 1
        if cur <= end:
            out.append((cur, end))
    return out


def _intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        end = min(a[i][1], b[j][1])
        if start <= end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _covers(big: list[Interval], small: list[Interval]) -> bool:
    j = 0
    for start, end in small:
        while j < len(big) and big[j][1] < start:
            j += 1
        if j == len(big) or big[j][0] > start or big[j][1] < end:
            return False
    return True


class _Scanner:
    """Cursor over GTID set text, for ``Gtid_set::add_gtid_text``'s grammar."""

    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in _WS:
            self.pos += 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def fail(self, what: str) -> UsageError:
        found = self.text[self.pos:self.pos + 20] or "end of text"
        return UsageError(f"malformed GTID set at character {self.pos}: {what}, "
                          f"found {found!r} in {self.text!r}")

    def number(self) -> int:
        self.skip_ws()
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in "0123456789":
            self.pos += 1
        if start == self.pos:
            raise self.fail("expected a number")
        value = int(self.text[start:self.pos])
        if value > MAX_GNO:
            raise self.fail(f"GNO over {MAX_GNO}")
        return value


class GtidSet:
    """A MySQL GTID set: (uuid, tag) -> sorted disjoint closed GNO ranges.

    Build from text (``GtidSet("uuid:1-5,...")``), from a mapping ``{(uuid, tag):
    [(start, end), ...]}`` (closed ranges; ``tag`` None when untagged), or empty.
    Set operators return new sets; :meth:`add` and :meth:`update` change this one.
    """

    __slots__ = ("_data",)

    def __init__(self, source: str | Mapping | GtidSet | None = None):
        self._data: dict[Tsid, list[Interval]] = {}
        if source is None:
            return
        if isinstance(source, str):
            self._data = GtidSet.parse(source)._data
        elif isinstance(source, GtidSet):
            self._data = {k: list(v) for k, v in source._data.items()}
        elif isinstance(source, Mapping):
            for (sid, tag), intervals in source.items():
                checked = []
                for start, end in intervals:
                    _check_gno(start)
                    _check_gno(end)
                    checked.append((start, end))
                self._put((_as_uuid(sid), _normalize_tag(tag)), checked)
        else:
            raise UsageError(f"cannot make a GtidSet from {type(source).__name__}")

    def _put(self, tsid: Tsid, intervals: Iterable[Interval]) -> None:
        merged = _merge([*self._data.get(tsid, []), *intervals])
        if merged:
            self._data[tsid] = merged
        else:
            self._data.pop(tsid, None)

    # -- text -----------------------------------------------------------------------

    @classmethod
    def parse(cls, text: str) -> GtidSet:
        """Parse MySQL's GTID set text; :class:`UsageError` names the bad character."""
        if not isinstance(text, str):
            raise UsageError(f"GTID set text must be str, got {type(text).__name__}")
        result = cls()
        scan = _Scanner(text)
        while True:
            scan.skip_ws()
            while scan.peek() == ",":
                scan.pos += 1
                scan.skip_ws()
            if scan.peek() == "":
                return result
            match = _UUID.match(text, scan.pos)
            if not match:
                raise scan.fail("expected a UUID")
            sid = uuid.UUID(match.group())
            scan.pos = match.end()
            tag: str | None = None
            pending: list[Interval] = []
            scan.skip_ws()
            while scan.peek() == ":":
                scan.pos += 1
                scan.skip_ws()
                tag_match = _TAG_WORD.match(text, scan.pos)
                if tag_match:
                    word = tag_match.group()
                    if len(word) > TAG_MAX_LENGTH:
                        raise scan.fail(f"tag longer than {TAG_MAX_LENGTH} characters")
                    scan.pos = tag_match.end()
                    scan.skip_ws()
                    if scan.peek() not in (":", ",", ""):
                        raise scan.fail("expected ':' or ',' after the tag")
                    result._put((sid, tag), pending)
                    pending = []
                    tag = word.lower()
                    continue
                start = scan.number()
                if start == 0:
                    raise scan.fail("GNO 0")
                scan.skip_ws()
                end = start
                if scan.peek() == "-":
                    scan.pos += 1
                    end = scan.number()
                    scan.skip_ws()
                if end >= start:  # the server ignores a reversed range
                    pending.append((start, end))
            result._put((sid, tag), pending)
            if scan.peek() not in (",", ""):
                raise scan.fail("expected ',', ':' or the end")

    def to_text(self, separator: str = ",") -> str:
        """The canonical text; ``separator`` between UUIDs (the server uses ``",\\n"``)."""
        parts: list[str] = []
        current = None
        for sid, tag in sorted(self._data, key=_tsid_key):
            ranges = ":".join(f"{s}" if s == e else f"{s}-{e}" for s, e in self._data[sid, tag])
            piece = f"{tag}:{ranges}" if tag else ranges
            if sid == current:
                parts[-1] += ":" + piece
            else:
                parts.append(f"{sid}:{piece}")
                current = sid
        return separator.join(parts)

    __str__ = to_text

    def __repr__(self) -> str:
        return f"GtidSet({self.to_text()!r})"

    # -- binary ---------------------------------------------------------------------

    def to_binary(self) -> bytes:
        """``Gtid_set::encode``: untagged format unless a tagged GTID is present."""
        sids = []
        for sid, tag in sorted(self._data, key=_tsid_key):
            sids.append({
                "sid": sid,
                "tag": tag,
                "n_intervals": None,
                "intervals": [{"start": s, "end": e + 1} for s, e in self._data[sid, tag]],
            })
        return GtidSetEncoding.build({"gtid_format": None, "n_sids": None, "sids": sids})

    @classmethod
    def from_binary(cls, data: bytes) -> GtidSet:
        """Decode ``Gtid_set::encode`` bytes, with the server's checks."""
        try:
            parsed = _WholeEncoding.parse(data)
        except ConstructError as exc:
            raise GtidEncodingError(f"malformed GTID set encoding: {exc}",
                                    field="gtid_set") from None
        result = cls()
        for index, entry in enumerate(parsed.sids):
            where = f"sids[{index}]"
            tag = entry.tag or None
            if tag is not None:
                lowered = tag.lower() if isinstance(tag, str) else None
                if lowered is None or not _TAG.fullmatch(lowered):
                    raise GtidEncodingError(f"invalid tag {tag!r}", field=f"{where}.tag")
                tag = lowered
            last = 0
            intervals = []
            for number, interval in enumerate(entry.intervals):
                start, end = interval.start, interval.end
                if start <= last or end <= start or end > MAX_GNO + 1:
                    raise GtidEncodingError(
                        f"interval [{start}, {end}) after {last}: intervals must ascend, "
                        f"be non-empty and end by {MAX_GNO + 1}",
                        field=f"{where}.intervals[{number}]")
                last = end
                intervals.append((start, end - 1))
            result._put((entry.sid, tag), intervals)
        return result

    # -- algebra ---------------------------------------------------------------------

    def _combine(self, other: GtidSet, op) -> GtidSet:
        other = _as_gtid_set(other)
        result = GtidSet()
        for tsid in set(self._data) | set(other._data):
            intervals = op(self._data.get(tsid, []), other._data.get(tsid, []))
            if intervals:
                result._data[tsid] = intervals
        return result

    def union(self, other: GtidSet | str) -> GtidSet:
        return self._combine(other, lambda a, b: _merge([*a, *b]))

    def difference(self, other: GtidSet | str) -> GtidSet:
        return self._combine(other, _subtract)

    def intersection(self, other: GtidSet | str) -> GtidSet:
        return self._combine(other, _intersect)

    __or__ = union
    __sub__ = difference
    __and__ = intersection

    def issubset(self, other: GtidSet | str) -> bool:
        other = _as_gtid_set(other)
        return all(_covers(other._data.get(tsid, []), intervals)
                   for tsid, intervals in self._data.items())

    __le__ = issubset

    def contains(self, item: GtidSet | Gtid | str) -> bool:
        """Whether every GTID of ``item`` (a set, a GTID, or the text of either) is here."""
        if isinstance(item, Gtid):
            return _covers(self._data.get((item.sid, item.tag), []), [(item.gno, item.gno)])
        if isinstance(item, str):
            item = GtidSet.parse(item)
        if isinstance(item, GtidSet):
            return item.issubset(self)
        raise UsageError(f"cannot test membership of {type(item).__name__}")

    __contains__ = contains

    def __ge__(self, other: GtidSet | str) -> bool:
        return _as_gtid_set(other).issubset(self)

    def add(self, gtid: Gtid | str) -> None:
        """Add one GTID (a :class:`Gtid` or its text)."""
        if isinstance(gtid, str):
            gtid = Gtid.parse(gtid)
        self._put((gtid.sid, gtid.tag), [(gtid.gno, gtid.gno)])

    def update(self, other: GtidSet | str) -> None:
        """Add every GTID of ``other``."""
        other = _as_gtid_set(other)
        for tsid, intervals in other._data.items():
            self._put(tsid, intervals)

    # -- inspection -----------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = GtidSet.parse(other)
        if not isinstance(other, GtidSet):
            return NotImplemented
        return self._data == other._data

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __bool__(self) -> bool:
        return bool(self._data)

    def count(self) -> int:
        """The number of GTIDs (transactions) in the set."""
        return sum(e - s + 1 for intervals in self._data.values() for s, e in intervals)

    def __len__(self) -> int:
        return self.count()

    def intervals(self) -> Iterator[tuple[uuid.UUID, str | None, int, int]]:
        """``(uuid, tag, start, end)`` for each closed range, in canonical order."""
        for tsid in sorted(self._data, key=_tsid_key):
            for start, end in self._data[tsid]:
                yield tsid[0], tsid[1], start, end

    def as_dict(self) -> dict[Tsid, list[Interval]]:
        return {tsid: list(intervals) for tsid, intervals in self._data.items()}


_WholeEncoding = FocusedSeq("value", "value" / GtidSetEncoding, Terminated)


def _as_gtid_set(value) -> GtidSet:
    if isinstance(value, GtidSet):
        return value
    if isinstance(value, str):
        return GtidSet.parse(value)
    raise UsageError(f"expected a GtidSet or its text, got {type(value).__name__}")


# -- MariaDB --------------------------------------------------------------------------

_U32 = (1 << 32) - 1
_U64 = (1 << 64) - 1


class MariaGtid(NamedTuple):
    """One MariaDB GTID: ``domain_id-server_id-seq_no``."""

    domain_id: int
    server_id: int
    seq_no: int

    @classmethod
    def parse(cls, text: str) -> MariaGtid:
        parts = text.strip(_WS).split("-")
        if len(parts) != 3 or not all(p.strip(_WS).isdigit() and p.strip(_WS).isascii()
                                      for p in parts):
            raise UsageError(f"malformed MariaDB GTID {text!r}: domain-server-seq expected")
        return cls.of(*(int(p) for p in parts))

    @classmethod
    def of(cls, domain_id: int, server_id: int, seq_no: int) -> MariaGtid:
        for name, value, top in (("domain_id", domain_id, _U32), ("server_id", server_id, _U32),
                                 ("seq_no", seq_no, _U64)):
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= top:
                raise UsageError(f"{name} must be an int in 0..{top}, got {value!r}")
        return cls(domain_id, server_id, seq_no)

    def __str__(self) -> str:
        return f"{self.domain_id}-{self.server_id}-{self.seq_no}"


def _newer(a: MariaGtid, b: MariaGtid) -> MariaGtid:
    return a if (a.seq_no, a.server_id) >= (b.seq_no, b.server_id) else b


class MariaGtidList:
    """A MariaDB GTID position: the last GTID of each replication domain.

    From text (``"0-1-100,1-2-5"``), from GTIDs, or empty.  See the module
    docstring for the semantics of :meth:`contains`, union and difference.
    """

    __slots__ = ("_by_domain",)

    def __init__(self, source: str | Iterable[MariaGtid] | MariaGtidList | None = None):
        self._by_domain: dict[int, MariaGtid] = {}
        if source is None:
            return
        if isinstance(source, str):
            self._by_domain = MariaGtidList.parse(source)._by_domain
            return
        if isinstance(source, MariaGtidList):
            self._by_domain = dict(source._by_domain)
            return
        for gtid in source:
            gtid = MariaGtid.of(*gtid)
            if gtid.domain_id in self._by_domain:
                raise UsageError(f"GTIDs {self._by_domain[gtid.domain_id]} and {gtid} "
                                 f"conflict (duplicate domain id {gtid.domain_id})")
            self._by_domain[gtid.domain_id] = gtid

    @classmethod
    def parse(cls, text: str) -> MariaGtidList:
        """Comma-separated ``domain-server-seq`` (empty text: the empty position).

        Whitespace around entries is allowed.  A domain named twice is an error, as
        ER_DUPLICATE_GTID_DOMAIN in the server.
        """
        if not isinstance(text, str):
            raise UsageError(f"GTID list text must be str, got {type(text).__name__}")
        if not text.strip(_WS):
            return cls()
        return cls(MariaGtid.parse(part) for part in text.split(","))

    def to_text(self) -> str:
        """Canonical text: GTIDs by ascending domain, joined by ``,``."""
        return ",".join(str(self._by_domain[d]) for d in sorted(self._by_domain))

    __str__ = to_text

    def __repr__(self) -> str:
        return f"MariaGtidList({self.to_text()!r})"

    def __iter__(self) -> Iterator[MariaGtid]:
        return (self._by_domain[d] for d in sorted(self._by_domain))

    def __len__(self) -> int:
        return len(self._by_domain)

    def __bool__(self) -> bool:
        return bool(self._by_domain)

    def get(self, domain_id: int) -> MariaGtid | None:
        return self._by_domain.get(domain_id)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = MariaGtidList.parse(other)
        if not isinstance(other, MariaGtidList):
            return NotImplemented
        return self._by_domain == other._by_domain

    __hash__ = None  # type: ignore[assignment]  # mutable

    def union(self, other: MariaGtidList | str) -> MariaGtidList:
        other = _as_maria(other)
        result = MariaGtidList(self)
        for domain, gtid in other._by_domain.items():
            mine = result._by_domain.get(domain)
            result._by_domain[domain] = gtid if mine is None else _newer(mine, gtid)
        return result

    __or__ = union

    def difference(self, other: MariaGtidList | str) -> MariaGtidList:
        other = _as_maria(other)
        result = MariaGtidList()
        for domain, gtid in self._by_domain.items():
            theirs = other._by_domain.get(domain)
            if theirs is None or theirs.seq_no < gtid.seq_no:
                result._by_domain[domain] = gtid
        return result

    __sub__ = difference

    def contains(self, item: MariaGtidList | MariaGtid | str) -> bool:
        """Whether this position has reached ``item`` (a position, a GTID, or text)."""
        if isinstance(item, MariaGtid):
            item = MariaGtidList([item])
        item = _as_maria(item)
        for domain, gtid in item._by_domain.items():
            mine = self._by_domain.get(domain)
            if mine is None or mine.seq_no < gtid.seq_no:
                return False
        return True

    __contains__ = contains

    def add(self, gtid: MariaGtid | str) -> None:
        """Record ``gtid`` as applied: it replaces its domain's GTID if newer."""
        if isinstance(gtid, str):
            gtid = MariaGtid.parse(gtid)
        gtid = MariaGtid.of(*gtid)
        mine = self._by_domain.get(gtid.domain_id)
        self._by_domain[gtid.domain_id] = gtid if mine is None else _newer(mine, gtid)

    def conflicts(self, other: MariaGtidList | str) -> list[tuple[MariaGtid, MariaGtid]]:
        """Pairs with the same domain and ``seq_no`` but different server ids."""
        other = _as_maria(other)
        out = []
        for domain in sorted(self._by_domain.keys() & other._by_domain.keys()):
            mine, theirs = self._by_domain[domain], other._by_domain[domain]
            if mine.seq_no == theirs.seq_no and mine.server_id != theirs.server_id:
                out.append((mine, theirs))
        return out


def _as_maria(value) -> MariaGtidList:
    if isinstance(value, MariaGtidList):
        return value
    if isinstance(value, str):
        return MariaGtidList.parse(value)
    raise UsageError(f"expected a MariaGtidList or its text, got {type(value).__name__}")
