"""YEAR, DATE, and TIME, DATETIME and TIMESTAMP at every fractional precision 0-6."""

from __future__ import annotations

from conformance.scenarios._typed import exercise_columns
from conformance.scenarios.base import Recorder, scenario

FSPS = range(7)


def _at(value: str, fsp: int) -> str:
    """`value` with its fraction cut to `fsp` digits, so the server does not round it."""
    whole, _, fraction = value.partition(".")
    return f"{whole}.{fraction[:fsp]}" if fsp and fraction else whole


def _timestamp_max(t: Recorder) -> str:
    """The largest TIMESTAMP: 2038 (32-bit seconds), or 2106 on MariaDB 11.5+, whose
    TIMESTAMP became unsigned (https://mariadb.com/kb/en/timestamp/)."""
    if t.at_least(mariadb=(11, 5)):
        return "2106-02-07 06:28:15.999999"
    return "2038-01-19 03:14:07.999999"


@scenario(mysql="5.7", mariadb="10.5")
def temporals(t: Recorder) -> None:
    """Temporal types at their limits, with fractions cut to each column's precision."""
    columns = [("y", "YEAR"), ("d", "DATE")]
    columns += [(f"t{n}", f"TIME({n})") for n in FSPS]
    columns += [(f"dt{n}", f"DATETIME({n})") for n in FSPS]
    columns += [(f"ts{n}", f"TIMESTAMP({n}) NULL DEFAULT NULL") for n in FSPS]

    def row(year, date, time, datetime, timestamp):
        return (
            [year, date]
            + [_at(time, n) for n in FSPS]
            + [_at(datetime, n) for n in FSPS]
            + [_at(timestamp, n) for n in FSPS]
        )

    rows = [
        row(1901, "1000-01-01", "-838:59:59", "1000-01-01 00:00:00", "1970-01-01 00:00:01"),
        row(
            2024,
            "2024-02-29",
            "-00:00:01.000001",
            "2024-02-29 12:34:56.123456",
            "2024-02-29 12:34:56.654321",
        ),
        row(
            1999,
            "1970-01-01",
            "12:34:56.789012",
            "1970-01-01 00:00:00.000001",
            "2000-01-01 00:00:00.5",
        ),
        row(2155, "9999-12-31", "838:59:59", "9999-12-31 23:59:59.999999", _timestamp_max(t)),
    ]
    exercise_columns(t, "temporals", columns, rows)


@scenario(mysql="5.7", mariadb="10.5")
def zero_dates(t: Recorder) -> None:
    """Zero dates ('0000-00-00' and friends), written with an empty sql_mode."""
    with t.session(sql_mode=""):
        columns = [
            ("y", "YEAR"),
            ("d", "DATE"),
            ("dt", "DATETIME"),
            ("dt6", "DATETIME(6)"),
            ("ts", "TIMESTAMP NULL DEFAULT NULL"),
            ("d_part", "DATE"),
        ]
        rows = [
            [
                0,
                "0000-00-00",
                "0000-00-00 00:00:00",
                "0000-00-00 00:00:00.000000",
                "0000-00-00 00:00:00",
                "2024-00-00",
            ],
            [
                2000,
                "2000-01-00",
                "2000-00-01 10:00:00",
                "2000-01-01 00:00:00.000000",
                "1999-12-31 23:59:59",
                "2024-05-00",
            ],
        ]
        exercise_columns(t, "zero_dates", columns, rows)
