"""Temporary tables, which reach the binlog only in statement format."""

from __future__ import annotations

from conformance.scenarios.base import Recorder, scenario


@scenario(mysql="5.7", mariadb="10.5")
def temporary_tables(t: Recorder) -> None:
    """Temporary tables in ROW format (not logged: only what reaches real tables) and in
    STATEMENT format (logged, tied to the session by pseudo_thread_id), in two sessions
    using the same temporary name.
    """
    t.sql("CREATE TABLE kept (id INT PRIMARY KEY, src VARCHAR(20))")
    t.sql("CREATE TEMPORARY TABLE scratch (id INT PRIMARY KEY, src VARCHAR(20))")
    t.sql("INSERT INTO scratch VALUES (1, 'row-format temp'), (2, 'row-format temp')")
    t.sql("INSERT INTO kept SELECT * FROM scratch")
    t.sql("DROP TEMPORARY TABLE scratch")
    with t.statement_format():
        t.sql("CREATE TEMPORARY TABLE scratch (id INT PRIMARY KEY, src VARCHAR(20))")
        t.sql("INSERT INTO scratch VALUES (3, 'stmt temp')")
        with t.other_connection() as other:
            # Not `statement_format()`: MySQL refuses to switch back to ROW while the
            # session holds a temporary table (ER_NO_FORMAT_CHANGE_WHEN_TEMP_TABLES...),
            # and this session ends holding one on purpose.
            other.sql("SET SESSION binlog_format = 'STATEMENT'")
            other.sql("CREATE TEMPORARY TABLE scratch (id INT PRIMARY KEY, src VARCHAR(20))")
            other.sql("INSERT INTO scratch VALUES (4, 'other session')")
            other.sql("INSERT INTO kept SELECT * FROM scratch")
            t.not_replayable("kept", "rows copied from temporary tables in statement format")
            # the session ends with its temporary table: the server logs a DROP for it
        t.sql("INSERT INTO kept SELECT * FROM scratch")
        t.sql("DROP TEMPORARY TABLE IF EXISTS scratch")
    t.truth.changes.append({"note": "temporary-table changes: compare the final tables"})
