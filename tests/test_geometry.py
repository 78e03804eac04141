"""GEOMETRY values: SRID + WKB parsing, MySQL-style WKT, number formatting."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mysqlproto.geometry import (
    WKB_GEOMETRYCOLLECTION,
    WKB_LINESTRING,
    WKB_MULTIPOINT,
    WKB_POINT,
    WKB_POLYGON,
    Geometry,
    GeometryError,
    Shape,
    build_wkb,
    format_double,
    parse_wkb,
)
from tests.spec.roundtrip import h

# ST_AsText(ST_GeomFromText(x)) and HEX(ST_GeomFromText(x)) on MySQL 9.7.4: the WKT
# each stored value prints as.
SERVER_WKT = [
    ("000000000101000000000000000000F03F0000000000000040", "POINT(1 2)"),
    ("0000000001010000009A9999999999B93F00000000000004C0", "POINT(0.1 -2.5)"),
    ("000000000101000000408CB5781DAF154448AFBC9AF2D77A3E", "POINT(1e20 0.0000001)"),
    ("000000000101000000756B7E54346F9D418DEDB5A0F7C6B03E", "POINT(123456789.12345679 0.000001)"),
    ("00000000010100000000000000000000800000000000000840", "POINT(-0 3)"),
    ("00000000010700000000000000", "GEOMETRYCOLLECTION EMPTY"),
    ("000000000101000000E1639D31956AE543FC8093AFFCE0E93E",
     "POINT(1.2345678901234567e19 0.00001234)"),
    ("00000000010100000000003426F56B0C430080E03779C34143", "POINT(1e15 1e16)"),
]

# (double, ST_AsText's text of it) measured on MySQL 9.7.4 and MariaDB 11.8.9 alike
NUMBERS = {
    "1e14": "100000000000000", "1e15": "1e15", "123456789012345": "123456789012345",
    "1234567890123456": "1.234567890123456e15", "12345678901234567": "1.2345678901234568e16",
    "2.5e14": "250000000000000", "1e-5": "0.00001", "1e-8": "0.00000001",
    "1e-15": "0.000000000000001", "1e-16": "1e-16", "1.5e-10": "0.00000000015",
    "1.234e-20": "1.234e-20", "1.2345678901234567e-7": "0.00000012345678901234566",
    "1.2345678901234567e-8": "1.2345678901234567e-8", "1.2345678901234567e-15":
    "1.2345678901234568e-15", "1.234567890123e-13": "1.234567890123e-13", "-1e-7": "-0.0000001",
    "-1e20": "-1e20", "-1.5e15": "-1.5e15", "5e-324": "5e-324",
    "1.7976931348623157e308": "1.7976931348623157e308", "0.1": "0.1", "100": "100",
    "99999999999999.9": "99999999999999.9", "999999999999999": "999999999999999",
    "-123.456": "-123.456", "0": "0",
}


@pytest.mark.parametrize("hexdata, wkt", SERVER_WKT)
def test_wkt_is_what_st_astext_prints(hexdata, wkt):
    geometry = Geometry.from_bytes(bytes.fromhex(hexdata))
    assert geometry.wkt == wkt
    assert geometry.to_bytes() == bytes.fromhex(hexdata)


def test_geographic_srs_is_stored_longitude_first():
    # ST_GeomFromText('POINT(1 2)', 4326) is latitude 1, longitude 2; MySQL 8 stores
    # x = longitude, and ST_AsText swaps back to the SRS's latitude-first order
    geometry = Geometry.from_bytes(h("E6100000 01 01000000 0000000000000040 000000000000F03F"))
    assert geometry.srid == 4326
    assert geometry.wkt == "POINT(2 1)"
    assert geometry.swapped().wkt == "POINT(1 2)"


@pytest.mark.parametrize("number, text", NUMBERS.items())
def test_numbers_are_formatted_as_my_gcvt_does(number, text):
    assert format_double(float(number)) == text


def test_every_geometry_type():
    square = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0), (0.0, 0.0)]
    hole = [(1.0, 1.0), (2.0, 1.0), (2.0, 2.0), (1.0, 1.0)]
    cases = [
        (Shape(WKB_LINESTRING, [(0.0, 0.0), (1.0, 1.0), (2.0, 2.0)]), "LINESTRING(0 0,1 1,2 2)"),
        (Shape(WKB_POLYGON, [square, hole]),
         "POLYGON((0 0,10 0,10 10,0 10,0 0),(1 1,2 1,2 2,1 1))"),
        (Shape(WKB_MULTIPOINT, [Shape(WKB_POINT, (1.0, 1.0)), Shape(WKB_POINT, (2.0, 2.0))]),
         "MULTIPOINT((1 1),(2 2))"),
        (Shape(5, [Shape(WKB_LINESTRING, [(0.0, 0.0), (1.0, 1.0)]),
                   Shape(WKB_LINESTRING, [(2.0, 2.0), (3.0, 3.0)])]),
         "MULTILINESTRING((0 0,1 1),(2 2,3 3))"),
        (Shape(6, [Shape(WKB_POLYGON, [[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)]])]),
         "MULTIPOLYGON(((0 0,1 0,1 1,0 0)))"),
        (Shape(WKB_GEOMETRYCOLLECTION, [Shape(WKB_POINT, (1.0, 1.0)),
                                        Shape(WKB_LINESTRING, [(0.0, 0.0), (1.0, 1.0)])]),
         "GEOMETRYCOLLECTION(POINT(1 1),LINESTRING(0 0,1 1))"),
        (Shape(WKB_MULTIPOINT, []), "MULTIPOINT EMPTY"),
    ]
    for shape, wkt in cases:
        geometry = Geometry.from_shape(shape, srid=3857)
        assert geometry.wkt == wkt
        assert Geometry.from_bytes(geometry.to_bytes()) == geometry
        assert parse_wkb(geometry.wkb) == shape


def test_big_endian_wkb():
    wkb = h("00 00000001 3ff0000000000000 4000000000000000")  # POINT(1 2), XDR
    assert parse_wkb(wkb) == Shape(WKB_POINT, (1.0, 2.0))


@pytest.mark.parametrize("wkb, message", [
    ("01 01000000 000000000000f03f", "truncated"),
    ("02 01000000", "byte order"),
    ("01 09000000", "unknown WKB geometry type"),
    ("01 02000000 ffffff7f", "count"),
    ("01 04000000 01000000 01 02000000 00000000", "MULTIPOINT holds a LINESTRING"),
    ("01 01000000 000000000000f03f 0000000000000040 00", "after the WKB"),
])
def test_bad_wkb_is_refused(wkb, message):
    with pytest.raises(GeometryError, match=message):
        parse_wkb(h(wkb))


def test_deep_nesting_is_refused():
    wkb = b""
    for _ in range(40):
        wkb = struct.pack("<BII", 1, WKB_GEOMETRYCOLLECTION, 1) + wkb
    wkb += struct.pack("<BIdd", 1, WKB_POINT, 1, 2)
    with pytest.raises(GeometryError, match="nested"):
        parse_wkb(wkb)


def test_unparsable_wkb_still_renders_as_json():
    geometry = Geometry.from_bytes(h("00000000 01 09000000"))
    assert geometry.to_json() == {"srid": 0, "wkb_hex": "0109000000"}
    with pytest.raises(GeometryError):
        Geometry.from_bytes(b"\x00\x00")


coordinates = st.floats(allow_nan=False, allow_infinity=False)
points = st.tuples(coordinates, coordinates)
shapes = st.recursive(
    st.builds(Shape, st.just(WKB_POINT), points)
    | st.builds(Shape, st.just(WKB_LINESTRING), st.lists(points, max_size=4))
    | st.builds(Shape, st.just(WKB_POLYGON), st.lists(st.lists(points, max_size=4), max_size=3)),
    lambda children: st.builds(Shape, st.just(WKB_GEOMETRYCOLLECTION),
                               st.lists(children, max_size=3)),
    max_leaves=8)


@given(shapes, st.integers(0, 2 ** 32 - 1))
def test_wkb_round_trips(shape, srid):
    geometry = Geometry.from_shape(shape, srid)
    assert parse_wkb(build_wkb(shape)) == shape
    assert Geometry.from_bytes(geometry.to_bytes()) == geometry
    assert geometry.wkt  # formats without error


@given(coordinates)
def test_formatted_numbers_read_back_exactly(value):
    assert float(format_double(value)) == value
