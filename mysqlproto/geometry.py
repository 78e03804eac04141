"""GEOMETRY values: the SRID and WKB MySQL stores, read into shapes and WKT.

A GEOMETRY column value in a row image (and in a table) is a 4-byte little-endian
SRID followed by the geometry in OGC Well-Known Binary (MySQL
``sql/gis/wkb.cc``, ``sql/spatial.h``: "SRID + WKB"; MariaDB ``sql/spatial.cc``).
WKB: a byte-order byte (1 little-endian, 0 big-endian), a 4-byte type, then the
coordinates -- Point (2 doubles), LineString (count, points), Polygon (count,
rings of points), and the Multi* types and GeometryCollection as a count of nested
WKB geometries, each with its own byte order and type.

``Geometry.wkt`` is formatted as MySQL's ``ST_AsText`` formats it (MySQL 8 and
later: ``MULTIPOINT((1 1),(2 2))``, ``GEOMETRYCOLLECTION EMPTY``, numbers as below),
in the coordinates' storage order.  Note: for a geographic SRS whose axis order is
latitude first (SRID 4326), MySQL 8 stores longitude first and ``ST_AsText`` swaps
them back; :meth:`Geometry.swapped` gives that order.

Numbers: the shortest digits that read back as the same double, written as
``strings/dtoa.cc`` ``my_gcvt`` chooses between fixed and exponent forms for a
25-character field (measured against ``ST_AsText`` of MySQL 9.7 and MariaDB 11.8:
``1e15``, ``100000000000000``, ``0.000000000000001``, ``1e-16``, ``1.2345678901234567e-8``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = ["Geometry", "GeometryError", "parse_wkb", "build_wkb", "format_double", "WKB_TYPES"]

WKB_POINT = 1
WKB_LINESTRING = 2
WKB_POLYGON = 3
WKB_MULTIPOINT = 4
WKB_MULTILINESTRING = 5
WKB_MULTIPOLYGON = 6
WKB_GEOMETRYCOLLECTION = 7

WKB_TYPES = {
    WKB_POINT: "POINT", WKB_LINESTRING: "LINESTRING", WKB_POLYGON: "POLYGON",
    WKB_MULTIPOINT: "MULTIPOINT", WKB_MULTILINESTRING: "MULTILINESTRING",
    WKB_MULTIPOLYGON: "MULTIPOLYGON", WKB_GEOMETRYCOLLECTION: "GEOMETRYCOLLECTION",
}
_MULTI_MEMBER = {WKB_MULTIPOINT: WKB_POINT, WKB_MULTILINESTRING: WKB_LINESTRING,
                 WKB_MULTIPOLYGON: WKB_POLYGON}
MAX_DEPTH = 32
"""Nesting limit for GeometryCollections (MySQL refuses deeper ones too)."""


class GeometryError(ValueError):
    """WKB that does not parse: truncated, an unknown type, a bad byte order."""


@dataclass(frozen=True)
class Shape:
    """One parsed geometry: ``type`` (a ``WKB_*`` code) and its ``coords``:
    ``(x, y)`` for a point, a list of points for a line string, a list of rings for a
    polygon, a list of :class:`Shape` for the multi types and collections."""

    type: int
    coords: Any

    @property
    def name(self) -> str:
        return WKB_TYPES[self.type]


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, pos: int = 0):
        self.data = data
        self.pos = pos

    def take(self, fmt: str) -> tuple:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise GeometryError(f"WKB truncated at byte {self.pos}: needs {size} more bytes, "
                                f"{len(self.data) - self.pos} remain")
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return values


def _read_geometry(reader: _Reader, depth: int) -> Shape:
    if depth > MAX_DEPTH:
        raise GeometryError(f"geometry nested deeper than {MAX_DEPTH} levels")
    (order,) = reader.take("B")
    if order not in (0, 1):
        raise GeometryError(f"bad WKB byte order {order} at byte {reader.pos - 1}")
    end = "<" if order == 1 else ">"
    (wkb_type,) = reader.take(end + "I")
    if wkb_type == WKB_POINT:
        return Shape(wkb_type, reader.take(end + "dd"))
    if wkb_type == WKB_LINESTRING:
        return Shape(wkb_type, _points(reader, end))
    if wkb_type == WKB_POLYGON:
        (rings,) = reader.take(end + "I")
        _check_count(reader, rings, 4)
        return Shape(wkb_type, [_points(reader, end) for _ in range(rings)])
    if wkb_type in _MULTI_MEMBER or wkb_type == WKB_GEOMETRYCOLLECTION:
        (count,) = reader.take(end + "I")
        _check_count(reader, count, 5)
        members = [_read_geometry(reader, depth + 1) for _ in range(count)]
        want = _MULTI_MEMBER.get(wkb_type)
        for member in members:
            if want is not None and member.type != want:
                raise GeometryError(f"{WKB_TYPES[wkb_type]} holds a {member.name}")
        return Shape(wkb_type, members)
    raise GeometryError(f"unknown WKB geometry type {wkb_type}")


def _check_count(reader: _Reader, count: int, min_size: int) -> None:
    # A count larger than the bytes left could hold is refused before any list is
    # built for it.
    if count * min_size > len(reader.data) - reader.pos:
        raise GeometryError(f"WKB count {count} exceeds the {len(reader.data) - reader.pos} "
                            "bytes left")


def _points(reader: _Reader, end: str) -> list[tuple[float, float]]:
    (count,) = reader.take(end + "I")
    _check_count(reader, count, 16)
    flat = reader.take(f"{end}{2 * count}d")
    return list(zip(flat[0::2], flat[1::2], strict=True))


def parse_wkb(wkb: bytes) -> Shape:
    """Parse one WKB geometry; every byte must be used."""
    reader = _Reader(bytes(wkb))
    shape = _read_geometry(reader, 0)
    if reader.pos != len(reader.data):
        raise GeometryError(f"{len(reader.data) - reader.pos} bytes after the WKB geometry")
    return shape


def build_wkb(shape: Shape) -> bytes:
    """Little-endian WKB for a :class:`Shape` (what MySQL writes)."""
    out = bytearray(struct.pack("<BI", 1, shape.type))
    if shape.type == WKB_POINT:
        out += struct.pack("<dd", *shape.coords)
    elif shape.type == WKB_LINESTRING:
        out += _pack_points(shape.coords)
    elif shape.type == WKB_POLYGON:
        out += struct.pack("<I", len(shape.coords))
        for ring in shape.coords:
            out += _pack_points(ring)
    else:
        out += struct.pack("<I", len(shape.coords))
        for member in shape.coords:
            out += build_wkb(member)
    return bytes(out)


def _pack_points(points) -> bytes:
    flat = [c for point in points for c in point]
    return struct.pack(f"<I{len(flat)}d", len(points), *flat)


# -- WKT ------------------------------------------------------------------------------

_FIELD_WIDTH = 25
_MAX_DECPT_FOR_F_FORMAT = 15


def format_double(value: float) -> str:
    """A coordinate as ``ST_AsText`` prints it (``my_gcvt``'s choice of form, with the
    shortest digits that round-trip)."""
    if value != value or value in (float("inf"), float("-inf")):
        return repr(value)
    sign, digit_tuple, exponent = Decimal(repr(value)).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    if digits == "0":
        return "-0" if sign else "0"
    # strip leading zeros the repr may carry ("0.001" -> digits "1")
    stripped = "".join(map(str, digit_tuple)).lstrip("0")
    decpt = len(stripped) + exponent  # value = 0.DIGITS * 10**decpt
    digits = stripped.rstrip("0")
    n = len(digits)
    width = _FIELD_WIDTH - (1 if sign else 0)
    fixed_len = n - decpt + 2 if decpt <= 0 else (n + 1 if decpt < n else decpt)
    use_fixed = (fixed_len <= width and decpt >= -_MAX_DECPT_FOR_F_FORMAT + 1
                 and (decpt <= _MAX_DECPT_FOR_F_FORMAT or n > decpt))
    prefix = "-" if sign else ""
    if use_fixed:
        if decpt <= 0:
            return f"{prefix}0.{'0' * -decpt}{digits}"
        if decpt < n:
            return f"{prefix}{digits[:decpt]}.{digits[decpt:]}"
        return f"{prefix}{digits}{'0' * (decpt - n)}"
    mantissa = digits[0] + ("." + digits[1:] if n > 1 else "")
    return f"{prefix}{mantissa}e{decpt - 1}"


def _wkt_point(point) -> str:
    return f"{format_double(point[0])} {format_double(point[1])}"


def _wkt_points(points) -> str:
    return "(" + ",".join(_wkt_point(p) for p in points) + ")"


def _wkt_body(shape: Shape) -> str:
    t = shape.type
    if t == WKB_POINT:
        return "(" + _wkt_point(shape.coords) + ")"
    if t == WKB_LINESTRING:
        return _wkt_points(shape.coords)
    if t == WKB_POLYGON:
        return "(" + ",".join(_wkt_points(ring) for ring in shape.coords) + ")"
    if not shape.coords:
        return " EMPTY"
    if t == WKB_GEOMETRYCOLLECTION:
        return "(" + ",".join(to_wkt(member) for member in shape.coords) + ")"
    return "(" + ",".join(_wkt_body(member) for member in shape.coords) + ")"


def to_wkt(shape: Shape) -> str:
    """WKT of a shape, formatted like MySQL 8's ``ST_AsText``."""
    return shape.name + _wkt_body(shape)


def _swap(shape: Shape) -> Shape:
    t = shape.type
    if t == WKB_POINT:
        return Shape(t, (shape.coords[1], shape.coords[0]))
    if t == WKB_LINESTRING:
        return Shape(t, [(y, x) for x, y in shape.coords])
    if t == WKB_POLYGON:
        return Shape(t, [[(y, x) for x, y in ring] for ring in shape.coords])
    return Shape(t, [_swap(member) for member in shape.coords])


# -- the value ------------------------------------------------------------------------


@dataclass(frozen=True)
class Geometry:
    """A GEOMETRY value: ``srid`` and the ``wkb`` bytes as stored.

    ``shape`` and ``wkt`` parse the WKB on first use (raising :class:`GeometryError`
    for bytes that do not parse); ``to_bytes`` gives the stored bytes back unchanged.
    """

    srid: int
    wkb: bytes

    @classmethod
    def from_bytes(cls, data: bytes) -> Geometry:
        """SRID (4 bytes little-endian) + WKB, as in a row image or a table."""
        if len(data) < 4:
            raise GeometryError(f"GEOMETRY value of {len(data)} bytes has no SRID")
        return cls(int.from_bytes(data[:4], "little"), bytes(data[4:]))

    @classmethod
    def from_shape(cls, shape: Shape, srid: int = 0) -> Geometry:
        return cls(srid, build_wkb(shape))

    @classmethod
    def point(cls, x: float, y: float, srid: int = 0) -> Geometry:
        return cls.from_shape(Shape(WKB_POINT, (x, y)), srid)

    def to_bytes(self) -> bytes:
        return self.srid.to_bytes(4, "little") + self.wkb

    @property
    def shape(self) -> Shape:
        return parse_wkb(self.wkb)

    @property
    def wkt(self) -> str:
        return to_wkt(self.shape)

    def swapped(self) -> Geometry:
        """The same geometry with x and y exchanged (latitude-first SRS display)."""
        return Geometry.from_shape(_swap(self.shape), self.srid)

    def to_json(self) -> dict:
        """``{"srid": N, "wkt": "..."}``; ``{"srid": N, "wkb_hex": "..."}`` when the WKB
        does not parse."""
        try:
            return {"srid": self.srid, "wkt": self.wkt}
        except GeometryError:
            return {"srid": self.srid, "wkb_hex": self.wkb.hex()}

    def __str__(self) -> str:
        return self.wkt


def encode_geometry(value) -> bytes:
    """Row-image bytes of a :class:`Geometry` (or bytes given as they are)."""
    if isinstance(value, Geometry):
        return value.to_bytes()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"GEOMETRY from {type(value).__name__}")
