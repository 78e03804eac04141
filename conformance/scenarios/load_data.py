"""LOAD DATA LOCAL INFILE, in row format and in statement format."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from conformance.scenarios.base import Recorder, scenario

#: Rows in the file: with read_buffer_size at its 8 KiB minimum the statement-format
#: load is logged as BEGIN_LOAD_QUERY, several APPEND_BLOCKs and EXECUTE_LOAD_QUERY
#: (sql_load.cc: the file goes to the binlog one IO_CACHE block at a time).
ROWS = 600


def _line(n: int) -> str:
    text = "\\N" if n % 50 == 0 else f'line {n} tab\\there, "quoted" é'
    return f"{n}\t{text}\t{n * 1.25}\n"


@contextmanager
def _data_file() -> Iterator[str]:
    handle = tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False, encoding="utf-8")
    try:
        with handle:
            handle.writelines(_line(n) for n in range(ROWS))
        yield handle.name
    finally:
        os.unlink(handle.name)


@scenario(mysql="5.7", mariadb="10.5")
def load_data(t: Recorder) -> None:
    """LOAD DATA LOCAL INFILE into one table in ROW format, into another in STATEMENT
    format (the file travels in the binlog), and a REPLACE load with field options.

    MySQL turns `local_infile` off by default; the scenario switches it on globally
    (https://dev.mysql.com/doc/refman/8.4/en/load-data-local-security.html).
    """
    if not t.var("global.local_infile"):
        t.sql("SET GLOBAL local_infile = 1")
        t.note("set GLOBAL local_infile = 1")
    t.sql(
        "CREATE TABLE loaded_rows (id INT PRIMARY KEY, txt VARCHAR(100), num DOUBLE)"
        " CHARACTER SET utf8mb4"
    )
    t.sql("CREATE TABLE loaded_stmt LIKE loaded_rows")
    with _data_file() as path:
        quoted = path.replace("\\", "\\\\").replace("'", "\\'")
        load = (
            f"LOAD DATA LOCAL INFILE '{quoted}' {{verb}} INTO TABLE {{table}} CHARACTER SET utf8mb4"
        )
        t.sql(load.format(verb="", table="loaded_rows"))
        t.truth.changes.append(
            {"table": "loaded_rows", "op": "load", "lines": [_line(n) for n in range(ROWS)]}
        )
        with t.statement_format() as statement, t.session(read_buffer_size=8192):
            t.sql(load.format(verb="", table="loaded_stmt"))
            t.truth.changes.append(
                {"table": "loaded_stmt", "op": "load", "lines": [_line(n) for n in range(ROWS)]}
            )
            t.sql(
                load.format(verb="REPLACE", table="loaded_stmt")
                + " FIELDS TERMINATED BY '\\t' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '\\\\'"
                " LINES STARTING BY '' TERMINATED BY '\\n' IGNORE 10 LINES (id, @txt, num)"
                " SET txt = UPPER(@txt)"
            )
            t.truth.changes.append(
                {
                    "table": "loaded_stmt",
                    "op": "load-replace",
                    "lines": [_line(n) for n in range(10, ROWS)],
                }
            )
            if statement:
                t.expect("BEGIN_LOAD_QUERY_EVENT", "APPEND_BLOCK_EVENT", "EXECUTE_LOAD_QUERY_EVENT")
                t.not_replayable("loaded_stmt", "loaded in statement format")
