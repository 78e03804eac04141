"""Types only one flavour has: MySQL's VECTOR; MariaDB's UUID, INET4, INET6, VECTOR and
compressed columns."""

from __future__ import annotations

from conformance.scenarios._typed import exercise_columns
from conformance.scenarios.base import Recorder, Sql, scenario


@scenario(mysql="9.0")
def mysql_vector(t: Recorder) -> None:
    """VECTOR(N): 4-byte floats, written from text with STRING_TO_VECTOR."""
    columns = [("v1", "VECTOR(1)"), ("v3", "VECTOR(3)"), ("v256", "VECTOR(256)")]
    rows = [
        [
            Sql("STRING_TO_VECTOR('[0]')"),
            Sql("STRING_TO_VECTOR('[1,2,3]')"),
            Sql("STRING_TO_VECTOR('[" + ",".join(str(n / 4) for n in range(256)) + "]')"),
        ],
        [
            Sql("STRING_TO_VECTOR('[-1.5e38]')"),
            Sql("STRING_TO_VECTOR('[0.1,-0.2,3e-30]')"),
            Sql("STRING_TO_VECTOR('[" + ",".join(["-7.25"] * 256) + "]')"),
        ],
    ]
    exercise_columns(t, "mysql_vector", columns, rows)


@scenario(mariadb="10.5")
def mariadb_types(t: Recorder) -> None:
    """INET6 (10.5), UUID (10.7), INET4 (10.10), and COMPRESSED columns (10.3).

    A compressed column is written as a compressed blob or varchar with its own
    column types in the table map (MYSQL_TYPE_BLOB_COMPRESSED = 140,
    MYSQL_TYPE_VARCHAR_COMPRESSED = 141; https://mariadb.com/kb/en/storage-engine-independent-column-compression/).
    """
    columns = [("ip6", "INET6")]
    rows = [["::"], ["2001:db8::ff00:42:8329"], ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]]
    if t.at_least(mariadb=(10, 7)):
        columns.append(("u", "UUID"))
        for row, value in zip(
            rows,
            [
                "00000000-0000-0000-0000-000000000000",
                "123e4567-e89b-12d3-a456-426614174000",
                "ffffffff-ffff-ffff-ffff-ffffffffffff",
            ],
            strict=True,
        ):
            row.append(value)
    if t.at_least(mariadb=(10, 10)):
        columns.append(("ip4", "INET4"))
        for row, value in zip(rows, ["0.0.0.0", "192.168.1.10", "255.255.255.255"], strict=True):
            row.append(value)
    columns += [
        ("vc_z", "VARCHAR(1000) COMPRESSED CHARACTER SET utf8mb4"),
        ("b_z", "BLOB COMPRESSED"),
        ("t_z", "TEXT COMPRESSED CHARACTER SET latin1"),
    ]
    for row, size in zip(rows, [0, 50, 999], strict=True):
        row += ["ж" * size, b"\x07" * (size * 10), "t" * (size * 3)]
    exercise_columns(t, "mariadb_types", columns, rows)


@scenario(mariadb="11.7")
def mariadb_vector(t: Recorder) -> None:
    """MariaDB's VECTOR(N) (11.7), written with VEC_FromText."""
    columns = [("v1", "VECTOR(1)"), ("v3", "VECTOR(3)"), ("v100", "VECTOR(100)")]
    rows = [
        [
            Sql("VEC_FromText('[0]')"),
            Sql("VEC_FromText('[1,2,3]')"),
            Sql("VEC_FromText('[" + ",".join(str(n / 8) for n in range(100)) + "]')"),
        ],
        [
            Sql("VEC_FromText('[-1500000.5]')"),
            Sql("VEC_FromText('[0.1,-0.2,3e-30]')"),
            Sql("VEC_FromText('[" + ",".join(["-7.25"] * 100) + "]')"),
        ],
    ]
    exercise_columns(t, "mariadb_vector", columns, rows)
