"""Rows and statements big enough to need several events, or one very large event."""

from __future__ import annotations

import random

from conformance.scenarios.base import Recorder, scenario

#: A LONGBLOB this large makes one rows event of several MiB (a row is never split).
BLOB_BYTES = 2 * 1024 * 1024
#: Rows in one statement: ~120 bytes each, far past binlog_row_event_max_size (8 KiB
#: by default), so the server cuts the statement into many rows events.
MANY_ROWS = 1500


@scenario(mysql="5.7", mariadb="10.5")
def large_rows(t: Recorder) -> None:
    """A 2 MiB LONGBLOB row (insert, update, delete) and 1500-row statements."""
    data = random.Random(3).randbytes(BLOB_BYTES)
    t.sql("CREATE TABLE big (id INT PRIMARY KEY, note VARCHAR(20), payload LONGBLOB)")
    t.insert("big", [{"id": 1, "note": "random", "payload": data}])
    t.insert("big", [{"id": 2, "note": "repetitive", "payload": b"abcd" * (BLOB_BYTES // 4)}])
    t.change("UPDATE big SET note = 'touched' WHERE id = 1", table="big", op="update")
    t.change("UPDATE big SET payload = REVERSE(payload) WHERE id = 2", table="big", op="update")
    t.change("DELETE FROM big WHERE id = 1", table="big", op="delete")

    t.sql("CREATE TABLE many (id INT PRIMARY KEY, a VARCHAR(100), b BIGINT)")
    t.insert("many", [{"id": n, "a": f"{n:08d}" * 12, "b": n * n} for n in range(MANY_ROWS)])
    t.change("UPDATE many SET b = -b", table="many", op="update")
    t.change("DELETE FROM many WHERE id % 3 = 0", table="many", op="delete")
