"""GEOMETRY and its seven subtypes, with and without an SRID."""

from __future__ import annotations

from conformance.scenarios._typed import exercise_columns
from conformance.scenarios.base import Recorder, Sql, scenario

SHAPES = [
    ("g", "GEOMETRY", "POINT(1 2)", "GEOMETRYCOLLECTION(POINT(1 1), LINESTRING(0 0, 1 1))"),
    ("p", "POINT", "POINT(0 0)", "POINT(-179.999999 89.999999)"),
    ("ls", "LINESTRING", "LINESTRING(0 0, 1 1)", "LINESTRING(0 0, 1 1, 2 4, 3 9, 4 16)"),
    (
        "pg",
        "POLYGON",
        "POLYGON((0 0, 1 0, 1 1, 0 0))",
        "POLYGON((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 3 2, 3 3, 2 2))",
    ),
    ("mp", "MULTIPOINT", "MULTIPOINT(0 0)", "MULTIPOINT(0 0, 1 1, 2 2)"),
    (
        "mls",
        "MULTILINESTRING",
        "MULTILINESTRING((0 0, 1 1))",
        "MULTILINESTRING((0 0, 1 1), (2 2, 3 3, 4 4))",
    ),
    (
        "mpg",
        "MULTIPOLYGON",
        "MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)))",
        "MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5)))",
    ),
    (
        "gc",
        "GEOMETRYCOLLECTION",
        "GEOMETRYCOLLECTION(POINT(1 1))",
        "GEOMETRYCOLLECTION(POINT(1 1), POLYGON((0 0, 1 0, 1 1, 0 0)))",
    ),
]


@scenario(mysql="5.7", mariadb="10.5")
def spatial(t: Recorder) -> None:
    """Every geometry type, small and larger shapes, and a POINT with SRID 4326."""
    columns = [(name, sql_type) for name, sql_type, _, _ in SHAPES]
    rows = [
        [Sql(f"ST_GeomFromText('{small}')") for _, _, small, _ in SHAPES],
        [Sql(f"ST_GeomFromText('{large}')") for _, _, _, large in SHAPES],
    ]
    if t.is_mariadb:
        columns.append(("p4326", "POINT REF_SYSTEM_ID=4326"))
    else:
        columns.append(("p4326", "POINT SRID 4326" if t.at_least(mysql=(8, 0)) else "POINT"))
    rows[0].append(Sql("ST_GeomFromText('POINT(45 90)', 4326)"))
    rows[1].append(Sql("ST_GeomFromText('POINT(-45 -90)', 4326)"))
    exercise_columns(t, "spatial", columns, rows)
