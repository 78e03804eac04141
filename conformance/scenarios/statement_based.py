"""Statement-format logging and the context events it needs: INTVAR, RAND, USER_VAR."""

from __future__ import annotations

from conformance.scenarios.base import Recorder, scenario


@scenario(mysql="5.7", mariadb="10.5")
def statement_context(t: Recorder) -> None:
    """Auto-increment, LAST_INSERT_ID(), RAND() and user variables of every type, in
    STATEMENT format, so the server logs the values a replica needs to replay them.

    INTVAR_EVENT carries INSERT_ID and LAST_INSERT_ID, RAND_EVENT the two seeds,
    USER_VAR_EVENT each user variable a statement reads (log_event.h).
    """
    t.sql("CREATE TABLE ai (id INT AUTO_INCREMENT PRIMARY KEY, v INT, r DOUBLE)")
    t.sql(
        "CREATE TABLE vars (id INT PRIMARY KEY, i BIGINT, u BIGINT UNSIGNED, s VARCHAR(40),"
        " s_latin1 VARCHAR(40) CHARACTER SET latin1, d DECIMAL(20,5), f DOUBLE, b VARBINARY(8),"
        " n INT)"
    )
    with t.statement_format() as statement:
        t.sql("INSERT INTO ai (v) VALUES (1), (2), (3)")
        t.sql("INSERT INTO ai (v) VALUES (LAST_INSERT_ID())")
        t.sql("INSERT INTO ai (id, v) VALUES (100, 0)")
        t.sql("INSERT INTO ai (v, r) VALUES (5, RAND())")
        t.sql("UPDATE ai SET r = RAND() WHERE id = 1")
        t.sql(
            "SET @i = -42, @u = CAST(18446744073709551615 AS UNSIGNED), @s = 'text ☃',"
            " @s_latin1 = _latin1 X'e9', @d = 12345.67891, @f = 1.5e300, @b = X'00ff',"
            " @n = NULL"
        )
        t.sql("INSERT INTO vars VALUES (1, @i, @u, @s, @s_latin1, @d, @f, @b, @n)")
        t.sql("INSERT INTO vars (id, i) VALUES (2, @i + 1)")
        t.sql("SET @k = 3")
        t.sql("UPDATE vars SET n = @k WHERE id = 2")
        t.sql("DELETE FROM ai WHERE v = @k")
        if statement:
            t.expect("INTVAR_EVENT", "RAND_EVENT", "USER_VAR_EVENT")
            for table in ("ai", "vars"):
                t.not_replayable(table, "changed by statement-format DML only")
    t.truth.changes.append({"note": "statement-format changes: compare the final tables"})
